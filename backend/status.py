"""Run status from Label Studio: task counts, annotators, agreement."""

from collections import Counter

from .agreement import compute_agreement, format_agreement
from .project import call
from .run_tasks import completed_by, export_run_tasks, latest_annotation


def get_status(results) -> dict:
    """Counts of the run's tasks, read in one bulk export."""
    tasks = call(results, lambda c, pid: export_run_tasks(c, results))
    users = _user_names(results.backend.client)

    annotated = skipped = with_predictions = 0
    per_annotator = {}
    names = {
        uid: u.get("email") or u.get("username") or str(uid)
        for uid, u in users.items()
    }
    for task in tasks:
        annotations = task.get("annotations") or []
        if latest_annotation(task) is not None:
            annotated += 1
        elif annotations:
            skipped += 1
        if task.get("predictions"):
            with_predictions += 1
        for anno in annotations:
            who = completed_by(anno)
            who = names.get(who, who)
            counts = per_annotator.setdefault(
                str(who), Counter(annotations=0, skipped=0)
            )
            counts[
                "skipped" if anno.get("was_cancelled") else "annotations"
            ] += 1

    return {
        "anno_key": results.key,
        "project_id": results.project_id,
        "project_url": results.project_url,
        "tasks": len(tasks),
        "annotated": annotated,
        "skipped": skipped,
        "unannotated": len(tasks) - annotated - skipped,
        "predictions": with_predictions,
        "annotators": {k: dict(v) for k, v in sorted(per_annotator.items())},
        # on tasks annotated by 2+ people (see agreement.py for the metrics)
        "agreement": compute_agreement(
            tasks, results.config.label_schema, names
        ),
    }


def _user_names(client) -> dict:
    try:
        return client.list_users()
    except Exception:  # names are a nicety; ids still identify annotators
        return {}


def format_status(status: dict) -> str:
    lines = [
        "Annotation run '%s': Label Studio project %s (%s)"
        % (status["anno_key"], status["project_id"], status["project_url"]),
        "    tasks:        %d" % status["tasks"],
        "    annotated:    %d" % status["annotated"],
        "    skipped:      %d" % status["skipped"],
        "    unannotated:  %d" % status["unannotated"],
        "    predictions:  %d tasks" % status["predictions"],
    ]
    if status["annotators"]:
        lines.append("    annotators:")
        for name, counts in status["annotators"].items():
            lines.append(
                "        %s: %d annotations, %d skipped"
                % (name, counts["annotations"], counts["skipped"])
            )
    if "agreement" in status:
        lines.extend(format_agreement(status["agreement"]))
    return "\n".join(lines)

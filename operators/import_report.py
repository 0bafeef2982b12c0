"""What the ``import_project`` operator does once its form is valid, and
how its report shows in the App."""

import fiftyone.operators.types as types

_MAX_LISTED = 20  # unmatched images listed in the output


def run_import(ctx, imp, report) -> dict:
    """Runs the import the form resolved (``import_project.Import``)."""
    from ..backend.import_project import import_project

    report(
        0.0, "Importing Label Studio project %s" % imp.project_id, force=True
    )
    out = import_project(
        imp.target,
        imp.project_id,
        label_field=dict(imp.label_field),
        match=imp.match,
        label_types=dict(imp.label_types) or None,
        anno_key=imp.anno_key,
        overwrite=imp.overwrite,
        view=imp.view,
        **imp.credentials.kwargs(),
    )
    ctx.dataset.reload()
    unmatched = out["unmatched"] + out["ambiguous"]
    return {
        "project_id": out["project_id"],
        "anno_key": imp.anno_key or "",
        "match": imp.match,
        "tasks": out["tasks"],
        "view": (out.get("view") or {}).get("title") or "all tasks",
        "matched": out["matched"],
        "loaded": out["loaded"],
        "unannotated": out["unannotated"],
        "unmatched": len(out["unmatched"]),
        "ambiguous": len(out["ambiguous"]),
        "unmatched_images": [
            str(t.get("image")) for t in unmatched[:_MAX_LISTED]
        ],
        "labels": [
            {"control": c, "field": f, "labels": out["labels"].get(f, 0)}
            for c, f in sorted(out["fields"].items())
        ],
        "skipped_results": out["skipped_results"],
        "problems": list(out["problems"]),
        "unknown_classes": [
            "%s: %s (%s)"
            % (
                field,
                ", ".join(
                    "%r x%d" % kv for kv in sorted(e["classes"].items())
                ),
                {"keep": "imported, classes added"}.get(
                    e["action"], e["action"]
                ),
            )
            for field, e in sorted(out["unknown_classes"].items())
        ],
        "delegated": bool(ctx.delegated),
    }


def outputs(result) -> types.Property:
    """The App's view of :func:`run_import`'s result."""
    shown = types.Object()
    shown.str("view", label="Data Manager tab")
    shown.int("tasks", label="Tasks in the project (or tab)")
    shown.int("matched", label="Matched to samples")
    shown.int("loaded", label="Annotated tasks loaded")
    shown.int("unmatched", label="Matched no sample")
    if result.get("ambiguous"):
        shown.int("ambiguous", label="Matched several samples")
    table = types.TableView()
    table.add_column("control", label="Control")
    table.add_column("field", label="Field")
    table.add_column("labels", label="Labels")
    shown.list("labels", types.Object(), label="Fields", view=table)
    if result.get("unmatched_images"):
        shown.list(
            "unmatched_images",
            types.String(),
            label="Images without a sample (first %d)" % _MAX_LISTED,
        )
    if result.get("skipped_results"):
        shown.int("skipped_results", label="Results that did not load")
        shown.list("problems", types.String(), label="Why")
    if result.get("unknown_classes"):
        shown.list(
            "unknown_classes",
            types.String(),
            label="Classes not in the project's config",
        )
    if result.get("anno_key"):
        shown.str("anno_key", label="Registered as annotation run")
    return types.Property(
        shown, view=types.View(label="Label Studio project imported")
    )

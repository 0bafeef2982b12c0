"""Run management: status, view, rename, delete, open in Label Studio."""

import fiftyone.operators as foo
import fiftyone.operators.types as types

from . import execution, forms, runs


class GetAnnotationStatus(execution.PythonCallable, foo.Operator):
    @property
    def config(self):
        return execution.operator_config(
            "get_annotation_status",
            "Label Studio: annotation status",
            "How many tasks of a run are annotated in Label Studio",
            "query_stats",
        )

    def resolve_input(self, ctx):
        inputs = types.Object()
        forms.credentials(ctx, inputs)
        forms.run_key(ctx, inputs)
        return forms.titled(inputs, "Label Studio: annotation status")

    def execute(self, ctx):
        creds, problem = runs.get_credentials(ctx)
        if problem:
            raise ValueError(problem)
        key = ctx.params["anno_key"]
        return run_status(ctx.dataset, key, creds)

    def resolve_output(self, ctx):
        status = ctx.results or {}
        outputs = types.Object()
        outputs.str("anno_key", label="Annotation key")
        outputs.int("tasks", label="Tasks")
        outputs.int("annotated", label="Annotated")
        outputs.int("skipped", label="Skipped")
        outputs.int("unannotated", label="Not annotated yet")
        if status.get("annotators"):
            outputs.list(
                "annotators",
                types.Object(),
                label="Annotators",
                view=annotators_table(),
            )
        if status.get("agreement_summary"):
            outputs.str(
                "agreement_summary",
                label="Agreement",
                description="On tasks annotated by 2 or more people",
            )
        forms.open_project_button(outputs, status.get("project_url"))
        return forms.titled(outputs, "Annotation status")

    def __call__(self, dataset, anno_key):
        return self._call(dataset._root_dataset, {"anno_key": anno_key})


def run_status(dataset, key, creds) -> dict:
    """The run's status from Label Studio, JSON-ready: counts, one row per
    annotator, the agreement in one line (also used by the panel)."""
    return status_of(runs.load_results(dataset, key, creds), key)


def status_of(results, key) -> dict:
    """``run_status`` of results already loaded."""
    status = dict(results.get_status())
    status["anno_key"] = key
    status["project_url"] = status.get("project_url") or ""
    status["annotators"] = [
        dict(annotator=name, **counts)
        for name, counts in (status.get("annotators") or {}).items()
    ]
    status["agreement_summary"] = agreement_summary(status.get("agreement"))
    return status


def annotators_table() -> types.TableView:
    """The table of the per-annotator rows of :func:`status_of`."""
    table = types.TableView()
    table.add_column("annotator", label="Annotator")
    table.add_column("annotations", label="Annotations")
    table.add_column("skipped", label="Skipped")
    return table


def agreement_summary(agreement) -> str:
    """One line: the mean and each field's figure (backend.agreement)."""
    if not agreement or not agreement.get("tasks"):
        return ""
    parts = [
        "%s: %s %.3f" % (field, info["metric"], info["mean"])
        for field, info in (agreement.get("fields") or {}).items()
        if info.get("mean") is not None
    ]
    mean = agreement.get("mean")
    return "%s over %d tasks%s" % (
        "n/a" if mean is None else "%.3f" % mean,
        agreement["tasks"],
        " (%s)" % "; ".join(parts) if parts else "",
    )


class LoadAnnotationView(execution.PythonCallable, foo.Operator):
    @property
    def config(self):
        return execution.operator_config(
            "load_annotation_view",
            "Label Studio: view a run's samples",
            "Show the samples of an annotation run in the App",
            "filter_list",
        )

    def resolve_input(self, ctx):
        inputs = types.Object()
        forms.run_key(ctx, inputs)
        return forms.titled(inputs, "Label Studio: view a run's samples")

    def execute(self, ctx):
        key = ctx.params["anno_key"]
        view = ctx.dataset.load_annotation_view(key)
        ctx.ops.set_view(view=view)
        return {"anno_key": key, "num_samples": len(view)}

    def __call__(self, dataset, anno_key):
        return self._call(dataset._root_dataset, {"anno_key": anno_key})


class RenameAnnotationRun(execution.PythonCallable, foo.Operator):
    @property
    def config(self):
        return execution.operator_config(
            "rename_annotation_run",
            "Label Studio: rename a run",
            "Change the key of an annotation run",
            "edit",
        )

    def resolve_input(self, ctx):
        inputs = types.Object()
        key = forms.run_key(ctx, inputs)
        if key is not None:
            forms.new_key(
                ctx,
                inputs,
                "new_anno_key",
                label="New annotation key",
                description="The new name of '%s'" % key,
            )
        return forms.titled(inputs, "Label Studio: rename a run")

    def execute(self, ctx):
        dataset = ctx.dataset
        key = ctx.params["anno_key"]
        new_key = ctx.params["new_anno_key"]
        creds, _ = runs.get_credentials(ctx)
        if creds is not None:
            # lets the backend update the project with these credentials
            try:
                dataset.load_annotation_results(key, **creds.kwargs())
            except Exception:
                pass
        try:
            dataset.rename_annotation_run(key, new_key)
        finally:
            for k in (key, new_key):
                dataset._annotation_cache.pop(k, None)
        runs.rename_last_loaded(dataset, key, new_key)
        if not ctx.delegated:
            ctx.ops.reload_dataset()
        return {"anno_key": new_key, "old_anno_key": key}

    def __call__(self, dataset, anno_key, new_anno_key):
        return self._call(
            dataset._root_dataset,
            {"anno_key": anno_key, "new_anno_key": new_anno_key},
        )


class DeleteAnnotationRun(execution.PythonCallable, foo.Operator):
    @property
    def config(self):
        return execution.operator_config(
            "delete_annotation_run",
            "Label Studio: delete a run",
            "Delete an annotation run (and optionally its Label Studio "
            "project)",
            "delete",
        )

    def resolve_input(self, ctx):
        inputs = types.Object()
        key = forms.run_key(ctx, inputs)
        if key is None:
            return forms.titled(inputs, "Label Studio: delete a run")
        inputs.bool(
            "delete_project",
            default=False,
            label="Also delete the Label Studio project",
            description="Deletes its tasks and every annotation made there",
            view=types.CheckboxView(),
        )
        if ctx.params.get("delete_project", False):
            forms.credentials(ctx, inputs)
        inputs.view(
            "delete_warning",
            types.Warning(
                label="Deletes the record of run '%s'" % key,
                description="Labels already loaded into the dataset stay",
            ),
        )
        return forms.titled(inputs, "Label Studio: delete a run")

    def execute(self, ctx):
        dataset = ctx.dataset
        key = ctx.params["anno_key"]
        deleted = missing = False
        if ctx.params.get("delete_project", False):
            creds, problem = runs.get_credentials(ctx)
            if problem:
                raise ValueError(problem)
            deleted, missing = _delete_project(dataset, key, creds)
        dataset.delete_annotation_run(key)
        dataset._annotation_cache.pop(key, None)
        runs.forget_last_loaded(dataset, key)
        if not ctx.delegated:
            ctx.ops.reload_dataset()
        return {
            "anno_key": key,
            "project_deleted": deleted,
            "project_was_missing": missing,
        }

    def __call__(self, dataset, anno_key, delete_project=False):
        return self._call(
            dataset._root_dataset,
            {"anno_key": anno_key, "delete_project": delete_project},
        )


def _delete_project(dataset, key, creds):
    """Returns (deleted, already missing)."""
    from ..client import LabelStudioClient
    from ..client.errors import LabelStudioNotFoundError

    results = runs.load_results(dataset, key, creds)
    if results is None or getattr(results, "project_id", None) is None:
        return False, True
    client = LabelStudioClient(creds.url, creds.api_key, timeout=30)
    try:
        client.get_project(results.project_id)
    except LabelStudioNotFoundError:
        return False, True
    results.cleanup()
    return True, False


class OpenInLabelStudio(execution.PythonCallable, foo.Operator):
    @property
    def config(self):
        return execution.operator_config(
            "open_in_labelstudio",
            "Label Studio: open a run's project",
            "Open the Label Studio project of an annotation run",
            "open_in_new",
        )

    def resolve_input(self, ctx):
        inputs = types.Object()
        key = forms.run_key(ctx, inputs)
        if key is not None:
            summary = runs.run_summary(ctx.dataset, key)
            forms.project_link(inputs, "open_project", summary)
        return forms.titled(inputs, "Label Studio: open a run's project")

    def execute(self, ctx):
        key = ctx.params["anno_key"]
        return {
            "anno_key": key,
            "project_url": runs.run_summary(ctx.dataset, key)["project_url"],
        }

    def resolve_output(self, ctx):
        result = ctx.results or {}
        outputs = types.Object()
        outputs.str("project_url", label="Label Studio project")
        forms.open_project_button(outputs, result.get("project_url"))
        return forms.titled(outputs, "Label Studio project")

    def __call__(self, dataset, anno_key):
        return self._call(dataset._root_dataset, {"anno_key": anno_key})

"""Run management: status, view, rename, delete, open in Label Studio."""

import fiftyone.operators as foo
import fiftyone.operators.types as types

from ..service import delete, runs
from ..service.connection import get_credentials
from ..service.status import run_status
from . import execution, forms


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
        forms.check_credentials(ctx, inputs)
        forms.run_key(ctx, inputs)
        return forms.titled(inputs, "Label Studio: annotation status")

    def execute(self, ctx):
        creds = _credentials(ctx)
        return run_status(ctx.dataset, ctx.params["anno_key"], creds)

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


def annotators_table() -> types.TableView:
    """The table of the per-annotator rows of a run's status."""
    table = types.TableView()
    table.add_column("annotator", label="Annotator")
    table.add_column("annotations", label="Annotations")
    table.add_column("skipped", label="Skipped")
    return table


def _credentials(ctx):
    """This execution's credentials; raises the problem naming the secret
    to set."""
    creds, problem = get_credentials(ctx)
    if problem:
        raise ValueError(problem)
    return creds


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
        view = runs.run_view(ctx.dataset, key)
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
        creds, _ = get_credentials(ctx)
        result = runs.rename_run(
            ctx.dataset,
            ctx.params["anno_key"],
            ctx.params["new_anno_key"],
            creds,
        )
        if not ctx.delegated:
            ctx.ops.reload_dataset()
        return result

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
            forms.check_credentials(ctx, inputs)
        inputs.view(
            "delete_warning",
            types.Warning(
                label="Deletes the record of run '%s'" % key,
                description="Labels already loaded into the dataset stay",
            ),
        )
        return forms.titled(inputs, "Label Studio: delete a run")

    def execute(self, ctx):
        creds = None
        if ctx.params.get("delete_project", False):
            creds = _credentials(ctx)
        result = delete.delete_run(ctx.dataset, ctx.params["anno_key"], creds)
        if not ctx.delegated:
            ctx.ops.reload_dataset()
        return result

    def __call__(self, dataset, anno_key, delete_project=False):
        return self._call(
            dataset._root_dataset,
            {"anno_key": anno_key, "delete_project": delete_project},
        )


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

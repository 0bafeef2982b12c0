"""``load_annotations``: merge a run's Label Studio annotations back."""

import fiftyone.core.fields as fof
import fiftyone.core.labels as fol
import fiftyone.operators as foo
import fiftyone.operators.types as types

from ..service import projects, runs
from ..service.load import EVERY_ANNOTATOR, LATEST, Load, load as _load
from . import execution, forms, label_form

UNEXPECTED = [
    (
        "keep",
        "Keep",
        "Classes not in the run's classes stay in their field; labels of "
        "other controls go to fields named after their type",
    ),
    ("ignore", "Ignore", "Skip them (counted in the summary)"),
]
# Label class a run's label type is stored as
_CLS_OF_TYPE = {
    "classification": fol.Classification,
    "classifications": fol.Classifications,
    "detection": fol.Detection,
    "instance": fol.Detection,
    "detections": fol.Detections,
    "instances": fol.Detections,
    "polyline": fol.Polyline,
    "polygon": fol.Polyline,
    "polylines": fol.Polylines,
    "polygons": fol.Polylines,
    "keypoint": fol.Keypoint,
    "keypoints": fol.Keypoints,
    "segmentation": fol.Segmentation,
}


class LoadAnnotations(execution.PythonCallable, foo.Operator):
    @property
    def config(self):
        return execution.long_run_config(
            "load_annotations",
            "Label Studio: load annotations",
            "Merge a run's Label Studio annotations into the dataset",
            "download",
            resolve_execution_options_on_change=True,
        )

    def resolve_input(self, ctx):
        inputs = types.Object()
        forms.build(ctx, build_load, inputs)
        return forms.titled(inputs, "Label Studio: load annotations")

    def resolve_execution_options(self, ctx):
        num = runs.run_size(ctx.dataset, ctx.params.get("anno_key"))
        return execution.execution_options(num)

    def resolve_run_name(self, ctx):
        return "Label Studio: load '%s'" % ctx.params.get("anno_key", "")

    def execute(self, ctx):
        load = forms.resolved(ctx, build_load, "The load request")

        return execution.run_work(
            ctx, _load, load, _outputs, reload_dataset=True
        )

    def resolve_output(self, ctx):
        return execution.run_output(ctx, _outputs, "Nothing was loaded")

    def __call__(
        self,
        dataset,
        anno_key,
        dest_field=None,
        unexpected="keep",
        annotator=None,
        cleanup=False,
        delegate=False,
        delegation_target=None,
        full=False,
    ):
        """Loads a run from Python; ``dest_field`` maps run fields to the
        fields to write (default: the same fields). ``annotator``: one
        person's annotations (e-mail or username), or ``"*"`` for every
        annotator into fields of their own. ``full``: re-read every task
        (by default only those changed since the last load)."""
        if annotator == "*":
            annotator = EVERY_ANNOTATOR
        params = dict(
            anno_key=anno_key,
            unexpected=unexpected,
            annotator=annotator or LATEST,
            cleanup=cleanup,
            full=full,
        )
        for name, dest in (dest_field or {}).items():
            params[_dest_param(name)] = dest
        return self._call(
            dataset._root_dataset,
            params,
            delegate=delegate,
            delegation_target=delegation_target,
        )


def _dest_param(name):
    return "dest__" + label_form.field_key(name)


def build_load(ctx, inputs, conn) -> Load:
    """Builds the form in ``inputs`` and returns what it resolved;
    ``conn``: the execution's connection (None: the form says why)."""
    load = Load()
    ok = True
    load.credentials = conn.credentials if conn is not None else None
    ok &= conn is not None

    load.anno_key = key = forms.run_key(ctx, inputs)
    if key is None:
        load.ok = False
        return load

    summary = runs.run_summary(ctx.dataset, key)
    load.num_samples = summary["num_samples"] or 0
    inputs.view(
        "run_notice",
        types.Notice(
            label="'%s': %s samples, fields %s"
            % (
                key,
                summary["num_samples"],
                ", ".join(summary["label_fields"]),
            ),
            description="Label Studio project: %s%s"
            % (
                (
                    "'%s' " % summary["project_name"]
                    if summary["project_name"]
                    else ""
                ),
                summary["project_url"] or "unknown",
            ),
        ),
    )

    if summary["project_id"] is None:
        forms.error(
            inputs,
            "project_error",
            "The Label Studio project of '%s' was deleted: there is "
            "nothing to load" % key,
        )
        ok = False

    load.annotator = _annotator_input(ctx, inputs, conn)

    schema = ctx.dataset.get_annotation_info(key).config.label_schema or {}
    load.dest_field = {}
    if load.annotator == EVERY_ANNOTATOR:
        inputs.view(
            "every_annotator_notice",
            types.Notice(
                label="Each person's annotations go into fields of their "
                "own: %s"
                % ", ".join("%s_<annotator>" % f for f in sorted(schema)),
                description="e.g. ground_truth_alice; loading again "
                "updates the same fields",
            ),
        )
    for name in sorted(schema) if load.annotator != EVERY_ANNOTATOR else []:
        dest, dest_ok = _dest_input(ctx, inputs, name, schema[name])
        ok &= dest_ok
        if dest_ok:
            load.dest_field[name] = dest

    choices = types.RadioGroup(orientation="horizontal")
    for value, label, description in UNEXPECTED:
        choices.add_choice(value, label=label, description=description)
    inputs.enum(
        "unexpected",
        choices.values(),
        default="keep",
        required=False,
        label="Unexpected labels (unknown classes or controls)",
        view=choices,
    )
    load.unexpected = ctx.params.get("unexpected") or "keep"

    inputs.bool(
        "cleanup",
        default=False,
        label="Delete the Label Studio project afterwards",
        description="Removes its tasks and annotations from Label Studio "
        "once they are in FiftyOne",
        view=types.CheckboxView(),
    )
    load.cleanup = bool(ctx.params.get("cleanup", False))

    inputs.bool(
        "full",
        default=False,
        label="Re-read every task",
        description="By default only the tasks changed in Label Studio "
        "since the last load are read and merged",
        view=types.CheckboxView(),
    )
    load.full = bool(ctx.params.get("full", False))
    load.ok = bool(ok)
    return load


def _dest_input(ctx, inputs, name, spec):
    param = _dest_param(name)
    prop = inputs.str(
        param,
        default=name,
        required=False,
        label="Write '%s' into" % name,
        description="The field that receives the annotations of '%s'" % name,
    )
    dest = (ctx.params.get(param) or name).strip()
    problem = _dest_problem(ctx.dataset, dest, spec.get("type"), name)
    if problem:
        prop.invalid = True
        prop.error_message = problem
        return None, False
    return dest, True


def _dest_problem(dataset, dest, label_type, source=""):
    """Checks that hold whenever the load runs (also delegated, later)."""
    if not label_form.valid_field_name(dest, dataset.media_type):
        return "Use letters, digits and underscores, starting with a letter"
    if label_form.is_frame_field(dest) != label_form.is_frame_field(source):
        return (
            "Frame labels load into frame fields (frames.<name>) and "
            "sample labels into sample fields"
        )
    if not dataset.has_field(dest):
        return None
    field = dataset.get_field(dest)
    if label_type == "scalar":
        if isinstance(field, label_form.SCALAR_FIELD_TYPES):
            return None
        return "'%s' is not a scalar field" % dest
    cls = _CLS_OF_TYPE.get(label_type)
    if (
        cls is not None
        and isinstance(field, fof.EmbeddedDocumentField)
        and issubclass(field.document_type, cls)
    ):
        return None
    return "'%s' exists and does not hold %s labels" % (dest, label_type)


def _annotator_input(ctx, inputs, conn):
    """Latest annotation, or one person's; the people come from Label
    Studio (only the latest is offered if it cannot be reached)."""
    choices = types.DropdownView()
    choices.add_choice(LATEST, label="The latest annotation of each task")
    choices.add_choice(
        EVERY_ANNOTATOR,
        label="Every annotator into their own fields",
        description="<field>_<annotator>, one set of fields per person",
    )
    if conn is not None:
        for email in projects.list_annotators(conn):
            choices.add_choice(email, label="Annotation by %s" % email)
    current = ctx.params.get("annotator") or LATEST
    if current not in choices.values():
        choices.add_choice(current, label="Annotation by %s" % current)
    inputs.enum(
        "annotator",
        choices.values(),
        default=LATEST,
        required=False,
        label="Which annotation",
        description="Tasks can have several annotations",
        view=choices,
    )
    return None if current == LATEST else current


def _outputs(result) -> types.Property:
    outputs = types.Object()
    outputs.str("anno_key", label="Annotation key")
    outputs.int("num_samples", label="Samples in the run")
    table = types.TableView()
    table.add_column("field", label="Field")
    table.add_column("labels_before", label="Labels before")
    table.add_column("labels_after", label="Labels after")
    outputs.list("fields", types.Object(), label="Fields", view=table)
    if result.get("annotator") == EVERY_ANNOTATOR:
        people = types.TableView()
        people.add_column("annotator", label="Annotator")
        people.add_column("fields", label="Fields written")
        people.add_column("labels", label="Labels")
        outputs.list(
            "annotators",
            types.Object(),
            label="Annotators (%d)" % len(result.get("annotators") or []),
            view=people,
        )
    outputs.str("last_loaded", label="Loaded at")
    if result.get("tasks_read") is not None:
        outputs.int(
            "tasks_read",
            label=(
                "Tasks changed since the last load (read)"
                if result.get("incremental")
                else "Tasks read (every task)"
            ),
        )
        outputs.str("read_reason", label="How the tasks were read")
    if result.get("skipped_results"):
        outputs.int(
            "skipped_results",
            label="Label Studio results that did not load as they are",
        )
        outputs.list(
            "skipped_details", types.String(), label="Why (count x control)"
        )
    if result.get("unknown_classes"):
        outputs.list(
            "unknown_classes",
            types.String(),
            label="Labels of classes not in the run's classes",
        )
    return forms.titled(outputs, "Annotations loaded")

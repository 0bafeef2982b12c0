"""``request_annotations``: send samples to a new Label Studio project."""

import fiftyone.operators as foo
import fiftyone.operators.types as types

from ..backend.server_checks import open_polyline_fields
from ..service import projects
from ..service.request import Request, send
from . import (
    cloud_form,
    execution,
    forms,
    label_form,
    ls_projects,
    predictions_form,
)

MEDIA_MODES = [
    (
        "auto",
        "Automatic",
        "URLs stay URLs; local files are served by "
        "Label Studio's local storage when it can reach them, else uploaded",
    ),
    ("upload", "Upload", "Copy the images into Label Studio"),
    (
        "local",
        "Local storage",
        "Label Studio reads the files from its "
        "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT",
    ),
    (
        "url",
        "URLs",
        "The media field holds http(s) URLs Label Studio can open, or "
        "s3:// gs:// azure-blob:// URIs it serves through a cloud storage",
    ),
]


class RequestAnnotations(execution.PythonCallable, foo.Operator):
    @property
    def config(self):
        return execution.long_run_config(
            "request_annotations",
            "Label Studio: request annotations",
            "Send samples to a new (or an existing) Label Studio project",
            "edit_note",
            resolve_execution_options_on_change=True,
        )

    def resolve_input(self, ctx):
        inputs = types.Object()
        forms.build(ctx, build_request, inputs)
        return forms.titled(inputs, "Label Studio: request annotations")

    def resolve_execution_options(self, ctx):
        try:
            num = len(ctx.target_view())
        except Exception:
            num = 0
        return execution.execution_options(num)

    def resolve_run_name(self, ctx):
        return "Label Studio: request '%s'" % ctx.params.get("anno_key", "")

    def execute(self, ctx):
        req = forms.resolved(ctx, build_request, "The request")
        req.cloud_credentials = cloud_form.cloud_credentials(ctx)

        return execution.run_work(ctx, send, req, _outputs)

    def resolve_output(self, ctx):
        return execution.run_output(
            ctx, _outputs, "No annotation run was created"
        )

    def __call__(
        self,
        sample_collection,
        anno_key,
        label_fields,
        project_name=None,
        project_id=None,
        media_field=None,
        media_mode="auto",
        send_existing=True,
        cloud_storage_id=None,
        polylines_as_polygons=False,
        selected=None,
        delegate=False,
        delegation_target=None,
        predictions_field=None,
        model_version=None,
    ):
        """Requests annotations from Python.

        ``label_fields``: ``{field: {"type": ..., "classes": [...],
        "mask_targets": {...}}}`` (existing fields need only ``{}``).
        ``project_id``: add the tasks to this existing Label Studio project
        (its labeling config must cover the fields). Returns the result dict (or the queued operation if ``delegate``).
        """
        dataset = sample_collection._root_dataset
        params = label_form.params_for_fields(dataset, label_fields)
        params.update(
            anno_key=anno_key,
            project_name=project_name or "",
            media_mode=media_mode,
            send_existing=send_existing,
            polylines_as_polygons=polylines_as_polygons,
            open_in_labelstudio=False,
        )
        if media_field:
            params["media_field"] = media_field
        if predictions_field:
            params["predictions_field"] = predictions_field
            params["model_version"] = model_version or ""
        if project_id is not None:
            params.update(existing_project=True, project_id=str(project_id))
        if cloud_storage_id is not None:
            params["cloud_storage_id"] = int(cloud_storage_id)
        return self._call(
            sample_collection,
            params,
            delegate=delegate,
            delegation_target=delegation_target,
            selected=selected,
        )


def build_request(ctx, inputs, conn) -> Request:
    """Builds the form in ``inputs`` and returns what it resolved;
    ``conn``: the execution's connection (None: the form says why)."""
    req = Request()
    ok = True
    req.credentials = conn.credentials if conn is not None else None
    ok &= conn is not None

    inputs.view_target(ctx, action_description="Annotate")
    target = ctx.target_view()
    req.target = target
    req.num_samples = n = len(target)
    ok &= _target_notice(ctx, inputs, target, n)

    req.anno_key = forms.new_key(
        ctx,
        inputs,
        "anno_key",
        label="Annotation key",
        description="The name of this annotation run in FiftyOne",
        default=forms.next_free_key(ctx.dataset),
    )
    ok &= req.anno_key is not None

    req.label_schema = label_form.label_schema_inputs(ctx, inputs, target)
    ok &= req.label_schema is not None
    req.predictions = predictions_form.predictions_inputs(
        ctx, inputs, target, req.label_schema
    )
    ok &= req.predictions is not None

    inputs.view(
        "options_header", types.Header(label="Label Studio", divider=True)
    )
    project_ok = _project_inputs(ctx, inputs, req, conn)
    ok &= project_ok

    req.media_field, media_ok = _media_field_input(ctx, inputs)
    ok &= media_ok
    if media_ok and n:
        req.cloud_storage_id = cloud_form.cloud_inputs(
            ctx, inputs, target, req.media_field, req.project_id is not None
        )

    modes = types.RadioGroup(orientation="vertical")
    for value, label, description in MEDIA_MODES:
        modes.add_choice(value, label=label, description=description)
    inputs.enum(
        "media_mode",
        modes.values(),
        default="auto",
        required=False,
        label="Media handling",
        description="How Label Studio gets the images",
        view=modes,
    )
    req.media_mode = ctx.params.get("media_mode") or "auto"

    if ctx.params.get("existing_fields"):
        inputs.bool(
            "send_existing",
            default=True,
            label="Send existing labels",
            description=(
                "Show the existing labels of the chosen fields in Label "
                "Studio as pre-annotations to edit"
            ),
            view=types.CheckboxView(),
        )
    req.send_existing = bool(ctx.params.get("send_existing", True))
    req.polylines_as_polygons = _polylines_input(ctx, inputs, req)

    inputs.bool(
        "open_in_labelstudio",
        default=True,
        label="Open Label Studio afterwards",
        description="Show a button that opens the new project in your "
        "browser when the run is done",
        view=types.CheckboxView(),
    )
    req.open_after = bool(ctx.params.get("open_in_labelstudio", True))
    req.ok = bool(ok)
    return req


def _project_inputs(ctx, inputs, req: Request, conn) -> bool:
    """A new project's name, or an existing project (issue 7) whose
    labeling config is checked against the fields right here."""
    inputs.bool(
        "existing_project",
        default=False,
        label="Add to an existing Label Studio project",
        description="Its labeling config must cover the label fields; "
        "deleting the run later deletes only the tasks it added",
        view=types.CheckboxView(),
    )
    if not ctx.params.get("existing_project", False):
        inputs.str(
            "project_name",
            default="",
            label="Project name",
            description="Title of the new project (default: FiftyOne_%s)"
            % ctx.dataset.name,
        )
        req.project_name = (
            ctx.params.get("project_name") or ""
        ).strip() or None
        return True

    req.project_id = ls_projects.project_input(
        ctx,
        inputs,
        conn,
        label="Existing Label Studio project",
        description="The tasks are added to this project",
    )
    if req.project_id is None:
        return False
    if conn is None or req.label_schema is None:
        return True  # those errors are shown already
    problem = projects.coverage_problem(
        conn, req.target, req.label_schema, req.project_id
    )
    if problem:
        forms.error(inputs, "project_error", problem)
        return False
    return True


def _target_notice(ctx, inputs, target, n) -> bool:
    if n == 0:
        forms.error(inputs, "target_error", "There are no samples to send")
        return False
    media_types = label_form.supported_media_types()
    if target.media_type not in media_types:
        forms.error(
            inputs,
            "target_error",
            "Label Studio runs annotate %s; this collection's media type "
            "is '%s'" % (" and ".join(media_types), target.media_type),
        )
        return False
    label = "%d sample%s will be sent to Label Studio" % (
        n,
        "" if n == 1 else "s",
    )
    description = None
    if execution.delegate_by_default(n):
        description = (
            "More than %d samples: this runs in the background by default "
            "(a `fiftyone delegated launch` worker executes it)"
            % execution.DELEGATE_ABOVE_NUM_SAMPLES
        )
    inputs.view(
        "num_samples_notice",
        types.Notice(label=label, description=description),
    )
    return True


def _media_field_input(ctx, inputs):
    media_fields = list(ctx.dataset.app_config.media_fields or ["filepath"])
    if len(media_fields) <= 1:
        return "filepath", True
    choices = types.DropdownView()
    for name in media_fields:
        choices.add_choice(name, label=name)
    inputs.enum(
        "media_field",
        choices.values(),
        default="filepath",
        required=False,
        label="Media field",
        description="The field whose images are annotated",
        view=choices,
    )
    value = ctx.params.get("media_field") or "filepath"
    return value, value in media_fields


def _polylines_input(ctx, inputs, req: Request) -> bool:
    """The choice for servers without VectorLabels (Label Studio < 1.23):
    offered when the schema has open-polyline fields."""
    schema = req.label_schema or {}
    if not open_polyline_fields(schema):
        return False
    inputs.bool(
        "polylines_as_polygons",
        default=False,
        label="Send open polylines as polygons",
        description=(
            "Needed for Label Studio older than 1.23 (its editor cannot "
            "show open polylines): annotate them as polygons; they load "
            "back as open polylines"
        ),
        view=types.CheckboxView(),
    )
    return bool(ctx.params.get("polylines_as_polygons", False))


def _outputs(result) -> types.Property:
    outputs = types.Object()
    outputs.str("anno_key", label="Annotation key")
    outputs.int("num_samples", label="Samples sent")
    outputs.str(
        "project_name",
        label=(
            "Existing project" if result.get("existing_project") else "Project"
        ),
    )
    outputs.str("project_url", label="Label Studio project")
    if result.get("open_in_labelstudio", True):
        forms.open_project_button(outputs, result.get("project_url"))
    return forms.titled(outputs, "Annotation run created")

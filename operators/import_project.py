"""``import_project``: a Label Studio project's annotations (made with
this plugin or by hand) into new fields of the dataset (issue 7)."""

import fiftyone.operators as foo
import fiftyone.operators.types as types

from ..backend.import_project import infer_schema
from ..converters.names import control_name
from ..service import projects
from ..service.import_project import Import, run_import
from . import execution, forms, label_form, ls_projects, view_form
from .import_outputs import outputs as _outputs

MATCH_MODES = [
    (
        "filename",
        "File name",
        "The task's image file name equals the sample's (Label Studio's "
        "upload prefix is ignored)",
    ),
    (
        "sample_id",
        "Sample id",
        "Tasks made by this plugin carry their sample's id",
    ),
    (
        "filepath",
        "File path",
        "The task's image URL or local-files path is the sample's filepath",
    ),
]
# BrushLabels controls can load as either
BRUSH_TYPES = [
    ("instances", "Instance masks (Detections)"),
    ("segmentation", "Semantic segmentation"),
]


class ImportProject(execution.PythonCallable, foo.Operator):
    @property
    def config(self):
        return execution.long_run_config(
            "import_project",
            "Label Studio: import a project",
            "Load the annotations of any Label Studio project into new "
            "fields",
            "move_to_inbox",
        )

    def resolve_input(self, ctx):
        inputs = types.Object()
        forms.build(ctx, build_import, inputs)
        return forms.titled(inputs, "Label Studio: import a project")

    def resolve_run_name(self, ctx):
        return "Label Studio: import project %s" % ctx.params.get(
            "project_id", ""
        )

    def execute(self, ctx):
        imp = forms.resolved(ctx, build_import, "The import")

        return execution.run_work(
            ctx, run_import, imp, _outputs, reload_dataset=True
        )

    def resolve_output(self, ctx):
        return execution.run_output(ctx, _outputs, "Nothing was imported")

    def __call__(
        self,
        sample_collection,
        project_id,
        match="filename",
        label_field=None,
        anno_key=None,
        overwrite=False,
        label_types=None,
        delegate=False,
        delegation_target=None,
        view=None,
    ):
        """Imports from Python. ``label_field``: ``{control: field}``
        (only those controls; default every control into a field of its
        name). Returns the report dict."""
        params = dict(
            project_id=str(project_id),
            match=match,
            anno_key=anno_key or "",
            overwrite=overwrite,
        )
        if view is not None:
            params["view"] = str(view)
        if label_field is not None:
            params["controls"] = list(label_field)
            for control, name in label_field.items():
                params[_field_param(control)] = name
        for control, label_type in (label_types or {}).items():
            params[_type_param(control)] = label_type
        return self._call(
            sample_collection,
            params,
            delegate=delegate,
            delegation_target=delegation_target,
        )


def _field_param(control):
    return "into__" + label_form.field_key(control)


def _type_param(control):
    return "type__" + label_form.field_key(control)


def build_import(ctx, inputs, conn) -> Import:
    """Builds the form in ``inputs`` and returns what it resolved;
    ``conn``: the execution's connection (None: the form says why)."""
    imp = Import()
    if conn is None:
        return imp
    imp.credentials = conn.credentials

    inputs.view_target(ctx, action_description="Match against")
    imp.target = target = ctx.target_view()
    if target.media_type != "image":
        forms.error(
            inputs,
            "target_error",
            "Projects import into image samples; this collection's media "
            "type is '%s'" % target.media_type,
        )
        return imp

    imp.project_id = ls_projects.project_input(
        ctx,
        inputs,
        conn,
        label="Label Studio project",
        description="The project whose annotations to import",
    )
    if imp.project_id is None:
        return imp
    project, problem = projects.get_project(conn, imp.project_id)
    if problem:
        forms.error(inputs, "project_error", problem)
        return imp

    imp.view, ok = view_form.view_input(ctx, inputs, conn, imp.project_id)
    ok &= _match_input(ctx, inputs, imp)
    schema = _controls_inputs(ctx, inputs, imp, project)
    ok &= schema is not None
    ok &= _run_key_input(ctx, inputs, imp)
    imp.ok = bool(ok)
    return imp


def _match_input(ctx, inputs, imp) -> bool:
    choices = types.RadioGroup(orientation="vertical")
    for value, label, description in MATCH_MODES:
        choices.add_choice(value, label=label, description=description)
    inputs.enum(
        "match",
        choices.values(),
        default="filename",
        required=False,
        label="Match tasks to samples by",
        view=choices,
    )
    imp.match = ctx.params.get("match") or "filename"
    return imp.match in choices.values()


def _controls_inputs(ctx, inputs, imp, project):
    """One field name per importable control (empty: skip it); returns
    the inferred schema or None when invalid."""
    brush = {}
    try:
        schema, skipped = infer_schema(project.get("label_config") or "")
    except Exception as e:
        forms.error(
            inputs,
            "config_error",
            "The project's labeling config does not parse (%s)"
            % type(e).__name__,
        )
        return None
    if skipped:
        inputs.view(
            "skipped_controls",
            types.Notice(
                label="Not imported: %s"
                % "; ".join("%s (%s)" % kv for kv in sorted(skipped.items()))
            ),
        )
    if not schema:
        forms.error(
            inputs,
            "no_controls",
            "Project %s has no control this plugin can import"
            % imp.project_id,
        )
        return None

    inputs.view(
        "fields_header",
        types.Header(label="Label fields", divider=True),
    )
    only = ctx.params.get("controls")  # Python callers: these controls
    imp.overwrite = bool(ctx.params.get("overwrite", False))
    unknown = sorted(set(only or []) - set(schema))
    if unknown:
        forms.error(
            inputs,
            "unknown_controls",
            "The project has no importable control %s (it has %s)"
            % (", ".join(unknown), ", ".join(sorted(schema))),
        )
        return None
    dataset = ctx.dataset
    ok, imp.label_field, imp.label_types, used = True, {}, {}, set()
    for control in sorted(schema):
        if only is not None and control not in only:
            continue
        entry = schema[control]
        default = control if label_form.NAME_RE.match(control) else ""
        param = _field_param(control)
        prop = inputs.str(
            param,
            default=default,
            required=False,
            label="Field for control '%s'" % control,
            description="%s%s; leave empty to skip this control"
            % (entry["type"], _classes_text(entry.get("classes"))),
        )
        name = (ctx.params.get(param, default) or "").strip()
        problem = _field_problem(dataset, name, used, imp)
        if problem:
            prop.invalid = True
            prop.error_message = problem
            ok = False
        elif name:
            used.add(name)
            imp.label_field[control] = name
        if entry["type"] == "instances":
            brush[control] = _brush_type_input(ctx, inputs, control)
    imp.label_types = {c: t for c, t in brush.items() if t != "instances"}
    inputs.bool(
        "overwrite",
        default=False,
        label="Write into fields that exist",
        description="Replaces their values on the matched samples",
        view=types.CheckboxView(),
    )
    if ok and not imp.label_field:
        forms.error(inputs, "fields_required", "Import at least one control")
        ok = False
    return schema if ok else None


def _classes_text(classes, limit=6) -> str:
    if not classes:
        return ""
    shown = ", ".join(classes[:limit])
    if len(classes) > limit:
        shown += ", ... (%d in all)" % len(classes)
    return " of " + shown


def _field_problem(dataset, name, used, imp):
    if not name:
        return None
    if not label_form.valid_field_name(name):
        return "Use letters, digits and underscores, starting with a letter"
    if name in used:
        return "'%s' is used for another control" % name
    if name in label_form.RESERVED_FIELDS:
        return "'%s' is a reserved field" % name
    if dataset.has_field(name) and not imp.overwrite:
        return (
            "The dataset has a field '%s': choose another name or tick "
            "'Write into fields that exist'" % name
        )
    return None


def _brush_type_input(ctx, inputs, control):
    choices = types.DropdownView()
    for value, label in BRUSH_TYPES:
        choices.add_choice(value, label=label)
    param = _type_param(control)
    inputs.enum(
        param,
        choices.values(),
        default="instances",
        required=False,
        label="Masks of '%s' as" % control,
        view=choices,
    )
    value = ctx.params.get(param) or "instances"
    return value if value in choices.values() else "instances"


def _run_key_input(ctx, inputs, imp) -> bool:
    """An optional annotation key: the import becomes a run that can be
    loaded again (fields must then be named after their controls)."""
    inputs.view(
        "run_header", types.Header(label="Annotation run", divider=True)
    )
    prop = inputs.str(
        "anno_key",
        default="",
        required=False,
        label="Register as annotation run (optional)",
        description="An annotation key: later loads and the runs panel "
        "then work on the import; deleting the run deletes nothing in "
        "Label Studio",
    )
    key = (ctx.params.get("anno_key") or "").strip()
    if not key:
        return True
    problem = forms.validate_new_key(ctx.dataset, key)
    if problem is None:
        renamed = sorted(
            "%s -> %s" % (c, f)
            for c, f in (imp.label_field or {}).items()
            if control_name(f) != c
        )
        if renamed:
            problem = (
                "A run needs each field named after its control; these "
                "differ: %s" % ", ".join(renamed)
            )
    if problem:
        prop.invalid = True
        prop.error_message = problem
        return False
    imp.anno_key = key
    return True

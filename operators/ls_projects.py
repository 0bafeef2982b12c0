"""Choosing a Label Studio project in a form: a dropdown of the server's
projects (titles and ids) when they can be listed, else a number field.
"""

import fiftyone.operators.types as types

from ..service import projects


def project_label(project_id: int, title: str) -> str:
    return "%s (#%d)" % (title, project_id) if title else "#%d" % project_id


def parse_project_id(value):
    """An int project id from a form value (str, int), or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        project_id = int(str(value).strip())
    except ValueError:
        return None
    return project_id if project_id > 0 else None


def project_input(
    ctx, inputs, conn, name="project_id", label="", description=""
):
    """A required project choice; returns its id or None (invalid or not
    chosen yet). ``conn``: the execution's connection (or None)."""
    listed = projects.list_projects(conn)
    current = ctx.params.get(name)
    if listed is None:
        prop = inputs.int(
            name,
            required=True,
            min=1,
            label=label,
            description=(
                description + " (the number in its URL, " ".../projects/<id>)"
            ).strip(),
        )
        project_id = parse_project_id(current)
        if current not in (None, "") and project_id is None:
            prop.invalid = True
            prop.error_message = "Enter a project id (a positive number)"
        return project_id

    choices = types.DropdownView()
    for project_id, title in listed:
        choices.add_choice(
            str(project_id), label=project_label(project_id, title)
        )
    project_id = parse_project_id(current)
    if project_id is not None and str(project_id) not in choices.values():
        # chosen before (Python caller, delegated re-validation) or not
        # among the listed ones: the run's checks say if it exists
        choices.add_choice(str(project_id), label="#%d" % project_id)
    if not listed:
        inputs.view(
            name + "_none",
            types.Warning(
                label="Label Studio has no projects that this API key's "
                "user can see"
            ),
        )
    inputs.enum(
        name,
        choices.values(),
        required=True,
        label=label,
        description=description,
        view=choices,
    )
    return project_id

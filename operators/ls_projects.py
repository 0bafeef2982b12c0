"""Choosing a Label Studio project in a form: a dropdown of the server's
projects (titles and ids) when they can be listed, else a number field;
and the cheap check that a project's labeling config covers a schema.
"""

import fiftyone.operators.types as types

from . import runs

# More projects than this are not listed (the newest are); a chosen id
# outside the list is still accepted
MAX_LISTED = 500
_TIMEOUT = 10.0


def _client(credentials: runs.Credentials):
    from ..client import LabelStudioClient

    return LabelStudioClient(
        credentials.url, credentials.api_key, timeout=_TIMEOUT
    )


def list_projects(credentials: runs.Credentials):
    """``[(id, title)]`` of the server's projects, newest first, or None
    when they cannot be listed."""
    if credentials is None:
        return None
    try:
        projects = _client(credentials).list_projects()
    except Exception:  # the credentials check already names problems
        return None
    listed = [(int(p["id"]), str(p.get("title") or "")) for p in projects]
    return sorted(listed, reverse=True)[:MAX_LISTED]


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
    ctx, inputs, credentials, name="project_id", label="", description=""
):
    """A required project choice; returns its id or None (invalid or not
    chosen yet)."""
    projects = list_projects(credentials)
    current = ctx.params.get(name)
    if projects is None:
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
    for project_id, title in projects:
        choices.add_choice(
            str(project_id), label=project_label(project_id, title)
        )
    project_id = parse_project_id(current)
    if project_id is not None and str(project_id) not in choices.values():
        # chosen before (Python caller, delegated re-validation) or not
        # among the listed ones: the run's checks say if it exists
        choices.add_choice(str(project_id), label="#%d" % project_id)
    if not projects:
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


def get_project(credentials, project_id: int):
    """``(project dict, problem)``: the project, or a sentence saying why
    it cannot be read."""
    from ..client import errors as ls_errors

    try:
        return _client(credentials).get_project(int(project_id)), None
    except ls_errors.LabelStudioNotFoundError:
        return None, (
            "Label Studio at %s has no project %s (or the API key's user "
            "cannot see it)" % (credentials.url, project_id)
        )
    except ls_errors.LabelStudioError as e:
        return None, str(e)
    except Exception as e:
        return None, "Cannot read project %s (%s)" % (
            project_id,
            type(e).__name__,
        )


def coverage_problem(credentials, samples, label_schema, project_id):
    """Why project ``project_id`` cannot take tasks for ``label_schema``
    (the backend's own check, run early), or None. A schema the check
    cannot judge here is left to the run, which checks again."""
    from ..backend.existing_project import (
        coverage_problems,
        expected_config,
    )

    project, problem = get_project(credentials, project_id)
    if problem:
        return problem
    try:
        expected = expected_config(samples, label_schema)
        problems = coverage_problems(
            expected, project.get("label_config") or ""
        )
    except Exception:
        return None
    if not problems:
        return None
    return (
        "Project %s ('%s') does not cover these label fields; its labeling "
        "config needs: %s. Add them in the project's Settings > Labeling "
        "Interface, or choose fields the project covers"
        % (project_id, project.get("title"), "; ".join(problems))
    )

"""What the forms look up on the Label Studio server: its projects, a
project and whether its labeling config covers a label schema, a
project's Data Manager tabs, and the organization's annotators. Each
call uses the execution's :class:`~.connection.Connection`.
"""

from ..backend.existing_project import coverage_problems, expected_config
from ..client import errors as ls_errors
from .connection import Connection

# More projects than this are not listed (the newest are); a chosen id
# outside the list is still accepted
MAX_LISTED = 500


def list_projects(conn: Connection):
    """``[(id, title)]`` of the server's projects, newest first, or None
    when they cannot be listed."""
    if conn is None:
        return None
    try:
        projects = conn.client.list_projects()
    except Exception:  # the connection check already names problems
        return None
    listed = [(int(p["id"]), str(p.get("title") or "")) for p in projects]
    return sorted(listed, reverse=True)[:MAX_LISTED]


def get_project(conn: Connection, project_id: int):
    """``(project dict, problem)``: the project, or a sentence saying why
    it cannot be read."""
    try:
        return conn.client.get_project(int(project_id)), None
    except ls_errors.LabelStudioNotFoundError:
        return None, (
            "Label Studio at %s has no project %s (or the API key's user "
            "cannot see it)" % (conn.url, project_id)
        )
    except ls_errors.LabelStudioError as e:
        return None, str(e)
    except Exception as e:
        return None, "Cannot read project %s (%s)" % (
            project_id,
            type(e).__name__,
        )


def coverage_problem(conn: Connection, samples, label_schema, project_id):
    """Why project ``project_id`` cannot take tasks for ``label_schema``
    (the backend's own check, run early), or None. A schema the check
    cannot judge here is left to the run, which checks again."""
    project, problem = get_project(conn, project_id)
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


def list_tabs(conn: Connection, project_id: int) -> list:
    """The project's Data Manager tabs (``{"id", "title", ...}``); raises
    when they cannot be read."""
    return conn.client.list_views(int(project_id))


def list_annotators(conn: Connection) -> list:
    """E-mails (or user names) of the organization's users, sorted; empty
    when Label Studio cannot be asked."""
    try:
        users = conn.client.list_users().values()
    except Exception:
        return []
    names = set()
    for user in users:
        if isinstance(user, dict):
            user = user.get("email") or user.get("username")
        if user:
            names.add(str(user))
    return sorted(names)

"""The import form's Data Manager tab dropdown (issue 16): every tab of
the chosen project, or all tasks."""

from typing import Optional

import fiftyone.operators.types as types

from ..service import projects
from . import forms

ALL = "all"


def view_input(ctx, inputs, conn, project_id) -> tuple:
    """``(tab id or None, ok)``; lists the project's tabs."""
    try:
        tabs = projects.list_tabs(conn, project_id)
    except Exception as e:  # the tab list is optional; say why it is empty
        forms.error(
            inputs,
            "view_error",
            "Cannot list the Data Manager tabs of project %s (%s)"
            % (project_id, type(e).__name__),
        )
        return None, False
    choices = types.DropdownView()
    choices.add_choice(ALL, label="All tasks")
    for tab in tabs:
        choices.add_choice(
            str(tab["id"]), label="%s (tab %d)" % (tab["title"], tab["id"])
        )
    inputs.enum(
        "view",
        choices.values(),
        default=ALL,
        required=False,
        label="Data Manager tab",
        description=(
            "Import only the tasks of this tab of the project (its "
            "filters and ordering, e.g. the least confident first)"
        ),
        view=choices,
    )
    value: Optional[str] = ctx.params.get("view") or ALL
    if value == ALL:
        return None, True
    if value not in {str(t["id"]) for t in tabs}:
        forms.error(
            inputs,
            "view_error",
            "Project %s has no tab %s" % (project_id, value),
        )
        return None, False
    return int(value), True

"""Form pieces shared by the operators: credentials, run pickers, keys,
links. Each adds inputs to a ``types.Object`` and reports problems as form
errors (``invalid`` + ``error_message``), never as exceptions.
"""

import contextlib
import re

import fiftyone.operators.types as types

from .. import constants
from ..service import connection as ls_connection
from ..service import runs

_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def error(inputs, name, message, description=None):
    """An error shown in the form that also blocks execution."""
    prop = inputs.view(
        name, types.Error(label=message, description=description)
    )
    prop.invalid = True
    prop.error_message = message
    return prop


@contextlib.contextmanager
def connection(ctx, inputs, check=True):
    """Yields this execution's :class:`~..service.connection.Connection`
    (closed after the block), checked with Label Studio when ``check``
    (once per change of credentials); yields None when the secrets are
    missing or do not work (an error is in the form)."""
    creds, problem = ls_connection.get_credentials(ctx)
    if problem is not None:
        error(inputs, "credentials_error", problem)
        yield None
        return
    with ls_connection.Connection(creds) as conn:
        if check:
            _, problem = ls_connection.check_connection(conn)
        if problem is not None:
            error(inputs, "credentials_error", problem)
            conn = None
        yield conn


def build(ctx, builder, inputs=None):
    """``builder(ctx, inputs, conn)`` with this execution's connection
    (closed after); returns what the form resolved."""
    inputs = types.Object() if inputs is None else inputs
    with connection(ctx, inputs) as conn:
        return builder(ctx, inputs, conn)


def resolved(ctx, builder, what: str):
    """What the form resolves, for ``execute``; raises when the form has
    errors (a Python caller's params are not validated by the App)."""
    result = build(ctx, builder)
    if not result.ok:
        raise ValueError("%s is incomplete: check the form" % what)
    return result


def check_credentials(ctx, inputs) -> bool:
    """Adds the credentials error to the form when the secrets are
    missing or do not work; True when they work."""
    with connection(ctx, inputs) as conn:
        return conn is not None


def run_key(ctx, inputs, name="anno_key", label="Annotation run"):
    """A dropdown of this backend's runs. Returns the chosen key or None."""
    keys = runs.list_runs(ctx.dataset)
    if not keys:
        prop = inputs.view(
            "no_runs",
            types.Warning(
                label="This dataset has no Label Studio annotation runs",
                description=(
                    "Request annotations first (operator 'Label Studio: "
                    "request annotations')."
                ),
            ),
        )
        prop.invalid = True
        prop.error_message = "No Label Studio annotation runs"
        return None

    choices = types.DropdownView()
    for key in keys:
        choices.add_choice(key, label=key)
    default = keys[-1] if len(keys) == 1 else None
    inputs.enum(
        name,
        choices.values(),
        required=True,
        default=default,
        label=label,
        description="A Label Studio run of this dataset",
        view=choices,
    )
    key = ctx.params.get(name) or default
    return key if key in keys else None


def validate_new_key(dataset, key):
    """Returns an error sentence for a new annotation key, or None."""
    if not key:
        return "Enter an annotation key"
    if not _KEY_RE.match(key):
        return (
            "Use letters, digits and underscores only, not starting with a "
            "digit"
        )
    if key in dataset.list_annotation_runs():
        return "The dataset already has an annotation run '%s'" % key
    return None


def new_key(ctx, inputs, name, label, description, default=None):
    """A text input for a new annotation key, validated as the user types.

    Returns the key when valid, else None.
    """
    prop = inputs.str(
        name,
        required=default is None,
        default=default,
        label=label,
        description=description,
    )
    key = ctx.params.get(name, default)
    problem = validate_new_key(ctx.dataset, key)
    if problem is not None:
        prop.invalid = True
        prop.error_message = problem
        return None
    return key


def next_free_key(dataset, prefix="labelstudio") -> str:
    """``labelstudio_1``, ``labelstudio_2``, ...: the first unused key."""
    existing = set(dataset.list_annotation_runs())
    i = 1
    while "%s_%d" % (prefix, i) in existing:
        i += 1
    return "%s_%d" % (prefix, i)


def titled(inputs, label) -> types.Property:
    """A form (or an output) with a title."""
    return types.Property(inputs, view=types.View(label=label))


def link_button(inputs, name, url, label, description=None):
    """A button that opens ``url`` in a new tab of the user's browser."""
    return inputs.view(
        name,
        types.Button(
            label=label,
            href=url,
            icon="open_in_new",
            variant="contained",
            description=description,
            componentsProps={
                "button": {"target": "_blank", "rel": "noopener noreferrer"}
            },
        ),
    )


def open_project_button(outputs, url):
    """The "Open in Label Studio" button of an output (nothing without a
    URL)."""
    if url:
        link_button(outputs, "open_project", url, "Open in Label Studio")


def project_link(inputs, name, summary, label=None):
    """A link button to the run's project, or a notice when unknown."""
    url = summary.get("project_url")
    if url:
        return link_button(
            inputs,
            name,
            url,
            label or "Open '%s' in Label Studio" % summary["key"],
            description=url,
        )
    return inputs.view(
        name,
        types.Warning(
            label="The Label Studio project of '%s' is unknown"
            % summary["key"]
        ),
    )


def secret_names() -> str:
    return "%s, %s" % (constants.SECRET_URL, constants.SECRET_API_KEY)

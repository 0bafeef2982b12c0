"""The one exception type the backend raises for problems a user can fix."""


class LabelStudioBackendError(ValueError):
    """A problem with an annotation run's input, server or project.

    Messages name the problem and the fix, and never contain the API key.
    It subclasses ``ValueError`` because FiftyOne raises ``ValueError`` for
    the same kinds of bad input.
    """

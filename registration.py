"""Registers every operator and panel of the plugin."""


def register_all(p) -> None:
    # deferred: only the App's plugin loader needs the operators and panels
    from .operators import OPERATORS
    from .panels import PANELS

    for cls in OPERATORS + PANELS:
        p.register(cls)

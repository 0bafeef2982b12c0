"""Registers every operator and panel of the plugin."""


def register_all(p) -> None:
    from .operators import OPERATORS
    from .panels import PANELS

    for cls in OPERATORS + PANELS:
        p.register(cls)

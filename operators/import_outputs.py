"""How the report of the ``import_project`` operator shows in the App
(``service.import_project.run_import`` makes it)."""

import fiftyone.operators.types as types

from ..service.import_project import MAX_LISTED


def outputs(result) -> types.Property:
    """The App's view of ``run_import``'s result."""
    shown = types.Object()
    shown.str("view", label="Data Manager tab")
    shown.int("tasks", label="Tasks in the project (or tab)")
    shown.int("matched", label="Matched to samples")
    shown.int("loaded", label="Annotated tasks loaded")
    shown.int("unmatched", label="Matched no sample")
    if result.get("ambiguous"):
        shown.int("ambiguous", label="Matched several samples")
    table = types.TableView()
    table.add_column("control", label="Control")
    table.add_column("field", label="Field")
    table.add_column("labels", label="Labels")
    shown.list("labels", types.Object(), label="Fields", view=table)
    if result.get("unmatched_images"):
        shown.list(
            "unmatched_images",
            types.String(),
            label="Images without a sample (first %d)" % MAX_LISTED,
        )
    if result.get("skipped_results"):
        shown.int("skipped_results", label="Results that did not load")
        shown.list("problems", types.String(), label="Why")
    if result.get("unknown_classes"):
        shown.list(
            "unknown_classes",
            types.String(),
            label="Classes not in the project's config",
        )
    if result.get("anno_key"):
        shown.str("anno_key", label="Registered as annotation run")
    return types.Property(
        shown, view=types.View(label="Label Studio project imported")
    )

"""Importing a Label Studio project's annotations (made with this plugin
or by hand) into fields of a collection: what an import holds, and
running it."""

from dataclasses import dataclass, field

from ..backend.import_project import import_project
from .connection import Credentials

MAX_LISTED = 20  # unmatched images listed in the result


@dataclass
class Import:
    """Everything the import form resolved."""

    ok: bool = False
    target: object = None
    project_id: int = None
    match: str = "filename"
    label_field: dict = None  # {control: field}
    label_types: dict = None  # {control: type} overrides
    anno_key: str = None
    overwrite: bool = False
    view: int = None  # a Data Manager tab id (view_form)
    credentials: Credentials = field(default=None, repr=False)


def run_import(dataset, imp: Import, report, delegated: bool = False) -> dict:
    """Runs the import ``imp``; returns the JSON-ready report."""
    report(
        0.0, "Importing Label Studio project %s" % imp.project_id, force=True
    )
    out = import_project(
        imp.target,
        imp.project_id,
        label_field=dict(imp.label_field),
        match=imp.match,
        label_types=dict(imp.label_types) or None,
        anno_key=imp.anno_key,
        overwrite=imp.overwrite,
        view=imp.view,
        **imp.credentials.kwargs(),
    )
    dataset.reload()
    unmatched = out["unmatched"] + out["ambiguous"]
    return {
        "project_id": out["project_id"],
        "anno_key": imp.anno_key or "",
        "match": imp.match,
        "tasks": out["tasks"],
        "view": (out.get("view") or {}).get("title") or "all tasks",
        "matched": out["matched"],
        "loaded": out["loaded"],
        "unannotated": out["unannotated"],
        "unmatched": len(out["unmatched"]),
        "ambiguous": len(out["ambiguous"]),
        "unmatched_images": [
            str(t.get("image")) for t in unmatched[:MAX_LISTED]
        ],
        "labels": [
            {"control": c, "field": f, "labels": out["labels"].get(f, 0)}
            for c, f in sorted(out["fields"].items())
        ],
        "skipped_results": out["skipped_results"],
        "problems": list(out["problems"]),
        "unknown_classes": [
            _unknown_classes_line(name, entry)
            for name, entry in sorted(out["unknown_classes"].items())
        ],
        "delegated": bool(delegated),
    }


def _unknown_classes_line(name, entry) -> str:
    return "%s: %s (%s)" % (
        name,
        ", ".join("%r x%d" % kv for kv in sorted(entry["classes"].items())),
        {"keep": "imported, classes added"}.get(
            entry["action"], entry["action"]
        ),
    )

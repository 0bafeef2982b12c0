"""Grouped datasets: one Label Studio task per group, one image per slice.

A group task is the single-image tasks of its slices
(:func:`.task_build.sample_to_task`) put side by side: every name of the
single-image labeling config (the ``image`` tag, each control, each
attribute control) gets a per-slice name, ``<name>_<slice>``
(:func:`slice_names`; sanitized and hashed like
:func:`.names.control_name` when the slice name is not an identifier), and
each slice's controls point at its own ``Image``::

    {"data": {"image_left": <url>, "image_right": <url>,
              "fiftyone": {"group_id": ...,
                           "slices": {"left": <the slice task's meta>,
                                      "right": ...}}},
     "predictions": [{"model_version": "fiftyone",
                      "result": [<every slice's regions, renamed>]}]}

:func:`split_group_task` is the inverse: a group task read back from Label
Studio becomes one single-image task per slice that is in it (its results
those whose ``to_name`` is the slice's image, with their single-image
names), so that the load reads each slice exactly as it reads an image
task. Pure functions, no I/O.
"""

import copy
import xml.etree.ElementTree as ET

from .names import IMAGE_TAG_NAME, control_name

META_KEY = "fiftyone"  # == constants.TASK_META_KEY
_RENAMED_ATTRS = ("name", "toName", "whenTagName")


def slice_name(name: str, slice_: str) -> str:
    """The per-slice name of a single-image config name."""
    return control_name("%s_%s" % (name, slice_))


def config_names(label_config: str) -> list:
    """Every tag name of a single-image labeling config, in order."""
    root = ET.fromstring(label_config)
    return [e.get("name") for e in root.iter() if e.get("name") is not None]


def slice_names(label_config: str, slices: list) -> dict:
    """``{slice: {single-image name: per-slice name}}`` for every name of
    ``label_config`` (the ``image`` tag included).

    Raises:
        ValueError: when two names of the group config would be the same
            (the message names them)
    """
    names = config_names(label_config)
    out, seen = {}, {}
    for slice_ in slices:
        out[slice_] = {}
        for name in names:
            renamed = slice_name(name, slice_)
            if renamed in seen and seen[renamed] != (slice_, name):
                raise ValueError(
                    "slice %r name %r and slice %r name %r would both be "
                    "called %r in the Label Studio config; rename the "
                    "field or the slice"
                    % (slice_, name, *seen[renamed], renamed)
                )
            seen[renamed] = (slice_, name)
            out[slice_][name] = renamed
    return out


def group_label_config(label_config: str, names: dict) -> str:
    """The labeling config of a group: per slice a header with its name,
    its ``Image`` and a copy of ``label_config``'s controls bound to it."""
    single = ET.fromstring(label_config)
    view = ET.Element("View")
    for slice_, renames in names.items():
        part = ET.SubElement(view, "View")
        ET.SubElement(part, "Header", value=slice_)
        for child in single:
            element = copy.deepcopy(child)
            for node in element.iter():
                for attr in _RENAMED_ATTRS:
                    value = node.get(attr)
                    if value is not None and value in renames:
                        node.set(attr, renames[value])
                if node.tag == "Image":
                    node.set("value", "$" + renames[IMAGE_TAG_NAME])
            part.append(element)
    return ET.tostring(view, encoding="unicode")


def merge_slice_tasks(group_id: str, tasks: dict, names: dict) -> dict:
    """One group task of ``{slice: single-image task}`` (the slices the
    group has; each task as ``sample_to_task`` builds it)."""
    data, metas, results = {}, {}, []
    for slice_, task in tasks.items():
        renames = names[slice_]
        image = renames[IMAGE_TAG_NAME]
        data[image] = task["data"][IMAGE_TAG_NAME]
        metas[slice_] = task["data"][META_KEY]
        for prediction in task.get("predictions") or []:
            for result in prediction.get("result") or []:
                results.append(_renamed(result, renames, image))
    data[META_KEY] = {"group_id": group_id, "slices": metas}
    task = {"data": data}
    if results:
        task["predictions"] = [
            {
                "model_version": _model_version(tasks),
                "result": results,
            }
        ]
    return task


def is_group_task(data) -> bool:
    """Whether task ``data`` is a group task's."""
    meta = (data or {}).get(META_KEY) if isinstance(data, dict) else None
    return isinstance(meta, dict) and isinstance(meta.get("slices"), dict)


def split_group_task(task: dict, names: dict) -> list:
    """``[(slice, single-image task)]``: the slices of a group task read
    from Label Studio, each with the results bound to its image (renamed
    back; a result of a name the run does not know keeps its name). A
    task that is not a group task comes back as ``[(None, task)]``. Each
    slice task's meta carries ``"slice"``."""
    data = task.get("data") or {}
    if not is_group_task(data):
        return [(None, task)]
    out = []
    for slice_, meta in data[META_KEY]["slices"].items():
        renames = names.get(slice_)
        if renames is None:
            continue  # a slice the run does not send
        back = {v: k for k, v in renames.items()}
        image = renames[IMAGE_TAG_NAME]
        part = {k: v for k, v in task.items() if k != "annotations"}
        part["data"] = {
            IMAGE_TAG_NAME: data.get(image),
            META_KEY: dict(meta, slice=slice_),
        }
        if "annotations" in task:
            part["annotations"] = [
                _annotation_part(a, image, back)
                for a in task.get("annotations") or []
            ]
        out.append((slice_, part))
    return out


def _annotation_part(annotation, image, back) -> dict:
    part = dict(annotation)
    part["result"] = [
        _renamed(r, back, IMAGE_TAG_NAME)
        for r in annotation.get("result") or []
        if r.get("to_name") == image
    ]
    return part


def _renamed(result: dict, renames: dict, to_name: str) -> dict:
    out = dict(result)
    from_name = result.get("from_name")
    out["from_name"] = renames.get(from_name, from_name)
    out["to_name"] = to_name
    return out


def _model_version(tasks: dict) -> str:
    for task in tasks.values():
        for prediction in task.get("predictions") or []:
            if prediction.get("model_version"):
                return prediction["model_version"]
    return "fiftyone"

"""Grouped datasets: one Label Studio task per group, one image per slice.

``prepare_group`` (in ``upload.prepare``, before anything is created)
checks a grouped collection and returns its :class:`GroupPlan`: the
slices sent (every slice of the collection, each an image slice; choose
them with ``dataset.select_group_slices([...], flat=False)``), the view
of their samples (what the media checks, the label reads and the id_map
use: the run's ids are the *slice* samples'), and each group's samples.
What cannot be done is refused with one error: non-image slices (video,
point clouds, 3d), groups that lack a slice, scalar fields (FiftyOne
merges scalars of grouped datasets into one slice only),
``predictions_field`` and ``project_id``.

The tasks are built per slice as image tasks are and merged per group
(``converters.group_tasks``); a load splits each group task back into its
slices' image tasks (:func:`slice_tasks`) and reads them as image tasks.
"""

import dataclasses
from typing import Optional

import fiftyone.core.media as fomm

from ..converters.group_tasks import (
    group_label_config,
    is_group_task,
    merge_slice_tasks,
    slice_names,
    split_group_task,
)
from ..converters.label_config import build_label_config
from .errors import LabelStudioBackendError
from .image_tasks import build_image_tasks

_MAX_LISTED = 3


@dataclasses.dataclass
class GroupPlan:
    """The slices a grouped run sends and its groups, in task order."""

    slices: list
    view: object  # the samples of the sent slices (a flat image view)
    # [(group id, {slice: sample id})], one task each, in order
    groups: list
    names: dict  # {slice: {single-image name: per-slice name}}


def is_grouped(samples) -> bool:
    return samples.media_type == fomm.GROUP


def prepare_group(samples, config) -> Optional[GroupPlan]:
    """The checked plan of a grouped collection, or None for other
    collections. Records the slices sent in ``config.group_slices`` (the
    load renames each slice's results back with them).

    Raises:
        LabelStudioBackendError: one error naming the problem and the fix
    """
    if not is_grouped(samples):
        config.group_slices = None
        return None

    slices = checked_slices(samples)
    _check_options(config)
    view = samples.select_group_slices(slices)
    groups = _groups(samples, view, slices)
    # the slices of a group next to each other: their tasks merge in order
    ordered = [s for _, members in groups for s in members.values()]
    view = view.select(ordered, ordered=True)
    _union_classes(samples, view, config.label_schema)
    try:
        names = slice_names(build_label_config(config.label_schema), slices)
    except ValueError as e:
        raise LabelStudioBackendError(
            "The grouped dataset's labeling config cannot be built: %s" % e
        ) from None
    config.group_slices = slices
    return GroupPlan(slices=slices, view=view, groups=groups, names=names)


def checked_slices(samples) -> list:
    """The slices of a grouped collection, each an image slice.

    Raises:
        LabelStudioBackendError: slices that are not images (naming them
            and how to send the image slices instead)
    """
    media_types = dict(samples.group_media_types)
    slices = list(media_types)
    not_images = {s: t for s, t in media_types.items() if t != "image"}
    if not_images:
        images = [s for s in slices if s not in not_images]
        raise LabelStudioBackendError(
            "Grouped dataset '%s': slice(s) %s are not images (%s). A "
            "Label Studio task of a group shows one image per slice; video, "
            "point-cloud and 3d slices cannot be annotated this way. "
            "Annotate the image slices with "
            "dataset.select_group_slices(%r, flat=False), or a video slice "
            "on its own with dataset.select_group_slices('<slice>')"
            % (
                samples._dataset.name,
                sorted(not_images),
                ", ".join(
                    "%s: %s" % (s, t) for s, t in sorted(not_images.items())
                ),
                images,
            )
        )
    return slices


def _check_options(config) -> None:
    refused = []
    if getattr(config, "predictions_field", None) is not None:
        refused.append("predictions_field")
    if getattr(config, "project_id", None) is not None:
        refused.append("project_id")
    if refused:
        raise LabelStudioBackendError(
            "%s: not supported for grouped datasets (one task per group). "
            "Leave it out, or annotate one slice with "
            "dataset.select_group_slices('<slice>')" % ", ".join(refused)
        )
    scalars = [
        f for f, i in config.label_schema.items() if i.get("type") == "scalar"
    ]
    if scalars:
        raise LabelStudioBackendError(
            "Scalar field(s) %s: not supported for grouped datasets "
            "(FiftyOne merges scalars of a grouped dataset into its active "
            "slice only). Annotate them as a Classification field, or one "
            "slice at a time with dataset.select_group_slices('<slice>')"
            % scalars
        )


def _groups(samples, view, slices) -> list:
    """``[(group id, {slice: sample id})]``; every group must have every
    sent slice."""
    group_field = samples.group_field
    sample_ids, group_ids, names = view.values(
        ["id", group_field + ".id", group_field + ".name"]
    )
    groups = {}
    for sample_id, group_id, name in zip(sample_ids, group_ids, names):
        groups.setdefault(group_id, {})[name] = sample_id
    incomplete = {
        g: [s for s in slices if s not in members]
        for g, members in groups.items()
        if len(members) < len(slices)
    }
    if incomplete:
        listed = sorted(incomplete.items())[:_MAX_LISTED]
        raise LabelStudioBackendError(
            "%d group(s) lack a slice to send (e.g. %s). A group task needs "
            "one image per slice. Annotate the slices every group has with "
            "dataset.select_group_slices([...], flat=False), or a view of "
            "the complete groups"
            % (
                len(incomplete),
                "; ".join("group %s: no %s" % (g, m) for g, m in listed),
            )
        )
    return [(g, {s: m[s] for s in slices}) for g, m in groups.items()]


def _union_classes(samples, view, label_schema) -> None:
    """FiftyOne derives an existing field's classes from the active slice
    only: a derived list gets the classes of every sent slice."""
    for field, info in label_schema.items():
        classes = info.get("classes")
        if not info.get("existing_field") or not isinstance(classes, list):
            continue
        if any(not isinstance(c, str) for c in classes):
            continue  # class groups: given by the user
        _, path = samples._get_label_field_path(field, "label")
        active = sorted(set(samples._dataset.distinct(path)))
        if sorted(classes) != sorted(
            set(active) | set(samples.distinct(path))
        ):
            continue  # given by the user
        info["classes"] = sorted(set(classes) | set(view.distinct(path)))


def group_config(label_schema: dict, plan: GroupPlan) -> str:
    """The group project's labeling config."""
    return group_label_config(build_label_config(label_schema), plan.names)


def build_group_tasks(plan, media_urls, config) -> tuple:
    """``(tasks, id_map)``: one task per group (a generator, as
    ``image_tasks.build_image_tasks``' is); the id_map is keyed by the
    slice samples."""
    group = plan.group
    tasks, id_map = build_image_tasks(group.view, plan, media_urls, config)
    return _merged(tasks, group), id_map


def _merged(tasks, group):
    tasks = iter(tasks)
    for group_id, members in group.groups:
        parts = {slice_: next(tasks) for slice_ in members}
        yield merge_slice_tasks(group_id, parts, group.names)


# -- load ------------------------------------------------------------------


def slice_tasks(results, task) -> list:
    """``[(slice, task)]``: the single-image tasks ``task`` reads as
    (``[(None, task)]`` for a task that is not a group task)."""
    if not is_group_task(task.get("data")):
        return [(None, task)]
    return split_group_task(task, _names(results))


def _names(results) -> dict:
    cached = getattr(results, "_group_names", None)
    if cached is None:
        config = results.config
        slices = getattr(config, "group_slices", None) or []
        cached = slice_names(build_label_config(config.label_schema), slices)
        results._group_names = cached
    return cached

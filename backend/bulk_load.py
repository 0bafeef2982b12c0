"""``load_annotations`` with the bulk merge.

The same call, arguments and result as FiftyOne's
``fiftyone.utils.annotations.load_annotations`` (which
``dataset.load_annotations`` runs), step for step, except that labels of
sample-level fields are merged by :mod:`.bulk_merge` (raw documents, one
bulk write per 1,000 samples) instead of one ``Sample`` save at a time.
Scalars, video frame fields, clips and frames views and the interactive
``unexpected="prompt"`` go through FiftyOne's own functions.
"""

import functools
import logging
from collections import defaultdict
from typing import Optional, Tuple

import eta.core.utils as etau

from . import bulk_merge, download
from .fiftyone_internals import fast_paths_ok, internal
from .load_options import LoadOptions, LoadReport
from .locks import process_lock

logger = logging.getLogger(__name__)


def load_annotations(
    samples,
    anno_key: str,
    dest_field=None,
    unexpected="prompt",
    cleanup: bool = False,
    progress=None,
    **kwargs,
):
    """Downloads a run's annotations and merges them into the dataset.

    Arguments as for ``dataset.load_annotations()``; returns what it
    returns (``None``, or the unexpected labels when
    ``unexpected="return"``).
    """
    returned, _ = load_with_report(
        samples,
        anno_key,
        dest_field=dest_field,
        unexpected=unexpected,
        cleanup=cleanup,
        progress=progress,
        **kwargs,
    )
    return returned


def _one_load_per_run(load):
    """Holds the run's :func:`~.locks.process_lock` around ``load``: a
    live sync in another thread of this process shares the dataset object
    and its run documents, so one load of the run at a time."""

    @functools.wraps(load)
    def locked(samples, anno_key, *args, **kwargs):
        with process_lock(samples._root_dataset, anno_key):
            return load(samples, anno_key, *args, **kwargs)

    return locked


@_one_load_per_run
def load_with_report(
    samples,
    anno_key: str,
    dest_field=None,
    unexpected="prompt",
    cleanup: bool = False,
    progress=None,
    only_annotated: bool = False,
    **kwargs,
) -> Tuple[Optional[dict], Optional[LoadReport]]:
    """:func:`load_annotations`, returning ``(what it returns, the load's
    report)``. ``only_annotated``: per-annotator fields (annotators.py),
    samples the annotator did not annotate get nothing."""
    if only_annotated:
        # FiftyOne's path reads it from its load_annotations call
        kwargs["only_annotated"] = True
    if not fast_paths_ok("load_annotations"):
        # FiftyOne's own merge: slower, the same labels
        returned = samples.load_annotations(
            anno_key,
            dest_field=dest_field,
            unexpected=unexpected,
            cleanup=cleanup,
            progress=progress,
            **kwargs,
        )
        results = samples.load_annotation_results(anno_key, **kwargs)
        return returned, results.last_load_report()
    dataset = samples._root_dataset
    results = dataset.load_annotation_results(anno_key, **kwargs)
    schema = results.config.label_schema
    targets = {
        field: _destination(dataset, results, field, schema, dest_field)
        for field in schema
    }
    options = LoadOptions(
        annotator=kwargs.get("annotator"),
        only_annotated=bool(only_annotated),
        unexpected=unexpected,
        dest_field=dest_field,
        full=bool(kwargs.get("full")),
        # the fields merged here get raw label documents from the download
        raw_label_fields=frozenset(
            field
            for field, info in schema.items()
            if bulk_merge.supports(
                dataset, results, targets[field], info.get("type")
            )
        ),
    )
    returned = defaultdict(dict)
    prompted = {}
    batched, answers = download.start(results, options)
    merged = False
    try:
        while True:
            try:
                annotations = next(answers)
            except StopIteration as stop:
                report = stop.value
                break
            merged = True
            _merge_all(
                dataset,
                results,
                schema,
                targets,
                annotations,
                unexpected,
                False if batched else progress,
                returned,
                prompted,
            )
    except BaseException:
        if batched and merged:
            # keep the id_map of what was merged (the position is not
            # moved: the next load reads those tasks again)
            answers.close()
            results.backend.save_run_results(dataset, anno_key, results)
        raise

    results.record_load(report)
    results.backend.save_run_results(dataset, anno_key, results)
    if cleanup:
        results.cleanup()
    if unexpected == "return":
        return (dict(returned) if returned else None), report
    return None, report


def _merge_all(
    dataset,
    results,
    schema,
    targets,
    annotations,
    unexpected,
    progress,
    returned,
    prompted,
):
    """Merges one ``download_annotations`` answer (the whole load, or
    one batch of it); ``prompted`` keeps the answers of
    ``unexpected="prompt"`` for the next batches."""
    for field, label_info in schema.items():
        label_type = label_info.get("type", None)
        global_attrs, class_attrs = internal("_parse_attributes")(label_info)
        expected_type = internal("_RETURN_TYPES_MAP").get(label_type, None)
        anno_dict = annotations.get(field, {})
        target = targets[field]
        if expected_type and expected_type not in anno_dict:
            anno_dict[expected_type] = {}

        for anno_type, annos in anno_dict.items():
            if anno_type == expected_type:
                _merge(
                    dataset,
                    annos,
                    results,
                    target,
                    label_type,
                    progress,
                    label_info=label_info,
                    global_attrs=global_attrs,
                    class_attrs=class_attrs,
                )
                continue
            new_field = None
            if label_info.get("allow_additions", True):
                key = (field, anno_type)
                if key not in prompted:
                    prompted[key] = _unexpected_field(
                        dataset, results, anno_type, target, schema, unexpected
                    )
                new_field = prompted[key]
            if new_field:
                new_field = internal("_handle_frame_fields")(
                    dataset, new_field, target
                )
                _merge(dataset, annos, results, new_field, anno_type, progress)
                continue
            if target:
                logger.info(
                    "Skipping unexpected labels of type '%s' in field '%s'",
                    anno_type,
                    target,
                )
            else:
                logger.info("Skipping labels of type '%s'", anno_type)
            if unexpected == "return":
                key = _returned_key(dataset, results, target)
                returned[key].setdefault(anno_type, {}).update(
                    _returned_annos(results, annos)
                )


def _destination(dataset, results, field, schema, dest_field) -> str:
    """The field that receives ``field``'s labels (``dest_field``)."""
    if etau.is_str(dest_field):
        if len(schema) == 1:
            field = dest_field
        else:
            logger.warning(
                "Ignoring string `dest_field=%s` since the label "
                "schema contains %d (> 1) fields",
                dest_field,
                len(schema),
            )
    elif dest_field is not None:
        field = dest_field.get(field, field)
    if results._is_frames:
        field, _ = dataset._handle_frame_field(field)
    return field


def _merge(dataset, annos, results, field, label_type, progress, **info):
    if label_type == "scalar":
        internal("_merge_scalars")(
            dataset,
            annos,
            results,
            field,
            label_info=info.get("label_info"),
            progress=progress,
        )
        return
    merged = bulk_merge.merge_labels(
        dataset, annos, results, field, label_type, progress=progress, **info
    )
    if not merged:
        internal("_merge_labels")(
            dataset,
            annos,
            results,
            field,
            label_type,
            progress=progress,
            **info,
        )


def _unexpected_field(dataset, results, anno_type, field, schema, unexpected):
    """Where unexpected labels go, as FiftyOne decides (None: skipped)."""
    if unexpected == "prompt":
        return internal("_prompt_field")(
            dataset, anno_type, field, schema, results._is_frames
        )
    if unexpected == "return":
        return None
    if unexpected == "keep":
        return anno_type
    if isinstance(unexpected, dict):
        return unexpected.get(anno_type, None)
    if etau.is_container(unexpected) and anno_type in unexpected:
        return anno_type
    return None


def _returned_key(dataset, results, field) -> str:
    if results._is_frames:
        return dataset._FRAMES_PREFIX + field
    return field


def _returned_annos(results, annos):
    if results._is_clips or results._is_frames:
        return results._to_sample_annos(annos)
    return annos

"""The plugin's load in batches: memory that does not grow with the run.

``fiftyone_labelstudio.load_annotations`` (``bulk_load.py``) reads the
run's tasks through the sync export in requests of
``exports.IDS_PER_REQUEST`` task ids, the next page fetched while this one
is read (no request grows with the project, and never more than two pages
of export text are held), converts each task as it is parsed and, every
``BATCH_TASKS`` tasks, hands the labels of that batch to the merge. So
neither the export nor the loaded labels are ever held whole.

Each batch is merged as an incremental load of its samples is: the run's
``id_map`` is narrowed to the samples the batch read (FiftyOne's merge
deletes the labels of every ``id_map`` sample it gets no labels for) and
widened back, with the merge's new ids, before the next batch. Samples
whose tasks were not read at all (deleted tasks) are never in a batch and
keep their labels, as in a whole-dict load.

A sample with several tasks loads the latest annotation of all of them:
those tasks are held back and merged in the last batch (the run's
``task_map`` says which samples have several tasks).

FiftyOne's ``dataset.load_annotations`` needs the whole dict in one
``download_annotations`` answer and uses ``download.download``; which
runs load here is decided in ``download.start``.
"""

import ctypes
import ctypes.util
import logging
from typing import Generator, Optional

import fiftyone.core.utils as fou

from ..client.errors import LabelStudioError
from ..client.exports import IDS_PER_REQUEST
from . import incremental, run_tasks
from .attributes import declare_geometry_attributes
from .errors import LabelStudioBackendError
from .load_options import LoadOptions, LoadReport
from .load_tally import Tally
from .project import call
from .task_labels import convert_task

logger = logging.getLogger(__name__)

# Tasks converted before their labels are merged. Measured (one server,
# 10 boxes a task): peak RSS 376 / 418 MB at 10k / 100k tasks with 2,000,
# 402 / 506 MB with 5,000 (the process's memory settles higher the more a
# batch holds), the same load time.
BATCH_TASKS = 2000


def supported(results, options: LoadOptions) -> bool:
    """Whether :func:`download_batches` covers this image run (runs that
    map their tasks; clips/frames views, per-annotator fields and
    imported projects load as one dict)."""
    if options.only_annotated:
        return False
    if getattr(results, "_is_clips", False) or getattr(
        results, "_is_frames", False
    ):
        return False
    if run_tasks.origin(results) == run_tasks.IMPORTED:
        return False
    return bool(getattr(results, "task_map", None))


def download_batches(
    results, options: LoadOptions, batch_tasks: Optional[int] = None
) -> Generator[dict, None, LoadReport]:
    """Yields ``download_annotations`` answers, one per batch of tasks
    (the caller merges each before asking for the next); returns the
    load's report (with the position to save once merged)."""
    batch_tasks = batch_tasks or BATCH_TASKS
    config = results.config
    try:
        read_plan = call(
            results, lambda c, pid: incremental.plan(c, results, options)
        )
        annotator_id = run_tasks.annotator_id(
            results, options.annotator_of(results)
        )
    except LabelStudioError as e:
        raise _read_error(results, e, merged=False) from None

    task_map = results.task_map
    if read_plan.incremental:
        ids = list(read_plan.ids)
    else:
        ids = sorted(task_map)  # the run's own tasks
    tasks = read_plan.track(run_tasks.pages(results, ids, IDS_PER_REQUEST))
    several = run_tasks.several_task_samples(task_map)
    tally = Tally(results, options)
    raw_fields = options.raw_label_fields
    held = {}  # converted tasks of samples with several tasks
    held_read = set()
    batch, read, num_tasks = {}, set(), 0
    with fou.ProgressBar(
        total=len(ids) or None, progress=config.progress, iters_str="tasks"
    ) as pb:
        try:
            for task in tasks:
                num_tasks += 1
                pb.update()
                sample = task_map.get(task.get("id"))
                if sample in several:
                    held_read.add(sample)
                    convert_task(
                        results,
                        task,
                        annotator_id,
                        raw_fields,
                        held,
                        tally.counts,
                    )
                    continue
                if sample is not None:
                    read.add(sample)
                read.update(
                    convert_task(
                        results,
                        task,
                        annotator_id,
                        raw_fields,
                        batch,
                        tally.counts,
                    )
                )
                if len(read) >= batch_tasks:
                    yield from _merge_batch(results, tally, batch, read)
                    batch, read = {}, set()
        except LabelStudioError as e:
            raise _read_error(results, e, merged=num_tasks > 0) from None
        batch.update(held)
        read |= held_read
        held = None
        if read or not num_tasks:
            yield from _merge_batch(results, tally, batch, read)
    return tally.report(num_tasks, read_plan)


def _merge_batch(results, tally, converted, read):
    """Yields one batch's annotations with the id_map narrowed to its
    samples; widens it back when the caller has merged them."""
    run_tasks.drop_missing_samples(results, converted, tally.counts)
    results.narrow_id_map(read | set(converted))
    try:
        annotations = tally.assemble(converted)
        declare_geometry_attributes(results, annotations)
        yield annotations
    finally:
        results.restore_id_map()
        _release_freed_memory()


def _release_freed_memory() -> None:
    """Hands the heap's free pages back to the OS between batches (glibc
    raises its mmap threshold after the first multi-MB page text is freed,
    so later page texts come from the heap and fragment it)."""
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def _read_error(results, error, merged: bool) -> LabelStudioBackendError:
    if not merged:
        return LabelStudioBackendError(
            "Could not read annotation run '%s' from Label Studio: %s. "
            "Nothing was loaded; run load_annotations('%s') again when "
            "Label Studio answers" % (results.key, error, results.key)
        )
    return LabelStudioBackendError(
        "Could not read annotation run '%s' from Label Studio: %s. The "
        "tasks read before this were merged and the run's load position "
        "was not moved; run load_annotations('%s') again when Label "
        "Studio answers (loading again is safe)"
        % (results.key, error, results.key)
    )

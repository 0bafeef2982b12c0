"""Reads a run's annotations back into FiftyOne's ``download_annotations``
format: the one place that chooses how a run loads.

- :func:`download`: the whole load as one answer (FiftyOne's contract):
  video runs (``video_load.py``) or image runs (:func:`download_image`);
- :func:`start`: the plugin's load (``bulk_load.py``): image runs that map
  their tasks in batches (``batched_download.py``), every other run as
  the one answer of :func:`download`.

Per task: the chosen annotation (``run_tasks.py``: latest non-cancelled,
or the named annotator's); without one, the sample's labels stay exactly
as they are in FiftyOne (``kept_labels.py``). Every load takes a
:class:`~.load_options.LoadOptions` and gives a
:class:`~.load_options.LoadReport`.
"""

from collections import Counter
from typing import Generator, Tuple

import fiftyone.core.utils as fou

from ..client.errors import LabelStudioError
from . import batched_download, incremental, run_tasks
from .attributes import declare_geometry_attributes
from .errors import LabelStudioBackendError
from .load_options import LoadOptions, LoadReport
from .load_tally import Tally
from .project import call
from .task_labels import convert_task
from .video import is_video
from .video_load import download_video


def download(results, options: LoadOptions) -> Tuple[dict, LoadReport]:
    """``({field: {return type: {sample id: {label id: Label}}}}`` (and
    ``{field: {"scalar": {sample id: value}}}``), report)."""
    if is_video(results.samples):
        return download_video(results, options)
    return download_image(results, options)


def start(
    results, options: LoadOptions
) -> Tuple[bool, Generator[dict, None, LoadReport]]:
    """``(in batches, answers)``: ``answers`` yields ``download_annotations``
    answers (the caller merges each before asking for the next) and
    returns the load's report."""
    if not is_video(results.samples) and batched_download.supported(
        results, options
    ):
        return True, batched_download.download_batches(results, options)
    return False, _whole(results, options)


def _whole(results, options):
    annotations, report = download(results, options)
    yield annotations
    return report


def download_image(results, options: LoadOptions) -> Tuple[dict, LoadReport]:
    """The load of an image run, read and converted task by task (neither
    the parsed export nor the chosen task JSON is ever held whole); only
    the tasks changed since the last load unless that cannot be trusted
    (``incremental.py``)."""
    try:
        read_plan, tasks = call(
            results, lambda c, pid: _read(c, results, options)
        )
        annotator_id = run_tasks.annotator_id(
            results, options.annotator_of(results)
        )
        converted, counts, num_tasks = _convert_tasks(
            results, tasks, annotator_id, options
        )
    except LabelStudioError as e:
        # nothing has been merged yet: say so, and that a rerun is safe
        raise LabelStudioBackendError(
            "Could not read annotation run '%s' from Label Studio: %s. "
            "Nothing was loaded; run load_annotations('%s') again when "
            "Label Studio answers" % (results.key, e, results.key)
        ) from None

    if read_plan.incremental:
        # only the samples read are merged (the others keep their labels)
        results.narrow_id_map(
            incremental.read_samples(results, read_plan, converted)
        )
    tally = Tally(results, options, counts)
    annotations = tally.assemble(converted)
    declare_geometry_attributes(results, annotations)
    return annotations, tally.report(num_tasks, read_plan)


def _read(client, results, options):
    # annotations only: no prediction objects; parsed one at a time
    read_plan = incremental.plan(client, results, options)
    tasks = run_tasks.read_tasks(
        client, results, read_plan.ids, predictions=False, stream=True
    )
    return read_plan, read_plan.track(tasks)


def _convert_tasks(results, tasks, annotator_id, options):
    """``({sample id: (stamp, labels, problems, unexpected)}, counts,
    number of tasks)``: each task's chosen annotation converted as the
    task is read."""
    converted, counts, num_tasks = {}, Counter(), 0
    total = len(getattr(results, "task_map", None) or {}) or None
    with fou.ProgressBar(
        total=total, progress=results.config.progress, iters_str="tasks"
    ) as pb:
        for task in tasks:
            num_tasks += 1
            if total:
                pb.set_iteration(min(num_tasks, total))
            convert_task(
                results,
                task,
                annotator_id,
                options.raw_label_fields,
                converted,
                counts,
            )
    run_tasks.drop_missing_samples(results, converted, counts)
    return converted, counts, num_tasks

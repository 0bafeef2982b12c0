"""Incremental loads: read only the tasks that changed since the last load.

How Label Studio shows changes (probed, DESIGN.md "Incremental loads"):
a task's ``updated_at`` moves forward (server clock, microseconds) when any
of its annotations is created, edited or deleted, by anyone; a deleted task
just disappears (and a full load leaves its sample alone too).

The position is the newest task ``updated_at`` a load read (server clock,
never ours). The next load lists the tasks updated at or after the position
minus ``MARGIN``: a request that stamped its task before our read but
committed after it has an earlier stamp than tasks we saw; re-reading the
few tasks of that window again changes nothing (loads are idempotent).
The tasks a load read inside that window are saved with the position
(``seen``: ``{stamp: [task ids]}``) and skipped next time while their
``updated_at`` is still the one read: a bulk action stamps thousands of
tasks with one instant (``predictions_to_annotations``, an import), and
without this every load after it would re-read all of them.

Skipping them must happen on the server, not after listing them: Label
Studio's task list costs per listed task (it prefetches every listed
task's annotations and predictions; 28.5 s a page of 5,000 measured at
100k on PostgreSQL), so listing a bulk action's 100k tasks to drop them
client-side took 400 s. A "dense" stamp (``DENSE`` or more tasks read at
it, their ids in at most ``MAX_RANGES`` runs of consecutive ids) is left
out of the main listing (``updated_at`` ``not_equal`` it, in the same
``and`` of Data Manager filters) and asked for on its own: the tasks
stamped exactly ``s`` whose ids are outside the runs of ``seen[s]``
(``updated_at`` ``equal`` s, ``id`` ``not_in`` each run). Their union is
exactly what the old listing kept after its client-side filter: every
task at or after ``since`` except those still at the stamp the previous
load read them at. No count is needed (a count of the tasks at ``s``
cannot tell a deleted seen task from an unseen late arrival), so nothing
depends on the order of the requests; a change that commits between two
of them is what ``MARGIN`` already covers for any listing: a transaction
that committed more than ``MARGIN`` after its stamp could still be
missed, as before.

Only the samples of changed tasks are merged: during the merge the run's
``id_map`` is narrowed to them (FiftyOne's merge deletes the labels of every
``id_map`` sample it gets no labels for) and widened back when the run is
saved (``LabelStudioAnnotationResults.narrow_id_map`` / ``commit_load``,
called by ``LabelStudioBackend.save_run_results``).

A full read happens when asked (``full=True``) and whenever the recorded
position cannot be trusted: no position (first load, or a run from an older
version), another server or project, other load options than the load that
recorded it (annotator, destination field: the merge target must already
hold the unchanged tasks' labels), a run kind this does not cover (video,
clips/frames views, per-annotator fields), or a project whose newest change
is older than the position (database restored from a backup, clock reset).
"""

import datetime as dt
import json
import os
from typing import Iterable, Iterator, Optional

from . import run_tasks
from .load_options import UNKNOWN, LoadOptions
from .unexpected import has_terminal

MARGIN = dt.timedelta(seconds=60)
# Tasks read at one stamp for it to get a listing of its own
DENSE = 50
# Id runs (Data Manager filter items) such a listing carries at most
MAX_RANGES = 20
# Stamps left out of one main listing at most (filter items in its URL)
MAX_DENSE = 10
_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def parse_stamp(value: str) -> dt.datetime:
    """A Label Studio timestamp (``...Z``, microseconds optional)."""
    text = value.rstrip("Z").replace("+00:00", "")
    if "." not in text:
        text += ".0"
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f")


def format_stamp(value: dt.datetime) -> str:
    return value.strftime(_FORMAT)


class ReadPlan:
    """What a load reads: ``ids`` (None: the whole run), why, and the
    newest ``updated_at`` seen while reading (``track`` wraps the tasks)."""

    def __init__(self, ids, reason: str, signature: str, since=None, listed=0):
        self.ids = ids
        # tasks the listings of changed tasks returned (the plan's cost)
        self.num_listed = listed
        self.reason = reason
        self.signature = signature
        self.since = since
        self.newest: Optional[dt.datetime] = None
        self.num_read = 0
        # {stamp text: [task ids]} read within MARGIN of the newest
        self._recent: dict = {}
        self._prune_at = 1000

    @property
    def incremental(self) -> bool:
        return self.ids is not None

    def track(self, tasks: Iterable[dict]) -> Iterator[dict]:
        for task in tasks:
            self.num_read += 1
            stamp = task.get("updated_at")
            if stamp:
                when = parse_stamp(stamp)
                if self.newest is None or when > self.newest:
                    self.newest = when
                    if len(self._recent) > self._prune_at:
                        self._prune()  # amortized: the dict doubled
                if when >= self.newest - MARGIN:
                    key = format_stamp(when)
                    self._recent.setdefault(key, []).append(task.get("id"))
            yield task

    def _prune(self) -> None:
        """Drops the stamps that fell out of the window (bounded by the
        tasks of the last MARGIN, whatever the run's size)."""
        floor = self.newest - MARGIN
        for key in [k for k in self._recent if parse_stamp(k) < floor]:
            del self._recent[key]
        self._prune_at = 2 * len(self._recent) + 1000

    def seen(self) -> dict:
        """``{stamp: sorted task ids}`` read within MARGIN of the
        newest stamp."""
        if self.newest is None:
            return {}
        self._prune()
        return {k: sorted(v) for k, v in sorted(self._recent.items())}

    def position(self, results) -> dict:
        """The position to save with the run once the merge succeeded
        (the previous load's window still counts where it overlaps)."""
        previous = getattr(results, "load_position", None) or {}
        newest = self.newest
        seen = self.seen()
        if self.incremental and previous.get("updated_at"):
            old = parse_stamp(previous["updated_at"])
            if newest is None or old > newest:
                newest = old
            floor = newest - MARGIN
            for stamp, ids in (previous.get("seen") or {}).items():
                if parse_stamp(stamp) >= floor:
                    seen[stamp] = sorted(set(seen.get(stamp, [])) | set(ids))
            seen = {k: v for k, v in sorted(seen.items())}
        return {
            "updated_at": newest and format_stamp(newest),
            "seen": seen,
            "signature": self.signature,
            "project_id": results.project_id,
            "url": results.config.url,
        }


def signature(options: LoadOptions, results) -> str:
    """The load options an incremental load must share with the load that
    recorded the position: the annotator, the destination field(s) and
    ``unexpected=`` (they decide what the unchanged tasks' samples hold).
    A ``dest_field`` that could not be read never matches."""
    dest_field = options.dest_field
    if isinstance(dest_field, dict) and all(
        k == v for k, v in dest_field.items()
    ):
        # the load form's {field: field} is the default: same as None
        dest_field = None
    unexpected = options.unexpected
    if unexpected == "prompt" and has_terminal():
        # a person answers each time and may answer otherwise: a prompted
        # load applies the answer to every task, so it reads them all
        unexpected = "prompt:%s" % os.urandom(8).hex()
    return json.dumps(
        {
            "annotator": options.annotator_of(results),
            "dest_field": dest_field,
            "unexpected": unexpected,
        },
        sort_keys=True,
        default=repr,
    )


def read_samples(results, read_plan, converted) -> set:
    """Sample ids of the tasks an incremental load read."""
    task_map = results.task_map or {}
    samples = {task_map[t] for t in read_plan.ids if t in task_map}
    samples.update(converted)
    return samples


def supported(results, options: LoadOptions) -> bool:
    """Image runs (the only kind ``download`` reads incrementally) other
    than clips/frames views and per-annotator fields."""
    if options.only_annotated:
        return False  # per-annotator fields (annotators.py)
    return not (
        getattr(results, "_is_clips", False)
        or getattr(results, "_is_frames", False)
    )


def plan(client, results, options: LoadOptions) -> ReadPlan:
    """Decides between a full and an incremental read (see module doc)."""
    sig = signature(options, results)
    position = getattr(results, "load_position", None) or {}
    if options.full:
        return ReadPlan(None, "full read requested", sig)
    if not supported(results, options):
        return ReadPlan(None, "full read (run kind not incremental)", sig)
    if not position.get("updated_at"):
        return ReadPlan(None, "full read (first load of the run)", sig)
    if (
        position.get("project_id") != results.project_id
        or position.get("url") != results.config.url
    ):
        return ReadPlan(None, "full read (other server or project)", sig)
    if UNKNOWN in sig or position.get("signature") != sig:
        return ReadPlan(
            None, "full read (other annotator or destination field)", sig
        )
    recorded = parse_stamp(position["updated_at"])
    latest = client.latest_update(results.project_id)
    if latest is None or parse_stamp(latest) < recorded:
        return ReadPlan(
            None, "full read (Label Studio is older than the position)", sig
        )
    since = format_stamp(recorded - MARGIN)
    ids, listed = _changed_run_tasks(
        client, results, since, position.get("seen")
    )
    return ReadPlan(ids, "incremental", sig, since=since, listed=listed)


def _changed_run_tasks(client, results, since: str, seen=None) -> tuple:
    """The run's task ids to read and how many tasks were listed."""
    seen = _window(seen, parse_stamp(since))
    dense = dense_stamps(seen)
    listed = 0
    changed = set()
    for stamp, runs in dense.items():
        # every task listed here is one the previous load did not read
        for tid, _ in client.tasks_at(results.project_id, stamp, runs):
            listed += 1
            changed.add(int(tid))
    # tasks read by the previous load and not changed since
    read_before = {
        (int(tid), stamp)
        for stamp, ids in seen.items()
        if stamp not in dense
        for tid in ids
    }
    pid = results.project_id
    for tid, stamp in client.changed_tasks(pid, since, skip=list(dense)):
        listed += 1
        if (int(tid), _normal(stamp)) not in read_before:
            changed.add(int(tid))
    task_map = results.task_map or {}
    if run_tasks.origin(results) == run_tasks.EXISTING:
        changed &= set(task_map)  # a full load reads only the run's tasks
    # A sample with several tasks loads the latest annotation of all of
    # them: read its other tasks too
    samples = {task_map[t] for t in changed if t in task_map}
    if samples:
        changed.update(t for t, s in task_map.items() if s in samples)
    return sorted(changed), listed


def dense_stamps(seen: dict) -> dict:
    """``{stamp: [(first id, last id), ...]}``: the stamps of ``seen``
    worth a listing of their own (module doc), the runs of consecutive
    ids read at each; the ``MAX_DENSE`` with the most tasks."""
    out = {}
    for stamp, ids in seen.items():
        if len(ids) < DENSE:
            continue
        runs = id_runs(ids)
        if len(runs) <= MAX_RANGES:
            out[stamp] = (len(ids), runs)
    biggest = sorted(out, key=lambda k: -out[k][0])[:MAX_DENSE]
    return {k: out[k][1] for k in sorted(biggest)}


def id_runs(ids: Iterable) -> list:
    """``[(first, last), ...]``: the runs of consecutive ids."""
    runs = []
    for tid in sorted({int(t) for t in ids}):
        if runs and tid == runs[-1][1] + 1:
            runs[-1][1] = tid
        else:
            runs.append([tid, tid])
    return [tuple(r) for r in runs]


def _window(seen, floor: dt.datetime) -> dict:
    """``seen`` with its stamps normalized, those before ``floor`` (never
    listed) and unreadable ones (their tasks are read again) left out."""
    out = {}
    for stamp, ids in (seen or {}).items():
        try:
            when = parse_stamp(stamp)
        except (TypeError, ValueError, AttributeError):
            continue
        if when >= floor:
            out[format_stamp(when)] = ids
    return out


def _normal(stamp):
    try:
        return format_stamp(parse_stamp(stamp))
    except (TypeError, ValueError):
        return stamp

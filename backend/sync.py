"""Live sync: load what annotators submit while they work.

``sync(dataset, anno_key, every=..., until=...)`` runs rounds of the
incremental load (:func:`.bulk_load.load_with_report`: only the tasks
changed since the position recorded with the run) every ``every`` seconds
until every task of the run has an annotation, ``until`` passes, or
someone asks it to stop (the runs panel, or :func:`stop_sync`).

- Each round holds the run's lock (:mod:`.locks`) only while it loads;
  between rounds the run is free, so a manual load still works (and the
  next round then reads only what changed after it).
- State lives in MongoDB (:mod:`.sync_state`): a second sync of the run is
  refused (or, with ``join=True``, waits for the first to end); a sync
  killed without a word stops counting after ``sync_state.LEASE`` seconds.
- A restart continues from the position the last successful round
  recorded with the run (the incremental load's own position), so a kill
  loses nothing and re-reads little.
- "Complete" is checked *before* a round's load: a task finished after the
  check is still read by that load, so the last round misses nothing.
"""

import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional, Union

from . import sync_state as state
from .bulk_load import load_with_report
from .core import LabelStudioBackendConfig
from .errors import LabelStudioBackendError
from .locks import process_lock, run_lock

logger = logging.getLogger(__name__)

# Rounds in a row that may fail (server restarting, network) before the
# sync gives up
MAX_FAILURES = 5
MIN_EVERY = 0.2
# Seconds between two rounds at least, whatever ``every`` says: a load
# waiting for the run's lock polls every 0.2 s (locks.py) and must get it
MIN_GAP = 0.5


def sync(
    samples,
    anno_key: str,
    every: float = 10.0,
    until: Union[None, float, timedelta, datetime] = None,
    join: bool = False,
    dest_field=None,
    unexpected: str = "keep",
    on_round: Optional[Callable[[dict], None]] = None,
    **kwargs,
) -> dict:
    """Loads the run's new annotations every ``every`` seconds until the
    run is complete, ``until`` (a datetime, or seconds / a timedelta from
    now) passes, or :func:`stop_sync` is called.

    ``dest_field`` and ``unexpected`` are those of ``load_annotations``;
    ``url`` / ``api_key`` kwargs are the credentials (never stored).
    ``on_round(change)`` is called after each round. Returns the final
    sync document (``state``: completed, deadline, stopped or lost).

    Raises:
        SyncRunningError: another sync of the run is alive (unless
            ``join``: then waits for it and returns its final document)
    """
    dataset = samples._root_dataset
    _check(dataset, anno_key, every, unexpected)
    deadline = _deadline(until)
    owner = uuid.uuid4().hex
    settings = {
        "every": float(every),
        "until": deadline,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    try:
        previous = state.claim(dataset, anno_key, owner, settings)
    except state.SyncRunningError:
        if not join:
            raise
        return wait_for_sync(dataset, anno_key)
    if previous.get("state") == state.RUNNING:
        logger.info(
            "Live sync of '%s': the previous sync stopped answering; "
            "continuing from the run's recorded position",
            anno_key,
        )
    opts = dict(dest_field=dest_field, unexpected=unexpected, **kwargs)
    beat = _Heartbeat(dataset, anno_key, owner)
    beat.start()
    try:
        outcome, error = _loop(
            dataset, anno_key, owner, opts, every, deadline, beat, on_round
        )
    except BaseException as e:  # interrupted: say so, then re-raise
        state.finish(
            dataset, anno_key, owner, state.STOPPED, last_error=_line(e)
        )
        raise
    finally:
        beat.stop()
    if outcome != state.LOST:
        state.finish(dataset, anno_key, owner, outcome)
    doc = state.get(dataset, anno_key) or {}
    if outcome == state.FAILED:
        raise LabelStudioBackendError(
            "Live sync of annotation run '%s' stopped after %d failed "
            "rounds in a row: %s. Everything loaded before stays; start the "
            "sync again when Label Studio answers"
            % (anno_key, MAX_FAILURES, error)
        )
    return doc


def stop_sync(samples, anno_key: str) -> bool:
    """Asks the run's live sync to stop (it ends within about a second,
    or after its current round); False when none is running."""
    return state.request_stop(samples._root_dataset, anno_key)


def sync_status(samples, anno_key: str) -> Optional[dict]:
    """The run's sync document (``alive``, ``state``, ``last_sync``,
    ``last_change``, ...), or None when it was never synced."""
    return state.get(samples._root_dataset, anno_key)


def wait_for_sync(dataset, anno_key: str, poll: float = 0.5) -> dict:
    """Waits until the run's sync ends (or stops answering)."""
    while True:
        doc = state.get(dataset, anno_key) or {}
        if not doc.get("alive"):
            return doc
        time.sleep(poll)


def _check(dataset, anno_key, every, unexpected) -> None:
    keys = dataset.list_annotation_runs()
    if anno_key not in keys or not isinstance(
        dataset.get_annotation_info(anno_key).config,
        LabelStudioBackendConfig,
    ):
        raise LabelStudioBackendError(
            "Dataset '%s' has no Label Studio annotation run '%s' (its "
            "runs: %s)" % (dataset.name, anno_key, ", ".join(keys) or "none")
        )
    if not isinstance(every, (int, float)) or every < MIN_EVERY:
        raise LabelStudioBackendError(
            "every=%r: give the seconds between two rounds (at least %s)"
            % (every, MIN_EVERY)
        )
    if unexpected == "prompt":
        raise LabelStudioBackendError(
            "unexpected='prompt' cannot be answered by a sync running in "
            "the background: use 'keep', 'ignore' or 'return'"
        )


def _deadline(until) -> Optional[datetime]:
    if until is None:
        return None
    now = state.now()
    if isinstance(until, datetime):
        if until.tzinfo is None:  # naive: UTC, like FiftyOne's timestamps
            until = until.replace(tzinfo=timezone.utc)
        deadline = until
    elif isinstance(until, timedelta):
        deadline = now + until
    elif isinstance(until, (int, float)) and not isinstance(until, bool):
        deadline = now + timedelta(seconds=float(until))
    else:
        raise LabelStudioBackendError(
            "until=%r: give a datetime, a timedelta or seconds from now"
            % (until,)
        )
    if deadline <= now:
        raise LabelStudioBackendError(
            "until=%r is already past: give a later time" % (until,)
        )
    return deadline


class _Heartbeat(threading.Thread):
    """Renews the sync's heartbeat every ``POLL`` seconds and notices a
    stop request or a takeover; ``wake`` is set for both."""

    def __init__(self, dataset, anno_key, owner):
        super().__init__(daemon=True)
        self._args = (dataset, anno_key, owner)
        self._done = threading.Event()
        self.wake = threading.Event()
        self.stop_requested = False
        self.lost = False

    def run(self):
        while not self._done.wait(state.POLL):
            try:
                doc = state.beat(*self._args)
            except Exception:  # database hiccup: try again next beat
                continue
            if doc is None:
                self.lost = True
            elif doc.get("stop_requested"):
                self.stop_requested = True
            if self.lost or self.stop_requested:
                self.wake.set()

    def stop(self):
        self._done.set()


def _loop(dataset, anno_key, owner, opts, every, deadline, beat, on_round):
    failures, rounds, error = 0, 0, None
    while True:
        if beat.lost:
            return state.LOST, None
        if beat.stop_requested:
            return state.STOPPED, None
        if deadline is not None and state.now() >= deadline:
            return state.DEADLINE, None
        started = time.monotonic()
        try:
            change = run_round(dataset, anno_key, opts)
        except Exception as e:
            failures += 1
            error = _line(e)
            logger.warning(
                "Live sync of '%s': round failed: %s", anno_key, error
            )
            state.update(
                dataset, anno_key, owner, failures=failures, last_error=error
            )
            if failures >= MAX_FAILURES:
                return state.FAILED, error
        else:
            failures, rounds = 0, rounds + 1
            state.update(
                dataset,
                anno_key,
                owner,
                rounds=rounds,
                failures=0,
                last_error=None,
                last_sync=state.now(),
                last_change=change,
            )
            if on_round is not None:
                on_round(change)
            if change["complete"]:
                return state.COMPLETED, None
        pause = every - (time.monotonic() - started)
        if deadline is not None:
            pause = min(pause, (deadline - state.now()).total_seconds())
        beat.wake.wait(max(pause, MIN_GAP))


def run_round(dataset, anno_key: str, opts: dict) -> dict:
    """One incremental load of the run, under its lock; returns what
    changed (plain values, no secrets)."""
    creds = {k: opts[k] for k in ("url", "api_key") if opts.get(k)}
    load_opts = {k: v for k, v in opts.items() if k not in creds}
    started = time.monotonic()
    # the run lock keeps other processes out, the process lock other
    # threads of this one (a load in Python shares the dataset object)
    with run_lock(dataset, anno_key, "sync"), process_lock(dataset, anno_key):
        # a manual load may have saved the run since the last round
        dataset.reload()
        cache = dataset._annotation_cache
        cache.pop(anno_key, None)
        try:
            results = dataset.load_annotation_results(
                anno_key, cache=True, **creds
            )
            remaining = _remaining(results)
            fields = _targets(results, load_opts.get("dest_field"))
            before = {f: count_labels(dataset, f) for f in fields}
            _, load_report = load_with_report(dataset, anno_key, **load_opts)
            report = load_report.as_dict() if load_report else {}
            num_tasks = len(results.task_map or {})
        finally:
            # the cached results hold the key: keep nothing secret around
            cache.pop(anno_key, None)
    after = {f: count_labels(dataset, f) for f in fields}
    return {
        "at": state.now(),
        "seconds": round(time.monotonic() - started, 3),
        "incremental": bool(report.get("incremental")),
        "reason": report.get("reason") or "",
        "tasks_read": int(report.get("tasks_read") or 0),
        "labels": {
            f: {"before": before[f], "after": after[f]} for f in fields
        },
        "skipped_results": int(report.get("skipped_results") or 0),
        "tasks": num_tasks,
        "unfinished": remaining,
        "complete": remaining == 0,
    }


def _remaining(results) -> int:
    """Tasks of the run without any annotation, read before the load."""
    client = results.backend.client
    run_tasks = set(results.task_map or {})
    unfinished = client.unfinished_count(results.project_id)
    if unfinished == 0:
        return 0
    others = client.task_count(results.project_id) - len(run_tasks)
    if unfinished > max(others, 0):
        # more unfinished tasks than tasks of other runs: some are ours;
        # the exact number only matters when it is small
        if unfinished - max(others, 0) > 100:
            return unfinished - max(others, 0)
    return len(set(client.unfinished_tasks(results.project_id)) & run_tasks)


def _targets(results, dest_field) -> list:
    schema = results.config.label_schema or {}
    if isinstance(dest_field, str) and len(schema) == 1:
        return [dest_field]
    mapping = dest_field if isinstance(dest_field, dict) else {}
    return [mapping.get(f, f) for f in schema]


def count_labels(dataset, field: str) -> int:
    """Labels in a field (a list field counts its items)."""
    if dataset.get_field(field) is None:
        return 0
    try:
        _, path = dataset._get_label_field_path(field)
    except Exception:  # not a label field (scalars)
        path = field
    try:
        return int(dataset.count(path))
    except Exception:
        return 0


def _line(error) -> str:
    text = (str(error) or type(error).__name__).splitlines()[0]
    return text[:300]

"""Builds a run's tasks ahead of the import requests, in one worker thread.

Building a task reads the sample's labels from the database and converts
them; Label Studio meanwhile stores the previous batch. :func:`task_feed`
runs the task generator in a worker thread that stays at most ``ahead``
tasks in front of the consumer (the client's import, which takes one
batch at a time), so the reads overlap the requests and at most about two
import batches of task JSON are in memory.
"""

import contextlib
import queue
import threading
from typing import Iterable, Iterator

from .. import constants

# Tasks built ahead of the requests: one import batch at most
AHEAD = constants.IMPORT_BATCH_SIZE
# Seconds between checks of the stop flag while the queue is full
_POLL = 0.1

_DONE = object()


class _Failed:
    """An exception of the task generator, raised again by the consumer."""

    def __init__(self, exc: BaseException):
        self.exc = exc


@contextlib.contextmanager
def task_feed(tasks: Iterable[dict], ahead: int = AHEAD) -> Iterator:
    """Yields an iterator over ``tasks`` whose items are built in a
    worker thread, up to ``ahead`` of them before they are taken. An
    error of ``tasks`` is raised where the item would have been taken;
    leaving the block stops the worker (and closes ``tasks``)."""
    ready = queue.Queue(maxsize=max(1, ahead))
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def build():
        source = iter(tasks)
        try:
            for task in source:
                if not put(task):
                    return
            put(_DONE)
        except BaseException as exc:  # raised again in the consumer
            put(_Failed(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def taken():
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item

    worker = threading.Thread(target=build, name="task-feed", daemon=True)
    worker.start()
    try:
        yield taken()
    finally:
        stop.set()
        worker.join()

"""One operation at a time per annotation run, across processes.

Two loads of the same run at once (two App users, or the App and a
delegated worker) would each merge with an id map the other has not
saved yet, and FiftyOne's run-results reader is not thread-safe. The lock
is a document in FiftyOne's database whose lease a background thread
renews while the holder works, so a crashed holder frees it within
``LEASE`` seconds.
"""

import contextlib
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import fiftyone.core.odm as foo
from pymongo.errors import DuplicateKeyError

from .errors import LabelStudioBackendError

COLLECTION = "labelstudio_run_locks"
LEASE = 30.0  # seconds a lock survives its holder's last renewal
WAIT = 600.0  # seconds to wait for another holder by default


def _collection():
    return foo.get_db_conn()[COLLECTION]


def _lock_id(dataset, anno_key) -> str:
    return "%s:%s" % (dataset._root_dataset._doc.id, anno_key)


def _now():
    return datetime.now(timezone.utc)


def _try_take(collection, lock_id, owner, what) -> bool:
    now = _now()
    fields = {
        "owner": owner,
        "what": what,
        "since": now,
        "expires": now + timedelta(seconds=LEASE),
    }
    try:
        collection.insert_one({"_id": lock_id, **fields})
        return True
    except DuplicateKeyError:
        pass
    # a holder that stopped renewing (crashed) loses the lock
    taken = collection.find_one_and_update(
        {"_id": lock_id, "expires": {"$lt": now}}, {"$set": fields}
    )
    return taken is not None


def _renew(collection, lock_id, owner, stop):
    while not stop.wait(LEASE / 3):
        collection.update_one(
            {"_id": lock_id, "owner": owner},
            {"$set": {"expires": _now() + timedelta(seconds=LEASE)}},
        )


@contextlib.contextmanager
def run_lock(dataset, anno_key: str, what: str = "load", wait=None):
    """Holds the lock of run ``anno_key`` of ``dataset``; waits up to
    ``wait`` seconds (default ``WAIT``) for another holder to finish.

    Raises:
        LabelStudioBackendError: the run stayed busy for ``wait`` seconds
    """
    wait = WAIT if wait is None else wait
    collection = _collection()
    lock_id = _lock_id(dataset, anno_key)
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    while not _try_take(collection, lock_id, owner, what):
        if time.monotonic() >= deadline:
            holder = collection.find_one({"_id": lock_id}) or {}
            raise LabelStudioBackendError(
                "Another %s of annotation run '%s' is in progress (since "
                "%s). Run this again when it has finished"
                % (
                    holder.get("what", "operation"),
                    anno_key,
                    holder.get("since", "a moment ago"),
                )
            )
        time.sleep(0.2)

    stop = threading.Event()
    renewer = threading.Thread(
        target=_renew, args=(collection, lock_id, owner, stop), daemon=True
    )
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        collection.delete_one({"_id": lock_id, "owner": owner})


_PROCESS_LOCKS: dict = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def process_lock(dataset, anno_key: str) -> threading.RLock:
    """The run's lock among the threads of this process (reentrant).

    Threads of one process share one dataset object: its run documents
    (whose results file handle FiftyOne reads and replaces unguarded) and
    its results cache. A live sync in a thread and a load in another would
    read a results file the other is replacing. Take it after
    :func:`run_lock`, never before (a holder of this lock may not wait for
    the run lock).
    """
    lock_id = _lock_id(dataset, anno_key)
    with _PROCESS_LOCKS_GUARD:
        return _PROCESS_LOCKS.setdefault(lock_id, threading.RLock())

"""Live-sync state in FiftyOne's database: one document per run.

The document says whether a sync of the run is running, who runs it
(``owner``), when it last proved alive (``expires``: its heartbeat, renewed
every ``POLL`` seconds while it works or waits), when it last synced and
what changed, and whether someone asked it to stop. It lives in MongoDB so
that the App, delegated workers and Python sessions on other machines all
see the same sync: a second sync of the run is refused (or joins the first)
while the first is alive, and a sync killed without a word stops counting
as alive ``LEASE`` seconds after its last heartbeat, so it never blocks the
run for longer. Nothing secret is stored here.
"""

from datetime import datetime, timedelta, timezone
from typing import Optional

import fiftyone.core.odm as foo
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from .errors import LabelStudioBackendError

COLLECTION = "labelstudio_syncs"
LEASE = 30.0  # seconds a sync stays "alive" after its last heartbeat
POLL = 1.0  # seconds between heartbeats (and checks for a stop request)

RUNNING = "running"
# how a sync ended
COMPLETED = "completed"  # every task of the run has an annotation
DEADLINE = "deadline"  # ``until`` passed
STOPPED = "stopped"  # someone asked it to stop
FAILED = "failed"  # too many rounds in a row failed
LOST = "lost"  # another sync took over (this one was thought dead)


class SyncRunningError(LabelStudioBackendError):
    """Another live sync of the run is alive."""


def _collection():
    return foo.get_db_conn()[COLLECTION]


def now() -> datetime:
    return datetime.now(timezone.utc)


def sync_id(dataset, anno_key: str) -> str:
    return "%s:%s" % (dataset._root_dataset._doc.id, anno_key)


def _aware(value):
    # pymongo returns naive UTC datetimes
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _plain(doc: Optional[dict]) -> Optional[dict]:
    if doc is None:
        return None
    doc = {k: _aware(v) for k, v in doc.items()}
    doc["alive"] = doc.get("state") == RUNNING and (
        doc.get("expires") is not None and doc["expires"] > now()
    )
    return doc


def get(dataset, anno_key: str) -> Optional[dict]:
    """The run's sync document (``alive`` added), or None."""
    return _plain(_collection().find_one({"_id": sync_id(dataset, anno_key)}))


def list_for_dataset(dataset) -> list:
    """Sync documents of every run of the dataset, newest first."""
    prefix = "%s:" % dataset._root_dataset._doc.id
    docs = _collection().find({"_id": {"$regex": "^%s" % prefix}})
    out = [_plain(d) for d in docs]
    return sorted(out, key=lambda d: d.get("started") or now(), reverse=True)


def claim(dataset, anno_key: str, owner: str, settings: dict) -> dict:
    """Makes ``owner`` the run's sync; returns the previous document (or
    {}) so that a restart can say where it continues from.

    Raises:
        SyncRunningError: another sync of the run is alive
    """
    collection = _collection()
    _id = sync_id(dataset, anno_key)
    t = now()
    doc = {
        "anno_key": anno_key,
        "owner": owner,
        "state": RUNNING,
        "started": t,
        "expires": t + timedelta(seconds=LEASE),
        "stop_requested": False,
        "rounds": 0,
        "failures": 0,
        "last_sync": None,
        "last_change": None,
        "last_error": None,
        "ended": None,
        **settings,
    }
    try:
        collection.insert_one({"_id": _id, **doc})
        return {}
    except DuplicateKeyError:
        pass
    previous = collection.find_one_and_update(
        {
            "_id": _id,
            "$or": [{"state": {"$ne": RUNNING}}, {"expires": {"$lt": t}}],
        },
        {"$set": doc},
        return_document=ReturnDocument.BEFORE,
    )
    if previous is not None:
        return _plain(previous)
    raise running_error(get(dataset, anno_key) or {}, anno_key)


def running_error(doc: dict, anno_key: str) -> SyncRunningError:
    return SyncRunningError(
        "A live sync of annotation run '%s' is already running (since %s, "
        "%d rounds, last synced %s). Stop it first (the Label Studio runs "
        "panel's Stop button, or fiftyone_labelstudio.stop_sync(dataset, "
        "'%s')), or pass join=True to wait for it"
        % (
            anno_key,
            _when(doc.get("started")),
            doc.get("rounds") or 0,
            _when(doc.get("last_sync")),
            anno_key,
        )
    )


def _when(value) -> str:
    if not isinstance(value, datetime):
        return "never"
    return _aware(value).strftime("%Y-%m-%d %H:%M:%S UTC")


def beat(dataset, anno_key: str, owner: str) -> Optional[dict]:
    """Renews the heartbeat; returns the document, or None when another
    sync owns the run now."""
    t = now()
    doc = _collection().find_one_and_update(
        {"_id": sync_id(dataset, anno_key), "owner": owner},
        {"$set": {"expires": t + timedelta(seconds=LEASE)}},
        return_document=ReturnDocument.AFTER,
    )
    return _plain(doc)


def update(dataset, anno_key: str, owner: str, **fields) -> bool:
    """Sets fields of our document; False when it is not ours any more."""
    res = _collection().update_one(
        {"_id": sync_id(dataset, anno_key), "owner": owner}, {"$set": fields}
    )
    return res.matched_count == 1


def finish(dataset, anno_key: str, owner: str, state: str, **fields) -> None:
    update(dataset, anno_key, owner, state=state, ended=now(), **fields)


def request_stop(dataset, anno_key: str) -> bool:
    """Asks the run's running sync to stop; False when none runs."""
    res = _collection().update_one(
        {"_id": sync_id(dataset, anno_key), "state": RUNNING},
        {"$set": {"stop_requested": True}},
    )
    return res.matched_count == 1


def forget(dataset, anno_key: str) -> None:
    """Removes the run's sync document (the run was deleted)."""
    _collection().delete_one({"_id": sync_id(dataset, anno_key)})

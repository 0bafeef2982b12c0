"""Label Studio projects that a failed ``annotate()`` could not delete.

When an upload fails, ``upload._rollback`` deletes the new project. If the
server is down or refuses the key at that moment, the project id is
recorded here (in FiftyOne's database, so every process that annotates on
that server sees it) and deleted the next time a run is created on the
same server. Only projects this package created are ever recorded, and a
project is deleted only while its title is still the recorded one.
"""

import logging
from datetime import datetime, timezone

import fiftyone.core.odm as foo

from ..client.errors import LabelStudioNotFoundError

logger = logging.getLogger(__name__)

COLLECTION = "labelstudio_leftover_projects"


def _collection():
    return foo.get_db_conn()[COLLECTION]


def record(url: str, project_id: int, title: str) -> None:
    """Remembers a project to delete on the next run on ``url``."""
    _collection().update_one(
        {"url": url, "project_id": int(project_id)},
        {
            "$set": {
                "title": title,
                "recorded_at": datetime.now(timezone.utc),
            }
        },
        upsert=True,
    )


def recorded(url: str) -> list:
    """The project ids still waiting for deletion on ``url``."""
    docs = _collection().find({"url": url}, {"project_id": 1})
    return sorted(d["project_id"] for d in docs)


def delete_recorded(client) -> list:
    """Deletes the recorded projects of ``client``'s server; returns the
    ids deleted. Projects that cannot be deleted now stay recorded."""
    collection = _collection()
    deleted = []
    for doc in list(collection.find({"url": client.url})):
        project_id = doc["project_id"]
        try:
            project = client.get_project(project_id)
            if project.get("title") == doc.get("title"):
                client.delete_project(project_id)
                deleted.append(project_id)
        except LabelStudioNotFoundError:
            pass  # deleted by someone else: nothing left to do
        except Exception as e:  # still unreachable: try next time
            logger.debug("Leftover project %s stays: %s", project_id, e)
            continue
        collection.delete_one({"_id": doc["_id"]})

    if deleted:
        logger.info(
            "Deleted Label Studio project(s) %s left behind by failed "
            "annotation runs",
            ", ".join(str(i) for i in deleted),
        )
    return deleted

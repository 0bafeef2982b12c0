"""Local Files import storages: let Label Studio serve files in place.

The server serves `/data/local-files/?d=<path relative to its
LOCAL_FILES_DOCUMENT_ROOT>` only when local serving is on and some Local
Files storage covers the file's directory. Whether that holds is decided
by the server (400 when serving is off, the path is not a strict
subdirectory of its document root, or does not exist), never guessed
from this process's environment.
"""

import logging
import os
from typing import Optional
from urllib.parse import quote

from . import errors
from .transport import Transport

logger = logging.getLogger(__name__)


def local_file_url(path: str, root: str, prefix: str = "") -> str:
    """`/data/local-files/?d=<relpath>` for a file under `root`."""
    path, root = os.path.abspath(path), os.path.abspath(root)
    rel = os.path.relpath(path, root)
    if (
        rel == os.curdir
        or rel.startswith(os.pardir + os.sep)
        or (rel == os.pardir)
    ):
        raise ValueError("%s is not inside %s" % (path, root))
    rel = rel.replace(os.sep, "/")
    return "%s/data/local-files/?d=%s" % (prefix, quote(rel, safe="/"))


def create_local_storage(
    transport: Transport, project_id: int, path: str, title: str
) -> tuple:
    """(storage id, None) or (None, the server's reason for refusing)."""
    what = "create a Local Files storage for project %d" % project_id
    try:
        storage = transport.json(
            "POST",
            "api/storages/localfiles/",
            what,
            json={
                "project": project_id,
                "path": os.path.abspath(path),
                "title": title,
                "use_blob_urls": True,
            },
            retries=0,
        )
    except errors.LabelStudioRequestError as exc:
        if exc.status_code != 400:
            raise
        reason = exc.detail
    else:
        return int(storage["id"]), None
    logger.info("Label Studio refused local storage %s: %s", path, reason)
    return None, reason


def delete_storage(transport: Transport, storage_id: int) -> None:
    transport.request(
        "DELETE",
        "api/storages/localfiles/%d" % storage_id,
        "delete Local Files storage %d" % storage_id,
        retries=0,
    )

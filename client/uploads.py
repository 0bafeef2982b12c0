"""Uploads local media files to a project without creating tasks.

`POST /api/projects/<id>/import?commit_to_project=false` stores the files
(FileUpload objects) but creates no task; `GET .../file-uploads?ids=[..]`
then gives each stored name (`upload/<project>/<8 hex>-<name>`), served
at `/data/<name>`. The caller builds the tasks itself (with inline
predictions) and imports them as JSON.
"""

import contextlib
import json
import mimetypes
import os
from typing import Callable, Optional, Sequence

from .. import constants
from . import errors
from .transport import Transport

# Media types Label Studio accepts (settings.SUPPORTED_EXTENSIONS minus the
# text formats it would parse as task lists). TIFF is refused by the server.
MEDIA_EXTENSIONS = frozenset(
    [".bmp", ".gif", ".jpg", ".jpeg", ".png", ".svg", ".webp"]
    + [".mp4", ".webm", ".mp3", ".wav", ".flac", ".m4a", ".ogg"]
)


def check_media_paths(paths: Sequence[str]) -> None:
    """Raises ValueError naming every unusable path, before any upload."""
    unsupported, missing = [], []
    for path in paths:
        ext = os.path.splitext(path)[1].lower()
        if ext not in MEDIA_EXTENSIONS:
            unsupported.append(path)
        elif not os.path.isfile(path):
            missing.append(path)
    problems = []
    if unsupported:
        problems.append(
            "%d file(s) of a type Label Studio does not accept (%s), e.g. "
            "%s; convert them (e.g. TIFF to PNG) first"
            % (
                len(unsupported),
                ", ".join(sorted(MEDIA_EXTENSIONS)),
                unsupported[0],
            )
        )
    if missing:
        problems.append(
            "%d file(s) do not exist, e.g. %s" % (len(missing), missing[0])
        )
    if problems:
        raise ValueError("Cannot upload: " + "; ".join(problems))


def _media_urls(
    transport: Transport, project_id: int, upload_ids: list
) -> list:
    """Media URLs of FileUpload ids, in the order of `upload_ids`."""
    what = "read the uploaded files of project %d" % project_id
    uploads = transport.json(
        "GET",
        "api/projects/%d/file-uploads" % project_id,
        what,
        params={"ids": json.dumps(upload_ids)},
    )
    names = {u["id"]: u["file"] for u in uploads}
    missing = [i for i in upload_ids if i not in names]
    if missing:
        raise errors.LabelStudioRequestError(
            "Label Studio at %s did not list uploaded files %s of project "
            "%d; upload again" % (transport.url, missing, project_id),
            url=transport.url,
        )
    return [
        "%s/data/%s" % (transport.path_prefix, names[i].lstrip("/"))
        for i in upload_ids
    ]


def upload_files(
    transport: Transport,
    project_id: int,
    paths: Sequence[str],
    progress: Optional[Callable[[int], None]] = None,
    batch_size: int = constants.UPLOAD_BATCH_SIZE,
) -> list:
    """Uploads `paths`; returns their media URLs in the same order."""
    paths = [os.fspath(p) for p in paths]
    check_media_paths(paths)
    what = "upload files to project %d" % project_id
    urls = []
    for start in range(0, len(paths), batch_size):
        batch = paths[start : start + batch_size]
        with contextlib.ExitStack() as stack:
            # Unique part names: the server keeps one file per name
            files = [
                (
                    "file%d" % i,
                    (
                        os.path.basename(path),
                        stack.enter_context(open(path, "rb")),
                        mimetypes.guess_type(path)[0]
                        or "application/octet-stream",
                    ),
                )
                for i, path in enumerate(batch)
            ]
            answer = transport.post_files(
                "api/projects/%d/import" % project_id,
                what,
                files,
                params={"commit_to_project": "false"},
            )
        upload_ids = answer.get("file_upload_ids") or []
        if len(upload_ids) != len(batch):
            raise errors.LabelStudioRequestError(
                "Label Studio at %s stored %d of %d files sent to project "
                "%d; upload again"
                % (transport.url, len(upload_ids), len(batch), project_id),
                url=transport.url,
            )
        urls.extend(_media_urls(transport, project_id, upload_ids))
        if progress is not None:
            progress(len(urls))
    return urls

"""Reads every task of a project back, with annotations and predictions.

Measured on Label Studio 1.23.2 (SQLite, 2 busy cores, load ~2.7),
1,000 tasks with one 10-box prediction and one 10-box annotation each,
`Connection: close`, median of 5 interleaved runs (min in brackets):

  sync export `GET /export?exportType=JSON&download_all_tasks=true`
      + `GET /api/predictions/?project=<id>` (joined here)   1.34 s (1.18)
  export snapshot with `predictions.only_id=false`
      (POST /exports/, download, DELETE)                      1.90 s (1.59)
  `GET /api/tasks/?fields=all&page_size=1000`                 3.10 s (2.98)

The sync export gives predictions as ids only, so the full prediction
objects come from the predictions list (one request, ~0.12 s) and are
put in place of the ids. Annotations carry `completed_by` as a user id.
"""

import json
import re
from typing import Iterable, Iterator, Optional

from . import errors
from .transport import Transport

_SPACE = re.compile(r"\s*")

# Task ids per sync-export request when filtering (keeps URLs short)
IDS_PER_REQUEST = 500


def _export_texts(
    transport: Transport, project_id: int, ids: Optional[list]
) -> list:
    """The sync export's JSON text(s): one request for the whole project,
    one per IDS_PER_REQUEST task ids when filtering."""
    what = "export the tasks of project %d" % project_id
    params = {
        "exportType": "JSON",
        "download_all_tasks": "true",
        "download_resources": "false",
    }
    path = "api/projects/%d/export" % project_id
    if ids is None:
        return [transport.text("GET", path, what, params=params)]
    return [
        transport.text(
            "GET",
            path,
            what,
            params={**params, "ids[]": ids[start : start + IDS_PER_REQUEST]},
        )
        for start in range(0, len(ids), IDS_PER_REQUEST)
    ]


def _parse_each(texts: list, what: str, url: str) -> Iterator[dict]:
    """The tasks of JSON array texts, parsed one at a time (a caller that
    keeps only part of each task never holds the whole parsed export:
    parsed, a task takes ~3x its JSON size); each text is released once
    read."""
    decoder = json.JSONDecoder()
    while texts:
        text = texts.pop(0)
        try:
            pos = _SPACE.match(text).end()
            if text[pos : pos + 1] != "[":
                raise ValueError("not a JSON array")
            pos = _SPACE.match(text, pos + 1).end()
            if text[pos : pos + 1] == "]":
                if _SPACE.match(text, pos + 1).end() != len(text):
                    raise ValueError("extra data at %d" % (pos + 1))
                continue
            while True:
                task, pos = decoder.raw_decode(text, pos)
                yield task
                pos = _SPACE.match(text, pos).end()
                sep = text[pos : pos + 1]
                pos = _SPACE.match(text, pos + 1).end()
                if sep == "]":
                    if pos != len(text):
                        raise ValueError("extra data at %d" % pos)
                    break
                if sep != ",":
                    raise ValueError("expected ',' or ']' at %d" % pos)
        except ValueError as exc:
            raise errors.LabelStudioRequestError(
                "Could not %s: the export is not valid JSON (%s)"
                % (what, exc),
                url=url,
            ) from None


def _predictions_by_task(transport: Transport, project_id: int) -> dict:
    what = "read the predictions of project %d" % project_id
    predictions = transport.json(
        "GET", "api/predictions/", what, params={"project": project_id}
    )
    if isinstance(predictions, dict):  # in case a server paginates
        predictions = predictions.get("results", [])
    by_task = {}
    for prediction in predictions:
        by_task.setdefault(prediction["task"], []).append(prediction)
    return by_task


class ExportRequests:
    """The export request of :class:`LabelStudioClient` (a mixin: the
    method is the request itself, on ``self._transport``)."""

    _transport: Transport

    def export_tasks(
        self,
        project_id: int,
        ids: Optional[Iterable[int]] = None,
        predictions: bool = True,
        stream: bool = False,
    ) -> Iterable[dict]:
        """All tasks (or those in `ids`), full annotations and predictions.

        With ``predictions=False`` the tasks keep the export's prediction ids
        (one request and the largest part of the answer fewer). ``stream``
        (only with ``predictions=False``): an iterator that parses the tasks
        one at a time (all requests are made before it is returned).
        """
        transport = self._transport
        if stream and predictions:
            raise ValueError("stream=True needs predictions=False")
        ids = None if ids is None else sorted({int(i) for i in ids})
        if ids == []:
            return []
        texts = _export_texts(transport, project_id, ids)
        what = "export the tasks of project %d" % project_id
        if stream:
            return _parse_each(texts, what, transport.url)
        tasks = list(_parse_each(texts, what, transport.url))
        if not predictions:
            return tasks
        by_task = _predictions_by_task(transport, project_id)
        for task in tasks:
            found = {p["id"]: p for p in by_task.get(task["id"], [])}
            # Keep the export's order; a prediction created between the two
            # requests is simply not in this export
            task["predictions"] = [
                found[p] if not isinstance(p, dict) else p
                for p in task.get("predictions", [])
                if isinstance(p, dict) or p in found
            ]
        return tasks

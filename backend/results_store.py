"""Saving a run's results so that a kill at any moment leaves it loadable.

FiftyOne's ``BaseRun.save_run_results`` deletes the run's old results file
(GridFS) first, then writes the new one, then saves the run document. A
process killed between the delete and the save (a live sync saves the run
every round, so a killed sync hits this) leaves the run document pointing
at a deleted file, and every later ``load_annotation_results`` of the run
fails with a bare ``AttributeError`` from mongoengine's GridFS proxy.

Here the order is: write the new file, point the run document at it, then
delete the old file. A kill before the run document is saved leaves the
old results (and an unreferenced new file); a kill after leaves the new
ones. Each file is tagged with its run document's id (``RUN_TAG``, stable
across renames), so the next save of the run deletes what a killed save
left behind. Same arguments and effects as FiftyOne's function otherwise, and
the same bytes: the JSON is encoded in pieces straight into the file
(FiftyOne's ``json_util.dumps`` holds a converted copy of the record and
its whole text at once: ~100 MB more at the end of a 100k-task load).
FiftyOne's private run members used here pass ``fiftyone_internals``'
check first (``core.save_run_results`` falls back to FiftyOne's save).
"""

import json
from typing import Iterator

from bson import json_util

# Bytes written to GridFS at a time
PIECE_BYTES = 1 << 20
# Field of our GridFS files: the id of the run document they belong to
RUN_TAG = "fols_run"


def save_run_results(
    method_cls, samples, key, run_results, overwrite=True, cache=True
) -> None:
    """``method_cls.save_run_results`` (FiftyOne's), kill-safe."""
    if key is None:
        return

    dataset = samples._root_dataset
    run_doc = method_cls._get_run_doc(samples, key)
    proxy = run_doc.results
    old_id = proxy.grid_id if proxy else None
    if old_id is not None and not overwrite:
        raise ValueError(
            "%s with key '%s' already has results"
            % (method_cls._run_str().capitalize(), key)
        )

    tag = {RUN_TAG: str(run_doc.id)}
    new_id = None
    if run_results is None:
        run_doc.results = None
        run_doc.results_meta = {}
    else:
        try:
            new_id = _write_pieces(proxy.fs, run_results.serialize(), tag)
        except ValueError:
            # a non-finite float: json_util writes it as {"$numberDouble"}
            data = json_util.dumps(run_results.serialize()).encode()
            new_id = proxy.fs.put(data, content_type="application/json", **tag)
        # the proxy now names the new file; the old one stays until the
        # run document no longer points at it
        proxy.grid_id = new_id
        proxy.gridout = None
        proxy._mark_as_changed()
        run_doc.results_meta = dict(run_results.get_meta() or {})

    if cache:
        results_cache = getattr(dataset, method_cls._results_cache_field())
        results_cache[key] = run_results

    run_doc.save()
    if old_id is not None:
        proxy.fs.delete(old_id)
    if proxy is not None:
        # files of this run a killed save wrote and never pointed at
        for stale in proxy.fs.find({**tag, "_id": {"$ne": new_id}}):
            proxy.fs.delete(stale._id)


def _write_pieces(fs, record, tag: dict) -> object:
    """Writes ``record`` as one GridFS file, in pieces; returns its id."""
    new_file = fs.new_file(content_type="application/json", **tag)
    try:
        for piece in json_pieces(record):
            new_file.write(piece)
    except BaseException:
        new_file.abort()
        raise
    new_file.close()
    return new_file._id


def json_pieces(obj, size: int = PIECE_BYTES) -> Iterator[bytes]:
    """``json_util.dumps(obj).encode()``, in pieces of about ``size``
    bytes, without building the whole text. Raises ValueError for a
    non-finite float (json_util writes those in its own form)."""
    encoder = json.JSONEncoder(default=json_util.default, allow_nan=False)
    buffer, length = [], 0
    for chunk in encoder.iterencode(obj):
        buffer.append(chunk)
        length += len(chunk)
        if length >= size:
            yield "".join(buffer).encode()
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode()

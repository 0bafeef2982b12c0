"""What an annotation run left in Label Studio, and what its loads do to
it (:class:`LabelStudioAnnotationResults`; FiftyOne stores it with the
run under ``fiftyone_labelstudio.backend.LabelStudioAnnotationResults``).
"""

import logging
import webbrowser
from typing import Optional

import fiftyone.utils.annotations as foua

from .. import constants
from ..client.api import project_url
from . import packed_ids, packed_tasks, run_cleanup, status
from .errors import LabelStudioBackendError
from .load_options import LoadReport

logger = logging.getLogger(__name__)

_RESULTS_CLS = constants.PACKAGE + ".backend.LabelStudioAnnotationResults"


class LabelStudioAnnotationResults(foua.AnnotationResults):
    """What an annotation run left in Label Studio.

    Args:
        samples: the annotated collection
        config: the :class:`LabelStudioBackendConfig`
        anno_key: the run key
        id_map: ``{field: {sample id: label id(s) or True}}`` of the
            existing labels uploaded for editing (fields of ObjectIds are
            held packed: :class:`packed_ids.PackedIds`, a dict-like map)
        project_id: the Label Studio project id
        task_map: ``{task id: sample id}`` from the import response (held
            as a read-only :class:`packed_tasks.PackedTaskMap`)
        storage_ids: ids of the local-files storages the run created
        cloud_storages: ``[{"kind": "s3"|"gcs"|"azure", "id": int}]``, the
            cloud import storages the run created (never reused ones)
        url: the Label Studio URL (never the key)
        project_title: the project title
        media_mode: how the media reached Label Studio ("upload", "local",
            "url" or a mix joined by "+")
        label_config_hash: hash of the label schema the project was built
            from
        origin ("created"): where the project came from: ``"created"`` by
            the run (cleanup deletes it), ``"existing"`` (the run added
            tasks to it; cleanup deletes those) or ``"imported"``
            (registered by ``import_project``; cleanup deletes nothing)
        load_position (None): where the last load got to (newest task
            ``updated_at`` read, load options, server and project), for
            incremental loads
    """

    def __init__(
        self,
        samples,
        config,
        anno_key,
        id_map,
        project_id=None,
        task_map=None,
        storage_ids=None,
        cloud_storages=None,
        url=None,
        project_title=None,
        media_mode=None,
        label_config_hash=None,
        origin="created",
        load_position=None,
        backend=None,
    ):
        # packed: a plain id_map of 100k samples x 10 labels costs ~200 MB
        id_map = packed_ids.pack_id_map(id_map)
        super().__init__(samples, config, anno_key, id_map, backend=backend)
        self.project_id = project_id
        self.task_map = packed_tasks.pack_task_map(task_map)
        self.storage_ids = list(storage_ids or [])
        self.cloud_storages = [dict(s) for s in cloud_storages or []]
        self.url = url
        self.project_title = project_title
        self.media_mode = media_mode
        self.label_config_hash = label_config_hash
        self.origin = origin or "created"
        # Where the last load got to (backend/incremental.py)
        self.load_position = load_position
        # Private, never stored with the run: the last load's report and
        # position (saved by commit_load once its merge succeeded), and
        # the whole id_map while a merge sees part of it
        self._load_report = None
        self._last_load = None
        self._pending_position = None
        self._full_id_map = None

    @property
    def cls(self):
        if type(self) is LabelStudioAnnotationResults:
            return _RESULTS_CLS
        return super().cls

    @property
    def project_url(self):
        """The project's page in Label Studio."""
        if self.project_id is None:
            return None
        return project_url(self.url or self.config.url, self.project_id)

    def get_meta(self):
        return {
            "project_id": self.project_id,
            "project_url": self.project_url,
            "project_title": self.project_title,
            "num_tasks": len(self.task_map),
            "origin": self.origin,
        }

    def launch_editor(self):
        """Opens the project in a web browser on this machine."""
        url = self.project_url
        if url is None:
            raise LabelStudioBackendError(
                "Annotation run '%s' has no Label Studio project (it was "
                "cleaned up)" % self.key
            )
        logger.info("Launching editor at '%s'...", url)
        webbrowser.open_new_tab(url)

    def get_status(self):
        """Counts from Label Studio: tasks, annotated, skipped, predictions
        and annotations per annotator."""
        return status.get_status(self)

    def print_status(self):
        """Prints :meth:`get_status` in a readable form."""
        print(status.format_status(self.get_status()))

    def cleanup(self):
        """Deletes the run's Label Studio project (with its tasks and
        annotations) and the local-files storages the run created. A
        project the run did not create stays: only the run's tasks (if it
        added any) are deleted."""
        run_cleanup.cleanup(self)

    # -- loads (download.py, bulk_load.py, incremental.py) -----------------

    def record_load(self, report: LoadReport) -> None:
        """Keeps a load's report for callers that show it, and the load
        position to save when the run is saved after the merge."""
        self._last_load = report
        self._load_report = report.as_dict()
        self._pending_position = report.position

    def last_load_report(self) -> Optional[LoadReport]:
        """The report of this object's last load, or None."""
        return self._last_load

    def narrow_id_map(self, sample_ids: set) -> None:
        """During a merge of part of the run (an incremental load, one
        batch): only ``sample_ids`` are merged (FiftyOne's merge deletes
        the labels of every ``id_map`` sample it gets no labels for)."""
        self.restore_id_map()
        self._full_id_map = self.id_map
        self.id_map = {
            field: _narrow(by_sample, sample_ids)
            for field, by_sample in self.id_map.items()
        }

    def restore_id_map(self) -> None:
        """Widens a narrowed ``id_map`` back (the merge's new ids kept)."""
        full = self._full_id_map
        if full is None:
            return
        merged = {}
        for field in set(full) | set(self.id_map):
            old = full.get(field)
            new = self.id_map.get(field)
            if isinstance(old, packed_ids.PackedIds) and new is not None:
                # only changes are set, in place: the whole map is held
                # here alone while narrowed, and a copy of it would be
                # a second copy of its arrays at every fold
                old.update_changed(new)
                merged[field] = old
            elif isinstance(old, dict) and isinstance(new, dict):
                merged[field] = {**old, **new}
            else:
                merged[field] = new if new is not None else old
        self.id_map = merged
        self._full_id_map = None

    def commit_load(self) -> None:
        """Called when the run is saved after a merge: the whole id_map,
        and the position of the load that succeeded."""
        self.restore_id_map()
        # fields FiftyOne's merge added as plain dicts are saved packed
        self.id_map = packed_ids.pack_id_map(self.id_map)
        if self._pending_position is not None:
            self.load_position = self._pending_position
            self._pending_position = None

    @classmethod
    def _from_dict(cls, d, samples, config, anno_key):
        # packed maps, or the plain dicts of records written before
        return cls(
            samples,
            config,
            anno_key,
            packed_ids.unpack_record(d["id_map"]),
            project_id=d.get("project_id"),
            task_map=packed_tasks.task_map_from_record(d.get("task_map")),
            storage_ids=d.get("storage_ids"),
            cloud_storages=d.get("cloud_storages"),
            url=d.get("url"),
            project_title=d.get("project_title"),
            media_mode=d.get("media_mode"),
            label_config_hash=d.get("label_config_hash"),
            origin=d.get("origin"),
            load_position=d.get("load_position"),
        )


def _narrow(by_sample, sample_ids: set):
    """A plain dict of the ``sample_ids`` entries of one field's map."""
    if isinstance(by_sample, packed_ids.PackedIds):
        # looked up, not decoded whole (20 batches would decode the whole
        # map 20 times)
        return by_sample.subset(sample_ids)
    if isinstance(by_sample, dict):
        return {s: v for s, v in by_sample.items() if s in sample_ids}
    return by_sample

"""FiftyOne's annotation-backend contract for Label Studio.

``LabelStudioBackendConfig`` and ``LabelStudioBackend`` must live in the
same module (FiftyOne finds the backend class by dropping "Config" from
the config class path; the stable path ``backend.LabelStudioBackendConfig``
resolves both). The work is done in small modules: ``upload`` (which
returns what it made; the results are built here), ``download``,
``status``, ``media``, ``schema``, ``credentials``.
"""

import logging

import fiftyone.core.fields as fof
import fiftyone.core.media as fomm
import fiftyone.utils.annotations as foua

from .. import constants
from . import credentials, download
from .app_schemas import resolve_default_schema
from .attributes import (
    prepare_schema,
    recommend_attr_tool,
    requires_attr_values,
)
from .connection import connect
from .errors import LabelStudioBackendError
from .fiftyone_internals import fast_paths_ok
from .load_options import from_load_call
from .project import describe_project
from .results_store import save_run_results as save_results
from .run_results import LabelStudioAnnotationResults
from .schema import LABEL_TYPES_WITH_CLASSES
from .upload import prepare, upload

logger = logging.getLogger(__name__)

# == converters.attributes.ATTR_TYPES (checked by the unit tests)
_ATTR_TYPES = (
    "text",
    "select",
    "radio",
    "checkbox",
    "occluded",
    "checkboxes",
    "number",
)

_LABEL_TYPES = [*LABEL_TYPES_WITH_CLASSES, "segmentation", "scalar"]


class LabelStudioBackendConfig(foua.AnnotationBackendConfig):
    """Configures a :class:`LabelStudioBackend`.

    Args:
        name: the name of the backend ("labelstudio")
        label_schema: the normalized label schema
        media_field ("filepath"): the field holding each sample's image
            path or URL
        url (None): the Label Studio URL (default: env
            ``FIFTYONE_LABELSTUDIO_URL``, the annotation config, then
            ``http://localhost:8080``)
        api_key (None): a legacy token or personal access token (default:
            env ``FIFTYONE_LABELSTUDIO_API_KEY``, the annotation config,
            then a prompt on a TTY). Never serialized
        project_name (None): the project title (default
            ``"FiftyOne_<dataset name>"``)
        media_mode ("auto"): how Label Studio gets the images: ``"auto"``
            (URLs as URLs; local files through a local-files storage when
            the server serves their folder, else uploaded), ``"upload"``,
            ``"local"`` or ``"url"``
        annotator (None): when loading, use this annotator's annotation
            (email, username or user id) instead of the latest one
        timeout (600): seconds to wait for one Label Studio request
        send_existing_labels (True): upload the existing labels of the
            schema's fields as editable pre-annotations. With False the
            tasks start empty, nothing existing is edited or deleted, and
            loading only adds labels
        progress (None): progress bars for upload and download (True/False,
            None for FiftyOne's default, or a callback). Not serialized
        project_id (None): add the tasks to this existing Label Studio
            project instead of creating one. Its labeling config must cover
            the schema (checked first; nothing is created otherwise), and
            ``cleanup()`` then deletes only the run's tasks
        cloud_storage_id (None): media in a bucket (``s3://``, ``gs://``,
            ``azure-blob://`` URIs in the media field) is served by this
            existing import storage of the project (``project_id``)
            instead of one the run connects
        cloud_credentials (None): credentials for the storage the run
            connects, as a dict of Label Studio's storage fields
            (``aws_access_key_id``, ``aws_secret_access_key``,
            ``aws_session_token``, ``region_name``, ``s3_endpoint``,
            ``google_application_credentials``, ``google_project_id``,
            ``account_name``, ``account_key``) or of the standard
            environment names (``AWS_ACCESS_KEY_ID``, ...). Default: the
            standard environment. Never serialized
        predictions_field (None): a label field holding a model's
            predictions (or a dict ``{annotated field: predictions
            field}``), sent as Label Studio predictions of the annotated
            field's control with the labels' confidences as scores (see
            backend.predictions). The field itself is never changed
        model_version (None): the predictions' ``model_version``
            (default: the predictions field's name)
        group_slices (None): set by the run, not an option: the slices
            a grouped collection sends (all of its slices, each an image
            slice; choose them with ``select_group_slices([...],
            flat=False)``). One task per group, one ``Image`` per slice,
            each slice's controls named ``<control>_<slice>``
            (backend.groups)
        polylines_as_polygons (False): send open-polyline fields
            (``polyline(s)``) as ``PolygonLabels`` instead of
            ``VectorLabels``, for Label Studio < 1.23 whose editor has no
            VectorLabels; they load back as open polylines. Without it,
            such fields on such a server are refused before anything is
            created
    """

    def __init__(
        self,
        name,
        label_schema,
        media_field="filepath",
        url=None,
        api_key=None,
        project_name=None,
        media_mode="auto",
        annotator=None,
        timeout=600,
        send_existing_labels=True,
        progress=None,
        project_id=None,
        cloud_storage_id=None,
        cloud_credentials=None,
        predictions_field=None,
        model_version=None,
        polylines_as_polygons=False,
        group_slices=None,
        **kwargs,
    ):
        super().__init__(name, label_schema, media_field=media_field, **kwargs)
        self.project_id = project_id
        self.predictions_field = predictions_field
        self.model_version = model_version
        self.url = credentials.resolve_url(url, name)
        self.project_name = project_name
        self.media_mode = media_mode
        self.annotator = annotator
        self.timeout = timeout
        self.send_existing_labels = send_existing_labels
        self.cloud_storage_id = cloud_storage_id
        self.polylines_as_polygons = bool(polylines_as_polygons)
        self.group_slices = group_slices

        # Private: never serialized into the run document
        self._api_key = api_key
        self._cloud_credentials = cloud_credentials
        self._progress = progress
        self._predictions_map = {}  # resolved by upload.prepare

    @property
    def predictions_map(self) -> dict:
        """``{annotated field: predictions field}`` (checked)."""
        return self._predictions_map

    @predictions_map.setter
    def predictions_map(self, value):
        self._predictions_map = dict(value or {})

    @property
    def cls(self):
        # The stable public path (the class lives in backend.core)
        if type(self) is LabelStudioBackendConfig:
            return constants.CONFIG_CLS
        return super().cls

    @property
    def api_key(self):
        return self._api_key

    @api_key.setter
    def api_key(self, value):
        self._api_key = value

    @property
    def cloud_credentials(self):
        return self._cloud_credentials

    @cloud_credentials.setter
    def cloud_credentials(self, value):
        self._cloud_credentials = value

    @property
    def progress(self):
        return self._progress

    @progress.setter
    def progress(self, value):
        self._progress = value

    def load_credentials(
        self, url=None, api_key=None, annotator=None, full=None, **kwargs
    ):
        """Takes what ``load_annotation_results(anno_key, **kwargs)`` (and
        so ``load_annotations``) passes: ``url``, ``api_key`` and
        ``timeout`` (seconds per request). ``annotator`` and ``full`` are
        options of one load, read from that call
        (``load_options.from_load_call``), not kept here."""
        if url is not None:
            self.url = credentials.resolve_url(url, self.name)
        if api_key is not None:
            self._api_key = api_key
        if "progress" in kwargs:
            self._progress = kwargs.pop("progress")
        if kwargs.get("timeout") is not None:
            self.timeout = kwargs.pop("timeout")


class LabelStudioBackend(foua.AnnotationBackend):
    """Annotates FiftyOne image samples in Label Studio."""

    # Readable without an instance (the App's forms use them)
    SUPPORTED_LABEL_TYPES = tuple(_LABEL_TYPES)
    SUPPORTED_ATTR_TYPES = _ATTR_TYPES
    # grouped collections: their image slices (backend.groups)
    SUPPORTED_MEDIA_TYPES = (fomm.IMAGE, fomm.VIDEO, fomm.GROUP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._media_plan = None

    @property
    def supported_media_types(self):
        return list(self.SUPPORTED_MEDIA_TYPES)

    @property
    def supported_label_types(self):
        return list(self.SUPPORTED_LABEL_TYPES)

    @property
    def supported_scalar_types(self):
        return [
            fof.IntField,
            fof.FloatField,
            fof.StringField,
            fof.BooleanField,
        ]

    @property
    def supported_attr_types(self):
        return list(self.SUPPORTED_ATTR_TYPES)

    @property
    def supports_keyframes(self):
        return True  # video tracks upload only keyframes when asked

    @property
    def supports_video_sample_fields(self):
        return True

    @property
    def requires_label_schema(self):
        # without label_field/label_schema, register_run takes the
        # dataset's App label schemas (backend.app_schemas)
        return False

    def recommend_attr_tool(self, name, value):
        return recommend_attr_tool(name, value)

    def requires_attr_values(self, attr_type):
        return requires_attr_values(attr_type)

    def _connect_to_api(self):
        return connect(self.config)

    @property
    def client(self):
        """The checked :class:`LabelStudioClient` of this backend."""
        return self.connect_to_api().client

    def register_run(self, samples, key, overwrite=True, cleanup=True):
        """Checks everything that can be checked before the run is
        recorded and anything is created in Label Studio."""
        if key is not None and not overwrite:
            if key in samples._root_dataset.list_annotation_runs():
                raise LabelStudioBackendError(
                    "Dataset '%s' already has an annotation run with key "
                    "'%s'. Choose another anno_key, or delete the old run "
                    "first with dataset.delete_annotation_run('%s') (after "
                    "results.cleanup() if its Label Studio project should "
                    "go too)" % (samples._root_dataset.name, key, key)
                )

        resolve_default_schema(self, samples)
        prepare_schema(samples, self.config.label_schema)
        self._media_plan = prepare(self, samples)
        super().register_run(
            samples, key, overwrite=overwrite, cleanup=cleanup
        )

    def upload_annotations(self, samples, anno_key, launch_editor=False):
        made = upload(self, samples, anno_key, self._media_plan)
        self._media_plan = None
        results = LabelStudioAnnotationResults(
            samples, self.config, anno_key, backend=self, **made.as_kwargs()
        )
        if launch_editor:
            results.launch_editor()

        return results

    def download_annotations(self, results, unexpected=None):
        """FiftyOne's contract; the load's options (``unexpected=``,
        ``dest_field``, ``full``, ``annotator``) are read from FiftyOne's
        ``load_annotations`` call (``unexpected`` when not given). The
        report is kept on ``results`` (``last_load_report``)."""
        options = from_load_call(unexpected)
        annotations, report = download.download(results, options)
        results.record_load(report)
        return annotations

    @classmethod
    def save_run_results(
        cls, samples, key, run_results, overwrite=True, cache=True
    ):
        # After a load's merge (FiftyOne's and bulk_load both save the run
        # last): the id_map narrowed for an incremental merge is widened
        # back and the new load position recorded, both only on success
        if isinstance(run_results, LabelStudioAnnotationResults):
            run_results.commit_load()
        # FiftyOne's save deletes the old results before writing the new:
        # a process killed in between would leave the run unloadable
        if fast_paths_ok("save_run_results"):
            save_results(
                cls,
                samples,
                key,
                run_results,
                overwrite=overwrite,
                cache=cache,
            )
        else:
            super().save_run_results(
                samples, key, run_results, overwrite=overwrite, cache=cache
            )

    def rename(self, samples, key, new_key):
        """Keeps the Label Studio project's description in step with the
        run key (the title is the user's ``project_name``)."""
        results = samples._root_dataset._annotation_cache.get(key)
        if results is not None and results.backend is not None:
            client = results.backend.client
        else:
            if credentials.find_api_key(self.config.api_key) is None:
                return  # nothing to update with; the run key still changes
            client = self.client

        project_id, origin = _project_of(samples, key, results)
        if origin != "created":
            return  # not our project: its description stays the user's
        if project_id is not None:
            client.update_project(
                project_id,
                description=describe_project(samples._root_dataset, new_key),
            )


def _project_of(samples, key, results) -> tuple:
    """``(project id, origin)`` of the run, from its loaded results or
    else its stored results meta."""
    if results is not None:
        return results.project_id, getattr(results, "origin", "created")

    meta = samples._root_dataset._doc.annotation_runs[key].results_meta
    meta = meta or {}
    return meta.get("project_id"), meta.get("origin") or "created"

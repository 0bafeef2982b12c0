"""What the operators and the panel share: credentials, this backend's runs,
their summaries, and the "last loaded" record.

No App types here: everything is plain Python on a dataset, so that the
operators, the panel and the tests use the same functions.
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone

from .. import constants

# The backend class whose runs are "ours" (FiftyOne's built-in Label Studio
# backend has the same method name, "labelstudio", so filter by class)
BACKEND_CLS = constants.CONFIG_CLS[: -len("Config")]

# dataset.info key holding {anno_key: ISO time of the last load}
LAST_LOADED_INFO_KEY = "labelstudio_last_loaded"


@dataclass(frozen=True)
class Credentials:
    """Label Studio URL + API key for one execution (never stored)."""

    url: str
    api_key: str = field(repr=False)

    def kwargs(self) -> dict:
        """The keyword arguments FiftyOne passes on to the backend."""
        return {"url": self.url, "api_key": self.api_key}


def _secret(ctx, name: str):
    # ctx.secret() always returns a str (ctx.secrets[k] may be an object)
    try:
        value = ctx.secret(name)
    except Exception:
        value = None
    if value is not None and not isinstance(value, str):
        value = getattr(value, "value", None)
    return value.strip() if value else None


def get_credentials(ctx):
    """Returns ``(credentials, problem)`` from the plugin's secrets.

    ``problem`` is a user-facing sentence naming the secret to set, or
    None. The URL defaults to ``constants.DEFAULT_URL``.
    """
    url = _secret(ctx, constants.SECRET_URL)
    if not url or url.rstrip("/") == constants.FIFTYONE_PLACEHOLDER_URL:
        url = constants.DEFAULT_URL
    api_key = _secret(ctx, constants.SECRET_API_KEY)
    if not api_key:
        return None, (
            "No Label Studio API key: set the secret %s (an environment "
            "variable of the FiftyOne App server, or of the `fiftyone "
            "delegated launch` worker for background runs) to your Label "
            "Studio access token; %s=%s is the server used."
            % (constants.SECRET_API_KEY, constants.SECRET_URL, url)
        )
    return Credentials(url.rstrip("/"), api_key), None


def check_connection(credentials: Credentials, timeout: float = 5.0):
    """Returns ``(server facts, problem)``: one cheap authenticated call.

    ``problem`` names the secret to fix when the key is rejected, and never
    contains the key.
    """
    from ..client import LabelStudioClient
    from ..client import errors as ls_errors

    try:
        client = LabelStudioClient(
            credentials.url, credentials.api_key, timeout=timeout
        )
        return client.check(), None
    except ls_errors.LabelStudioAuthError as e:
        return None, _naming(str(e), constants.SECRET_API_KEY)
    except ls_errors.LabelStudioError as e:
        return None, _naming(str(e), constants.SECRET_URL)
    except Exception as e:  # network stack errors the client did not wrap
        return None, _naming(
            "Cannot reach Label Studio at %s (%s)"
            % (credentials.url, type(e).__name__),
            constants.SECRET_URL,
        )


def _naming(message: str, secret: str) -> str:
    """The message, making sure it names the secret to fix."""
    if secret not in message:
        message = "%s (set the secret %s)" % (message.rstrip("."), secret)
    return message


def list_runs(dataset) -> list:
    """Keys of the annotation runs made with this package's backend."""
    try:
        return dataset.list_annotation_runs(type=BACKEND_CLS)
    except Exception:
        # the backend package failed to import: fall back to the raw docs
        keys = []
        for key, doc in dataset._doc.annotation_runs.items():
            cls = (getattr(doc, "config", None) or {}).get("cls", "")
            if cls == constants.CONFIG_CLS:
                keys.append(key)
        return sorted(keys)


def is_our_run(dataset, anno_key) -> bool:
    return bool(anno_key) and anno_key in list_runs(dataset)


def _run_doc(dataset, anno_key):
    return dataset._root_dataset._doc.annotation_runs.get(anno_key)


def _iso(dt) -> str:
    if dt is None:
        return ""
    if isinstance(dt, str):
        return dt
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def run_summary(dataset, anno_key) -> dict:
    """What a person needs to recognize a run, read without Label Studio.

    Keys: key, label_fields, num_samples, created, project_name,
    project_id, project_url, last_loaded. Never credentials.
    """
    info = dataset.get_annotation_info(anno_key)
    config = info.config
    schema = getattr(config, "label_schema", None) or {}
    doc = _run_doc(dataset, anno_key)
    meta = dict(getattr(doc, "results_meta", None) or {})

    try:
        num_samples = len(dataset.load_annotation_view(anno_key))
    except Exception:
        num_samples = None

    project_id = meta.get("project_id")
    project_url = meta.get("project_url")
    if project_id is None or project_url is None:
        project_id, project_url = _project_from_results(dataset, anno_key)

    return {
        "key": anno_key,
        "label_fields": sorted(schema.keys()),
        "num_samples": num_samples,
        "created": _iso(info.timestamp),
        "project_name": getattr(config, "project_name", None)
        or meta.get("project_title")
        or "",
        "project_id": project_id,
        "project_url": project_url or "",
        "last_loaded": get_last_loaded(dataset, anno_key, meta=meta),
    }


def _project_from_results(dataset, anno_key):
    """(project_id, project_url) from the stored results, without calling
    Label Studio (credentials are not needed to read the results)."""
    doc = _run_doc(dataset, anno_key)
    if doc is None or not doc.results:
        return None, None
    try:
        from bson import json_util

        doc.results.seek(0)
        d = json_util.loads(doc.results.read().decode())
    except Exception:
        return None, None
    project_id = d.get("project_id")
    project_url = d.get("project_url")
    if not project_url and project_id is not None:
        url = (doc.config or {}).get("url") or ""
        if url:
            project_url = "%s/projects/%s" % (url.rstrip("/"), project_id)
    return project_id, project_url


def load_results(dataset, anno_key, credentials: Credentials):
    """The run's results with credentials for this execution only.

    Uncached: a cached results object would keep the key in the process.
    """
    return dataset.load_annotation_results(
        anno_key, cache=False, **credentials.kwargs()
    )


def project_url(dataset, anno_key, credentials=None) -> str:
    """URL of the run's Label Studio project ('' if unknown)."""
    return run_summary(dataset, anno_key)["project_url"]


def record_last_loaded(dataset, anno_key, when=None) -> str:
    """Remembers when ``anno_key`` was last loaded (in ``dataset.info``)."""
    when = when or datetime.now(timezone.utc)
    stamp = _iso(when)
    dataset.reload()
    records = dict(dataset.info.get(LAST_LOADED_INFO_KEY) or {})
    records[anno_key] = stamp
    dataset.info[LAST_LOADED_INFO_KEY] = records
    dataset.save()
    return stamp


def get_last_loaded(dataset, anno_key, meta=None) -> str:
    records = dataset.info.get(LAST_LOADED_INFO_KEY) or {}
    stamp = records.get(anno_key) or ""
    backend_stamp = (meta or {}).get("last_loaded") or ""
    return max(stamp, _iso(backend_stamp) if backend_stamp else "")


def rename_last_loaded(dataset, old_key, new_key) -> None:
    records = dict(dataset.info.get(LAST_LOADED_INFO_KEY) or {})
    if old_key in records:
        records[new_key] = records.pop(old_key)
        dataset.info[LAST_LOADED_INFO_KEY] = records
        dataset.save()


def forget_last_loaded(dataset, anno_key) -> None:
    records = dict(dataset.info.get(LAST_LOADED_INFO_KEY) or {})
    if anno_key in records:
        records.pop(anno_key)
        dataset.info[LAST_LOADED_INFO_KEY] = records
        dataset.save()

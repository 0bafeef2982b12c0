"""How Label Studio gets a run's media: URLs pass through; local files
are served in place by one Local Files storage when the server accepts
their common folder (the server decides), else uploaded in batches."""

import re

import fiftyone.core.utils as fou

from . import media as fomedia
from .cloud_storages import connect_storages
from .errors import LabelStudioBackendError

_ROOT_IN_REFUSAL = re.compile(r'LOCAL_FILES_DOCUMENT_ROOT="([^"]+)"')


def media_urls_for(client, project_id, plan, config, created):
    """The task URL of each sample and the media mode that was used."""
    urls = {ref: ref for ref in plan.urls}
    paths = sorted(set(plan.local_paths))
    cloud = getattr(plan, "cloud", None) or []
    modes = connect_storages(client, project_id, plan, created)
    if len(urls) > sum(len(t.keys) for t in cloud):
        modes.append("url")  # http(s) URLs besides the cloud objects
    if paths:
        local = None
        if config.media_mode in ("auto", "local"):
            local = _local_file_urls(client, project_id, paths, created)
            if local is None and config.media_mode == "local":
                raise LabelStudioBackendError(
                    "media_mode='local': Label Studio at %s will not serve "
                    "files from %s (%s). Start Label Studio with "
                    "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true and "
                    "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT set to a parent "
                    "folder of the images, or use media_mode='upload'"
                    % (
                        config.url,
                        fomedia.common_parent(paths),
                        client.storage_refusal or "refused",
                    )
                )
        if local is not None:
            urls.update(local)
            modes.append("local")
        else:
            uploaded = _upload(client, project_id, paths, config.progress)
            urls.update(uploaded)
            modes.append("upload")

    return [urls[ref] for ref in plan.refs], "+".join(modes)


def _local_file_urls(client, project_id, paths, created):
    """``{path: /data/local-files/?d=...}`` through one Local Files storage
    for the common folder, or None when the server will not serve it."""
    parent = fomedia.common_parent(paths)
    storage_id = client.create_local_storage(project_id, parent)
    if storage_id is None:
        return None

    created["storage_ids"].append(storage_id)
    root = _document_root(client, project_id)
    if root is None:
        client.delete_storage(storage_id)
        created["storage_ids"].remove(storage_id)
        return None

    return {p: client.local_file_url(p, root) for p in paths}


def _document_root(client, project_id):
    """The server's LOCAL_FILES_DOCUMENT_ROOT, from its answer to a storage
    it must refuse (the filesystem root is never a strict subdirectory)."""
    if client.create_local_storage(project_id, "/") is not None:
        return None  # cannot happen on a sane server; do not guess
    match = _ROOT_IN_REFUSAL.search(client.storage_refusal or "")
    return match.group(1) if match else None


def _upload(client, project_id, paths, progress):
    with fou.ProgressBar(
        total=len(paths), progress=progress, iters_str="files"
    ) as pb:
        urls = client.upload_files(
            project_id, paths, progress=lambda n: pb.set_iteration(n)
        )
    return dict(zip(paths, urls))

"""media_mode="auto" with a Label Studio that cannot see this machine's
files: ``ls_cloud_server`` runs with a local-files document root of its
own that holds none of the media, while this process's environment says
(as FiftyOne's built-in backend would trust) that the images are under a
served root. The server decides: it refuses the storage, and the run
uploads the images instead; every task's image is then served."""

import os


from fiftyone_labelstudio.client import LabelStudioClient

from test_backend_common import BACKEND, add_images, creds


def test_auto_uploads_when_the_server_does_not_hold_the_media(
    dataset, sample_images, ls_cloud_server, monkeypatch
):
    images_root = os.path.dirname(sample_images[0])
    assert not images_root.startswith(ls_cloud_server.files_root)
    # what a client on a shared disk would believe
    monkeypatch.setenv("LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED", "true")
    monkeypatch.setenv("LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT", images_root)
    add_images(dataset, sample_images, 3)
    results = dataset.annotate(
        "remote",
        backend=BACKEND,
        label_field="tag",
        label_type="classification",
        classes=["x"],
        **creds(ls_cloud_server),
    )
    try:
        assert results.media_mode == "upload"
        assert results.storage_ids == []
        client = LabelStudioClient(
            ls_cloud_server.url, ls_cloud_server.api_key
        )
        tasks = client.export_tasks(results.project_id)
        assert len(tasks) == 3
        for task in tasks:
            url = task["data"]["image"]
            assert url.startswith("/data/upload/")
            answer = client._transport.request("GET", url, "read an upload")
            path = task["data"]["fiftyone"]["media"]
            with open(path, "rb") as f:
                assert answer.content == f.read()
        # and the server's own root is not used by a local storage either
        assert (
            client.create_local_storage(results.project_id, images_root)
            is None
        )
        assert "LOCAL_FILES_DOCUMENT_ROOT" in client.storage_refusal
    finally:
        results.cleanup()
        dataset.delete_annotation_run("remote")

"""A task whose image lives in an S3 bucket (moto's S3 API on localhost),
opened in Label Studio's own editor: the image is fetched through the
run's S3 storage (presigned URL) and displayed; a box drawn there loads
back into FiftyOne; cleanup deletes the storage the run created."""

import os
import sys

from ls_page import LabelStudioPage

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "integration")
)
from test_cloud_s3 import bucket, cloud_client, cloud_dataset  # noqa: E402

_FIXTURES = (bucket, cloud_client)  # pytest finds them by name here


def test_editor_shows_the_bucket_image(
    dataset,
    sample_images,
    bucket,
    s3_env,
    ls_cloud_server,
    cloud_client,
    browser_context,
    shooter,
):
    server = {"url": ls_cloud_server.url, "api_key": ls_cloud_server.api_key}
    ds = cloud_dataset(dataset, sample_images, bucket[1], n=1)
    results = ds.annotate(
        "editor",
        backend="labelstudio",
        label_field="ground_truth",
        label_type="detections",
        classes=["cat", "dog"],
        media_field="s3",
        **server,
    )
    [task] = cloud_client.export_tasks(results.project_id)
    assert task["data"]["image"].startswith("s3://")

    page = browser_context.new_page()
    ls = LabelStudioPage(
        page, ls_cloud_server.url, shoot=lambda n: shooter(page, n)
    )
    ls.login(ls_cloud_server.username, ls_cloud_server.password)
    ls.open_task(results.project_id, task["id"])  # waits: naturalWidth > 0
    img = ls.image()
    width = page.evaluate("img => img.naturalWidth", img.element_handle())
    src = page.evaluate("img => img.currentSrc", img.element_handle())
    sample = ds.first()
    from PIL import Image

    with Image.open(sample.filepath) as photo:
        assert width == photo.size[0]
    assert "s3" not in src.split("?")[0].split(":")[0]  # a served URL

    ls.draw_box("dog", 0.5, 0.5, 0.2, 0.2)
    ls.submit()
    ds.load_annotations("editor", **server)
    labels = sorted(d.label for d in ds.first().ground_truth.detections)
    assert labels == ["cat", "dog"]

    storage_id = results.cloud_storages[0]["id"]
    results = ds.load_annotation_results("editor", **server)
    results.cleanup()
    from fiftyone_labelstudio.client.errors import LabelStudioNotFoundError

    try:
        cloud_client.get_cloud_storage("s3", storage_id)
    except LabelStudioNotFoundError:
        pass
    else:
        raise AssertionError("the run's storage was not deleted")

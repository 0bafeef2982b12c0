"""A video run in Label Studio's own editor (issue 7, video).

The editor must show the uploaded tracks, frame range and video-level
class, and save them back unchanged when the annotator submits without
editing: same region ids, same values (keyframes, lifespans, frame count,
frame rate) -- so loading changes nothing in FiftyOne.
"""

import time

import numpy as np

import fiftyone as fo

from ls_page import LabelStudioPage
from support import skimage_photo

FRAMES, FPS, W, H = 16, 8, 128, 96
SCHEMA = {
    "frames.gt": {"type": "detections", "classes": ["car", "person"]},
    "frames.scene": {"type": "classification", "classes": ["day", "night"]},
    "weather": {"type": "classification", "classes": ["sun", "rain"]},
}


def _webm(path):
    """VP8 WebM (Chromium plays it; OpenCV can write it)."""
    import cv2

    photo = skimage_photo("astronaut")
    writer = cv2.VideoWriter(
        path, cv2.VideoWriter_fourcc(*"VP80"), FPS, (W, H)
    )
    assert writer.isOpened()
    for i in range(FRAMES):
        crop = photo[40 : 40 + H, 20 + 4 * i : 20 + 4 * i + W, ::-1]
        writer.write(np.ascontiguousarray(crop))
    writer.release()
    return path


def _frames_gt(dataset):
    sample = dataset.first()
    return [
        (n, d.id, d.label, d.index, list(d.bounding_box))
        for n, frame in sample.frames.items()
        if frame["gt"] is not None
        for d in frame["gt"].detections
    ]


def test_editor_shows_and_saves_video_labels_unchanged(
    dataset,
    ls_server,
    ls_client,
    ls_projects_guard,
    browser_context,
    shooter,
    tmp_path,
):
    path = _webm(str(tmp_path / "editor.webm"))
    dataset.add_sample(fo.Sample(filepath=path))
    sample = dataset.first()
    for f in range(1, 7):
        sample.frames[f]["gt"] = fo.Detections(
            detections=[
                fo.Detection(
                    label="car",
                    bounding_box=[0.05 * f, 0.2, 0.3, 0.4],
                    index=1,
                )
            ]
        )
    for f in range(3, 6):
        sample.frames[f]["gt"].detections.append(
            fo.Detection(label="person", bounding_box=[0.6, 0.3, 0.2, 0.5])
        )
    for f in range(1, 5):
        sample.frames[f]["scene"] = fo.Classification(label="day")
    sample["weather"] = fo.Classification(label="sun")
    sample.save()
    before = _frames_gt(dataset)

    results = dataset.annotate(
        "editor",
        backend="labelstudio",
        label_schema=SCHEMA,
        url=ls_server.url,
        api_key=ls_server.api_key,
    )
    (task_id,) = results.task_map

    page = browser_context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    ls = LabelStudioPage(page, ls_server.url, shoot=lambda n: shooter(page, n))
    ls.login(ls_server.username, ls_server.password)
    page.goto(
        "%s/projects/%d/data?task=%d"
        % (ls_server.url, results.project_id, task_id),
        wait_until="domcontentloaded",
    )
    page.locator("video").first.wait_for(state="attached")
    page.locator(".lsf-outliner-item").nth(4).wait_for()
    time.sleep(1)  # the video's metadata sets the frame count
    shooter(page, "video_task")
    # the car track, three person labels without index (one region
    # each) and one frame range; the video class is not a region
    assert page.locator(".lsf-outliner-item").count() == 5
    assert page.get_by_text("of %d" % FRAMES).count() >= 1
    ls.submit()
    assert errors == []

    (task,) = ls_client.export_tasks(results.project_id)
    (prediction,) = task["predictions"]
    (annotation,) = task["annotations"]
    sent = {r["id"]: r for r in prediction["result"]}
    saved = {r["id"]: r for r in annotation["result"]}
    assert set(saved) == set(sent)
    for region_id, result in saved.items():
        assert result["value"] == sent[region_id]["value"], region_id

    dataset.load_annotations("editor")
    assert _frames_gt(dataset) == before
    assert dataset.first().weather.label == "sun"

"""Benchmark data: small real-looking JPEGs (cached) and FiftyOne datasets.

Images are 64x48 crops of scikit-image's sample photographs, written once
into the bench images directory (a subdirectory of the Label Studio files
root, so that both local-storage modes can serve them). Datasets get
``BOXES_PER_SAMPLE`` random boxes per sample and precomputed metadata.
"""

import io
import os

import numpy as np

from harness import (
    BOXES_PER_SAMPLE,
    CLASSES,
    IMAGE_HEIGHT,
    IMAGE_WIDTH,
    LABEL_FIELD,
    base_dataset_name,
)

_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "retina",
    "hubble_deep_field",
    "immunohistochemistry",
)


def image_path(images_dir: str, index: int) -> str:
    return os.path.join(images_dir, "img_%06d.jpg" % index)


def _photos() -> list:
    import skimage.data

    return [getattr(skimage.data, name)() for name in _PHOTOS]


def ensure_images(images_dir: str, count: int) -> float:
    """Writes the missing ``img_%06d.jpg`` up to ``count``; returns the
    seconds spent (0 when cached)."""
    import time

    from PIL import Image

    os.makedirs(images_dir, exist_ok=True)
    missing = [
        i
        for i in range(count)
        if not os.path.exists(image_path(images_dir, i))
    ]
    if not missing:
        return 0.0
    start = time.perf_counter()
    photos = [Image.fromarray(p).convert("RGB") for p in _photos()]
    rng = np.random.default_rng(12345)
    for i in missing:
        photo = photos[i % len(photos)]
        w, h = photo.size
        crop_w = int(rng.integers(IMAGE_WIDTH, min(w, 4 * IMAGE_WIDTH) + 1))
        crop_h = crop_w * IMAGE_HEIGHT // IMAGE_WIDTH
        x = int(rng.integers(0, w - crop_w + 1))
        y = int(rng.integers(0, h - crop_h + 1))
        small = photo.crop((x, y, x + crop_w, y + crop_h)).resize(
            (IMAGE_WIDTH, IMAGE_HEIGHT), Image.BILINEAR
        )
        buf = io.BytesIO()
        small.save(buf, "JPEG", quality=85)
        tmp = image_path(images_dir, i) + ".tmp"
        with open(tmp, "wb") as f:
            f.write(buf.getvalue())
        os.replace(tmp, image_path(images_dir, i))
    return time.perf_counter() - start


def random_boxes(n: int, seed: int = 0) -> tuple:
    """(labels [n][k], boxes [n, k, 4] relative xywh) for n samples."""
    rng = np.random.default_rng(seed)
    k = BOXES_PER_SAMPLE
    wh = rng.uniform(0.05, 0.3, size=(n, k, 2))
    xy = rng.uniform(0.0, 1.0, size=(n, k, 2)) * (1.0 - wh)
    boxes = np.concatenate([xy, wh], axis=2).round(4)
    labels = rng.integers(0, len(CLASSES), size=(n, k))
    return labels, boxes


def _sample(fo, path: str, labels, boxes):
    detections = [
        fo.Detection(label=CLASSES[label], bounding_box=box.tolist())
        for label, box in zip(labels, boxes)
    ]
    return fo.Sample(
        filepath=path,
        metadata=fo.ImageMetadata(
            size_bytes=os.path.getsize(path),
            mime_type="image/jpeg",
            width=IMAGE_WIDTH,
            height=IMAGE_HEIGHT,
            num_channels=3,
        ),
        **{LABEL_FIELD: fo.Detections(detections=detections)},
    )


def build_dataset(n: int, images_dir: str, chunk: int = 5000):
    """Creates the persistent dataset ``bench-base-<n>`` (replacing it).

    The first sample goes through ``add_sample`` (schema, indexes); the
    others are copies of its database document with their own ids, path
    and boxes, bulk-inserted (``add_samples`` takes ~10 ms per sample of
    10 boxes here, minutes at 50k)."""
    import copy
    import random

    import fiftyone as fo
    from bson import ObjectId

    name = base_dataset_name(n)
    if fo.dataset_exists(name):
        fo.delete_dataset(name)
    dataset = fo.Dataset(name, persistent=True)
    labels, boxes = random_boxes(n)
    dataset.add_sample(
        _sample(fo, image_path(images_dir, 0), labels[0], boxes[0])
    )
    collection = dataset._sample_collection
    template = collection.find_one()
    template_det = template[LABEL_FIELD]["detections"][0]
    rng = random.Random(n)
    docs = []
    for i in range(1, n):
        path = image_path(images_dir, i)
        doc = copy.copy(template)
        doc["_id"] = ObjectId()
        doc["filepath"] = path
        doc["_rand"] = rng.random()
        doc["metadata"] = dict(
            template["metadata"], size_bytes=os.path.getsize(path)
        )
        doc[LABEL_FIELD] = {
            "_cls": "Detections",
            "detections": [
                dict(
                    template_det,
                    _id=ObjectId(),
                    label=CLASSES[labels[i, j]],
                    bounding_box=boxes[i, j].tolist(),
                    tags=[],
                    attributes={},
                )
                for j in range(BOXES_PER_SAMPLE)
            ],
        }
        docs.append(doc)
        if len(docs) >= chunk:
            collection.insert_many(docs, ordered=False)
            docs = []
    if docs:
        collection.insert_many(docs, ordered=False)
    dataset.reload()
    assert len(dataset) == n, "built %d of %d samples" % (len(dataset), n)
    return dataset

"""Brush RLE encode/decode: fiftyone_labelstudio.converters.rle against
label_studio_sdk.converter.brush, on 1920x1080 masks (run by run.py;
``rle_bench.py`` is the converter author's standalone table).

Masks hold 0/255 (what a brush region is). "random": every pixel is an
independent coin flip (the most runs an RLE can have); "blocky": 40
filled rectangles (what real masks look like). Both sides must give
identical RLE and identical decoded masks.
"""

import statistics
import time

import numpy as np

HEIGHT, WIDTH = 1080, 1920


def masks(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    random_mask = (rng.random((HEIGHT, WIDTH)) < 0.5).astype(np.uint8) * 255
    blocky = np.zeros((HEIGHT, WIDTH), np.uint8)
    for _ in range(40):
        y, x = rng.integers(0, HEIGHT - 50), rng.integers(0, WIDTH - 50)
        h, w = rng.integers(20, 300), rng.integers(20, 400)
        blocky[y : y + h, x : x + w] = 255
    return {"random": random_mask, "blocky": blocky}


def _median_time(fn, repeat: int, budget: float = 20.0) -> tuple:
    """(median seconds, runs, last value); stops early past ``budget``
    seconds. One untimed warm-up call first."""
    value = fn()
    times, total = [], 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        total += elapsed
        if total > budget:
            break
    return statistics.median(times), len(times), value


def sdk_encode(mask):
    from label_studio_sdk.converter import brush

    return brush.mask2rle(mask)


def sdk_decode(rle, height, width):
    from label_studio_sdk.converter import brush

    return np.reshape(brush.decode_rle(rle), (height, width, 4))[:, :, 3]


def _compare(ours_fn, sdk_fn, repeat_ours, repeat_sdk) -> tuple:
    t_sdk, n_sdk, v_sdk = _median_time(sdk_fn, repeat_sdk)
    t_ours, n_ours, v_ours = _median_time(ours_fn, repeat_ours)
    row = {
        "ours_s": t_ours,
        "sdk_s": t_sdk,
        "speedup": t_sdk / t_ours,
        "runs": [n_ours, n_sdk],
    }
    return row, v_ours, v_sdk


def run(repeat_ours: int = 20, repeat_sdk: int = 10) -> dict:
    from fiftyone_labelstudio.converters import rle as ours

    out = {}
    for name, mask in masks().items():
        encode, rle_ours, rle_sdk = _compare(
            lambda: ours.encode_rle(mask),
            lambda: sdk_encode(mask),
            repeat_ours,
            repeat_sdk,
        )
        encode["identical"] = list(rle_ours) == list(rle_sdk)
        decode, dec_ours, dec_sdk = _compare(
            lambda: ours.decode_rle(rle_sdk, HEIGHT, WIDTH),
            lambda: sdk_decode(rle_sdk, HEIGHT, WIDTH),
            repeat_ours,
            repeat_sdk,
        )
        decode["identical"] = bool(
            np.array_equal(dec_ours, dec_sdk)
            and np.array_equal(dec_ours, mask)
        )
        out[name] = {
            "rle_len": len(rle_sdk),
            "encode": encode,
            "decode": decode,
        }
    return out

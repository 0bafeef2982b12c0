"""Brush RLE speed: this package vs label_studio_sdk.converter.brush.

Prints markdown table rows: mask, RLE bytes, SDK and our encode/decode
times (medians, ms) and the speed-ups, the SDK timed in the same run.
The first two masks are bench/rle_compare.py's (what run.py reports).
Usage: python bench/rle_bench.py [--repeat N] [--sdk-repeat N]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from label_studio_sdk.converter import brush

from fiftyone_labelstudio.converters.rle import decode_rle, encode_rle

sys.path.insert(0, str(Path(__file__).parent))
import rle_compare  # noqa: E402


def median_ms(function, repeat: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def masks(height: int, width: int):
    yield from rle_compare.masks().items()
    rng = np.random.default_rng(0)
    yield "random 0..255", rng.integers(0, 256, (height, width), np.uint8)
    box = np.zeros((height, width), np.uint8)
    box[height // 4 : height // 2, width // 3 : width // 2] = 255
    yield "one box", box
    yield "empty", np.zeros((height, width), np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--sdk-repeat", type=int, default=3)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--width", type=int, default=1920)
    args = parser.parse_args()
    print(
        "| mask | RLE bytes | SDK encode ms | ours ms | x | "
        "SDK decode ms | ours ms | x |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, mask in masks(args.height, args.width):
        h, w = mask.shape
        data = encode_rle(mask)
        assert data == brush.mask2rle(mask)
        assert np.array_equal(decode_rle(data, h, w), mask)
        sdk_enc = median_ms(lambda: brush.mask2rle(mask), args.sdk_repeat)
        sdk_dec = median_ms(
            lambda: rle_compare.sdk_decode(data, h, w), args.sdk_repeat
        )
        enc = median_ms(lambda: encode_rle(mask), args.repeat)
        dec = median_ms(lambda: decode_rle(data, h, w), args.repeat)
        print(
            f"| {name} | {len(data)} | {sdk_enc:.2f} | {enc:.3f} | "
            f"{sdk_enc / enc:.0f} | {sdk_dec:.2f} | {dec:.3f} | "
            f"{sdk_dec / dec:.0f} |"
        )


if __name__ == "__main__":
    main()

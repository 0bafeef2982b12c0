"""Brush RLE speed: this package vs label_studio_sdk.converter.brush.

Prints markdown table rows: mask, size, SDK encode/decode, ours, speed-ups.
Usage: python bench/rle_bench.py [--repeat N] [--sdk-repeat N]
"""

import argparse
import time

import numpy as np
from label_studio_sdk.converter import brush

from fiftyone_labelstudio.converters.rle import decode_rle, encode_rle


def best_of(function, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def masks(height: int, width: int):
    rng = np.random.default_rng(0)
    yield "random 0/255", (rng.random((height, width)) > 0.5).astype(
        np.uint8
    ) * 255
    yield "random 0..255", rng.integers(0, 256, (height, width), np.uint8)
    blocky = np.zeros((height, width), np.uint8)
    blocky[height // 4 : height // 2, width // 3 : width // 2] = 255
    yield "one box", blocky


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sdk-repeat", type=int, default=1)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--width", type=int, default=1920)
    args = parser.parse_args()
    print(
        "| mask | size | SDK encode ms | ours ms | x | "
        "SDK decode ms | ours ms | x |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, mask in masks(args.height, args.width):
        h, w = mask.shape
        data = encode_rle(mask)
        assert data == brush.mask2rle(mask)
        assert np.array_equal(decode_rle(data, h, w), mask)
        sdk_enc = best_of(lambda: brush.mask2rle(mask), args.sdk_repeat)
        sdk_dec = best_of(lambda: brush.decode_rle(data), args.sdk_repeat)
        enc = best_of(lambda: encode_rle(mask), args.repeat)
        dec = best_of(lambda: decode_rle(data, h, w), args.repeat)
        print(
            f"| {name} | {w}x{h} | {sdk_enc * 1e3:.1f} | {enc * 1e3:.1f} | "
            f"{sdk_enc / enc:.0f} | {sdk_dec * 1e3:.1f} | {dec * 1e3:.1f} | "
            f"{sdk_dec / dec:.0f} |"
        )


if __name__ == "__main__":
    main()

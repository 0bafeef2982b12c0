"""Label Studio brush RLE codec, vectorised with numpy.

Label Studio stores a brush region as the thi-ng ``rle-pack`` encoding of
the region's H x W x 4 RGBA bytes.  The bit stream is big-endian:

- header: value count (32 bits), word size - 1 (5 bits), four run-length
  field widths - 1 (4 bits each): 53 bits;
- records: repeat flag (1 bit), width index (2 bits), run length - 1
  (``sizes[index]`` bits), then one word (repeat) or run-length words
  (literal chunk);
- zero padding to a whole byte.

``encode_rle`` returns exactly the bytes of
``label_studio_sdk.converter.brush.mask2rle`` (every pixel value in all
four channels, as the Label Studio frontend also writes; padding 1..8
bits).  ``decode_rle`` (in ``rle_decode``) reads any valid stream, literal
chunks included, and returns the alpha channel like
``brush.decode_rle(rle).reshape(H, W, 4)[:, :, 3]``.
"""

import functools

import numpy as np

from .rle_decode import HEADER_BITS as _HEADER_BITS
from .rle_decode import RleInput, decode_rle

__all__ = ["RleInput", "decode_rle", "encode_rle"]

_WORD_SIZE = 8
_RUN_SIZES = (3, 4, 8, 16)
_MAX_RUN_PIXELS = (1 << 16) // 4  # the SDK's longest record: 2**16 bytes
_U64 = np.uint64


# ---------------------------------------------------------------- encoding


def encode_rle(mask: np.ndarray) -> list[int]:
    """Encode an H x W mask as Label Studio brush RLE.

    Values must be integers in 0..255 (255 = fully painted); a boolean mask
    is painted (255) where True.  Equals ``brush.mask2rle(mask)`` byte for
    byte.
    """
    pixels = _mask_pixels(mask)
    if pixels.size * 4 >= 1 << 32:
        raise ValueError(f"mask too large for brush RLE: {mask.shape}")
    # Runs of equal pixels; every pixel is 4 equal bytes in the stream.
    ends = _run_ends(pixels)
    runs = np.empty_like(ends)
    runs[0] = ends[0] + 1
    np.subtract(ends[1:], ends[:-1], out=runs[1:])
    values = pixels.take(ends)
    wide = None
    if runs.max() > _MAX_RUN_PIXELS:
        runs, values, wide = _split_long_runs(runs, values)

    top, value_shift, widths = _run_tables()
    # Each record, left-aligned in a 64-bit integer.
    codes = top.take(runs)
    codes |= values.astype(_U64) << value_shift.take(runs)
    widths = widths.take(runs)
    if wide is not None:
        # The SDK writes every piece of a split run with the widest field.
        size = _RUN_SIZES[3]
        code = (
            (1 << (size + 10))
            | (3 << (size + 8))
            | ((4 * runs[wide] - 1) << 8)
            | values[wide]
        )
        codes[wide] = code.astype(_U64) << _U64(53 - size)
        widths[wide] = size + 11
    offsets = np.cumsum(widths)
    n_bytes = (int(offsets[-1]) + _HEADER_BITS) // 8 + 1  # pads 1..8 bits
    offsets -= widths
    offsets += _HEADER_BITS
    words = _pack_codes(codes, offsets, n_bytes)
    words[0] |= _U64(_header(pixels.size * 4) << (64 - _HEADER_BITS))
    return list(words.astype(">u8").view(np.uint8)[:n_bytes].tobytes())


def _mask_pixels(mask: np.ndarray) -> np.ndarray:
    """The mask as a flat uint8 array, validated."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (H x W), got shape {mask.shape}")
    if mask.size == 0:
        raise ValueError(f"mask is empty (shape {mask.shape})")
    if mask.dtype == bool:
        return mask.ravel().view(np.uint8) * np.uint8(255)
    if not np.issubdtype(mask.dtype, np.integer):
        raise ValueError(
            f"mask must hold integers or booleans, got dtype {mask.dtype}"
        )
    if mask.dtype != np.uint8:
        low, high = int(mask.min()), int(mask.max())
        if low < 0 or high > 255:
            raise ValueError(
                f"mask values must be in 0..255, got {low}..{high}"
            )
    return mask.ravel().astype(np.uint8, copy=False)


def _run_ends(pixels: np.ndarray) -> np.ndarray:
    """Index of the last pixel of every run of equal pixels."""
    size = pixels.size
    ends = np.empty(-(-size // 8) * 8, dtype=bool)
    np.not_equal(pixels[1:], pixels[:-1], out=ends[: size - 1])
    ends[size - 1] = True
    ends[size:] = False
    # flatnonzero is slow on many bytes: find the 8-byte words that hold
    # a run end first, then the ends in those words.
    words = ends.view(np.uint64)
    busy = np.flatnonzero(words != 0)
    if busy.size * 16 > words.size:
        return np.flatnonzero(ends)
    at = np.flatnonzero(words.take(busy).view(bool))
    return busy.take(at >> 3) * 8 + (at & 7)


def _header(count: int) -> int:
    header = (count << 21) | ((_WORD_SIZE - 1) << 16)
    for i, size in enumerate(_RUN_SIZES):
        header |= (size - 1) << (12 - 4 * i)
    return header


@functools.lru_cache(maxsize=1)
def _run_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel run length: record bits without the value, shift, width."""
    lengths = 4 * np.maximum(np.arange(_MAX_RUN_PIXELS + 1), 1)
    index = (lengths > 8).astype(np.int64) + (lengths > 16) + (lengths > 256)
    size_bits = np.asarray(_RUN_SIZES, dtype=np.int64)[index]
    widths = size_bits + 3 + _WORD_SIZE
    codes = (
        (1 << (widths - 1))
        | (index << (size_bits + _WORD_SIZE))
        | ((lengths - 1) << _WORD_SIZE)
    )
    value_shift = (64 - widths).astype(_U64)
    return codes.astype(_U64) << value_shift, value_shift, widths


def _split_long_runs(
    runs: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split runs like the SDK: full 2**16-byte records, then the rest.

    Also returns which records came from a split run.
    """
    chunks = (runs + _MAX_RUN_PIXELS - 1) // _MAX_RUN_PIXELS
    new_runs = np.full(int(chunks.sum()), _MAX_RUN_PIXELS, dtype=np.int64)
    new_runs[np.cumsum(chunks) - 1] = runs - (chunks - 1) * _MAX_RUN_PIXELS
    wide = np.repeat(chunks > 1, chunks)
    return new_runs, np.repeat(values, chunks), wide


def _pack_codes(
    codes: np.ndarray, offsets: np.ndarray, n_bytes: int
) -> np.ndarray:
    """Place left-aligned codes at their bit offsets in 64-bit words.

    Codes do not overlap, so adding them is OR-ing them.  Consumes
    ``codes`` and ``offsets``.
    """
    shift = (offsets & 63).view(_U64)
    word = np.right_shift(offsets, 6, out=offsets)
    spill = np.left_shift(codes, _U64(63) - shift)  # bits past the word
    spill <<= _U64(1)
    np.right_shift(codes, shift, out=codes)
    words = np.zeros((n_bytes + 7) // 8 + 1, dtype=_U64)
    np.add.at(words, word, codes)
    word += 1
    np.add.at(words, word, spill)
    return words

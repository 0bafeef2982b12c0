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

from .rle_decode import decode_rle
from .rle_stream import HEADER_BITS as _HEADER_BITS
from .rle_stream import RleInput

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
    heads, widths = _run_tables()
    # Each record as an integer, and the stream bit it ends on (runs too
    # long for one record are split below).
    codes = heads.take(runs, mode="clip")
    codes |= values
    widths = widths.take(runs, mode="clip")
    long = None
    if runs.max() > _MAX_RUN_PIXELS:
        long = np.flatnonzero(runs > _MAX_RUN_PIXELS)
        owner, pieces, piece_end = _split_long_runs(
            codes, widths, runs, values, long
        )
    last_bits = np.cumsum(widths)
    n_bytes = (int(last_bits[-1]) + _HEADER_BITS) // 8 + 1  # pads 1..8
    last_bits += _HEADER_BITS - 1
    if long is not None:
        codes = np.concatenate((codes, pieces))
        last_bits = np.concatenate((last_bits, last_bits[owner] - piece_end))
    words = _pack_codes(codes, last_bits, n_bytes)
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
    ends = np.empty(-(-size // 16) * 16, dtype=bool)
    np.not_equal(pixels[1:], pixels[:-1], out=ends[: size - 1])
    ends[size - 1] = True
    ends[size:] = False
    # flatnonzero is slow on many bytes: find the 16-byte blocks that hold
    # a run end (4 bytes at a time, then 4 of those), then the ends in
    # those blocks.
    quads = ends.view(np.uint32) != 0
    busy = np.flatnonzero(quads.view(np.uint32) != 0)
    if busy.size * 8 > quads.size // 4:
        return np.flatnonzero(ends)
    blocks = ends.view(np.uint64).reshape(-1, 2).take(busy, axis=0)
    at = np.flatnonzero(blocks.view(bool))
    return busy.take(at >> 4) * 16 + (at & 15)


def _header(count: int) -> int:
    header = (count << 21) | ((_WORD_SIZE - 1) << 16)
    for i, size in enumerate(_RUN_SIZES):
        header |= (size - 1) << (12 - 4 * i)
    return header


@functools.lru_cache(maxsize=1)
def _run_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per pixel run length: the record without its value, and its width.

    A record is flag 1, width index, run length - 1, value (8 bits).
    """
    lengths = 4 * np.maximum(np.arange(_MAX_RUN_PIXELS + 1), 1)
    index = (lengths > 8).astype(np.int64) + (lengths > 16) + (lengths > 256)
    size_bits = np.asarray(_RUN_SIZES, dtype=np.int64)[index]
    widths = size_bits + 3 + _WORD_SIZE
    heads = (
        (1 << (widths - 1))
        | (index << (size_bits + _WORD_SIZE))
        | ((lengths - 1) << _WORD_SIZE)
    )
    return heads.astype(_U64), widths


def _split_long_runs(
    codes: np.ndarray,
    widths: np.ndarray,
    runs: np.ndarray,
    values: np.ndarray,
    long: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split runs too long for one record like the SDK: full 2**16-byte
    records, then the rest, all with the widest field (the rest too).

    Each long run's record becomes its last piece and takes the width of
    all pieces.  Returns the earlier pieces: the run each belongs to, their
    codes and how many bits before the run's end they end.  There are few
    long runs (at most one per 16384 pixels), so plain Python is fastest.
    """
    size = _RUN_SIZES[3]
    bits = size + 3 + _WORD_SIZE
    owner, pieces, piece_end = [], [], []
    for index, run, value in zip(
        long.tolist(), runs[long].tolist(), values[long].tolist()
    ):
        full = (run - 1) // _MAX_RUN_PIXELS
        rest = run - full * _MAX_RUN_PIXELS
        head = (1 << (size + 10)) | (3 << (size + 8)) | value
        codes[index] = head | ((4 * rest - 1) << 8)
        widths[index] = bits * (full + 1)
        owner += [index] * full
        pieces += [head | ((4 * _MAX_RUN_PIXELS - 1) << 8)] * full
        piece_end += range(bits * full, 0, -bits)
    return (
        np.array(owner, dtype=np.int64),
        np.array(pieces, dtype=_U64),
        np.array(piece_end, dtype=np.int64),
    )


def _pack_codes(
    codes: np.ndarray, last_bits: np.ndarray, n_bytes: int
) -> np.ndarray:
    """Place codes, each ending on its stream bit, in big-endian 64-bit
    words.

    Codes do not overlap, so adding them is OR-ing them.  Consumes
    ``codes`` and ``last_bits``.
    """
    # A code ends ``gap`` bits above the low end of its last word; the
    # bits that do not fit go to the word before (none if shifted by 64).
    gap = (last_bits & 63).view(_U64)
    gap ^= _U64(63)
    spill = np.right_shift(codes, _U64(64) - gap)
    codes <<= gap
    word = np.right_shift(last_bits, 6, out=last_bits)
    words = np.zeros((n_bytes + 7) // 8 + 1, dtype=_U64)
    np.add.at(words, word, codes)
    word -= 1
    np.add.at(words, word, spill)
    return words

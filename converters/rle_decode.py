"""Decoding of Label Studio brush RLE (the format is described in rle.py).

:func:`decode_rle` reads the stream (:mod:`.rle_stream`), finds where
its records start (:mod:`.rle_records`: a vectorised pointer chase), then
reads run lengths and values at the record starts and expands every 4th
value (the alpha channel).
"""

import numpy as np

from .rle_records import record_starts
from .rle_stream import HEADER_BITS, RleInput, RleStream

_U64 = np.uint64


def decode_rle(rle: RleInput, height: int, width: int) -> np.ndarray:
    """Decode Label Studio brush RLE to an H x W uint8 mask (alpha channel).

    Raises ValueError for anything that is not a complete RLE stream of
    exactly ``height * width`` RGBA pixels.
    """
    height, width = int(height), int(width)
    if height <= 0 or width <= 0:
        raise ValueError(f"invalid mask size {width}x{height}")
    stream = RleStream(rle)
    if stream.count != height * width * 4:
        raise ValueError(
            f"brush RLE holds {stream.count} values but a {width}x{height} "
            f"RGBA image needs {height * width * 4} (wrong original_width/"
            f"original_height?)"
        )
    longest = HEADER_BITS + stream.count * stream.limit + 1024
    if stream.n_bits > longest:
        raise ValueError(
            f"brush RLE is {stream.n_bits // 8} bytes, longer than any "
            f"encoding of {stream.count} values"
        )
    starts, steps = record_starts(stream)
    alpha = None if steps is None else _repeat_alpha(stream, starts, steps)
    if alpha is None:
        alpha = _alpha(stream, starts)
    return alpha.reshape(height, width)


# ------------------------------------------------------------- expansion


def _truncated(stream: RleStream, produced: int) -> ValueError:
    return ValueError(
        f"brush RLE ends after {produced} of {stream.count} values "
        f"(truncated or corrupt)"
    )


def _repeat_alpha(
    stream: RleStream, starts: np.ndarray, steps: np.ndarray
) -> np.ndarray | None:
    """``_alpha`` for repeat records only, None if there are others.

    The common case, in 32-bit integers: the run-length field and the
    value follow the first 3 bits, whose step gives the field width.
    """
    word_size = stream.word_size
    if word_size > 8:  # values may not fit in a byte, fields in 32 bits
        return None
    step = steps.take(starts)
    size_bits = step.astype(np.uint32)
    size_bits -= 3 + word_size
    at = starts + 3
    window = stream.window4.take(at >> 3).astype(np.uint32)
    window <<= (at & 7).astype(np.uint32)
    run = (window >> (32 - size_bits)).astype(np.int64)
    run += 1
    produced = np.cumsum(run)
    if produced[-1] < stream.count:
        return None  # _alpha says how it is truncated
    last = int(np.searchsorted(produced, stream.count))
    if (step[: last + 1] == 1).any():
        return None  # a literal chunk
    if starts[last] + step[last] > stream.n_bits:
        return None
    window <<= size_bits
    values = (window[: last + 1] >> (32 - word_size)).astype(np.uint8)
    counts = run[: last + 1]
    counts[last] -= int(produced[last]) - stream.count
    return _every_fourth(values, counts)


def _every_fourth(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Values 3, 7, 11, ... of the runs of ``counts`` times each value."""
    if not (counts & 3).any():  # whole pixels, as the SDK writes
        return np.repeat(values, counts >> 2)
    # Those in [start, end) number end // 4 - start // 4.
    ends = np.cumsum(counts)
    alphas = ends >> 2
    alphas -= (ends - counts) >> 2
    return np.repeat(values, alphas)


def _alpha(stream: RleStream, starts: np.ndarray) -> np.ndarray:
    """Every 4th decoded value (the alpha channel) from the record starts."""
    if starts.size == 0:
        raise _truncated(stream, 0)
    window = stream.windows(starts)
    repeat = window >= _U64(1 << 63)
    size_bits = np.asarray(stream.sizes, dtype=np.int64).take(
        (window >> _U64(61)).astype(np.intp) & 3
    )
    run = (window << _U64(3)) >> (64 - size_bits).astype(_U64)
    run = run.astype(np.int64) + 1
    produced = np.cumsum(run)
    if produced[-1] < stream.count:
        raise _truncated(stream, int(produced[-1]))
    last = int(np.searchsorted(produced, stream.count))
    keep = slice(0, last + 1)
    starts, repeat, size_bits = starts[keep], repeat[keep], size_bits[keep]
    run, window = run[keep], window[keep]
    run[last] -= int(produced[last]) - stream.count
    word_size = stream.word_size
    # Records after ``count`` are padding; the last one may be cut short
    # by ``count``, then only its words that are used must be present.
    used_words = 1 if repeat[last] else int(run[last])
    value_end = starts[last] + 3 + size_bits[last] + used_words * word_size
    if value_end > stream.n_bits:
        raise _truncated(stream, int(produced[last - 1]) if last else 0)
    if repeat.all():
        # The value follows the run-length field, inside the window.
        values = (window << (3 + size_bits).astype(_U64)) >> _U64(
            64 - word_size
        )
        counts = run
    else:
        # A literal chunk holds one word per value.
        items = np.where(repeat, 1, run)
        record = np.repeat(np.arange(starts.size), items)
        first = np.cumsum(items) - items
        within = np.arange(record.size) - first[record]
        value_at = starts[record] + 3 + size_bits[record] + within * word_size
        values = stream.windows(value_at) >> _U64(64 - word_size)
        counts = np.where(repeat[record], run[record], 1)
    if word_size > 8 and values.max() > 255:
        raise ValueError(
            f"brush RLE value {int(values.max())} does not fit in a byte"
        )
    return _every_fourth(values.astype(np.uint8), counts)

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
bits).  ``decode_rle`` reads any valid stream, literal chunks included,
and returns the alpha channel like
``brush.decode_rle(rle).reshape(H, W, 4)[:, :, 3]``.

Records have variable length, so decoding is a pointer chase.  It is
vectorised by starting a chain of record reads at every segment of the
stream, stepping all chains at once, and stitching chain j to chain j+1
where j+1 visited j's end (a chain that starts mid-record reads garbage
but falls into step with the true records after some hundred bits).
Where a chain never fell into step, the true records are read one by one.
"""

import functools
from collections.abc import Sequence

import numpy as np

_HEADER_BITS = 53
_WORD_SIZE = 8
_RUN_SIZES = (3, 4, 8, 16)
_MAX_RUN_PIXELS = (1 << 16) // 4  # the SDK's longest record: 2**16 bytes
_U64 = np.uint64

# Streams up to this many bits are read record by record.
_SEQUENTIAL_MAX_BITS = 1 << 15
# Each chain starts at a segment and walks this far into the next one,
# where the next chain must have fallen into step with the records.
_SEGMENT_BITS = 1 << 13
_SYNC_MARGIN_BITS = 1 << 12
# Bits read at a record start to know its length (3 + widest field).
_PEEK_BITS = 19

RleInput = Sequence[int] | bytes | np.ndarray


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
    last = np.flatnonzero(pixels[1:] != pixels[:-1])
    ends = np.empty(last.size + 1, dtype=np.int64)  # last pixel of runs
    ends[:-1] = last
    ends[-1] = pixels.size - 1
    runs = np.empty_like(ends)
    runs[0] = ends[0] + 1
    np.subtract(ends[1:], ends[:-1], out=runs[1:])
    values = pixels[ends]
    wide = None
    if runs.max() > _MAX_RUN_PIXELS:
        runs, values, wide = _split_long_runs(runs, values)

    top, value_shift, widths = _run_tables()
    # Each record, left-aligned in a 64-bit integer.
    codes = top[runs] | (values.astype(_U64) << value_shift[runs])
    widths = widths[runs]
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


# ---------------------------------------------------------------- decoding


def decode_rle(rle: RleInput, height: int, width: int) -> np.ndarray:
    """Decode Label Studio brush RLE to an H x W uint8 mask (alpha channel).

    Raises ValueError for anything that is not a complete RLE stream of
    exactly ``height * width`` RGBA pixels.
    """
    height, width = int(height), int(width)
    if height <= 0 or width <= 0:
        raise ValueError(f"invalid mask size {width}x{height}")
    stream = _Stream(rle)
    if stream.count != height * width * 4:
        raise ValueError(
            f"brush RLE holds {stream.count} values but a {width}x{height} "
            f"RGBA image needs {height * width * 4} (wrong original_width/"
            f"original_height?)"
        )
    longest = _HEADER_BITS + stream.count * stream.limit + 1024
    if stream.n_bits > longest:
        raise ValueError(
            f"brush RLE is {stream.n_bits // 8} bytes, longer than any "
            f"encoding of {stream.count} values"
        )
    starts = _record_starts(stream)
    return _alpha(stream, starts).reshape(height, width)


class _Stream:
    """The bytes of one RLE stream, its header and record readers."""

    def __init__(self, rle: RleInput) -> None:
        data = _as_bytes(rle)
        if len(data) * 8 < _HEADER_BITS:
            raise ValueError(
                f"brush RLE too short: {len(data)} bytes, the header alone "
                f"needs 7"
            )
        self.n_bits = len(data) * 8
        self.padded = data + bytes(16)  # window reads never leave it
        buffer = np.frombuffer(self.padded, dtype=np.uint8)
        # windowN[i] = the N bytes starting at byte i, as one integer.
        self.window4 = np.ndarray(
            (len(data) + 8,), dtype=">u4", buffer=buffer, strides=(1,)
        )
        self.window8 = np.ndarray(
            (len(data) + 8,), dtype=">u8", buffer=buffer, strides=(1,)
        )
        head = int.from_bytes(data[:8], "big")
        self.count = head >> 32
        self.word_size = ((head >> 27) & 31) + 1
        self.sizes = tuple(((head >> (23 - 4 * i)) & 15) + 1 for i in range(4))
        # Longest record a chain follows: a repeat or a one-word literal.
        self.limit = 3 + max(self.sizes) + self.word_size
        self.advance = _advance_table(self.word_size, self.sizes)

    def records(self, positions: np.ndarray):
        """(repeat flag, field bits, run length, record bits) per record."""
        window = self.window8[positions >> 3].astype(_U64)
        window <<= (positions & 7).astype(_U64)
        repeat = (window >> _U64(63)).astype(bool)
        size_bits = np.asarray(self.sizes)[
            (window >> _U64(61)).astype(np.intp) & 3
        ]
        run = (window << _U64(3)) >> (64 - size_bits).astype(_U64)
        run = run.astype(np.int64) + 1
        words = np.where(repeat, 1, run)
        return repeat, size_bits, run, 3 + size_bits + words * self.word_size

    def record_bits(self, position: int) -> int:
        """Length of the record at ``position``, in plain Python."""
        start = position >> 3
        window = int.from_bytes(self.padded[start : start + 8], "big")
        window = (window << (position & 7)) & 0xFFFFFFFFFFFFFFFF
        size_bits = self.sizes[(window >> 61) & 3]
        if window >> 63:
            return 3 + size_bits + self.word_size
        run = ((window >> (61 - size_bits)) & ((1 << size_bits) - 1)) + 1
        return 3 + size_bits + run * self.word_size

    def read(self, positions: np.ndarray, n_bits: int) -> np.ndarray:
        """The ``n_bits`` (<= 32) starting at each bit position."""
        window = self.window8[positions >> 3].astype(_U64)
        window <<= (positions & 7).astype(_U64)
        return (window >> _U64(64 - n_bits)).astype(np.int64)


def _as_bytes(rle: RleInput) -> bytes:
    if isinstance(rle, (bytes, bytearray)):
        return bytes(rle)
    if isinstance(rle, np.ndarray):
        if rle.ndim != 1 or not np.issubdtype(rle.dtype, np.integer):
            raise ValueError("brush RLE must be a flat list of integers")
        if rle.size and (rle.min() < 0 or rle.max() > 255):
            raise ValueError("brush RLE values must be bytes (0..255)")
        return rle.astype(np.uint8).tobytes()
    if isinstance(rle, (str, dict)) or not isinstance(rle, Sequence):
        raise ValueError(
            f"brush RLE must be a list of integers, got {type(rle).__name__}"
        )
    try:
        return bytes(rle)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"brush RLE must be a list of integers 0..255 ({error})"
        ) from None


@functools.lru_cache(maxsize=8)
def _advance_table(word_size: int, sizes: tuple[int, ...]) -> np.ndarray:
    """Chain step for every value of the first ``_PEEK_BITS`` bits.

    The record length, except that records longer than a one-word literal
    give a 1-bit step: garbage literal chunks would make a chain jump far
    past its segment (and fixed skips can trap it in step with nothing).
    A true record is never 1 bit long, so 1-bit steps are "not real".
    """
    peek = np.arange(1 << _PEEK_BITS, dtype=np.int64)
    kind = peek >> (_PEEK_BITS - 3)  # repeat flag and width index
    size_bits = np.asarray(sizes, dtype=np.int64)[kind & 3]
    field = (peek >> (_PEEK_BITS - 3 - size_bits)) & ((1 << size_bits) - 1)
    words = np.where(kind >= 4, 1, field + 1)
    bits = 3 + size_bits + words * word_size
    limit = 3 + max(sizes) + word_size
    return np.where(bits <= limit, bits, 1).astype(np.uint8)


def _record_starts(stream: _Stream) -> np.ndarray:
    """Bit positions of all records in order (padding may add a few)."""
    if stream.n_bits <= _SEQUENTIAL_MAX_BITS:
        return _stitch(stream, None)
    return _stitch(stream, _Walks(stream))


class _Walks:
    """Chains of record reads, one started at every segment.

    ``positions[chain, step]`` increases until the chain passes its goal
    (the next segment's start + a margin), then stays.  ``real`` marks
    steps that read a whole record.  From the first position where a chain
    meets the true records it stays in step with them, up to its first
    unreal step.
    """

    def __init__(self, stream: _Stream) -> None:
        self.n_bits = stream.n_bits
        starts = np.arange(_HEADER_BITS, stream.n_bits, _SEGMENT_BITS)
        goal = np.minimum(
            starts + _SEGMENT_BITS + _SYNC_MARGIN_BITS, stream.n_bits
        )
        position = starts
        history = [position]
        while True:
            active = position < goal
            if not active.any():
                break
            window = stream.window4[position >> 3].astype(np.int64)
            peek = (window >> (32 - _PEEK_BITS - (position & 7))) & (
                (1 << _PEEK_BITS) - 1
            )
            position = np.where(
                active, position + stream.advance[peek], position
            )
            history.append(position)
        self.positions = np.stack(history, axis=1)
        self.n_chains, self.n_steps = self.positions.shape
        self.real = np.zeros(self.positions.shape, dtype=bool)
        self.real[:, :-1] = np.diff(self.positions, axis=1) > 1
        self.stop = np.argmax(self.positions >= goal[:, None], axis=1)
        # First step from which a chain is real up to its stop.
        steps = np.arange(self.n_steps)
        unreal = ~self.real & (steps < self.stop[:, None])
        self.clean_from = np.where(
            unreal.any(axis=1),
            self.n_steps - np.argmax(unreal[:, ::-1], axis=1),
            0,
        )

    def handovers(self) -> tuple[list[int], list[int]]:
        """Step at which chain j+1 visits the end of chain j, else -1."""
        rows = np.arange(self.n_chains)
        ends = self.positions[rows, self.stop]
        # Look all ends up at once: offset each row into its own key range.
        span = int(self.positions[:, -1].max()) + 1
        keys = (self.positions + rows[:, None] * span).ravel()
        queries = ends[:-1] + rows[1:] * span
        found = np.minimum(np.searchsorted(keys, queries), keys.size - 1)
        step = found - rows[1:] * self.n_steps
        usable = (keys[found] == queries) & (step >= self.clean_from[1:])
        return np.where(usable, step, -1).tolist() + [-1]

    def lookup(self, position: int) -> tuple[int, int] | None:
        """A chain in step with the records from ``position`` on, if any."""
        chain = min(
            (position - _HEADER_BITS) // _SEGMENT_BITS, self.n_chains - 1
        )
        for row in (chain, chain - 1):
            if row < 0:
                continue
            walk = self.positions[row]
            step = int(np.searchsorted(walk, position))
            if (
                self.clean_from[row] <= step < self.stop[row]
                and walk[step] == position
            ):
                return row, step
        return None


def _stitch(stream: _Stream, walks: _Walks | None) -> np.ndarray:
    """Record starts from the header to the end of the stream.

    Takes runs of steps from chains that are in step with the records,
    handing over from chain to chain, and reads single records where no
    chain is (rare: a chain that fell into step late, a long literal).
    """
    pieces: list[np.ndarray] = []
    position = _HEADER_BITS
    at = None if walks is None else walks.lookup(position)
    if walks is not None:
        handover = walks.handovers()
        stop = walks.stop.tolist()
    while position < stream.n_bits:
        if at is None:
            single = []
            while position < stream.n_bits:
                single.append(position)
                position += stream.record_bits(position)
                if walks is not None:
                    at = walks.lookup(position)
                    if at is not None:
                        break
            pieces.append(np.array(single, dtype=np.int64))
            continue
        chain, step = at
        while True:  # hand over from chain to chain while possible
            pieces.append(walks.positions[chain, step : stop[chain]])
            step = handover[chain]
            if step < 0:
                break
            chain += 1
        position = int(walks.positions[chain, stop[chain]])
        at = walks.lookup(position) if position < stream.n_bits else None
    return np.concatenate(pieces) if pieces else np.zeros(0, np.int64)


def _truncated(stream: _Stream, produced: int) -> ValueError:
    return ValueError(
        f"brush RLE ends after {produced} of {stream.count} values "
        f"(truncated or corrupt)"
    )


def _alpha(stream: _Stream, starts: np.ndarray) -> np.ndarray:
    """Every 4th decoded value (the alpha channel) from the record starts."""
    if starts.size == 0:
        raise _truncated(stream, 0)
    repeat, size_bits, run, _ = stream.records(starts)
    produced = np.cumsum(run)
    if produced[-1] < stream.count:
        raise _truncated(stream, int(produced[-1]))
    last = int(np.searchsorted(produced, stream.count))
    keep = slice(0, last + 1)
    starts, repeat, size_bits = starts[keep], repeat[keep], size_bits[keep]
    run = run[keep]
    run[last] -= int(produced[last]) - stream.count
    word_size = stream.word_size
    # Records after ``count`` are padding; the last one may be cut short
    # by ``count``, then only its words that are used must be present.
    used_words = 1 if repeat[last] else int(run[last])
    value_end = starts[last] + 3 + size_bits[last] + used_words * word_size
    if value_end > stream.n_bits:
        raise _truncated(stream, int(produced[last - 1]) if last else 0)
    if repeat.all():
        value_at = starts + 3 + size_bits
        counts = run
    else:
        # A literal chunk holds one word per value.
        items = np.where(repeat, 1, run)
        record = np.repeat(np.arange(starts.size), items)
        first = np.cumsum(items) - items
        within = np.arange(record.size) - first[record]
        value_at = starts[record] + 3 + size_bits[record] + within * word_size
        counts = np.where(repeat[record], run[record], 1)
    values = stream.read(value_at, word_size)
    if word_size > 8 and values.max() > 255:
        raise ValueError(
            f"brush RLE value {int(values.max())} does not fit in a byte"
        )
    # Values at positions 4k+3 only: those in [start, end) number
    # end // 4 - start // 4.
    ends = np.cumsum(counts)
    alphas = (ends >> 2) - ((ends - counts) >> 2)
    return np.repeat(values.astype(np.uint8), alphas)

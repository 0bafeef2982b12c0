"""Where the records of a brush RLE stream start (for :mod:`.rle_decode`).

Records have variable length, so finding them is a pointer chase.  It is
vectorised in three stages:

1. ``_bit_steps``: for every bit of the stream, the length of a repeat
   record starting there, looked up by the two bytes around the bit.  A
   literal chunk gives a 1-bit step (no true record is 1 bit long), so
   the steps never depend on more than 3 bits.
2. ``_Chains``: a chain of steps starts at every segment of the stream and
   all chains step at once, a gather and an add per step.  A chain that
   starts mid-record reads garbage but usually falls into step with the
   true records within some hundred bits, and then follows them.
3. ``record_starts``: from the header on, follow chain c to its end,
   which chain c+1 (or a later one) usually visited in step: hand over to
   it.  Where no chain is in step (one fell into step late, or the record
   is a literal chunk), read records one by one in Python until one is.
"""

import bisect
import functools

import numpy as np

from .rle_stream import HEADER_BITS, RleStream

# Streams up to this many bits are read record by record in Python.
_SEQUENTIAL_MAX_BITS = 1 << 12
# Chains start every segment and walk on for a margin into the next ones,
# where the next chain must have fallen into step.  Long streams use long
# segments: fewer, longer chains need fewer Python hand-overs.
_SEGMENT_BITS = 256
_SYNC_MARGIN_BITS = 256
_LONG_STREAM_BITS = 1 << 20
_LONG_SEGMENT_BITS = 2048
_LONG_SYNC_MARGIN_BITS = 2048
_STEP_PAD_BITS = 64  # steps past the end are 0, so chains stop there


@functools.lru_cache(maxsize=8)
def _pair_table(word_size: int, sizes: tuple[int, ...]) -> np.ndarray:
    """Step at bit ``offset`` of two bytes ``pair``: table[pair, offset].

    A repeat record's length is set by its first 3 bits (flag and width
    index).  A literal chunk gives 1: it is read by ``record_bits``.
    """
    pair = np.arange(1 << 16)[:, None]
    kind = (pair >> (13 - np.arange(8))) & 7
    bits = 3 + np.asarray(sizes)[kind & 3] + word_size
    return np.where(kind >= 4, bits, 1).astype(np.uint8)


def _bit_steps(stream: RleStream) -> np.ndarray:
    """Chain step at every bit position; 0 from the end of the stream."""
    n_bytes = stream.n_bits // 8
    data = np.frombuffer(stream.padded, dtype=np.uint8)
    pairs = data[:n_bytes].astype(np.uint16)
    pairs <<= 8
    pairs |= data[1 : n_bytes + 1]
    steps = np.zeros(stream.n_bits + _STEP_PAD_BITS, dtype=np.uint8)
    np.take(
        _pair_table(stream.word_size, stream.sizes),
        pairs,
        axis=0,
        out=steps[: stream.n_bits].reshape(n_bytes, 8),
        mode="clip",
    )
    return steps


class _Chains:
    """Chains of steps, one started at every segment.

    ``positions[t, c]`` is chain c's position after t steps; it passes the
    goal (the start of segment c + 1 + margin) at step ``stop[c]``, where
    the chain ends at ``ends[c]``.  Steps ``clean_from[c]..stop[c]`` are
    all whole records: from the first of them that is a true record start
    the chain follows the true records to its end.
    """

    def __init__(self, stream: RleStream, segment: int, margin: int) -> None:
        n_bits = stream.n_bits
        self.steps = steps = _bit_steps(stream)
        dtype = np.int32 if n_bits < 1 << 30 else np.int64
        self.segment = segment
        starts = np.arange(HEADER_BITS, n_bits, segment, dtype=dtype)
        goal = np.minimum(starts + (segment + margin), n_bits)
        shortest = 3 + min(stream.sizes) + stream.word_size
        max_steps = (segment + margin) // shortest + 1
        history = np.empty((max_steps + 1, starts.size), dtype=dtype)
        history[0] = starts
        done = 0
        while done < max_steps:
            row = history[done]
            np.add(row, steps.take(row, mode="clip"), out=history[done + 1])
            done += 1
            if done % 4 == 0 and (history[done] >= goal).all():
                break
        self.positions = positions = history[: done + 1]
        below = positions < goal
        self.stop = np.minimum(
            below.view(np.uint8).sum(axis=0, dtype=np.uint16), done
        ).astype(np.int64)
        self.ends = positions[self.stop, np.arange(starts.size)]
        # A 1-bit step is no record: clean from the step after the last.
        unreal = positions[1:] - positions[:-1] == 1
        unreal &= below[:-1]
        after = np.arange(1, done + 1, dtype=np.uint16)[:, None]
        self.clean_from = (unreal * after).max(axis=0).astype(np.int64)
        # How many chains walk over any one position.
        self.reach = -(-(segment + margin) // segment)
        self._rows: dict[int, list[int]] = {}

    def handovers(self) -> tuple[np.ndarray, np.ndarray]:
        """The later chain, and its step, in step at each chain's end.

        -1 where none is.  The next chain is tried first.
        """
        positions, ends = self.positions, self.ends
        n_chains = positions.shape[1]
        chain = np.full(n_chains, -1, dtype=np.int64)
        at = np.full(n_chains, -1, dtype=np.int64)
        todo = np.arange(n_chains - 1)
        for later in range(1, self.reach + 1):
            todo = todo[todo + later < n_chains]
            if todo.size == 0:
                break
            other = todo + later
            if later == 1:
                match = positions[:, 1:] == ends[:-1]
            else:
                match = positions[:, other] == ends[todo]
            step = np.argmax(match, axis=0)
            found = (
                match[step, np.arange(todo.size)]
                & (step >= self.clean_from[other])
                & (step < self.stop[other])
            )
            chain[todo[found]] = other[found]
            at[todo[found]] = step[found]
            todo = todo[~found]
        return chain, at

    def find(self, position: int) -> tuple[int, int] | None:
        """A chain in step with the records from ``position`` on, if any."""
        latest = min(
            (position - HEADER_BITS) // self.segment,
            self.positions.shape[1] - 1,
        )
        for chain in range(latest, max(latest - self.reach, -1), -1):
            row = self._rows.get(chain)
            if row is None:
                row = self._rows[chain] = self.positions[:, chain].tolist()
            step = bisect.bisect_left(row, position)
            if (
                self.clean_from[chain] <= step < self.stop[chain]
                and row[step] == position
            ):
                return chain, step
        return None


def _chain_geometry(n_bits: int) -> tuple[int, int]:
    """(segment, margin) in bits for a stream of ``n_bits``."""
    if n_bits > _LONG_STREAM_BITS:
        return _LONG_SEGMENT_BITS, _LONG_SYNC_MARGIN_BITS
    return _SEGMENT_BITS, _SYNC_MARGIN_BITS


def record_starts(stream: RleStream) -> tuple[np.ndarray, np.ndarray | None]:
    """Bit positions of all records in order (padding may add a few), and
    the chain steps at every bit if they were needed."""
    n_bits = stream.n_bits
    if n_bits <= _SEQUENTIAL_MAX_BITS:
        return np.array(_read_singly(stream, HEADER_BITS, None)[0]), None
    chains = _Chains(stream, *_chain_geometry(n_bits))
    target, entry = chains.handovers()
    # Runs of hand-overs to the next chain: run_end[c] is the run's last.
    breaks = np.flatnonzero(target != np.arange(1, target.size + 1))
    run_end = breaks[np.searchsorted(breaks, np.arange(target.size))]
    run_end, ends = run_end.tolist(), chains.ends.tolist()
    target_list, entry_list = target.tolist(), entry.tolist()
    runs: list[tuple[int, int, int]] = []  # first chain, its step, last
    singles: list[list[int]] = []
    position = HEADER_BITS
    at = chains.find(position)
    while True:
        if at is None:
            single, at = _read_singly(stream, position, chains)
            singles.append(single)
            if at is None:
                break
        first, step = at
        last = run_end[first]
        runs.append((first, step, last))
        position = ends[last]
        if position >= n_bits:
            break
        at = None
        if target_list[last] >= 0:
            at = target_list[last], entry_list[last]
    starts = _run_positions(chains, entry, runs)
    if singles:
        single = np.array([p for piece in singles for p in piece])
        starts = np.insert(starts, np.searchsorted(starts, single), single)
    return starts, chains.steps


def _read_singly(
    stream: RleStream, position: int, chains: _Chains | None
) -> tuple[list[int], tuple[int, int] | None]:
    """Records from ``position`` until a chain is in step (or the end)."""
    single = []
    while position < stream.n_bits:
        single.append(position)
        position += stream.record_bits(position)
        if chains is not None and position < stream.n_bits:
            at = chains.find(position)
            if at is not None:
                return single, at
    return single, None


def _run_positions(
    chains: _Chains, entry: np.ndarray, runs: list[tuple[int, int, int]]
) -> np.ndarray:
    """The positions of ``runs`` of chains, in order.

    A run takes chain ``first`` from ``step``, each next chain from where
    it was handed over, up to chain ``last``; each chain up to its stop.
    """
    if not runs:
        return np.zeros(0, dtype=np.int64)
    first, step, last = (np.array(column) for column in zip(*runs))
    # The chains of all runs, in order, and the step each is taken from.
    length = last - first + 1
    chain = np.arange(length.sum()) + np.repeat(
        first - (np.cumsum(length) - length), length
    )
    begin = entry[chain - 1]
    begin[np.cumsum(length) - length] = step
    count = chains.stop[chain] - begin
    # Flat indices t * n_chains + c of steps begin..stop of each chain.
    n_chains = chains.positions.shape[1]
    base = begin * n_chains + chain
    base -= (np.cumsum(count) - count) * n_chains
    flat = np.repeat(base, count)
    flat += np.arange(flat.size) * n_chains
    return chains.positions.ravel().take(flat)

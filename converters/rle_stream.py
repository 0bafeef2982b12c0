"""One Label Studio brush RLE stream (the format is described in rle.py):
its bytes, header and record readers, for :mod:`.rle_decode`."""

from collections.abc import Sequence

import numpy as np

HEADER_BITS = 53
RleInput = Sequence[int] | bytes | np.ndarray

_U64 = np.uint64


class RleStream:
    """The bytes of one RLE stream, its header and record readers."""

    def __init__(self, rle: RleInput) -> None:
        data = _as_bytes(rle)
        if len(data) * 8 < HEADER_BITS:
            raise ValueError(
                f"brush RLE too short: {len(data)} bytes, the header alone "
                f"needs 7"
            )
        self.n_bits = len(data) * 8
        self.padded = data + bytes(16)  # window reads never leave it
        # windowN[i] = the N bytes starting at byte i, as one integer.
        buffer = np.frombuffer(self.padded, dtype=np.uint8)
        self.window4, self.window8 = (
            np.ndarray(
                (len(data) + 8,), dtype=dtype, buffer=buffer, strides=(1,)
            )
            for dtype in (">u4", ">u8")
        )
        head = int.from_bytes(data[:8], "big")
        self.count = head >> 32
        self.word_size = ((head >> 27) & 31) + 1
        self.sizes = tuple(((head >> (23 - 4 * i)) & 15) + 1 for i in range(4))
        # Longest repeat record (or one-word literal chunk).
        self.limit = 3 + max(self.sizes) + self.word_size

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

    def windows(self, positions: np.ndarray) -> np.ndarray:
        """The 64 bits from each bit position on, as uint64."""
        window = self.window8.take(positions >> 3).astype(_U64)
        window <<= (positions & 7).astype(_U64)
        return window


def _as_bytes(rle: RleInput) -> bytes:
    if isinstance(rle, (bytes, bytearray)):
        return bytes(rle)
    if isinstance(rle, np.ndarray):
        if rle.ndim != 1 or not np.issubdtype(rle.dtype, np.integer):
            raise ValueError("brush RLE must be a flat list of integers")
        if rle.dtype != np.uint8 and rle.size:
            if rle.min() < 0 or rle.max() > 255:
                raise ValueError("brush RLE values must be bytes (0..255)")
        return rle.astype(np.uint8, copy=False).tobytes()
    if isinstance(rle, (str, dict)) or not isinstance(rle, Sequence):
        raise ValueError(
            f"brush RLE must be a list of integers, got {type(rle).__name__}"
        )
    try:
        return bytes(bytearray(rle))  # bytearray() reads a list faster
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"brush RLE must be a list of integers 0..255 ({error})"
        ) from None

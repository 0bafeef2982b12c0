"""Brush RLE codec: bit-exact with label_studio_sdk.converter.brush."""

import time

import numpy as np
import pytest
import skimage.data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from label_studio_sdk.converter import brush

from fiftyone_labelstudio.converters import rle, rle_records
from fiftyone_labelstudio.converters.rle import decode_rle, encode_rle

pytestmark = pytest.mark.unit


def sdk_decode(data, height, width):
    return brush.decode_rle(data).reshape(height, width, 4)[:, :, 3]


@pytest.fixture(params=[(97, 61), (40, 130)], ids=["next", "later"])
def tiny_segments(request, monkeypatch):
    """Force the chain decoder (and its hand-overs) onto small streams.

    With a margin longer than a segment, chains hand over to later chains
    than the next one.
    """
    segment, margin = request.param
    monkeypatch.setattr(rle_records, "_SEQUENTIAL_MAX_BITS", 0)
    monkeypatch.setattr(rle_records, "_SEGMENT_BITS", segment)
    monkeypatch.setattr(rle_records, "_SYNC_MARGIN_BITS", margin)


shapes = st.tuples(st.integers(1, 40), st.integers(1, 40))


@st.composite
def masks(draw):
    height, width = draw(shapes)
    kind = draw(st.sampled_from(["random", "binary", "blocky", "few"]))
    if kind == "random":
        return draw(hnp.arrays(np.uint8, (height, width)))
    if kind == "binary":
        bits = draw(hnp.arrays(np.bool_, (height, width)))
        return bits.astype(np.uint8) * 255
    if kind == "few":
        values = draw(st.lists(st.integers(0, 255), min_size=1, max_size=3))
        index = draw(
            hnp.arrays(np.uint8, (height, width), elements=st.integers(0, 2))
        )
        return np.asarray(values * 3, dtype=np.uint8)[index]
    mask = np.zeros((height, width), dtype=np.uint8)
    for _ in range(draw(st.integers(0, 4))):
        y0, y1 = sorted(
            draw(st.lists(st.integers(0, height), min_size=2, max_size=2))
        )
        x0, x1 = sorted(
            draw(st.lists(st.integers(0, width), min_size=2, max_size=2))
        )
        mask[y0:y1, x0:x1] = draw(st.integers(0, 255))
    return mask


@given(masks())
@settings(max_examples=300, deadline=None)
def test_encode_matches_sdk(mask):
    assert encode_rle(mask) == brush.mask2rle(mask)


@given(masks())
@settings(max_examples=300, deadline=None)
def test_decode_matches_sdk(mask):
    data = brush.mask2rle(mask)
    decoded = decode_rle(data, *mask.shape)
    assert decoded.dtype == np.uint8
    assert np.array_equal(decoded, sdk_decode(data, *mask.shape))
    assert np.array_equal(decoded, mask)


@given(masks())
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_chain_decoder_matches_sdk(tiny_segments, mask):
    data = brush.mask2rle(mask)
    assert np.array_equal(decode_rle(data, *mask.shape), mask)


def test_int_and_bool_masks():
    mask = np.array([[0, 255, 7], [7, 7, 0]])
    assert encode_rle(mask) == brush.mask2rle(mask)
    flags = np.array([[True, False], [False, True]])
    assert encode_rle(flags) == brush.mask2rle(flags.astype(np.uint8) * 255)


def test_long_runs_split_like_sdk():
    # Runs longer than 2**16 bytes need several records.
    mask = np.zeros((300, 301), dtype=np.uint8)
    mask[150:, 7:] = 200
    assert encode_rle(mask) == brush.mask2rle(mask)
    assert np.array_equal(decode_rle(encode_rle(mask), 300, 301), mask)


@pytest.mark.parametrize("extra", [1, 2, 3, 4, 63, 64, 65, 16383, 16384])
def test_split_run_remainders_like_sdk(extra):
    # The SDK writes the rest of a split run with the 16-bit field even
    # when it is short.
    mask = np.zeros((1, 2 * 16384 + extra + 3), dtype=np.uint8)
    mask[0, -3:] = [1, 2, 2]
    assert encode_rle(mask) == brush.mask2rle(mask)
    assert np.array_equal(decode_rle(encode_rle(mask), *mask.shape), mask)


def real_masks():
    for name in ["astronaut", "camera", "coins", "horse", "page", "coffee"]:
        image = getattr(skimage.data, name)()
        gray = image if image.ndim == 2 else image[..., 1]
        yield name + "-binary", ((gray > 128) * 255).astype(np.uint8)
        yield name + "-levels", (gray // 51 * 51).astype(np.uint8)


@pytest.mark.parametrize("name,mask", list(real_masks()))
def test_real_masks(name, mask):
    data = encode_rle(mask)
    assert data == brush.mask2rle(mask)
    assert np.array_equal(decode_rle(data, *mask.shape), mask)


@pytest.mark.parametrize("seed", range(4))
def test_large_random_masks(seed):
    # Large enough for many chains and hand-overs in the decoder.
    rng = np.random.default_rng(seed)
    shape = (173, 611)
    for mask in [
        rng.integers(0, 256, shape, dtype=np.uint8),
        (rng.random(shape) > 0.5).astype(np.uint8) * 255,
        (rng.random(shape) > 0.97).astype(np.uint8) * 255,
        rng.integers(0, 3, shape, dtype=np.uint8),
    ]:
        data = encode_rle(mask)
        assert data == brush.mask2rle(mask)
        assert np.array_equal(decode_rle(data, *shape), mask)


def blocky_hd(seed=0):
    """Like bench/rle_compare.py's blocky mask: 40 rectangles on 1080p."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((1080, 1920), np.uint8)
    for _ in range(40):
        y, x = rng.integers(0, 1030), rng.integers(0, 1870)
        h, w = rng.integers(20, 300), rng.integers(20, 400)
        mask[y : y + h, x : x + w] = 255
    return mask


def test_blocky_hd_mask_like_sdk():
    # Long runs (> 16384 pixels) and periodic rows in the chain decoder.
    mask = blocky_hd()
    data = brush.mask2rle(mask)
    assert encode_rle(mask) == data
    assert np.array_equal(decode_rle(data, *mask.shape), mask)
    assert np.array_equal(
        decode_rle(data, *mask.shape), sdk_decode(data, *mask.shape)
    )


@pytest.mark.parametrize("fill", ["zeros", "full", "first", "last", "corners"])
def test_uniform_hd_masks_like_sdk(fill):
    mask = np.zeros((1080, 1920), np.uint8)
    if fill == "full":
        mask[:] = 255
    elif fill == "first":
        mask[0, 0] = 255
    elif fill == "last":
        mask[-1, -1] = 255
    elif fill == "corners":
        mask[[0, 0, -1, -1], [0, -1, 0, -1]] = 7
    data = brush.mask2rle(mask)
    assert encode_rle(mask) == data
    assert np.array_equal(decode_rle(data, *mask.shape), mask)


@pytest.mark.parametrize("width", [1, 7, 8, 9, 15, 16, 17, 63, 64, 65])
def test_run_ends_at_word_edges(width):
    # The encoder finds run ends 8 pixels at a time; ends on every offset
    # in a word and masks whose size is no multiple of 8.
    for height in [1, 3, 8, 40]:
        mask = np.zeros((height, width), np.uint8)
        mask.ravel()[::9] = 255
        mask.ravel()[-1] = 3
        assert encode_rle(mask) == brush.mask2rle(mask)
        sparse = np.zeros((height, width), np.uint8)
        sparse.ravel()[sparse.size // 2 :] = 9
        assert encode_rle(sparse) == brush.mask2rle(sparse)


@given(
    st.integers(1, 3000),
    st.lists(st.integers(0, 2999), max_size=12),
    st.integers(0, 255),
)
@settings(max_examples=200, deadline=None)
def test_run_ends_sparse_and_dense(size, changes, value):
    pixels = np.zeros(size, np.uint8)
    for at in changes:
        pixels[at % size :] = (int(pixels[at % size]) + value) % 256
    expected = np.flatnonzero(np.append(pixels[1:] != pixels[:-1], True))
    assert np.array_equal(rle._run_ends(pixels), expected)
    assert encode_rle(pixels[None, :]) == brush.mask2rle(pixels[None, :])


@pytest.mark.parametrize(
    "kind", ["list", "bytes", "bytearray", "uint8", "int64"]
)
def test_decode_input_types(kind):
    mask = np.random.default_rng(5).integers(0, 4, (37, 53), np.uint8)
    data = encode_rle(mask)
    rle_input = {
        "list": data,
        "bytes": bytes(data),
        "bytearray": bytearray(data),
        "uint8": np.array(data, np.uint8),
        "int64": np.array(data, np.int64),
    }[kind]
    assert np.array_equal(decode_rle(rle_input, 37, 53), mask)


def test_stream_sizes_around_path_switches(monkeypatch):
    # Streams just below and above the sequential limit, and long streams
    # (made long by lowering the limit) with the long-stream geometry.
    rng = np.random.default_rng(7)
    limit = rle_records._SEQUENTIAL_MAX_BITS
    masks = []
    for pixels in range(limit // 15 - 40, limit // 15 + 40, 3):
        masks.append(rng.integers(0, 2, (1, pixels), np.uint8) * 255)
    for mask in masks:
        data = encode_rle(mask)
        assert np.array_equal(decode_rle(data, *mask.shape), mask)
    monkeypatch.setattr(rle_records, "_LONG_STREAM_BITS", limit)
    monkeypatch.setattr(rle_records, "_LONG_SEGMENT_BITS", 300)
    monkeypatch.setattr(rle_records, "_LONG_SYNC_MARGIN_BITS", 700)
    for mask in masks + [blocky_hd(1)[:200]]:
        data = encode_rle(mask)
        assert np.array_equal(decode_rle(data, *mask.shape), mask)


def test_long_stream_geometry_like_sdk():
    # Over _LONG_STREAM_BITS with the real geometry: random and blocky
    # parts (about 1.3 M bits).
    rng = np.random.default_rng(11)
    mask = blocky_hd(2)[:300, :800].copy()
    mask[:200] = (rng.random((200, 800)) < 0.5) * 255
    data = brush.mask2rle(mask)
    assert len(data) * 8 > rle_records._LONG_STREAM_BITS
    assert encode_rle(mask) == data
    assert np.array_equal(decode_rle(data, *mask.shape), mask)


# ------------------------------------------- general streams (any encoder)


def make_stream(records, word_size, sizes, count=None, pad=0):
    """A thi-ng rle-pack stream from ("repeat", n, value) and
    ("literal", words) records; returns (bytes as ints, value count)."""
    body, total = [], 0
    for record in records:
        if record[0] == "repeat":
            _, n, value = record
            words, flag = [value], "1"
        else:
            words, flag = record[1], "0"
            n = len(words)
        index = next(i for i, s in enumerate(sizes) if n <= 1 << s)
        body.append(f"{flag}{index:02b}{n - 1:0{sizes[index]}b}")
        body.extend(f"{w:0{word_size}b}" for w in words)
        total += n
    bits = f"{total if count is None else count:032b}{word_size - 1:05b}"
    bits += "".join(f"{s - 1:04b}" for s in sizes) + "".join(body)
    bits += "0" * ((-len(bits)) % 8 + 8 * pad)
    return [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)], total


@st.composite
def general_streams(draw):
    """Streams with literal chunks, any word size and field widths."""
    word_size = draw(st.integers(1, 12))
    sizes = draw(st.lists(st.integers(1, 16), min_size=4, max_size=4))
    longest = min(1 << max(sizes), 40)
    value = st.integers(0, (1 << min(word_size, 8)) - 1)
    records = []
    repeats_only = draw(st.booleans())  # the decoder's fast path
    for _ in range(draw(st.integers(1, 60))):
        n = draw(st.integers(1, longest))
        if repeats_only or draw(st.booleans()):
            records.append(("repeat", n, draw(value)))
        else:
            words = draw(st.lists(value, min_size=n, max_size=n))
            records.append(("literal", words))
    total = sum(r[1] if r[0] == "repeat" else len(r[1]) for r in records)
    if total % 4:
        records.append(("literal", [0] * (4 - total % 4)))
        if 4 - total % 4 > longest:
            records[-1] = ("repeat", 1, 0)
            records += [("repeat", 1, 0)] * (3 - total % 4)
    return make_stream(records, word_size, sizes, pad=draw(st.integers(0, 2)))


@given(general_streams())
@settings(max_examples=300, deadline=None)
def test_decode_general_streams_like_sdk(stream):
    data, count = stream
    expected = brush.decode_rle(data)
    width = count // 4
    assert np.array_equal(
        decode_rle(data, 1, width), expected.reshape(1, width, 4)[:, :, 3]
    )


@given(general_streams())
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_chain_decoder_general_streams(tiny_segments, stream):
    data, count = stream
    expected = brush.decode_rle(data).reshape(1, count // 4, 4)[:, :, 3]
    assert np.array_equal(decode_rle(data, 1, count // 4), expected)


def test_large_literal_stream_decodes(tiny_segments):
    # Long literal chunks are never followed by chains: read singly.
    rng = np.random.default_rng(3)
    records = [("literal", rng.integers(0, 256, 300).tolist())] * 9
    records += [("repeat", 400, 9), ("literal", [1, 2, 3, 4])]
    data, count = make_stream(records, 8, (3, 4, 8, 16))
    expected = brush.decode_rle(data).reshape(1, count // 4, 4)[:, :, 3]
    assert np.array_equal(decode_rle(data, 1, count // 4), expected)


# ------------------------------------------------------------ malformed

# Bytes 4..6 of a header with word size 8 and widths 3, 4, 8, 16 (the
# last 3 bits belong to the first record).
HEADER_TAIL = make_stream([], 8, (3, 4, 8, 16))[0][4:7]


def test_rejects_bad_input_types():
    with pytest.raises(ValueError, match="list of integers"):
        decode_rle("abc", 1, 1)
    with pytest.raises(ValueError, match="0..255"):
        decode_rle([0, 0, 0, 4, 300, 0, 0, 0], 1, 1)
    with pytest.raises(ValueError, match="0..255"):
        decode_rle([0, 0, 0, 4, -1, 0, 0, 0], 1, 1)
    with pytest.raises(ValueError, match="list of integers"):
        decode_rle([0, 0, 0, 4, "x", 0, 0, 0], 1, 1)
    with pytest.raises(ValueError, match="mask size"):
        decode_rle(encode_rle(np.zeros((1, 1), np.uint8)), 0, 1)


def test_rejects_short_and_mismatched():
    data = encode_rle(np.zeros((4, 5), np.uint8))
    with pytest.raises(ValueError, match="too short"):
        decode_rle(data[:6], 4, 5)
    with pytest.raises(ValueError, match="holds 80 values"):
        decode_rle(data, 5, 5)


def test_rejects_truncated():
    rng = np.random.default_rng(1)
    mask = rng.integers(0, 256, (20, 30), dtype=np.uint8)
    data = encode_rle(mask)
    for cut in [8, 9, len(data) // 2, len(data) - 2]:
        with pytest.raises(ValueError, match="truncated"):
            decode_rle(data[:cut], 20, 30)


@pytest.mark.parametrize("chains", [False, True])
def test_rejects_values_over_255(monkeypatch, chains):
    if chains:
        monkeypatch.setattr(rle_records, "_SEQUENTIAL_MAX_BITS", 0)
    records = [("repeat", 4, 7)] * 40 + [("repeat", 4, 300)]
    data, count = make_stream(records, 12, (3, 4, 8, 16))
    with pytest.raises(ValueError, match="does not fit in a byte"):
        decode_rle(data, 1, count // 4)
    data, count = make_stream(records[:-1], 12, (3, 4, 8, 16))
    assert np.array_equal(decode_rle(data, 1, count // 4), np.full((1, 40), 7))


def test_rejects_absurd_lengths():
    # A header claiming 4 billion values is refused before any allocation.
    data = [255, 255, 255, 252] + HEADER_TAIL + [0] * 20
    with pytest.raises(ValueError, match="needs 4"):
        decode_rle(data, 1, 1)
    # A stream far longer than any encoding of its count.
    data = encode_rle(np.zeros((1, 1), np.uint8)) + [0] * 200
    with pytest.raises(ValueError, match="longer than any"):
        decode_rle(data, 1, 1)


def test_rejects_bad_masks():
    with pytest.raises(ValueError, match="2-D"):
        encode_rle(np.zeros((2, 2, 4), np.uint8))
    with pytest.raises(ValueError, match="empty"):
        encode_rle(np.zeros((0, 3), np.uint8))
    with pytest.raises(ValueError, match="0..255"):
        encode_rle(np.array([[0, 256]]))
    with pytest.raises(ValueError, match="integers or booleans"):
        encode_rle(np.array([[0.5]]))


@given(
    shapes,
    st.binary(min_size=0, max_size=400),
    st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_garbage_never_hangs(shape, body, chains):
    height, width = shape
    header = list((height * width * 4).to_bytes(4, "big")) + HEADER_TAIL
    data = header + list(body)
    started = time.perf_counter()
    old = rle_records._SEQUENTIAL_MAX_BITS
    rle_records._SEQUENTIAL_MAX_BITS = 0 if chains else old
    try:
        result = decode_rle(data, height, width)
        assert result.shape == (height, width)
    except ValueError:
        pass
    finally:
        rle_records._SEQUENTIAL_MAX_BITS = old
    assert time.perf_counter() - started < 2

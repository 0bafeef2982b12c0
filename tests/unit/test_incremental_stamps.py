"""Which stamps an incremental load asks for on their own."""

from hypothesis import given
from hypothesis import strategies as st

from fiftyone_labelstudio.backend import incremental


@given(st.sets(st.integers(1, 500)))
def test_id_runs_cover_exactly_the_ids(ids):
    runs = incremental.id_runs(ids)
    covered = {t for first, last in runs for t in range(first, last + 1)}
    assert covered == ids
    # maximal: no two runs touch
    assert all(a[1] + 1 < b[0] for a, b in zip(runs, runs[1:]))


def test_dense_stamps(monkeypatch):
    monkeypatch.setattr(incremental, "DENSE", 3)
    monkeypatch.setattr(incremental, "MAX_RANGES", 2)
    monkeypatch.setattr(incremental, "MAX_DENSE", 1)
    seen = {
        "a": [1, 2],  # too few
        "b": [10, 11, 12, 20],
        "c": [1, 3, 5, 7],  # too many runs
        "d": [30, 31, 32, 33, 34],
    }
    assert incremental.dense_stamps(seen) == {"d": [(30, 34)]}
    monkeypatch.setattr(incremental, "MAX_DENSE", 5)
    assert incremental.dense_stamps(seen) == {
        "b": [(10, 12), (20, 20)],
        "d": [(30, 34)],
    }


def test_window_drops_old_and_unreadable_stamps():
    floor = incremental.parse_stamp("2026-01-01T00:00:10.000000Z")
    seen = {
        "2026-01-01T00:00:09.999999Z": [1],
        "2026-01-01T00:00:10Z": [2],
        "2026-01-01T00:00:11.5Z": [3],
        "not a stamp": [4],
    }
    assert incremental._window(seen, floor) == {
        "2026-01-01T00:00:10.000000Z": [2],
        "2026-01-01T00:00:11.500000Z": [3],
    }

"""Settings shared by the benchmark processes, and how they measure.

Every benchmark case runs in a child process (``child.py``) so that its
peak memory (``ru_maxrss``) is its own. The orchestrator (``run.py``)
passes the server and paths through environment variables:

    LS_URL, LS_TOKEN        the one Label Studio server of the run
    BENCH_FILES_ROOT        the server's LOCAL_FILES_DOCUMENT_ROOT
    BENCH_IMAGES_DIR        cached JPEGs, a subdirectory of the files root
    FIFTYONE_DATABASE_DIR   the run's private FiftyOne database
"""

import json
import os
import resource
import sys
import time
from contextlib import contextmanager

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
RESULTS_DIR = os.path.join(BENCH_DIR, "results")

OURS_CONFIG_CLS = "fiftyone_labelstudio.backend.LabelStudioBackendConfig"
BUILTIN_CONFIG_CLS = "fiftyone.utils.labelstudio.LabelStudioBackendConfig"

LABEL_FIELD = "ground_truth"
CLASSES = [
    "person",
    "car",
    "bicycle",
    "dog",
    "cat",
    "bird",
    "tree",
    "sign",
    "bus",
    "boat",
]
BOXES_PER_SAMPLE = 10
IMAGE_WIDTH, IMAGE_HEIGHT = 64, 48

RESULT_MARKER = "BENCH_RESULT "


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit("%s is not set (run bench through run.py)" % name)
    return value


def server() -> tuple:
    """(url, token) of the benchmark's Label Studio server."""
    return env("LS_URL").rstrip("/"), env("LS_TOKEN")


def base_dataset_name(n: int) -> str:
    return "bench-base-%d" % n


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux: ru_maxrss KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


class Timer:
    """Wall-clock seconds of named sections."""

    def __init__(self):
        self.sections = {}

    @contextmanager
    def section(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.sections[name] = self.sections.get(name, 0.0) + elapsed


@contextmanager
def maybe_profile(path: str | None):
    """Profiles the block with pyinstrument when ``path`` is given and
    writes a text report (function names, cumulative seconds) there."""
    if not path:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.002)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(
                profiler.output_text(
                    unicode=False, color=False, show_all=False
                )
            )
            # Which functions burn the time, library frames included
            f.write("\n\nFLAT (self time, top functions)\n")
            flat = profiler.output_text(
                unicode=False, color=False, flat=True, show_all=True
            )
            f.write("\n".join(flat.splitlines()[:60]) + "\n")
        with open(os.path.splitext(path)[0] + ".html", "w") as f:
            f.write(profiler.output_html())
        profiler.last_session.save(os.path.splitext(path)[0] + ".pyisession")


def emit(result: dict) -> None:
    """Hands a child's result to the orchestrator (one marked line)."""
    result.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    sys.stdout.write(RESULT_MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()


def parse_result(stdout: str) -> dict | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    return None

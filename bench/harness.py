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
    """This process's peak resident memory so far: ``VmHWM``, the high
    water mark of its own address space. Not ``ru_maxrss``: Linux keeps the
    parent's high water mark across fork + exec, so every child of an
    orchestrator that once held 2 GB (seeding 100k tasks) reported 2 GB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
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
    # what earlier runs reported (see peak_rss_mb)
    result.setdefault(
        "ru_maxrss_mb",
        round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
    )
    sys.stdout.write(RESULT_MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()


def parse_result(stdout: str) -> dict | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    return None


class RssTracer:
    """Samples this process's RSS in a thread while a block runs: an RSS
    curve (one point every ``every`` s) and the main thread's stack when
    RSS reached its highest value, to show where a peak happens."""

    def __init__(self, interval: float = 0.25, every: float = 2.0):
        self.interval, self.every = interval, every
        self.curve, self.peak_mb, self.peak_stack = [], 0.0, []

    def __enter__(self):
        import threading

        self._main = threading.main_thread().ident
        self._stop = threading.Event()
        self._start = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        import traceback

        import psutil

        proc, next_point = psutil.Process(), 0.0
        while not self._stop.wait(self.interval):
            rss = proc.memory_info().rss / 2**20
            t = time.perf_counter() - self._start
            if t >= next_point:
                self.curve.append([round(t, 1), round(rss)])
                next_point = t + self.every
            if rss > self.peak_mb + 2:
                self.peak_mb = rss
                frame = sys._current_frames().get(self._main)
                stack = traceback.extract_stack(frame) if frame else []
                self.peak_stack = [
                    "%s:%d %s"
                    % (
                        (
                            os.path.relpath(f.filename, REPO_DIR)
                            if f.filename.startswith(REPO_DIR)
                            else os.path.basename(f.filename)
                        ),
                        f.lineno or 0,  # None in some frames
                        f.name,
                    )
                    for f in stack[-14:]
                ]
                self.peak_at = round(t, 1)

    def result(self) -> dict:
        return {
            "rss_curve": self.curve,
            "rss_peak_sampled_mb": round(self.peak_mb, 1),
            "rss_peak_at_s": getattr(self, "peak_at", None),
            "rss_peak_stack": self.peak_stack,
        }

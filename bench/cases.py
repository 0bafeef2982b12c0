"""What one child process measures. Each function returns a result dict.

Timed sections are only the calls being compared: annotate and
load_annotations and the floors' raw requests. "ours" runs the entry
points the plugin's operators use (``fiftyone_labelstudio.annotate`` and
``fiftyone_labelstudio.load_annotations``); "ours_fo" runs our backend
through FiftyOne's ``dataset.annotate`` / ``dataset.load_annotations``
(FiftyOne's attribute scan and per-sample merge); "builtin" FiftyOne's
own Label Studio backend. Dataset
cloning, seeding, checks and cleanup are outside.
"""

import harness
from harness import (
    BOXES_PER_SAMPLE,
    BUILTIN_CONFIG_CLS,
    CLASSES,
    LABEL_FIELD,
    OURS_CONFIG_CLS,
    Timer,
    base_dataset_name,
    current_rss_mb,
    maybe_profile,
)

CONFIG_CLS = {
    "ours": OURS_CONFIG_CLS,
    "ours_fo": OURS_CONFIG_CLS,
    "builtin": BUILTIN_CONFIG_CLS,
}


def _fo():
    import fiftyone as fo

    fo.config.show_progress_bars = False
    return fo


def build(n: int, images_dir: str) -> dict:
    import dataset_gen

    _fo()
    timer = Timer()
    with timer.section("images"):
        dataset_gen.ensure_images(images_dir, n)
    with timer.section("dataset"):
        dataset = dataset_gen.build_dataset(n, images_dir)
    return {
        "samples": len(dataset),
        "sections": {k: round(v, 2) for k, v in timer.sections.items()},
    }


def annotate(
    backend: str, mode: str, n: int, run: str, profile: str = None
) -> dict:
    """Clones the base dataset into ``run`` and times annotate() on it."""
    fo = _fo()
    url, token = harness.server()
    if fo.dataset_exists(run):
        fo.delete_dataset(run)
    dataset = fo.load_dataset(base_dataset_name(n)).clone(run, persistent=True)
    kwargs = dict(
        backend="labelstudio",
        config_cls=CONFIG_CLS[backend],
        label_field=LABEL_FIELD,
        classes=list(CLASSES),
        url=url,
        api_key=token,
    )
    if backend != "builtin":
        kwargs["media_mode"] = mode
    annotate_fn = dataset.annotate
    if backend == "ours":
        import fiftyone_labelstudio

        def annotate_fn(key, **kw):
            return fiftyone_labelstudio.annotate(dataset, key, **kw)

    rss_before = current_rss_mb()
    timer = Timer()
    with maybe_profile(profile), timer.section("annotate"):
        results = annotate_fn(run, **kwargs)
    return {
        "seconds": timer.sections["annotate"],
        "rss_before_mb": round(rss_before, 1),
        "project_id": int(results.project_id),
        "samples": len(dataset),
    }


def _count_boxes(dataset) -> int:
    return int(dataset.count("%s.detections" % LABEL_FIELD))


def load(
    backend: str, run: str, profile: str = None, full: bool = False
) -> dict:
    """Times load_annotations() of the run made by :func:`annotate`
    (``full``: a full re-read even when the run has a load position)."""
    fo = _fo()
    url, token = harness.server()
    # where the child's RSS peaks (bench/results: rss_peak_stack)
    tracer = harness.RssTracer().__enter__()
    dataset = fo.load_dataset(run)
    load_fn = dataset.load_annotations
    if backend == "ours":
        import fiftyone_labelstudio

        def load_fn(key, **kw):
            return fiftyone_labelstudio.load_annotations(dataset, key, **kw)

    rss_before = current_rss_mb()
    timer = Timer()
    with maybe_profile(profile), timer.section("load"):
        load_fn(
            run,
            url=url,
            api_key=token,
            unexpected="keep",
            **({"full": True} if full else {}),
        )
    boxes = _count_boxes(dataset)
    # what the load read (incremental or not: backend/incremental.py)
    report = dataset.load_annotation_results(run).last_load_report()
    expected = BOXES_PER_SAMPLE * len(dataset)
    tracer.__exit__()
    return {
        "seconds": timer.sections["load"],
        "rss_before_mb": round(rss_before, 1),
        "boxes_after": boxes,
        "boxes_expected": expected,
        "correct": boxes == expected,
        "incremental": report and report.incremental,
        "tasks_read": report and report.tasks_read,
        "tasks_listed": report and getattr(report, "tasks_listed", None),
        **tracer.result(),
    }


def floor_annotate(mode: str, n: int, files_root: str) -> dict:
    import floors

    fo = _fo()
    dataset = fo.load_dataset(base_dataset_name(n))
    rss_before = current_rss_mb()
    result = floors.annotate_floor(dataset, mode, files_root)
    result["rss_before_mb"] = round(rss_before, 1)
    return result


def floor_load(run: str, project_id: int) -> dict:
    import floors

    fo = _fo()
    dataset = fo.load_dataset(run)
    task_ids = None
    if len(dataset) > floors.SINGLE_EXPORT_MAX_TASKS:
        # the paged floor: the run's task ids, as the client has them
        task_ids = sorted(dataset.load_annotation_results(run).task_map)
    rss_before = current_rss_mb()
    result = floors.load_floor(dataset, project_id, LABEL_FIELD, task_ids)
    result["rss_before_mb"] = round(rss_before, 1)
    return result


def drop(run: str) -> dict:
    fo = _fo()
    if fo.dataset_exists(run):
        fo.delete_dataset(run)
    return {}


def rle(repeat_ours: int = 20, repeat_sdk: int = 10) -> dict:
    import rle_compare

    return rle_compare.run(repeat_ours, repeat_sdk)


def files_root() -> str:
    return harness.env("BENCH_FILES_ROOT")


def images_dir() -> str:
    return harness.env("BENCH_IMAGES_DIR")


CASES = {
    "build": lambda n: build(n, images_dir()),
    "annotate": annotate,
    "load": load,
    "floor_annotate": lambda mode, n: floor_annotate(mode, n, files_root()),
    "floor_load": floor_load,
    "drop": drop,
    "rle": rle,
}

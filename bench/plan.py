"""The order of the benchmark cases. Every record gets a ``tag``:
``{"section", "what", "who", "mode", "n", "rep"}`` that report.py reads.

compare (N = --compare-n, --repeat times, local storage unless noted):
    floor annotate (local), ours annotate -> seed -> ours load -> floor
    load, the same through dataset.annotate/load_annotations ("ours_fo"),
    built-in annotate -> seed -> built-in load, floor annotate
    (upload), ours annotate (upload)
upload (N = --upload-n): floor, ours and built-in annotate in upload mode
scaling (each N of --sizes, once, local storage): floor annotate, ours
    annotate -> seed -> ours load -> full load through
    dataset.load_annotations -> 1% changed -> ours incremental load -> 1%
    changed -> dataset.load_annotations incremental (--changed 0: none)
    -> floor load (last: it rewrites the field with fresh label ids);
    N == --compare-n reuses the compare section's first repetition
rle: one child
"""

import os

from harness import RESULTS_DIR
from ls_raw import RawLS


def dataset_sizes(args) -> list:
    sizes = set()
    if "compare" in args.only:
        sizes.add(args.compare_n)
    if "upload" in args.only:
        sizes.add(args.upload_n)
    if "scaling" in args.only:
        sizes.update(args.sizes)
    return sorted(sizes)


def _profile_path(args, what, who, mode, n, rep):
    if not args.profile or rep != 0 or who != "ours":
        return None
    return os.path.join(
        RESULTS_DIR, "profile-%s-%s-%s-%d.txt" % (what, who, mode, n)
    )


def _delete_project(project_id):
    if project_id is None:
        return
    ls = RawLS()
    try:
        ls.delete_project(project_id)
    except Exception as exc:  # a leftover project only costs disk
        print("  (could not delete project %s: %s)" % (project_id, exc))
    finally:
        ls.close()


def _floor_annotate(runner, section, mode, n, rep):
    tag = dict(section=section, what="annotate", who="floor", mode=mode)
    runner.child("floor_annotate", tag=dict(tag, n=n, rep=rep), mode=mode, n=n)


def _annotate(runner, args, section, who, mode, n, rep):
    run = "%s_%s_%s_%d_%d" % (section, who, mode, n, rep)
    tag = dict(section=section, who=who, mode=mode, n=n, rep=rep)
    result = runner.child(
        "annotate",
        tag=dict(tag, what="annotate"),
        builtin_local=(who == "builtin" and mode == "local"),
        backend=who,
        mode=mode,
        n=n,
        run=run,
        profile=_profile_path(args, "annotate", who, mode, n, rep),
    )
    return run, result.get("project_id")


def _annotate_seed_load(runner, args, section, who, n, rep, seed, then=None):
    """annotate (local) -> seed -> load [-> ``then(run, project_id,
    tag)``] [-> floor load for ours]."""
    run, project_id = _annotate(runner, args, section, who, "local", n, rep)
    if project_id is None:
        return
    tag = dict(section=section, who=who, mode="local", n=n, rep=rep)
    try:
        try:
            seeded = seed(project_id)
        except Exception as exc:
            seeded = {"error": "seeding failed: %s" % exc}
        runner.note("seed", dict(tag, what="seed"), seeded)
        if "error" in seeded:
            return
        runner.child(
            "load",
            tag=dict(tag, what="load"),
            builtin_local=(who == "builtin"),
            backend=who,
            run=run,
            profile=_profile_path(args, "load", who, "local", n, rep),
        )
        if then is not None:
            # before the floor load: it rewrites the run's field with
            # labels of fresh ids, which the run's id_map does not know
            then(run, project_id, tag)
        if who == "ours":
            runner.child(
                "floor_load",
                tag=dict(tag, who="floor", what="load"),
                run=run,
                project_id=project_id,
            )
    finally:
        _delete_project(project_id)


def _compare(runner, args, seed):
    n = args.compare_n
    for rep in range(args.repeat):
        _floor_annotate(runner, "compare", "local", n, rep)
        _annotate_seed_load(runner, args, "compare", "ours", n, rep, seed)
        _annotate_seed_load(runner, args, "compare", "ours_fo", n, rep, seed)
        if not args.no_builtin:
            _annotate_seed_load(
                runner, args, "compare", "builtin", n, rep, seed
            )
        _floor_annotate(runner, "compare", "upload", n, rep)
        _, project_id = _annotate(
            runner, args, "compare", "ours", "upload", n, rep
        )
        _delete_project(project_id)


def _upload(runner, args):
    n = args.upload_n
    for rep in range(args.repeat):
        _floor_annotate(runner, "upload", "upload", n, rep)
        whos = ["ours"] + ([] if args.no_builtin else ["builtin"])
        for who in whos:
            _, project_id = _annotate(
                runner, args, "upload", who, "upload", n, rep
            )
            _delete_project(project_id)


def _incremental(runner, args):
    """After the first (full) load of a scaling run: a full re-read
    through FiftyOne's ``dataset.load_annotations``, then 1% of the
    tasks get a new annotation and each entry point loads incrementally
    (ours, then FiftyOne's after another 1%)."""
    from seed_annotations import change

    def then(run, project_id, tag):
        # FiftyOne's per-sample merge is the slowest case: --fo-max-n
        # bounds the N it runs at
        with_fo = tag["n"] <= args.fo_max_n
        if with_fo:
            runner.child(
                "load",
                tag=dict(tag, who="ours_fo", what="load"),
                backend="ours_fo",
                run=run,
                full=True,
            )
        for k, who in enumerate(("ours", "ours_fo")[: 1 + with_fo]):
            try:
                changed = change(project_id, args.changed, seed=k + 1)
            except Exception as exc:
                changed = {"error": "change failed: %s" % exc}
            runner.note("change", dict(tag, who=who, what="change"), changed)
            if "error" in changed:
                return
            runner.child(
                "load",
                tag=dict(tag, who=who, what="load_incremental"),
                backend=who,
                run=run,
                profile=_profile_path(
                    args, "load_incremental", who, "local", tag["n"], 0
                ),
            )

    return then


def _scaling(runner, args, seed):
    for n in args.sizes:
        if "compare" in args.only and n == args.compare_n:
            continue  # the compare section measured it
        if not args.no_annotate_floor:
            _floor_annotate(runner, "scaling", "local", n, 0)
        then = None if args.changed <= 0 else _incremental(runner, args)
        _annotate_seed_load(
            runner, args, "scaling", "ours", n, 0, seed, then=then
        )


def run_sections(runner, args, seed) -> None:
    if "rle" in args.only:
        reps = (5, 2) if args.quick else (20, 10)
        runner.child(
            "rle",
            tag=dict(section="rle", what="rle", who="both", mode="", n=0),
            repeat_ours=reps[0],
            repeat_sdk=reps[1],
        )
    if "compare" in args.only:
        _compare(runner, args, seed)
    if "upload" in args.only:
        _upload(runner, args)
    if "scaling" in args.only:
        _scaling(runner, args, seed)

"""Runs every benchmark against one Label Studio server; writes
bench/results/latest.json and latest.md.

    python bench/run.py [--sizes 1000,10000,50000] [--quick] [--profile]

Needs LS_URL, LS_TOKEN, BENCH_FILES_ROOT (the server's local files root),
BENCH_IMAGES_DIR (under it) and FIFTYONE_DATABASE_DIR in the environment;
``scripts/bench.sh`` sets them all. Each case runs in its own child
process (``child.py``); a failed case is recorded and the run goes on.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

import harness
import plan
import report
from dataset_gen import ensure_images
from ls_raw import RawLS
from seed_annotations import seed


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--sizes",
        default="1000,10000,50000",
        help="N for the scaling runs (local storage)",
    )
    p.add_argument(
        "--compare-n",
        type=int,
        default=1000,
        help="N for ours vs built-in vs floor",
    )
    p.add_argument(
        "--upload-n",
        type=int,
        default=100,
        help="N for upload mode against the built-in (it sends every "
        "file in one request)",
    )
    p.add_argument("--repeat", type=int, default=3, help="comparison reps")
    p.add_argument(
        "--only",
        default="rle,compare,upload,scaling",
        help="sections to run (comma separated)",
    )
    p.add_argument("--no-builtin", action="store_true")
    p.add_argument(
        "--quick", action="store_true", help="N=100 smoke run, 1 rep"
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="profile our annotate/load cases with pyinstrument "
        "(bench/results/profile-*.txt; timings then include its overhead)",
    )
    p.add_argument(
        "--update-readme",
        action="store_true",
        help="write the tables into README.md's Benchmarks section",
    )
    p.add_argument(
        "--changed",
        type=float,
        default=0.01,
        help="scaling: fraction of tasks changed before each incremental "
        "load (0: no incremental loads)",
    )
    p.add_argument(
        "--fo-max-n",
        type=int,
        default=10**9,
        help="scaling: largest N loaded through dataset.load_annotations",
    )
    p.add_argument(
        "--no-annotate-floor",
        action="store_true",
        help="scaling: skip the annotate floor (saves one import of N)",
    )
    p.add_argument(
        "--db",
        default=os.environ.get("BENCH_DB", "sqlite"),
        help="Label Studio's database (set by scripts/bench.sh --db)",
    )
    p.add_argument("--timeout", type=float, default=7200.0)
    p.add_argument("--out", default=harness.RESULTS_DIR)
    args = p.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.only = {s.strip() for s in args.only.split(",") if s.strip()}
    if args.quick:
        args.sizes, args.compare_n, args.upload_n, args.repeat = (
            [100],
            100,
            100,
            1,
        )
    return args


class Runner:
    """Starts child processes and keeps every result."""

    def __init__(self, args):
        self.args = args
        self.records = []
        self.meta = {}
        self.log_dir = os.path.join(
            os.path.dirname(harness.env("FIFTYONE_DATABASE_DIR")), "logs"
        )
        os.makedirs(self.log_dir, exist_ok=True)

    def child(
        self,
        case: str,
        tag: dict | None = None,
        builtin_local: bool = False,
        **kwargs,
    ) -> dict:
        env = dict(os.environ)
        for name in (
            "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED",
            "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT",
        ):
            env.pop(name, None)
        if builtin_local:
            # FiftyOne's built-in backend decides local mode from its own
            # process environment
            env["LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED"] = "true"
            env["LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"] = env[
                "BENCH_FILES_ROOT"
            ]
        label = "%s %s" % (case, json.dumps(kwargs, sort_keys=True))
        print("  - %s ..." % label, end="", file=sys.stderr, flush=True)
        cmd = [
            sys.executable,
            os.path.join(harness.BENCH_DIR, "child.py"),
            case,
            json.dumps(kwargs),
        ]
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.args.timeout,
                cwd=harness.BENCH_DIR,
            )
            stdout, stderr = proc.stdout, proc.stderr
            result = harness.parse_result(stdout) or {
                "error": "no result (exit %s)" % proc.returncode
            }
        except subprocess.TimeoutExpired as exc:
            stdout, stderr = exc.stdout or "", exc.stderr or ""
            if isinstance(stderr, bytes):
                stderr = stderr.decode(errors="replace")
            result = {"error": "timeout after %ss" % self.args.timeout}
        wall = time.perf_counter() - start
        log = os.path.join(
            self.log_dir, "%03d-%s.log" % (len(self.records), case)
        )
        with open(log, "w") as f:
            f.write(stderr)
        if "error" in result:
            result["stderr_tail"] = stderr.splitlines()[-15:]
            print(
                " FAILED: %s (log %s)" % (result["error"], log),
                file=sys.stderr,
            )
        else:
            print(" %.2f s" % result.get("seconds", wall), file=sys.stderr)
        record = {
            "case": case,
            "tag": tag or {},
            "params": kwargs,
            "result": result,
        }
        self.records.append(record)
        self._save()
        return result

    def _save(self) -> None:
        """Keeps every record so far on disk (an interrupted run can be
        summarized with report.py)."""
        path = os.path.join(os.path.dirname(self.log_dir), "records.json")
        with open(path, "w") as f:
            json.dump(
                {"meta": self.meta, "runs": self.records}, f, default=str
            )

    def note(self, case: str, tag: dict, result: dict) -> None:
        """Records a step the orchestrator did itself (seeding)."""
        print("  - %s %s: %s" % (case, tag, result), file=sys.stderr)
        self.records.append(
            {"case": case, "tag": tag, "params": {}, "result": result}
        )
        self._save()


def _meta(args) -> dict:
    def _version(module):
        try:
            return __import__(module).__version__
        except Exception:
            return None

    try:
        commit = subprocess.run(
            ["git", "-C", harness.REPO_DIR, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        commit = None
    url, _ = harness.server()
    try:
        ls_version = RawLS().get("/api/version").get("release")
    except Exception:
        ls_version = None
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "git_commit": commit,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg_start": os.getloadavg(),
        "label_studio": ls_version,
        "label_studio_url": url,
        "label_studio_sdk": _version("label_studio_sdk"),
        "args": {
            k: sorted(v) if isinstance(v, set) else v
            for k, v in vars(args).items()
        },
    }


def _write_json(out_dir: str, data: dict) -> None:
    with open(os.path.join(out_dir, "latest.json"), "w") as f:
        json.dump(data, f, indent=1, default=str)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    runner = Runner(args)
    meta = runner.meta = _meta(args)
    started = time.perf_counter()

    if not os.environ.get("FIFTYONE_DATABASE_URI"):
        # FiftyOne would attach to any FiftyOne database service running
        # on this machine, whatever FIFTYONE_DATABASE_DIR says
        print(
            "warning: FIFTYONE_DATABASE_URI is not set; use "
            "scripts/bench.sh for a private MongoDB",
            file=sys.stderr,
        )

    needed = plan.dataset_sizes(args)
    if needed:
        seconds = ensure_images(harness.env("BENCH_IMAGES_DIR"), max(needed))
        print("images ready (%.1f s)" % seconds, file=sys.stderr)
    for n in needed:
        runner.child("build", tag=dict(section="setup", what="build"), n=n)

    plan.run_sections(runner, args, seed)

    meta["load_avg_end"] = os.getloadavg()
    meta["total_seconds"] = round(time.perf_counter() - started, 1)
    os.makedirs(args.out, exist_ok=True)
    data = {"meta": meta, "summary": None, "runs": runner.records}
    _write_json(args.out, data)  # the raw records survive a report bug
    data["summary"] = report.summarize(runner.records, args)
    _write_json(args.out, data)
    markdown = report.markdown(data)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(markdown)
    if args.update_readme:
        report.update_readme(os.path.join(harness.REPO_DIR, "README.md"), data)
    print(markdown)
    failed = [r for r in runner.records if "error" in r["result"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

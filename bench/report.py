"""Turns the run's records into a summary (medians, ratios, targets) and a
markdown report."""

import math
import statistics

# Targets from the issue
ANNOTATE_VS_FLOOR = 1.3
LOAD_VS_FLOOR = 1.3
ANNOTATE_VS_BUILTIN = 3.0
LOAD_VS_BUILTIN = 2.0
RLE_SPEEDUP = 50.0
TEN_K_SECONDS = 60.0
PEAK_RSS_MB = 1536.0
# issue 14: large projects
PEAK_RSS_100K_MB = 700.0
RSS_FLAT = 0.15  # load peak RSS within +-15% from the smallest to largest N
INCREMENTAL_SPEEDUP = 20.0  # full load / incremental load (1% changed)
# growth exponent log(t2/t1)/log(n2/n1) above this is not "linear"
LINEAR_EXPONENT = 1.15


def _ok(records, **tag):
    return [
        r["result"]
        for r in records
        if "error" not in r["result"]
        and all(r["tag"].get(k) == v for k, v in tag.items())
    ]


def _median(results, key="seconds"):
    values = [r[key] for r in results if r.get(key) is not None]
    return statistics.median(values) if values else None


def _max(results, key):
    values = [r[key] for r in results if r.get(key) is not None]
    return max(values) if values else None


def _ratio(a, b):
    return a / b if a and b else None


def _annotate_rows(records, args):
    rows = []
    cases = [("compare", "local", args.compare_n)]
    cases.append(("compare", "upload", args.compare_n))
    cases.append(("upload", "upload", args.upload_n))
    for section, mode, n in cases:
        tag = dict(section=section, mode=mode, n=n, what="annotate")
        ours = _ok(records, who="ours", **tag)
        floor = _ok(records, who="floor", **tag)
        builtin = _ok(records, who="builtin", **tag)
        if not (ours or floor or builtin):
            continue
        row = {
            "mode": mode,
            "n": n,
            "reps": len(ours),
            "ours_s": _median(ours),
            "ours_fo_s": _median(_ok(records, who="ours_fo", **tag)),
            "floor_s": _median(floor),
            "floor_import_s": _median(floor, "import_seconds"),
            "floor_read_build_s": _median(floor, "with_read_build_seconds"),
            "builtin_s": _median(builtin),
            "ours_peak_rss_mb": _max(ours, "peak_rss_mb"),
            "builtin_peak_rss_mb": _max(builtin, "peak_rss_mb"),
        }
        row["ours_vs_floor"] = _ratio(row["ours_s"], row["floor_s"])
        row["ours_vs_floor_import"] = _ratio(
            row["ours_s"], row["floor_import_s"]
        )
        row["builtin_vs_ours"] = _ratio(row["builtin_s"], row["ours_s"])
        rows.append(row)
    return rows


def _load_rows(records, args):
    tag = dict(section="compare", what="load", n=args.compare_n)
    ours = _ok(records, who="ours", **tag)
    floor = _ok(records, who="floor", **tag)
    builtin = _ok(records, who="builtin", **tag)
    if not (ours or floor or builtin):
        return []
    row = {
        "n": args.compare_n,
        "reps": len(ours),
        "ours_s": _median(ours),
        "ours_fo_s": _median(_ok(records, who="ours_fo", **tag)),
        "floor_s": _median(floor),
        "set_values_s": _median(floor, "set_values_seconds"),
        "bulk_write_s": _median(floor, "bulk_write_seconds"),
        "bulk_write_identical": (
            all(r.get("bulk_write_identical") for r in floor)
            if floor
            else None
        ),
        "builtin_s": _median(builtin),
        "ours_correct": all(r.get("correct") for r in ours) if ours else None,
        "builtin_correct": (
            all(r.get("correct") for r in builtin) if builtin else None
        ),
        "ours_peak_rss_mb": _max(ours, "peak_rss_mb"),
        "builtin_peak_rss_mb": _max(builtin, "peak_rss_mb"),
        "floor_sections": floor[0].get("sections") if floor else None,
    }
    row["ours_vs_floor"] = _ratio(row["ours_s"], row["floor_s"])
    row["builtin_vs_ours"] = _ratio(row["builtin_s"], row["ours_s"])
    return [row]


def _scaling_rows(records, args):
    rows = []
    sizes = sorted(set(args.sizes))
    for n in sizes:
        pick = dict(mode="local", n=n)
        sections = ("scaling", "compare")
        results = {}
        for who, what in (
            ("ours", "annotate"),
            ("floor", "annotate"),
            ("ours", "load"),
            ("floor", "load"),
            ("ours", "seed"),
            ("ours_fo", "load"),
            ("ours", "load_incremental"),
            ("ours_fo", "load_incremental"),
            ("ours", "change"),
        ):
            found = []
            for section in sections:
                found = _ok(
                    records, section=section, who=who, what=what, **pick
                )
                if found:
                    break
            results[(who, what)] = found
        a, l = results[("ours", "annotate")], results[("ours", "load")]
        if not (a or l):
            continue
        row = {
            "n": n,
            "annotate_s": _median(a),
            "floor_annotate_s": _median(results[("floor", "annotate")]),
            "load_s": _median(l),
            "floor_load_s": _median(results[("floor", "load")]),
            "seed_s": _median(results[("ours", "seed")]),
            "annotate_peak_rss_mb": _max(a, "peak_rss_mb"),
            "load_peak_rss_mb": _max(l, "peak_rss_mb"),
            "load_correct": all(r.get("correct") for r in l) if l else None,
            "floor_load_paged": any(
                r.get("paged") for r in results[("floor", "load")]
            ),
            "floor_load_requests": _max(
                results[("floor", "load")], "export_requests"
            ),
        }
        fo_l = results[("ours_fo", "load")]
        inc = results[("ours", "load_incremental")]
        fo_inc = results[("ours_fo", "load_incremental")]
        row.update(
            fo_load_s=_median(fo_l),
            fo_load_peak_rss_mb=_max(fo_l, "peak_rss_mb"),
            incremental_s=_median(inc),
            incremental_tasks_read=_max(inc, "tasks_read"),
            incremental_peak_rss_mb=_max(inc, "peak_rss_mb"),
            fo_incremental_s=_median(fo_inc),
            fo_incremental_tasks_read=_max(fo_inc, "tasks_read"),
            changed=_max(results[("ours", "change")], "tasks_changed"),
        )
        row["fo_load_vs_floor"] = _ratio(row["fo_load_s"], row["floor_load_s"])
        row["incremental_speedup"] = _ratio(
            row["load_s"], row["incremental_s"]
        )
        row["fo_incremental_speedup"] = _ratio(
            row["fo_load_s"], row["fo_incremental_s"]
        )
        row["annotate_vs_floor"] = _ratio(
            row["annotate_s"], row["floor_annotate_s"]
        )
        row["load_vs_floor"] = _ratio(row["load_s"], row["floor_load_s"])
        if row["annotate_s"] is not None and row["load_s"] is not None:
            row["total_s"] = row["annotate_s"] + row["load_s"]
        rows.append(row)
    for prev, row in zip(rows, rows[1:]):
        for key in ("annotate_s", "load_s"):
            if prev.get(key) and row.get(key):
                row[key[:-2] + "_exponent"] = math.log(
                    row[key] / prev[key]
                ) / math.log(row["n"] / prev["n"])
    return rows


def _target(name, value, goal, met, unit=""):
    return {
        "target": name,
        "value": value,
        "goal": goal,
        "unit": unit,
        "met": met,
    }


def _targets(summary):
    out = []
    for row in summary["annotate"]:
        label = "annotate %s N=%d" % (row["mode"], row["n"])
        if row["ours_vs_floor"] is not None:
            v = row["ours_vs_floor"]
            out.append(
                _target(
                    label + ": ours / floor",
                    v,
                    "<= %.1fx" % ANNOTATE_VS_FLOOR,
                    v <= ANNOTATE_VS_FLOOR,
                    "x",
                )
            )
        if row["builtin_vs_ours"] is not None:
            v = row["builtin_vs_ours"]
            out.append(
                _target(
                    label + ": built-in / ours",
                    v,
                    ">= %.0fx" % ANNOTATE_VS_BUILTIN,
                    v >= ANNOTATE_VS_BUILTIN,
                    "x",
                )
            )
    for row in summary["load"]:
        label = "load N=%d" % row["n"]
        if row["ours_vs_floor"] is not None:
            v = row["ours_vs_floor"]
            out.append(
                _target(
                    label + ": ours / floor",
                    v,
                    "<= %.1fx" % LOAD_VS_FLOOR,
                    v <= LOAD_VS_FLOOR,
                    "x",
                )
            )
        if row["builtin_vs_ours"] is not None:
            v = row["builtin_vs_ours"]
            out.append(
                _target(
                    label + ": built-in / ours",
                    v,
                    ">= %.0fx" % LOAD_VS_BUILTIN,
                    v >= LOAD_VS_BUILTIN,
                    "x",
                )
            )
        if row.get("bulk_write_s") is not None:
            v = _ratio(row["set_values_s"], row["bulk_write_s"])
            out.append(
                _target(
                    label + ": set_values / our bulk write (identical)",
                    v,
                    "> 1x, identical",
                    bool(v and v > 1 and row["bulk_write_identical"]),
                    "x",
                )
            )
    for mask, ops in (summary.get("rle") or {}).items():
        for op in ("encode", "decode"):
            v = ops[op]["speedup"]
            out.append(
                _target(
                    "RLE %s %s: SDK / ours" % (op, mask),
                    v,
                    ">= %.0fx" % RLE_SPEEDUP,
                    v >= RLE_SPEEDUP and ops[op]["identical"],
                    "x",
                )
            )
    scaling = summary["scaling"]
    for row in scaling:
        if row["n"] == 10000 and row.get("total_s") is not None:
            out.append(
                _target(
                    "10k annotate + load",
                    row["total_s"],
                    "< %.0f s" % TEN_K_SECONDS,
                    row["total_s"] < TEN_K_SECONDS,
                    "s",
                )
            )
    if scaling:
        big = scaling[-1]
        rss = max(
            v
            for v in (big["annotate_peak_rss_mb"], big["load_peak_rss_mb"])
            if v is not None
        )
        out.append(
            _target(
                "peak RSS at N=%d" % big["n"],
                rss,
                "< %.0f MB" % PEAK_RSS_MB,
                rss < PEAK_RSS_MB,
                "MB",
            )
        )
        for row in scaling:
            v = row.get("incremental_speedup")
            if v is not None and row["n"] >= 50000:
                out.append(
                    _target(
                        "incremental load (1%% changed) N=%d: full / "
                        "incremental" % row["n"],
                        v,
                        ">= %.0fx" % INCREMENTAL_SPEEDUP,
                        v >= INCREMENTAL_SPEEDUP,
                        "x",
                    )
                )
        if big["n"] >= 100000 and big.get("load_peak_rss_mb"):
            rss = big["load_peak_rss_mb"]
            out.append(
                _target(
                    "load peak RSS at N=%d" % big["n"],
                    rss,
                    "< %.0f MB" % PEAK_RSS_100K_MB,
                    rss < PEAK_RSS_100K_MB,
                    "MB",
                )
            )
        small = scaling[0]
        if big is not small and small.get("load_peak_rss_mb"):
            v = _ratio(big.get("load_peak_rss_mb"), small["load_peak_rss_mb"])
            if v is not None:
                out.append(
                    _target(
                        "load peak RSS N=%d / N=%d" % (big["n"], small["n"]),
                        v,
                        "within +-%.0f%%" % (100 * RSS_FLAT),
                        abs(v - 1) <= RSS_FLAT,
                        "x",
                    )
                )
        exps = [
            row[k]
            for row in scaling
            for k in ("annotate_exponent", "load_exponent")
            if row.get(k) is not None
        ]
        if exps:
            out.append(
                _target(
                    "linear growth (max exponent)",
                    max(exps),
                    "<= %.2f" % LINEAR_EXPONENT,
                    max(exps) <= LINEAR_EXPONENT,
                )
            )
    return out


def summarize(records, args) -> dict:
    rle = _ok(records, section="rle")
    masks = (
        {k: v for k, v in rle[0].items() if isinstance(v, dict)}
        if rle
        else None
    )
    summary = {
        "annotate": _annotate_rows(records, args),
        "load": _load_rows(records, args),
        "rle": masks,
        "scaling": _scaling_rows(records, args),
        "errors": [
            {"case": r["case"], "tag": r["tag"], "error": r["result"]["error"]}
            for r in records
            if "error" in r["result"]
        ],
    }
    summary["targets"] = _targets(summary)
    return summary


def _f(value, fmt="%.2f", none="–"):
    return none if value is None else fmt % value


def _x(value):
    return _f(value, "%.2fx")


def markdown(data: dict) -> str:
    s, meta = data["summary"], data["meta"]
    load_start = meta.get("load_avg_start") or []
    load_end = meta.get("load_avg_end") or []
    lines = [
        "# Benchmark results",
        "",
        "Run %s on commit %s; Label Studio %s (%s, dev server) and the "
        "client on the same %s-CPU machine; load average %s at start, %s "
        "at the end; %s s in all. Seconds are medians over the "
        "repetitions; ratios compare runs against the same server."
        % (
            meta.get("date"),
            meta.get("git_commit"),
            meta.get("label_studio"),
            {"postgresql": "PostgreSQL"}.get(
                (meta.get("args") or {}).get("db"), "SQLite"
            ),
            meta.get("cpus"),
            "/".join("%.1f" % v for v in load_start) or "?",
            "/".join("%.1f" % v for v in load_end) or "?",
            meta.get("total_seconds", "?"),
        )
        + (" Combined: %s." % meta["note"] if meta.get("note") else ""),
        "",
    ]
    if s["annotate"]:
        lines += [
            "## annotate() — 10 boxes per image as pre-annotations",
            "",
            "| media | N | reps | ours s | via dataset.annotate() s | "
            "floor s (import only) | ours / floor | floor + read + build s "
            "| built-in s | built-in / ours | ours peak RSS MB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in s["annotate"]:
            lines.append(
                "| %s | %d | %d | %s | %s | %s (%s) | %s | %s | %s | %s | %s |"
                % (
                    r["mode"],
                    r["n"],
                    r["reps"],
                    _f(r["ours_s"]),
                    _f(r.get("ours_fo_s")),
                    _f(r["floor_s"]),
                    _f(r["floor_import_s"]),
                    _x(r["ours_vs_floor"]),
                    _f(r.get("floor_read_build_s")),
                    _f(r["builtin_s"]),
                    _x(r["builtin_vs_ours"]),
                    _f(r["ours_peak_rss_mb"], "%.0f"),
                )
            )
        lines += [
            "",
            "Floor: the raw requests any client needs (create project; "
            "Local Files storage or multipart uploads of 100 files; ONE "
            "import of the same tasks JSON), timed without building the "
            'JSON. "floor + read + build" adds reading the labels raw '
            "from MongoDB (`values(..., _raw=True)`) and building the JSON "
            "from those dicts: what a fast client needs in all. The "
            "built-in backend's upload mode is only run at the small N (it "
            "sends every file in one request).",
            "",
        ]
    if s["load"]:
        lines += [
            "## load_annotations() — 10 boxes per task (annotations)",
            "",
            "| N | reps | ours s | via dataset.load_annotations() s | "
            "floor s | ours / floor | built-in s | built-in / ours | labels "
            "right (ours / built-in) | ours peak RSS MB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
        for r in s["load"]:
            lines.append(
                "| %d | %d | %s | %s | %s | %s | %s | %s | %s / %s | %s |"
                % (
                    r["n"],
                    r["reps"],
                    _f(r["ours_s"]),
                    _f(r.get("ours_fo_s")),
                    _f(r["floor_s"]),
                    _x(r["ours_vs_floor"]),
                    _f(r["builtin_s"]),
                    _x(r["builtin_vs_ours"]),
                    r["ours_correct"],
                    r["builtin_correct"],
                    _f(r["ours_peak_rss_mb"], "%.0f"),
                )
            )
        lines += [
            "",
            "Floor: one raw sync export request of all tasks + `json.loads` "
            '+ FiftyOne\'s `set_values(field, labels, key_field="id")` of '
            "the same labels (building the label objects is not timed). "
            "Annotations were seeded in bulk (edited copies of the "
            "pre-annotations imported as predictions, then Label Studio's "
            "`predictions_to_annotations` action): per task 7 boxes moved, "
            '1 relabeled, 2 deleted, 2 new. "ours" is '
            "`fiftyone_labelstudio.load_annotations` (bulk merge, what the "
            'App\'s load operator runs); "via dataset.load_annotations()" '
            "is our backend under FiftyOne's per-sample merge.",
            "",
        ]
        for r in s["load"]:
            if r.get("bulk_write_s") is not None:
                lines += [
                    "Writing the same %d samples' labels: FiftyOne's "
                    "`set_values` %s s, our bulk write "
                    "(`bulk_merge.write_field_docs`, serialization "
                    "included) %s s (%s faster); identical documents: %s."
                    % (
                        r["n"],
                        _f(r["set_values_s"]),
                        _f(r["bulk_write_s"]),
                        _x(_ratio(r["set_values_s"], r["bulk_write_s"])),
                        r["bulk_write_identical"],
                    ),
                    "",
                ]
    if s["rle"]:
        lines += [
            "## Brush RLE, 1920x1080 masks",
            "",
            "| mask | RLE length | op | ours ms | SDK ms | SDK / ours | "
            "identical |",
            "|---|---:|---|---:|---:|---:|---|",
        ]
        for mask, ops in s["rle"].items():
            for op in ("encode", "decode"):
                o = ops[op]
                lines.append(
                    "| %s | %d | %s | %.2f | %.1f | %.0fx | %s |"
                    % (
                        mask,
                        ops["rle_len"],
                        op,
                        1000 * o["ours_s"],
                        1000 * o["sdk_s"],
                        o["speedup"],
                        o["identical"],
                    )
                )
        lines.append("")
    if s["scaling"]:
        lines += [
            "## Scaling (local storage, ours)",
            "",
            "| N | annotate s | / floor | load s | / floor | annotate + "
            "load s | s per 1k (annotate / load) | growth exponent "
            "(annotate / load) | peak RSS MB (annotate / load) |",
            "|---:|---:|---:|---:|---:|---:|---|---|---|",
        ]
        for r in s["scaling"]:
            per_k = lambda k: (  # noqa: E731
                None if r.get(k) is None else 1000.0 * r[k] / r["n"]
            )
            lines.append(
                "| %d | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s |"
                % (
                    r["n"],
                    _f(r["annotate_s"]),
                    _x(r["annotate_vs_floor"]),
                    _f(r["load_s"]),
                    _x(r["load_vs_floor"]),
                    _f(r.get("total_s")),
                    _f(per_k("annotate_s")),
                    _f(per_k("load_s")),
                    _f(r.get("annotate_exponent")),
                    _f(r.get("load_exponent")),
                    _f(r["annotate_peak_rss_mb"], "%.0f"),
                    _f(r["load_peak_rss_mb"], "%.0f"),
                )
            )
        lines += [
            "",
            "Growth exponent = log(t2/t1) / log(N2/N1) against the previous "
            "N (1.0 = linear). Peak RSS is the child process's own high "
            "water mark (VmHWM; including FiftyOne's own ~270 MB after "
            "import).",
            "",
        ]
        for r in s["scaling"]:
            if r.get("floor_load_paged"):
                lines += [
                    "Load floor at N=%d: paged, %s sync-export requests of "
                    "500 task ids (one request of the whole project runs "
                    "far past Label Studio's request timeouts)."
                    % (r["n"], _f(r.get("floor_load_requests"), "%d")),
                    "",
                ]
    large = [
        r
        for r in s["scaling"]
        if r.get("fo_load_s") is not None or r.get("incremental_s")
    ]
    if large:
        lines += [
            "## Loads of large projects (ours and through "
            "dataset.load_annotations)",
            "",
            "| N | full load s | / floor | peak RSS MB | incremental "
            "(tasks changed / read) s | full / incremental | "
            "dataset.load_annotations full s | / floor | incremental s | "
            "full / incremental |",
            "|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
        ]
        for r in large:
            lines.append(
                "| %d | %s | %s | %s | %s (%s / %s) | %s | %s | %s | %s | %s |"
                % (
                    r["n"],
                    _f(r["load_s"]),
                    _x(r["load_vs_floor"]),
                    _f(r["load_peak_rss_mb"], "%.0f"),
                    _f(r["incremental_s"]),
                    _f(r["changed"], "%d"),
                    _f(r["incremental_tasks_read"], "%d"),
                    _x(r["incremental_speedup"]),
                    _f(r["fo_load_s"]),
                    _x(r["fo_load_vs_floor"]),
                    _f(r["fo_incremental_s"]),
                    _x(r["fo_incremental_speedup"]),
                )
            )
        lines += [
            "",
            "Incremental: 1% of the tasks get a new annotation after the "
            "previous load (`bench/seed_annotations.change`); each entry "
            "point then loads what changed (tasks read include the "
            "re-read margin of backend/incremental.py).",
            "",
        ]
    if s["targets"]:
        lines += [
            "## Targets",
            "",
            "| target | measured | goal | met |",
            "|---|---:|---|---|",
        ]
        for t in s["targets"]:
            lines.append(
                "| %s | %s%s | %s | %s |"
                % (
                    t["target"],
                    _f(t["value"], "%.2f" if t["unit"] != "MB" else "%.0f"),
                    {"x": "x", "": ""}.get(t["unit"], " " + t["unit"]),
                    t["goal"],
                    "yes" if t["met"] else "**no**",
                )
            )
        lines.append("")
    if s["errors"]:
        lines += ["## Failed cases", ""]
        for e in s["errors"]:
            lines.append("- `%s` %s: %s" % (e["case"], e["tag"], e["error"]))
        lines.append("")
    return "\n".join(lines)


README_START = "<!-- bench:start (written by bench/report.py) -->"
README_END = "<!-- bench:end -->"


def _markers(data: dict) -> tuple:
    """The README markers of a run's tables: runs on PostgreSQL have
    their own block (the SQLite tables stay)."""
    if ((data.get("meta") or {}).get("args") or {}).get("db") == "postgresql":
        return (
            README_START.replace("bench:", "bench-postgresql:"),
            README_END.replace("bench:", "bench-postgresql:"),
        )
    return README_START, README_END


def update_readme(readme_path: str, data: dict) -> None:
    """Replaces the text between the bench markers of the README's
    "Benchmarks" section with the latest tables (adds the section at the
    end when it is missing)."""
    body = markdown(data).split("\n", 2)[2].replace("\n## ", "\n### ")
    README_START, README_END = _markers(data)
    block = "%s\n%s\n%s" % (README_START, body.strip(), README_END)
    with open(readme_path) as f:
        text = f.read()
    if README_START in text and README_END in text:
        head, rest = text.split(README_START, 1)
        tail = rest.split(README_END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n## Benchmarks\n\n" + block + "\n"
    with open(readme_path, "w") as f:
        f.write(text)


def main(argv: list) -> None:
    """Re-summarizes a results JSON (``latest.json``, or an interrupted
    run's ``records.json``):

        python bench/report.py bench/results/latest.json [--update-readme]
    """
    import json
    import os
    import types

    path = argv[0]
    with open(path) as f:
        data = json.load(f)
    args = types.SimpleNamespace(**data["meta"]["args"])
    data["summary"] = summarize(data["runs"], args)
    with open(path, "w") as f:
        json.dump(data, f, indent=1, default=str)
    md = os.path.splitext(path)[0] + ".md"
    with open(md, "w") as f:
        f.write(markdown(data))
    if "--update-readme" in argv:
        readme = os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            "README.md",
        )
        update_readme(readme, data)
    print(markdown(data))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

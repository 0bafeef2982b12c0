#!/usr/bin/env python3
"""Writes the compatibility table of scripts/compat.sh into README.md.

    python scripts/compat_table.py RESULTS_DIR README.md

Each ``RESULTS_DIR/fo-<v>_ls-<v>.txt`` holds ``key=value`` lines (rc,
seconds, summary, failure=...). The table goes between
``<!-- compat:start -->`` and ``<!-- compat:end -->``.
"""

import datetime
import glob
import os
import re
import sys

START, END = "<!-- compat:start -->", "<!-- compat:end -->"

# What differs on a Label Studio release (client/capabilities.py)
SERVER_NOTES = {
    (1, 20): "no VectorLabels: open polylines need `polylines_as_polygons`",
    (1, 21): "no VectorLabels: open polylines need `polylines_as_polygons`",
    (1, 22): "no VectorLabels: open polylines need `polylines_as_polygons`",
}


def _key(version):
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def read(path):
    out = {"failure": []}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            if key == "failure":
                out["failure"].append(value)
            else:
                out[key] = value
    return out


def _counts(summary):
    found = dict(
        (word, int(n))
        for n, word in re.findall(r"(\d+) (passed|failed|errors?)", summary)
    )
    return found.get("passed", 0), found.get("failed", 0) + found.get(
        "error", found.get("errors", 0)
    )


def table(results_dir):
    rows = [read(p) for p in glob.glob(os.path.join(results_dir, "*.txt"))]
    rows.sort(key=lambda r: (_key(r["fiftyone"]), _key(r["labelstudio"])))
    lines = [
        "| FiftyOne | Label Studio | round trip + browser editor test | "
        "tests passed / failed | seconds | what does not work |",
        "|---|---|---|---:|---:|---|",
    ]
    for r in rows:
        passed, failed = _counts(r.get("summary", ""))
        ok = r.get("rc") == "0" and failed == 0 and passed > 0
        notes = [SERVER_NOTES.get(_key(r["labelstudio"])[:2], "")]
        notes += ["`%s`" % f.split(" - ")[0].split()[-1] for f in r["failure"]]
        lines.append(
            "| %s | %s | %s | %d / %d | %s | %s |"
            % (
                r["fiftyone"],
                r["labelstudio"],
                "passed" if ok else "**failed**",
                passed,
                failed,
                r.get("seconds", ""),
                "; ".join(n for n in notes if n) or "–",
            )
        )
    when = datetime.date.today().isoformat()
    lines.append("")
    lines.append(
        "Measured %s by `bash scripts/compat.sh` (tests: "
        "`tests/integration/test_backend_roundtrip.py` and "
        "`tests/browser/test_e2e.py` against a real server of that release; "
        "Label Studio < 1.23 installed with `PyJWT<2.14`, see above)." % when
    )
    return "\n".join(lines)


def main(results_dir, readme):
    with open(readme) as f:
        text = f.read()
    if START not in text or END not in text:
        raise SystemExit("%s has no %s / %s markers" % (readme, START, END))
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    with open(readme, "w") as f:
        f.write(head + START + "\n" + table(results_dir) + "\n" + END + tail)


if __name__ == "__main__":
    main(*sys.argv[1:3])

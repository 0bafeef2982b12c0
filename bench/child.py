"""Runs one benchmark case in this process and prints its result.

    python bench/child.py <case> '<json kwargs>'

The result is one line ``BENCH_RESULT {...}`` on stdout, with this
process's peak resident memory (``peak_rss_mb``) added.
"""

import json
import sys
import traceback

import harness
from cases import CASES


def main(argv: list) -> int:
    case, kwargs = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    try:
        result = CASES[case](**kwargs)
    except Exception as exc:
        traceback.print_exc()
        harness.emit({"error": "%s: %s" % (type(exc).__name__, exc)})
        return 1
    harness.emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

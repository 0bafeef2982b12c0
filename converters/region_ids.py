"""Label ids a task carries, read from its structures.

A load gives a label that is new in Label Studio an id derived from its
task (so that loading twice changes nothing); every id the task already
carries -- region ids, multi-region ids, task-data hint keys and values
-- is kept. :func:`carried_ids` finds those ids wherever they sit in the
task data and the annotation's results (keys and string values, nested).
"""

import re
from typing import Any, Set

_ID = re.compile(r"[0-9a-f]{24}")


def carried_ids(*values: Any) -> Set[str]:
    """Every 24-hex id occurring in the strings (keys and values) of the
    JSON-like ``values``."""
    found: Set[str] = set()
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.update(_ID.findall(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    found.update(_ID.findall(key))
                stack.append(item)
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            # digits only: a 24+ digit number reads as an id in JSON text
            found.update(_ID.findall(str(value)))
    return found

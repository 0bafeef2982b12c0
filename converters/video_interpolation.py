"""The frames a ``videorectangle`` track shows between its keyframes, as
the Label Studio frontend draws them: x, y, width and height linear, the
rotation along the shorter arc; an enabled last keyframe holds to the end
of the video.
"""

import math

from .results import from_percent


def track_frames(sequence, limit):
    """``(frame, box, rotation, is keyframe)`` for every frame shown."""
    for i, (frame, (box, rotation, enabled)) in enumerate(sequence):
        yield frame, _relative(box), rotation, True
        if not enabled:
            continue
        if i + 1 < len(sequence):
            nxt, (box2, rotation2, _) = sequence[i + 1]
            for f in range(frame + 1, nxt):
                t = (f - frame) / (nxt - frame)
                inter = [a + (b - a) * t for a, b in zip(box, box2)]
                yield f, _relative(inter), _lerp_angle(
                    rotation, rotation2, t
                ), False
        elif limit is not None:
            for f in range(frame + 1, limit + 1):
                yield f, _relative(box), rotation, False


def _lerp_angle(a: float, b: float, t: float) -> float:
    """The frontend's rotation interpolation (shorter arc, in (-180, 180])."""
    return _wrap(a + _wrap(b - a) * t)


def _wrap(angle: float) -> float:
    # JS: while (t > 0) t -= 360; return ((t - 180) % 360) + 180
    if angle > 0:
        angle -= 360.0 * math.ceil(angle / 360.0)
    return math.fmod(angle - 180.0, 360.0) + 180.0


def _relative(box) -> list:
    return [from_percent(v) for v in box]

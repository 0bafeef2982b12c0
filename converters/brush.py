"""Label Studio ``BrushLabels`` results: what the mask converters share.

A brush region is a full-frame RLE mask (see :mod:`.rle`); painted pixels
have alpha >= 128 (half coverage: the Label Studio brush draws soft edges).
Instance masks are in :mod:`.instance_masks`, semantic segmentations in
:mod:`.segmentation_masks`.

Masks stored on disk (``mask_path``) must be read by the caller (the
backend reads them before converting); the converters never read files.
"""

from .results import ResultError
from .rle import decode_rle

RESULT_TYPE = "brushlabels"
PAINTED = 128  # alpha from which a brush pixel counts as painted


def refuse_mask_path(label, kind: str) -> None:
    """ValueError when ``label``'s mask is only on disk (``mask_path``)."""
    if getattr(label, "mask", None) is None and getattr(
        label, "mask_path", None
    ):
        raise ValueError(
            "%s %s has its mask on disk (mask_path); read it into the "
            "label's mask first" % (kind, label.id)
        )


def brush_size(result) -> tuple:
    """``(width, height)`` of the image a brush result was drawn on."""
    width = result.get("original_width")
    height = result.get("original_height")
    for name, v in (("original_width", width), ("original_height", height)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ResultError("brush result needs a positive %s" % name)
    return width, height


def painted_pixels(value: dict, width: int, height: int):
    """The bool mask a brush value paints."""
    if value.get("format", "rle") != "rle":
        raise ResultError("brush format %r is not rle" % value.get("format"))
    if "rle" not in value:
        raise ResultError("brush result has no 'rle'")
    try:
        alpha = decode_rle(value["rle"], height, width)
    except ValueError as e:
        raise ResultError("malformed RLE: %s" % e) from None
    return alpha >= PAINTED

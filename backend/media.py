"""Finds, checks and measures the media of the samples to annotate.

Nothing here talks to Label Studio; ``media_urls.py`` turns the checked
media into task URLs (local-files storage, uploads, or URLs passed through).
"""

import os
import re
from dataclasses import dataclass, field

import fiftyone.core.metadata as fom

from .cloud_media import is_cloud_uri, parse_cloud_uri
from .cloud_s3 import image_sizes
from .errors import LabelStudioBackendError

MEDIA_MODES = ("auto", "upload", "local", "url")

# What Label Studio accepts for upload and browsers can show
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpg", ".jpeg", ".png", ".svg", ".webp")
# Videos Label Studio accepts for upload (browsers play H.264/VP8/VP9/AV1)
VIDEO_EXTENSIONS = (".mp4", ".webm")

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_MAX_LISTED = 3


def is_url(ref: str) -> bool:
    """Whether ``ref`` is a URL (http(s) or a cloud URI) rather than a
    local path."""
    return bool(_SCHEME.match(ref))


@dataclass
class MediaPlan:
    """The checked media of a run, in sample order."""

    media_field: str
    sample_ids: list
    refs: list  # original path or URL per sample
    sizes: dict = field(default_factory=dict)  # sample id -> (w, h)
    cloud: list = field(default_factory=list)  # cloud_media.CloudTarget
    # (kind, bucket) -> storage credentials: secrets, never in a repr
    cloud_credentials: dict = field(default_factory=dict, repr=False)
    group: object = None  # groups.GroupPlan of a grouped collection

    @property
    def local_paths(self) -> list:
        return [r for r in self.refs if not is_url(r)]

    @property
    def urls(self) -> list:
        return [r for r in self.refs if is_url(r)]


def check_media(samples, media_field: str, media_mode: str) -> MediaPlan:
    """Reads and checks every sample's media reference.

    Raises:
        LabelStudioBackendError: naming the problem and the fix
    """
    if media_mode not in MEDIA_MODES:
        raise LabelStudioBackendError(
            "media_mode=%r is not supported. Use one of %s"
            % (media_mode, ", ".join(repr(m) for m in MEDIA_MODES))
        )

    if samples.get_field(media_field) is None:
        raise LabelStudioBackendError(
            "media_field '%s' is not a field of dataset '%s'. Pass the name "
            "of the field that holds the image paths or URLs"
            % (media_field, samples._dataset.name)
        )

    sample_ids, refs = samples.values(["id", media_field])
    _check_values(media_field, sample_ids, refs)
    _check_mode(media_field, media_mode, refs)
    _check_local_files(
        media_field,
        [r for r in refs if not is_url(r)],
        video=samples.media_type == "video",
    )
    return MediaPlan(media_field, list(sample_ids), list(refs))


def _examples(items):
    return ", ".join(repr(i) for i in items[:_MAX_LISTED])


def _check_values(media_field, sample_ids, refs):
    empty = [i for i, r in zip(sample_ids, refs) if not r]
    if empty:
        raise LabelStudioBackendError(
            "%d sample(s) have no value in media_field '%s' (e.g. sample "
            "%s). Set it, or annotate a view without them, e.g. "
            "dataset.exists('%s')"
            % (len(empty), media_field, _examples(empty), media_field)
        )

    bad = [r for r in refs if not isinstance(r, str)]
    if bad:
        raise LabelStudioBackendError(
            "media_field '%s' must hold path or URL strings, got %r. Pass a "
            "string field as media_field" % (media_field, bad[0])
        )


def _check_mode(media_field, media_mode, refs):
    urls = [r for r in refs if is_url(r)]
    paths = [r for r in refs if not is_url(r)]
    if media_mode == "url" and paths:
        raise LabelStudioBackendError(
            "media_mode='url' needs URLs, but %d value(s) of '%s' are local "
            "paths (e.g. %s). Use media_mode='auto' or 'upload'"
            % (len(paths), media_field, _examples(paths))
        )
    if media_mode in ("upload", "local") and urls:
        raise LabelStudioBackendError(
            "media_mode=%r needs local files, but %d value(s) of '%s' are "
            "URLs (e.g. %s). Use media_mode='auto' or 'url'"
            % (media_mode, len(urls), media_field, _examples(urls))
        )


def _check_local_files(media_field, paths, video=False):
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise LabelStudioBackendError(
            "%d media file(s) in field '%s' do not exist (e.g. %s). Fix the "
            "paths, or annotate a view without these samples"
            % (len(missing), media_field, _examples(missing))
        )

    extensions = VIDEO_EXTENSIONS if video else IMAGE_EXTENSIONS
    unsupported = [
        p for p in paths if os.path.splitext(p)[1].lower() not in extensions
    ]
    if unsupported:
        exts = sorted(
            {os.path.splitext(p)[1].lower() or "''" for p in unsupported}
        )
        raise LabelStudioBackendError(
            "%d media file(s) in field '%s' are not %s Label Studio can "
            "show (%s; e.g. %s). Label Studio accepts %s: convert them, or "
            "annotate a view without them"
            % (
                len(unsupported),
                media_field,
                "videos" if video else "images",
                ", ".join(exts),
                _examples(unsupported),
                " ".join(extensions),
            )
        )


def measure_images(samples, plan: MediaPlan, progress=None) -> None:
    """Fills ``plan.sizes`` with each sample's (width, height) in pixels,
    from sample metadata; missing metadata is computed first (FiftyOne
    skips samples that already have it)."""
    if plan.media_field == "filepath":
        widths = samples.values("metadata.width")
        if any(w is None for w in widths):
            samples.compute_metadata(progress=progress)

        ids, widths, heights = samples.values(
            ["id", "metadata.width", "metadata.height"]
        )
        sizes = dict(zip(ids, zip(widths, heights)))
    else:
        # Metadata describes `filepath`; measure the media field's files
        ids, widths, heights = samples.values(
            ["id", "metadata.width", "metadata.height"]
        )
        sizes = dict(zip(ids, zip(widths, heights)))
        cloud = {}
        for sample_id, ref in zip(plan.sample_ids, plan.refs):
            if None in sizes.get(sample_id, (None, None)):
                if _is_cloud(ref):
                    cloud[sample_id] = ref  # read through the bucket
                    continue
                meta = fom.ImageMetadata.build_for(ref)
                sizes[sample_id] = (meta.width, meta.height)
        if cloud:
            sizes.update(_cloud_sizes(plan, cloud))

    unknown = [
        ref
        for sample_id, ref in zip(plan.sample_ids, plan.refs)
        if not all(sizes.get(sample_id, (None, None)))
    ]
    if unknown:
        raise LabelStudioBackendError(
            "Could not read the image size of %d media file(s) (e.g. %s); "
            "they may not be images. Check them with "
            "dataset.compute_metadata(), or annotate a view without them"
            % (len(unknown), _examples(unknown))
        )

    plan.sizes = {
        sid: (int(sizes[sid][0]), int(sizes[sid][1]))
        for sid in plan.sample_ids
    }


def _is_cloud(ref) -> bool:
    return is_cloud_uri(ref)


def _cloud_sizes(plan, refs_by_sample: dict) -> dict:
    """Sizes of cloud images without metadata (S3: read from the
    bucket; other stores need metadata)."""
    targets = {(t.kind, t.bucket): t for t in getattr(plan, "cloud", [])}
    by_target = {}
    for ref in refs_by_sample.values():
        kind, bucket, _ = parse_cloud_uri(ref)
        if kind != "s3":
            raise LabelStudioBackendError(
                "%d sample(s) in %s have no metadata.width/height (e.g. "
                "%s), and their size cannot be read from there. Set the "
                "samples' metadata (width and height in pixels) first"
                % (len(refs_by_sample), kind.upper(), ref)
            )
        by_target.setdefault(targets[(kind, bucket)], []).append(ref)

    found = image_sizes(
        by_target,
        lambda t: plan.cloud_credentials[(t.kind, t.bucket)],
    )
    return {sid: found[ref] for sid, ref in refs_by_sample.items()}


def common_parent(paths: list) -> str:
    """The deepest directory that contains every path."""
    dirs = {os.path.dirname(os.path.abspath(p)) for p in paths}
    return os.path.commonpath(sorted(dirs))

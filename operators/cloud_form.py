"""The request form's cloud part: detects bucket URIs in the chosen media
field, says how Label Studio will serve them, offers an existing storage
of the project by id, and reads the cloud credentials from the plugin's
secrets (per execution, never stored)."""

from typing import Optional

import fiftyone.operators.types as types

from ..backend import cloud_media
from ..service.connection import secret

# Values of the media field looked at by the form (the run checks all)
SCAN_LIMIT = 1000
_NAMES = {"s3": "S3", "gcs": "Google Cloud Storage", "azure": "Azure"}
_SECRETS = {
    "s3": "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN, "
    "AWS_DEFAULT_REGION, AWS_ENDPOINT_URL)",
    "gcs": "GOOGLE_APPLICATION_CREDENTIALS (GOOGLE_CLOUD_PROJECT)",
    "azure": "AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_ACCOUNT_KEY",
}


def cloud_targets(target, media_field: str) -> list:
    """The buckets among the first values of ``media_field``."""
    try:
        refs = target.limit(SCAN_LIMIT).values(media_field)
    except Exception:
        return []
    return cloud_media.cloud_targets([r for r in refs if isinstance(r, str)])


def cloud_inputs(ctx, inputs, target, media_field, existing_project):
    """Adds the notice (and the storage id input for an existing project)
    when the media field holds cloud URIs; returns the storage id chosen,
    or None."""
    targets = cloud_targets(target, media_field)
    if not targets:
        return None
    kinds = sorted({t.kind for t in targets})
    inputs.view(
        "cloud_notice",
        types.Notice(
            label="Media in %s: %s"
            % (
                " and ".join(_NAMES[k] for k in kinds),
                ", ".join(t.uri for t in targets[:3]),
            ),
            description=(
                "Label Studio serves these objects itself through a cloud "
                "import storage of the project (presigned URLs); nothing is "
                "downloaded or uploaded. Credentials come from the plugin "
                "secrets %s, and are checked with Label Studio before "
                "anything is created" % "; ".join(_SECRETS[k] for k in kinds)
            ),
        ),
    )
    if not existing_project:
        return None
    inputs.int(
        "cloud_storage_id",
        required=False,
        label="Existing cloud storage id (optional)",
        description="Use this import storage of the project; by default "
        "one that covers the bucket is reused, else one is connected",
    )
    value = ctx.params.get("cloud_storage_id")
    return int(value) if value not in (None, "") else None


def cloud_credentials(ctx) -> Optional[dict]:
    """The cloud secrets that are set (env names), or None."""
    found = {}
    for name in cloud_media.SECRET_NAMES:
        value = secret(ctx, name)
        if value:
            found[name] = value
    return found or None

"""What this machine can see of an S3 bucket (boto3, which fiftyone
already depends on): the cause of a failed storage check, and image sizes
of objects whose samples have no metadata.

Label Studio's own check decides whether a run goes ahead; this only
explains a failure (Label Studio reports "Debugging info is not
available" for endpoints outside its trusted domains) and reads the
first bytes of images to learn their size (the whole object only when
the header is not enough).
"""

import io
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from .errors import LabelStudioBackendError

# Bytes read to find an image's size (PNG/JPEG headers are far smaller)
HEAD_BYTES = 65536
_THREADS = 8


def _client(credentials: dict):
    # deferred: boto3 is slow to import and only S3 media needs it
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        aws_access_key_id=credentials.get("aws_access_key_id"),
        aws_secret_access_key=credentials.get("aws_secret_access_key"),
        aws_session_token=credentials.get("aws_session_token"),
        region_name=credentials.get("region_name") or "us-east-1",
        endpoint_url=credentials.get("s3_endpoint"),
        config=Config(connect_timeout=10, retries={"max_attempts": 1}),
    )


def check_from_here(target, credentials: dict) -> str:
    """A sentence: what a request from this machine says about the bucket
    (with the same credentials and endpoint)."""
    return problem_from_here(target, credentials) or (
        "This machine reads the bucket with the same credentials, so the "
        "Label Studio server cannot reach %s: check its network and proxy "
        "settings (an endpoint on a private address also needs "
        "USE_DEFAULT_BANNED_SUBNETS=false on the server)"
        % (credentials.get("s3_endpoint") or "AWS S3")
    )


def problem_from_here(target, credentials: dict):
    """What is wrong with the bucket seen from this machine (a sentence
    naming the fix), or None when it can be read."""
    # deferred: botocore is slow to import and only S3 media needs it
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
    )

    endpoint = credentials.get("s3_endpoint") or "AWS S3"
    try:
        s3 = _client(credentials)
        s3.head_bucket(Bucket=target.bucket)
        found = s3.list_objects_v2(
            Bucket=target.bucket, Prefix=target.prefix, MaxKeys=1
        ).get("KeyCount", 0)
    except NoCredentialsError:
        return (
            "No AWS credentials were found: set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
            "AWS_SESSION_TOKEN for temporary ones), or pass "
            "cloud_credentials=..."
        )
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("404", "NoSuchBucket") or status == 404:
            return (
                "Bucket '%s' does not exist at %s: fix the bucket name in "
                "the media field, or AWS_ENDPOINT_URL / AWS_DEFAULT_REGION"
                % (target.bucket, endpoint)
            )
        if status in (401, 403):
            return (
                "%s refused these credentials for bucket '%s' from this "
                "machine (HTTP %s): fix AWS_ACCESS_KEY_ID / "
                "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or grant "
                "them s3:ListBucket and s3:GetObject"
                % (endpoint, target.bucket, status)
            )
        return "A request from this machine failed too (%s)" % code
    except (BotoCoreError, OSError) as exc:
        return (
            "The store at %s cannot be reached from this machine "
            "(%s): check AWS_ENDPOINT_URL and the network"
            % (endpoint, type(exc).__name__)
        )
    if not found:
        return (
            "Bucket '%s' has no object under '%s': check the URIs in the "
            "media field" % (target.bucket, target.prefix)
        )
    return None


def image_sizes(uris_by_target: dict, credentials_of) -> dict:
    """``{uri: (width, height)}`` read from the first bytes of each object.

    Args:
        uris_by_target: ``{target: [uri, ...]}``
        credentials_of: ``target -> credentials dict``

    Raises:
        LabelStudioBackendError: naming objects that cannot be read
    """
    sizes, failed = {}, []

    def read(s3, bucket, uri, key):
        try:
            body = s3.get_object(
                Bucket=bucket, Key=key, Range="bytes=0-%d" % (HEAD_BYTES - 1)
            )["Body"].read()
            try:
                return uri, Image.open(io.BytesIO(body)).size
            except Exception:  # header beyond the first bytes
                whole = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                return uri, Image.open(io.BytesIO(whole)).size
        except Exception as exc:
            return uri, type(exc).__name__

    for target, uris in uris_by_target.items():
        s3 = _client(credentials_of(target))
        jobs = [(uri, uri.split("/", 3)[3]) for uri in uris]  # s3://bucket/key
        with ThreadPoolExecutor(_THREADS) as pool:
            for uri, size in pool.map(
                lambda job: read(s3, target.bucket, *job), jobs
            ):
                if isinstance(size, tuple):
                    sizes[uri] = size
                else:
                    failed.append((uri, size))
    if failed:
        raise LabelStudioBackendError(
            "Could not read %d image(s) from S3 to learn their size (e.g. "
            "%s: %s). Check that the objects exist and the credentials may "
            "read them, or set the samples' metadata.width/height"
            % (len(failed), failed[0][0], failed[0][1])
        )
    return sizes

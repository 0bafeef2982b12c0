"""Connects a run's cloud media to Label Studio through import storages.

``prepare_cloud`` runs before anything is created: it decides, per
bucket, whether a storage of the project is reused (one the user named
by id, or one of an existing project that covers the keys) or a new one
will be created, and asks Label Studio to connect to the store with the
credentials (its validate endpoint: the check is what the server sees,
and it creates nothing). ``connect_storages`` then creates the storages
in the run's project; the run records only those, so cleanup never
deletes a storage it reused.
"""

import logging

from ..client.errors import LabelStudioError, LabelStudioNotFoundError
from . import cloud_media as fc
from .cloud_s3 import check_from_here, problem_from_here
from .errors import LabelStudioBackendError

logger = logging.getLogger(__name__)

_SSRF = "reserved network address"
_HIDDEN = "Debugging info is not available"


def prepare_cloud(client, plan, config, video=False) -> list:
    """The checked cloud targets of the run (also kept in
    ``plan.cloud``); [] when no media is in a bucket.

    Raises:
        LabelStudioBackendError: one clear error; nothing was created
    """
    targets = fc.cloud_targets(plan.refs)
    plan.cloud = targets
    if not targets:
        if getattr(config, "cloud_storage_id", None) is not None:
            raise LabelStudioBackendError(
                "cloud_storage_id=%s was given, but no value of '%s' is a "
                "cloud URI (s3://, gs:// or azure-blob://)"
                % (config.cloud_storage_id, plan.media_field)
            )
        return targets

    if video:
        raise LabelStudioBackendError(
            "Videos in cloud buckets are not supported yet (e.g. %s). Use "
            "local video files or http(s) URLs" % targets[0].uri
        )
    existing = getattr(plan, "project", None)
    project_id = int(existing["id"]) if existing is not None else None
    given = getattr(config, "cloud_credentials", None)
    plan.cloud_credentials = {}
    for target in targets:
        credentials = fc.find_credentials(target.kind, given)
        plan.cloud_credentials[(target.kind, target.bucket)] = credentials
        if _reuse(client, target, config, project_id):
            continue
        check_project = project_id or client.any_project_id()
        if check_project is None:
            # Label Studio validates only against a project, and there is
            # none yet: check from here now (bad credentials, missing
            # bucket); the server checks again when the storage is made
            _check_from_here(client, target, credentials)
            continue
        payload = fc.storage_payload(target, credentials, check_project)
        try:
            client.validate_cloud_storage(target.kind, payload)
        except LabelStudioError as exc:
            raise storage_error(client, target, credentials, exc) from None
    return targets


def _check_from_here(client, target, credentials) -> None:
    if target.kind != "s3":
        return
    problem = problem_from_here(target, credentials)
    if problem:
        raise LabelStudioBackendError(
            "%s cannot be read (%s). %s. Nothing was created"
            % (
                target.uri,
                fc.describe_credentials(target.kind, credentials),
                problem,
            )
        )


def _reuse(client, target, config, project_id) -> bool:
    """Whether a storage that already exists serves ``target`` (its id is
    set on the target)."""
    named = getattr(config, "cloud_storage_id", None)
    if named is not None:
        storage = _named_storage(client, target, int(named), project_id)
        target.reuse_id = int(storage["id"])
        return True
    if project_id is None:
        return False
    for storage in client.list_cloud_storages(target.kind, project_id):
        if fc.covers(storage, target):
            logger.info(
                "Reusing %s storage %s of project %d for %s",
                target.kind,
                storage.get("id"),
                project_id,
                target.uri,
            )
            target.reuse_id = int(storage["id"])
            return True
    return False


def _named_storage(client, target, storage_id, project_id) -> dict:
    try:
        storage = client.get_cloud_storage(target.kind, storage_id)
    except LabelStudioNotFoundError:
        raise LabelStudioBackendError(
            "cloud_storage_id=%d: Label Studio at %s has no %s import "
            "storage with this id. Pass the id of the project's storage "
            "for %s, or leave cloud_storage_id out to connect one"
            % (storage_id, client.url, target.kind, target.uri)
        ) from None
    if project_id is None or int(storage.get("project") or 0) != project_id:
        raise LabelStudioBackendError(
            "cloud_storage_id=%d belongs to Label Studio project %s, and a "
            "storage serves only its own project's tasks. Pass "
            "project_id=%s to add the tasks to that project, or leave "
            "cloud_storage_id out to connect a storage to a new project"
            % (storage_id, storage.get("project"), storage.get("project"))
        )
    if not fc.covers(storage, target):
        raise LabelStudioBackendError(
            "cloud_storage_id=%d reads %s/%s, which does not hold every "
            "object of the run (%s). Pass a storage of that bucket whose "
            "prefix covers them, or leave cloud_storage_id out"
            % (
                storage_id,
                storage.get("bucket") or storage.get("container"),
                storage.get("prefix") or "",
                target.uri,
            )
        )
    return storage


def connect_storages(client, project_id, plan, created) -> list:
    """Creates the storages ``prepare_cloud`` decided on, in the run's
    project (recorded in ``created["cloud_storages"]`` as they are made,
    for the rollback); returns the kinds used."""
    for target in plan.cloud:
        if target.reuse_id is not None:
            continue
        credentials = plan.cloud_credentials[(target.kind, target.bucket)]
        payload = fc.storage_payload(target, credentials, project_id)
        try:
            storage_id = client.create_cloud_storage(target.kind, payload)
        except LabelStudioError as exc:
            raise storage_error(
                client, target, credentials, exc, "Nothing was kept"
            ) from None
        created["cloud_storages"].append(
            {"kind": target.kind, "id": storage_id}
        )
    return sorted({t.kind for t in plan.cloud})


def delete_storages(client, storages) -> None:
    """Deletes the given ``{"kind", "id"}`` storages (gone ones too)."""
    for storage in storages or []:
        try:
            client.delete_cloud_storage(storage["kind"], int(storage["id"]))
        except LabelStudioNotFoundError:
            pass  # deleted with its project, or by hand


def storage_error(
    client, target, credentials, exc, tail="Nothing was created"
) -> Exception:
    """One error that says why Label Studio cannot read the bucket and
    what to do (never the credentials)."""
    reason = getattr(exc, "detail", None) or str(exc)
    if _HIDDEN in reason:
        reason = (
            "Label Studio gives no detail for endpoints outside its "
            "S3_TRUSTED_STORAGE_DOMAINS"
        )
    if _SSRF in reason:
        advice = (
            "Label Studio refuses storage endpoints on private or loopback "
            "addresses (SSRF protection). For an S3-compatible store on "
            "your network, start Label Studio with "
            "USE_DEFAULT_BANNED_SUBNETS=false (or list allowed ranges in "
            "USER_ADDITIONAL_BANNED_SUBNETS)"
        )
    else:
        advice = _diagnose(target, credentials)
    return LabelStudioBackendError(
        "Label Studio at %s cannot read %s (%s; %s). %s. %s"
        % (
            client.url,
            target.uri,
            reason,
            fc.describe_credentials(target.kind, credentials),
            advice,
            tail,
        )
    )


def _diagnose(target, credentials) -> str:
    """What a check from this machine says (Label Studio hides the cause
    for endpoints outside its trusted domains)."""
    if target.kind != "s3":
        return (
            "Check the bucket name, the credentials, and that the Label "
            "Studio server can reach the store"
        )
    return check_from_here(target, credentials)

"""`LabelStudioClient`: every call the project makes to Label Studio."""

import logging
from typing import Callable, Iterable, Optional, Sequence

from .. import constants
from . import auth, changes, cloud_storage, progress, storage, uploads
from . import views
from .capabilities import ServerCapabilities
from .exports import ExportRequests
from .tasks import TaskRequests
from .errors import LabelStudioConnectionError, LabelStudioNotFoundError
from .transport import Transport

# Projects per page when listing (the server's default page is 30)
PROJECTS_PAGE_SIZE = 100

logger = logging.getLogger(__name__)
# Servers (by URL and version) already warned about in this process
_WARNED = set()


def project_url(url: str, project_id: int) -> str:
    """The project's page in Label Studio (its Data Manager): the one
    place that builds it."""
    return "%s/projects/%d/data" % (url.rstrip("/"), int(project_id))


class LabelStudioClient(TaskRequests, ExportRequests):
    """A Label Studio server reached with one API key.

    `api_key` is a legacy token or a personal access token. Errors are
    `LabelStudioError` subclasses whose messages never contain the key.
    """

    def __init__(self, url: str, api_key: str, timeout: float = 600):
        self._transport = Transport(url, api_key, timeout=timeout)
        self.url = self._transport.url
        # Why the server last refused a local storage (None if it did not)
        self.storage_refusal: Optional[str] = None
        # /api/version, read once per client
        self._version: Optional[str] = None

    def __repr__(self) -> str:
        return "LabelStudioClient(%r)" % self.url

    def __enter__(self) -> "LabelStudioClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    @property
    def sdk(self):
        """The underlying SDK client (`LabelStudioBase`; for tests)."""
        return self._transport.sdk

    @property
    def uses_personal_access_token(self) -> bool:
        return self._transport.uses_personal_access_token

    # -- server and users -------------------------------------------------

    def whoami(self) -> dict:
        return self._transport.json(
            "GET", "api/current-user/whoami", "identify the API key's user"
        )

    def version(self) -> str:
        """The server's release (read once per client)."""
        if self._version is None:
            # No retries: "server not started" should be reported at once
            answer = self._transport.json(
                "GET", "api/version", "read the server version", retries=0
            )
            answer = answer if isinstance(answer, dict) else {}
            self._version = str(
                answer.get("release") or answer.get("version") or ""
            )
        return self._version

    @property
    def capabilities(self) -> ServerCapabilities:
        """What this server supports (client/capabilities.py)."""
        return ServerCapabilities(self.version())

    def check(self) -> dict:
        """`{"url", "version", "user": {id, email, username}}`; raises a
        clear LabelStudioError when the server or the key does not work."""
        try:
            version = self.version()
        except LabelStudioNotFoundError:
            version = None
        if version is None:
            # Something answers there, but not Label Studio
            raise LabelStudioConnectionError(
                "Cannot reach Label Studio at %s (the server there has no "
                "/api/version; is it Label Studio?); start it or set "
                "FIFTYONE_LABELSTUDIO_URL" % self.url,
                url=self.url,
            )
        user = self.whoami()
        warning = self.capabilities.warning()
        if warning and (self.url, version) not in _WARNED:
            _WARNED.add((self.url, version))
            logger.warning(warning)
        return {
            "url": self.url,
            "version": version,
            "user": {k: user.get(k) for k in ("id", "email", "username")},
        }

    def list_users(self) -> dict:
        """`{user id: {"email", "username", "first_name", "last_name"}}`."""
        users = self._transport.json(
            "GET", "api/users/", "list the users of the organization"
        )
        if isinstance(users, dict):
            users = users.get("results", [])
        keys = ("email", "username", "first_name", "last_name")
        return {int(u["id"]): {k: u.get(k, "") for k in keys} for u in users}

    # -- projects ---------------------------------------------------------

    def project_url(self, project_id: int) -> str:
        return project_url(self.url, project_id)

    def create_project(self, title: str, label_config: str, **opts) -> dict:
        return self._transport.json(
            "POST",
            "api/projects/",
            "create project %r" % title,
            json={"title": title, "label_config": label_config, **opts},
            retries=0,
        )

    def get_project(self, project_id: int) -> dict:
        return self._transport.json(
            "GET",
            "api/projects/%d/" % project_id,
            "get project %d" % project_id,
        )

    def update_project(self, project_id: int, **fields) -> dict:
        return self._transport.json(
            "PATCH",
            "api/projects/%d/" % project_id,
            "update project %d" % project_id,
            json=fields,
            retries=0,
        )

    def delete_project(self, project_id: int) -> None:
        """Deletes the project with all its tasks (one request)."""
        self._transport.request(
            "DELETE",
            "api/projects/%d/" % project_id,
            "delete project %d" % project_id,
            retries=0,
        )

    def list_projects(self, title: Optional[str] = None) -> list:
        """All projects (with exactly this title, if given), by page."""
        projects, page = [], 1
        params = {"page_size": PROJECTS_PAGE_SIZE}
        if title is not None:
            params["title"] = title  # server filter is "contains"
        while True:
            answer = self._transport.json(
                "GET",
                "api/projects/",
                "list projects",
                params={**params, "page": page},
            )
            projects.extend(answer.get("results", []))
            if not answer.get("next"):
                break
            page += 1
        if title is not None:
            projects = [p for p in projects if p.get("title") == title]
        return projects

    # -- media and tasks --------------------------------------------------

    def upload_files(
        self,
        project_id: int,
        paths: Sequence[str],
        progress: Optional[Callable[[int], None]] = None,
    ) -> list:
        """Media URLs of the uploaded local files, in order; no tasks."""
        return uploads.upload_files(
            self._transport, project_id, paths, progress=progress
        )

    def changed_tasks(
        self, project_id: int, since: Optional[str], skip: Iterable = ()
    ) -> Iterable[tuple]:
        """``(task id, updated_at)`` of tasks updated at/after ``since``
        but not at a stamp of ``skip`` (see changes.changed_tasks)."""
        return changes.changed_tasks(self._transport, project_id, since, skip)

    def tasks_at(
        self, project_id: int, stamp: str, skip_ids: Iterable = ()
    ) -> Iterable[tuple]:
        """``(task id, updated_at)`` of tasks updated exactly at ``stamp``,
        but for the id ranges ``skip_ids`` (see changes.tasks_at)."""
        return changes.tasks_at(self._transport, project_id, stamp, skip_ids)

    def latest_update(self, project_id: int) -> Optional[str]:
        """The newest task ``updated_at`` of the project."""
        return changes.latest_update(self._transport, project_id)

    def snapshot_tasks(
        self, project_id: int, since: Optional[str] = None
    ) -> Iterable[dict]:
        """Tasks through an export snapshot, parsed one at a time."""
        return changes.snapshot_tasks(self._transport, project_id, since)

    def unfinished_tasks(self, project_id: int) -> list:
        """Ids of tasks with no submitted or skipped annotation."""
        return list(progress.unfinished_tasks(self._transport, project_id))

    def unfinished_count(self, project_id: int) -> int:
        return progress.unfinished_count(self._transport, project_id)

    def list_views(self, project_id: int) -> list:
        return views.list_views(self._transport, project_id)

    def create_view(self, project_id: int, title: str, **data) -> dict:
        return views.create_view(self._transport, project_id, title, **data)

    def view_tasks(self, project_id: int, view_id: int) -> list:
        """Ids and prediction scores of a tab's tasks, in its order."""
        return views.view_tasks(self._transport, project_id, view_id)

    # -- local files ------------------------------------------------------

    def local_file_url(self, path: str, root: str) -> str:
        """`/data/local-files/?d=<path relative to root>`."""
        return storage.local_file_url(
            path, root, prefix=self._transport.path_prefix
        )

    def create_local_storage(
        self, project_id: int, path: str, title: str = "fiftyone"
    ) -> Optional[int]:
        """Storage id, or None when the server refuses to serve `path`
        (the reason is kept in `self.storage_refusal`)."""
        storage_id, self.storage_refusal = storage.create_local_storage(
            self._transport, project_id, path, title
        )
        return storage_id

    def delete_storage(self, storage_id: int) -> None:
        storage.delete_storage(self._transport, storage_id)

    # -- cloud storages (S3, GCS, Azure) ----------------------------------

    def validate_cloud_storage(self, kind: str, payload: dict) -> None:
        """Raises LabelStudioError when the server cannot reach the store
        with ``payload`` (creates nothing)."""
        cloud_storage.validate(self._transport, kind, payload)

    def create_cloud_storage(self, kind: str, payload: dict) -> int:
        return cloud_storage.create(self._transport, kind, payload)

    def get_cloud_storage(self, kind: str, storage_id: int) -> dict:
        return cloud_storage.get(self._transport, kind, storage_id)

    def list_cloud_storages(self, kind: str, project_id: int) -> list:
        return cloud_storage.list_for_project(
            self._transport, kind, project_id
        )

    def delete_cloud_storage(self, kind: str, storage_id: int) -> None:
        cloud_storage.delete(self._transport, kind, storage_id)

    def any_project_id(self) -> Optional[int]:
        return cloud_storage.first_project_id(self._transport)

    # -- personal access tokens (tests, setup) ----------------------------

    def create_personal_access_token(self) -> str:
        return auth.create_personal_access_token(self._transport)

    def revoke_personal_access_token(self, token: str) -> None:
        auth.revoke_personal_access_token(self._transport, token)

    def set_legacy_tokens_enabled(self, enabled: bool) -> None:
        auth.set_legacy_tokens_enabled(self._transport, enabled)

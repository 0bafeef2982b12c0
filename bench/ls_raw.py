"""The fewest raw HTTP requests Label Studio needs, for floors and seeding.

Plain httpx with ``Connection: close`` (the Django dev server adds ~40 ms
to every keep-alive request), no retries, no checks beyond status codes.
Nothing here uses this project's code, so floors stay independent of it.
"""

import json
import os
from xml.sax.saxutils import quoteattr

import httpx

from harness import CLASSES, LABEL_FIELD, server

TIMEOUT = httpx.Timeout(3600.0, connect=10.0)


class RawLS:
    def __init__(self, url: str | None = None, token: str | None = None):
        if url is None:
            url, token = server()
        self.url = url
        self.http = httpx.Client(
            base_url=url,
            headers={
                "Authorization": "Token %s" % token,
                "Connection": "close",
            },
            timeout=TIMEOUT,
        )

    def close(self):
        self.http.close()

    def _ok(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            raise RuntimeError(
                "%s %s -> %d: %s"
                % (
                    response.request.method,
                    response.request.url.path,
                    response.status_code,
                    response.text[:300],
                )
            )
        return response

    def get(self, path, **kw):
        return self._ok(self.http.get(path, **kw)).json()

    def post(self, path, **kw):
        response = self._ok(self.http.post(path, **kw))
        return response.json() if response.content else None

    def delete(self, path, **kw):
        self._ok(self.http.request("DELETE", path, **kw))

    # projects
    def create_project(self, title: str, label_config: str) -> int:
        project = self.post(
            "/api/projects/",
            json={"title": title, "label_config": label_config},
        )
        return int(project["id"])

    def project(self, project_id: int) -> dict:
        return self.get("/api/projects/%d/" % project_id)

    def delete_project(self, project_id: int) -> None:
        self.delete("/api/projects/%d/" % project_id)

    def list_project_ids(self) -> list:
        answer = self.get("/api/projects/", params={"page_size": 1000})
        return [p["id"] for p in answer.get("results", answer)]

    # media
    def create_local_storage(self, project_id: int, path: str) -> int:
        storage = self.post(
            "/api/storages/localfiles/",
            json={
                "project": project_id,
                "path": os.path.abspath(path),
                "use_blob_urls": True,
            },
        )
        return int(storage["id"])

    def upload_files(self, project_id: int, paths: list) -> list:
        """Multipart uploads of 100 files (the server's limit), no tasks;
        returns the media URLs in order."""
        upload_ids = []
        for start in range(0, len(paths), 100):
            batch = paths[start : start + 100]
            files = []
            for i, path in enumerate(batch):
                with open(path, "rb") as f:
                    data = f.read()
                files.append(
                    (
                        "file%d" % i,
                        (os.path.basename(path), data, "image/jpeg"),
                    )
                )
            answer = self.post(
                "/api/projects/%d/import" % project_id,
                params={"commit_to_project": "false"},
                files=files,
            )
            upload_ids.extend(answer["file_upload_ids"])
        uploads = self.get(
            "/api/projects/%d/file-uploads" % project_id,
            params={"ids": json.dumps(upload_ids)},
        )
        names = {u["id"]: u["file"] for u in uploads}
        return ["/data/%s" % names[i].lstrip("/") for i in upload_ids]

    # tasks
    def import_body(self, project_id: int, body: bytes) -> list:
        """One import request of an already serialized task list."""
        answer = self.post(
            "/api/projects/%d/import" % project_id,
            params={"return_task_ids": "true"},
            content=body,
            headers={"Content-Type": "application/json"},
        )
        return answer["task_ids"]

    def export_raw(self, project_id: int, ids: list | None = None) -> bytes:
        """All tasks (or those of ``ids``) with annotations (predictions as
        ids): one request."""
        params = {
            "exportType": "JSON",
            "download_all_tasks": "true",
            "download_resources": "false",
        }
        if ids is not None:
            params["ids[]"] = ids
        response = self._ok(
            self.http.get(
                "/api/projects/%d/export" % project_id, params=params
            )
        )
        return response.content

    # predictions and annotations (seeding)
    def predictions(self, project_id: int) -> list:
        answer = self.get("/api/predictions/", params={"project": project_id})
        return (
            answer.get("results", []) if isinstance(answer, dict) else answer
        )

    def import_predictions(self, project_id: int, predictions: list) -> int:
        answer = self.post(
            "/api/projects/%d/import/predictions" % project_id,
            json=predictions,
        )
        return int(answer.get("created", 0))

    def predictions_to_annotations(self, project_id: int, version: str):
        return self.post(
            "/api/dm/actions",
            params={"id": "predictions_to_annotations", "project": project_id},
            json={
                "selectedItems": {"all": True, "excluded": []},
                "model_version": version,
            },
        )

    def delete_model_version(self, project_id: int, version: str) -> None:
        self.delete(
            "/api/projects/%d/model-versions/" % project_id,
            json={"model_version": version},
        )


def detection_label_config() -> str:
    """The label config our backend builds for one Detections field."""
    labels = "".join(
        "<Label value=%s/>" % quoteattr(c) for c in sorted(CLASSES)
    )
    return (
        '<View><Image name="image" value="$image"/>'
        '<RectangleLabels name="%s" toName="image">%s</RectangleLabels>'
        "</View>" % (LABEL_FIELD, labels)
    )

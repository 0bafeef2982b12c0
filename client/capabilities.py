"""What each Label Studio server version supports: the one place that
knows.

Measured by running Label Studio 1.20.0, 1.22.0 and 1.23.2 as servers
(``scripts/compat.sh``; README "Compatibility"):

- ``VectorLabels`` (open polylines) exists from 1.23.0. Older servers
  accept a config that uses it through the REST API, but their editor
  shows "Error: Not expecting tag: vectorlabels" for every task, so
  nobody can annotate anything: runs with open-polyline fields are
  refused on those servers (or sent as polygons, on request).
- Everything else the plugin uses answers the same from 1.20 to 1.23:
  legacy tokens (enabled with ``--enable-legacy-api-token``) and personal
  access tokens (``POST /api/token/``, refreshed at
  ``/api/token/refresh/``), the sync export
  (``/api/projects/<id>/export``), the tasks API, multipart uploads,
  local-files storages, bulk task deletion, ``/api/version``.

``/api/version`` answers without authentication and is read once per
client (``LabelStudioClient.capabilities``).
"""

import re
from dataclasses import dataclass
from typing import Optional, Tuple

# Oldest and newest release series this package is tested against
OLDEST_TESTED = (1, 20, 0)
NEWEST_TESTED = (1, 23, 2)
# First release whose editor knows the VectorLabels tag
VECTOR_LABELS_SINCE = (1, 23, 0)

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: Optional[str]) -> Optional[Tuple[int, int, int]]:
    """``"1.23.2"`` -> ``(1, 23, 2)``; ``"1.20.0.dev0"`` -> ``(1, 20, 0)``;
    None when no version can be read."""
    match = _VERSION.search(text or "")
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def dotted(version: Tuple[int, ...]) -> str:
    return ".".join(str(v) for v in version)


@dataclass(frozen=True)
class ServerCapabilities:
    """The features of one server, decided by its version.

    An unreadable version (a custom build) is treated as the newest
    tested release: the server's own errors then speak for themselves.
    """

    version: str

    @property
    def parsed(self) -> Optional[Tuple[int, int, int]]:
        return parse_version(self.version)

    def _at_least(self, release: Tuple[int, int, int]) -> bool:
        parsed = self.parsed
        return parsed is None or parsed >= release

    @property
    def vector_labels(self) -> bool:
        """The editor can show ``VectorLabels`` (open polylines)."""
        return self._at_least(VECTOR_LABELS_SINCE)

    @property
    def newer_than_tested(self) -> bool:
        """A release series newer than the newest one tested."""
        parsed = self.parsed
        return parsed is not None and parsed[:2] > NEWEST_TESTED[:2]

    @property
    def older_than_tested(self) -> bool:
        parsed = self.parsed
        return parsed is not None and parsed < OLDEST_TESTED

    def supports_tag(self, tag: str) -> bool:
        """Whether the server's editor knows a control tag."""
        if tag.lower() == "vectorlabels":
            return self.vector_labels
        return True

    def warning(self) -> Optional[str]:
        """One line when the server is outside the tested range."""
        if self.newer_than_tested:
            return (
                "Label Studio %s is newer than the newest release this "
                "plugin was tested with (%s); it should work, and "
                "scripts/compat.sh checks it"
                % (self.version, dotted(NEWEST_TESTED))
            )
        if self.older_than_tested:
            return (
                "Label Studio %s is older than the oldest release this "
                "plugin was tested with (%s); upgrade Label Studio if "
                "anything fails" % (self.version, dotted(OLDEST_TESTED))
            )
        return None

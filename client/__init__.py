"""The only code that speaks HTTP to Label Studio."""

from .api import LabelStudioClient, project_url
from .errors import (
    LabelStudioAuthError,
    LabelStudioConnectionError,
    LabelStudioError,
    LabelStudioImportError,
    LabelStudioNotFoundError,
    LabelStudioRequestError,
)
from .storage import local_file_url
from .uploads import MEDIA_EXTENSIONS

__all__ = [
    "LabelStudioClient",
    "LabelStudioError",
    "LabelStudioConnectionError",
    "LabelStudioAuthError",
    "LabelStudioNotFoundError",
    "LabelStudioRequestError",
    "LabelStudioImportError",
    "local_file_url",
    "project_url",
    "MEDIA_EXTENSIONS",
]

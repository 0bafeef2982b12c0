"""Names and defaults shared by every module."""

PACKAGE = "fiftyone_labelstudio"
PLUGIN_NAME = "@fiftyone-labelstudio/labelstudio"
BACKEND_NAME = "labelstudio"
CONFIG_CLS = "fiftyone_labelstudio.backend.LabelStudioBackendConfig"

SECRET_URL = "FIFTYONE_LABELSTUDIO_URL"
SECRET_API_KEY = "FIFTYONE_LABELSTUDIO_API_KEY"
DEFAULT_URL = "http://localhost:8080"
# FiftyOne's built-in config ships this placeholder; it means "not set"
FIFTYONE_PLACEHOLDER_URL = "https://labelstud.io"

IMAGE_TAG_NAME = "image"
TASK_META_KEY = "fiftyone"
PREDICTION_MODEL_VERSION = "fiftyone"

# Label Studio refuses more than 100 files in one multipart request
UPLOAD_BATCH_SIZE = 100
# SQLite fails above ~250k tasks per import (after committing them)
IMPORT_BATCH_SIZE = 5000


def operator_uri(name: str) -> str:
    """Returns the full URI of one of this plugin's operators or panels."""
    return "%s/%s" % (PLUGIN_NAME, name)

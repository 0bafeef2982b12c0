"""The plugin's operators."""

from .import_project import ImportProject
from .load import LoadAnnotations
from .manage import (
    DeleteAnnotationRun,
    GetAnnotationStatus,
    LoadAnnotationView,
    OpenInLabelStudio,
    RenameAnnotationRun,
)
from .request import RequestAnnotations
from .sync import SyncAnnotations

OPERATORS = [
    RequestAnnotations,
    LoadAnnotations,
    GetAnnotationStatus,
    LoadAnnotationView,
    RenameAnnotationRun,
    DeleteAnnotationRun,
    OpenInLabelStudio,
    ImportProject,
    SyncAnnotations,
]

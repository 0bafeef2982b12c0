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

OPERATORS = [
    RequestAnnotations,
    LoadAnnotations,
    GetAnnotationStatus,
    LoadAnnotationView,
    RenameAnnotationRun,
    DeleteAnnotationRun,
    OpenInLabelStudio,
    ImportProject,
]

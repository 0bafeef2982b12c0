"""The plugin's panels."""

from .runs_panel import LabelStudioRunsPanel

PANELS = [LabelStudioRunsPanel]

"""The plugin's panels."""

PANELS = []

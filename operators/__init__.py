"""The plugin's operators."""

OPERATORS = []

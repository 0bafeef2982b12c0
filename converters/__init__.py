"""converters package."""

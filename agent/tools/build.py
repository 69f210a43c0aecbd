"""Tools: build."""

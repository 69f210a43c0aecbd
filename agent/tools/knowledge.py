"""Tools: knowledge."""

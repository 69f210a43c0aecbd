"""Tools: repair."""

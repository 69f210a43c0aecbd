"""Tools: verify."""

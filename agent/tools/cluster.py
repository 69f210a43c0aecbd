"""Tools: cluster."""

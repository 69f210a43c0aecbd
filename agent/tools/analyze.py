"""Tools: analyze."""

"""Tools: diagnose."""

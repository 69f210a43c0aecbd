"""One incident from report to verified outcome: the loop, the one call path, the outcome check, the assembly."""

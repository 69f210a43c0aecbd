"""Engines: the only modules that talk to real systems (Docker daemons, the API server, helm, the file system)."""

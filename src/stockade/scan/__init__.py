"""Scanning: open a target, catalog it, run checks, assemble a result."""

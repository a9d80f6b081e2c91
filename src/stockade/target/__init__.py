"""Targets: opening the things stockade scans as a read-only filesystem view."""

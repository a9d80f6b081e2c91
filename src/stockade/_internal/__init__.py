"""Helpers shared by several plug-in families; not a public API."""

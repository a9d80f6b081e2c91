"""Vulnerabilities: advisory feeds, the local advisory database, matching and prioritisation."""

"""Formatters: a scan result as a table, JSON, SARIF, CycloneDX or SPDX."""

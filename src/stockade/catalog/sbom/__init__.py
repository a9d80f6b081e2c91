"""SBOM input: CycloneDX (JSON, XML) and SPDX (2.2/2.3 JSON, YAML, tag-value; 3.0 JSON-LD) documents read
into an inventory, so that an SBOM made by any tool can be matched like a scanned workload.

:func:`stockade.catalog.sbom.read.read_sbom` is the entry point; docs/sbom-input.md says what is read.
"""

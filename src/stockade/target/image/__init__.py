"""Container images: OCI layouts, archives, registries and their layers."""

"""Images in a registry, pulled over the OCI distribution API (distribution-spec ``spec.md``).

The manifest (or index, resolved to one platform) and the config are fetched and digest-checked; layer
blobs are opened only when the squasher reads them, as HTTP streams hashed while they are read (a
mismatch fails the scan).  Nothing is written to disk.  Credentials, tokens and ``--insecure`` are the
registry client's business (:mod:`.registry`).
"""

from __future__ import annotations

from typing import BinaryIO

from stockade.target.image import manifest as mf
from stockade.target.image.model import ImageSpec, Platform
from stockade.target.image.reference import parse_reference
from stockade.target.image.registry import RegistryClient


def open_remote(text: str, platform: Platform | None, insecure: bool) -> ImageSpec:
    ref = parse_reference(text)
    client = RegistryClient(ref.registry, insecure=insecure)
    what = str(ref)

    def fetch(reference: str) -> tuple[bytes, str, str]:
        return client.get_manifest(ref.repository, reference, mf.ACCEPT)

    body, media_type, digest = fetch(ref.manifest_reference)
    doc, media_type, digest, chosen = mf.resolve_manifest(fetch, body, media_type, digest, platform, what)
    config_digest, _, _ = mf.descriptor(doc.get("config"), f"{what}: manifest config")
    config = client.read_blob(ref.repository, config_digest)

    def open_blob(blob_digest: str, size: int | None) -> BinaryIO:
        return client.open_blob(ref.repository, blob_digest, size=size)

    return mf.build_spec(
        reference=what,
        source="registry",
        manifest=doc,
        manifest_digest=digest,
        media_type=media_type,
        config_bytes=config,
        platform=chosen,
        open_blob=open_blob,
        what=what,
    )

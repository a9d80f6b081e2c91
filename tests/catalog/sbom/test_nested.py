"""Nested components, written by cyclonedx-python-lib: an image whose operating system, OS packages and an
application bundling its own libraries (components inside components, inside the subject too) are all
read, in JSON and in XML."""

from __future__ import annotations

from pathlib import Path

import pytest
from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from packageurl import PackageURL

from stockade.catalog.sbom.read import read_sbom

DEB = [
    ("libc6", "2.36-9+deb12u4", "glibc"),
    ("libssl3", "3.0.11-1~deb12u2", "openssl"),
    ("zlib1g", "1:1.2.13.dfsg-1", "zlib"),
]
APP_LIBS = [
    ("pypi", None, "requests", "2.31.0"),
    ("pypi", None, "urllib3", "2.0.7"),
    ("npm", "@babel", "core", "7.22.0"),
]


def build_bom() -> tuple[Bom, set[str]]:
    bom = Bom()
    subject = Component(
        name="registry.example/shop", version="1.4", type=ComponentType.CONTAINER, bom_ref="image"
    )
    sidecar = Component(
        name="busybox-static",
        version="1.36.1",
        type=ComponentType.LIBRARY,
        bom_ref="sidecar",
        purl=PackageURL("deb", "debian", "busybox-static", "1:1.36.1-1", {"distro": "debian-12"}),
    )
    subject.components.add(sidecar)
    bom.metadata.component = subject
    purls = {str(sidecar.purl)}
    bom.components.add(
        Component(
            name="debian",
            version="12",
            type=ComponentType.OPERATING_SYSTEM,
            bom_ref="os",
            description="Debian GNU/Linux 12 (bookworm)",
        )
    )
    for name, version, source in DEB:
        purl = PackageURL(
            "deb", "debian", name, version, {"arch": "amd64", "distro": "debian-12", "upstream": source}
        )
        purls.add(str(purl))
        bom.components.add(Component(name=name, version=version, purl=purl, bom_ref=f"deb:{name}"))
    app = Component(
        name="shop",
        version="1.4",
        type=ComponentType.APPLICATION,
        bom_ref="app",
        purl=PackageURL("pypi", None, "shop", "1.4"),
    )
    purls.add(str(app.purl))
    inner = Component(name="vendor", version="0", type=ComponentType.FRAMEWORK, bom_ref="vendor")
    for type_, ns, name, version in APP_LIBS:
        purl = PackageURL(type_, ns, name, version)
        purls.add(str(purl))
        inner.components.add(
            Component(name=name, group=ns, version=version, purl=purl, bom_ref=f"lib:{name}")
        )
    inner.components.add(
        Component(
            name="libbundled",
            version="0.9",
            bom_ref="bundled",
            properties=[Property(name="note", value="vendored C code, no purl")],
        )
    )
    app.components.add(inner)
    bom.components.add(app)
    bom.register_dependency(subject, list(bom.components))
    return bom, purls


@pytest.mark.parametrize("fmt", [OutputFormat.JSON, OutputFormat.XML])
@pytest.mark.parametrize("version", [SchemaVersion.V1_4, SchemaVersion.V1_6])
def test_nested(fmt: OutputFormat, version: SchemaVersion, tmp_path: Path) -> None:
    bom, purls = build_bom()
    path = tmp_path / f"nested.{fmt.name.lower()}"
    path.write_text(make_outputter(bom, fmt, version).output_as_string(indent=2), encoding="utf-8")
    inventory, target, statuses = read_sbom(str(path))
    real = {p.purl for p in inventory.packages if p.type != "generic"}
    assert real == {PackageURL.from_string(p).to_string() for p in purls}
    generic = {(p.name, p.version) for p in inventory.packages if p.type == "generic"}
    assert generic == {("vendor", "0"), ("libbundled", "0.9")}
    no_purl = sorted(s.reason for s in statuses if "no purl" in s.reason)
    assert len(no_purl) == 2
    assert any("'libbundled@0.9' (bom-ref 'bundled'" in r and ".components[" in r for r in no_purl)
    if fmt is OutputFormat.XML:  # XML tells where each component starts
        assert all(", line " in r for r in no_purl)
        text = path.read_text().splitlines()
        for p in inventory.packages:
            (loc,) = p.locations
            assert loc.path == str(path) and loc.line is not None
            assert "<component " in text[loc.line - 1] and p.metadata["sbom_ref"] in text[loc.line - 1]
    assert inventory.os is not None and (inventory.os.id, inventory.os.version_id) == ("debian", "12")
    by_name = {p.name: p for p in inventory.packages}
    assert by_name["@babel/core"].namespace == "@babel"
    assert (by_name["zlib1g"].source_name, by_name["zlib1g"].version) == ("zlib", "1:1.2.13.dfsg-1")
    assert by_name["busybox-static"].metadata["sbom_ref"] == "sidecar"  # nested in the subject
    subject = target.metadata["sbom"]["subject"]
    assert (subject["type"], subject["name"], subject["version"]) == (
        "container",
        "registry.example/shop",
        "1.4",
    )
    assert target.id == "sbom:container:registry.example/shop@1.4"

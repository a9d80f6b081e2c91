"""An SPDX 3.0.1 JSON-LD SBOM of the Debian packages in ../../os_dpkg/testdata/status, written by
spdx-python-model (the SPDX project's bindings).  Run by generate.sh in a venv that has it."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from packageurl import PackageURL
from spdx_python_model import v3_0_1 as s

STATUS = Path(__file__).resolve().parents[2] / "os_dpkg" / "testdata" / "status"
LICENSES = {"bash": "GPL-3.0-or-later", "zlib1g": "Zlib"}  # the packages' debian/copyright


def paragraphs(text: str) -> list[dict[str, str]]:
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        fields = {}
        for line in block.splitlines():
            if line[:1] not in (" ", "\t") and ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        out.append(fields)
    return out


def main() -> None:
    objs = s.SHACLObjectSet()
    ci = s.CreationInfo(specVersion="3.0.1", created=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    author = s.Person(
        spdxId="https://stockade.dev/test/person/fixture-maker", name="fixture maker", creationInfo=ci
    )
    ci.createdBy = [author]
    base = "https://stockade.dev/test/spdx3/debian"
    root = s.software_Package(
        spdxId=f"{base}/root",
        name="debian-bookworm-example",
        software_packageVersion="1.0",
        creationInfo=ci,
        software_primaryPurpose=s.software_SoftwarePurpose.container,
    )
    os_pkg = s.software_Package(
        spdxId=f"{base}/os",
        name="debian",
        software_packageVersion="12",
        creationInfo=ci,
        software_primaryPurpose=s.software_SoftwarePurpose.operatingSystem,
        description="Debian GNU/Linux 12 (bookworm)",
    )
    elements: list[s.Element] = [root, os_pkg]
    contains = []
    for f in paragraphs(STATUS.read_text()):
        name, version, arch = f["Package"], f["Version"], f.get("Architecture", "")
        src = re.match(r"^(\S+)(?:\s+\((.+)\))?$", f.get("Source", name))
        src_name, src_version = src.group(1), src.group(2) or version
        quals = {"arch": arch, "distro": "debian-12"}
        if (src_name, src_version) != (name, version):
            quals["upstream"] = src_name if src_version == version else f"{src_name}@{src_version}"
        purl = PackageURL(
            type="deb", namespace="debian", name=name, version=version, qualifiers=quals
        ).to_string()
        pkg = s.software_Package(
            spdxId=f"{base}/pkg/{name}",
            name=name,
            software_packageVersion=version,
            creationInfo=ci,
            software_packageUrl=purl,
            software_primaryPurpose=s.software_SoftwarePurpose.library,
            externalIdentifier=[
                s.ExternalIdentifier(
                    externalIdentifierType=s.ExternalIdentifierType.packageUrl, identifier=purl
                )
            ],
        )
        elements.append(pkg)
        contains.append(pkg)
        if name in LICENSES:
            expr = s.simplelicensing_LicenseExpression(
                spdxId=f"{base}/license/{name}",
                creationInfo=ci,
                simplelicensing_licenseExpression=LICENSES[name],
            )
            rel = s.Relationship(
                spdxId=f"{base}/rel/license-{name}",
                creationInfo=ci,
                from_=pkg,
                to=[expr],
                relationshipType=s.RelationshipType.hasDeclaredLicense,
            )
            elements += [expr, rel]
    elements.append(
        s.Relationship(
            spdxId=f"{base}/rel/contains",
            creationInfo=ci,
            from_=root,
            to=[*contains, os_pkg],
            relationshipType=s.RelationshipType.contains,
        )
    )
    sbom = s.software_Sbom(
        spdxId=f"{base}/sbom",
        creationInfo=ci,
        rootElement=[root],
        element=elements,
        software_sbomType=[s.software_SbomType.analyzed],
    )
    doc = s.SpdxDocument(
        spdxId=f"{base}/document",
        name="debian-bookworm-example",
        creationInfo=ci,
        rootElement=[sbom],
        element=[sbom, *elements],
    )
    for o in (author, doc, sbom, *elements):
        objs.add(o)
    s.JSONLDSerializer().write(objs, sys.stdout.buffer, indent=2)


if __name__ == "__main__":
    main()

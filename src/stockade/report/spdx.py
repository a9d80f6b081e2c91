"""SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/), built and written with spdx-tools.

Mapping (docs/formats.md has the whole table):

- The document (``SPDXRef-DOCUMENT``) is named after the target; ``documentNamespace`` is
  ``https://stockade.dev/spdx/<target kind>/<scan id>`` and ``created`` is when the scan started, so one
  result always renders to the same bytes (SPDX 2.3 §6.5 asks for a unique namespace per document).
- A root package stands for the target; the document ``DESCRIBES`` it and it ``CONTAINS`` every package
  and the operating system (its own package, purpose ``OPERATING-SYSTEM``).
- One package per stockade package: ``SPDXRef-Package-<type>-<name>-<hash>``, where the hash is of the
  purl and the cataloger, so ids are stable and unique; SPDX ids allow only letters, digits, ``.`` and
  ``-`` (§7.2).  ``downloadLocation`` and ``supplier`` are ``NOASSERTION`` (not known from an installed
  package), ``filesAnalyzed`` false, the purl is a ``PACKAGE-MANAGER`` external reference (Annex F).
- ``licenseDeclared`` is the license only when it is a valid SPDX expression (§7.15), else
  ``NOASSERTION``; the text as found is kept in ``licenseComments``.
- SPDX 2.3 has no vulnerability section: each vulnerability finding on a package becomes a ``SECURITY``
  external reference of type ``advisory`` (§7.21, Annex F) whose locator is the vulnerability's osv.dev
  page and whose comment gives its id, severity, priority, aliases and fixed versions.

The JSON is spdx-tools' ``DocumentConverter`` output (what its JSON writer dumps), without the writer's
validation pass (that is the tests' job and costs more than building the document) and with the one
enum spelling fixed that spdx-tools writes differently from the 2.3 JSON schema (see ``to_dict``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import quote

from spdx_tools.common.spdx_licensing import spdx_licensing
from spdx_tools.spdx.jsonschema.document_converter import DocumentConverter
from spdx_tools.spdx.model.actor import Actor, ActorType
from spdx_tools.spdx.model.document import CreationInfo, Document
from spdx_tools.spdx.model.package import (
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    PackagePurpose,
)
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion

from stockade.model.inventory import OSInfo
from stockade.model.inventory import Package as StockadePackage
from stockade.model.result import ScanResult
from stockade.model.target import Target, TargetKind
from stockade.report._common import INFORMATION_URI, dumps, spdx_expression
from stockade.report.interface import FormatError, Formatter

NAMESPACE_BASE = f"{INFORMATION_URI}/spdx"
DOCUMENT_ID = "SPDXRef-DOCUMENT"
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")

PURPOSES: dict[TargetKind, PackagePurpose] = {
    TargetKind.IMAGE: PackagePurpose.CONTAINER,
    TargetKind.HOST: PackagePurpose.DEVICE,
    TargetKind.ROOTFS: PackagePurpose.OPERATING_SYSTEM,
    TargetKind.DIRECTORY: PackagePurpose.SOURCE,
    TargetKind.MANIFESTS: PackagePurpose.SOURCE,
}


def sanitise(text: str) -> str:
    """``text`` with every run of characters an SPDX id may not hold replaced by ``-``."""
    return _UNSAFE.sub("-", text).strip("-") or "x"


def package_id(pkg: StockadePackage) -> str:
    digest = hashlib.sha256(f"{pkg.purl}\x00{pkg.found_by}".encode()).hexdigest()[:12]
    return f"SPDXRef-Package-{sanitise(pkg.type)}-{sanitise(pkg.name)[:80]}-{digest}"


def document_namespace(result: ScanResult) -> str:
    return f"{NAMESPACE_BASE}/{quote(result.target.kind.value, safe='')}/{quote(result.scan_id, safe='')}"


class SpdxFormatter(Formatter):
    NAME = "report/spdx"
    FORMAT = "spdx"
    DESCRIPTION = "SPDX 2.3 JSON SBOM (packages with purls, the target as root package)"

    def render(self, result: ScanResult) -> str:
        return dumps(self.to_dict(result))

    def to_dict(self, result: ScanResult) -> dict[str, Any]:
        """The JSON document, converted by spdx-tools' own converter (what its JSON writer dumps)."""
        try:
            out: dict[str, Any] = DocumentConverter().convert(self.build(result))  # type: ignore[no-untyped-call]
        except Exception as exc:  # spdx-tools raises plain ValueError/TypeError
            raise FormatError(f"failed to render SPDX: {type(exc).__name__}: {exc}") from exc
        for package in out.get("packages", []):
            for ref in package.get("externalRefs", []):
                # spdx-tools writes the enum name (PACKAGE_MANAGER); the 2.3 spec text (§7.21) and JSON
                # schema spell it PACKAGE-MANAGER (spdx/spdx-spec#792, spdx/tools-python#849).
                ref["referenceCategory"] = ref["referenceCategory"].replace("_", "-")
        return out

    def build(self, result: ScanResult) -> Document:
        creation = CreationInfo(
            spdx_version="SPDX-2.3",
            spdx_id=DOCUMENT_ID,
            name=result.target.name or result.target.id,
            document_namespace=document_namespace(result),
            creators=[Actor(ActorType.TOOL, f"stockade-{result.tool_version}")],
            created=result.started,
        )
        root = self._root(result.target)
        taken = {DOCUMENT_ID, root.spdx_id}
        packages = [root]
        relationships = [Relationship(DOCUMENT_ID, RelationshipType.DESCRIBES, root.spdx_id)]
        os_package = self._os(result.inventory.os)
        if os_package is not None:
            taken.add(os_package.spdx_id)
            packages.append(os_package)
            relationships.append(Relationship(root.spdx_id, RelationshipType.CONTAINS, os_package.spdx_id))
        advisories = _advisory_refs(result)
        for pkg in result.inventory.packages:
            spdx_id = package_id(pkg)
            base, n = spdx_id, 2
            while spdx_id in taken:
                spdx_id, n = f"{base}-{n}", n + 1
            taken.add(spdx_id)
            packages.append(self._package(pkg, spdx_id, advisories.get(pkg.purl, [])))
            relationships.append(Relationship(root.spdx_id, RelationshipType.CONTAINS, spdx_id))
        return Document(creation_info=creation, packages=packages, relationships=relationships)

    @staticmethod
    def _root(target: Target) -> Package:
        return Package(
            spdx_id=f"SPDXRef-Target-{sanitise(target.kind.value)}",
            name=target.name or target.id,
            download_location=SpdxNoAssertion(),
            supplier=SpdxNoAssertion(),
            files_analyzed=False,
            primary_package_purpose=PURPOSES.get(target.kind, PackagePurpose.OTHER),
            comment=f"the scanned {target.kind.value}; stockade target id {target.id}",
        )

    @staticmethod
    def _os(os: OSInfo | None) -> Package | None:
        if os is None:
            return None
        return Package(
            spdx_id=f"SPDXRef-OperatingSystem-{sanitise(os.id)}",
            name=os.id,
            version=os.version_id,
            download_location=SpdxNoAssertion(),
            supplier=SpdxNoAssertion(),
            files_analyzed=False,
            primary_package_purpose=PackagePurpose.OPERATING_SYSTEM,
            description=os.pretty_name or os.name,
            source_info=f"identified from {os.source}" if os.source else None,
        )

    @staticmethod
    def _package(
        pkg: StockadePackage, spdx_id: str, advisories: list[ExternalPackageRef] | None = None
    ) -> Package:
        declared: object = SpdxNoAssertion()
        comment = None
        texts = [t.strip() for t in pkg.licenses if t.strip()]
        if texts:
            exprs = [spdx_expression(t) for t in texts]
            if all(exprs):
                joined = " AND ".join(f"({e})" if " " in str(e) else str(e) for e in exprs)
                declared = spdx_licensing.parse(joined)
            else:
                comment = "declared license (not an SPDX expression): " + "; ".join(texts)
        where = ", ".join(str(loc) for loc in pkg.locations)
        return Package(
            spdx_id=spdx_id,
            name=pkg.name,
            version=pkg.version or None,
            download_location=SpdxNoAssertion(),
            supplier=SpdxNoAssertion(),
            files_analyzed=False,
            license_concluded=SpdxNoAssertion(),
            license_declared=declared,
            license_comment=comment,
            copyright_text=SpdxNoAssertion(),
            source_info=f"found by stockade {pkg.found_by}" + (f" in {where}" if where else ""),
            external_references=[
                ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", pkg.purl),
                *(advisories or ()),
            ],
        )


OSV_URL = "https://osv.dev/vulnerability/"


def _advisory_refs(result: ScanResult) -> dict[str, list[ExternalPackageRef]]:
    """purl → one ``SECURITY``/``advisory`` reference per vulnerability finding on that package."""
    out: dict[str, list[ExternalPackageRef]] = {}
    for f in sorted(result.findings, key=lambda f: (f.id, f.package or "")):
        if f.kind != "vulnerability" or not f.package:
            continue
        info = f.vulnerability or {}
        parts = [f"{f.id}: {f.severity.value}"]
        if f.priority is not None:
            parts.append(f"priority {f.priority}")
        if info.get("aliases"):
            parts.append("aliases " + " ".join(str(a) for a in info["aliases"]))
        if info.get("fixed_versions"):
            parts.append("fixed in " + " ".join(str(v) for v in info["fixed_versions"]))
        elif info.get("fix_state"):
            parts.append(str(info["fix_state"]))
        ref = ExternalPackageRef(
            ExternalPackageRefCategory.SECURITY,
            "advisory",
            f"{OSV_URL}{quote(f.id, safe='')}",
            "; ".join(parts),
        )
        out.setdefault(f.package, []).append(ref)
    return out

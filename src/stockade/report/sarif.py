"""SARIF 2.1.0 (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html), by hand.

One run.  ``tool.driver.rules`` has one rule per finding id (§3.49 reportingDescriptor) with the
remediation as ``help`` and the highest severity seen as ``defaultConfiguration.level``; every finding
is a result with ``ruleId``/``ruleIndex``, a level (critical/high → ``error``, medium → ``warning``,
low/info/unknown → ``note``), a location relative to the ``ROOTPATH`` base (§3.4.4: relative URIs need a
``uriBaseId``; GitHub code scanning wants repository-relative paths) and a ``partialFingerprints``
entry that stays the same across scans of the same problem (§3.27.17).

GitHub code scanning reads ``properties.security-severity`` (a CVSS-like number as a string) on rules
and results; stockade writes critical 9.5, high 8.0, medium 5.5, low 3.0 and nothing for info/unknown
— and, for a vulnerability with a CVSS vector, its base score (the rule: the highest of its findings).
A vulnerability result also carries its priority as ``rank`` (§3.27.24: 0.0-100.0, higher is more
important) and, in its property bag, the priority's reasons, the aliases, CVSS, EPSS, KEV and the
fixed versions (docs/vulnerabilities.md).

Coverage gaps are not results: every status that is not ``ok`` becomes a
``invocations[0].toolExecutionNotifications`` entry (§3.20.21; error for ``error``, warning otherwise),
and ``executionSuccessful`` is false when a plug-in failed, so a consumer sees what was not looked at.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from stockade.model.finding import Finding
from stockade.model.inventory import Location
from stockade.model.result import ScanResult
from stockade.model.severity import Severity
from stockade.model.status import Status, StatusKind
from stockade.report._common import INFORMATION_URI, dumps, timestamp
from stockade.report.interface import Formatter

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
ROOT = "ROOTPATH"
FINGERPRINT = "stockade/v1"

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
    Severity.UNKNOWN: "note",
}
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}

Json = dict[str, Any]


def relative_uri(path: str) -> str:
    """A target path (``/var/lib/dpkg/status``) as a URI reference relative to the target's root."""
    rel = path.lstrip("/")
    return quote(rel, safe="/-._~+@:") if rel else "."


def fingerprint(finding: Finding) -> str:
    where = str(finding.location) if finding.location else ""
    key = "\x00".join((finding.id, where, finding.package or ""))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def physical(loc: Location) -> Json:
    out: Json = {"physicalLocation": {"artifactLocation": {"uri": relative_uri(loc.path), "uriBaseId": ROOT}}}
    if loc.line is not None and loc.line > 0:
        out["physicalLocation"]["region"] = {"startLine": loc.line}
    if loc.layer is not None:
        out["properties"] = {"layer": loc.layer}
    return out


def _cvss_score(f: Finding) -> float | None:
    cvss = f.vulnerability.get("cvss") if f.vulnerability else None
    score = cvss.get("score") if isinstance(cvss, dict) else None
    return float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None


class SarifFormatter(Formatter):
    NAME = "report/sarif"
    FORMAT = "sarif"
    DESCRIPTION = "SARIF 2.1.0 log for code-scanning dashboards (findings, rules, coverage gaps)"

    def render(self, result: ScanResult) -> str:
        return dumps(self.to_dict(result))

    def to_dict(self, result: ScanResult) -> Json:
        findings = sorted(result.findings, key=lambda f: f.sort_key())
        suppressed = sorted(result.suppressed, key=lambda f: f.sort_key())
        by_rule: defaultdict[str, list[Finding]] = defaultdict(list)
        for f in [*findings, *suppressed]:
            by_rule[f.id].append(f)
        rule_ids = sorted(by_rule)
        index = {rid: i for i, rid in enumerate(rule_ids)}
        target = {"kind": result.target.kind.value, "name": result.target.name, "id": result.target.id}
        package_locations = {p.purl: p.locations[0] for p in result.inventory.packages if p.locations}
        run: Json = {
            "tool": {
                "driver": {
                    "name": "stockade",
                    "version": result.tool_version,
                    "informationUri": INFORMATION_URI,
                    "rules": [self._rule(rid, by_rule[rid]) for rid in rule_ids],
                }
            },
            "invocations": [self._invocation(result)],
            "originalUriBaseIds": {ROOT: self._root(result)},
            "results": [self._result(f, index[f.id], package_locations) for f in findings]
            + [self._suppressed(f, index[f.id], package_locations) for f in suppressed],
            "properties": {"target": target, "scanId": result.scan_id},
        }
        return {"$schema": SCHEMA, "version": VERSION, "runs": [run]}

    @staticmethod
    def _root(result: ScanResult) -> Json:
        target = result.target
        out: Json = {"description": {"text": f"the root of the scanned {target.kind.value} {target.name}"}}
        if target.path and target.path.startswith("/"):
            uri = PurePosixPath(target.path).as_uri()
            out["uri"] = uri if uri.endswith("/") else uri + "/"
        return out

    @staticmethod
    def _rule(rule_id: str, findings: list[Finding]) -> Json:
        first = findings[0]  # sorted: the most severe
        worst = first.severity
        kinds = sorted({f.kind for f in findings})
        urls = sorted({r for f in findings for r in f.references if r.startswith(("https://", "http://"))})
        fallback = f"See the references for {rule_id}." if urls else (first.title or rule_id)
        rule: Json = {
            "id": rule_id,
            "shortDescription": {"text": first.title or rule_id},
            "help": {"text": first.remediation or fallback},
            "defaultConfiguration": {"level": LEVELS[worst]},
            "properties": {"tags": ["security", *kinds], "severity": worst.value},
        }
        if urls:
            rule["helpUri"] = urls[0]
            lines = [rule["help"]["text"], "", *(f"- <{u}>" for u in urls)]
            rule["help"]["markdown"] = "\n".join(lines)
        scores = [score for f in findings if (score := _cvss_score(f)) is not None]
        if scores:
            rule["properties"]["security-severity"] = f"{max(scores):.1f}"
        elif worst in SECURITY_SEVERITY:
            rule["properties"]["security-severity"] = SECURITY_SEVERITY[worst]
        return rule

    @staticmethod
    def _result(f: Finding, rule_index: int, package_locations: dict[str, Location]) -> Json:
        text = f.title or f.id
        if f.package:
            text = f"{text} ({f.package})"
        if f.evidence:
            text = f"{text}: {f.evidence}"
        out: Json = {
            "ruleId": f.id,
            "ruleIndex": rule_index,
            "level": LEVELS[f.severity],
            "message": {"text": text},
        }
        loc = f.location or (package_locations.get(f.package) if f.package else None)
        if loc is not None:
            out["locations"] = [physical(loc)]
        else:
            out["locations"] = [
                {"logicalLocations": [{"fullyQualifiedName": f.target or "target", "kind": "module"}]}
            ]
        out["partialFingerprints"] = {FINGERPRINT: fingerprint(f)}
        props: Json = {"severity": f.severity.value, "kind": f.kind}
        score = _cvss_score(f)
        if score is not None:
            props["security-severity"] = f"{score:.1f}"
        elif f.severity in SECURITY_SEVERITY:
            props["security-severity"] = SECURITY_SEVERITY[f.severity]
        if f.package:
            props["package"] = f.package
        if f.references:
            props["references"] = list(f.references)
        if f.vulnerability:
            if f.priority is not None:
                out["rank"] = float(f.priority)
            for key in ("priority", "why", "aliases", "cvss", "epss", "kev", "fixed_versions", "fix_state"):
                if f.vulnerability.get(key) is not None:
                    props[key] = f.vulnerability[key]
        out["properties"] = props
        return out

    @staticmethod
    def _suppressed(f: Finding, rule_index: int, package_locations: dict[str, Location]) -> Json:
        """A finding an exception covers: a result with a SARIF ``suppressions`` entry (SARIF 2.1.0
        §3.35), ``inSource`` for an annotation on the object, ``external`` for an exceptions file."""
        out = SarifFormatter._result(f, rule_index, package_locations)
        why = f.metadata.get("suppression") or {}
        entry: Json = {
            "kind": "inSource" if why.get("source") == "annotation" else "external",
            "status": "accepted",
            "justification": str(why.get("reason", "")),
        }
        props = {k: str(why[k]) for k in ("owner", "expires", "where") if why.get(k)}
        if props:
            entry["properties"] = props
        out["suppressions"] = [entry]
        return out

    @staticmethod
    def _invocation(result: ScanResult) -> Json:
        problems = sorted((s for s in result.statuses if s.is_problem),
                          key=lambda s: (s.plugin, s.path or "", s.status.value, s.reason))  # fmt: skip
        return {
            "executionSuccessful": not any(s.status is StatusKind.ERROR for s in problems),
            "startTimeUtc": timestamp(result.started),
            "endTimeUtc": timestamp(result.finished),
            "toolExecutionNotifications": [SarifFormatter._notification(s) for s in problems],
        }

    @staticmethod
    def _notification(s: Status) -> Json:
        text = f"{s.plugin}: {s.status.value}" + (f": {s.reason}" if s.reason else "")
        out: Json = {
            "level": "error" if s.status is StatusKind.ERROR else "warning",
            "message": {"text": text},
            "properties": {"plugin": s.plugin, "status": s.status.value},
        }
        if s.path:
            out["locations"] = [physical(Location(s.path))]
        return out

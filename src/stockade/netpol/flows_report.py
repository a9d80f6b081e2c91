"""``netpol flows`` output: table or JSON.

JSON::

    {"schema": "stockade.netpol.flows/1",
     "summary": {"flows", "allowed", "blocked", "allowed_never_seen", "unresolved", "errors"},
     "blocked": [{"line", "src", "dst", "port", "protocol", "count", "allowed", "policies", "reasons",
                  "via_service"?}],
     "allowed": [...same...],
     "allowed_never_seen": [{"src", "dst", "port", "protocol"}],
     "unresolved": [{"line", "src", "dst", "port", "protocol", "reason"}],
     "errors": ["file:line: …"]}
"""

from __future__ import annotations

from typing import Any

from stockade.netpol.flows import FlowReport
from stockade.report._common import dumps

TABLE_LIMIT = 50


def render_flows(rep: FlowReport, fmt: str) -> str:
    if fmt == "json":
        doc: dict[str, Any] = {
            "schema": "stockade.netpol.flows/1",
            "summary": _summary(rep),
            "blocked": [v.to_dict() for v in rep.blocked],
            "allowed": [v.to_dict() for v in rep.allowed],
            "allowed_never_seen": [
                {"src": s.id, "dst": d.id, "port": p, "protocol": proto} for s, d, p, proto in rep.unseen
            ],
            "unresolved": [
                {
                    "line": f.line,
                    "src": f.src.text(),
                    "dst": f.dst.text(),
                    "port": f.port,
                    "protocol": f.protocol,
                    "reason": why,
                }
                for f, why in rep.unresolved
            ],
            "errors": rep.errors,
        }
        return dumps(doc)
    s = _summary(rep)
    lines = [
        f"{s['flows']} flows: {s['allowed']} allowed, {s['blocked']} would be blocked, "
        f"{s['unresolved']} not in the manifests; {s['allowed_never_seen']} allowed connections never seen"
    ]
    if rep.blocked:
        lines.append("")
        lines.append("would be blocked:")
        for v in rep.blocked:
            d = v.to_dict()
            lines.append(
                f"  line {d['line']}: {d['src']} -> {d['dst']} {d['port']}/{d['protocol']} (x{d['count']})"
            )
            lines.extend(f"      {r}" for r in d["reasons"] if "denied" in r)
    if rep.allowed:
        lines.append("")
        lines.append("allowed:")
        for v in rep.allowed[:TABLE_LIMIT]:
            d = v.to_dict()
            by = ", ".join(d["policies"]) or "no policy isolates either side"
            lines.append(f"  {d['src']} -> {d['dst']} {d['port']}/{d['protocol']}  [{by}]")
        if len(rep.allowed) > TABLE_LIMIT:
            lines.append(f"  … {len(rep.allowed) - TABLE_LIMIT} more (--format json lists all)")
    if rep.unseen:
        lines.append("")
        lines.append("allowed but never seen (candidates to close):")
        for src, dst, port, proto in rep.unseen[:TABLE_LIMIT]:
            lines.append(f"  {src.id} -> {dst.id} {port}/{proto}")
        if len(rep.unseen) > TABLE_LIMIT:
            lines.append(f"  … {len(rep.unseen) - TABLE_LIMIT} more (--format json lists all)")
    if rep.unresolved:
        lines.append("")
        lines.append("not in the manifests:")
        for f, why in rep.unresolved[:TABLE_LIMIT]:
            lines.append(f"  line {f.line}: {f.src.text()} -> {f.dst.text()} {f.port}/{f.protocol}: {why}")
    return "\n".join(lines) + "\n"


def _summary(rep: FlowReport) -> dict[str, int]:
    return {
        "flows": len(rep.allowed) + len(rep.blocked) + len(rep.unresolved),
        "allowed": len(rep.allowed),
        "blocked": len(rep.blocked),
        "allowed_never_seen": len(rep.unseen),
        "unresolved": len(rep.unresolved),
        "errors": len(rep.errors),
    }

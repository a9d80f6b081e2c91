"""The connectivity matrix as text: table, JSON, Graphviz DOT, Mermaid, HTML.

JSON (documented in docs/netpol.md)::

    {"schema": "stockade.netpol.matrix/1", "ports": ["80/TCP", …] | null,
     "peers": [{"id", "namespace", "name", "kind", "labels", "ports", "ips"?, "replicas"?, …}],
     "connections": [{"src", "dst", "port", "protocol", "allowed", "policies": [...],
                      "allowed_ports"?}],
     "summary": {"peers", "classes", "pairs", "allowed_pairs", "probes", "allowed_probes"},
     "errors": ["file:line: …"]}

Every probe is one connection; ``port`` is null for a pair whose destination declares no ports when no
``--ports`` were given (``allowed_ports`` then says what is allowed, e.g. ``all`` or ``80/TCP``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from stockade.netpol.model import Peer
from stockade.netpol.reach import Matrix
from stockade.report._common import dumps

FORMATS = ("table", "json", "dot", "mermaid", "html")
#: above this many peers the table lists allowed pairs instead of drawing a grid
GRID_LIMIT = 40


def _cells(m: Matrix) -> Iterator[tuple[int, int, str, list[str]]]:
    """(src, dst, mark, allowed probes) for every pair; mark is . (all probes allowed), X (none), ~ (some)."""
    n = len(m.peers)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            ports = m.ports_between(i, j)
            probes = m.probes(j)
            if not probes:
                yield i, j, "." if ports.is_all else ("~" if ports else "X"), [ports.text()] if ports else []
                continue
            ok = [f"{p}/{proto}" for p, proto in probes if ports.contains(proto, p)]
            yield i, j, "." if len(ok) == len(probes) else ("~" if ok else "X"), ok


def summary(m: Matrix) -> dict[str, int]:
    return {"peers": len(m.peers), "classes": m.classes, **m.counts()}


def render(m: Matrix, fmt: str, *, with_policies: bool = True) -> str:
    if fmt == "json":
        return render_json(m, with_policies=with_policies)
    if fmt == "dot":
        return render_dot(m)
    if fmt == "mermaid":
        return render_mermaid(m)
    if fmt == "html":
        return render_html(m)
    return render_table(m)


def render_json(m: Matrix, *, with_policies: bool = True) -> str:
    doc: dict[str, Any] = {
        "schema": "stockade.netpol.matrix/1",
        "ports": [f"{p}/{proto}" for p, proto in m.probe_ports] if m.probe_ports is not None else None,
        "peers": [p.to_dict() for p in m.peers],
        "connections": [c.to_dict() for c in m.connections(with_policies=with_policies)],
        "summary": summary(m),
        "errors": list(m.cluster.errors),
    }
    return dumps(doc)


def _label(p: Peer) -> str:
    extra = f" ×{p.replicas}" if p.replicas not in (None, 1) else ""
    return f"{p.id}{extra}"


def render_table(m: Matrix) -> str:
    lines: list[str] = []
    s = summary(m)
    probes = ", ".join(f"{p}/{proto}" for p, proto in m.probe_ports) if m.probe_ports else "declared ports"
    lines.append(
        f"{s['peers']} peers ({s['classes']} equivalence classes), {len(m.cluster.policies)} policies; "
        f"probing {probes}: {s['allowed_pairs']}/{s['pairs']} pairs allowed"
    )
    if len(m.peers) <= GRID_LIMIT:
        names = [_label(p) for p in m.peers]
        width = max([len("from\\to"), *(len(n) for n in names)])
        grid: dict[tuple[int, int], str] = {(i, j): mark for i, j, mark, _ in _cells(m)}
        lines.append("")
        lines.append(" ".ljust(width) + "  " + " ".join(f"{k:>3}" for k in range(len(names))))
        for i, name in enumerate(names):
            row = " ".join(f"{grid.get((i, j), '-'):>3}" for j in range(len(names)))
            lines.append(f"{name.ljust(width)}  {row}   [{i}]")
        lines.append("")
        lines.append("columns are destinations by row number; . allowed, X denied, ~ some ports, - self")
    lines.append("")
    lines.append("allowed connections (src -> dst: ports):")
    shown = 0
    for i, j, mark, ok in _cells(m):
        if mark == "X":
            continue
        lines.append(f"  {m.peers[i].id} -> {m.peers[j].id}: {', '.join(ok)}")
        shown += 1
    if not shown:
        lines.append("  (none)")
    for err in m.cluster.errors:
        lines.append(f"error: {err}")
    return "\n".join(lines) + "\n"


def _node(p: Peer) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", p.id)


def _edges(m: Matrix) -> Iterator[tuple[Peer, Peer, str]]:
    for i, j, mark, ok in _cells(m):
        if mark != "X":
            yield m.peers[i], m.peers[j], ", ".join(ok)


def _by_namespace(m: Matrix) -> dict[str, list[Peer]]:
    out: dict[str, list[Peer]] = {}
    for p in m.peers:
        out.setdefault(p.namespace, []).append(p)
    return out


def render_dot(m: Matrix) -> str:
    lines = ["digraph netpol {", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];']
    for k, (ns, peers) in enumerate(sorted(_by_namespace(m).items())):
        lines.append(f"  subgraph cluster_{k} {{")
        lines.append(f'    label="{ns}";')
        for p in peers:
            lines.append(f'    {_node(p)} [label="{_label(p)}"];')
        lines.append("  }")
    for a, b, ports in _edges(m):
        lines.append(f'  {_node(a)} -> {_node(b)} [label="{ports}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_mermaid(m: Matrix) -> str:
    lines = ["flowchart LR"]
    for ns, peers in sorted(_by_namespace(m).items()):
        lines.append(f'  subgraph ns_{re.sub(r"[^A-Za-z0-9_]", "_", ns)}["{ns}"]')
        for p in peers:
            lines.append(f'    {_node(p)}["{_label(p)}"]')
        lines.append("  end")
    for a, b, ports in _edges(m):
        lines.append(f'  {_node(a)} -->|"{ports}"| {_node(b)}')
    return "\n".join(lines) + "\n"


def render_html(m: Matrix) -> str:
    s = summary(m)
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>stockade netpol matrix</title>',
        "<style>body{font-family:sans-serif}table{border-collapse:collapse;font-size:12px}"
        "td,th{border:1px solid #ccc;padding:2px 4px;text-align:center}"
        "th.r{text-align:left}.a{background:#c8f7c5}.d{background:#f7c5c5}.s{background:#f7efc5}"
        ".n{background:#eee}</style></head><body>",
        f"<h1>Connectivity matrix</h1><p>{s['peers']} peers, {len(m.cluster.policies)} policies, "
        f"{s['allowed_pairs']}/{s['pairs']} pairs allowed. Rows: source; columns: destination. "
        "Green: allowed, red: denied, yellow: some ports.</p>",
        "<table><tr><th>from \\ to</th>",
    ]
    out.extend(f"<th>{esc(_label(p))}</th>" for p in m.peers)
    out.append("</tr>")
    cells = {(i, j): (mark, ok) for i, j, mark, ok in _cells(m)}
    for i, p in enumerate(m.peers):
        out.append(f'<tr><th class="r">{esc(_label(p))}</th>')
        for j in range(len(m.peers)):
            if i == j:
                out.append('<td class="n">-</td>')
                continue
            mark, ok = cells[(i, j)]
            cls = {".": "a", "X": "d", "~": "s"}[mark]
            title = ", ".join(ok) if ok else "denied"
            out.append(f'<td class="{cls}" title="{esc(title)}">{esc(mark)}</td>')
        out.append("</tr>")
    out.append("</table>")
    if m.cluster.errors:
        out.append("<h2>Errors</h2><ul>")
        out.extend(f"<li>{esc(e)}</li>" for e in m.cluster.errors)
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"

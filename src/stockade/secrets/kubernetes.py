"""Kubernetes manifests: what a text scan cannot see.

- ``Secret`` objects: ``data`` values are base64 (Kubernetes API, "Secret" v1): each is decoded and
  scanned with the rules as ``KEY=value`` (so name-based rules apply too).  A value no rule recognises
  is still a committed secret: reported as ``kubernetes-secret-data`` unless it is empty, a placeholder,
  or a key that holds public material (``ca.crt``, ``tls.crt``, ``*.pub``, a user name, a host).
  ``stringData`` values are plain text, handled the same way.
- ``env`` entries of every container (``name`` and ``value`` on separate lines, which a line-oriented
  scan cannot pair) and ``ConfigMap`` ``data``: scanned as ``NAME=value``.

Positions come from :mod:`stockade.target.manifests`: each finding names the line of the key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stockade.model.finding import Finding
from stockade.model.inventory import Location
from stockade.secrets.allow import is_placeholder
from stockade.secrets.engine import Ruleset
from stockade.secrets.findings import hit_finding, make_finding
from stockade.secrets.mask import mask
from stockade.secrets.rules import KUBERNETES_SECRET_DATA
from stockade.secrets.validate import b64decode
from stockade.target.manifests import Document, Path, parse_stream

PUBLIC_KEYS = (
    "ca.crt",
    "tls.crt",
    "ca-bundle.crt",
    ".pub",
    "username",
    "user",
    "host",
    "hostname",
    "port",
    "database",
    "dbname",
    "namespace",
    "url",
    "endpoint",
    "region",
    ".crt",
    ".cert",
)
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def looks_like_manifest(text: str) -> bool:
    return "apiVersion" in text and "kind" in text


def _walk_containers(data: Any, at: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _CONTAINER_LISTS and isinstance(value, list):
                for i, c in enumerate(value):
                    if isinstance(c, dict):
                        yield (*at, key, i), c
            elif isinstance(value, (dict, list)):
                yield from _walk_containers(value, (*at, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _walk_containers(item, (*at, i))


def _values(doc: Document) -> Iterator[tuple[Path, str, str, bool]]:
    """``(path, name, value, in a Secret)`` for every value worth scanning."""
    data = doc.data
    if not isinstance(data, dict):
        return
    kind = data.get("kind")
    if kind == "List" and isinstance(data.get("items"), list):
        for i, item in enumerate(data["items"]):
            sub = Document(
                doc.path,
                doc.index,
                doc.line,
                item,
                {k[2:]: v for k, v in doc.positions.items() if k[:2] == ("items", i)},
            )
            for path, name, value, secret in _values(sub):
                yield ("items", i, *path), name, value, secret
        return
    if kind == "Secret":
        for section in ("data", "stringData"):
            entries = data.get(section)
            if isinstance(entries, dict):
                for key, value in entries.items():
                    if isinstance(value, str) and value:
                        if section == "data":
                            raw = b64decode(value)
                            if raw is None:
                                continue
                            value = raw.decode("latin-1")
                        yield (section, key), str(key), value, True
    elif kind == "ConfigMap":
        entries = data.get("data")
        if isinstance(entries, dict):
            for key, value in entries.items():
                if isinstance(value, str) and value:
                    yield ("data", key), str(key), value, False
    for at, container in _walk_containers(data, ()):
        env = container.get("env")
        if isinstance(env, list):
            for j, item in enumerate(env):
                if isinstance(item, dict) and isinstance(item.get("value"), str) and item["value"]:
                    yield (*at, "env", j, "value"), str(item.get("name", "")), item["value"], False


def scan_manifest_text(text: str, path: str, ruleset: Ruleset, target: str) -> list[Finding]:
    loaded = parse_stream(text, path)
    out: list[Finding] = []
    for doc in loaded.documents:
        for at, name, value, in_secret in _values(doc):
            line = doc.line_of(at)
            where = "Secret data" if in_secret else "manifest value"
            found = False
            for hit in ruleset.scan(f"{name}={value}" if "\n" not in value else value):
                found = True
                f = hit_finding(
                    hit, target=target, path=path, extra={"field": _label(at), "source": "kubernetes"}
                )
                out.append(_at_line(f, path, line, where))
            if found or not in_secret:
                continue
            key = name.lower()
            if key.endswith(PUBLIC_KEYS) or is_placeholder(value.strip()) or len(value.strip()) < 6:
                continue
            out.append(
                make_finding(
                    KUBERNETES_SECRET_DATA,
                    value,
                    target=target,
                    location=Location(path, line),
                    evidence=f"{name}: {mask(value)}",
                    metadata={"field": _label(at), "source": "kubernetes"},
                )
            )
    return out


def _at_line(f: Finding, path: str, line: int, where: str) -> Finding:
    from dataclasses import replace

    meta = {k: v for k, v in f.metadata.items() if k != "column"}
    return replace(f, location=Location(path, line), metadata={**meta, "found_in": where})


def _label(at: Path) -> str:
    out = ""
    for step in at:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out

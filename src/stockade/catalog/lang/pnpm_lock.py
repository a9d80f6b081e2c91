"""``pnpm-lock.yaml``, lockfileVersion 5.x (pnpm 6 and 7), 6.x (pnpm 8) and 9.x (pnpm 9 and 10).

Format: https://github.com/pnpm/spec/tree/master/lockfile (and pnpm's ``dependency-path`` package).
Every resolved package is a key of the top-level ``packages`` mapping:

* 5.x: ``/name/1.2.3`` and ``/@scope/name/1.2.3``; peer dependencies are a suffix after ``_``
  (``/use-sync-external-store/1.2.0_react@18.2.0``, ``/`` in a peer name written as ``+``).
* 6.x: ``/name@1.2.3`` and ``/@scope/name@1.2.3``; peers in parentheses (``/a@1.0.0(react@18.2.0)``).
* 9.x: ``name@1.2.3`` without the leading slash; peers appear only in ``snapshots``, which is not read.

An entry's own ``name``/``version`` fields (written for tarball, git and directory dependencies) win over
the key.  A key whose version is not a registry version (``file:``, ``link:``, URLs) and whose entry has
no ``version`` is a local directory and is not reported.  ``dev``/``optional`` (5.x, 6.x) go to metadata.
pnpm 10 may write two YAML documents (an environment lockfile first); ``packages`` of each are read.

Reading: pnpm writes block-style YAML with one ``key:`` line per package at two spaces of indentation and
its scalar fields at four.  A line scanner reads exactly that (name, version, dev, optional and each
entry's line), several times faster than building the whole document with a YAML loader, which matters
for lockfiles of tens of thousands of packages.  Anything the scanner does not recognise (flow style at
the top, odd indentation, anchors, tabs, quoting it does not handle) sends the file to PyYAML instead,
with the libyaml-backed ``CSafeLoader`` when available; entry lines then come from one module-level
regular expression over the ``packages:`` sections.  Both paths give the same result on pnpm's output
(the tests check it on every fixture) and YAML errors carry their line and column.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from stockade.catalog.common import json_type
from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang.npm_common import check_name_version, decode, npm_package, report
from stockade.errors import ParseError
from stockade.model.inventory import Package

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

WHAT = "pnpm-lock.yaml"
_SECTION = re.compile(r"^packages:[ \t]*$", re.MULTILINE)
_TOP_LEVEL = re.compile(r"^\S", re.MULTILINE)
_ENTRY_KEY = re.compile(r"^  (?! )(.+?):(?: \{\})?[ \t]*$", re.MULTILINE)


def _major(value: object) -> int | None:
    try:
        return int(str(value).split(".", 1)[0])
    except ValueError:
        return None


def split_key(key: str, major: int | None) -> tuple[str, str]:
    """Name and version (peer suffix removed) of a ``packages`` key; ``("", "")`` if it has none."""
    if key[:1] == "/":
        s = key[1:]
    elif major is not None and major < 9:
        return "", ""  # before 9.x only registry packages have keys starting with "/"
    else:
        s = key
    if major is not None and major < 6:
        cut = s.rfind("/")
        if cut <= 0:
            return "", ""
        return s[:cut], s[cut + 1 :].split("_", 1)[0]
    at = s.find("@", 1)
    if at < 0:
        return "", ""
    version = s[at + 1 :]
    paren = version.find("(")
    if paren >= 0:
        version = version[:paren]
    return s[:at], version


def _unquote_key(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1]
    return raw


def key_lines(text: str) -> dict[str, int]:
    """Line of every key in the ``packages:`` sections."""
    lines: dict[str, int] = {}
    for section in _SECTION.finditer(text):
        begin = section.end()
        nxt = _TOP_LEVEL.search(text, begin + 1)
        end = nxt.start() if nxt else len(text)
        lineno = text.count("\n", 0, begin) + 1
        last = begin
        for m in _ENTRY_KEY.finditer(text, begin, end):
            lineno += text.count("\n", last, m.start())
            last = m.start()
            lines.setdefault(_unquote_key(m.group(1)), lineno)
    return lines


def _load(text: str, path: str) -> list[Any]:
    try:
        return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = ": ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if mark is None:
            raise ParseError(WHAT, path, reason) from exc
        raise ParseError(WHAT, path, reason, line=mark.line + 1, column=mark.column + 1) from exc
    except yaml.YAMLError as exc:
        raise ParseError(WHAT, path, f"invalid YAML: {exc}") from exc
    except RecursionError as exc:
        raise ParseError(WHAT, path, "nested too deeply") from exc


class _NotPlain(Exception):
    """The fast scanner met YAML it does not handle; the file is read with the YAML loader instead."""


_WANTED = frozenset({"name", "version", "dev", "optional"})
_SPECIAL = {"true": True, "false": False, "True": True, "False": False, "null": None, "~": None, "": None}


def _scalar(raw: str) -> object:
    """A block-style YAML scalar as PyYAML's safe loader would resolve it (the cases pnpm writes)."""
    if raw[:1] == "'":
        if len(raw) < 2 or raw[-1] != "'":
            raise _NotPlain
        return raw[1:-1].replace("''", "'")
    if raw[:1] == '"':
        try:
            value = json.loads(raw)
        except ValueError:
            raise _NotPlain from None
        return value
    if raw[:1] in ("{", "[", "|", ">", "&", "*", "!", "%", "@", "`"):
        raise _NotPlain
    if " #" in raw:
        raw = raw.split(" #", 1)[0].rstrip()
    if raw in _SPECIAL:
        return _SPECIAL[raw]
    if raw[:1].isdigit() or raw[:1] in "+-.":
        for conv in (int, float):
            try:
                return conv(raw)
            except ValueError:
                pass
    return raw


Entry = tuple[str, dict[str, object], int]


def scan(text: str) -> list[tuple[int | None, list[Entry]]]:
    """The ``packages:`` sections of a block-style lockfile as pnpm writes it, without a YAML parser:
    ``[(major version, [(key, {name, version, dev, optional}, line), ...]), ...]``.  Raises
    :class:`_NotPlain` on anything else (flow style at the top, odd indentation, anchors ...)."""
    sections: list[tuple[int | None, list[Entry]]] = []
    major: int | None = None
    entries: list[Entry] | None = None
    fields: dict[str, object] = {}
    seen_version = False
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line or line[0] == "#":
            continue
        if line[0] != " ":
            entries = None
            if line.startswith("lockfileVersion:"):
                major = _major(_scalar(line[16:].strip()))
                seen_version = True
            elif line.rstrip() == "packages:":
                entries = []
                sections.append((major, entries))
            elif line.startswith("---"):
                major = None
            elif not seen_version or line[0] == "\t" or (line.rstrip()[-1:] != ":" and ": " not in line):
                raise _NotPlain
            continue
        if entries is None:
            continue
        body = line.lstrip(" ")
        if not body or body[0] == "#":
            continue
        indent = len(line) - len(body)
        if indent == 2:
            body = body.rstrip()
            if body.endswith(": {}"):
                raw = body[:-4]
            elif body.endswith(":"):
                raw = body[:-1]
            else:
                raise _NotPlain
            key = _scalar(raw)
            if not isinstance(key, str):
                raise _NotPlain
            fields = {}
            entries.append((key, fields, lineno))
        elif indent == 4:
            name, _, value = body.partition(":")
            if name in _WANTED:
                fields[name] = _scalar(value.strip())
        elif indent < 4 or not entries:
            raise _NotPlain
    if not seen_version:
        raise _NotPlain
    return sections


def _from_yaml(text: str, path: str) -> list[tuple[int | None, list[Entry]]]:
    lines: dict[str, int] | None = None
    sections: list[tuple[int | None, list[Entry]]] = []
    for doc in _load(text, path):
        if not isinstance(doc, dict):
            raise ParseError(WHAT, path, f"the top level is {json_type(doc)}, expected a mapping")
        packages = doc.get("packages")
        if packages is None:
            continue
        if not isinstance(packages, dict):
            raise ParseError(WHAT, path, f"'packages' is {json_type(packages)}, expected a mapping")
        if lines is None:
            lines = key_lines(text)
        entries: list[Entry] = []
        for key, entry in packages.items():
            skey = key if isinstance(key, str) else repr(key)
            if entry is None:
                fields: dict[str, object] = {}
            elif isinstance(entry, dict):
                fields = {k: entry[k] for k in _WANTED if k in entry}
            else:
                fields = {"": entry}
            entries.append((skey, fields, lines.get(skey, 0)))
        sections.append((_major(doc.get("lockfileVersion")), entries))
    return sections


def parse_pnpm_lock(ctx: CatalogContext, path: str, data: bytes) -> list[Package]:
    text = decode(data, path, WHAT)
    try:
        sections = scan(text)
    except _NotPlain:
        sections = _from_yaml(text, path)
    out: list[Package] = []
    errors: list[str] = []
    for major, entries in sections:
        _read_packages(path, entries, major, out, errors)
    report(ctx, path, WHAT, errors, len(out))
    return out


def _read_packages(
    path: str, entries: list[Entry], major: int | None, out: list[Package], errors: list[str]
) -> None:
    for key, entry, line in entries:
        if "" in entry:
            errors.append(f"entry {key!r} is {json_type(entry[''])}, expected a mapping")
            continue
        name = entry.get("name")
        version = entry.get("version")
        if name is None or version is None:
            kname, kversion = split_key(key, major)
            if name is None:
                name = kname or None
            if version is None:
                if not kversion or ":" in kversion or "/" in kversion:
                    continue  # a directory, tarball or git dependency that records no version
                version = kversion
        why = check_name_version(name, version)
        if why is not None:
            errors.append(f"entry {key!r}: {why}")
            continue
        assert isinstance(name, str) and isinstance(version, str)
        meta: dict[str, Any] = {}
        if entry.get("dev") is True:
            meta["dev"] = True
        if entry.get("optional") is True:
            meta["optional"] = True
        if key.startswith(("file:", "link:")) or "@file:" in key or "@link:" in key:
            meta["local"] = True
        out.append(npm_package(name, version, path, line or None, meta))

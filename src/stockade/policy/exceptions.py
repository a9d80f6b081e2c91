"""The exceptions file: ``.stockade/exceptions.yaml``.  Format (version 1), documented in docs/exceptions.md:

.. code-block:: yaml

    version: 1
    exceptions:
      - id: STK-K8S-0007            # one check id, or a list of them; exact ids, no wildcards
        scope:                       # every field given must match; at least one is required
          path: "deploy/legacy/**"   # glob on the finding's file path
          kind: Deployment           # exact
          namespace: payments        # exact
          name: legacy-api           # exact, or a glob
          labels: {team: payments}   # every label given must be on the object, with that value
        reason: "vendor image needs root until 2027 migration"   # required, non-empty
        owner: "payments-team@example.com"                         # required, non-empty
        expires: 2027-03-31          # required, ISO date: the last day the exception applies

Rules:

- An exception covers a finding when the finding's id is one of its ids, every scope field given matches
  and it has not expired (``today <= expires``).  The first such exception, in file order, is recorded.
- ``kind``, ``namespace``, ``name`` and ``labels`` describe a Kubernetes object: a finding that is not
  about one (a Dockerfile finding) is covered only by a scope of ``path`` alone.  An object without
  ``metadata.namespace`` has no namespace here; a ``namespace`` scope does not match it.
- ``path`` is matched against the finding's file path as given (``./`` and ``a/../`` removed) and, when
  the exceptions file lives in ``<dir>/.stockade/``, against the path relative to ``<dir>`` too, so that
  ``deploy/**`` works whether the scan was started in ``<dir>`` or was given absolute paths.  Globs:
  :mod:`stockade.policy.globs`; a trailing ``/`` means everything under that directory.  A pattern of
  wildcards alone (``**``, ``*``) is refused, for ``path`` and ``name``: it would cover everything.
- An expired exception no longer applies; :meth:`ExceptionSet.expired` lists them for the scan to report.
- A malformed file is an :class:`ExceptionsFileError` (exit code 2) naming ``file:line`` and what was
  expected, for every problem in the file at once: unknown keys, missing keys, wrong types, empty values,
  an empty scope, a bad id, a bad date, an unsupported version.  It never means "suppress nothing".
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from stockade.errors import ParseError
from stockade.policy import DEFAULT_PATH
from stockade.policy.exception_set import ExceptionEntry, ExceptionSet, Scope, default_root
from stockade.policy.globs import is_glob, matches_anything
from stockade.policy.suppression import CHECK_ID_PATTERN, is_check_id, parse_date, type_name
from stockade.target.manifests import Document, load_file
from stockade.target.manifests import Path as KeyPath

FORMAT_VERSION = 1
TOP_KEYS = ("version", "exceptions")
ENTRY_KEYS = ("id", "scope", "reason", "owner", "expires")
SCOPE_KEYS = ("path", "kind", "namespace", "name", "labels")
DOCS_HINT = "see docs/exceptions.md for the format of the exceptions file"

__all__ = [
    "DEFAULT_PATH",
    "ExceptionEntry",
    "ExceptionSet",
    "ExceptionsFileError",
    "Problem",
    "Scope",
    "default_root",
    "load_exceptions",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the file."""

    line: int
    message: str
    column: int | None = None


class ExceptionsFileError(ParseError):
    """The exceptions file is malformed.  ``problems`` holds every problem found, by line; the message names
    the one problem with its ``file:line``, or lists them all, one ``file:line: …`` a line."""

    def __init__(self, path: str, problems: Sequence[Problem]) -> None:
        ordered = sorted(problems, key=lambda p: (p.line, p.message))
        first = ordered[0]
        super().__init__(
            "exceptions file", path, first.message, line=first.line, column=first.column, hint=DOCS_HINT
        )
        if len(ordered) > 1:
            listed = "".join(f"\n  {path}:{p.line}: {p.message}" for p in ordered)
            self.message = f"failed to parse exceptions file: {path}: {len(ordered)} problems:{listed}"
            self.args = (self.message,)
        self.problems = tuple(ordered)


def load_exceptions(
    path: str, *, root: str | None = None, known_ids: Collection[str] | None = None
) -> ExceptionSet:
    """Read and check the exceptions file at ``path``.  ``root``: the directory ``path`` scopes are also
    relative to (default: the directory holding ``.stockade/``, see :func:`default_root`).  ``known_ids``:
    the ids of the checks that exist; an exception for any other id is a problem (a typo would otherwise
    suppress nothing, silently).  Raises :class:`ExceptionsFileError` listing every problem."""
    try:
        loaded = load_file(path)
    except ValueError as exc:  # PyYAML builds an impossible date such as 2027-02-30 with date() and fails
        raise ExceptionsFileError(path, [_locate_bad_scalar(path, exc)]) from None
    problems = [Problem(e.line or 1, e.reason, e.column) for e in loaded.errors]
    if problems:
        raise ExceptionsFileError(path, problems)
    docs = loaded.documents
    if len(docs) != 1:
        at = docs[1].line if len(docs) > 1 else 1
        found = f"{len(docs)} documents" if docs else "an empty file"
        expected = "expected one YAML document: a mapping with 'version: 1' and 'exceptions'"
        raise ExceptionsFileError(path, [Problem(at, f"{expected}, found {found}")])
    reader = _Reader(docs[0], known_ids)
    entries = reader.read()
    if reader.problems:
        raise ExceptionsFileError(path, reader.problems)
    return ExceptionSet(tuple(entries), path, root if root is not None else default_root(path))


class _Reader:
    """Checks the document and builds the entries, collecting every problem with its line."""

    def __init__(self, doc: Document, known_ids: Collection[str] | None) -> None:
        self.doc = doc
        self.known_ids = known_ids
        self.problems: list[Problem] = []

    def problem(self, at: KeyPath, message: str) -> None:
        label = _label(at)
        self.problems.append(Problem(self.doc.line_of(at), f"{label}: {message}" if label else message))

    def keys(
        self, data: dict[Any, Any], at: KeyPath, allowed: Sequence[str], required: Sequence[str]
    ) -> None:
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                guess = f"did you mean '{close[0]}'? " if close else ""
                self.problem(
                    (*at, key), f"unknown key '{key}' ({guess}expected one of: {', '.join(allowed)})"
                )
        for key in required:
            if key not in data:
                self.problem(at, f"missing required key '{key}'")

    def read(self) -> list[ExceptionEntry]:
        data = self.doc.data
        if not isinstance(data, dict):
            self.problem((), f"expected a mapping with 'version: 1' and 'exceptions', got {type_name(data)}")
            return []
        self.keys(data, (), TOP_KEYS, TOP_KEYS)
        version = data.get("version", FORMAT_VERSION)
        if isinstance(version, bool) or not isinstance(version, int):
            self.problem(("version",), f"expected the number {FORMAT_VERSION}, got {type_name(version)}")
        elif version != FORMAT_VERSION:
            self.problem(
                ("version",), f"unsupported version {version} (this stockade reads version {FORMAT_VERSION})"
            )
        items = data.get("exceptions", [])
        if not isinstance(items, list):
            self.problem(
                ("exceptions",), f"expected a list of exceptions (use [] for none), got {type_name(items)}"
            )
            return []
        entries = []
        for i, item in enumerate(items):
            entry = self.entry(item, ("exceptions", i))
            if entry is not None:
                entries.append(entry)
        return entries

    def entry(self, item: Any, at: KeyPath) -> ExceptionEntry | None:
        if not isinstance(item, dict):
            self.problem(at, f"expected a mapping with keys {', '.join(ENTRY_KEYS)}, got {type_name(item)}")
            return None
        before = len(self.problems)
        self.keys(item, at, ENTRY_KEYS, ENTRY_KEYS)
        ids = self.ids(item["id"], (*at, "id")) if "id" in item else ()
        scope = self.scope(item["scope"], (*at, "scope")) if "scope" in item else None
        reason = self.text(item, "reason", at)
        owner = self.text(item, "owner", at)
        expires: date | str | None = None
        if "expires" in item:
            expires = parse_date(item["expires"])
            if isinstance(expires, str):
                self.problem((*at, "expires"), expires)
        if len(self.problems) > before or scope is None or not isinstance(expires, date):
            return None
        return ExceptionEntry(ids, scope, reason, owner, expires, self.doc.path, self.doc.line_of(at))

    def ids(self, value: Any, at: KeyPath) -> tuple[str, ...]:
        items: list[tuple[KeyPath, Any]]
        if isinstance(value, list):
            if not value:
                self.problem(at, "expected a check id or a non-empty list of check ids, got an empty list")
            items = [((*at, i), v) for i, v in enumerate(value)]
        else:
            items = [(at, value)]
        out: list[str] = []
        for where, v in items:
            if not isinstance(v, str):
                self.problem(where, f"expected a check id such as STK-K8S-0007, got {type_name(v)}")
            elif not is_check_id(v):
                why = " (exact ids only: no wildcards)" if is_glob(v) else ""
                self.problem(where, f"expected a check id matching {CHECK_ID_PATTERN}, got {v!r}{why}")
            elif self.known_ids is not None and v not in self.known_ids:
                close = difflib.get_close_matches(v, list(self.known_ids), n=1)
                self.problem(
                    where, f"no check has the id {v}" + (f" (did you mean {close[0]}?)" if close else "")
                )
            elif v not in out:
                out.append(v)
        return tuple(out)

    def scope(self, value: Any, at: KeyPath) -> Scope | None:
        if not isinstance(value, dict):
            self.problem(
                at, f"expected a mapping with one or more of {', '.join(SCOPE_KEYS)}, got {type_name(value)}"
            )
            return None
        if not value:
            self.problem(
                at, f"empty scope: give at least one of {', '.join(SCOPE_KEYS)} (exceptions stay narrow)"
            )
            return None
        before = len(self.problems)
        self.keys(value, at, SCOPE_KEYS, ())
        fields: dict[str, str] = {}
        for key in ("path", "kind", "namespace", "name"):
            if key not in value:
                continue
            v = value[key]
            where = (*at, key)
            if not isinstance(v, str) or not v.strip():
                self.problem(
                    where,
                    f"expected a non-empty string, got {type_name(v) if v != '' else 'an empty string'}",
                )
            elif key in ("kind", "namespace") and is_glob(v):
                self.problem(where, f"{key} is matched exactly: globs are not allowed, got {v!r}")
            elif key in ("path", "name") and matches_anything(v):
                self.problem(
                    where, f"{v!r} matches every {key}: name the {'files' if key == 'path' else 'objects'}"
                )
            else:
                fields[key] = v
        labels: dict[str, str] = {}
        if "labels" in value:
            labels = self.labels(value["labels"], (*at, "labels"))
        if len(self.problems) > before:
            return None
        return Scope(labels=tuple(labels.items()), **fields)

    def labels(self, value: Any, at: KeyPath) -> dict[str, str]:
        if not isinstance(value, dict) or not value:
            got = "an empty mapping" if isinstance(value, dict) else type_name(value)
            self.problem(at, f"expected a mapping of label names to values, got {got}")
            return {}
        out: dict[str, str] = {}
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                bad = k if not isinstance(k, str) else v
                self.problem(
                    (*at, k), f"label names and values are strings (quote them), got {type_name(bad)}"
                )
            else:
                out[k] = v
        return out

    def text(self, item: dict[Any, Any], key: str, at: KeyPath) -> str:
        if key not in item:
            return ""
        v = item[key]
        if not isinstance(v, str) or not v.strip():
            got = "an empty string" if isinstance(v, str) else type_name(v)
            self.problem((*at, key), f"expected a non-empty string, got {got}")
            return ""
        return v.strip()


def _label(at: KeyPath) -> str:
    out = ""
    for step in at:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _locate_bad_scalar(path: str, exc: ValueError) -> Problem:
    """The line of the scalar PyYAML could not build (an impossible date), found by composing the file."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
        constructor = yaml.SafeLoader("")
        for root in yaml.compose_all(text, Loader=yaml.SafeLoader):
            stack: list[yaml.Node] = [root] if root is not None else []
            while stack:
                node = stack.pop()
                if isinstance(node, yaml.ScalarNode):
                    try:
                        constructor.construct_object(node, deep=True)
                    except ValueError:
                        return Problem(
                            node.start_mark.line + 1,
                            f"invalid value {node.value!r}: {exc}",
                            node.start_mark.column + 1,
                        )
                elif isinstance(node, yaml.MappingNode):
                    stack.extend(v for pair in reversed(node.value) for v in reversed(pair))
                elif isinstance(node, yaml.SequenceNode):
                    stack.extend(reversed(node.value))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        pass
    return Problem(1, f"invalid value: {exc}")

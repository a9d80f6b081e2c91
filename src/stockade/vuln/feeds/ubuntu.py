"""Ubuntu CVE tracker (UCT) per-CVE files (git.launchpad.net/ubuntu-cve-tracker; format in its
``README``, "Package Status")::

    Candidate: CVE-2019-1010204
    PublicDate: 2019-07-23 14:15:00 UTC
    Priority: low
    CVSS:
     nvd: CVSS:3.0/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H
    Patches_binutils:
    upstream_binutils: needs-triage
    trusty/esm_binutils: deferred (2020-03-24)
    bionic_binutils: released (2.30-21ubuntu1~18.04.3)

One :class:`Advisory` per file (id = ``Candidate``, source ``ubuntu-uct``), one affected entry per
``<release>_<source>: <status> (<note>)`` line, in ecosystem ``Ubuntu:<version>`` (``bionic`` →
``Ubuntu:18.04``).  ESM releases (``trusty/esm``, ``esm-infra/xenial``, ``esm-apps/focal``,
``trusty-esm``) are a separate ecosystem ``Ubuntu:Pro:<version>``, as Canonical's own OSV names them
(``Ubuntu:Pro:14.04:LTS``, minus the ``:LTS`` that ``Ubuntu:<version>`` leaves out): the tracker gives
an ESM release its own status and fixed version (``+esm1``), which would contradict the base release's
line if both were one ecosystem.  ``devel`` is the release after the newest named one (the tracker
copies ``devel_`` lines to the new name at each release: README "Stable Release Actions"); that is
read from ``00boilerplate`` when the directory has one, else from the file's own lines.

Statuses: ``released``/``released-esm (v)`` → range ECOSYSTEM introduced ``0`` fixed v;
``needed``/``active``/``pending``/``needs-triage`` → UNFIXED (``needs-triage`` counts as affected, as
anchore/vunnel's ubuntu provider does; ``pending``'s version is kept in ``extra["pending"]``);
``ignored``/``deferred`` → WONT_FIX (the note in ``extra["reason"]``); ``not-affected`` →
NOT_AFFECTED; ``DNE`` (the package does not exist there) → no entry.  ``upstream_`` lines are not a
release and give no entry.  Lines for releases that are no Ubuntu version (``product``,
``vivid/ubuntu-core``, ``vivid/stable-phone-overlay``, ``snap``) are skipped and counted in one
SKIPPED status per read.  A ``released`` note listing several versions gives the first (the one
the release got).  Lines starting ``#`` or ``--`` are comments.  ``Priority`` (or
``Priority_<pkg>``) is the severity label; ``nvd:`` CVSS vectors go to ``severity``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from stockade.model.advisory import Advisory, Affected, AffectedState, FeedRecord, Range, RangeType
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.common import iter_files, read_head, rfc3339
from stockade.vuln.feeds.interface import FeedReader

NAME = "ubuntu"
SOURCE = "ubuntu-uct"

#: code name → version, in release order (wiki.ubuntu.com/Releases)
RELEASES: dict[str, str] = {
    "warty": "4.10", "hoary": "5.04", "breezy": "5.10", "dapper": "6.06", "edgy": "6.10",
    "feisty": "7.04", "gutsy": "7.10", "hardy": "8.04", "intrepid": "8.10", "jaunty": "9.04",
    "karmic": "9.10", "lucid": "10.04", "maverick": "10.10", "natty": "11.04", "oneiric": "11.10",
    "precise": "12.04", "quantal": "12.10", "raring": "13.04", "saucy": "13.10", "trusty": "14.04",
    "utopic": "14.10", "vivid": "15.04", "wily": "15.10", "xenial": "16.04", "yakkety": "16.10",
    "zesty": "17.04", "artful": "17.10", "bionic": "18.04", "cosmic": "18.10", "disco": "19.04",
    "eoan": "19.10", "focal": "20.04", "groovy": "20.10", "hirsute": "21.04", "impish": "21.10",
    "jammy": "22.04", "kinetic": "22.10", "lunar": "23.04", "mantic": "23.10", "noble": "24.04",
    "oracular": "24.10", "plucky": "25.04", "questing": "25.10", "resolute": "26.04",
}  # fmt: skip
_ORDER = list(RELEASES)
_ESM = re.compile(r"^(?:(?P<a>[a-z]+)(?:/esm|-esm)|esm-(?:infra|apps|infra-legacy)/(?P<b>[a-z]+))$")
_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]*$")
#: ``release_package: status (note)``, without ``upstream_`` lines and ``DNE`` or empty statuses
_STATUS = re.compile(
    r"^(?!upstream_)([a-z][a-z0-9/+.-]*)_([^:\s]+):[ \t]*(?!DNE\b)([A-Za-z-]+)[ \t]*(.*)$", re.MULTILINE
)
_RELEASE_NAMES = re.compile(r"^([a-z][a-z0-9/+.-]*)_[^:\s]+:", re.MULTILINE)
_FIELD = re.compile(r"^([A-Z][A-Za-z0-9_.+/-]*):[ \t]*(.*)((?:\n[ \t].*)*)", re.MULTILINE)
#: a line that is no field, status, continuation (indented), comment (``#``, ``--``) or blank line
_BAD = re.compile(
    r"^(?![ \t#\n]|--)(?![a-z][a-z0-9/+.-]*_[^:\s]+:)(?![A-Za-z][A-Za-z0-9_.+/-]*:).+$", re.MULTILINE
)
_EVERY = (Range(RangeType.ECOSYSTEM, (("introduced", "0"),)),)
_UNFIXED = frozenset(("needed", "active", "pending", "needs-triage"))
_WONT_FIX = frozenset(("ignored", "deferred"))
_FIXED = frozenset(("released", "released-esm"))


def ecosystem(release: str, devel: str | None) -> str | None:
    """``bionic`` → ``Ubuntu:18.04``, ``trusty/esm`` → ``Ubuntu:Pro:14.04``; None for anything else."""
    if release == "devel":
        release = devel or ""
    if release in RELEASES:
        return f"Ubuntu:{RELEASES[release]}"
    esm = _ESM.match(release)
    if esm:
        base = esm["a"] or esm["b"]
        if base in RELEASES:
            return f"Ubuntu:Pro:{RELEASES[base]}"
    return None


def devel_after(releases: list[str]) -> str | None:
    """The release after the newest of ``releases`` (code names, ESM forms allowed)."""
    newest = -1
    for name in releases:
        esm = _ESM.match(name)
        base = (esm["a"] or esm["b"]) if esm else name
        if base in RELEASES:
            newest = max(newest, _ORDER.index(base))
    if newest < 0 or newest + 1 >= len(_ORDER):
        return None
    return _ORDER[newest + 1]


class UbuntuReader(FeedReader):
    NAME = NAME
    DESCRIPTION = "Ubuntu CVE tracker per-CVE files (active/, retired/, ignored/)"
    CLAIMS_DIRECTORIES = True

    def __init__(self) -> None:
        self._devel: str | None = None  # the devel release of the directory being read, when known
        self._skipped: Counter[str] = Counter()  # release → status lines skipped

    @classmethod
    def detect(cls, path: str) -> bool:
        if os.path.isdir(path):
            return _uct_dir(path) or _uct_dir(os.path.join(path, "active"))
        base = os.path.basename(path)
        if not base.startswith(("CVE-", "EMB-")):
            return False
        head = read_head(path, 2048)
        return b"Candidate:" in head and b"\n" in head

    def read(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        self._devel = None
        self._skipped = Counter()
        if os.path.isdir(path):
            self._devel = _boilerplate_devel(path)
        yield from super().read(path, problems)
        if self._skipped:
            names = ", ".join(sorted(self._skipped))
            total = sum(self._skipped.values())
            reason = f"skipped {total} status lines of releases that are no Ubuntu version: {names}"
            self.problem(problems, path, reason, StatusKind.SKIPPED)

    def files(self, root: str) -> Iterator[str]:
        for file in iter_files(root):
            if os.path.basename(file).startswith(("CVE-", "EMB-")) and self.detect(file):
                yield file

    def read_file(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError as exc:
            self.problem(problems, path, f"could not be read: {exc.strerror or exc}")
            return
        yield self.parse(text, path, problems)

    def parse(self, text: str, path: str, problems: list[Status]) -> Advisory:
        """One UCT file.  Regular-expression passes over the whole text (fields, status lines, lines that
        are neither) rather than a Python loop over the tracker's ~470k lines: about 1.5 times faster."""
        for bad in _BAD.finditer(text):
            self._bad(
                problems,
                path,
                _lineno(text, bad.start()),
                "expected 'Field: value' or 'release_package: status'",
            )
        fields: dict[str, list[str]] = {}
        for m in _FIELD.finditer(text):
            values = fields.setdefault(m[1], [])
            values.append(m[2].strip())
            if m[3]:
                values.extend(v.strip() for v in m[3].splitlines() if v.strip())
        candidate = " ".join(fields.get("Candidate", [])).strip() or os.path.basename(path)
        devel = self._devel or devel_after(sorted(set(_RELEASE_NAMES.findall(text))))
        priority = _first(fields.get("Priority"))
        ecosystems: dict[str, str | None] = {}
        affected = []
        for release, package, status, note in _STATUS.findall(text):  # DNE and upstream_ lines excluded
            eco = ecosystems.get(release, "")
            if eco == "":
                eco = ecosystems[release] = ecosystem(release, devel)
            if eco is None:
                self._skipped[release] += 1
                continue
            entry = self._affected(
                eco, release, package, status, note.strip().strip("()[]").strip(), fields, priority
            )
            if isinstance(entry, str):
                self._bad(problems, path, _lineno(text, text.find(f"{release}_{package}:")), entry)
            else:
                affected.append(entry)
        return Advisory(
            id=candidate,
            source=SOURCE,
            affected=tuple(affected),
            summary=" ".join(fields.get("Ubuntu-Description", [])).strip(),
            details=" ".join(v for v in fields.get("Description", []) if v).strip(),
            published=rfc3339(_first(fields.get("PublicDate")) or "") or None,
            severity=_cvss(fields.get("CVSS", [])),
            severity_label=priority,
            references=tuple(v for v in fields.get("References", []) if v),
            extra=_extra(fields),
        )

    def _affected(
        self,
        eco: str,
        release: str,
        package: str,
        status: str,
        note: str,
        fields: dict[str, list[str]],
        priority: str | None,
    ) -> Affected | str:
        if not _PACKAGE.match(package):
            return f"{release}_{package}: not a source package name"
        severity = _first(fields.get(f"Priority_{package}")) or priority
        extra: dict[str, Any] = {"status": status}
        if status in _FIXED:
            version = note.split(",")[0].strip()  # "released (0.27-1+deb7u1build0.12.04.1, 0.28-1+deb8u1)"
            if not version or " " in version:
                return f"{release}_{package}: '{status}' without a version"
            fixed = Range(RangeType.ECOSYSTEM, (("introduced", "0"), ("fixed", version)))
            return Affected(eco, package, (fixed,), severity=severity, extra=extra)
        if note:
            extra["pending" if status == "pending" else "reason"] = note
        if status in _UNFIXED:
            return Affected(eco, package, _EVERY, state=AffectedState.UNFIXED, severity=severity, extra=extra)
        if status in _WONT_FIX:
            return Affected(
                eco, package, _EVERY, state=AffectedState.WONT_FIX, severity=severity, extra=extra
            )
        if status == "not-affected":
            return Affected(eco, package, state=AffectedState.NOT_AFFECTED, severity=severity, extra=extra)
        return f"{release}_{package}: unknown status {status!r}"

    def _bad(self, problems: list[Status], path: str, lineno: int, what: str) -> None:
        self.problem(problems, path, f"failed to parse UCT file: line {lineno}: {what}", StatusKind.PARTIAL)


def _lineno(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _first(values: list[str] | None) -> str | None:
    for value in values or ():
        if value.strip():
            return value.strip()
    return None


def _cvss(lines: list[str]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for line in lines:
        for token in line.split():
            if token.startswith("CVSS:3."):
                out.append(("CVSS_V3", token))
            elif token.startswith("CVSS:4."):
                out.append(("CVSS_V4", token))
    return tuple(dict.fromkeys(out))


def _extra(fields: dict[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("Notes", "Bugs", "Mitigation", "Assigned-to", "Discovered-by", "CRD", "PublicDateAtUSN"):
        values = [v for v in fields.get(key, []) if v]
        if values:
            out[key] = values if key in ("Notes", "Bugs") else " ".join(values)
    patches = {k[8:]: [v for v in vs if v] for k, vs in fields.items() if k.startswith("Patches_")}
    patches = {k: v for k, v in patches.items() if v}
    if patches:
        out["patches"] = patches
    return out


def _uct_dir(path: str) -> bool:
    """A directory holding UCT files (``00boilerplate`` or a ``CVE-*`` file with ``Candidate:``)."""
    try:
        with os.scandir(path) as it:
            for n, entry in enumerate(it):
                if entry.name == "00boilerplate":
                    return True
                if entry.name.startswith("CVE-") and entry.is_file():
                    return UbuntuReader.detect(entry.path)
                if n > 5000:
                    break
    except OSError:
        return False
    return False


def _boilerplate_devel(root: str) -> str | None:
    """The devel release implied by the newest release the tracker's ``00boilerplate`` lists."""
    for candidate in (os.path.join(root, "00boilerplate"), os.path.join(root, "active", "00boilerplate")):
        try:
            with open(candidate, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        names = re.findall(r"^#?([a-z][a-z0-9/+.-]*)_PKG:", text, re.MULTILINE)
        return devel_after([n for n in names if n not in ("upstream", "devel")])
    return None

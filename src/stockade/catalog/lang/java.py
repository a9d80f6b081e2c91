"""Java archives (jar, war, ear and their look-alikes) and the archives nested inside them.

Evidence, strongest first (``metadata["evidence"]`` says which one identified a package):

1. ``pom.properties`` — every ``META-INF/maven/<groupId>/<artifactId>/pom.properties`` is a Maven package;
   a shaded ("fat") jar carries one per library folded into it.  Authoritative (Maven writes it from the
   POM).  The one that describes the archive itself is chosen by
   :func:`~stockade.catalog.lang.javameta.own_pom_properties` (file name, then manifest version); the
   others are marked ``"shaded": true``.  When none describes the archive itself, the manifest (not the
   file name alone) may add the archive as one more package.
2. ``pom.xml`` — only when no ``pom.properties`` exists: ``META-INF/maven/<g>/<a>/pom.xml``, the group
   and version inherited from ``<parent>``; a version left as ``${property}`` falls through to step 3 with
   the pom.xml's group and artifact.
3. ``manifest`` — ``META-INF/MANIFEST.MF`` main section (JAR File Specification).  Version from
   ``Implementation-Version``, ``Bundle-Version``, the file name, then ``Specification-Version``; name from
   the file name when it has the ``artifactId-version`` shape, else ``Implementation-Title``,
   ``Bundle-SymbolicName``, ``Specification-Title`` (titles with white space are human names, not
   artifact ids, and are skipped); group from ``Implementation-Vendor-Id`` (which Maven's archiver used to
   fill with the groupId).  ``name_source``/``version_source``/``group_source`` record the fields used.
4. ``filename`` — ``artifactId-version.jar`` only; weak (``"confidence": "low"``).

An archive whose version cannot be found by any of these gives no package (it is not an error).

Nested archives (``BOOT-INF/lib/*.jar``, ``WEB-INF/lib/*.jar``, the modules of an ear, any entry with an
archive extension) are read recursively in memory, at most :data:`MAX_DEPTH` levels below the file.
Their location is the outer path, ``!/`` and the entry name, as in Java's ``jar:`` URLs:
``/srv/app.ear!/web.war!/WEB-INF/lib/commons-io-2.11.0.jar``.  Problems inside an archive are reported
with the same kind of path (``/srv/app.jar!/META-INF/MANIFEST.MF``).

Archives are read with :mod:`stockade._internal.zipindex`, which finds only the entries named above in
the central directory (:data:`JAVA_ENTRIES`), without an object per ``.class`` file.

Limits (zip bombs, huge entries): metadata entries are read up to :data:`MAX_METADATA_SIZE`, nested
archives up to :data:`MAX_NESTED_SIZE`, and everything read from one file and its nested archives
together up to :data:`MAX_TOTAL_SIZE` decompressed bytes; a central directory over
:data:`MAX_CENTRAL_DIRECTORY` bytes is not parsed (it is read in one piece).  What is over a
limit becomes a ``skipped`` status and the rest is still read.  Entries that are neither metadata nor
archives (classes, resources) are never decompressed.  All limits are constructor arguments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, BinaryIO

from stockade._internal.zipindex import Entry, NameFilter, ZipIndex, ZipIndexError, check_end
from stockade.catalog.common import make_package
from stockade.catalog.interface import CatalogContext, FileCataloger
from stockade.catalog.lang.javameta import (
    Identity,
    decode_text,
    from_manifest,
    identify_from_manifest,
    own_pom_properties,
    parse_manifest,
    parse_pom_xml,
    parse_properties,
    same_version,
)
from stockade.errors import ParseError
from stockade.model.inventory import Package
from stockade.model.status import StatusKind
from stockade.target.fs import FileAccessError, human_size

NAME = "lang/java"
ARCHIVE_EXTENSIONS = frozenset({"jar", "war", "ear", "jpi", "hpi", "par", "sar", "nar", "kar"})
NESTED = "!/"
MAX_DEPTH = 4
MAX_METADATA_SIZE = 1024 * 1024
MAX_NESTED_SIZE = 64 * 1024 * 1024
MAX_TOTAL_SIZE = 256 * 1024 * 1024
MAX_CENTRAL_DIRECTORY = 16 * 1024 * 1024

_POM_FILE = re.compile(r"META-INF/maven/([^/]+)/([^/]+)/(pom\.properties|pom\.xml)\Z")
_MANIFEST = "meta-inf/manifest.mf"
#: ``str.lower()`` turns KELVIN SIGN into "k": to :func:`_is_archive`, ``x.\u212aar`` is a .kar archive
_KELVIN = "\u212a".encode()


class _OverLimit(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _zip_status(exc: ZipIndexError, prefix: str = "") -> tuple[StatusKind, str]:
    """A size limit is ``skipped``; a broken archive or entry, or one not supported, an error."""
    if exc.over_limit:
        return StatusKind.SKIPPED, f"skipped: {exc.message}"
    return StatusKind.ERROR, prefix + exc.message


def check_zip(fh: BinaryIO, max_central_directory: int) -> tuple[StatusKind, str] | None:
    """Look at the end-of-central-directory record (APPNOTE.TXT 4.3.16, 4.3.14 for ZIP64) only: ``None``
    if the archive may be opened, else why not (the status it would get)."""
    try:
        check_end(fh, max_central_directory)
    except ZipIndexError as exc:
        return _zip_status(exc)
    fh.seek(0)
    return None


def _stem(loc: str) -> str:
    base = loc.rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    return stem if dot and ext.lower() in ARCHIVE_EXTENSIONS else base


def _is_archive(name: str) -> bool:
    dot = name.rfind(".")
    return dot > 0 and name[dot + 1 :].lower() in ARCHIVE_EXTENSIONS and not name.endswith("/")


def _wanted(name: str) -> bool:
    return _is_archive(name) or name.lower() == _MANIFEST or _POM_FILE.match(name) is not None


_EXTENSION_HINT = b"|".join(
    re.escape(ext.encode()).replace(b"k", b"(?:k|" + _KELVIN + b")") for ext in sorted(ARCHIVE_EXTENSIONS)
)
#: The entries read from an archive: MANIFEST.MF, Maven's pom.properties and pom.xml, nested archives.
#: Each such name holds a "." and one of the endings of the hint (lower-cased): one pattern that starts
#: with a plain "." is the fastest search there is; the POM's "pom" is looked for behind the "."
#: (inside the name).  ``_wanted`` then decides on the decoded name.
JAVA_ENTRIES = NameFilter(
    hint=re.compile(rb"\.(?:mf|" + _EXTENSION_HINT + rb"|(?<=pom\.)(?:properties|xml))"),
    wanted=_wanted,
)


class _Reader:
    """Reads one file and its nested archives, sharing one decompressed-size budget."""

    def __init__(self, ctx: CatalogContext, cat: JavaCataloger) -> None:
        self.ctx = ctx
        self.cat = cat
        self.budget = cat.max_total_size
        self.out: list[Package] = []

    def read(self, zi: ZipIndex, entry: Entry, limit: int) -> bytes:
        """The entry's bytes, never more than ``limit`` or the budget left (``_OverLimit`` instead).
        The reader stops at the size the central directory declares (a lie fails the CRC check)."""
        if entry.size > limit:
            raise _OverLimit(f"skipped: decompresses to {human_size(entry.size)}, over the "
                             f"{human_size(limit)} limit")  # fmt: skip
        if entry.size > self.budget:
            raise _OverLimit(f"skipped: the {human_size(self.cat.max_total_size)} limit on data decompressed "
                             "from one archive is used up")  # fmt: skip
        data = zi.read(entry, min(limit, self.budget))
        self.budget -= len(data)
        return data

    def zip_problem(self, where: str, exc: ZipIndexError, prefix: str = "") -> None:
        kind, reason = _zip_status(exc, prefix)
        self.ctx.problem(where, reason, kind)

    def read_entry(self, zi: ZipIndex, entry: Entry, loc: str) -> bytes | None:
        where = f"{loc}{NESTED}{entry.name}"
        try:
            return self.read(zi, entry, self.cat.max_metadata_size)
        except _OverLimit as exc:
            self.ctx.problem(where, exc.reason, StatusKind.SKIPPED)
        except ZipIndexError as exc:
            self.zip_problem(where, exc, "could not be read: ")
        except OSError as exc:
            self.ctx.problem(where, f"could not be read: {type(exc).__name__}: {exc}", StatusKind.ERROR)
        return None

    def archive(self, zi: ZipIndex, loc: str, depth: int) -> None:
        self.identify(zi, loc)
        for entry in zi.entries:
            if _is_archive(entry.name):
                self.nested(zi, entry, loc, depth + 1)

    def nested(self, zi: ZipIndex, entry: Entry, parent: str, depth: int) -> None:
        loc = f"{parent}{NESTED}{entry.name}"
        if depth > self.cat.max_depth:
            self.ctx.problem(loc, f"skipped: nested more than {self.cat.max_depth} archives deep",
                             StatusKind.SKIPPED)  # fmt: skip
            return
        try:
            data = self.read(zi, entry, self.cat.max_nested_size)
        except _OverLimit as exc:
            self.ctx.problem(loc, exc.reason, StatusKind.SKIPPED)
            return
        except ZipIndexError as exc:
            self.zip_problem(loc, exc, "could not be read: ")
            return
        except OSError as exc:
            self.ctx.problem(loc, f"could not be read: {type(exc).__name__}: {exc}", StatusKind.ERROR)
            return
        try:
            inner = ZipIndex(data, JAVA_ENTRIES, max_central_directory=self.cat.max_central_directory)
        except ZipIndexError as exc:
            self.zip_problem(loc, exc)
            return
        self.archive(inner, loc, depth)

    # -- identification ------------------------------------------------------------------------------
    def identify(self, zi: ZipIndex, loc: str) -> None:
        props: list[tuple[str, str, str, str]] = []  # (group, artifact, version, entry)
        pom_xmls: list[tuple[re.Match[str], Entry]] = []
        fields: dict[str, str] = {}
        for member in zi.entries:
            m = _POM_FILE.match(member.name)
            if m is not None:
                if m.group(3) == "pom.properties":
                    found = self.pom_properties(zi, member, m, loc)
                    if found is not None:
                        props.append(found)
                else:
                    pom_xmls.append((m, member))
            elif member.name.lower() == _MANIFEST:
                fields = self.manifest(zi, member, loc)
        stem = _stem(loc)
        if props:
            own = own_pom_properties(props, stem, fields)
            extra = None
            if own is None:
                extra = identify_from_manifest(fields, stem)
                if extra is not None and (
                    not from_manifest(extra[3])  # a file name alone is too weak beside pom.properties
                    or any(a == extra[1] and same_version(v, extra[2]) for _g, a, v, _e in props)
                ):
                    extra = None
                if extra is None and len(props) == 1:
                    own = props[0][3]
            for p_group, p_artifact, p_version, entry in props:
                meta: dict[str, Any] = {"evidence": "pom.properties", "entry": entry, "confidence": "high"}
                if entry != own:
                    meta["shaded"] = True
                self.emit(p_group, p_artifact, p_version, loc, meta)
            if extra is not None:
                self.emit_identity(extra, loc, hint=False)
            return
        hint: tuple[str, str] | None = None
        if pom_xmls:
            unresolved: list[tuple[str, str]] = []
            for m, pom in pom_xmls:
                coords = self.pom_xml(zi, pom, m, loc)
                if "version" in coords:
                    meta = {"evidence": "pom.xml", "entry": pom.name, "confidence": "high"}
                    self.emit(coords["groupId"], coords["artifactId"], coords["version"], loc, meta)
                else:
                    unresolved.append((coords["groupId"], coords["artifactId"]))
            if len(unresolved) < len(pom_xmls):
                return
            hint = unresolved[0] if len(unresolved) == 1 else None
        identity = identify_from_manifest(fields, stem, hint)
        if identity is not None:
            self.emit_identity(identity, loc, hint=hint is not None)

    def emit_identity(self, identity: Identity, loc: str, *, hint: bool) -> None:
        group, artifact, version, sources = identity
        evidence = "manifest" if from_manifest(sources) else "pom.xml" if hint else "filename"
        confidence = "low" if evidence == "filename" else "medium"
        self.emit(group, artifact, version, loc, {"evidence": evidence, "confidence": confidence, **sources})

    def manifest(self, zi: ZipIndex, entry: Entry, loc: str) -> dict[str, str]:
        data = self.read_entry(zi, entry, loc)
        if data is None:
            return {}
        fields, problems = parse_manifest(data)
        for problem in problems:
            self.ctx.problem(f"{loc}{NESTED}{entry.name}", f"failed to parse MANIFEST.MF: {problem}")
        return fields

    def pom_properties(
        self, zi: ZipIndex, entry: Entry, m: re.Match[str], loc: str
    ) -> tuple[str, str, str, str] | None:
        data = self.read_entry(zi, entry, loc)
        if data is None:
            return None
        where = f"{loc}{NESTED}{entry.name}"
        try:
            fields = parse_properties(decode_text(data))
        except ValueError as exc:
            self.ctx.problem(where, f"failed to parse pom.properties: {exc}")
            return None
        group = fields.get("groupId", "").strip() or m.group(1)
        artifact = fields.get("artifactId", "").strip() or m.group(2)
        version = fields.get("version", "").strip()
        if not version:
            self.ctx.problem(where, "failed to parse pom.properties: missing version")
            return None
        return group, artifact, version, entry.name

    def pom_xml(self, zi: ZipIndex, entry: Entry, m: re.Match[str], loc: str) -> dict[str, str]:
        coords = {"groupId": m.group(1), "artifactId": m.group(2)}
        data = self.read_entry(zi, entry, loc)
        if data is None:
            return coords
        try:
            parsed = parse_pom_xml(data)
        except ValueError as exc:
            self.ctx.problem(f"{loc}{NESTED}{entry.name}", f"failed to parse pom.xml: {exc}")
            return coords
        return {**coords, **parsed}

    def emit(
        self, group: str | None, artifact: str, version: str, loc: str, metadata: dict[str, Any]
    ) -> None:
        self.out.append(
            make_package(
                name=f"{group}:{artifact}" if group else artifact, version=version, type_="maven",
                found_by=NAME, path=loc, namespace=group or None, purl_name=artifact, metadata=metadata,
            )
        )  # fmt: skip


class JavaCataloger(FileCataloger):
    NAME = NAME
    DESCRIPTION = "Java archives (jar, war, ear ...) and archives nested in them: pom.properties, MANIFEST.MF"
    EXTENSIONS = ARCHIVE_EXTENSIONS

    def __init__(
        self,
        *,
        max_depth: int = MAX_DEPTH,
        max_metadata_size: int = MAX_METADATA_SIZE,
        max_nested_size: int = MAX_NESTED_SIZE,
        max_total_size: int = MAX_TOTAL_SIZE,
        max_central_directory: int = MAX_CENTRAL_DIRECTORY,
    ) -> None:
        self.max_depth = max_depth
        self.max_metadata_size = max_metadata_size
        self.max_nested_size = max_nested_size
        self.max_total_size = max_total_size
        self.max_central_directory = max_central_directory

    def parse(self, ctx: CatalogContext, path: str) -> Iterable[Package]:
        reader = _Reader(ctx, self)
        with ctx.fs.open(path) as fh:
            try:
                zi = ZipIndex(fh, JAVA_ENTRIES, max_central_directory=self.max_central_directory)
            except ZipIndexError as exc:
                if exc.over_limit:
                    raise FileAccessError(path, f"skipped: {exc.message}") from exc
                raise ParseError("Java archive", path, exc.message) from exc
            reader.archive(zi, path, 0)
        return reader.out

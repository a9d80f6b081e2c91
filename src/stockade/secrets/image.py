"""Secrets in a container image: every regular file of **every** layer, and the image configuration.

Layers are streamed exactly as the image scan streams them (:mod:`stockade.target.image.squash`, top
layer first, whiteouts per the OCI image spec), but every regular file's data is scanned as it passes,
nothing is written to disk.  A file that a later layer deleted (a whiteout) or replaced is still in the
image (``docker save`` / any registry pull hands it out), so it is reported with the layer that holds it
and ``deleted_in_layer`` / ``replaced_in_layer`` naming the layer that hid it.

The configuration: ``config.Env`` (what ``docker inspect`` shows to anyone who can pull), ``Labels``,
``Cmd``/``Entrypoint`` and ``history[].created_by`` (``ARG`` and ``ENV`` build steps, ``RUN |1 TOKEN=…``
build-argument prefixes).  The same secret in a layer and in ``Env`` has the same fingerprint.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pathspec

from stockade.model.finding import Finding
from stockade.model.status import Status, StatusKind
from stockade.secrets.content import CHUNK, MAX_HITS, scan_chunks
from stockade.secrets.engine import Ruleset, default_ruleset
from stockade.secrets.findings import hit_finding
from stockade.secrets.mask import excerpt
from stockade.secrets.tree import compile_excludes
from stockade.target.image.model import ImageSpec, Layer
from stockade.target.image.squash import Squasher, _Wanted, clean_name
from stockade.target.image.stream import Limits
from stockade.target.image.tarstream import TarEntry, TarReader

PLUGIN = "secrets/image"


class _NoFiles(_Wanted):
    """Unpack nothing: the secret scan reads each file's data from the stream itself."""

    def __init__(self) -> None:
        super().__init__([])

    def is_db(self, path: str) -> bool:
        return False

    def wants(self, path: str, base: str, mode: int, size: int) -> bool:
        return False


@dataclass(slots=True)
class LayerScan:
    findings: list[Finding] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    files: int = 0
    binary: int = 0
    hidden_with_secrets: int = 0


class _SecretSquasher(Squasher):
    def __init__(
        self,
        spec: ImageSpec,
        scratch: str,
        limits: Limits,
        ruleset: Ruleset,
        excludes: pathspec.PathSpec[Any] | None,
        progress: Callable[[str], None] | None,
    ) -> None:
        super().__init__(spec, scratch, [], limits, progress)
        self.wanted = _NoFiles()
        self.ruleset = ruleset
        self.excludes = excludes
        self.scan = LayerScan()
        self.ids = [layer.id for layer in spec.layers]

    def _symlinks(self) -> None:
        """Nothing was unpacked: no links to make."""

    def _entry(
        self,
        layer: Layer,
        entry: TarEntry,
        reader: TarReader,
        wh: dict[str, int],
        opq: dict[str, int],
        links: set[str],
        what: str,
    ) -> None:
        before = len(self.out.hidden)
        super()._entry(layer, entry, reader, wh, opq, links, what)
        if entry.kind != "f" or entry.size == 0:
            return
        path, _ = clean_name(entry.name, what)
        base = path.rpartition("/")[2]
        if base.startswith(".wh.") or (
            self.excludes is not None and self.excludes.match_file(path.lstrip("/"))
        ):
            return
        hidden = self.out.hidden[-1] if len(self.out.hidden) > before else None
        self.scan.files += 1
        result = scan_chunks(_data(reader, entry.size), self.ruleset)
        if result.skipped == "binary":
            self.scan.binary += 1
            return
        if result.truncated:
            self.scan.statuses.append(
                Status(
                    PLUGIN, StatusKind.PARTIAL, f"layer {layer.index + 1}: more than {MAX_HITS} secrets", path
                )
            )
        extra: dict[str, Any] = {"layer_index": layer.index + 1, "source": "layer"}
        if hidden is not None:
            extra[f"{hidden.how}_in_layer"] = self.ids[hidden.hidden_in]
            extra["in_final_filesystem"] = False
            if result.hits:
                self.scan.hidden_with_secrets += 1
        else:
            extra["in_final_filesystem"] = True
        for hit in result.hits:
            self.scan.findings.append(
                hit_finding(
                    hit, target=self.spec.reference, path=path, layer=self.ids[layer.index], extra=extra
                )
            )


def _data(reader: TarReader, size: int) -> Iterator[bytes]:
    left = size
    while left > 0:
        data = reader.read_data(min(CHUNK, left))
        if not data:
            return
        left -= len(data)
        yield data


def scan_layers(
    spec: ImageSpec,
    scratch: str,
    *,
    limits: Limits | None = None,
    ruleset: Ruleset | None = None,
    excludes: tuple[str, ...] = (),
    progress: Callable[[str], None] | None = None,
) -> LayerScan:
    """Scan every regular file of every layer (one more pass over the layer blobs).  The squasher's
    (empty) working directories go in a fresh directory under ``scratch``, so that ``scratch`` may be
    the one an image scan already squashed into."""
    scratch = tempfile.mkdtemp(prefix="secrets-", dir=scratch)
    squasher = _SecretSquasher(
        spec, scratch, limits or Limits(), ruleset or default_ruleset(), compile_excludes(excludes), progress
    )
    squasher.run()
    out = squasher.scan
    out.statuses.append(
        Status(
            PLUGIN,
            StatusKind.OK,
            f"{out.files} files in {len(spec.layers)} layers scanned, {out.binary} binary files skipped; "
            f"{out.hidden_with_secrets} files deleted or replaced by a later layer hold secrets",
        )
    )
    return out


def config_texts(spec: ImageSpec) -> Iterator[tuple[str, str]]:
    """``(field, text)`` for every configuration string worth scanning."""
    raw = spec.config.get("config")
    config: dict[str, Any] = raw if isinstance(raw, dict) else {}
    for i, item in enumerate(config.get("Env") or []):
        if isinstance(item, str):
            yield f"config.Env[{i}]", item
    labels = config.get("Labels")
    if isinstance(labels, dict):
        for key, value in sorted(labels.items()):
            if isinstance(value, str):
                yield f"config.Labels.{key}", f"{key}={value}"
    for name in ("Cmd", "Entrypoint"):
        value = config.get(name)
        if isinstance(value, list) and value:
            yield f"config.{name}", " ".join(str(v) for v in value)
    history = spec.config.get("history")
    if isinstance(history, list):
        for i, h in enumerate(history):
            if isinstance(h, dict) and isinstance(h.get("created_by"), str):
                yield f"history[{i}].created_by", h["created_by"]


def scan_config(spec: ImageSpec, ruleset: Ruleset | None = None) -> list[Finding]:
    """Secrets in the image configuration: Env, Labels, Cmd/Entrypoint, history."""
    rules = ruleset or default_ruleset()
    out: list[Finding] = []
    for field_name, text in config_texts(spec):
        for hit in rules.scan(text):
            f = hit_finding(
                hit,
                target=spec.reference,
                path=field_name,
                extra={"field": field_name, "source": "image-config"},
            )
            # the configuration is not a file: no location, the field says where
            meta = {k: v for k, v in f.metadata.items() if k != "column"}
            out.append(
                Finding(
                    id=f.id,
                    severity=f.severity,
                    title=f.title,
                    target=f.target,
                    kind=f.kind,
                    location=None,
                    evidence=excerpt(hit.line_text, hit.column, hit.secret),
                    remediation=f.remediation,
                    references=f.references,
                    metadata=meta,
                )
            )
    return out


def scan_image_secrets(
    spec: ImageSpec,
    scratch: str,
    *,
    limits: Limits | None = None,
    ruleset: Ruleset | None = None,
    excludes: tuple[str, ...] = (),
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Finding], list[Status]]:
    """Secrets in every layer and in the configuration of an opened image.  ``scratch``: a private
    directory the caller removes afterwards (nothing is unpacked into it; the squasher wants one).
    Exceptions are the caller's to apply (:func:`stockade.secrets.policy.split`)."""
    layers = scan_layers(spec, scratch, limits=limits, ruleset=ruleset, excludes=excludes, progress=progress)
    config = scan_config(spec, ruleset)
    findings = sorted(
        [*layers.findings, *config],
        key=lambda f: (
            f.location.layer or "" if f.location else "",
            str(f.location or f.metadata.get("field")),
            f.id,
        ),
    )
    return findings, layers.statuses

"""Scanning a container image: open the source, squash the layers (unpacking only what is analysed, in
a private scratch directory that is removed afterwards), catalog, attribute packages to layers, check
the image configuration.

Layer attribution: a package found in a file (``METADATA``, a jar, a Go binary) belongs to the layer
that wrote that file's final version.  A package from a package database (dpkg ``status``, apk
``installed``, rpm) belongs to the lowest layer from which on every layer that rewrote the database
still listed it (same name, version and qualifiers): the layer that installed it, not the last one
that touched the database.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from stockade.catalog import registry
from stockade.catalog.interface import Cataloger
from stockade.catalog.runner import run_catalogers
from stockade.checks.dockerfile.secrets import literal, redact_assignments, secret_name
from stockade.checks.image.model import ImageFacts
from stockade.checks.image.registry import CHECKS
from stockade.checks.interface import to_finding
from stockade.model.finding import Finding
from stockade.model.inventory import Location, OSInfo, Package
from stockade.model.result import ScanResult
from stockade.model.status import Status, StatusKind
from stockade.model.target import Target, TargetKind
from stockade.scan.scanner import ScanOptions, load_catalogers, scan_filesystem
from stockade.target.fs import TargetFS
from stockade.target.image.manifest import OCI_MANIFEST
from stockade.target.image.model import ImageSpec
from stockade.target.image.open import ImageOptions, open_image
from stockade.target.image.squash import Squashed, Squasher
from stockade.target.image.stream import Limits

_SECRET_MASK = "<redacted>"


@dataclass(slots=True)
class ImageScanOptions:
    scan: ScanOptions = field(default_factory=ScanOptions)
    source: ImageOptions = field(default_factory=ImageOptions)
    limits: Limits = field(default_factory=Limits)
    secrets: bool = False  # every layer (deleted files too) and the config (docs/secrets.md)


def scan_image(arg: str, options: ImageScanOptions | None = None) -> ScanResult:
    opts = options or ImageScanOptions()
    stage = opts.scan.progress.stage or (lambda _s: None)
    scratch = tempfile.mkdtemp(prefix="stockade-image-")
    try:
        stage(f"opening {arg}")
        spec = open_image(arg, opts.source, scratch)
        names = opts.scan.catalogers if opts.scan.catalogers is not None else registry.PRESETS["image"]
        catalogers, _ = load_catalogers(names)
        squashed = Squasher(spec, scratch, catalogers, opts.limits, stage).run()
        target = Target(
            kind=TargetKind.IMAGE,
            name=spec.reference,
            id=f"image:{spec.config_digest or spec.manifest_digest or spec.reference}",
            image=image_summary(spec, squashed),
        )
        result = scan_filesystem(target, TargetFS(squashed.root), opts.scan)
        packages = attribute(result.inventory.packages, squashed, spec, result.inventory.os, catalogers)
        findings, statuses = image_findings(spec, squashed)
        if opts.secrets:
            found, more = _secrets(spec, scratch, opts.limits, stage)
            findings = [*_without_secret_env_checks(findings, found, spec), *found]
            statuses = [*statuses, *more]
        return replace(
            result,
            inventory=replace(result.inventory, packages=packages),
            findings=tuple(sorted((*result.findings, *findings), key=Finding.sort_key)),
            statuses=tuple(
                sorted(
                    (*result.statuses, *squashed.statuses, *statuses),
                    key=Status.sort_key,
                )
            ),
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _secrets(spec: ImageSpec, scratch: str, limits: Limits, stage: Any) -> tuple[list[Finding], list[Status]]:
    """Secrets in every layer, with files a later layer deleted (``deleted_in_layer``), and in the
    configuration."""
    from stockade.secrets.image import scan_image_secrets

    stage("scanning layers for secrets")
    return scan_image_secrets(spec, scratch, limits=limits, progress=stage)


def _without_secret_env_checks(
    findings: Sequence[Finding], secrets: Sequence[Finding], spec: ImageSpec
) -> list[Finding]:
    """STK-IMG-0002 (a secret-looking variable in the config) where the secret rules already report
    that variable: one finding per secret, the more specific one."""
    env = (spec.config.get("config") or {}).get("Env") or []
    named = set()
    for f in secrets:
        where = str(f.metadata.get("field", ""))
        if where.startswith("config.Env["):
            try:
                item = env[int(where[len("config.Env[") : -1])]
            except (ValueError, IndexError, TypeError):
                continue
            if isinstance(item, str):
                named.add(item.partition("=")[0])
    return [f for f in findings if not (f.id == "STK-IMG-0002" and f.metadata.get("variable") in named)]


# -- layers ------------------------------------------------------------------------------------------
def attribute(
    packages: Sequence[Package],
    squashed: Squashed,
    spec: ImageSpec,
    os_info: OSInfo | None,
    catalogers: Sequence[Cataloger],
) -> tuple[Package, ...]:
    ids = [layer.id for layer in spec.layers]
    by_name = {c.NAME: c for c in catalogers}
    snapshots: dict[tuple[int, str], dict[str, set[str]]] = {}  # (layer, cataloger) → path → purls

    def purls_at(layer: int, cataloger: str, path: str) -> set[str]:
        key = (layer, cataloger)
        if key not in snapshots:
            found: dict[str, set[str]] = {}
            cat = by_name.get(cataloger)
            if cat is not None:
                fs = TargetFS(f"{squashed.history_root}/{layer}")
                run = run_catalogers(fs, os_info, [cat], {})
                for pkg in run.packages:
                    for loc in pkg.locations:
                        found.setdefault(loc.path, set()).add(pkg.purl)
            snapshots[key] = found
        return snapshots[key].get(path, set())

    def db_layer(pkg: Package, path: str) -> int | None:
        layers = sorted(squashed.history.get(path, ()))
        if not layers:
            return None
        deleted = {h.hidden_in for h in squashed.hidden if h.path == path and h.how == "deleted"}
        chosen = layers[-1]
        for j in reversed(layers[:-1]):
            if any(j < d <= chosen for d in deleted) or pkg.purl not in purls_at(j, pkg.found_by, path):
                break
            chosen = j
        return chosen

    def file_layer(path: str) -> int | None:
        entry = squashed.entries.get(path) or squashed.entries.get(path.split("!", 1)[0])
        return entry[0] if entry is not None else None

    out: list[Package] = []
    for pkg in packages:
        locations = []
        for loc in pkg.locations:
            layer = db_layer(pkg, loc.path) if loc.path in squashed.history else file_layer(loc.path)
            locations.append(replace(loc, layer=ids[layer]) if layer is not None else loc)
        out.append(replace(pkg, locations=tuple(locations)))
    return tuple(out)


# -- configuration -----------------------------------------------------------------------------------
def image_format(spec: ImageSpec) -> str:
    return (
        "oci"
        if spec.media_type == OCI_MANIFEST or (spec.source == "oci-archive" and not spec.media_type)
        else ("docker")
    )


def image_findings(spec: ImageSpec, squashed: Squashed) -> tuple[list[Finding], list[Status]]:
    ids = [layer.id for layer in spec.layers]
    config = spec.config.get("config")
    history = spec.config.get("history")
    facts = ImageFacts(
        reference=spec.reference,
        config=config if isinstance(config, dict) else {},
        history=tuple(h for h in history if isinstance(h, dict)) if isinstance(history, list) else (),
        setuid=tuple(sorted((path, mode, ids[layer]) for path, mode, layer in squashed.setuid)),
        image_format=image_format(spec),
    )
    findings: list[Finding] = []
    statuses: list[Status] = []
    for check_cls in CHECKS:
        check = check_cls()
        plugin = f"check/{check.NAME}"
        if check.ID == "STK-IMG-0004" and facts.image_format == "oci":
            statuses.append(
                Status(
                    plugin, StatusKind.SKIPPED, "not applicable: OCI image configs have no Healthcheck field"
                )
            )
            continue
        count = 0
        for v in check.check(facts):
            count += 1
            meta: dict[str, Any] = {"image": spec.reference}
            location = None
            if v.path:
                meta["field"] = ".".join(str(p) for p in v.path)
            if "path" in v.extra:
                location = Location(str(v.extra["path"]), layer=str(v.extra.get("layer")))
            findings.append(to_finding(check, v, spec.reference, location, meta))
        statuses.append(Status(plugin, StatusKind.OK, f"{count} findings"))
    return findings, statuses


def image_summary(spec: ImageSpec, squashed: Squashed) -> dict[str, Any]:
    """``target.image``: where the image came from, its digests, platform, layers and configuration."""
    out = spec.to_dict()
    stats = {s["index"]: s for s in squashed.layer_stats}
    for layer in out["layers"]:
        st = stats.get(layer["index"], {})
        layer["entries"] = st.get("entries")
        layer["compression"] = st.get("compression")
        layer["uncompressed_size"] = st.get("uncompressed_bytes")
        layer["created_by"] = redact_assignments(layer["created_by"])
    raw = spec.config.get("config")
    config: dict[str, Any] = raw if isinstance(raw, dict) else {}
    env = []
    for item in config.get("Env") or []:
        if isinstance(item, str):
            name, sep, value = item.partition("=")
            env.append(f"{name}={_SECRET_MASK}" if sep and secret_name(name) and literal(value) else item)
    out["config"] = {
        "user": config.get("User") or "",
        "env": env,
        "exposed_ports": sorted(config.get("ExposedPorts") or {}),
        "entrypoint": config.get("Entrypoint"),
        "cmd": config.get("Cmd"),
        "working_dir": config.get("WorkingDir") or "",
        "labels": dict(sorted((config.get("Labels") or {}).items())),
        "healthcheck": config.get("Healthcheck"),
    }
    out["created"] = spec.config.get("created")
    out["history"] = [
        {
            k: redact_assignments(h[k]) if k == "created_by" and isinstance(h[k], str) else h[k]
            for k in ("created", "created_by", "empty_layer", "comment")
            if k in h
        }
        for h in spec.config.get("history") or []
        if isinstance(h, dict)
    ]
    out["files"] = {
        "entries": len(squashed.entries),
        "unpacked_for_analysis": squashed.unpacked,
        "hidden_by_later_layers": len(squashed.hidden),
        "deleted": sum(1 for h in squashed.hidden if h.how == "deleted"),
        "device_nodes_and_fifos": len(squashed.special),
        "setuid_setgid": len(squashed.setuid),
    }
    return out

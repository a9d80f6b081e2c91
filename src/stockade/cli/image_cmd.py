"""``stockade image``: scan a container image from any source."""

from __future__ import annotations

import click

from stockade.cli.common import (
    finish,
    jobs_option,
    output_options,
    progress_reporter,
    vuln_options,
    with_vulnerabilities,
)
from stockade.cli.scan_cmds import scan_options
from stockade.scan.image import ImageScanOptions, scan_image
from stockade.target.image.manifest import parse_platform
from stockade.target.image.open import INPUTS, ImageOptions
from stockade.target.image.stream import Limits, MiB

_DEFAULTS = Limits()


@click.command()
@click.argument("image")
@click.option(
    "--input",
    "input_kind",
    type=click.Choice(INPUTS),
    default=None,
    help="Where IMAGE is (default: detected; a skopeo-style prefix such as oci:, docker-archive:, "
    "docker:// or containers-storage: also says it).",
)
@click.option(
    "--platform",
    default=None,
    metavar="OS/ARCH[/VARIANT]",
    help="Which image of a multi-platform index (default: this machine's, e.g. linux/amd64).",
)
@click.option(
    "--insecure",
    is_flag=True,
    help="Allow plain HTTP to a registry on a loopback address (127.0.0.1, ::1, localhost).",
)
@click.option(
    "--max-size",
    type=click.IntRange(min=1),
    default=_DEFAULTS.max_bytes // MiB,
    show_default=True,
    metavar="MIB",
    help="Refuse images that unpack to more than this many MiB (bombs).",
)
@click.option(
    "--max-ratio",
    type=click.FloatRange(min=1),
    default=_DEFAULTS.max_ratio,
    show_default=True,
    help="Refuse layers that decompress more than this many times their size (past 256 MiB).",
)
@click.option(
    "--max-entries",
    type=click.IntRange(min=1),
    default=_DEFAULTS.max_entries,
    show_default=True,
    help="Refuse images with more tar entries than this, all layers together.",
)
@jobs_option
@click.option(
    "--secrets",
    "secrets",
    is_flag=True,
    help="Also look for secrets in every file of every layer (deleted files too) and the config: reads "
    "every file, several times slower than the package scan (or use `stockade secrets --image`).",
)
@vuln_options
@output_options
def image(
    image: str,
    input_kind: str | None,
    platform: str | None,
    insecure: bool,
    max_size: int,
    max_ratio: float,
    max_entries: int,
    jobs: int | None,
    secrets: bool,
    advisory_db: str | None,
    no_vulns: bool,
    **opts: object,
) -> int:
    """Scan a container image: its packages (attributed to the layer that added them), its
    configuration (user, environment, history, set-uid files); with --secrets, secrets in every layer.

    \b
    IMAGE is one of
      an OCI layout directory            ./layout  or  ./layout:tag
      a docker save / oci-archive file   image.tar (gzip/zstd compressed too)
      a registry reference               registry.example:5000/app:1.2  or  app@sha256:…
      an image in podman's local store   localhost/app:latest

    Layers are streamed; only the files the analysis needs are unpacked, into a private scratch
    directory that is removed afterwards.  Digests are verified.  Hostile archives (path traversal,
    writes through symbolic links, decompression bombs) are refused.  Packages are matched against
    the advisory database (see `stockade db`).
    """
    source = ImageOptions(
        input=input_kind, platform=parse_platform(platform) if platform else None, insecure=insecure
    )
    limits = Limits(max_bytes=max_size * MiB, max_ratio=max_ratio, max_entries=max_entries)
    quiet = bool(opts["quiet"])
    with progress_reporter(quiet) as progress:
        result = scan_image(
            image,
            ImageScanOptions(
                scan=scan_options(jobs, progress), source=source, limits=limits, secrets=secrets
            ),
        )
        result = with_vulnerabilities(result, advisory_db, no_vulns, quiet, progress)
    return finish(result, **opts)  # type: ignore[arg-type]

"""``stockade secrets``: find credentials in files, directories and container images."""

from __future__ import annotations

import click

from stockade.cli.common import finish, jobs_option, output_options, progress_reporter
from stockade.cli.config_cmds import exceptions_option
from stockade.errors import InputError
from stockade.target.image.manifest import parse_platform
from stockade.target.image.open import INPUTS, ImageOptions


@click.command("secrets")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--image",
    "image_ref",
    default=None,
    metavar="IMAGE",
    help="Scan a container image instead of PATHS: every file of every layer (deleted ones "
    "too) and the image configuration. Same IMAGE forms as `stockade image`.",
)
@click.option(
    "--input",
    "input_kind",
    type=click.Choice(INPUTS),
    default=None,
    help="With --image: where IMAGE is (default: detected).",
)
@click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]", help="With --image: which platform.")
@click.option("--insecure", is_flag=True, help="With --image: allow plain HTTP to a loopback registry.")
@click.option(
    "--rules",
    "rule_files",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    metavar="FILE",
    help="Custom rules (YAML, see docs/secrets.md), added to the built-in ones. Repeatable.",
)
@click.option(
    "--exclude",
    "excludes",
    multiple=True,
    metavar="PATTERN",
    help=".gitignore-style pattern of paths not to scan (relative to each directory). Repeatable.",
)
@click.option(
    "--exclude-from",
    "exclude_files",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    metavar="FILE",
    help="Read exclude patterns from FILE (.gitignore syntax). Repeatable.",
)
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=None,
    metavar="MIB",
    help="Skip files larger than this (default: scan every file, streamed in bounded memory).",
)
@exceptions_option
@jobs_option
@output_options
def secrets(
    paths: tuple[str, ...],
    image_ref: str | None,
    input_kind: str | None,
    platform: str | None,
    insecure: bool,
    rule_files: tuple[str, ...],
    excludes: tuple[str, ...],
    exclude_files: tuple[str, ...],
    max_file_size: int | None,
    exceptions_file: str | None,
    show_suppressed: bool,
    jobs: int | None,
    **opts: object,
) -> int:
    """Find credentials: API keys and tokens of 200+ providers, private keys, passwords in URLs and
    assignments, Kubernetes Secret data.

    \b
    PATHS are files and directories (.git/ is skipped; symbolic links are not followed).
    --image IMAGE scans every layer of an image, reporting secrets that a later layer deleted
    (deleted_in_layer), and its config (Env, Labels, history).

    Findings show a masked excerpt and a fingerprint, never the secret.  Mark a line that holds no
    secret with `stockade:allow` (gitleaks:allow and `pragma: allowlist secret` work too), or add an
    exception for the rule id to .stockade/exceptions.yaml.
    """
    from stockade._internal.forkpool import default_jobs
    from stockade.secrets.custom import load_rules
    from stockade.secrets.engine import Ruleset
    from stockade.secrets.rules import BUILTIN
    from stockade.secrets.scan import SecretsOptions, scan_secret_paths
    from stockade.secrets.tree import DEFAULT_EXCLUDES, TreeOptions

    if bool(paths) == bool(image_ref):
        raise click.UsageError("give PATHS or --image IMAGE (one of them)")
    if image_ref is None and (input_kind or platform or insecure):
        raise click.UsageError("--input, --platform and --insecure go with --image")
    patterns = list(DEFAULT_EXCLUDES) + list(excludes)
    for name in exclude_files:
        try:
            with open(name, encoding="utf-8") as fh:
                patterns.extend(fh.read().splitlines())
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{name}: cannot read exclude patterns: {exc}") from None
    custom = [rule for name in rule_files for rule in load_rules(name)]
    ruleset = Ruleset([*BUILTIN, *custom]) if custom else None
    tree = TreeOptions(
        excludes=tuple(patterns),
        jobs=jobs or default_jobs(),
        max_file_size=max_file_size * 1024 * 1024 if max_file_size else None,
    )
    options = SecretsOptions(tree=tree, ruleset=ruleset, exceptions_file=exceptions_file)
    with progress_reporter(bool(opts["quiet"])) as progress:
        if image_ref is not None:
            from stockade.secrets.scan_image import scan_secret_image

            source = ImageOptions(
                input=input_kind, platform=parse_platform(platform) if platform else None, insecure=insecure
            )
            result = scan_secret_image(image_ref, source, None, options, progress.stage)
        else:
            if progress.stage is not None:
                progress.stage("scanning files")
            result = scan_secret_paths(list(paths), options)
    return finish(result, show_suppressed=show_suppressed, **opts)  # type: ignore[arg-type]

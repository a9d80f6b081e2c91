"""``stockade k8s``, ``stockade dockerfile`` and ``stockade config``: check configuration files."""

from __future__ import annotations

import click

from stockade._internal import gcpause
from stockade.cli.common import F, finish, jobs_option, output_options
from stockade.scan.config import ConfigOptions, scan_config

PSS_LEVELS = ["baseline", "restricted"]


def pss_options(func: F) -> F:
    func = click.option(
        "--pss-level",
        type=click.Choice(PSS_LEVELS),
        default=None,
        help="Pod Security Standards level to check (default: both; restricted includes baseline).",
    )(func)
    func = click.option(
        "--pss-version",
        default=None,
        metavar="VERSION",
        help="Pod Security Standards version, e.g. v1.37 (default: the latest this stockade knows).",
    )(func)
    return func


def exceptions_option(func: F) -> F:
    func = click.option(
        "--exceptions",
        "exceptions_file",
        type=click.Path(dir_okay=False),
        default=None,
        help="Exceptions file (default: .stockade/exceptions.yaml if it exists). See docs/exceptions.md.",
    )(func)
    func = click.option(
        "--show-suppressed", is_flag=True, help="With --format table: list the findings exceptions cover."
    )(func)
    return func


def no_secrets_option(func: F) -> F:
    return click.option(
        "--no-secrets",
        is_flag=True,
        help="Do not look for secrets in the files (env values, Secrets, ConfigMaps, ARG/ENV).",
    )(func)


def _run(
    mode: str,
    paths: tuple[str, ...],
    pss_level: str | None,
    pss_version: str | None,
    exceptions_file: str | None,
    show_suppressed: bool,
    opts: dict[str, object],
) -> int:
    options = ConfigOptions(
        mode=mode,
        pss_level=pss_level,
        pss_version=pss_version,
        exceptions_file=exceptions_file,
        secrets=not opts.pop("no_secrets", False),
    )
    jobs = opts.pop("jobs", None)
    if isinstance(jobs, int):
        options.jobs = jobs
    # parsed manifests, their position indexes and the findings are many long-lived acyclic objects
    with gcpause.paused():
        result = scan_config(list(paths), options)
        return finish(result, show_suppressed=show_suppressed, **opts)  # type: ignore[arg-type]


@click.command("k8s")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@pss_options
@exceptions_option
@no_secrets_option
@jobs_option
@output_options
def k8s(
    paths: tuple[str, ...],
    pss_level: str | None,
    pss_version: str | None,
    exceptions_file: str | None,
    show_suppressed: bool,
    **opts: object,
) -> int:
    """Check Kubernetes manifests: Pod Security Standards (exact) and best practice.

    PATHS are files, directories (every *.yaml, *.yml, *.json below) or - for standard input:
    multi-document YAML or JSON, List kinds, the output of `helm template` and `kustomize build`.
    Every finding names file and line.
    """
    return _run("kubernetes", paths, pss_level, pss_version, exceptions_file, show_suppressed, opts)


@click.command("dockerfile")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@exceptions_option
@no_secrets_option
@jobs_option
@output_options
def dockerfile(
    paths: tuple[str, ...], exceptions_file: str | None, show_suppressed: bool, **opts: object
) -> int:
    """Check Dockerfiles: Dockerfile, *.Dockerfile, Containerfile; directories are searched; - reads stdin."""
    return _run("dockerfile", paths, None, None, exceptions_file, show_suppressed, opts)


@click.command("config")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@pss_options
@exceptions_option
@no_secrets_option
@jobs_option
@output_options
def config(
    paths: tuple[str, ...],
    pss_level: str | None,
    pss_version: str | None,
    exceptions_file: str | None,
    show_suppressed: bool,
    **opts: object,
) -> int:
    """Check every configuration file under PATHS, each by its type: Kubernetes YAML/JSON, Dockerfile."""
    return _run("auto", paths, pss_level, pss_version, exceptions_file, show_suppressed, opts)

"""Package installs in RUN: versions not pinned, caches left in the image, distribution upgrades.

Pinning matters in every stage (a builder's unpinned compiler changes the binary); caches only in the
stages that become the image (the final stage and those it is built FROM): a builder's caches are thrown
away.  A cache is only gone if it is removed in the same RUN (a later RUN adds a layer, the earlier layer
keeps the files), or never written: ``apk add --no-cache``, ``pip install --no-cache-dir`` (or
``PIP_NO_CACHE_DIR`` in the environment), or a ``RUN --mount=type=cache`` on the cache directory.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.dockerfile.common import (
    DockerfileCheck,
    cache_mount_targets,
    final_lineage,
    run_commands,
    runs,
    unique,
    variables,
    violation,
)
from stockade.checks.dockerfile.model import Dockerfile, Instruction
from stockade.checks.dockerfile.pkgmgr import Install, has_option, parse_install, subcommand
from stockade.checks.dockerfile.shell import Command
from stockade.checks.interface import Violation
from stockade.model.severity import Severity

_BP = "https://docs.docker.com/build/building/best-practices/#apt-get"
_UPGRADES = frozenset({"upgrade", "dist-upgrade", "full-upgrade", "safe-upgrade"})


def _installs(instr: Instruction) -> list[Install]:
    out = []
    for _, cmd in run_commands(instr):
        install = parse_install(cmd)
        if install is not None:
            out.append(install)
    return out


def _removes(instr: Instruction, prefixes: tuple[str, ...]) -> bool:
    for _, cmd in run_commands(instr):
        if cmd.name == "rm" and any(arg.startswith(prefixes) for arg in cmd.words[1:]):
            return True
    return False


def _cache_mounted(instr: Instruction, prefixes: tuple[str, ...]) -> bool:
    return any(target.startswith(prefixes) for target in cache_mount_targets(instr))


class UnpinnedPackages(DockerfileCheck):
    NAME = "dockerfile/unpinned-packages"
    ID = "STK-DF-0008"
    SEVERITY = Severity.MEDIUM
    TITLE = "Packages installed without a pinned version"
    RATIONALE = (
        "An install without a version takes whatever the repository serves at build time: builds are not "
        "reproducible, a rebuild can silently pull a broken or malicious release, and a scan of the "
        "Dockerfile cannot tell what is inside."
    )
    REMEDIATION = (
        "Pin versions: apt-get install pkg=1.2.3-1, apk add pkg=1.2.3-r0, pip install pkg==1.2.3 (or a "
        "requirements file with hashes), npm install -g pkg@1.2.3, gem install pkg -v 1.2.3."
    )
    REFERENCES = (
        _BP,
        "CIS Docker Benchmark 4.11: Ensure only verified packages are installed",
        "hadolint DL3008",
        "hadolint DL3018",
        "hadolint DL3013",
        "hadolint DL3016",
        "hadolint DL3028",
    )

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        found = []
        for instr in runs(obj.stages):
            for install in _installs(instr):
                if install.unpinned:
                    names = ", ".join(install.unpinned[:5]) + (" ..." if len(install.unpinned) > 5 else "")
                    message = f"{install.manager} installs {names} without a pinned version"
                    found.append(violation(instr, message, manager=install.manager))
        yield from unique(found)


class AptListsKept(DockerfileCheck):
    NAME = "dockerfile/apt-lists-kept"
    ID = "STK-DF-0009"
    SEVERITY = Severity.LOW
    TITLE = "apt-get package lists left in the image"
    RATIONALE = (
        "apt-get update writes tens of megabytes of package lists to /var/lib/apt/lists; unless the same "
        "RUN removes them they stay in a layer of the image, stale, for everyone to download."
    )
    REMEDIATION = (
        "End the RUN that runs apt-get with && rm -rf /var/lib/apt/lists/*, or use "
        "RUN --mount=type=cache,target=/var/lib/apt."
    )
    REFERENCES = (_BP, "hadolint DL3009")

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in runs(final_lineage(obj)):
            commands = [cmd for _, cmd in run_commands(instr)]
            uses_apt = any(
                cmd.name in ("apt-get", "apt", "aptitude") and subcommand(cmd) in ("update", "install")
                for cmd in commands
            )
            if not uses_apt or _removes(instr, ("/var/lib/apt/lists",)):
                continue
            if _cache_mounted(instr, ("/var/lib/apt",)):
                continue
            yield violation(instr, "apt-get runs without rm -rf /var/lib/apt/lists/* in the same RUN")


class ApkCacheKept(DockerfileCheck):
    NAME = "dockerfile/apk-cache-kept"
    ID = "STK-DF-0010"
    SEVERITY = Severity.LOW
    TITLE = "apk add without --no-cache"
    RATIONALE = "apk add keeps the package index in /var/cache/apk, in the image layer, unless told not to."
    REMEDIATION = "Use apk add --no-cache (it also makes apk update unnecessary)."
    REFERENCES = ("https://github.com/gliderlabs/docker-alpine/blob/master/docs/usage.md", "hadolint DL3019")

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in runs(final_lineage(obj)):
            if _removes(instr, ("/var/cache/apk",)) or _cache_mounted(
                instr, ("/var/cache/apk", "/etc/apk/cache")
            ):
                continue
            for install in _installs(instr):
                if install.manager == "apk" and not has_option(install, "--no-cache"):
                    yield violation(instr, "apk add without --no-cache keeps the package index in the image")
                    break


def _pip_cache_disabled(obj: Dockerfile, instr: Instruction) -> bool:
    stage = obj.stages[instr.stage if instr.stage is not None else -1]
    value = variables(obj, stage, instr.line).get("PIP_NO_CACHE_DIR")
    return value is not None and value != "" and value.lower() not in ("0", "false", "no", "off")


class PipCacheKept(DockerfileCheck):
    NAME = "dockerfile/pip-cache-kept"
    ID = "STK-DF-0011"
    SEVERITY = Severity.LOW
    TITLE = "pip install without --no-cache-dir"
    RATIONALE = "pip keeps downloaded wheels in ~/.cache/pip; in an image layer they are dead weight."
    REMEDIATION = (
        "Use pip install --no-cache-dir, set ENV PIP_NO_CACHE_DIR=1, or use "
        "RUN --mount=type=cache,target=/root/.cache/pip."
    )
    REFERENCES = ("https://pip.pypa.io/en/stable/topics/caching/", "hadolint DL3042")

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in runs(final_lineage(obj)):
            if _cache_mounted(instr, ("/root/.cache",)) or _removes(instr, ("/root/.cache",)):
                continue
            if _pip_cache_disabled(obj, instr):
                continue
            for install in _installs(instr):
                if install.manager == "pip" and not has_option(install, "--no-cache-dir"):
                    yield violation(instr, "pip install without --no-cache-dir keeps its cache in the image")
                    break


def _upgrade(cmd: Command) -> str | None:
    if cmd.name in ("apt-get", "apt", "aptitude"):
        sub = subcommand(cmd)
        if sub in _UPGRADES:
            return f"{cmd.name} {sub}"
    return None


class AptUpgrade(DockerfileCheck):
    NAME = "dockerfile/apt-upgrade"
    ID = "STK-DF-0012"
    SEVERITY = Severity.LOW
    TITLE = "apt-get upgrade / dist-upgrade in the Dockerfile"
    RATIONALE = (
        "Upgrading every package at build time makes the image depend on the day it was built, can pull in "
        "changes the base image's maintainers chose not to ship, and hides that the base image is out of "
        "date."
    )
    REMEDIATION = (
        "Use an up-to-date base image (rebuild when it is updated) and install the specific packages you "
        "need with pinned versions."
    )
    REFERENCES = (
        _BP,
        "CIS Docker Benchmark 4.7: Ensure update instructions are not used alone in Dockerfiles",
        "hadolint DL3005",
    )

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in runs(obj.stages):
            found = []
            for _, cmd in run_commands(instr):
                what = _upgrade(cmd)
                if what:
                    found.append(violation(instr, f"{what} upgrades every installed package"))
            yield from unique(found)

"""Package installs in shell commands: apt-get/apt, apk, pip, npm and gem, with their options.

What counts as pinned, per tool (and as hadolint's DL3008/DL3018/DL3013/DL3016/DL3028 read them):

    apt-get, apt  install pkg=version                         (pkg/release names a release, not a version)
    apk           add pkg=version (also ~, <, >)
    pip           install pkg==version (also ===, or a direct reference pkg @ url)
    npm           install [-g] pkg@version  (@scope/pkg@version; "latest" and dist-tags are not versions)
    gem           install pkg -v version | pkg:version

Local files, URLs and VCS references are not registry installs and are skipped, as are arguments with
shell variables (their value is unknown here) and requirement/constraint files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from stockade.checks.dockerfile.shell import Command
from stockade.checks.dockerfile.words import names

_APT_ARG_OPTS = names("-o -c -t --option --config-file --target-release --default-release")
_APK_ARG_OPTS = names(
    "-t --virtual -X --repository -p --root --arch --cache-dir --keys-dir --repositories-file --cache-max-age"
)
_PIP_ARG_OPTS = names(
    "-i --index-url --extra-index-url -f --find-links -t --target --prefix --root --platform "
    "--python-version --implementation --abi --no-binary --only-binary --progress-bar --src "
    "--upgrade-strategy --trusted-host --cache-dir --log --proxy --retries --timeout "
    "--exists-action --cert --client-cert --global-option --config-settings -C --report "
    "--python"
)


_PIP_FILE_OPTS = names("-r --requirement -c --constraint -e --editable")
_NPM_ARG_OPTS = names("--prefix --registry --cache --userconfig --tag --omit --include -w --workspace")
_GEM_ARG_OPTS = names("-i --install-dir -n --bindir -s --source -P --trust-policy --platform --document")
_PIP = re.compile(r"^pip[0-9.]*$")
_PYTHON = re.compile(r"^python[0-9.]*$")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar", ".deb", ".apk", ".gem", ".rpm")


@dataclass(slots=True)
class Install:
    manager: str  # "apt-get", "apk", "pip", "npm", "gem"
    command: Command
    packages: list[str] = field(default_factory=list)  # registry packages named on the command line
    unpinned: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


def _local(word: str) -> bool:
    return (
        word.startswith((".", "/", "~", "file:", "git+", "git:", "github:", "http:", "https:"))
        or "://" in word
        or word.endswith(_ARCHIVES)
    )


def _operands(words: tuple[str, ...], arg_opts: frozenset[str]) -> tuple[list[str], list[str]]:
    """(options, operands): options with their values, ``--`` ends options."""
    options: list[str] = []
    operands: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            operands.extend(words[i + 1 :])
            break
        if word.startswith("-") and len(word) > 1:
            options.append(word)
            if word in arg_opts and i + 1 < len(words):
                options.append(words[i + 1])
                i += 1
        else:
            operands.append(word)
        i += 1
    return options, operands


def parse_install(command: Command) -> Install | None:
    """The install that ``command`` performs, or None when it installs nothing from a registry."""
    name = command.name
    words = command.words[1:]
    if name in ("apt-get", "apt", "aptitude"):
        return _with_sub(command, "apt-get", words, _APT_ARG_OPTS, ("install",), _apt_pinned)
    if name == "apk":
        return _with_sub(command, "apk", words, _APK_ARG_OPTS, ("add",), _apk_pinned)
    if _PYTHON.match(name) and len(words) >= 2 and words[0] == "-m" and _PIP.match(words[1]):
        name, words = words[1], words[2:]
    if _PIP.match(name):
        return _pip(command, words)
    if name == "npm":
        return _with_sub(command, "npm", words, _NPM_ARG_OPTS, ("install", "i", "add"), _npm_pinned)
    if name == "gem":
        return _gem(command, words)
    return None


def subcommand(command: Command, arg_opts: frozenset[str] = _APT_ARG_OPTS) -> str:
    _, operands = _operands(command.words[1:], arg_opts)
    return operands[0] if operands else ""


def _with_sub(
    command: Command,
    manager: str,
    words: tuple[str, ...],
    arg_opts: frozenset[str],
    subs: tuple[str, ...],
    pinned: Callable[[str], bool],
) -> Install | None:
    options, operands = _operands(words, arg_opts)
    if not operands or operands[0] not in subs:
        return None
    install = Install(manager, command, options=options)
    for pkg in operands[1:]:
        if "$" in pkg or _local(pkg):
            continue
        install.packages.append(pkg)
        if not pinned(pkg):
            install.unpinned.append(pkg)
    return install


def _apt_pinned(pkg: str) -> bool:
    return "=" in pkg


def _apk_pinned(pkg: str) -> bool:
    return any(op in pkg for op in "=~<>")


def _npm_pinned(pkg: str) -> bool:
    body = pkg[1:] if pkg.startswith("@") else pkg
    _, at, version = body.partition("@")
    return bool(at and version and version not in ("latest", "next"))


def _pip(command: Command, words: tuple[str, ...]) -> Install | None:
    options, operands = _operands(words, _PIP_ARG_OPTS | _PIP_FILE_OPTS)
    if not operands or operands[0] != "install":
        return None
    install = Install("pip", command, options=options)
    constrained = any(opt in ("-c", "--constraint") or opt.startswith("--constraint=") for opt in options)
    for pkg in operands[1:]:
        if "$" in pkg or _local(pkg):
            continue
        install.packages.append(pkg)
        pinned = "==" in pkg or "@" in pkg
        if not pinned and not constrained:
            install.unpinned.append(pkg)
    return install


def _gem(command: Command, words: tuple[str, ...]) -> Install | None:
    options, operands = _operands(words, _GEM_ARG_OPTS | {"-v", "--version"})
    if not operands or operands[0] not in ("install", "i"):
        return None
    install = Install("gem", command, options=options)
    versioned = any(opt in ("-v", "--version") or opt.startswith("--version=") for opt in options)
    for pkg in operands[1:]:
        if "$" in pkg or _local(pkg):
            continue
        install.packages.append(pkg)
        if not versioned and ":" not in pkg:
            install.unpinned.append(pkg)
    return install


def has_option(install: Install, *names: str) -> bool:
    return any(opt in names or opt.split("=", 1)[0] in names for opt in install.options)

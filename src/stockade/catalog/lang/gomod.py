"""Go module requirements declared in ``go.mod`` (the Go Modules Reference, "go.mod files").

Grammar, as ``golang.org/x/mod/modfile`` reads it: one directive per line (``verb args...``) or a block
``verb (`` ... ``)`` with one entry per line; tokens are separated by white space and may be quoted
(``"..."`` with Go escapes, or raw `````...`````); ``//`` starts a comment to the end of the line.

* ``require path version`` -- a requirement; a trailing ``// indirect`` comment (the comment text is
  ``indirect`` or starts with ``indirect;``) marks it indirect (kept in the metadata).
* ``exclude path version`` -- that version may not be used.  A requirement on an excluded version is
  dropped: the go command would use the next higher version, which go.mod does not name.
* ``replace path [version] => new-path [new-version]`` -- a replacement without a version on the left
  applies to every version.  A module replacement is reported as what gets built: the replacement's path
  and version; a replacement by a local directory keeps the required path with version ``(devel)``
  (as in a binary's build info).  Both sides are kept in the metadata.
* ``module``, ``go``, ``toolchain``, ``godebug``, ``retract``, ``tool`` and unknown directives declare no
  dependency and are skipped.  The main module itself is not reported (it has no version here); its
  path is in each package's metadata.

``go.mod`` files inside a Go module cache (``.../pkg/mod/<module>@<version>/go.mod``) are kept: they
are the manifests of modules whose sources are on the target (a build image, a CI cache) and what they
require may be built from there; each such package carries ``module_cache: true`` so that a consumer
can leave them out.  ``go.sum`` is not read (it lists hashes of every module version ever considered,
not what is built).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from stockade.catalog.interface import CatalogContext, FileCataloger
from stockade.catalog.lang.gobinary import golang_package, is_directory_path
from stockade.model.inventory import Package

NAME = "lang/go-mod"
_MAX_SIZE = 16 * 1024 * 1024


class GoModSyntaxError(ValueError):
    pass


def tokenize(line: str) -> tuple[list[str], str | None]:
    """The tokens of one line and its ``//`` comment text (None if there is none)."""
    tokens: list[str] = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c.isspace():
            i += 1
        elif line.startswith("//", i):
            return tokens, line[i + 2 :].strip()
        elif c in "()":
            tokens.append(c)
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            if j >= n:
                raise GoModSyntaxError("unterminated quoted string")
            try:
                tokens.append(json.loads(line[i : j + 1]))
            except ValueError as exc:
                raise GoModSyntaxError(f"bad quoted string {line[i : j + 1]!r}") from exc
            i = j + 1
        elif c == "`":
            j = line.find("`", i + 1)
            if j < 0:
                raise GoModSyntaxError("unterminated raw string")
            tokens.append(line[i + 1 : j])
            i = j + 1
        else:
            j = i
            while j < n and not line[j].isspace() and line[j] not in "()" and not line.startswith("//", j):
                j += 1
            tokens.append(line[i:j])
            i = j
    return tokens, None


def _is_indirect(comment: str | None) -> bool:
    # modfile: the comment is "indirect" or starts with "indirect;"
    return comment is not None and (comment == "indirect" or comment.startswith("indirect;"))


class GoModCataloger(FileCataloger):
    NAME = NAME
    DESCRIPTION = "Go module requirements declared in go.mod (replace and exclude applied)"
    FILE_NAMES = frozenset({"go.mod"})

    def parse(self, ctx: CatalogContext, path: str) -> Iterable[Package]:
        text = ctx.fs.read_text(path, max_size=_MAX_SIZE, errors="replace")
        return parse_gomod(ctx, path, text)


def parse_gomod(ctx: CatalogContext, path: str, text: str) -> list[Package]:
    module: str | None = None
    requires: list[tuple[str, str, int, bool]] = []
    excluded: set[tuple[str, str]] = set()
    replaces: dict[tuple[str, str | None], tuple[str, str, int]] = {}
    block: str | None = None
    block_line = 0

    def problem(lineno: int, what: str) -> None:
        ctx.problem(path, f"failed to parse go.mod: line {lineno}: {what}")

    for lineno, line in enumerate(text.splitlines(), 1):
        try:
            tokens, comment = tokenize(line)
        except GoModSyntaxError as exc:
            problem(lineno, str(exc))
            continue
        if not tokens:
            continue
        if block is not None:
            if tokens == [")"]:
                block = None
                continue
            verb, args = block, tokens
        else:
            verb, args = tokens[0], tokens[1:]
            if args == ["("]:
                block, block_line = verb, lineno
                continue
            if args == ["(", ")"]:
                continue
        if verb == "module":
            if len(args) != 1:
                problem(lineno, f"expected 'module <path>', got {line.strip()[:80]!r}")
            else:
                module = args[0]
        elif verb in ("require", "exclude"):
            if len(args) != 2:
                problem(lineno, f"expected '{verb} <path> <version>', got {line.strip()[:80]!r}")
            elif verb == "require":
                requires.append((args[0], args[1], lineno, _is_indirect(comment)))
            else:
                excluded.add((args[0], args[1]))
        elif verb == "replace":
            rep = _replace(args)
            if isinstance(rep, str):
                problem(lineno, rep)
            else:
                old, old_version, new, new_version = rep
                replaces[(old, old_version)] = (new, new_version, lineno)
    if block is not None:
        problem(block_line, f"'{block} (' block is not closed with ')'")

    module_cache = "/pkg/mod/" in path
    out: list[Package] = []
    for req_path, req_version, lineno, indirect in requires:
        if (req_path, req_version) in excluded:
            continue
        meta: dict[str, Any] = {"indirect": indirect}
        if module:
            meta["main_module"] = module
        if module_cache:
            meta["module_cache"] = True
        name, version = req_path, req_version
        found = replaces.get((req_path, req_version)) or replaces.get((req_path, None))
        if found is not None:
            new, new_version, rep_line = found
            local = is_directory_path(new)
            meta.update(
                required_path=req_path, required_version=req_version, replace_path=new,
                replace_version=new_version, replace_local=local, replace_line=rep_line,
            )  # fmt: skip
            name = req_path if local else new
            version = new_version or "(devel)"
        out.append(golang_package(name, version, file=path, line=lineno, metadata=meta, found_by=NAME))
    return out


def _replace(args: list[str]) -> tuple[str, str | None, str, str] | str:
    """``(old path, old version or None, new path, new version or "")``, or what is wrong."""
    if "=>" not in args:
        return f"expected 'replace <path> [<version>] => <path> [<version>]', got {' '.join(args)[:80]!r}"
    k = args.index("=>")
    left, right = args[:k], args[k + 1 :]
    if len(left) not in (1, 2) or len(right) not in (1, 2):
        return f"expected 'replace <path> [<version>] => <path> [<version>]', got {' '.join(args)[:80]!r}"
    if len(right) == 1 and not is_directory_path(right[0]):
        return f"replacement module {right[0]!r} without a version must be a directory path (./ or ../)"
    return left[0], left[1] if len(left) == 2 else None, right[0], right[1] if len(right) == 2 else ""

"""The Dockerfile parser against the Dockerfile reference's own examples and BuildKit's parser.

``testdata/**/*.buildkit.json`` hold what BuildKit's parser (moby/buildkit ``frontend/dockerfile/parser``,
through the ``dockerfile`` PyPI package; see make_golden.py) makes of each ``*.Dockerfile``: keyword,
lines, flags, arguments, exec form, heredocs.  The parser must agree on every instruction.  When the
``dockerfile`` package is installed, a randomised differential test compares the two live as well.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from stockade.checks.dockerfile.model import Instruction
from stockade.checks.dockerfile.parser import KNOWN, heredoc_openers, load_dockerfile, parse_dockerfile
from stockade.checks.dockerfile.words import unquote
from stockade.errors import ParseError

TESTDATA = Path(__file__).parent / "testdata"
GOLDEN = sorted(TESTDATA.rglob("*.buildkit.json"))
_TABS = re.compile(r"^\t+", re.MULTILINE)


def _comparable_buildkit(node: dict[str, Any], escape: str) -> dict[str, Any]:
    value = list(node["value"])
    cmd = node["cmd"].upper()
    if cmd in ("ENV", "LABEL", "ARG"):
        value = [unquote(v, escape) for v in value]  # BuildKit unquotes these later, when it evaluates them
    if cmd == "HEALTHCHECK" and value:
        value[0] = value[0].upper()
    heredocs = [(h["name"], h["content"]) for h in node["heredocs"]]
    return {
        "keyword": cmd,
        "lines": (node["start_line"], node["end_line"]),
        "json": node["json"],
        "flags": node["flags"],
        "args": value,
        "heredocs": heredocs,
    }


def _comparable_mine(instr: Instruction) -> dict[str, Any]:
    args = instr.args
    if instr.keyword == "ONBUILD":
        args = []
    return {
        "keyword": instr.keyword,
        "lines": (instr.line, instr.end_line),
        "json": instr.json_form,
        "flags": [f"--{k}={v}" if v or "=" in instr.original else f"--{k}" for k, v in instr.flags],
        "args": args,
        "heredocs": list(instr.heredocs),
    }


def assert_same_as_buildkit(text: str, nodes: list[dict[str, Any]], path: str) -> None:
    df = parse_dockerfile(text, path)
    assert [n["cmd"].upper() for n in nodes] == [i.keyword for i in df.instructions]
    for node, instr in zip(nodes, df.instructions, strict=True):
        want = _comparable_buildkit(node, df.escape)
        got = _comparable_mine(instr)
        if instr.keyword == "ONBUILD":
            want["args"] = []  # BuildKit nests the trigger (and its heredocs); ours is its text
            want["heredocs"] = [] if not node["heredocs"] else want["heredocs"]
            got["heredocs"] = want["heredocs"]
            assert got == want, f"{path}:{instr.line}"
            continue
        if instr.keyword not in KNOWN:
            want["args"] = got["args"]  # BuildKit drops an unknown instruction's arguments
        # BuildKit keeps <<- bodies as read and strips the tabs when it evaluates the instruction
        chomp = [strip for _, strip in heredoc_openers(instr.original)]
        want["heredocs"] = [
            (name, _TABS.sub("", body) if strip else body)
            for (name, body), strip in zip(want["heredocs"], chomp, strict=True)
        ]
        assert got == want, f"{path}:{instr.line}"


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda p: str(p.relative_to(TESTDATA)))
def test_agrees_with_buildkit(golden: Path) -> None:
    source = golden.with_name(golden.name.removesuffix(".buildkit.json") + ".Dockerfile")
    text = source.read_bytes().decode("utf-8")
    assert_same_as_buildkit(text, json.loads(golden.read_text()), str(source))


def _parse(name: str) -> list[Instruction]:
    path = TESTDATA / "parser" / name
    return load_dockerfile(path.read_bytes(), str(path)).instructions


# (file, index of the instruction, keyword, line, end line, args, json form, heredocs)
REFERENCE: list[tuple[str, int, str, int, int, list[str], bool, list[tuple[str, str]]]] = [
    # "escape": with the backtick, a trailing backslash is an ordinary character
    ("escape-backtick.Dockerfile", 1, "COPY", 4, 4, ["testfile.txt", "c:\\"], False, []),
    ("escape-backtick.Dockerfile", 2, "RUN", 5, 5, ["dir c:\\"], False, []),
    # without it, "c:\\" ends in an escaped escape (no continuation); "c:\" continues into nothing
    ("escape-default-windows.Dockerfile", 1, "COPY", 2, 2, ["testfile.txt", "c:\\\\"], False, []),
    ("escape-default-windows.Dockerfile", 2, "RUN", 3, 3, ["dir c:"], False, []),
    (
        "escape-continuation.Dockerfile",
        1,
        "RUN",
        4,
        6,
        [
            "powershell -Command     $ErrorActionPreference = 'Stop';"
            "     wget https://example.com/x.exe -OutFile c:\\x.exe"
        ],
        False,
        [],
    ),
    ("escape-continuation.Dockerfile", 2, "WORKDIR", 7, 7, ["C:\\app"], False, []),
    # "Format": a comment line inside a continuation is removed, the instruction goes on
    ("comment-in-continuation.Dockerfile", 1, "RUN", 2, 4, ["echo hello world"], False, []),
    # leading whitespace before comments and instructions is ignored; inside a continuation it is kept
    ("whitespace.Dockerfile", 1, "RUN", 3, 3, ["echo hello"], False, []),
    ("whitespace.Dockerfile", 3, "RUN", 5, 7, ['echo "     hello     world"'], False, []),
    # empty continuation lines (and comment lines) are dropped
    (
        "empty-continuation.Dockerfile",
        1,
        "RUN",
        2,
        7,
        ["apt-get update     && apt-get install -y curl     && rm -rf /var/lib/apt/lists/*"],
        False,
        [],
    ),
    ("empty-continuation.Dockerfile", 2, "CMD", 8, 8, ["curl"], True, []),
    # directives: case and whitespace do not matter; after the first instruction "# escape=" is a comment
    ("directives.Dockerfile", 1, "RUN", 6, 7, ["echo done     again"], False, []),
    # "Here-Documents"
    (
        "heredoc-bash.Dockerfile",
        1,
        "RUN",
        3,
        7,
        ["<<EOT bash"],
        False,
        [("EOT", "  set -ex\n  apt-get update\n  apt-get install -y vim\n")],
    ),
    (
        "heredoc-python.Dockerfile",
        1,
        "RUN",
        3,
        6,
        ["<<EOT"],
        False,
        [("EOT", '#!/usr/bin/env python\nprint("hello world")\n')],
    ),
    (
        "heredoc-multiple.Dockerfile",
        1,
        "RUN",
        3,
        9,
        ["<<FILE1 cat > file1 && <<FILE2 cat > file2"],
        False,
        [("FILE1", "I am\nfirst\n"), ("FILE2", "I am\nsecond\n")],
    ),
    (
        "heredoc-chomp-quoted.Dockerfile",
        2,
        "COPY",
        4,
        7,
        ['<<-"EOT"', "/script.sh"],
        False,
        [("EOT", 'echo "hello ${FOO}"\nindented\n')],
    ),
    (
        "heredoc-chomp-quoted.Dockerfile",
        3,
        "COPY",
        8,
        10,
        ["<<-EOT", "/app/foo"],
        False,
        [("EOT", "hello\n")],
    ),
    ("heredoc-chomp-quoted.Dockerfile", 4, "ENTRYPOINT", 11, 11, ["ash /script.sh"], False, []),
    # exec form is JSON: double quotes only
    ("exec-form.Dockerfile", 1, "RUN", 2, 2, ["/bin/bash", "-c", "echo hello"], True, []),
    (
        "exec-form.Dockerfile",
        2,
        "RUN",
        3,
        3,
        ["['/bin/bash', '-c', 'echo single quotes are the shell form']"],
        False,
        [],
    ),
    ("exec-form.Dockerfile", 6, "COPY", 7, 7, ["my file.txt", "/dest dir/"], True, []),
    ("exec-form.Dockerfile", 8, "HEALTHCHECK", 9, 9, ["CMD", "curl", "-f", "http://localhost/"], True, []),
    # ENV, LABEL and ARG
    ("env-label.Dockerfile", 1, "ENV", 2, 2, ["MY_NAME", "John Doe"], False, []),
    ("env-label.Dockerfile", 2, "ENV", 3, 3, ["MY_DOG", "Rex The Dog"], False, []),
    ("env-label.Dockerfile", 4, "ENV", 5, 5, ["MY_VAR", "my-value"], False, []),
    (
        "env-label.Dockerfile",
        5,
        "LABEL",
        6,
        8,
        [
            "com.example.vendor",
            "ACME Incorporated",
            "version",
            "1.0",
            "description",
            "This text illustrates that label-values can span multiple lines.",
        ],
        False,
        [],
    ),
    ("env-label.Dockerfile", 6, "ARG", 9, 9, ["user1=someuser"], False, []),
    ("env-label.Dockerfile", 7, "ARG", 10, 10, ["buildno"], False, []),
]


@pytest.mark.parametrize(
    ("name", "index", "keyword", "line", "end_line", "args", "json_form", "heredocs"),
    REFERENCE,
    ids=[f"{r[0]}#{r[1]}" for r in REFERENCE],
)
def test_reference_examples(
    name: str,
    index: int,
    keyword: str,
    line: int,
    end_line: int,
    args: list[str],
    json_form: bool,
    heredocs: list[tuple[str, str]],
) -> None:
    instr = _parse(name)[index]
    assert (instr.keyword, instr.line, instr.end_line) == (keyword, line, end_line)
    assert instr.args == args
    assert instr.json_form is json_form
    assert instr.heredocs == heredocs


def test_directives() -> None:
    df = load_dockerfile((TESTDATA / "parser" / "directives.Dockerfile").read_bytes(), "directives")
    assert df.directives == {
        "escape": "`",
        "syntax": "docker/dockerfile:1",
        "check": "skip=JSONArgsRecommended",
    }
    assert df.escape == "`"
    plain = parse_dockerfile("FROM a\n# escape=`\nRUN x \\\n y\n", "late")
    assert plain.directives == {}
    assert plain.instructions[1].args == ["x  y"]


def test_flags_and_stages() -> None:
    df = load_dockerfile((TESTDATA / "parser" / "flags-stages.Dockerfile").read_bytes(), "flags")
    build, test, final = df.stages
    assert (build.name, build.base, build.platform, build.from_stage) == (
        "build",
        "golang:1.22",
        "$BUILDPLATFORM",
        False,
    )
    assert (test.name, test.base, test.from_stage, test.parent) == ("test", "build", True, 0)
    assert (final.name, final.base, final.base_line, final.index) == (None, "alpine:3.20", 5, 2)
    run = build.instructions[0]
    assert run.flag_values("mount") == ["type=cache,target=/root/.cache/go-build", "type=bind,target=."]
    copy = final.instructions[0]
    assert copy.keyword == "COPY"
    assert copy.flags == (("from", "BUILD"), ("chown", "55:mygroup"), ("chmod", "0755"))
    assert df.stage_named(copy.flag("from") or "") is build
    assert [i.keyword for i in final.instructions] == ["COPY", "ADD", "ONBUILD"]
    assert final.instructions[2].args == ["RUN echo triggered"]
    assert [i.stage for i in df.instructions] == [0, 0, 1, 1, 2, 2, 2, 2]


@pytest.mark.parametrize(
    ("text", "bases"),
    [
        (
            "ARG  CODE_VERSION=latest\nFROM base:${CODE_VERSION}\nFROM extras:$CODE_VERSION\n",
            ["base:latest", "extras:latest"],
        ),
        ("ARG TAG\nFROM alpine:${TAG}\n", ["alpine:${TAG}"]),  # no default: chosen at build time
        ("ARG TAG\nFROM alpine:${TAG:-3.20}\n", ["alpine:${TAG:-3.20}"]),
        ("ARG V=1.2\nFROM img:${V:+pinned}\n", ["img:pinned"]),
        ("FROM img:${UNDECLARED:-3}\n", ["img:3"]),
        ("ARG X=a\nFROM scratch\nARG X=b\nFROM img:$X\n", ["scratch", "img:a"]),  # only ARGs before FROM
        ("FROM img AS Builder\nFROM BUILDER\n", ["img", "BUILDER"]),
    ],
)
def test_arg_substitution_in_from(text: str, bases: list[str]) -> None:
    assert [s.base for s in parse_dockerfile(text, "t").stages] == bases


def test_from_earlier_stage_is_case_insensitive() -> None:
    df = parse_dockerfile("FROM img AS Builder\nFROM BUILDER\nFROM later\nFROM img AS later\n", "t")
    assert [s.from_stage for s in df.stages] == [False, True, False, False]


# malformed input: (text, line, what the message says)
ERRORS: list[tuple[str, int, str]] = [
    ("FROM alpine\nRUN <<EOF\necho never ends\n", 2, "unterminated heredoc"),
    ("FROM alpine\nCOPY <<A <<B /x\na\nA\nb\n", 2, "unterminated heredoc: expected a line 'B'"),
    ("FROM alpine\nRUN <<-EOF\n  EOF\n", 2, "unterminated heredoc"),  # <<- strips tabs, not spaces
    ('FROM alpine\nRUN ["echo", 1]\n', 2, "arrays must be comprised of strings only"),
    ("FROM alpine\nENV JUST_A_NAME\n", 2, "ENV must have two arguments"),
    ("FROM alpine\nENV A=1 B\n", 2, "can't find = in 'B'"),
    ("FROM alpine\nCOPY onlyone\n", 2, "COPY requires at least 2 arguments"),
    ("FROM alpine\nRUN\n", 2, "RUN requires at least one argument"),
    ("FROM alpine\nHEALTHCHECK PING localhost\n", 2, "expected CMD or NONE"),
    ("FROM alpine\nHEALTHCHECK NONE now\n", 2, "HEALTHCHECK NONE takes no arguments"),
    ("# escape=x\nFROM alpine\n", 1, "invalid escape token"),
    ("# escape=`\n# escape=\\\nFROM alpine\n", 2, "only one escape parser directive"),
    ("RUN apt-get update\nFROM alpine\n", 1, "expected FROM (only ARG may come before it), found RUN"),
    (
        "# direc \\\ntive=value\nFROM busybox\n",
        2,
        "expected FROM (only ARG may come before it), found TIVE=VALUE",
    ),
    ("ARG A=1\n", 1, "expected FROM after the ARG instructions"),
    ("FROM alpine AS\n", 1, "FROM requires either one or three arguments"),
    ("FROM alpine base\n", 1, "FROM requires either one or three arguments"),
    ("FROM alpine AS 1st\n", 1, "invalid stage name '1st'"),
    ("FROM alpine AS a\nFROM alpine AS A\n", 2, "duplicate stage name 'a'"),
    ("", 1, "file with no instructions"),
    ("# only a comment\n\n", 2, "file with no instructions"),
    ("FROM alpine\nRUN echo \x00\x01\x02\n", 2, "a control character (binary data?)"),
    ("\x7fELF\x02\x01\x01\x00\x00\x00", 1, "a control character (binary data?)"),
]


@pytest.mark.parametrize(("text", "line", "reason"), ERRORS)
def test_malformed(text: str, line: int, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_dockerfile(text, "Dockerfile")
    assert info.value.line == line
    assert reason in info.value.reason
    assert info.value.path == "Dockerfile"


def test_invalid_utf8_has_a_line() -> None:
    with pytest.raises(ParseError) as info:
        load_dockerfile(b"FROM alpine\nRUN echo ok\nRUN echo \xff\xfe\n", "Dockerfile")
    assert info.value.line == 3
    assert "invalid UTF-8" in info.value.reason


def test_bom_crlf_and_unknown_instructions_are_kept() -> None:
    df = load_dockerfile(b"\xef\xbb\xbfFROM alpine\r\nFOO bar baz\r\nRUN echo a \\\r\n  b\r\n", "t")
    assert [(i.keyword, i.line, i.end_line, i.args) for i in df.instructions] == [
        ("FROM", 1, 1, ["alpine"]),
        ("FOO", 2, 2, ["bar", "baz"]),
        ("RUN", 3, 4, ["echo a   b"]),
    ]


def test_heredoc_body_is_not_parsed_as_instructions() -> None:
    text = "FROM alpine\nRUN <<EOF\nFROM evil\nUSER root\nEOF\nUSER app\n"
    df = parse_dockerfile(text, "t")
    assert len(df.stages) == 1
    assert [(i.keyword, i.line) for i in df.instructions] == [("FROM", 1), ("RUN", 2), ("USER", 6)]


def test_heredoc_in_onbuild_and_not_in_exec_form() -> None:
    df = parse_dockerfile('FROM a\nONBUILD RUN <<EOF\nx\nEOF\nRUN ["<<EOF"]\nCMD <<EOF\n', "t")
    onbuild, run, cmd = df.instructions[1:]
    assert (onbuild.line, onbuild.end_line, onbuild.heredocs) == (2, 4, [("EOF", "x\n")])
    assert (run.json_form, run.heredocs) == (True, [])
    assert (cmd.keyword, cmd.heredocs) == ("CMD", [])  # only RUN, COPY and ADD take heredocs


# --- live differential test against BuildKit's parser -------------------------------------------------

_FRAGMENTS = [
    "RUN echo a \\\n  b",
    "RUN echo a\\\\",
    "RUN echo a \\\n# c\n  b",
    "RUN echo \\\n\n  x",
    "run   apt-get   install  x  \\  \n y",
    "RUN <<EOF\nline1\n  EOF x\nEOF",
    "RUN <<-EOF\n\tz\n\tEOF",
    "COPY <<A <<B /dst/\na\nA\nb\nB",
    'RUN cat <<"E O" > f\nq\nE O',
    'RUN ["a", "b"]',
    "RUN [\"a\" , 'b']",
    "CMD [ ]",
    'ENTRYPOINT ["x"] extra',
    'ENV A=1 B=\'two three\' C="x\\"y"',
    "ENV K v w",
    'LABEL a=b c="d e"',
    "ARG X=1 Y",
    "EXPOSE 80/tcp  443",
    "  # indented comment",
    "",
    "COPY --from=b --chown=1:1 a b",
    "RUN --mount=type=cache,target=/x --network=none echo",
    'HEALTHCHECK --interval=5s CMD ["c"]',
    "HEALTHCHECK NONE",
    "ONBUILD RUN echo",
    "ONBUILD RUN <<EOF\nob\nEOF",
    "RUN echo '#not comment' # x",
    "RUN <<EOF bash\nset -e\nEOF",
    "RUN 3<<EOF cat\nfd\nEOF",
    "RUN echo <<<notheredoc",
    "RUN echo \\\r\n  b\r",
    "RUN dir c:\\ `\n x",
    'RUN echo "<<EOF" x',
    "RUN <<EOF\r\nbody\r\nEOF\r",
    "RUN <<-'EOF'\n\t\tx\n\t\tEOF",
    "RUN <<EOF\n\tEOF\nEOF",
    "RUN x<<EOF",
    "RUN a\u00a0b",
    "RUN\u3000x",
    "# escape=`",
    "\\",
]
_PREFIXES = [
    "",
    "# syntax=x\n",
    "# escape=`\n",
    "\n# escape=`\n",
    "\ufeff# escape=`\n",
    "#   check=skip=all\n",
]


def test_differential_against_buildkit() -> None:
    dockerfile = pytest.importorskip(
        "dockerfile", reason="the 'dockerfile' package (BuildKit's parser) is not installed"
    )
    rng = random.Random(20240705)
    compared = 0
    for _ in range(400):
        body = "\n".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(1, 6)))
        text = rng.choice(_PREFIXES) + "FROM img\n" + body + rng.choice(["", "\n"])
        try:
            nodes = [n for n in dockerfile.parse_string(text) if n.cmd]
        except dockerfile.GoParseError:
            with pytest.raises(ParseError):
                parse_dockerfile(text, "fuzz")
            continue
        as_dicts = [
            {
                "cmd": n.cmd,
                "json": n.json,
                "start_line": n.start_line,
                "end_line": n.end_line,
                "flags": list(n.flags),
                "value": list(n.value),
                "heredocs": [{"name": h.name, "content": h.content} for h in n.heredocs],
            }
            for n in nodes
        ]
        assert_same_as_buildkit(text, as_dicts, f"fuzz:{text!r}")
        compared += 1
    assert compared > 300

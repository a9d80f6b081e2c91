"""The fast block-YAML reader (stockade.target.yamlfast) against PyYAML, the reference it must equal.

Whatever the fast reader accepts must come back exactly as PyYAML's safe loader gives it — data, types,
key order, the line of every key and item, the document lines and ``# Source:`` attribution — and it must
never accept what PyYAML rejects.  Checked on every YAML file of the repository and the shared fixtures,
on hand-written cases for each construct, and on generated documents with random mutations.  Every test
runs twice: with the C module (``_yamlc.c``: the line tokenizer and the block walk) and with the same code
in Python; the C tokenizer and character check are also compared with the regular expressions they stand
for, on every line here and on random ones.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from stockade.target import manifests, yamlfast

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"


pytestmark = pytest.mark.usefixtures("implementation")  # (tests/target/conftest.py: C and Python)


def test_the_c_module_is_built_where_a_compiler_is() -> None:
    """Where a C compiler and Python's headers are, the optional build must not have failed quietly."""
    headers = Path(sysconfig.get_paths()["include"], "Python.h").exists()
    if not (shutil.which("cc") or shutil.which("gcc")) or not headers:
        pytest.skip("no C compiler or no Python.h here: the package runs the Python reader")
    assert yamlfast._yamlc is not None, "a compiler is here but stockade.target._yamlc was not built"


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return (
            len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b, strict=True))
            and all(_same(a[k], b[k]) for k in a)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _agree(text: str) -> bool:
    """Assert the fast reader equals PyYAML on ``text``; return whether the fast reader took it."""
    slow = manifests._parse_with_pyyaml(text, "f.yaml")
    try:
        fast = yamlfast.parse(text)
    except yamlfast.Unsupported:
        return False
    assert not slow.errors, f"the fast reader accepted what PyYAML rejects: {slow.errors[0]}\n{text}"
    got = manifests.parse_stream(text, "f.yaml")
    assert len(fast) == len(slow.documents) == len(got.documents), text
    for a, b in zip(got.documents, slow.documents, strict=True):
        assert _same(a.data, b.data), f"{a.data!r} != {b.data!r}\n{text}"
        assert a.positions == b.positions, text
        assert (a.line, a.index, a.source) == (b.line, b.index, b.source), text
    return True


def _yaml_files() -> list[Path]:
    roots = [REPO / "examples", REPO / "tests", SHARED / "conformance", SHARED / "rules"]
    out = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            out += [Path(dirpath, f) for f in filenames if f.endswith((".yaml", ".yml"))]
    return sorted(out)


def test_every_yaml_file_here_reads_as_pyyaml_reads_it() -> None:
    files = _yaml_files()
    assert len(files) > 150
    fast = 0
    for f in files:
        try:
            text = f.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        fast += _agree(text)
    # most are ordinary manifests the fast reader must take (a regression to "always PyYAML" fails here)
    assert fast > 0.5 * len(files), (fast, len(files))


def test_examples_are_read_by_the_fast_reader() -> None:
    for f in [REPO / "examples/k8s/shop.yaml", REPO / "examples/cluster/netpol-shop.yaml"]:
        assert _agree(f.read_text(encoding="utf-8")), f


SUPPORTED = [
    "a: 1\nb: two\nc:\nd: ~\n",
    "a: yes\nb: No\nc: on\nd: 0777\ne: 0x1F\nf: 1_000\ng: 1:30\nh: .inf\ni: -.5\nj: 1e3\nk: +1\n",
    "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 0b101\nd: '2001-12-14'\n",
    "a: it's\nb: 'it''s'\nc: \"x: y\"\nd: x#y\ne: x # comment\nf: -1\ng: --flag\nh: ''\ni: \"\"\n",
    "80: http\ntrue: t\nnull: n\n'q': 1\n\"d q\": 2\na b: 3\na:b: 4\nk : 5\n",
    "l:\n- a\n- b\nm:\n  - c\n  -   d\n",
    "- a\n- b: 1\n  c: 2\n-\n  d: 3\n- # c\n  - e\n- - f\n  -  - g\n     - h\n  - i\n",
    "spec:\n  containers:\n  - name: x\n    args: [\"-c\", 'y', z, 1, true]\n    env: []\n    x: {}\n",
    "a: |\n  line 1\n\n  line 3\n    deeper\nb: >\n  folded\n  text\n\n  para\n    more\n  back\n"
    "c: |-\n  s\nd: |+\n  k\n\n\ne: 1\n",
    "a: >-\n\n  after blank\n  x\n",
    "a: |\n  x\n# comment at column 0\nb: 1\n",
    "- |\n  in a sequence\n- >+\n  kept\n\n",
    "a: |\n  no newline at end",
    "# Source: c/templates/a.yaml\na: 1\n---\n# Source: c/templates/b.yaml\nb: 2\n--- # c\n\n# x\nc: 3\n",
    "---\na: 1\n---\n- 1\n- 2\n",
    "a: 1\nb:\n  c: 1\n  d:\n    e: [a,b,]\n",
    "a: 1\na: 2\n",
    "a: ü ñ 😀\n",
    "a: x\n...\n" * 0 + "k: v  \n",
    "a: {b: 1}\nc: [b, [c], {d: e}]\nf: {\"g\":1, 'h': [x, {i: j}], k: l,}\n",
    "backend: {service: {name: web, port: {number: 80}}}\n",
    "a:\n  b: 1\n  # comment\n      # deeper comment\n  c: 2\n",
]


@pytest.mark.parametrize("text", SUPPORTED)
def test_supported_constructs(text: str) -> None:
    assert _agree(text), "expected the fast reader to take this"


UNSUPPORTED = [
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: 1\n...\n",
    "? a\n: b\n",
    "a: multi\n  line\n",
    "a: 'multi\n  line'\n",
    'a: "esc\\n"\n',
    "a:\tb\n",
    "a: 1\r\nb: 2\r\n",
    "---\n---\na: 1\n",
    "<<: {a: 1}\n",
    "a: |2\n   x\n",
    "a: {b}\n",
    "a: {b: }\n",
    "a: [b: c]\n",
    "a: {b:1}\n",
    "a: [? b]\n",
    "a: [b #c]\n",
    "a: [b,\n  c]\n",
    "a:\n  b\n",
    "  a: 1\n",
    "a: b: c\n",
    "a: =\n",
    "a: 2001-02-30\n",
    "a: 1\n b: 2\n",
    "a:\n  - b\n  c: d\n",
    "a: |\n\n    x\n  y\n",
    "",
    "a\n",
    "a: @x\n",
    "a: |\n",
    "a: 'x' y\n",
    "a:\u2028b\n",
]


@pytest.mark.parametrize("text", UNSUPPORTED)
def test_left_to_pyyaml(text: str) -> None:
    with pytest.raises(yamlfast.Unsupported):
        yamlfast.parse(text)
    # and the caller still gets PyYAML's answer, errors included
    got, slow = manifests.parse_stream(text, "f.yaml"), manifests._parse_with_pyyaml(text, "f.yaml")
    assert [e.message for e in got.errors] == [e.message for e in slow.errors]
    assert [d.data for d in got.documents] == [d.data for d in slow.documents]


SCALARS = [
    "x", "yes", "No", "on", "OFF", "0777", "0x1F", "1_000", "1:30", "~", "null", "", ".inf", "-.5",
    "2001-12-14", "2001-12-14t21:59:43.10-05:00", "a: b", "it's", "#x", "x #y", "- x", "[x]", "-1", "=",
    "<<", "true", "True", "TRUE", "1e3", "+1", "0b101", "abc def", "ünï", "x:y", "-", "?", ":", "a'b",
    'a"b', "  lead", "trail  ", "{}", "[]", "&a", "*a", "!t", "|", ">", "%", "@", "`", ",", "12:", "--",
    "---", "...", "0", "-0", "1.0", "1,000", "x\\y", "0o7", "+.inf", ".NaN", "NULL", "y", "n",
]  # fmt: skip
KEYS = ["name", "image", "a b", "80", "true", "x:y", "k8s.io/app", "-k", "'q'", "n"]


def _scalar(rng: random.Random) -> str:
    v = rng.choice(SCALARS) if rng.random() < 0.5 else rng.choice(["web", "nginx:1.25", "80", "true", "a b"])
    style = rng.random()
    if style < 0.6:
        return v
    if style < 0.8:
        return "'" + v.replace("'", "''") + "'"
    return '"' + v + '"'


def _flow(rng: random.Random, depth: int) -> str:
    n = rng.randint(0, 3)
    if rng.random() < 0.5:
        items = [
            _flow(rng, depth + 1) if depth < 2 and rng.random() < 0.3 else _scalar(rng) for _ in range(n)
        ]
        return "[" + ", ".join(items) + rng.choice(["", ",", " "]) + "]"
    pairs = []
    for _ in range(n):
        v = _flow(rng, depth + 1) if depth < 2 and rng.random() < 0.3 else _scalar(rng)
        pairs.append(rng.choice(KEYS) + rng.choice([": ", ":", " : "]) + v)
    return "{" + ", ".join(pairs) + rng.choice(["", ",", " "]) + "}"


def _block_scalar(rng: random.Random, indent: int) -> list[str]:
    header = rng.choice("|>") + rng.choice(["", "-", "+"]) + rng.choice(["", " # c"])
    lines = [header]
    pad = " " * (indent + rng.randint(1, 3))
    for _ in range(rng.randint(1, 5)):
        r = rng.random()
        if r < 0.2:
            lines.append("")
        elif r < 0.3:
            lines.append(pad + "  " + rng.choice(SCALARS))
        elif r < 0.35:
            lines.append(" " * rng.randint(0, len(pad) + 2))
        else:
            lines.append(pad + rng.choice(SCALARS).strip() or pad + "t")
    return lines


def _node(rng: random.Random, indent: int, depth: int) -> list[str]:
    """Lines of a block collection at column ``indent``."""
    out: list[str] = []
    pad = " " * indent
    if rng.random() < 0.5 or depth == 0:
        keys = rng.sample(KEYS, rng.randint(1, 4))
        for k in keys:
            r = rng.random()
            if depth < 3 and r < 0.3:
                out.append(f"{pad}{k}:")
                if rng.random() < 0.4:
                    out += _seq(rng, indent, depth + 1)  # compact sequence under the key
                else:
                    out += _node(rng, indent + rng.randint(1, 4), depth + 1)
            elif r < 0.4:
                first, *rest = _block_scalar(rng, indent)
                out.append(f"{pad}{k}: {first}")
                out += rest
            elif r < 0.5:
                out.append(f"{pad}{k}: {_flow(rng, 0)}")
            else:
                out.append(f"{pad}{k}: {_scalar(rng)}" + rng.choice(["", "", " # c"]))
            if rng.random() < 0.1:
                out.append(" " * rng.randint(0, 6) + "# comment")
        return out
    return _seq(rng, indent, depth + 1)


def _seq(rng: random.Random, indent: int, depth: int) -> list[str]:
    out = []
    pad = " " * indent
    for _ in range(rng.randint(1, 3)):
        r = rng.random()
        if depth < 3 and r < 0.4:
            gap = " " * rng.randint(1, 3)
            inner = _node(rng, indent + 1 + len(gap), depth + 1)
            first = inner[0].lstrip(" ")
            if inner[0].startswith(" " * (indent + 1 + len(gap))) and not first.startswith("#"):
                out.append(f"{pad}-{gap}{first}")
                out += inner[1:]
            else:
                out.append(f"{pad}-")
                out += inner
        elif r < 0.5:
            first, *rest = _block_scalar(rng, indent)
            out.append(f"{pad}- {first}")
            out += rest
        else:
            out.append(f"{pad}- {_scalar(rng)}")
    return out


def _stream(rng: random.Random) -> str:
    docs = []
    for _ in range(rng.randint(1, 3)):
        head = rng.choice(["---\n", "---\n# Source: c/t.yaml\n", "# Source: c/u.yaml\n---\n", "--- # c\n"])
        if not docs and rng.random() < 0.5:
            head = rng.choice(["", "# Source: chart/templates/x.yaml\n"])
        docs.append(head + "\n".join(_node(rng, 0, 0)) + "\n")
    text = "".join(docs)
    return text if rng.random() < 0.9 else text.rstrip("\n")


def _mutate(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        op = rng.random()
        line = lines[i]
        if op < 0.3:
            lines[i] = " " + line
        elif op < 0.5 and line.startswith(" "):
            lines[i] = line[1:]
        elif op < 0.7 and line:
            j = rng.randrange(len(line))
            lines[i] = line[:j] + line[j + 1 :]
        elif op < 0.85:
            j = rng.randrange(len(line) + 1)
            c = rng.choice([":", " ", "-", "#", "'", '"', "|", "[", "]", ",", "&"])
            lines[i] = line[:j] + c + line[j:]
        else:
            lines.insert(i, rng.choice(["", "  ", "---", "- x", "k: v", "  # c"]))
    return "\n".join(lines)


def test_generated_documents_and_their_mutations() -> None:
    rng = random.Random(20261206)
    took = mutated_took = 0
    for _ in range(1500):
        text = _stream(rng)
        took += _agree(text)
        mutated_took += _agree(_mutate(rng, text))
    # the generator is meant to exercise the fast reader, not just the fallback
    assert took > 300 and mutated_took > 100, (took, mutated_took)


def _regex_tokens(line: str) -> tuple[str, ...]:
    m = yamlfast._LINE.match(line)
    assert m is not None
    return tuple(g or "" for g in m.groups())


@pytest.mark.parametrize("implementation", ["C"], indirect=True)
def test_c_tokens_equal_the_line_pattern(implementation: str) -> None:
    assert yamlfast._yamlc is not None
    lines = []
    for f in _yaml_files():
        lines += f.read_bytes().decode("utf-8", "replace").split("\n")
    rng = random.Random(7)
    alphabet = " -:'\"#?ab\\,[]{}&*!|>%@`é\u2028\U0001f600\t\r"
    for _ in range(100_000):
        lines.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))))
    for _ in range(200):  # long runs of spaces inside a key (the tokenizer skips them in one step)
        lines.append("k" + " " * rng.randint(0, 300) + rng.choice(["", ":", ": x", "#: x", " :", "x: y"]))
    got = yamlfast._yamlc.tokens(lines)
    assert len(got) == len(lines)
    for line, tok in zip(lines, got, strict=True):
        assert tok == _regex_tokens(line), repr(line)


@pytest.mark.parametrize("implementation", ["C"], indirect=True)
def test_c_refused_equals_the_character_class(implementation: str) -> None:
    assert yamlfast._yamlc is not None
    for c in range(0x110000):  # every code point, in a 1-byte and in a 2- or 4-byte string
        ch = chr(c)
        for text in ("a" + ch, "\u0100" + ch):
            assert yamlfast._yamlc.refused(text) == yamlfast._refused(text), hex(c)


def _nested(depth: int, flow: bool) -> str:
    """A mapping whose innermost collection is ``depth`` keys deep (block or flow style)."""
    if flow:
        return "a: " + "{b: " * depth + "x" + "}" * depth + "\n"
    return "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "v: x\n"


@pytest.mark.parametrize("flow", [False, True], ids=["block", "flow"])
def test_nesting_up_to_the_limit_is_read_and_deeper_is_refused(flow: bool) -> None:
    assert _agree(_nested(yamlfast.MAX_DEPTH, flow))
    deeper = _nested(yamlfast.MAX_DEPTH + 1, flow)
    with pytest.raises(yamlfast.Unsupported):
        yamlfast.parse(deeper)
    # PyYAML's builder refuses it too, as an error of that document, and the next document is read
    got = manifests.parse_stream(deeper + "---\nkind: Pod\n", "deep.yaml")
    assert [d.data for d in got.documents] == [{"kind": "Pod"}]
    assert len(got.errors) == 1
    assert f"nested deeper than {yamlfast.MAX_DEPTH} levels" in got.errors[0].message
    # the line of the first collection too deep: the one holding "v" (block), all on line 1 (flow)
    assert got.errors[0].line == (1 if flow else yamlfast.MAX_DEPTH + 2)


@pytest.mark.parametrize("flow", [False, True], ids=["block", "flow"])
def test_nesting_past_the_recursion_limit_is_an_error_of_the_file(flow: bool) -> None:
    # before the bound, a document this deep ended the whole scan with Python's RecursionError
    got = manifests.parse_stream(_nested(1200, flow), "deep.yaml")
    assert not got.documents
    assert len(got.errors) == 1 and got.errors[0].line is not None

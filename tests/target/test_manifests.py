"""The manifest loader builds exactly what PyYAML's safe_load builds, plus line positions."""

from __future__ import annotations

from pathlib import Path

import yaml

from stockade.target.manifests import parse_stream

SHARED = Path(__file__).resolve().parents[3] / "shared"

YAML_11 = """
plain: text
yes_: yes
no_: No
on_: on
off_: OFF
null_: ~
empty:
int: 42
neg: -17
hex: 0x1F
octal: 0755
under: 1_000
float: 1e3
inf: .inf
nan_like: .NaN
date: 2026-11-26
stamp: 2026-11-26T20:13:55Z
quoted: "yes"
single: '0755'
version: 1.10
list: [1, "2", three, true]
nested: {a: {b: [x, {c: null}]}}
block: |
  line one
  line two
folded: >
  folded
  text
"""


def test_same_data_as_safe_load() -> None:
    # run twice: the second time every plain scalar's tag comes from the memo
    for _ in range(2):
        result = parse_stream(YAML_11, "t.yaml")
        assert not result.errors
        (doc,) = result.documents
        expected = yaml.safe_load(YAML_11)
        assert repr(doc.data) == repr(expected)  # repr: nan != nan, types must match too


def test_conformance_pods_match_safe_load() -> None:
    files = sorted((SHARED / "conformance" / "pss").rglob("*.yaml"))
    assert files, "the shared conformance fixtures are missing"
    for path in files:
        text = path.read_text()
        docs = [d.data for d in parse_stream(text, str(path)).documents]
        assert docs == list(yaml.safe_load_all(text)), path


def test_positions() -> None:
    result = parse_stream("a: 1\nb:\n  - x\n  - {c: 2}\n", "p.yaml")
    (doc,) = result.documents
    assert doc.line_of(("b", 1, "c")) == 4
    assert doc.line_of(("b", 0)) == 3
    assert doc.line_of(("missing", "deep")) == 1


def test_every_helm_source_comment_names_the_documents_below_it() -> None:
    """``# Source:`` comments of a long ``helm template`` output: each document gets the template of the
    last comment above it (lines counted from one comment to the next, not from the top each time)."""
    parts = []
    for i in range(300):
        blank = "\n" * (i % 3)
        parts.append(
            f"---\n# Source: chart/templates/t{i}.yaml\n{blank}apiVersion: v1\nkind: ConfigMap\n"
            f"metadata:\n  name: c{i}\n"
        )
    docs = parse_stream("".join(parts), "helm.yaml").documents
    assert [d.source for d in docs] == [f"chart/templates/t{i}.yaml" for i in range(300)]
    text = "".join(parts)
    assert [d.line for d in docs] == [
        text.count("\n", 0, text.index("apiVersion", text.index(f"t{i}.yaml"))) + 1 for i in range(300)
    ]


def test_source_comments_are_found_as_the_pattern_finds_them() -> None:
    """``_sources`` (str.find) against the pattern it stands for, on random texts made of the pieces that
    matter: the comment at a line start or not, spaces, tabs, carriage returns, empty templates."""
    import random
    import re

    from stockade.target.manifests import _sources

    pattern = re.compile(r"^# Source: (\S.*?)\s*$", re.M)
    pieces = ["# Source: ", "a/b.yaml", " ", "\t", "\r", "\n", "x", "# Source:", "\u00a0", "é", "\x1c"]
    rng = random.Random(3)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        want = [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in pattern.finditer(text)]
        assert _sources(text) == want, repr(text)

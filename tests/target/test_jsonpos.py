"""JSON documents (target/jsonpos.py, manifests.parse_stream): the line of every key and element, by the C
walk and the Python one alike, the same as PyYAML's where both read the same data; JSON semantics where
YAML 1.1 differs; and every text the walk does not take still read (by PyYAML) or refused as before."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from stockade.target import jsonpos, manifests, yamlfast

pytestmark = pytest.mark.usefixtures("implementation")  # (tests/target/conftest.py: C and Python)


SCALARS = [
    0,
    -7,
    12345,
    1.5,
    True,
    False,
    None,
    "",
    "x",
    "a,b",
    "{[:]}",
    'q"uote',
    "back\\slash",
    "ü",
    "t\tb",
    "l\nb",
]
KEYS = ["a", "b", "name", "spec", "ü", "k k", "{x}", "[y]", ":"]


def _random_value(rng: random.Random, depth: int) -> Any:
    kind = rng.random()
    if depth > 4 or kind < 0.35:
        return rng.choice(SCALARS)
    if kind < 0.7:
        return {rng.choice(KEYS) + str(i): _random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}
    return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def _texts(n: int) -> list[str]:
    rng = random.Random(5)
    out = []
    for _ in range(n):
        value = {"apiVersion": "v1", "kind": "Pod", "spec": _random_value(rng, 0)}
        style = rng.choice([None, 2, 4, "\t"])
        text = json.dumps(value, indent=style, ensure_ascii=rng.random() < 0.5)
        out.append(rng.choice(["", "\n", "  \n\t"]) + text + rng.choice(["", "\n", "\n\n  "]))
    return out


def test_the_walks_agree_with_pyyaml_on_generated_documents() -> None:
    compared = 0
    for text in _texts(400):
        doc = manifests.parse_stream(text, "f.json").documents[0]
        assert doc.data == json.loads(text)
        assert jsonpos.positions(text, yamlfast.MAX_DEPTH) == jsonpos.index(text, yamlfast.MAX_DEPTH)
        slow = manifests._parse_with_pyyaml(text, "f.json")
        if slow.errors:  # (JSON PyYAML cannot read as YAML, a tab where YAML wants none: read as JSON now)
            continue
        assert doc.data == slow.documents[0].data and doc.line == slow.documents[0].line, text
        assert doc.positions == slow.documents[0].positions, text
        compared += 1
    assert compared > 250


def test_keys_with_escapes() -> None:
    doc = manifests.parse_stream(
        '{"a\\u0041": 1,\n "b\\"": [2],\n "\\u00fc": {"x\\ty": 3}}\n', "f.json"
    ).documents[0]
    assert doc.data == {"aA": 1, 'b"': [2], "ü": {"x\ty": 3}}
    assert doc.positions == {("aA",): 1, ('b"',): 2, ('b"', 0): 2, ("ü",): 3, ("ü", "x\ty"): 3}


def test_a_json_document_has_json_numbers() -> None:
    """``1e3`` is a number in JSON and a string in YAML 1.1: a document that starts with "{" is JSON to
    Kubernetes (its decoder sniffs the first character), and so here."""
    doc = manifests.parse_stream(
        '{"spec": {"replicas": 1e3, "x": 1E+2, "y": -0.5e-1}}\n', "f.json"
    ).documents[0]
    assert doc.data == {"spec": {"replicas": 1000.0, "x": 100.0, "y": -0.05}}
    assert doc.positions == {("spec",): 1, ("spec", "replicas"): 1, ("spec", "x"): 1, ("spec", "y"): 1}


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("{a: 1, b: [x, y]}\n", {"a": 1, "b": ["x", "y"]}),  # a YAML flow mapping, not JSON
        ('{"a": 1}\n---\n{"b": 2}\n', {"a": 1}),  # several documents: not one JSON value
    ],
)
def test_what_is_not_one_plain_json_value_is_read_as_yaml(text: str, data: Any) -> None:
    got = manifests.parse_stream(text, "f.yaml")
    assert (
        got.documents[0].data == data
        and got.documents == manifests._parse_with_pyyaml(text, "f.yaml").documents
    )


def test_nesting_past_the_limit_is_an_error_of_the_document_as_for_yaml() -> None:
    deep = "[" * (yamlfast.MAX_DEPTH + 5) + "]" * (yamlfast.MAX_DEPTH + 5)
    got = manifests.parse_stream('{"a": ' + deep + "}\n", "f.json")
    assert got.documents == [] and len(got.errors) == 1 and "nested deeper" in got.errors[0].short
    assert jsonpos.index('{"a": ' + deep + "}", yamlfast.MAX_DEPTH) is None


def test_a_json_syntax_error_names_its_line() -> None:
    got = manifests.parse_stream('{\n  "a": 1,\n  "b": [1, 2,\n  "c": }\n', "f.json")
    assert got.documents == [] and got.errors and got.errors[0].line == 4

"""The plain-scalar values of target/yamlscalar.py against PyYAML's safe loader itself: the tag its
resolver gives, the value its constructor builds, or that it refuses — on every form the YAML 1.1 resolvers
know, their edges, and 20,000 random texts made of the characters that matter."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
import yaml

from stockade.target import yamlscalar

LOADER = yaml.SafeLoader("")


def pyyaml(text: str) -> tuple[str, Any]:
    tag = LOADER.resolve(yaml.ScalarNode, text, (True, False))
    mark = yaml.Mark("", 0, 0, 0, None, None)
    try:
        return tag, LOADER.construct_object(yaml.ScalarNode(tag, text, mark, mark), deep=True)
    except Exception as exc:
        return tag, type(exc)


def ours(text: str) -> Any:
    try:
        return yamlscalar.plain(text)
    except Exception as exc:
        return type(exc)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, type) and isinstance(b, type):  # both refused (the exception classes may differ)
        return issubclass(a, Exception) and issubclass(b, Exception)
    return (
        type(a) is type(b)
        and a == b
        and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))
    )


KNOWN = [
    "", "~", "null", "Null", "NULL", "nULL", "none", "yes", "Yes", "YES", "yEs", "no", "NO", "n", "y", "true",
    "True", "TRUE", "tRUE", "false", "on", "On", "ON", "off", "Off", "OFF", "0", "-0", "+0", "00", "007",
    "08",
    "0_7", "0b", "0b1", "0b_", "-0b101", "0x", "0x_", "0xFF", "0xfg", "-0x1_0", "1_000", "1__0", "_1", "1_",
    "190:20:30", "1:60", "1:5", "-1:30", "0:30", "1.5", "1.", ".5", "-.5", "+.5", "1.5e3", "1.5e+3", "1.5E-3",
    "1e3", "1.0e3", ".inf", "-.inf", "+.INF", ".Inf", ".NaN", ".nan", ".NAN", "-.nan", "1_0.5_0",
    "190:20:30.15",
    "1:30.5", "2020-01-01", "2020-1-1", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
    "2001-12-14 21:59:43.10", "2002-12-14", "2027-02-30", "1234-56-78", "<<", "<", "=", "==", "v1", "80",
    "8080", "3.14159", "1.2.3", "0.5", "100m", "1Gi", "-", "+", "--", ".", "..", "1 2", "12 ", " 12",
    "0o17", "0O17", "1_2_3", "123456789012345678901234567890", "-123456789012345678901234567890",
]  # fmt: skip


@pytest.mark.parametrize("text", KNOWN)
def test_known_forms(text: str) -> None:
    tag, want = pyyaml(text)
    assert yamlscalar.tag_of(text) == tag.rsplit(":", 1)[1]
    assert same(want, ours(text)), (text, want, ours(text))


def test_random_texts() -> None:
    rng = random.Random(11)
    alphabet = "0123456789_-+.:eExXbBoO aAfFnNtTyYlLiIsSuU~<=\t"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9))).strip(" \t")
        tag, want = pyyaml(text)
        assert yamlscalar.tag_of(text) == tag.rsplit(":", 1)[1], text
        assert same(want, ours(text)), (text, want, ours(text))


def test_a_text_with_a_line_break_is_left_to_pyyaml() -> None:
    for text in ("12\n", "a\nb", "true\n"):
        assert same(pyyaml(text)[1], ours(text))


def test_importing_the_fast_reader_does_not_import_pyyaml() -> None:
    import subprocess
    import sys

    code = (
        "import sys, stockade.target.yamlfast as f; f.parse('a: 1\\nb: [x]\\n'); print('yaml' in sys.modules)"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        == "False\n"
    )

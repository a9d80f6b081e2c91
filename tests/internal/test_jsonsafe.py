"""``_internal.jsonsafe.dumps``: orjson's output where orjson can write the data; text that is not
UTF-8 and integers past 64 bits written instead of refused."""

from __future__ import annotations

import json
import os

import orjson
import pytest

from stockade._internal.jsonsafe import clean, dumps


@pytest.mark.parametrize(
    "obj", [{"a": 1, "b": [1.5, None, True, "x\u00e9"]}, [], "text", {"z": {"y": 2}, "a": 1}]
)
def test_what_orjson_writes_is_written_as_orjson_writes_it(obj: object) -> None:
    assert dumps(obj) == orjson.dumps(obj)
    assert dumps(obj, sort_keys=True) == orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def test_text_that_is_not_utf8_becomes_replacement_characters_keys_and_nested_values_too() -> None:
    name = os.fsdecode(b"/tmp/a\xffb")  # surrogateescape: '/tmp/a\udcffb'
    obj = {name: [name, {"k": name}], "lone": "x\ud800y", "ok": "caf\u00e9"}
    out = orjson.loads(dumps(obj, sort_keys=True))
    assert out == {
        "/tmp/a\ufffdb": ["/tmp/a\ufffdb", {"k": "/tmp/a\ufffdb"}],
        "lone": "x\ufffd\ufffd\ufffdy",  # (a lone surrogate, not a byte kept by surrogateescape)
        "ok": "caf\u00e9",
    }
    assert clean((name,)) == ["/tmp/a\ufffdb"]


def test_integers_past_64_bits_are_written_by_the_standard_library() -> None:
    obj = {"big": 2**70, "name": os.fsdecode(b"\xff"), "b": 1}
    text = dumps(obj, sort_keys=True)
    assert json.loads(text) == {"b": 1, "big": 2**70, "name": "\ufffd"}
    assert text.startswith(b'{"b":1,"big":')  # (compact, keys sorted)

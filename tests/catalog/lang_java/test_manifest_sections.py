"""``parse_manifest`` stops splitting at the end of the main section (a signed jar lists a digest for
every class after it) and joins continuation lines once; it must read exactly what a plain reading of
the JAR File Specification gives: every line split on CR LF, LF or CR, up to the first empty line."""

from __future__ import annotations

import random
import re
import zipfile

import pytest

from stockade.catalog.lang.javameta import parse_manifest
from tests.catalog.lang_java.test_java import real_jars

_BREAK = re.compile(r"\r\n|\r|\n")
_HEADER = re.compile(r"([A-Za-z0-9][A-Za-z0-9_-]{0,69}): (.*)\Z", re.DOTALL)


def reference(data: bytes) -> tuple[dict[str, str], list[str]]:
    """The main section, line by line over the whole text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    fields: dict[str, str] = {}
    problems: list[str] = []
    last: str | None = None
    for lineno, line in enumerate(_BREAK.split(text), 1):
        if not line:
            break
        if line[0] == " ":
            if last is None:
                problems.append(f"line {lineno}: continuation line without a header before it")
            else:
                fields[last] += line[1:]
            continue
        m = _HEADER.match(line)
        if m is None:
            problems.append(f"line {lineno}: expected 'Name: value', got {line[:40]!r}")
            last = None
            continue
        last = m.group(1).lower()
        fields[last] = m.group(2)
    return fields, problems


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (b"A: 1\r\n\r\nName: x\r\nB: 2\r\n", {"a": "1"}),
        (b"A: 1\n\nB: 2\n", {"a": "1"}),
        (b"A: 1\r\rB: 2\r", {"a": "1"}),
        (b"A: 1\n\r\nB: 2", {"a": "1"}),
        (b"A: 1\r\n\nB: 2", {"a": "1"}),
        (b"A: 1\r\nB: 2\r\n", {"a": "1", "b": "2"}),  # CR LF is one break, not a blank line
        (b"A: 1\rB: 2\n C\r D\r\n E", {"a": "1", "b": "2CDE"}),
        (b"A: x\n y\nA: z\n w\n", {"a": "zw"}),  # a repeated header: the last one, with its continuations
        (b"\nA: 1\n", {}),
    ],
)
def test_main_section(data: bytes, fields: dict[str, str]) -> None:
    assert parse_manifest(data) == (fields, [])
    assert reference(data) == (fields, [])


def test_same_as_line_by_line_on_random_manifests() -> None:
    pieces = ["A: 1", "a: 2", "B: x", "B:x", "A:", ": y", " : z", " cont", " ", "", "bad", "é", "\u2028",
              "\r", "\n", "\r\n", "\r\n", "\n"]  # fmt: skip
    rnd = random.Random(7)
    for _ in range(5000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 14)))
        for data in (text.encode(), text.encode("latin-1", "replace")):
            assert parse_manifest(data) == reference(data), data


def test_same_as_line_by_line_on_real_manifests() -> None:
    jars = real_jars()
    if not jars:
        pytest.skip("no jars in /usr/share/java or /usr/share/maven/lib (Debian's maven package)")
    seen = 0
    for jar in jars:
        with zipfile.ZipFile(jar) as zf:
            for info in zf.infolist():
                if info.filename.upper() == "META-INF/MANIFEST.MF":
                    data = zf.read(info)
                    assert parse_manifest(data) == reference(data), jar
                    seen += 1
    assert seen > 0

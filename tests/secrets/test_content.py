"""Files of every shape: binary (skipped by content), invalid UTF-8, UTF-16, a secret across a chunk
boundary, and a 1 GB sparse file scanned in bounded memory (RSS measured in a child process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stockade.secrets.content import OVERLAP, scan_chunks, scan_file, sniff
from stockade.secrets.engine import default_ruleset

TOKEN = "glpat-" + "Kq3vN8sLm2Xp7Rt5Yw1H"
LINE = f"GITLAB_TOKEN={TOKEN}\n".encode()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"plain text\n", "latin-1"),
        (b"caf\xe9 \xff\xfe broken utf-8 \xc3\x28\n", "latin-1"),
        ("text".encode("utf-16"), "utf-16"),
        ("abc = 1\n".encode("utf-16-le") * 4, "utf-16-le"),
        ("abc = 1\n".encode("utf-16-be") * 4, "utf-16-be"),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100, None),
        (b"PK\x03\x04\x14\x00\x00\x00", None),
        (bytes(range(1, 32)) * 20, None),
    ],
)
def test_sniff(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected


def test_binary_skipped_even_with_a_secret() -> None:
    result = scan_chunks([b"\x00\x01\x02" + LINE], default_ruleset())
    assert result.skipped == "binary" and not result.hits


def test_invalid_utf8_scanned() -> None:
    data = b"\xc3\x28 garbage \x80\x81 \xff\n" + LINE + b"more \xe9\xe8\n"
    result = scan_chunks([data], default_ruleset())
    assert [(h.rule.name, h.line, h.secret) for h in result.hits] == [("gitlab-pat", 2, TOKEN)]


def test_utf16_scanned() -> None:
    data = ("# config\n" + LINE.decode()).encode("utf-16")
    result = scan_chunks([data[:7], data[7:]], default_ruleset())  # the chunk splits a character
    assert [(h.rule.name, h.line, h.secret) for h in result.hits] == [("gitlab-pat", 2, TOKEN)]


@pytest.mark.parametrize("cut", [0, 5, 13, 20, 25, len(LINE) - 1])
def test_secret_across_chunk_boundary_found_once(cut: int) -> None:
    filler = b"x = 1\n" * (OVERLAP // 3)
    data = filler + LINE + filler + LINE
    at = len(filler) + cut
    chunks = [data[:at], data[at : at + 7000], data[at + 7000 :]]
    result = scan_chunks(chunks, default_ruleset())
    lines = filler.count(b"\n")
    assert [(h.line, h.secret) for h in result.hits] == [(lines + 1, TOKEN), (2 * lines + 2, TOKEN)]


# VmHWM, the peak RSS of this process's own memory: getrusage's ru_maxrss survives execve on Linux, so a
# child of a large pytest worker would report the worker's peak
_CHILD = r"""
import json, sys
from stockade.secrets.content import scan_file
from stockade.secrets.engine import default_ruleset
result = scan_file(sys.argv[1], default_ruleset())
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"hits": [(h.rule.name, h.line) for h in result.hits], "skipped": result.skipped,
                  "rss_kib": hwm}))
"""


@pytest.mark.slow
def test_one_gigabyte_sparse_file_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.log"
    size = 1024**3
    dense = b"2026-12-06 INFO request served in 3 ms\n" * (64 * 1024 * 1024 // 40)  # 64 MiB of real text
    with open(path, "wb") as fh:
        fh.write(b"start\n" + LINE)
        fh.write(dense)
        fh.seek(size // 2)
        fh.write(b"\n" + LINE)
        fh.seek(size - len(LINE) - 1)
        fh.write(b"\n" + LINE)
    assert os.path.getsize(path) == size
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["skipped"] is None
    dense_lines = dense.count(b"\n")
    assert [h[1] for h in out["hits"]] == [2, dense_lines + 4, dense_lines + 6]
    # the interpreter and the compiled rules take ~60 MiB; a file read whole would take over 1 GiB
    assert out["rss_kib"] < 200 * 1024, out["rss_kib"]


def test_unreadable_and_missing(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        scan_file(str(tmp_path / "missing"), default_ruleset())

"""OS identification: os-release(5) parsing and the older release files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stockade.catalog.osrelease import detect_os, parse_os_release
from stockade.model.status import Status
from stockade.target.fs import TargetFS


def test_parse_quoting_and_comments() -> None:
    text = (
        '# comment\nNAME="Debian GNU/Linux"\nID=debian\n'
        "PRETTY_NAME='Debian 12'\n"
        'X="a \\"q\\" b"\nbad line\n'
    )
    fields = parse_os_release(text)
    assert fields == {"NAME": "Debian GNU/Linux", "ID": "debian", "PRETTY_NAME": "Debian 12", "X": 'a "q" b'}


def test_this_host_matches_python_platform() -> None:
    import platform

    try:
        expected = platform.freedesktop_os_release()
    except OSError:
        pytest.skip("this machine has no os-release file")
    info = detect_os(TargetFS("/"))
    assert info is not None
    assert info.id == expected["ID"] and info.version_id == expected.get("VERSION_ID")


@pytest.mark.parametrize(
    ("path", "content", "os_id", "version"),
    [
        ("etc/alpine-release", "3.19.1\n", "alpine", "3.19.1"),
        ("etc/debian_version", "12.5\n", "debian", "12.5"),
        ("etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n", "centos", "7.9.2009"),
        ("etc/redhat-release", "Red Hat Enterprise Linux release 8.9 (Ootpa)\n", "rhel", "8.9"),
        (
            "etc/lsb-release",
            "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=20.04\nDISTRIB_CODENAME=focal\n",
            "ubuntu",
            "20.04",
        ),
        ("usr/lib/os-release", "ID=wolfi\nVERSION_ID=20230201\n", "wolfi", "20230201"),
    ],
)
def test_fallbacks(tmp_path: Path, path: str, content: str, os_id: str, version: str) -> None:
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(content)
    info = detect_os(TargetFS(str(tmp_path)))
    assert info is not None and (info.id, info.version_id) == (os_id, version)
    assert info.source == "/" + path


def test_unreadable_os_release_is_reported(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    os.symlink("os-release", tmp_path / "etc/os-release")  # a loop onto itself
    problems: list[Status] = []
    assert detect_os(TargetFS(str(tmp_path)), problems) is None
    assert [(p.path, p.reason) for p in problems] == [("/etc/os-release", "symlink loop")]

"""Python cataloger: real dist-info and egg-info copied from installed distributions, and broken ones."""

from __future__ import annotations

import shutil
from pathlib import Path

from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang.python import PythonCataloger, normalise_name, read_headers
from stockade.catalog.walker import walk
from stockade.model.inventory import Package
from stockade.model.status import StatusKind
from stockade.target.fs import TargetFS

TESTDATA = Path(__file__).parent / "testdata"
SITE = "usr/lib/python3/dist-packages"


def run(root: Path) -> tuple[list[Package], CatalogContext]:
    fs = TargetFS(str(root))
    cat = PythonCataloger()
    walked = walk(fs, [cat])
    ctx = CatalogContext(fs=fs, os=None, plugin="catalog/lang/python")
    return cat.catalog(ctx, walked.wanted[cat.NAME]), ctx


def real_tree(tmp_path: Path) -> Path:
    shutil.copytree(TESTDATA / "site-packages", tmp_path / SITE)
    return tmp_path


def test_real_distributions(tmp_path: Path) -> None:
    pkgs, ctx = run(real_tree(tmp_path))
    assert ctx.problems == []
    got = {(p.name, p.version) for p in pkgs}
    assert got == {
        ("click", "8.5.1"),
        ("packageurl-python", "0.17.6"),
        ("crcmod", "1.7"),
        ("wsgiref", "0.1.2"),
    }
    by_name = {p.name: p for p in pkgs}
    assert by_name["click"].purl == "pkg:pypi/click@8.5.1"
    assert by_name["click"].metadata["site_packages"] == f"/{SITE}"
    assert by_name["click"].metadata["installer"] == "pip"
    assert by_name["click"].locations[0].path == f"/{SITE}/click-8.5.1.dist-info/METADATA"
    assert by_name["crcmod"].locations[0].path == f"/{SITE}/crcmod-1.7.egg-info/PKG-INFO"
    assert by_name["wsgiref"].locations[0].path == f"/{SITE}/wsgiref.egg-info"
    assert {p.ecosystem for p in pkgs} == {"PyPI"}


def test_purl_uses_normalised_name() -> None:
    assert normalise_name("Foo.Bar_baz--Qux") == "foo-bar-baz-qux"


def test_binary_garbage_metadata_is_a_status(tmp_path: Path) -> None:
    root = real_tree(tmp_path)
    bad = root / SITE / "evil-1.0.dist-info"
    bad.mkdir()
    (bad / "METADATA").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8)
    pkgs, ctx = run(root)
    assert len(pkgs) == 4  # the others are still read
    assert len(ctx.problems) == 1
    st = ctx.problems[0]
    assert st.path == f"/{SITE}/evil-1.0.dist-info/METADATA"
    assert st.status is StatusKind.ERROR and "binary data" in st.reason


def test_missing_version_is_a_status(tmp_path: Path) -> None:
    root = tmp_path
    d = root / SITE / "nover-1.0.dist-info"
    d.mkdir(parents=True)
    (d / "METADATA").write_text("Metadata-Version: 2.1\nName: nover\n\nbody\n")
    pkgs, ctx = run(root)
    assert pkgs == []
    assert "missing Version" in ctx.problems[0].reason


def test_header_block_stops_at_body() -> None:
    data = b"Metadata-Version: 2.1\nName: a\nVersion: 1\n\nName: not-a-header\nthis: is body\n"
    assert read_headers(data, "/x")["name"] == ["a"]


def test_metadata_outside_dist_info_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/METADATA").write_text("Name: x\nVersion: 1\n")
    (tmp_path / "docs/PKG-INFO").write_text("Name: y\nVersion: 1\n")
    pkgs, ctx = run(tmp_path)
    assert pkgs == [] and ctx.problems == []

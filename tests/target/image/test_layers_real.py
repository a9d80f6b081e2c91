"""A real multi-layer image (built by umoci, which writes the whiteouts itself): layer 2 deletes a file,
layer 3 replaces a package.  The result is the final filesystem, and each package names its layer."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from stockade.catalog.registry import PRESETS
from stockade.scan.scanner import load_catalogers
from stockade.target.image.layout import open_layout
from stockade.target.image.squash import Squasher
from stockade.target.image.stream import Limits
from tests.conftest import run_cli
from tests.target.image import builders as b

SECRET = "/etc/app/credentials"


def bump(status: str, package: str, version: str) -> str:
    """The dpkg status with ``package`` at ``version`` (what an upgrade in a later layer leaves)."""
    out, n = re.subn(
        rf"(\nPackage: {re.escape(package)}\n(?:[^\n]+\n)*?Version: )[^\n]+",
        rf"\g<1>{version}",
        "\n" + status,
    )
    assert n == 1, package
    return out[1:]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    b.need("umoci", "dpkg-query")
    tmp = tmp_path_factory.mktemp("layers")

    def layer1(rootfs: Path) -> None:
        b.base_rootfs(rootfs)
        b.copy_dist("click", rootfs)
        (rootfs / "etc/app").mkdir(parents=True)
        (rootfs / SECRET.lstrip("/")).write_text("password=hunter2\n")

    def layer2(rootfs: Path) -> None:
        (rootfs / SECRET.lstrip("/")).unlink()

    def layer3(rootfs: Path) -> None:
        status = rootfs / "var/lib/dpkg/status"
        status.write_text(bump(status.read_text(), "bash", "99:9.9-9"))
        site = rootfs / b.SITE.lstrip("/")
        old = next(site.glob("click-*.dist-info"))
        shutil.rmtree(old)
        new = site / "click-99.0.dist-info"
        new.mkdir()
        (new / "METADATA").write_text("Metadata-Version: 2.1\nName: click\nVersion: 99.0\n\n")

    ref = b.umoci_image(tmp / "layout", "t", [layer1, layer2, layer3])
    proc = run_cli("image", ref, "--format", "json", "--quiet", "--no-store")
    assert proc.returncode == 0, proc.stderr
    return {"ref": ref, "doc": json.loads(proc.stdout), "tmp": tmp}


def test_final_filesystem_and_layers(built: dict[str, Any]) -> None:
    doc = built["doc"]
    layers = [layer["digest"] for layer in doc["target"]["image"]["layers"]]
    assert len(layers) == 3
    pkgs = {(p["type"], p["name"]): p for p in doc["inventory"]["packages"]}
    assert pkgs[("pypi", "click")]["version"] == "99.0"
    assert {loc["layer"] for loc in pkgs[("pypi", "click")]["locations"]} == {layers[2]}
    assert pkgs[("deb", "bash")]["version"] == "99:9.9-9"
    assert pkgs[("deb", "bash")]["locations"][0]["layer"] == layers[2]
    # every other Debian package was installed by layer 1, though layer 3 rewrote the database
    others = {p["locations"][0]["layer"] for (t, n), p in pkgs.items() if t == "deb" and n != "bash"}
    assert others == {layers[0]}
    assert len([1 for t, _ in pkgs if t == "deb"]) == len(b.host_dpkg())


def test_deleted_file_stays_visible_to_history(built: dict[str, Any], tmp_path: Path) -> None:
    spec = open_layout(str(built["tmp"] / "layout"), "t", None, "t")
    catalogers, _ = load_catalogers(PRESETS["image"])
    out = Squasher(spec, str(tmp_path), catalogers, Limits()).run()
    assert SECRET not in out.entries
    deleted = [(h.layer, h.hidden_in, h.how) for h in out.hidden if h.path == SECRET]
    assert deleted == [(0, 1, "deleted")]
    assert built["doc"]["target"]["image"]["files"]["deleted"] >= 1

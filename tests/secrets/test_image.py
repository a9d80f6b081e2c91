"""Must-show: a secret added in layer 1 and deleted in layer 2 is reported with its layer (and the layer
that deleted it); the same secret in the image config's Env is reported with the same fingerprint.
The image is built by umoci (which writes the whiteout itself) and read as an OCI layout and, copied by
skopeo, as a docker-archive."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from stockade.secrets.validate import crc32_base62
from tests.secrets.helpers import run_secrets
from tests.target.image import builders as b

BODY = "Zq8vN3kLm2Xp7Rt5Yw1Hs9Dc4Fb6Gj0Ka"[:30]
TOKEN = f"ghp_{BODY}{crc32_base62(BODY)}"
PASSWORD = "Vx7-kq2.Lm9*Rt"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    b.need("umoci")
    tmp = tmp_path_factory.mktemp("secret-image")

    def layer1(rootfs: Path) -> None:
        (rootfs / "app").mkdir()
        (rootfs / "app/.env").write_text(f"GITHUB_TOKEN={TOKEN}\nLOG_LEVEL=info\n")
        (rootfs / "app/settings.py").write_text(f'DEBUG = False\npassword = "{PASSWORD}"\n')
        (rootfs / "app/blob.bin").write_bytes(b"\x7fELF\x00\x01" + TOKEN.encode() + b"\x00" * 64)

    def layer2(rootfs: Path) -> None:
        (rootfs / "app/.env").unlink()

    def layer3(rootfs: Path) -> None:
        (rootfs / "app/settings.py").write_text("DEBUG = False\nimport os\npassword = os.environ['PW']\n")

    ref = b.umoci_image(
        tmp / "layout",
        "t",
        [layer1, layer2, layer3],
        config=["--config.env", f"GITHUB_TOKEN={TOKEN}", "--config.env", "PATH=/usr/bin"],
    )
    proc = run_secrets("--image", ref, "--format", "json", "--quiet", "--no-store")
    assert proc.returncode == 0, proc.stderr
    return {"ref": ref, "doc": json.loads(proc.stdout), "tmp": tmp, "stdout": proc.stdout}


def _by_rule(doc: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["metadata"]["rule"] == rule]


def test_deleted_file_reported_with_its_layer(image: dict[str, Any]) -> None:
    doc = image["doc"]
    layers = [layer["digest"] for layer in doc["target"]["image"]["layers"]]
    assert len(layers) == 3
    in_layer = [f for f in _by_rule(doc, "github-pat") if f["location"] is not None]
    assert len(in_layer) == 1, in_layer
    f = in_layer[0]
    assert f["location"] == {"path": "/app/.env", "line": 1, "layer": layers[0]}
    assert f["metadata"]["deleted_in_layer"] == layers[1]
    assert f["metadata"]["in_final_filesystem"] is False
    assert f["metadata"]["checksum"] == "valid"
    assert f["severity"] == "critical"


def test_replaced_file_reported(image: dict[str, Any]) -> None:
    doc = image["doc"]
    layers = [layer["digest"] for layer in doc["target"]["image"]["layers"]]
    pw = _by_rule(doc, "password-assignment")
    assert [(f["location"]["path"], f["location"]["layer"]) for f in pw] == [("/app/settings.py", layers[0])]
    assert pw[0]["metadata"]["replaced_in_layer"] == layers[2]


def test_same_secret_in_config_env(image: dict[str, Any]) -> None:
    doc = image["doc"]
    found = _by_rule(doc, "github-pat")
    config = [f for f in found if f["location"] is None]
    assert [f["metadata"]["field"] for f in config] == ["config.Env[0]"]
    assert config[0]["metadata"]["source"] == "image-config"
    fingerprints = {f["metadata"]["fingerprint"] for f in found}
    assert len(fingerprints) == 1  # the layer's copy and the Env's are the same secret


def test_binary_file_in_layer_skipped_and_nothing_leaks(image: dict[str, Any]) -> None:
    doc = image["doc"]
    assert not [f for f in doc["findings"] if f["location"] and f["location"]["path"] == "/app/blob.bin"]
    assert TOKEN not in image["stdout"] and PASSWORD not in image["stdout"]
    assert TOKEN[4:20] not in image["stdout"]


def test_docker_archive_gives_the_same(image: dict[str, Any]) -> None:
    b.need("skopeo")
    archive = image["tmp"] / "img.tar"
    b.skopeo(f"oci:{image['ref']}", f"docker-archive:{archive}:app:1")
    proc = run_secrets("--image", str(archive), "--format", "json", "--quiet", "--no-store")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    got = sorted(
        (
            f["metadata"]["rule"],
            str(f["location"] and f["location"]["path"]),
            "deleted_in_layer" in f["metadata"],
        )
        for f in doc["findings"]
    )
    want = sorted(
        (
            f["metadata"]["rule"],
            str(f["location"] and f["location"]["path"]),
            "deleted_in_layer" in f["metadata"],
        )
        for f in image["doc"]["findings"]
    )
    assert got == want


def test_scan_image_secrets_api(image: dict[str, Any], tmp_path: Path) -> None:
    from stockade.secrets.image import scan_image_secrets
    from stockade.target.image.open import ImageOptions, open_image

    spec = open_image(image["ref"], ImageOptions(), str(tmp_path))
    findings, statuses = scan_image_secrets(spec, str(tmp_path))
    assert {f.metadata["rule"] for f in findings} >= {"github-pat", "password-assignment"}
    assert any("1 files deleted or replaced" in s.reason or "2 files deleted" in s.reason for s in statuses)
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_scratch_shared_with_the_image_scan(image: dict[str, Any], tmp_path: Path) -> None:
    """The image scan squashes into scratch/rootfs and scratch/layers first; ours must not collide."""
    from stockade.secrets.image import scan_image_secrets
    from stockade.target.image.open import ImageOptions, open_image
    from stockade.target.image.squash import Squasher

    spec = open_image(image["ref"], ImageOptions(), str(tmp_path))
    from stockade.target.image.stream import Limits

    Squasher(spec, str(tmp_path), [], Limits()).run()
    findings, _ = scan_image_secrets(spec, str(tmp_path))
    assert any(f.metadata.get("deleted_in_layer") for f in findings)

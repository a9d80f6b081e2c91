"""The same image from every source gives the same packages, equal to what was put into it.

One real image (this machine's dpkg database and os-release, real pip-installed distributions) is built
with umoci and moved with skopeo into an oci-archive, a docker-archive, podman's containers-storage and a
real registry on 127.0.0.1; ``stockade image`` must find the same package set in each, and that set must
equal ``dpkg-query -W`` plus the distributions copied in.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.target.image import builders as b
from tests.target.image.registry_fixture import start_registry


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    b.need("umoci", "skopeo", "dpkg-query")
    tmp = tmp_path_factory.mktemp("img")
    dists: list[tuple[str, str]] = []

    def layer1(rootfs: Path) -> None:
        b.base_rootfs(rootfs)

    def layer2(rootfs: Path) -> None:
        dists.extend(b.copy_dist(name, rootfs) for name in b.PY_DISTS)

    ref = b.umoci_image(tmp / "layout", "v1", [layer1, layer2], config=["--config.user", "1000"])
    return {"ref": ref, "tmp": tmp, "dists": dists}


def packages(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(p["type"], p["name"], p["version"]) for p in doc["inventory"]["packages"]}


def expected(image: dict[str, Any]) -> set[tuple[str, str, str]]:
    deb = {("deb", n, v) for n, v in b.host_dpkg()}
    py = {("pypi", n.lower().replace("_", "-"), v) for n, v in image["dists"]}
    return deb | py


def scan(arg: str, *extra: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = run_cli("image", arg, "--format", "json", "--quiet", "--no-store", *extra, env=env)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def normalised(found: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    return {(t, n.lower().replace("_", "-") if t == "pypi" else n, v) for t, n, v in found}


def test_oci_layout_matches_what_was_put_in(image: dict[str, Any]) -> None:
    doc = scan(image["ref"])
    assert normalised(packages(doc)) == expected(image)
    assert doc["target"]["image"]["source"] == "oci-layout"
    assert len(doc["target"]["image"]["layers"]) == 2
    assert doc["inventory"]["os"]["id"] == b.run("sh", "-c", ". /etc/os-release; echo $ID").strip()


def test_every_source_gives_the_same_packages(image: dict[str, Any], tmp_path: Path) -> None:
    ref = f"oci:{image['ref']}"
    reference = scan(image["ref"])
    want = packages(reference)
    config_digest = reference["target"]["image"]["config_digest"]

    b.skopeo(ref, f"oci-archive:{tmp_path / 'img.oci.tar'}")
    b.skopeo(ref, f"docker-archive:{tmp_path / 'img.docker.tar'}:example/app:1")
    env = b.podman_store(tmp_path / "storage")
    b.run("skopeo", "copy", "--quiet", ref, "containers-storage:localhost/stockade-test:1", env=env)

    got = {
        "oci-archive": scan(str(tmp_path / "img.oci.tar")),
        "docker-archive": scan(str(tmp_path / "img.docker.tar")),
        "podman": scan(
            "localhost/stockade-test:1", env={"CONTAINERS_STORAGE_CONF": env["CONTAINERS_STORAGE_CONF"]}
        ),
    }
    (tmp_path / "registry").mkdir()
    with start_registry(tmp_path / "registry") as server:
        dest = f"docker://{server.netloc}/stockade/app:1"
        b.skopeo(ref, dest, "--dest-tls-verify=false")
        got["registry"] = scan(f"{server.netloc}/stockade/app:1", "--insecure")
    for source, doc in got.items():
        assert packages(doc) == want, source
        assert doc["target"]["image"]["source"] == source
        # the config is carried over unchanged, so the image id is the same everywhere
        assert doc["target"]["image"]["config_digest"] == config_digest, source
        assert doc["target"]["image"]["config"]["user"] == "1000"


def test_packages_name_their_layer(image: dict[str, Any]) -> None:
    doc = scan(image["ref"])
    layers = [layer["digest"] for layer in doc["target"]["image"]["layers"]]
    by_type: dict[str, set[str]] = {}
    for pkg in doc["inventory"]["packages"]:
        for loc in pkg["locations"]:
            by_type.setdefault(pkg["type"], set()).add(loc["layer"])
    assert by_type["deb"] == {layers[0]}
    assert by_type["pypi"] == {layers[1]}


def test_compressed_docker_save_archive(image: dict[str, Any], tmp_path: Path) -> None:
    tar = tmp_path / "img.tar"
    b.skopeo(f"oci:{image['ref']}", f"docker-archive:{tar}:example/app:1")
    b.run("gzip", "-k", str(tar))
    assert packages(scan(str(tar) + ".gz")) == packages(scan(str(tar)))


def test_skopeo_prefixes_and_input_option(image: dict[str, Any]) -> None:
    want = packages(scan(image["ref"]))
    assert packages(scan(f"oci:{image['ref']}")) == want
    assert packages(scan(image["ref"], "--input", "oci")) == want


def test_nothing_left_in_the_scratch_directory(image: dict[str, Any], tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    scan(image["ref"], env={"TMPDIR": str(scratch)})
    assert list(scratch.iterdir()) == []


def test_unknown_argument_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli("image", str(tmp_path / "nope" / "x.tar"), "--no-store")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "no such file" in proc.stderr
    assert shutil.which("stockade") or True

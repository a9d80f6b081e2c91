"""Smoke test of the k8s benchmark corpus (benchmarks/k8s_corpus.py): big, deterministic, valid YAML."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from tests.conftest import REPO, SHARED

CONFORMANCE = SHARED / "conformance"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.fixture(scope="module")
def corpus_mod() -> ModuleType:
    if not (CONFORMANCE / "pss").is_dir() or not (CONFORMANCE / "netpol").is_dir():
        pytest.skip(f"conformance fixtures not found under {CONFORMANCE}")
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        return importlib.import_module("k8s_corpus")
    finally:
        sys.path.remove(str(REPO / "benchmarks"))


@pytest.fixture(scope="module")
def files(corpus_mod: ModuleType) -> dict[str, bytes]:
    built: dict[str, bytes] = corpus_mod.build(CONFORMANCE)
    return built


def test_size_and_sources(corpus_mod: ModuleType, files: dict[str, bytes]) -> None:
    stats = corpus_mod.stats(files)
    assert stats["files"] >= 500
    assert stats["objects"] >= 2000
    pss = sorted(CONFORMANCE.glob("pss/*/*/*.yaml"))
    assert pss and all(files[str(p.relative_to(CONFORMANCE))] == p.read_bytes() for p in pss)
    netpol = [k for k in files if k.startswith("netpol/")]
    cases = yaml.safe_load((CONFORMANCE / "netpol" / "e2e-netpol-cases.yaml").read_text())["cases"]
    assert len(netpol) == len(cases)
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Service", "Ingress", "ServiceAccount"):
        assert stats["kinds"].get(kind, 0) >= 10, kind


def test_deterministic(corpus_mod: ModuleType, files: dict[str, bytes]) -> None:
    assert corpus_mod.build(CONFORMANCE) == files
    assert corpus_mod.build(CONFORMANCE, seed=6) != files


def test_every_document_is_a_kubernetes_object(files: dict[str, bytes]) -> None:
    for path, data in files.items():
        docs = [d for d in yaml.load_all(data, Loader=LOADER) if d is not None]
        assert docs, path
        for doc in docs:
            assert isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind"), path


def test_quick_subset_and_write(corpus_mod: ModuleType, files: dict[str, bytes], tmp_path: Path) -> None:
    quick = corpus_mod.quick_subset(files)
    assert len(quick) == 100
    assert {k.split("/")[0] for k in quick} == {k.split("/")[0] for k in files}
    corpus_mod.write(quick, tmp_path / "corpus")
    written = sorted(p for p in (tmp_path / "corpus").rglob("*") if p.is_file() and p.name != ".gitignore")
    assert len(written) == 100

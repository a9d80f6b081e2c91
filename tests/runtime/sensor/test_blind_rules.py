"""What `runtime watch` says at start about the rules its source leaves degraded (no root needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockade.cli.runtime_cmds import _blind_rules
from stockade.runtime.sensor import load_engine
from stockade.runtime.source.ebpf import EbpfSource
from stockade.runtime.source.proc_connector import ProcConnectorSource

STABLE = Path(__file__).resolve().parents[3].parent / "shared" / "rules" / "falco" / "falco_rules.yaml"


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    if not STABLE.exists():
        pytest.skip(f"upstream Falco rules not found at {STABLE}")
    engine, errors = load_engine([STABLE])
    assert errors == []
    return engine


def test_ebpf_leaves_no_stable_rule_degraded(engine) -> None:  # type: ignore[no-untyped-def]
    # fd.l4proto is read from the socket in the kernel, fd.sip.name from the rules' resolved domain names:
    # "Disallowed SSH Connection Non Standard Port" and "Contact K8S API Server From Container" can fire
    assert _blind_rules(engine, EbpfSource()) == []


def test_a_field_a_source_never_fills_is_named(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(EbpfSource, "UNFILLED_FIELDS", {"fd.l4proto": "not read"})
    lines = _blind_rules(engine, EbpfSource())
    assert any("Disallowed SSH Connection Non Standard Port" in line for line in lines)
    assert all("fd.l4proto" in line and "source ebpf" in line for line in lines)


def test_proc_connector_names_the_rules_it_never_feeds(engine) -> None:  # type: ignore[no-untyped-def]
    (line,) = _blind_rules(engine, ProcConnectorSource())
    assert "Read sensitive file untrusted" in line and "source proc" in line
    # a rule on process execution is not among them
    assert "Terminal shell in container" not in line

"""The container runtime as the sensor asks it (inspect for metadata, stop as a response): a runtime that
hangs must not stall the sensor."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from stockade.runtime.enrich import runtime
from stockade.runtime.enrich.runtime import RuntimeInspector

CID = "c0ffee" * 10 + "abcd"
INSPECT = [
    {
        "Id": CID,
        "Name": "web",
        "Config": {"Image": "docker.io/library/nginx:1.27", "Labels": {}},
        "HostConfig": {"Privileged": True},
        "State": {"StartedAt": "2026-12-07T06:00:00.5Z"},
    }
]


@pytest.fixture()
def fake_podman(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``podman`` first on PATH (and no docker) that answers ``inspect`` only once ``ready`` exists, and
    hangs before (a runtime waiting for its lock)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    ready = tmp_path / "ready"
    (tmp_path / "inspect.json").write_text(json.dumps(INSPECT))
    script = bindir / "podman"
    answer = tmp_path / "inspect.json"
    lines = ["#!/bin/sh", f'if [ -e "{ready}" ]; then cat "{answer}"; exit 0; fi', "exec sleep 60"]
    script.write_text("\n".join(lines) + "\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}/usr/bin:/bin")
    monkeypatch.setattr(runtime.shutil, "which", lambda name: str(script) if name == "podman" else None)
    return ready


def test_a_hanging_runtime_is_given_up_and_asked_again_later(
    fake_podman: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "INSPECT_TIMEOUT", 0.5)
    monkeypatch.setattr(runtime, "RETRY_AFTER", 2.0)
    inspector = RuntimeInspector()
    t0 = time.monotonic()
    info = inspector.inspect(CID, "podman")
    assert time.monotonic() - t0 < 5  # not the 60 s the runtime would have taken
    assert info == {"container.id": CID[:12], "container.type": "podman"}
    assert inspector.timeouts == 1 and inspector.calls == 1
    # until the retry time the id-only info is returned without asking the runtime again
    fake_podman.touch()
    assert inspector.inspect(CID, "podman") == info and inspector.calls == 1
    time.sleep(2.1)
    full = inspector.inspect(CID, "podman")
    assert full["container.name"] == "web" and full["container.privileged"] is True
    assert inspector.calls == 2 and inspector.timeouts == 1
    assert inspector.inspect(CID, "podman") is full and inspector.calls == 2  # cached for good now


def test_a_stop_response_does_not_wait_for_a_hanging_runtime(
    fake_podman: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stockade.runtime.respond import actions

    monkeypatch.setattr(actions, "STOP_TIMEOUT", 0.5)
    responder = actions.Responder(enforce=True, by_rule={"r": "stop"})
    t0 = time.monotonic()
    record = responder.handle({"rule": "r"}, {"container.id": CID[:12], "proc.pid": 1})
    assert time.monotonic() - t0 < 5
    assert record is not None and record["result"] == "failed: podman stop did not finish in 0.5 s"

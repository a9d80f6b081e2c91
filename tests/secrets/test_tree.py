"""``scan_tree_secrets``: what the rootfs/host scans call with their TargetFS."""

from __future__ import annotations

import os
from pathlib import Path

from stockade.secrets.scan import scan_tree_secrets
from stockade.secrets.tree import TreeOptions
from stockade.target.fs import TargetFS

TOKEN = "glpat-" + "Kq3vN8sLm2Xp7Rt5Yw1H"


def test_target_paths_links_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "etc/app").mkdir(parents=True)
    (root / "etc/app/config.env").write_text(f"GITLAB_TOKEN={TOKEN}\n")
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/tool").write_bytes(b"\x7fELF\x02\x01\x01\x00" + TOKEN.encode())
    os.symlink("/etc/app/config.env", root / "etc/link.env")  # absolute: inside the rootfs, not followed
    outside = tmp_path / "outside.env"
    outside.write_text(f"X_TOKEN={TOKEN}\n")
    os.symlink(str(outside), root / "etc/escape.env")
    for jobs in (1, 2):
        findings, statuses = scan_tree_secrets(TargetFS(str(root)), "rootfs:test", TreeOptions(jobs=jobs))
        assert [(f.location.path, f.location.line, f.metadata["rule"]) for f in findings if f.location] == [
            ("/etc/app/config.env", 1, "gitlab-pat")
        ]
        assert any("1 binary files skipped" in s.reason for s in statuses)


def test_excludes(tmp_path: Path) -> None:
    (tmp_path / "var/cache").mkdir(parents=True)
    (tmp_path / "var/cache/x.env").write_text(f"GITLAB_TOKEN={TOKEN}\n")
    findings, _ = scan_tree_secrets(TargetFS(str(tmp_path)), "t", TreeOptions(excludes=("var/cache/",)))
    assert findings == []


def test_scan_path_secrets(tmp_path: Path) -> None:
    from stockade.secrets.scan import scan_path_secrets

    (tmp_path / "a.env").write_text(f"GITLAB_TOKEN={TOKEN}\n")
    findings, statuses = scan_path_secrets([str(tmp_path)])
    assert [f.metadata["rule"] for f in findings] == ["gitlab-pat"]
    assert statuses[-1].reason.startswith("1 files scanned")

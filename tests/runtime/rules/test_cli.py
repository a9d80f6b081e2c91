from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from stockade.cli.rules_cmds import runtime

from .conftest import ALL_FILES, STABLE, TESTDATA, need_upstream


def test_validate_upstream_files_exits_0_with_counts() -> None:
    need_upstream()
    r = CliRunner().invoke(runtime, ["rules", "validate", *map(str, ALL_FILES)])
    assert r.exit_code == 0, r.output
    assert "loaded 3 file(s): 118 lists, 315 macros, 93 rules (81 enabled, 12 disabled" in r.output
    assert "0 error(s)" in r.output


def test_validate_reports_every_error_and_exits_2() -> None:
    r = CliRunner().invoke(runtime, ["rules", "validate", str(TESTDATA / "broken.yaml")])
    assert r.exit_code == 2
    errors = [line for line in r.output.splitlines() if ": error: " in line]
    assert len(errors) == 9
    assert any(
        line.startswith(f"{TESTDATA / 'broken.yaml'}:17:36: error: unknown field 'proc.nme'")
        for line in errors
    )


def test_validate_json() -> None:
    r = CliRunner().invoke(runtime, ["rules", "validate", "--json", str(TESTDATA / "broken.yaml")])
    doc = orjson.loads(r.output)
    assert doc["counts"]["errors"] == 9
    assert {d["code"] for d in doc["diagnostics"]} >= {"syntax", "unknown-field", "undefined-macro"}


def test_replay_prints_falco_json_and_counts_malformed_lines(tmp_path: Path) -> None:
    need_upstream()
    events = tmp_path / "events.jsonl"
    shadow = {
        "evt.type": "openat", "evt.time": 1_700_000_000_000_000_000, "proc.name": "cat",
        "fd.name": "/etc/shadow", "fd.type": "file", "fd.num": 3, "evt.args": {"flags": "O_RDONLY"},
        "container.id": "host",
    }  # fmt: skip
    benign = {**shadow, "fd.name": "/etc/hosts"}
    lines = [orjson.dumps(shadow), b"{not json", orjson.dumps(benign), b"[1, 2]", b'{"no": "type"}', b""]
    events.write_bytes(b"\n".join(lines) + b"\n")
    r = CliRunner().invoke(runtime, ["replay", str(events), "--rules", str(STABLE), "--hostname", "h1"])
    assert r.exit_code == 0, r.output
    out = [line for line in r.stdout.splitlines() if line.startswith("{")]
    assert len(out) == 1
    alert = orjson.loads(out[0])
    assert alert["rule"] == "Read sensitive file untrusted" and alert["hostname"] == "h1"
    assert alert["output_fields"]["fd.name"] == "/etc/shadow"
    assert "2 event(s), 1 alert(s), 3 malformed line(s) skipped (lines 2, 4, 5)" in r.stderr


def test_replay_refuses_rules_with_errors(tmp_path: Path) -> None:
    events = tmp_path / "e.jsonl"
    events.write_text('{"evt.type": "execve"}\n')
    r = CliRunner().invoke(runtime, ["replay", str(events), "--rules", str(TESTDATA / "broken.yaml")])
    assert r.exit_code == 2
    assert "error(s) in the rules" in r.stderr


def test_replay_does_not_import_watch_and_help_lists_it(tmp_path: Path) -> None:
    """`runtime watch` (eBPF sources, enrichment, the metrics server) is imported only when it runs or
    --help lists it: a replay does not pay for it."""
    import subprocess
    import sys

    events = tmp_path / "e.jsonl"
    events.write_bytes(b'{"evt.type": "close"}\n')
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from stockade.cli.main import cli\n"
        f"r = CliRunner().invoke(cli, ['runtime', 'replay', {str(events)!r}, '-q'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('stockade.cli.runtime_cmds' in sys.modules)\n"
        "r = CliRunner().invoke(cli, ['runtime', '--help'])\n"
        "print('watch' in r.output, 'stockade.cli.runtime_cmds' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True", "True"]


def test_replay_text_is_falco_s_line_per_alert_the_memo_s_too(tmp_path: Path) -> None:
    """``--format text``: Falco's ``<time>: <Priority> <output>`` line per alert, the same whether the
    engine or the memo (lines that repeat, written by the C reader) made it."""
    need_upstream()
    from stockade.runtime.rules.engine import Engine
    from stockade.runtime.rules.replay import ReplayStats, replay
    from stockade.runtime.rules.ruleset import load_ruleset

    base = {
        "evt.type": "openat", "proc.name": "cat", "fd.type": "file", "fd.num": 3,
        "evt.args": {"flags": "O_RDONLY"}, "container.id": "host",
    }  # fmt: skip
    lines = [
        orjson.dumps({**base, "evt.time": 1_700_000_000_000_000_000 + i * 999_999_937,
                      "fd.name": ["/etc/shadow", "/etc/hosts", "/etc/sudoers"][i % 3]})
        for i in range(300)
    ]  # fmt: skip
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(lines) + b"\n")
    r = CliRunner().invoke(runtime, ["replay", str(events), "--rules", str(STABLE), "--format", "text", "-q"])
    assert r.exit_code == 0, r.output
    engine = Engine(load_ruleset([STABLE]))
    want = [a.line() for a in replay(engine, lines, ReplayStats())]
    assert r.stdout.splitlines() == want and len(want) >= 100
    assert want[0].startswith("2023-11-14T22:13:20.000000000Z: Warning ")

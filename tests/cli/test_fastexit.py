"""The installed command ends with ``os._exit`` after its output (cli/fastexit.py): whatever it wrote is
complete, its exit code kept, the exit's clean-ups (atexit, temp files) run, a running thread waited for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

EXAMPLES = str(REPO / "examples" / "k8s")


def _run(prelude: str, *args: str, entry: str = "main()") -> subprocess.CompletedProcess[str]:
    code = f"import sys\n{prelude}\nsys.argv = ['stockade', *{list(args)!r}]\n"
    code += f"from stockade.cli.main import main\n{entry}\n"
    env = {**os.environ, "STOCKADE_DB": os.devnull}
    env.pop("STOCKADE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )


SCAN = ("k8s", EXAMPLES, "--format", "json", "--no-store", "--fail-on", "high")


def test_output_exit_code_and_atexit_handlers_survive_the_fast_exit(tmp_path: Path) -> None:
    marker = tmp_path / "atexit-ran"
    done = _run(f"import atexit\natexit.register(lambda: open({str(marker)!r}, 'w').write('ran'))", *SCAN)
    assert done.returncode == 1, done.stderr  # findings at or above high
    doc = json.loads(done.stdout)  # complete: flushed before the process ended
    assert doc["findings"] and "findings" in done.stderr  # the summary line on stderr too
    assert marker.read_text() == "ran"


def test_the_fast_exit_frees_nothing_and_main_with_argv_exits_normally(tmp_path: Path) -> None:
    """An object left for the exit is not finalised by the installed command's exit; ``main(argv)`` (what
    tests call in their own process) exits normally, which finalises it."""
    marker = tmp_path / "freed"
    prelude = (
        "from stockade.cli import fastexit\n"
        "class Probe:\n"
        f"    def __del__(self): open({str(marker)!r}, 'w').write('freed')\n"
        "fastexit.leave(Probe())"
    )
    fast = _run(prelude, "--version")
    assert fast.returncode == 0 and fast.stdout.startswith("stockade ")
    assert not marker.exists()
    normal = _run(prelude, "--version", entry="main(sys.argv[1:])")
    assert normal.returncode == 0 and normal.stdout.startswith("stockade ")
    assert marker.read_text() == "freed"


def test_a_running_thread_is_waited_for(tmp_path: Path) -> None:
    """A non-daemon thread still working when the command ends: the normal exit, which waits for it."""
    marker = tmp_path / "thread-done"
    prelude = (
        "import threading, time\n"
        f"threading.Thread(target=lambda: (time.sleep(1), open({str(marker)!r}, 'w').write('done'))).start()"
    )
    done = _run(prelude, "--version")
    assert done.returncode == 0 and marker.read_text() == "done"


def test_a_reader_that_went_away_is_no_error() -> None:
    """``stockade … | head -c 100``: the rest of the output has nowhere to go; no traceback."""
    cmd = f"{sys.executable} -m stockade.cli.main k8s {EXAMPLES} --format json --no-store | head -c 100"
    env = {**os.environ, "STOCKADE_DB": os.devnull}
    done = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, env=env, timeout=120)
    assert len(done.stdout) == 100
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr

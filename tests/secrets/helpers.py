"""Running the ``secrets`` command the way ``stockade`` will once it is registered in cli/main.py."""

from __future__ import annotations

import os
import subprocess
import sys

_MAIN = (
    "import sys\n"
    "from stockade.cli.main import cli, main\n"
    "from stockade.cli.secrets_cmd import secrets\n"
    "if 'secrets' not in cli.commands:\n"
    "    cli.add_command(secrets)\n"
    "main(sys.argv[1:])\n"
)


def run_secrets(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STOCKADE_DB": os.devnull}
    return subprocess.run(
        [sys.executable, "-c", _MAIN, "secrets", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )

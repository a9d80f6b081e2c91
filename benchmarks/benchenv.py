"""The environment a timed ``stockade`` command runs in: the program as installed, its bytecode compiled.

``pip install`` compiles a package's modules; an editable install of the source tree does not, and where
``PYTHONDONTWRITEBYTECODE`` is set (as in some shells and CI images) Python never writes the ``.pyc`` files
either, so every timed run would compile each module changed since its last ``.pyc`` from source again —
60-100 ms of a one-second command, measured on ``stockade k8s``.  Benchmarks that time the command
compile ``src/`` once first (``compileall`` writes the files whatever that variable says) and run it with
the variable unset.
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def command_env(base: dict[str, str] | None = None) -> dict[str, str]:
    compileall.compile_dir(str(SRC), quiet=1)
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env

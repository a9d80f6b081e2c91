"""Regenerate the BuildKit parse results (``*.buildkit.json``) beside every ``*.Dockerfile`` under
``testdata/``, with BuildKit's own parser (the ``dockerfile`` package from PyPI wraps the Go code of
moby/buildkit ``frontend/dockerfile/parser``).

    .venv/bin/pip install dockerfile==3.4.0
    .venv/bin/python tests/checks/dockerfile/make_golden.py
"""

from __future__ import annotations

import json
from pathlib import Path

import dockerfile

HERE = Path(__file__).parent / "testdata"


def buildkit_parse(text: str) -> list[dict[str, object]]:
    return [
        {
            "cmd": cmd.cmd,
            "sub_cmd": cmd.sub_cmd,
            "json": cmd.json,
            "start_line": cmd.start_line,
            "end_line": cmd.end_line,
            "flags": list(cmd.flags),
            "value": list(cmd.value),
            "heredocs": [{"name": h.name, "content": h.content} for h in cmd.heredocs],
        }
        for cmd in dockerfile.parse_string(text)
        if cmd.cmd
    ]


def main() -> None:
    for path in sorted(HERE.rglob("*.Dockerfile")):
        text = path.read_bytes().decode("utf-8")
        out = path.with_name(path.name.removesuffix(".Dockerfile") + ".buildkit.json")
        out.write_text(json.dumps(buildkit_parse(text), indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

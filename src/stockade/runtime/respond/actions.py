"""Responses to alerts: ``kill`` the process, ``stop`` the container through its runtime.

A rule asks for a response with a tag ``stockade.respond.kill`` or ``stockade.respond.stop`` (tags are the
only per-rule metadata Falco's format carries); ``--action RULE=kill`` on the command line does the same for
any rule.  Monitor mode (the default) only counts what would have been done; ``enforce=True`` does it.
Every decision is logged with the alert that caused it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from typing import Any

ACTIONS = ("kill", "stop")
TAG_PREFIX = "stockade.respond."
#: how long a ``podman stop`` may take: the sensor waits for it, and a runtime stuck behind its lock must
#: not stall detection (the response is then reported as failed)
STOP_TIMEOUT = 10.0


class Responder:
    def __init__(
        self, enforce: bool = False, by_rule: dict[str, str] | None = None, podman_args: tuple[str, ...] = ()
    ):
        self.enforce = enforce
        self.by_rule = dict(by_rule or {})
        self.podman_args = podman_args
        self.would: Counter[str] = Counter()
        self.done: Counter[str] = Counter()
        self.log: list[dict[str, Any]] = []

    def action_for(self, alert: dict[str, Any]) -> str | None:
        a = self.by_rule.get(str(alert.get("rule")))
        if a:
            return a
        for tag in alert.get("tags") or ():
            if str(tag).startswith(TAG_PREFIX) and tag[len(TAG_PREFIX) :] in ACTIONS:
                return str(tag[len(TAG_PREFIX) :])
        return None

    def handle(self, alert: dict[str, Any], ev: dict[str, Any]) -> dict[str, Any] | None:
        action = self.action_for(alert)
        if action is None:
            return None
        target = ev.get("proc.pid") if action == "kill" else ev.get("container.id")
        record: dict[str, Any] = {
            "action": action,
            "target": target,
            "rule": alert.get("rule"),
            "mode": "monitor",
        }
        if action == "stop" and target in (None, "host"):
            record["result"] = "skipped: event is not in a container"
        elif not self.enforce:
            self.would[action] += 1
            record["result"] = "would have acted (monitor mode)"
        else:
            record["mode"] = "enforce"
            record["result"] = self._do(action, target)
            self.done[action] += 1
        record["alert"] = {k: alert.get(k) for k in ("time", "rule", "priority", "output")}
        self.log.append(record)
        return record

    def _do(self, action: str, target: Any) -> str:
        if action == "kill":
            try:
                os.kill(int(target), signal.SIGKILL)
                return "killed"
            except (OSError, ValueError) as exc:
                return f"failed: {exc}"
        try:
            done = subprocess.run(
                ["podman", *self.podman_args, "stop", "-t", "0", str(target)],
                capture_output=True,
                text=True,
                timeout=STOP_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return f"failed: podman stop did not finish in {STOP_TIMEOUT:g} s"
        except OSError as exc:
            return f"failed: {exc}"
        return "stopped" if done.returncode == 0 else f"failed: {done.stderr.strip()}"

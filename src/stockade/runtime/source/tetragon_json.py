"""Ingest of Tetragon's JSON export (``tetra getevents -o json`` / the export file): ``process_exec`` and
``process_exit`` become ``execve``/``procexit`` events; ``process_kprobe`` events of ``security_file_open`` /
``fd_install`` become ``openat`` with the file path, and ``tcp_connect`` becomes ``connect``.  Field mapping
follows Tetragon's ``Process`` message (https://tetragon.io/docs/reference/grpc-api/): ``binary`` →
``proc.exepath``, ``arguments`` → ``proc.args``, ``docker`` → ``container.id``, ``pod`` → ``k8s.*``.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

from stockade.model.event import Event
from stockade.runtime.source.falco_json import JsonLinesSource, _ns

NAME = "tetragon-json"


def _process(p: dict[str, Any], parent: dict[str, Any] | None) -> Event:
    binary = str(p.get("binary", ""))
    try:
        args = shlex.split(str(p.get("arguments", "")))
    except ValueError:
        args = str(p.get("arguments", "")).split()
    ev: Event = {
        "proc.pid": p.get("pid"),
        "proc.name": os.path.basename(binary)[:15],
        "proc.exe": binary,
        "proc.exepath": binary,
        "proc.args": args,
        "proc.cwd": p.get("cwd"),
        "user.uid": p.get("uid"),
        "container.id": str(p.get("docker") or "host")[:12],
    }
    pod = p.get("pod")
    if isinstance(pod, dict):
        ev["k8s.pod.name"] = pod.get("name")
        ev["k8s.ns.name"] = pod.get("namespace")
        ev["k8s.pod.labels"] = pod.get("pod_labels") or {}
        cont = pod.get("container") or {}
        image = cont.get("image") or {}
        if image.get("name"):
            ev["container.image"] = image["name"]
        if cont.get("name"):
            ev["container.name"] = cont["name"]
    if parent:
        ev["proc.ppid"] = parent.get("pid")
        pbin = str(parent.get("binary", ""))
        ev["proc.ancestors"] = [
            {
                "pid": parent.get("pid"),
                "name": os.path.basename(pbin)[:15],
                "exe": pbin,
                "exepath": pbin,
                "args": str(parent.get("arguments", "")).split(),
            }
        ]
    return {k: v for k, v in ev.items() if v is not None}


def to_event(obj: dict[str, Any]) -> Event | None:
    ns = _ns(obj.get("time"))
    for kind, evtype in (("process_exec", "execve"), ("process_exit", "procexit"), ("process_kprobe", None)):
        body = obj.get(kind)
        if not isinstance(body, dict) or not isinstance(body.get("process"), dict):
            continue
        ev = _process(body["process"], body.get("parent"))
        if evtype is None:
            fn = str(body.get("function_name", ""))
            args = body.get("args") or []
            if fn in ("security_file_open", "fd_install", "security_file_permission"):
                path = next(
                    (a["file_arg"].get("path") for a in args if isinstance(a, dict) and "file_arg" in a), None
                )
                if not path:
                    return None
                evtype = "openat"
                ev.update(
                    {"fd.name": path, "fd.type": "file", "fd.num": 3, "evt.args": {"flags": "O_RDONLY"}}
                )
            elif fn == "tcp_connect":
                sock: dict[str, Any] = next(
                    (a["sock_arg"] for a in args if isinstance(a, dict) and "sock_arg" in a), {}
                )
                evtype = "connect"
                ev.update(
                    {
                        "fd.type": "ipv4",
                        "fd.l4proto": "tcp",
                        "fd.sip": sock.get("daddr"),
                        "fd.sport": sock.get("dport"),
                        "fd.cip": sock.get("saddr"),
                        "fd.cport": sock.get("sport"),
                    }
                )
            else:
                return None
        ev["evt.type"] = evtype
        ev["evt.rawres"] = 0
        if ns is not None:
            ev["evt.time"] = ns
        return ev
    return None


class TetragonJsonSource(JsonLinesSource):
    NAME: str = NAME
    BLIND_SPOTS: tuple[str, ...] = (
        "everything Tetragon's tracing policies did not hook",
        "file writes unless a policy hooks them",
    )

    def __init__(self, path: str) -> None:
        super().__init__(path, to_event)

"""The process table: seeded from ``/proc`` at start, kept by exec/clone/exit events; parents and ancestors.

Falco's process fields (``proc.pname``, ``proc.aname[N]``, ``proc.pcmdline`` …) are read from the table
for every event, so even events of processes that started before the sensor carry their ancestry.
"""

from __future__ import annotations

import os
from typing import Any

from stockade.model.event import Event
from stockade.runtime import procfs
from stockade.runtime.source import decode

MAX_ANCESTORS = 8
Entry = dict[str, Any]
#: thread state every event of a process carries, as in Falco (the capabilities as of its exec, or as
#: /proc had them when the table first saw it; capset(2) and setuid(2) after that are not followed)
_CAP_KEYS = ("thread.cap_effective", "thread.cap_permitted", "thread.cap_inheritable")
_PROC_KEYS = (
    "proc.exe", "proc.exepath", "proc.args", "proc.tty", "proc.ppid", "proc.cwd", "proc.start_ts", *_CAP_KEYS,
)  # fmt: skip


def _caps_from_status(pid: int) -> dict[str, str]:
    """The process's capabilities as table entries (``cap_effective`` …), or none when it is gone."""
    raw = procfs.read(f"/proc/{pid}/status")
    if raw is None:
        return {}
    return {k.split(".", 1)[1]: v for k, v in decode.status_caps(procfs.status(raw)).items()}


def from_proc(pid: int) -> Entry | None:
    stat = procfs.read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    name, rest = procfs.stat_fields(stat)
    argv = procfs.argv(procfs.cmdline(pid) or b"")
    exepath = procfs.link(f"/proc/{pid}/exe") or ""
    loginuid = (procfs.read(f"/proc/{pid}/loginuid") or b"-1").strip()
    lu = int(loginuid) if loginuid.lstrip(b"-").isdigit() else -1
    return {
        "pid": pid,
        "name": name,
        "ppid": int(rest[1]),
        "tty": int(rest[4]),
        "exe": argv[0] if argv else exepath,
        "exepath": exepath,
        "args": argv[1:],
        "loginuid": lu if lu != 4294967295 else -1,
        **_caps_from_status(pid),
    }


class ProcTable:
    def __init__(self) -> None:
        self.procs: dict[int, Entry] = {}

    def seed(self) -> int:
        for d in os.listdir("/proc"):
            if d.isdigit():
                e = from_proc(int(d))
                if e:
                    self.procs[e["pid"]] = e
        return len(self.procs)

    def get(self, pid: int) -> Entry | None:
        e = self.procs.get(pid)
        if e is None:
            e = from_proc(pid)
            if e is not None:
                self.procs[pid] = e
        return e

    def update(self, ev: Event) -> None:
        """Keep the table current from a lifecycle event (called before enrichment of ``ev``)."""
        t = ev["evt.type"]
        pid = ev["proc.pid"]
        if t in ("execve", "execveat"):
            old = self.procs.get(pid, {})
            self.procs[pid] = {
                **old,
                "pid": pid,
                "name": ev["proc.name"],
                "ppid": ev.get("proc.ppid", old.get("ppid", 0)),
                "tty": ev.get("proc.tty", 0),
                "exe": ev.get("proc.exe", ""),
                "exepath": ev.get("proc.exepath", ""),
                "args": ev.get("proc.args", []),
                "loginuid": ev.get("user.loginuid", -1),
                "cwd": ev.get("proc.cwd"),
                "start_ts": ev.get("evt.time"),
                **{k.split(".", 1)[1]: ev[k] for k in _CAP_KEYS if k in ev},
            }
        elif t == "clone":
            child = ev.get("evt.rawres")
            parent = self.get(pid)
            if isinstance(child, int) and child > 0 and parent is not None and child != pid:
                self.procs[child] = {**parent, "pid": child, "ppid": pid, "start_ts": ev.get("evt.time")}

    def forget(self, ev: Event) -> None:
        if ev["evt.type"] == "procexit" and ev["proc.pid"] == ev.get("thread.tid"):
            self.procs.pop(ev["proc.pid"], None)

    def enrich(self, ev: Event) -> None:
        pid = ev["proc.pid"]
        me = self.get(pid)
        if me is not None and ev["evt.type"] not in ("execve", "execveat"):
            for key in _PROC_KEYS:
                v = me.get(key.split(".", 1)[1])
                if v is not None and key not in ev:
                    ev[key] = v
            if "user.loginuid" not in ev:
                ev["user.loginuid"] = me.get("loginuid", -1)
        ancestors: list[dict[str, Any]] = []
        seen = {pid}
        ppid = ev.get("proc.ppid") if ev.get("proc.ppid") is not None else (me or {}).get("ppid")
        while isinstance(ppid, int) and ppid > 0 and ppid not in seen and len(ancestors) < MAX_ANCESTORS:
            seen.add(ppid)
            p = self.get(ppid)
            if p is None:
                break
            args = p.get("args") or []
            ancestors.append(
                {
                    "pid": ppid,
                    "name": p.get("name"),
                    "exe": p.get("exe"),
                    "exepath": p.get("exepath"),
                    "args": args,
                    "cmdline": " ".join([str(p.get("name"))] + [str(a) for a in args]),
                }
            )
            ppid = p.get("ppid")
        ev["proc.ancestors"] = ancestors
        if ancestors:
            ev["proc.ppid"] = ancestors[0]["pid"]

"""All enrichers in order: process table, container (cgroup → id → runtime inspect), users, Kubernetes."""

from __future__ import annotations

import os
import pwd
from typing import Any

from stockade.model.event import Event
from stockade.runtime.enrich.cgroup import CgroupIds, container_from_path, container_of_pid
from stockade.runtime.enrich.proctable import ProcTable
from stockade.runtime.enrich.runtime import RuntimeInspector
from stockade.runtime.source.records import K_CGROUP, K_CGROUP_PATH, K_OVERLAY


class Enricher:
    def __init__(self, inspector: RuntimeInspector | None = None, *, seed: bool = True) -> None:
        self.procs = ProcTable()
        if seed:
            self.procs.seed()
        self.cgroups = CgroupIds()
        self.inspector = inspector or RuntimeInspector()
        self.by_cgid: dict[int, tuple[str, str, str | None] | None] = {}
        self.users: dict[tuple[str, int], str] = {}

    def _container(self, ev: Event) -> tuple[str, str, str | None] | None:
        cgpath = ev.pop(K_CGROUP_PATH, None)
        if isinstance(cgpath, str):  # read when the event happened: authoritative, even for the host
            return container_from_path(cgpath)
        cgid = ev.pop(K_CGROUP, None)
        if isinstance(cgid, int) and cgid > 1:
            if cgid not in self.by_cgid:
                path = self.cgroups.path(cgid)
                self.by_cgid[cgid] = container_from_path(path) if path else None
                if path is None:
                    del self.by_cgid[cgid]
            found = self.by_cgid.get(cgid)
            if found:
                return found
        entry = self.procs.procs.get(ev["proc.pid"])
        if entry is not None and "container" in entry:
            c: tuple[str, str, str | None] | None = entry["container"]
            return c
        c = container_of_pid(ev["proc.pid"])
        if entry is not None:
            entry["container"] = c
        return c

    def _user(self, cid: str, uid: int, pid: int) -> str | None:
        key = (cid, uid)
        if key in self.users:
            return self.users[key]
        name: str | None = None
        if cid == "host":
            try:
                name = pwd.getpwuid(uid).pw_name
            except KeyError:
                name = None
        else:
            try:
                with open(f"/proc/{pid}/root/etc/passwd", encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        parts = line.split(":")
                        if len(parts) > 2 and parts[2] == str(uid):
                            name = parts[0]
                            break
            except OSError:
                return "root" if uid == 0 else None
        if name is not None:
            self.users[key] = name
        return name

    def enrich(self, ev: Event) -> Event:
        self.procs.update(ev)
        c = self._container(ev)
        entry = self.procs.procs.get(ev["proc.pid"])
        if entry is not None:
            entry["container"] = c
        if c is None:
            ev["container.id"] = "host"
        else:
            info: dict[str, Any] = self.inspector.inspect(c[0], c[1])
            for k, v in info.items():
                if not k.startswith("_") and k != "container.full_id":
                    ev[k] = v
            if c[2] and "k8s.pod.uid" not in ev:
                ev["k8s.pod.uid"] = c[2]
            upper = info.get("_upperdir")
            if ev.get(K_OVERLAY) and upper and isinstance(ev.get("proc.exepath"), str):
                ev["proc.is_exe_upper_layer"] = os.path.isfile(
                    os.path.join(upper, ev["proc.exepath"].lstrip("/"))
                )
        if ev.pop(K_OVERLAY, None) is not None and "proc.is_exe_upper_layer" not in ev:
            ev["proc.is_exe_upper_layer"] = False
        self.procs.enrich(ev)
        name = self._user(ev["container.id"], ev.get("user.uid", -1), ev["proc.pid"])
        if name is not None:
            ev["user.name"] = name
        self.procs.forget(ev)
        return ev

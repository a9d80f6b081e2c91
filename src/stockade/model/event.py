"""The normalised runtime event: a plain ``dict`` keyed by Falco field names.

Sensors (eBPF, proc connector, Falco/Tetragon JSON ingest) produce one dict per kernel event; enrichers add
process ancestry, container and Kubernetes keys; the rule engine reads the keys directly.  A dict — not a
dataclass — because the hot path is ``event.get("proc.name")``, and because rules name fields by these
strings.  ``docs/events.md`` is the full reference; in short:

- ``evt.type``: syscall name without prefix: ``"openat"``, ``"execve"``, ``"connect"`` (required)
- ``evt.dir``: ``"<"`` (exit, the default) or ``">"`` (enter)
- ``evt.time`` / ``evt.num``: nanoseconds since the epoch / sequence number
- ``evt.rawres`` / ``evt.res``: return value as an int / as text (``"SUCCESS"``, ``"ENOENT"``; derived if
  absent)
- ``evt.args``: ``{name: value}`` rendered as Falco renders them (``"flags": "O_RDONLY|O_CLOEXEC"``)
- ``proc.*``: ``pid name exe exepath args`` (argv[1:], list or str) ``cwd tty sid vpid …``
- ``proc.ancestors``: ``[{"pid", "name", "exe", "exepath", "cmdline", "args"}, …]``, parent first
- ``proc.env``: ``{NAME: value}`` or ``["NAME=value", …]``
- ``proc.start_ts``: process start, ns (gives ``proc.duration`` when that is absent)
- ``thread.*``: ``tid vtid cap_effective cap_permitted cap_inheritable`` (caps: ``"CAP_CHOWN …"``)
- ``user.*`` / ``group.*``: ``uid name loginuid loginname homedir shell`` / ``gid name``
- ``fd.*``: ``num type name nameraw l4proto sockfamily cip sip cport sport lip rip lport rport connected
  name_changed ino dev`` (``directory``/``filename``/``typechar`` derived)
- ``container.*``: ``id`` (``"host"`` outside containers) ``name image image.repository image.tag
  image.digest type privileged start_ts mounts`` (``[{"source", "dest", "mode", "rdwr", "propagation"}]``)
- ``k8s.*``: ``ns.name pod.name pod.uid pod.labels`` (``{key: value}``)

A key that is absent means "no value": every comparison on it is false, ``exists`` is false, and output
formatting shows ``<NA>`` — Falco's behaviour for a field that cannot be extracted.
"""

from __future__ import annotations

from typing import Any

Event = dict[str, Any]

#: keys that are not fields themselves but feed derived fields
STRUCTURAL_KEYS = (
    "evt.args",
    "proc.ancestors",
    "proc.env",
    "proc.start_ts",
    "container.mounts",
    "k8s.pod.labels",
)

#: Falco's fd type names → ``fd.typechar`` (libsinsp ``sinsp_fdinfo::get_typechar``)
FD_TYPECHARS = {
    "file": "f",
    "directory": "d",
    "ipv4": "4",
    "ipv6": "6",
    "unix": "u",
    "pipe": "p",
    "event": "e",
    "signalfd": "s",
    "eventpoll": "l",
    "inotify": "i",
    "timerfd": "t",
    "netlink": "n",
    "bpf": "b",
    "userfaultfd": "u",
    "io_uring": "r",
    "memfd": "m",
    "pidfd": "P",
}

"""Reading a field's value from the normalised event dict (the table itself is :mod:`.fields`).

Most fields are a key of the event; the derived ones are computed from other keys when the event does not
carry them (``proc.cmdline`` = ``proc.name`` + arguments, ``proc.pname`` and ``proc.aname[N]`` from
``proc.ancestors``, ``fd.directory``/``fd.filename`` from ``fd.name``, ``evt.res`` from ``evt.rawres``,
``evt.is_open_read`` from the ``flags`` argument, …) and stored back in the event, so the next rule that
needs the value reads a plain key.  ``proc.aname`` without an index stands for every ancestor (a check
passes if it passes for one), as libsinsp's ``proc.aname`` does; ``fd.ip``/``fd.port``/``fd.net`` stand
for both endpoints.
"""

from __future__ import annotations

import errno
import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stockade.model.event import FD_TYPECHARS, Event
from stockade.runtime.rules.fields import FIELDS, FType

Extractor = Callable[[Event], Any]


def key_getter(key: str) -> Extractor:
    def get(ev: Event) -> Any:
        return ev.get(key)

    return get


@dataclass(frozen=True, slots=True)
class Extract:
    """How to read one field (with its argument) from an event."""

    field: str
    type: FType
    key: str | None  # a plain key: ``event.get(key)``
    fn: Extractor | None  # otherwise this function
    multi: bool = False  # the value is a list of alternatives, a check passes if any passes
    #: for a derived field read through :func:`_cached`: the key it is stored under (the generated code
    #: reads that key inline and calls ``fn`` only when the event lacks it)
    stored: str | None = None
    derive: Extractor | None = None  # with ``stored``: computes the value when the event lacks the key
    inline: str | None = None  # with ``stored``: the same as a Python expression over ``g`` (event.get)
    #: with ``stored``: what the derivation reads, for the engine's index (None: not declared) — see DEPS
    deps: tuple[Dep, ...] | None = None


#: a part of the event a derivation reads: ``("key", k, None)`` is ``event.get(k)`` (absent and None
#: alike); ``("dict", k, sub)`` is ``event[k].get(sub)`` when ``event[k]`` is a dict (a derivation reading
#: only ``sub`` treats anything else as absent); ``("first", k, sub)`` is ``event[k][0].get(sub)`` when
#: ``event[k]`` is a non-empty list (anything else — no list, an empty one — is read whole)
Dep = tuple[str, str, str | None]
_FLAGS: Dep = ("dict", "evt.args", "flags")


# -- extraction ---------------------------------------------------------------------------------------
def _cached(key: str, derive: Callable[[Event], Any]) -> Extractor:
    """Reads ``key``; when absent derives the value once and stores it in the event."""

    def get(ev: Event) -> Any:
        v = ev.get(key)
        if v is None and key not in ev:
            v = derive(ev)
            ev[key] = v
        return v

    return get


def _join(a: list[Any]) -> str:
    try:
        return " ".join(a)  # an argv of strings (the usual case), without a conversion per item
    except TypeError:
        return " ".join(map(str, a))


def _args_str(ev: Event) -> str | None:
    a = ev.get("proc.args")
    if a is None:
        return None
    return _join(a) if isinstance(a, list) else str(a)


def _proc_args(ev: Event) -> Any:
    """``proc.args`` as text; an argv list in the event is joined (and stored back joined)."""
    v = ev.get("proc.args")
    if isinstance(v, list):
        v = _join(v)
        ev["proc.args"] = v
    return v


def _cmdline(name_key: str) -> Callable[[Event], Any]:
    def derive(ev: Event) -> Any:
        name = ev.get(name_key)
        if name is None:
            return None
        args = _args_str(ev)
        return f"{name} {args}" if args else str(name)

    return derive


def _ancestors(ev: Event) -> list[dict[str, Any]]:
    a = ev.get("proc.ancestors")
    return a if isinstance(a, list) else []


_ANC_KEYS = {"proc.aname": "name", "proc.apid": "pid", "proc.aexe": "exe", "proc.aexepath": "exepath"}
_SELF_KEYS = {"proc.aname": "proc.name", "proc.apid": "proc.pid", "proc.aexe": "proc.exe"}


def _anc_value(field: str, entry: dict[str, Any]) -> Any:
    if field == "proc.acmdline":
        c = entry.get("cmdline")
        if c is None and entry.get("name") is not None:
            args = entry.get("args")
            args = " ".join(map(str, args)) if isinstance(args, list) else args
            c = f"{entry['name']} {args}" if args else entry["name"]
        return c
    return entry.get(_ANC_KEYS[field])


def _ancestor(field: str, n: int) -> Extractor:
    self_key = {"proc.aexepath": "proc.exepath", "proc.acmdline": "proc.cmdline"}.get(
        field, _SELF_KEYS.get(field)
    )
    if n == 0:
        assert self_key is not None
        return extractor(self_key, None).fn or key_getter(self_key)
    parent_key = {
        "proc.aname": "proc.pname",
        "proc.apid": "proc.ppid",
        "proc.aexe": "proc.pexe",
        "proc.aexepath": "proc.pexepath",
        "proc.acmdline": "proc.pcmdline",
    }[field]

    akey = _ANC_KEYS.get(field)

    def get(ev: Event) -> Any:
        anc = ev.get("proc.ancestors")
        if isinstance(anc, list) and len(anc) >= n:
            entry = anc[n - 1]
            return entry.get(akey) if akey is not None else _anc_value(field, entry)
        if n == 1:
            return ev.get(parent_key)
        return None

    return get


def _any_ancestor(field: str) -> Extractor:
    def get(ev: Event) -> Any:
        anc = _ancestors(ev)
        if anc:
            return [v for v in (_anc_value(field, a) for a in anc) if v is not None]
        parents = {"proc.aname": "proc.pname", "proc.apid": "proc.ppid", "proc.aexe": "proc.pexe"}
        parent_key = parents.get(field)
        v = ev.get(parent_key) if parent_key is not None else None
        return None if v is None else [v]

    return get


field_to_anc = {
    "proc.pname": "proc.aname",
    "proc.ppid": "proc.apid",
    "proc.pexe": "proc.aexe",
    "proc.pexepath": "proc.aexepath",
    "proc.pcmdline": "proc.acmdline",
}


def _evt_res(ev: Event) -> Any:
    raw = ev.get("evt.rawres")
    if not isinstance(raw, int):
        return None
    if raw >= 0:
        return "SUCCESS"
    return errno.errorcode.get(-raw, str(raw))


def _render(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ",".join(map(str, v))
    return str(v)


def _evt_arg(arg: str, raw: bool) -> Extractor:
    index = int(arg) if arg.isdigit() else None

    def get(ev: Event) -> Any:
        args = ev.get("evt.args")
        if not isinstance(args, dict):
            return None
        if index is not None:
            vals = list(args.values())
            v = vals[index] if index < len(vals) else None
        else:
            v = args.get(arg)
        return v if raw else _render(v)

    return get


OPEN_TYPES = ("open", "openat", "openat2", "open_by_handle_at")


def _open_kind(kind: str, check_type: bool = True) -> Callable[[Event], Any]:
    """``evt.is_open_<kind>``; ``check_type=False`` for code that runs only on events of an open type."""

    def derive(ev: Event) -> Any:
        if check_type and ev.get("evt.type") not in OPEN_TYPES:
            return False
        args = ev.get("evt.args")
        f = args.get("flags") if isinstance(args, dict) else None
        flags = str(f) if f is not None else ""  # the 'flags' argument as text
        if kind == "read":
            return "O_RDWR" in flags or "O_RDONLY" in flags or ("O_WRONLY" not in flags and bool(flags))
        if kind == "write":
            return "O_WRONLY" in flags or "O_RDWR" in flags
        if kind == "create":
            return "O_CREAT" in flags
        args = ev.get("evt.args")
        mode = str(args.get("mode", "")) if isinstance(args, dict) else ""
        return "O_CREAT" in flags and any(x in mode for x in ("S_IXUSR", "S_IXGRP", "S_IXOTH"))

    return derive


def _fd_name(ev: Event) -> Any:
    cip, sip = ev.get("fd.cip"), ev.get("fd.sip")
    if cip is not None and sip is not None:
        return f"{cip}:{ev.get('fd.cport', '')}->{sip}:{ev.get('fd.sport', '')}"
    return None


def _fd_directory(ev: Event) -> Any:
    name = ev.get("fd.name")
    if not isinstance(name, str):
        return None
    ft = ev.get("fd.type")
    if ft not in (None, "file", "directory", "memfd"):  # a path fd
        return None
    if ft == "directory":
        return name
    # os.path.dirname, inlined (this runs for most open events)
    head = name[: name.rfind("/") + 1]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head or None


def _fd_filename(ev: Event) -> Any:
    name = ev.get("fd.name")
    if not isinstance(name, str):
        return None
    ft = ev.get("fd.type")
    if ft not in (None, "file", "memfd"):  # a path fd that is not a directory
        return None
    return name[name.rfind("/") + 1 :]  # os.path.basename


def _both(a: str, b: str) -> Extractor:
    def get(ev: Event) -> Any:
        vals = [v for v in (ev.get(a), ev.get(b)) if v is not None]
        return vals or None

    return get


def _image_part(part: str) -> Callable[[Event], Any]:
    def derive(ev: Event) -> Any:
        image = ev.get("container.image")
        if not isinstance(image, str) or not image:
            return None
        ref, _, digest = image.partition("@")
        slash = ref.rfind("/")
        colon = ref.rfind(":")
        repo, tag = (ref[:colon], ref[colon + 1 :]) if colon > slash else (ref, "")
        return {"repository": repo, "tag": tag or None, "digest": digest or None}[part]

    return derive


def _env(arg: str | None) -> Extractor:
    def get(ev: Event) -> Any:
        env = ev.get("proc.env")
        if env is None:
            return None
        pairs: dict[str, str] = {}
        if isinstance(env, dict):
            pairs = {str(k): str(v) for k, v in env.items()}
        elif isinstance(env, list):
            for e in env:
                k, _, v = str(e).partition("=")
                pairs[k] = v
        elif isinstance(env, str):
            if arg is None:
                return env
            for e in env.split():
                k, _, v = e.partition("=")
                pairs[k] = v
        if arg is None:
            return " ".join(f"{k}={v}" for k, v in pairs.items())
        return pairs.get(arg)

    return get


def _mount(part: str, arg: str) -> Extractor:
    index = int(arg) if arg.isdigit() else None
    pattern = None if index is not None else fnmatch.translate(arg)
    rx = re.compile(pattern) if pattern else None

    def render(m: dict[str, Any]) -> str:
        return ":".join(str(m.get(k, "")) for k in ("source", "dest", "mode", "rdwr", "propagation"))

    def get(ev: Event) -> Any:
        mounts = ev.get("container.mounts")
        if not isinstance(mounts, list):
            return None
        found = None
        if index is not None:
            found = mounts[index] if index < len(mounts) else None
        else:
            for m in mounts:
                if isinstance(m, dict) and rx is not None and rx.match(str(m.get("dest", ""))):
                    found = m
                    break
        if not isinstance(found, dict):
            # the upstream sandbox macro `sensitive_mount` tests `not container.mount.dest[X] in ("<NA>")`:
            # a container without such a mount yields the text "<NA>", as the container plugin renders it
            return "<NA>"
        return render(found) if part == "mount" else _render(found.get(part.split(".", 1)[1]))

    return get


def _mounts(ev: Event) -> Any:
    mounts = ev.get("container.mounts")
    if not isinstance(mounts, list):
        return None
    return ",".join(
        ":".join(str(m.get(k, "")) for k in ("source", "dest", "mode", "rdwr", "propagation"))
        for m in mounts
        if isinstance(m, dict)
    )


def _fd_types(arg: str | None) -> Extractor:
    def get(ev: Event) -> Any:
        t = ev.get("fd.types")
        if t is None:
            return None
        items: dict[str, Any] = (
            {str(k): v for k, v in t.items()} if isinstance(t, dict) else {str(i): v for i, v in enumerate(t)}
        )
        if arg is None:
            return sorted({str(v) for v in items.values()})
        v = items.get(arg)
        return None if v is None else [str(v)]

    return get


def _duration(start_key: str) -> Callable[[Event], Any]:
    """``evt.time`` less ``start_key`` when both are integers and the start is positive, else None (a
    difference the replay memo may store by place: :data:`DIFFERENCES`)."""

    def derive(ev: Event) -> Any:
        now, start = ev.get("evt.time"), ev.get(start_key)
        if isinstance(now, int) and isinstance(start, int) and start > 0:
            return now - start
        return None

    return derive


def _labels(ev: Event) -> Any:
    labels = ev.get("k8s.pod.labels")
    if isinstance(labels, dict):
        return ", ".join(f"{k}:{v}" for k, v in labels.items())
    return labels


def _label(arg: str) -> Extractor:
    def get(ev: Event) -> Any:
        labels = ev.get("k8s.pod.labels")
        return labels.get(arg) if isinstance(labels, dict) else None

    return get


def _evt_args_str(ev: Event) -> Any:
    args = ev.get("evt.args")
    if not isinstance(args, dict):
        return None
    return " ".join(f"{k}={_render(v)}" for k, v in args.items())


_SIMPLE_DERIVED: dict[str, Callable[[Event], Any]] = {
    "evt.res": _evt_res,
    "evt.failed": lambda ev: isinstance(ev.get("evt.rawres"), int) and ev["evt.rawres"] < 0,
    "evt.args": _evt_args_str,
    "evt.is_open_read": _open_kind("read"),
    "evt.is_open_write": _open_kind("write"),
    "evt.is_open_exec": _open_kind("exec"),
    "evt.is_open_create": _open_kind("create"),
    "evt.dir": lambda ev: "<",
    "syscall.type": lambda ev: ev.get("evt.type"),
    "proc.args": _args_str,
    "proc.cmdline": _cmdline("proc.name"),
    "proc.exeline": _cmdline("proc.exe"),
    "proc.duration": _duration("proc.start_ts"),
    "container.duration": _duration("container.start_ts"),
    "fd.typechar": lambda ev: FD_TYPECHARS.get(ev.get("fd.type", ""), None),
    "fd.nameraw": lambda ev: ev.get("fd.name"),
    "fd.name": _fd_name,
    "fd.directory": _fd_directory,
    "fd.filename": _fd_filename,
    "container.image.repository": _image_part("repository"),
    "container.image.tag": _image_part("tag"),
    "container.image.digest": _image_part("digest"),
    "container.mounts": _mounts,
    "k8s.pod.labels": _labels,
    "k8s.pod.uid": lambda ev: ev.get("k8s.pod.id"),
    "k8s.pod.id": lambda ev: ev.get("k8s.pod.uid"),
    "fs.path.nameraw": lambda ev: ev.get("fs.path.name"),
    "fs.path.sourceraw": lambda ev: ev.get("fs.path.source"),
    "fs.path.targetraw": lambda ev: ev.get("fs.path.target"),
}


#: derived fields whose derivation is one expression over ``g`` (``event.get``) and the compiler's
#: namespace (``_FDTC`` is ``FD_TYPECHARS.get``): generated code computes them without a call
_INLINE: dict[str, str] = {
    "fd.typechar": "_FDTC(g('fd.type', ''), None)",
    "fd.nameraw": "g('fd.name')",
    "syscall.type": "g('evt.type')",
    "evt.dir": "'<'",
    "k8s.pod.uid": "g('k8s.pod.id')",
    "k8s.pod.id": "g('k8s.pod.uid')",
    "fs.path.nameraw": "g('fs.path.name')",
    "fs.path.sourceraw": "g('fs.path.source')",
    "fs.path.targetraw": "g('fs.path.target')",
}


#: every derivation's reads: a derived value is a function of these (and of the stored key, which wins)
DEPS: dict[str, tuple[Dep, ...]] = {
    "evt.is_open_read": (("key", "evt.type", None), _FLAGS),
    "evt.is_open_write": (("key", "evt.type", None), _FLAGS),
    "evt.is_open_create": (("key", "evt.type", None), _FLAGS),
    "evt.is_open_exec": (("key", "evt.type", None), _FLAGS, ("dict", "evt.args", "mode")),
    "evt.dir": (),
    "syscall.type": (("key", "evt.type", None),),
    "container.image.repository": (("key", "container.image", None),),
    "container.image.tag": (("key", "container.image", None),),
    "container.image.digest": (("key", "container.image", None),),
    "fd.typechar": (("key", "fd.type", None),),
    "fd.nameraw": (("key", "fd.name", None),),
    "fd.name": tuple(("key", k, None) for k in ("fd.cip", "fd.sip", "fd.cport", "fd.sport")),
    "fd.directory": (("key", "fd.name", None), ("key", "fd.type", None)),
    "fd.filename": (("key", "fd.name", None), ("key", "fd.type", None)),
    "k8s.pod.uid": (("key", "k8s.pod.id", None),),
    "k8s.pod.id": (("key", "k8s.pod.uid", None),),
    "fs.path.nameraw": (("key", "fs.path.name", None),),
    "fs.path.sourceraw": (("key", "fs.path.source", None),),
    "fs.path.targetraw": (("key", "fs.path.target", None),),
    # the parent's fields: the first ancestor's entry (else the stored key, which the index reads anyway)
    "proc.pname": (("first", "proc.ancestors", "name"),),
    "proc.ppid": (("first", "proc.ancestors", "pid"),),
    "proc.pexe": (("first", "proc.ancestors", "exe"),),
    "proc.pexepath": (("first", "proc.ancestors", "exepath"),),
}


#: the fields that are ``_duration``'s difference of two keys: field → (minuend, subtrahend)
DIFFERENCES = {
    "proc.duration": ("evt.time", "proc.start_ts"),
    "container.duration": ("evt.time", "container.start_ts"),
}
#: per key of a difference, every field besides its own whose reader may read it (the same test as
#: DERIVED_READS' holds this to the code): the memo stores the two keys by their difference only where
#: no other reader of either is in a rule's condition (:func:`.screen.differences`)
KEY_READERS = {
    "evt.time": frozenset(["proc.duration", "container.duration"]),
    "proc.start_ts": frozenset(["proc.duration"]),
    "container.start_ts": frozenset(["container.duration"]),
}

#: every top-level key a derivation or a non-plain field's reader may read (tests/runtime/rules/
#: test_screen.py runs every field's reader on recorded events to hold this to the code above): a key
#: outside it is read only as itself, by plain fields (the replay memo relies on it, see :mod:`.screen`)
DERIVED_READS = frozenset(
    [
        "evt.args",
        "evt.rawres",
        "evt.time",
        "evt.type",
        "container.image",
        "container.mounts",
        "container.start_ts",
        "fd.cip",
        "fd.cport",
        "fd.lip",
        "fd.name",
        "fd.rip",
        "fd.sip",
        "fd.sport",
        "fd.type",
        "fd.types",
        "fs.path.name",
        "fs.path.source",
        "fs.path.target",
        "k8s.pod.id",
        "k8s.pod.labels",
        "k8s.pod.uid",
        "proc.ancestors",
        "proc.args",
        "proc.cmdline",
        "proc.env",
        "proc.exe",
        "proc.exepath",
        "proc.name",
        "proc.pcmdline",
        "proc.pexe",
        "proc.pexepath",
        "proc.pid",
        "proc.pname",
        "proc.ppid",
        "proc.start_ts",
    ]
)


def for_type(x: Extract, evttype: str | None) -> Extract:
    """``x`` for code that only ever sees events whose ``evt.type`` is ``evttype`` (None: any type).

    ``evt.is_open_*`` need no type test there: constant false on other types, the flags on open types.
    """
    if evttype is None or x.stored is None or not x.field.startswith("evt.is_open_"):
        return x
    if evttype not in OPEN_TYPES:
        return Extract(x.field, x.type, None, x.fn, x.multi, x.stored, x.derive, inline="False", deps=())
    kind = x.field.removeprefix("evt.is_open_")
    return Extract(
        x.field, x.type, None, x.fn, x.multi, x.stored, _open_kind(kind, check_type=False), deps=x.deps
    )


def extractor(name: str, arg: str | None) -> Extract:
    """The :class:`Extract` of a known field (callers check :func:`lookup` first)."""
    spec = FIELDS[name]
    t = spec.type
    if name in ("evt.arg", "evt.rawarg"):
        return Extract(f"{name}.{arg}", t, None, _evt_arg(arg or "", name == "evt.rawarg"))
    if spec.any_ancestor:
        if arg is None:
            return Extract(name, t, None, _any_ancestor(name), multi=True)
        n = int(arg) if arg.isdigit() else -1
        if n < 0:
            return Extract(f"{name}[{arg}]", t, None, lambda ev: None)
        return Extract(f"{name}[{arg}]", t, None, _ancestor(name, n))
    if name in field_to_anc:
        parent = _ancestor(field_to_anc[name], 1)
        return Extract(name, t, None, _cached(name, parent), stored=name, derive=parent, deps=DEPS.get(name))
    if name == "proc.env":
        return Extract(name if arg is None else f"{name}[{arg}]", t, None, _env(arg))
    if name.startswith("container.mount") and name != "container.mounts":
        return Extract(f"{name}[{arg}]", t, None, _mount(name.split(".", 1)[1], arg or ""))
    if name == "k8s.pod.label":
        return Extract(f"{name}[{arg}]", t, None, _label(arg or ""))
    if name == "fd.types":
        return Extract(name if arg is None else f"{name}[{arg}]", t, None, _fd_types(arg))
    if name in ("fd.ip", "fd.net"):
        return Extract(name, t, None, _both("fd.cip", "fd.sip"), multi=True)
    if name == "fd.port":
        return Extract(name, t, None, _both("fd.cport", "fd.sport"), multi=True)
    if name in ("fd.cnet", "fd.snet", "fd.lnet", "fd.rnet"):
        key = name.replace("net", "ip")
        return Extract(name, t, None, key_getter(key))
    if name == "proc.args":
        return Extract(name, t, None, _proc_args)
    if name == "evt.args":  # the event keeps its arguments as a mapping under this very key: never cached
        return Extract(name, t, None, _evt_args_str, derive=_evt_args_str, deps=DEPS.get(name))
    derive = _SIMPLE_DERIVED.get(name)
    if derive is not None:
        return Extract(
            name,
            t,
            None,
            _cached(name, derive),
            stored=name,
            derive=derive,
            inline=_INLINE.get(name),
            deps=DEPS.get(name),
        )
    return Extract(name, t, name, None)

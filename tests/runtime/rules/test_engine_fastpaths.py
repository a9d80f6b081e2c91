"""The engine's fast paths agree with the reference interpreter (``synth.reference``, an AST walk).

Covered: sub-conditions shared by several rules of a type (evaluated once per event into a slot) when the
shared part is true, false or reads a missing field; plain keys read once per event; derived fields read
inline (a value the event carries wins, ``None`` included, else derived and stored back); ``evt.is_open_*``
specialised per event type; the per-type index (``.index``) for values inside and outside the rules' sets,
missing and non-string; ``ipnet`` checks with their per-value cache; multi-valued fields.
"""

from __future__ import annotations

import os.path
import textwrap
from typing import Any

import pytest

from stockade.runtime.rules import extract
from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.ruleset import Ruleset, load_ruleset

from .synth import reference

RULES = """
- macro: spawn_in_box
  condition: (evt.type = execve and container.id != host and proc.name in (sh, bash))
- macro: etc_write
  condition: (evt.is_open_write = true and fd.directory = /etc)
- rule: shell in box
  desc: d
  condition: spawn_in_box and proc.pname = node
  output: o %proc.name
  priority: WARNING
- rule: shell in box with tty
  desc: d
  condition: spawn_in_box and proc.tty != 0
  output: o
  priority: WARNING
- rule: curl anywhere
  desc: d
  condition: evt.type = execve and proc.name = curl
  output: o
  priority: NOTICE
- rule: wget or curl from web
  desc: d
  condition: evt.type = execve and proc.name in (wget, curl) and proc.aname = nginx
  output: o
  priority: NOTICE
- rule: any exec by root
  desc: d
  condition: evt.type = execve and user.uid = 0 and not proc.name exists
  output: o
  priority: NOTICE
- rule: opened for read on exec
  desc: d
  condition: evt.type in (execve, openat) and evt.is_open_read = true
  output: o
  priority: NOTICE
- rule: write below etc
  desc: d
  condition: evt.type in (open, openat) and etc_write and not proc.name in (dpkg)
  output: o
  priority: ERROR
- rule: write passwd
  desc: d
  condition: evt.type in (open, openat) and etc_write and fd.filename = passwd
  output: o
  priority: ERROR
- rule: typechar
  desc: d
  condition: evt.type = openat and fd.typechar = f and fd.nameraw startswith /srv
  output: o
  priority: NOTICE
- rule: outbound
  desc: d
  condition: evt.type = connect and fd.net != 127.0.0.0/8 and not fd.snet in (10.0.0.0/8, "fd00::/8")
  output: o
  priority: NOTICE
- rule: port
  desc: d
  condition: evt.type = connect and fd.port = 443 and fd.ip != "10.0.0.1"
  output: o
  priority: NOTICE
"""


@pytest.fixture(scope="module")
def rs() -> Ruleset:
    rs = load_ruleset(texts=[(textwrap.dedent(RULES), "fast.yaml")])
    assert rs.errors == [], rs.errors
    return rs


def _ev(t: str, **kw: Any) -> dict[str, Any]:
    return {"evt.type": t, **{k.replace("__", "."): v for k, v in kw.items()}}


EXECS = [
    _ev("execve", container__id="c1", proc__name="sh", proc__pname="node", proc__tty=0),  # shared part true
    _ev("execve", container__id="c1", proc__name="bash", proc__tty=34816),
    _ev("execve", container__id="host", proc__name="sh", proc__pname="node", proc__tty=1),  # shared false
    _ev("execve", proc__name="sh", proc__pname="node"),  # shared part reads a missing field
    _ev("execve", container__id="c1", proc__name="zsh", proc__pname="node", proc__tty=3),
    _ev("execve", proc__name="curl", proc__ancestors=[{"name": "bash"}, {"name": "nginx"}]),
    _ev("execve", proc__name="wget", proc__ancestors=[{"name": "nginx"}]),
    _ev("execve", proc__name="wget", proc__pname="nginx"),
    _ev("execve", proc__name="wget"),
    _ev("execve", user__uid=0),  # no proc.name: the index is not used
    _ev("execve", user__uid=0, proc__name=None),
    _ev("execve", user__uid=0, proc__name=7, container__id="c1"),  # not a string: not used either
    _ev("execve", proc__name="ls", evt__is_open_read=True),  # carried by the event: wins over the type
    _ev("execve", proc__name="ls", evt__args={"flags": "O_RDONLY"}),
]
OPENS = [
    _ev(t, fd__name=name, fd__type=ft, proc__name=pn, evt__args={"flags": flags}, **extra)
    for t in ("openat", "open")
    for name, ft, pn, flags, extra in [
        ("/etc/passwd", "file", "vi", "O_WRONLY|O_TRUNC", {}),
        ("/etc/passwd", "file", "dpkg", "O_RDWR", {}),
        ("/etc/hosts", "file", "vi", "O_RDONLY", {}),
        ("/etc/x/y", "file", "vi", "O_WRONLY", {}),
        ("/etc", "directory", "vi", "O_WRONLY", {}),
        ("/etc//", "file", "vi", "O_WRONLY", {}),
        ("/srv/a", "file", "vi", "O_RDONLY", {}),
        ("/srv/a", "file", "vi", "O_RDONLY", {"fd.typechar": "d"}),  # carried: wins
        ("/srv/a", None, "vi", "O_RDONLY", {}),
        ("/etc/passwd", "file", "vi", "O_WRONLY", {"fd.directory": None}),  # carried None: no value
        ("/etc/passwd", "file", "vi", "O_WRONLY", {"evt.is_open_write": False}),
        ("/etc/passwd", "ipv4", "vi", "O_WRONLY", {}),
        ("/etc/passwd", "file", "vi", "", {}),
    ]
]
CONNECTS = [
    _ev("connect", fd__cip=c, fd__sip=s, fd__cport=40000, fd__sport=p)
    for c, s, p in [
        ("10.0.0.5", "93.184.216.34", 443),
        ("10.0.0.5", "10.0.0.1", 443),
        ("10.0.0.1", "10.0.0.9", 80),
        ("127.0.0.1", "8.8.8.8", 443),
        ("2001:db8::1", "fd00::5", 443),
        ("2001:db8::1", "2001:db8::2", 443),
        ("2001:db8::1", "::a00:1", 443),  # as an integer inside 10.0.0.0/8, but IPv6
        ("not-an-ip", "93.184.216.34", "443"),
    ]
] + [_ev("connect", fd__sip="93.184.216.34"), _ev("connect")]
EVENTS = EXECS + OPENS + CONNECTS


def _expected(rs: Ruleset, ev: dict[str, Any]) -> list[str]:
    out = []
    for r in rs.rules:
        t = ev["evt.type"]
        ast = r.asts.get(t) if t in r.asts else r.asts.get(None)
        if ast is not None and reference(ast, dict(ev)):
            out.append(r.name)
    return out


@pytest.mark.parametrize("ev", EVENTS, ids=lambda e: f"{e['evt.type']}:{sorted(e.items())!r}"[:90])
def test_engine_agrees_with_the_reference_interpreter(rs: Ruleset, ev: dict[str, Any]) -> None:
    want = _expected(rs, ev)
    every = Engine(rs, rule_matching="all", hostname="h")
    first = Engine(rs, rule_matching="first", hostname="h")
    for _ in range(2):  # the second time through the per-value caches (index, networks) are warm
        assert [r.name for r in every.match(dict(ev))] == want
        assert [r.name for r in first.match(dict(ev))] == want[:1]
    assert every.errors == first.errors == 0


def test_the_cases_exercise_each_rule_both_ways(rs: Ruleset) -> None:
    fired = {name for ev in EVENTS for name in _expected(rs, ev)}
    assert fired == {r.name for r in rs.rules}
    assert all(any(r.name not in _expected(rs, ev) for ev in EVENTS) for r in rs.rules)


def test_the_index_is_used_and_keeps_load_order(rs: Ruleset) -> None:
    engine = Engine(rs, rule_matching="first", hostname="h")
    assert any("proc.name" in fields for fields in engine.indexed_fields("execve"))
    ev = _ev("execve", proc__name="curl", proc__ancestors=[{"name": "nginx"}], evt__is_open_read=True)
    assert [r.name for r in Engine(rs, rule_matching="all", hostname="h").match(dict(ev))] == [
        "curl anywhere",
        "wget or curl from web",
        "opened for read on exec",
    ]
    assert [r.name for r in engine.match(dict(ev))] == ["curl anywhere"]
    # values that select the same rules share one generated function
    ix = engine._indexes["execve"]
    engine.match(_ev("execve", proc__name="ls"))
    functions = len(ix.by_mask)
    engine.match(_ev("execve", proc__name="ps"))
    assert len(ix.by_mask) == functions and sum(len(c) for c in ix.caches) >= 3


def test_derived_values_are_stored_in_the_event_when_computed(rs: Ruleset) -> None:
    def ev() -> dict[str, Any]:
        return _ev(
            "openat",
            fd__name="/etc/passwd",
            fd__type="file",
            proc__name="vi",
            evt__args={"flags": "O_WRONLY"},
        )

    plain = Engine(rs, rule_matching="all", hostname="h", index=False)
    e = ev()
    assert [r.name for r in plain.match(e)] == ["write below etc", "write passwd"]
    assert e["fd.directory"] == "/etc" and e["fd.filename"] == "passwd" and e["evt.is_open_write"] is True
    # the index decides those checks from fd.name, fd.type and the flags: nothing is derived for it
    indexed = Engine(rs, rule_matching="all", hostname="h")
    assert indexed.indexed_fields("openat") != []
    e = ev()
    assert [r.name for r in indexed.match(e)] == ["write below etc", "write passwd"]
    assert "fd.directory" not in e


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "/etc/", "/etc//x", "/", "//", "///a", "x", "", "a/b/", "/a//b//", "//a"]
)
def test_inlined_dirname_and_basename_match_os_path(path: str) -> None:
    ev = {"fd.name": path, "fd.type": "file"}
    want_dir = os.path.dirname(path) or None
    assert extract.extractor("fd.directory", None).fn(dict(ev)) == want_dir  # type: ignore[misc]
    assert extract.extractor("fd.filename", None).fn(dict(ev)) == os.path.basename(path)  # type: ignore[misc]


@pytest.mark.parametrize("t", ["openat", "open", "openat2", "open_by_handle_at", "execve", "close"])
@pytest.mark.parametrize("flags", ["O_RDONLY", "O_WRONLY|O_CREAT", "O_RDWR", "O_CLOEXEC", "", None])
def test_open_kinds_specialised_per_type_agree_with_the_generic_ones(t: str, flags: str | None) -> None:
    ev = {"evt.type": t, "evt.args": {"flags": flags, "mode": "S_IXUSR"}}
    for kind in ("read", "write", "create", "exec"):
        generic = extract.extractor(f"evt.is_open_{kind}", None)
        special = extract.for_type(generic, t)
        assert generic.fn is not None
        want = generic.fn(dict(ev))
        if special.inline is not None:
            assert special.inline == "False" and want is False
        else:
            assert special.derive is not None and special.derive(dict(ev)) == want


def test_a_type_is_built_at_its_first_event_and_matches_as_if_built_at_start(all_rules: Ruleset) -> None:
    """Types are built lazily: a fresh engine has built none; an event builds its own type only; the
    results (``match``, ``hopeless``, the index's fields) are those of an engine whose types were all
    built before any event."""
    lazy = Engine(all_rules, rule_matching="all", hostname="h")
    eager = Engine(all_rules, rule_matching="all", hostname="h")
    types = sorted(eager._pending)
    assert {"openat", "execve", "connect"} <= set(types)
    for t in types:
        eager._ensure(t)
    assert not eager._pending
    assert set(lazy._pending) == set(types)  # nothing built yet
    shadow = {"evt.type": "openat", "evt.time": 1_700_000_000_000_000_000, "fd.name": "/etc/shadow",
              "fd.type": "file", "fd.num": 3, "proc.name": "cat", "evt.args": {"flags": "O_RDONLY"},
              "container.id": "host"}  # fmt: skip
    assert [r.name for r in lazy.match(dict(shadow))] == [r.name for r in eager.match(dict(shadow))] != []
    assert lazy._pending == set(types) - {"openat"}
    hosts = {**shadow, "fd.name": "/usr/lib/libc.so.6"}
    assert lazy.hopeless(dict(hosts)) == eager.hopeless(dict(hosts))
    ev = {"evt.type": "execve", "proc.name": "bash", "proc.tty": 34816, "container.id": "abc"}
    assert lazy.hopeless(dict(ev)) == eager.hopeless(dict(ev)) is False  # (builds execve)
    assert "execve" not in lazy._pending
    assert lazy.indexed_fields("connect") == eager.indexed_fields("connect") != []
    assert [r.name for r in lazy.match(dict(ev))] == [r.name for r in eager.match(dict(ev))]

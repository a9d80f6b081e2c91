"""The generated bpftrace program: per-syscall tracepoints for exactly the syscalls asked for, and the
rule-driven choice of syscalls (:func:`bpfprog.needed`).  Pure text checks; the live tests run it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stockade.runtime.source import bpfprog


def _attached(prog: str) -> set[str]:
    return set(re.findall(r"tracepoint:syscalls:sys_enter_(\w+)", prog))


def test_no_raw_syscalls_hook() -> None:
    prog = bpfprog.program(1234)
    assert "raw_syscalls" not in prog
    # exec is read at sched_process_exec only (argv from the new image)
    assert _attached(prog) == {bpfprog.tracepoint(n) for n in bpfprog.SYSCALLS if n not in bpfprog.EXEC}
    # every enter has its exit, and the sensor's own pid is excluded on every enter
    assert set(re.findall(r"tracepoint:syscalls:sys_exit_(\w+)", prog)) == _attached(prog)
    enters = re.findall(r"tracepoint:syscalls:sys_enter_\w+ /([^/]*)/", prog)
    assert enters and all("pid != 1234" in p for p in enters)


@pytest.mark.parametrize(
    ("chosen", "absent"),
    [(["openat", "execve"], "sys_enter_connect"), (["connect", "execve"], "sys_enter_openat")],
)
def test_only_chosen_syscalls(chosen: list[str], absent: str) -> None:
    prog = bpfprog.program(1, syscalls=chosen)
    assert _attached(prog) == set(chosen) - set(bpfprog.EXEC)
    assert absent not in prog
    # the process lifecycle is always there
    for tp in ("sched_process_exec", "sched_process_fork", "sched_process_exit"):
        assert f"tracepoint:sched:{tp}" in prog


def test_umount2_tracepoint_name() -> None:
    assert "sys_enter_umount " in bpfprog.program(1, syscalls=["umount2"])


def test_unknown_syscall_rejected() -> None:
    with pytest.raises(ValueError, match="unknown syscalls: nosuch"):
        bpfprog.program(1, syscalls=["nosuch"])


def test_fields_cover_kinds() -> None:
    for name, (_nr, kinds) in bpfprog.SYSCALLS.items():
        if name not in bpfprog.EXEC:  # exec reads only filename and argv
            assert len(bpfprog.FIELDS[name]) >= len(kinds), name


def test_fields_match_kernel_formats() -> None:
    base = Path("/sys/kernel/tracing/events/syscalls")
    if not base.is_dir():
        pytest.skip("tracefs is not mounted on /sys/kernel/tracing")
    for name, fields in bpfprog.FIELDS.items():
        fmt = base / f"sys_enter_{bpfprog.tracepoint(name)}" / "format"
        if not fmt.exists():
            continue
        have = re.findall(r"field:[^;]*?(\w+);", fmt.read_text())
        assert list(fields) == have[5 : 5 + len(fields)], name


def test_needed_follows_the_rules() -> None:
    wanted = {"open", "openat", "connect"}
    got = bpfprog.needed(lambda t: t in wanted)
    assert {"open", "openat", "connect", "execve", "execveat"} <= got
    assert "chmod" not in got and "ptrace" not in got and "openat2" not in got
    # a dup's socket is read in the kernel at the dup; a listen needs the bind of its address
    assert not {"accept", "accept4", "bind", "connect"} & bpfprog.needed(lambda t: t == "dup2")
    assert "bind" in bpfprog.needed(lambda t: t == "listen")
    assert bpfprog.needed(lambda t: True) == frozenset(bpfprog.SYSCALLS)


def test_needed_with_the_engine() -> None:
    """The real engine's view of a rule file: only the syscalls its rules can match (plus exec)."""
    from stockade.runtime.sensor import load_engine

    rules = Path(__file__).resolve().parents[3].parent / "shared" / "rules" / "falco" / "falco_rules.yaml"
    if not rules.exists():
        pytest.skip(f"upstream rules not found at {rules}")
    engine, _errors = load_engine([rules])
    got = bpfprog.needed(lambda t: bool(engine.rules_for(t)))  # type: ignore[attr-defined]
    assert {"openat", "connect", "execve", "symlinkat", "ptrace"} <= got
    assert got <= frozenset(bpfprog.SYSCALLS)


def _open_probes(prog: str) -> list[str]:
    """The bodies of the openat enter probes, in program order."""
    return [p.split("tracepoint:", 1)[0] for p in prog.split("tracepoint:syscalls:sys_enter_openat")[1:]]


def _open_probe(prog: str) -> str:
    return "".join(_open_probes(prog))


def test_open_filter_keeps_paths_user_space_must_resolve() -> None:
    probe = _open_probe(bpfprog.program(1, syscalls=["openat"]))
    assert f"$keep = $keep | (($fl & {bpfprog.O_WRITE_MASK}) != 0);" in probe  # no rule tests: every write
    assert "$keep = ($w0 & 0xff) != 0x2f;" in probe  # relative (or a first word that did not read)
    assert "$w = *(uint64 *)uptr($p + $i * 8)" in probe and "0x2e2e2e2e2e2e2e2e" in probe  # "/." and "//"
    # "/etc/shadow": its first word, then its second, compared as little-endian words
    assert "$w0 == 0x6168732f6374652f" in probe and "($w1 & 0xffffff) == 0x776f64" in probe


def test_open_filter_from_the_rules() -> None:
    probe = _open_probe(
        bpfprog.program(1, syscalls=["openat"], paths=(("/var/log",), ("release_agent",), ()))
    )
    assert "$keep = $keep | " not in probe  # write opens only by the tests
    assert "$w0 == 0x676f6c2f7261762f" in probe  # "/var/log"
    writes = f"($fl & {bpfprog.O_WRITE_MASK}) != 0"
    assert f'if ({writes} && (strcontains(str(args->filename), "release_agent")))' in probe
    # a test the program cannot spell drops the rule tests: every write open again
    probe = _open_probe(bpfprog.program(1, syscalls=["openat"], paths=(('/a"b',), (), ())))
    assert f"$keep = $keep | (($fl & {bpfprog.O_WRITE_MASK}) != 0);" in probe and '/a"b' not in probe
    # more substring tests than MAX_SUBSTRINGS: the same
    subs = tuple(f"/s{i}" for i in range(bpfprog.MAX_SUBSTRINGS + 1))
    probe = _open_probe(bpfprog.program(1, syscalls=["openat"], paths=(("/var/log",), subs, ())))
    assert f"$keep = $keep | (($fl & {bpfprog.O_WRITE_MASK}) != 0);" in probe and "/s0" not in probe
    # substrings with two dots are left to the scan, which keeps every path with ".." in it
    probe = _open_probe(bpfprog.program(1, syscalls=["openat"], paths=(("/var/log",), ("../",), ())))
    assert "strcontains" not in probe and "$keep = $keep | " not in probe


def test_open_suffix_tests_on_words() -> None:
    prog = bpfprog.program(1, syscalls=["openat"], paths=(("/var/log",), (), ("/syslog", "release_agent")))
    probes = re.findall(r"tracepoint:syscalls:sys_enter_openat /([^/]*)/", prog)
    assert probes == ["pid != 1"] * 2  # program order: prefixes and the scan, then the suffixes
    body = _open_probes(prog)[1]
    assert "($len >= 7 && ($tl >> 8) == 0x676f6c7379732f)" in body  # "/syslog": one comparison
    # "release_agent": its last eight bytes, then its first eight where it would start
    assert (
        "($len >= 13 && $tl == 0x746e6567615f6573 && *(uint64 *)uptr($p + $len - 13) == 0x5f657361656c6572)"
    ) in body
    assert "@sfx" not in prog and "strncmp" not in prog
    # too many suffixes: every write open
    many = tuple(f"/f{i}" for i in range(bpfprog.MAX_SUFFIXES + 1))
    probe = _open_probe(bpfprog.program(1, syscalls=["openat"], paths=((), (), many)))
    assert f"$keep = $keep | (($fl & {bpfprog.O_WRITE_MASK}) != 0);" in probe and "@sfx" not in probe


def test_every_open_prints_its_path_as_part_1() -> None:
    # opens are stored as openat's arguments (dirfd, path, flags, mode): open(2)'s path is the second
    # stored value too, and the decoder takes part 1 (it printed part 0, the dirfd, and lost the path)
    prog = bpfprog.program(1, syscalls=list(bpfprog.OPEN))
    for name in bpfprog.OPEN:
        exits = prog.split(f"tracepoint:syscalls:sys_exit_{name} ")[1:]
        parts = [p for p in exits if p.startswith("/@e[tid].1 ==")]
        assert len(parts) == 1 and "$e.3" in parts[0] and f"{bpfprog.SEP}%s" in parts[0], name
        assert "tid, $ts, 1, str($e.3));" in parts[0], name

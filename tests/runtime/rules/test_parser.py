from __future__ import annotations

import pytest

from stockade.runtime.rules.grammar.ast import (
    And,
    BinaryCheck,
    Field,
    Ident,
    ListRef,
    ListValue,
    Not,
    Or,
    Transform,
    UnaryCheck,
    Value,
)
from stockade.runtime.rules.grammar.lexer import EscapeError, unescape
from stockade.runtime.rules.grammar.parser import ConditionSyntaxError, parse


def test_precedence_and_binds_tighter_than_or() -> None:
    e = parse("a or b and c")
    assert isinstance(e, Or)
    assert e.children[0] == Ident("a")
    assert e.children[1] == And((Ident("b"), Ident("c")))


def test_not_chain_toggles() -> None:
    assert parse("not not a") == Ident("a")
    assert parse("not not not a") == Not(Ident("a"))
    assert parse("not(a)") == Not(Ident("a"))
    assert parse("not not(a)") == Ident("a")


def test_not_binds_tighter_than_and() -> None:
    assert parse("not a and b") == And((Not(Ident("a")), Ident("b")))


@pytest.mark.parametrize(
    ("text", "op", "right"),
    [
        ("proc.name=bash", "=", Value("bash")),
        ("proc.name == bash", "==", Value("bash")),
        ("proc.name != 'a b'", "!=", Value("a b", True)),
        ("fd.num>=0", ">=", Value("0")),
        ("fd.num < 0x10", "<", Value("0x10")),
        ("fd.name contains /etc", "contains", Value("/etc")),
        ("fd.name icontains ETC", "icontains", Value("ETC")),
        ("evt.buffer bcontains CAFEBABE", "bcontains", Value("CAFEBABE")),
        ("evt.buffer bstartswith 7f454c46", "bstartswith", Value("7f454c46")),
        ("fd.name startswith /etc/", "startswith", Value("/etc/")),
        ("fd.name endswith .conf", "endswith", Value(".conf")),
        ("fd.name glob '/home/*/.ssh/*'", "glob", Value("/home/*/.ssh/*", True)),
        ("fd.name iglob '*.PEM'", "iglob", Value("*.PEM", True)),
        ("proc.cmdline regex '^sh -c .*'", "regex", Value("^sh -c .*", True)),
        (
            "proc.name in (sh, 'ba sh', \"z\")",
            "in",
            ListValue((Value("sh"), Value("ba sh", True), Value("z", True))),
        ),
        ("proc.name in shell_binaries", "in", ListRef("shell_binaries")),
        ("proc.args intersects (-V, -l)", "intersects", ListValue((Value("-V"), Value("-l")))),
        ("fd.name pmatch (/var/run, /etc)", "pmatch", ListValue((Value("/var/run"), Value("/etc")))),
        ("proc.name in ()", "in", ListValue(())),
        ("proc.name in (runc:[0:PARENT], a)", "in", ListValue((Value("runc:[0:PARENT]"), Value("a")))),
    ],
)
def test_operators(text: str, op: str, right: object) -> None:
    e = parse(text)
    assert isinstance(e, BinaryCheck)
    assert e.op == op
    assert e.right == right


def test_exists_and_field_args() -> None:
    assert parse("proc.pname exists") == UnaryCheck(Field("proc.pname"), "exists")
    assert parse("proc.aname[2]=x") == BinaryCheck(Field("proc.aname", "2"), "=", Value("x"))
    e = parse("container.mount.dest[/var/run/docker.sock] = x")
    assert isinstance(e, BinaryCheck) and e.left == Field("container.mount.dest", "/var/run/docker.sock")
    e = parse("proc.env['HOME'] exists")
    assert isinstance(e, UnaryCheck) and e.left == Field("proc.env", "HOME")


def test_transformers_and_val() -> None:
    e = parse("tolower(proc.name) = bash")
    assert e == BinaryCheck(Transform("tolower", (Field("proc.name"),)), "=", Value("bash"))
    e = parse("len(toupper(proc.args)) > 3")
    assert isinstance(e, BinaryCheck) and isinstance(e.left, Transform) and e.left.name == "len"
    e = parse("proc.name = val(proc.pname)")
    assert isinstance(e, BinaryCheck) and e.right == Transform("val", (Field("proc.pname"),))
    e = parse("concat(proc.name, '-', proc.pname) = a-b")
    assert isinstance(e, BinaryCheck) and isinstance(e.left, Transform) and len(e.left.args) == 3
    e = parse("join(',', (proc.name, proc.pname)) = 'a,b'")
    assert isinstance(e, BinaryCheck) and isinstance(e.left, Transform)


def test_modifiers() -> None:
    e = parse("fd.name startswith anyof (/etc, /bin)")
    assert isinstance(e, BinaryCheck) and e.modifier == "anyof" and isinstance(e.right, ListValue)
    e = parse("proc.cmdline contains allof (a, b)")
    assert isinstance(e, BinaryCheck) and e.modifier == "allof"


def test_and_or_need_a_blank_or_paren() -> None:
    assert parse("a and(b)") == And((Ident("a"), Ident("b")))
    with pytest.raises(ConditionSyntaxError, match="expected blank or '\\(' after 'and'"):
        parse("a andb")


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("proc.name bash", "expected a valid check operator", 11),
        ("proc.name = bash and ", "expected a '(' token, a field check, or an identifier", 22),
        ("proc.name = bash and", "expected blank or '(' after 'and'", 21),
        ("(proc.name = bash", "expected a ')' token", 18),
        ("proc.name in (a, ", "expected a string value", 18),
        ("proc.name = x )", "unexpected token after 'x', expecting 'or', 'and'", 15),
        ("", "filter input string is empty", 1),
        ("fd.num >= abc", "expected a number value", 11),
        ("proc.aname[2 = x", "expected a ']' token", 13),
    ],
)
def test_errors_have_positions(text: str, message: str, column: int) -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        parse(text)
    assert message in info.value.message
    assert info.value.loc.column == column


def test_depth_limit() -> None:
    with pytest.raises(ConditionSyntaxError, match="max depth"):
        parse("(" * 200 + "a" + ")" * 200)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"a\\"b"', 'a"b'),
        ("'a\\'b'", "a'b"),
        ('"a\\\\b"', "a\\b"),
        ('"tab\\there"', "tab\there"),
        ('"x\\ y"', "x\\y"),  # libsinsp's compatibility quirk
        ('"a\\/b"', "a/b"),
    ],
)
def test_unescape(raw: str, expected: str) -> None:
    assert unescape(raw) == expected


def test_unescape_rejects_unknown_sequences() -> None:
    with pytest.raises(EscapeError):
        unescape('"\\q"')
    with pytest.raises(EscapeError):
        unescape("'\\\"'")

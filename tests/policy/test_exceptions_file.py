"""The exceptions file: valid files load; every malformed file is an error naming file:line and what
was expected (never "suppress nothing", never "suppress everything")."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from stockade.errors import ParseError, StockadeError
from stockade.policy.exceptions import DEFAULT_PATH, ExceptionsFileError, Scope, load_exceptions

VALID = """\
version: 1
exceptions:
  - id: STK-K8S-0007            # one check id
    scope:
      path: "deploy/legacy/**"
      kind: Deployment
      namespace: payments
      name: legacy-api
      labels: {team: payments}
    reason: "vendor image needs root until 2027 migration"
    owner: "payments-team@example.com"
    expires: 2027-03-31
  - id: [STK-PSS-0003, STK-DF-0001]
    scope: {path: "docker/*.Dockerfile"}
    reason: "  builder image, never deployed  "
    owner: platform
    expires: "2026-12-31"
"""

# a valid entry to splice bad fields into: (line 3 is "- id:")
ENTRY = """\
version: 1
exceptions:
  - id: STK-K8S-0007
    scope:
      kind: Deployment
    reason: vendor image
    owner: team@example.com
    expires: 2027-03-31
"""


def write(tmp_path: Path, text: str, name: str = "exceptions.yaml") -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_valid_file_loads_every_field(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    rules = load_exceptions(path)
    assert len(rules) == 2
    first, second = rules.entries
    assert first.ids == ("STK-K8S-0007",)
    assert first.scope == Scope(
        path="deploy/legacy/**",
        kind="Deployment",
        namespace="payments",
        name="legacy-api",
        labels=(("team", "payments"),),
    )
    assert first.reason == "vendor image needs root until 2027 migration"
    assert first.owner == "payments-team@example.com"
    assert first.expires == date(2027, 3, 31)
    assert first.where == f"{path}:3"
    assert second.ids == ("STK-PSS-0003", "STK-DF-0001")
    assert second.reason == "builder image, never deployed"
    assert second.expires == date(2026, 12, 31)  # a quoted date reads the same
    assert second.where == f"{path}:13"


def test_empty_list_is_valid_and_suppresses_nothing(tmp_path: Path) -> None:
    assert len(load_exceptions(write(tmp_path, "version: 1\nexceptions: []\n"))) == 0


def test_error_is_an_input_error_with_exit_code_2(tmp_path: Path) -> None:
    path = write(tmp_path, ENTRY.replace("    owner: team@example.com\n", ""))
    with pytest.raises(ExceptionsFileError) as info:
        load_exceptions(path)
    exc = info.value
    assert isinstance(exc, StockadeError) and isinstance(exc, ParseError)
    assert exc.exit_code == 2
    assert exc.message == (
        f"failed to parse exceptions file: {path}:3: exceptions[0]: missing required key 'owner'"
    )
    assert "docs/exceptions.md" in exc.diagnostics()


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ExceptionsFileError, match="No such file"):
        load_exceptions(str(tmp_path / "nope.yaml"))


# (case, text, expected line, a fragment of the message)
MALFORMED: list[tuple[str, str, int, str]] = [
    ("empty file", "", 1, "expected one YAML document"),
    ("comment only", "# nothing\n", 1, "expected one YAML document"),
    ("two documents", ENTRY + "---\nversion: 1\nexceptions: []\n", 10, "found 2 documents"),
    ("top level list", "- id: STK-K8S-0007\n", 1, "expected a mapping with 'version: 1'"),
    ("yaml syntax", "version: 1\nexceptions: [\n  {id: x\n", 4, ""),
    ("missing version", "exceptions: []\n", 1, "missing required key 'version'"),
    ("missing exceptions", "version: 1\n", 1, "missing required key 'exceptions'"),
    ("unknown top key", "version: 1\nexceptions: []\nignore: [x]\n", 3, "unknown key 'ignore'"),
    ("version 2", "version: 2\nexceptions: []\n", 1, "unsupported version 2"),
    ("version string", "version: '1'\nexceptions: []\n", 1, "expected the number 1, got a string"),
    (
        "exceptions null",
        "version: 1\nexceptions:\n",
        2,
        "expected a list of exceptions (use [] for none), got null",
    ),
    ("exceptions mapping", "version: 1\nexceptions: {a: 1}\n", 2, "got a mapping"),
    (
        "entry not mapping",
        "version: 1\nexceptions:\n  - STK-K8S-0007\n",
        3,
        "exceptions[0]: expected a mapping",
    ),
    ("unknown entry key", ENTRY + "    ticket: SEC-1\n", 9, "exceptions[0].ticket: unknown key 'ticket'"),
    ("misspelt key", ENTRY.replace("owner:", "owners:"), 7, "did you mean 'owner'?"),
    (
        "missing id",
        ENTRY.replace("  - id: STK-K8S-0007\n    scope:", "  - scope:"),
        3,
        "missing required key 'id'",
    ),
    (
        "missing scope",
        ENTRY.replace("    scope:\n      kind: Deployment\n", ""),
        3,
        "missing required key 'scope'",
    ),
    ("missing reason", ENTRY.replace("    reason: vendor image\n", ""), 3, "missing required key 'reason'"),
    ("missing owner", ENTRY.replace("    owner: team@example.com\n", ""), 3, "missing required key 'owner'"),
    ("missing expires", ENTRY.replace("    expires: 2027-03-31\n", ""), 3, "missing required key 'expires'"),
    (
        "empty reason",
        ENTRY.replace("reason: vendor image", 'reason: "  "'),
        6,
        "reason: expected a non-empty string",
    ),
    (
        "null reason",
        ENTRY.replace("reason: vendor image", "reason:"),
        6,
        "reason: expected a non-empty string, got null",
    ),
    (
        "owner number",
        ENTRY.replace("owner: team@example.com", "owner: 42"),
        7,
        "owner: expected a non-empty string, got a number",
    ),
    (
        "bad date text",
        ENTRY.replace("2027-03-31", "31/03/2027"),
        8,
        "expected a date (YYYY-MM-DD), got '31/03/2027'",
    ),
    ("quoted impossible date", ENTRY.replace("2027-03-31", '"2027-02-30"'), 8, "invalid date '2027-02-30'"),
    ("unquoted impossible date", ENTRY.replace("2027-03-31", "2027-02-30"), 8, "day is out of range"),
    ("date and time", ENTRY.replace("2027-03-31", "2027-03-31T10:00:00Z"), 8, "not a date and time"),
    ("date number", ENTRY.replace("2027-03-31", "20270331"), 8, "got a number"),
    ("short date", ENTRY.replace("2027-03-31", "2027-3-31"), 8, "got '2027-3-31'"),
    ("id wildcard", ENTRY.replace("id: STK-K8S-0007", "id: STK-K8S-*"), 3, "exact ids only: no wildcards"),
    (
        "id lower case",
        ENTRY.replace("id: STK-K8S-0007", "id: stk-k8s-0007"),
        3,
        r"matching ^STK-[A-Z0-9]+-\d{4}$",
    ),
    ("id three digits", ENTRY.replace("id: STK-K8S-0007", "id: STK-K8S-007"), 3, "got 'STK-K8S-007'"),
    ("id cve", ENTRY.replace("id: STK-K8S-0007", "id: CVE-2024-1234"), 3, "got 'CVE-2024-1234'"),
    (
        "id number",
        ENTRY.replace("id: STK-K8S-0007", "id: 7"),
        3,
        "expected a check id such as STK-K8S-0007, got a number",
    ),
    ("id empty list", ENTRY.replace("id: STK-K8S-0007", "id: []"), 3, "got an empty list"),
    (
        "id list bad item",
        ENTRY.replace("id: STK-K8S-0007", "id:\n      - STK-K8S-0001\n      - ALL"),
        5,
        "exceptions[0].id[1]",
    ),
    ("empty scope", ENTRY.replace("scope:\n      kind: Deployment", "scope: {}"), 4, "empty scope"),
    ("null scope", ENTRY.replace("scope:\n      kind: Deployment", "scope:"), 4, "got null"),
    ("scope string", ENTRY.replace("scope:\n      kind: Deployment", "scope: deploy/**"), 4, "got a string"),
    (
        "unknown scope key",
        ENTRY.replace("kind: Deployment", "kind: Deployment\n      image: x"),
        6,
        "scope.image: unknown key",
    ),
    ("misspelt scope key", ENTRY.replace("kind: Deployment", "namesapce: x"), 5, "did you mean 'namespace'?"),
    (
        "empty path",
        ENTRY.replace("kind: Deployment", 'path: ""'),
        5,
        "scope.path: expected a non-empty string, got an empty string",
    ),
    ("path everything", ENTRY.replace("kind: Deployment", 'path: "**"'), 5, "'**' matches every path"),
    ("path any file", ENTRY.replace("kind: Deployment", 'path: "**/*"'), 5, "matches every path"),
    ("name everything", ENTRY.replace("kind: Deployment", 'name: "*"'), 5, "'*' matches every name"),
    ("kind glob", ENTRY.replace("kind: Deployment", 'kind: "Deploy*"'), 5, "kind is matched exactly"),
    (
        "namespace glob",
        ENTRY.replace("kind: Deployment", 'namespace: "team-*"'),
        5,
        "namespace is matched exactly",
    ),
    ("kind list", ENTRY.replace("kind: Deployment", "kind: [Deployment, Pod]"), 5, "got a list"),
    (
        "labels list",
        ENTRY.replace("kind: Deployment", "labels: [team]"),
        5,
        "expected a mapping of label names",
    ),
    ("labels empty", ENTRY.replace("kind: Deployment", "labels: {}"), 5, "got an empty mapping"),
    (
        "label number",
        ENTRY.replace("kind: Deployment", "labels:\n        tier: 1"),
        6,
        "scope.labels.tier: label names and values are strings (quote them), got a number",
    ),
    (
        "label bool",
        ENTRY.replace("kind: Deployment", "labels:\n        team: x\n        canary: true"),
        7,
        "got a boolean",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_file_is_an_error_at_the_right_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ExceptionsFileError) as info:
        load_exceptions(path)
    exc = info.value
    assert exc.exit_code == 2
    assert any(p.line == line and fragment in p.message for p in exc.problems), exc.message
    assert f"{path}:{line}" in exc.message
    if len(exc.problems) == 1:
        assert exc.line == line
        assert exc.message.startswith(f"failed to parse exceptions file: {path}:{line}"), exc.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = """\
version: 1
exceptions:
  - id: STK-K8S-*
    scope: {}
    reason: ok
    owner: me
    expires: 2027-01-01
  - id: STK-K8S-0001
    scope: {kind: Pod}
    reason: ok
    expires: soon
"""
    path = write(tmp_path, text)
    with pytest.raises(ExceptionsFileError) as info:
        load_exceptions(path)
    exc = info.value
    assert [p.line for p in exc.problems] == [3, 4, 8, 11]
    assert exc.message.splitlines()[0] == f"failed to parse exceptions file: {path}: 4 problems:"
    assert exc.message.splitlines()[3] == f"  {path}:8: exceptions[1]: missing required key 'owner'"


def test_a_file_with_one_bad_entry_suppresses_nothing_and_nothing_is_half_loaded(tmp_path: Path) -> None:
    # the good entry must not load alone: the whole file is refused
    text = VALID + "  - id: STK-K8S-0001\n    scope: {kind: Pod}\n    reason: r\n    owner: o\n"
    with pytest.raises(ExceptionsFileError, match=":18: exceptions\\[2\\]: missing required key 'expires'"):
        load_exceptions(write(tmp_path, text))


def test_known_ids_catch_typos(tmp_path: Path) -> None:
    path = write(tmp_path, ENTRY.replace("STK-K8S-0007", "STK-K8S-0070"))
    with pytest.raises(
        ExceptionsFileError, match=r":3: exceptions\[0\]\.id: no check has the id STK-K8S-0070"
    ):
        load_exceptions(path, known_ids={"STK-K8S-0007", "STK-K8S-0001"})
    load_exceptions(write(tmp_path, ENTRY, "ok.yaml"), known_ids={"STK-K8S-0007"})


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    path = write(tmp_path, "\n".join(lines) + "\nversion: 1\nexceptions: []\n")
    with pytest.raises(ExceptionsFileError, match="alias bomb"):
        load_exceptions(path)


def test_root_defaults_to_the_directory_holding_dot_stockade(tmp_path: Path) -> None:
    path = write(tmp_path, ENTRY, DEFAULT_PATH)
    assert load_exceptions(path).root == str(tmp_path)
    assert load_exceptions(write(tmp_path, ENTRY, "ci/exceptions.yaml")).root is None
    assert load_exceptions(path, root=str(tmp_path / "sub")).root == str(tmp_path / "sub")

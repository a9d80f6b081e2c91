"""The rule set: size, stable ids, every expression compiles, keywords in lower case; documented example
keys, placeholders and inline allow markers are not reported; checksums and structural validators."""

from __future__ import annotations

import re

import pytest

from stockade.secrets.allow import DOCUMENTED_EXAMPLES
from stockade.secrets.engine import Ruleset, default_ruleset
from stockade.secrets.mask import excerpt, fingerprint, mask
from stockade.secrets.names import redact_assignments
from stockade.secrets.rules import BUILTIN, STRUCTURAL
from stockade.secrets.validate import crc32_base62


def names(text: str) -> list[str]:
    return [h.rule.name for h in default_ruleset().scan(text)]


def test_rule_set_shape() -> None:
    specific = [r for r in BUILTIN if r.family != "generic" and not r.generic]
    assert len(specific) >= 100
    ids = [r.id for r in (*BUILTIN, *STRUCTURAL)]
    assert len(ids) == len(set(ids))
    assert len({r.name for r in BUILTIN}) == len(BUILTIN)
    for rule in BUILTIN:
        assert re.fullmatch(r"STK-SEC-\d{4}", rule.id)
        assert re.compile(rule.regex).groups >= rule.group, rule.name
        assert all(k == k.lower() for k in rule.keywords), rule.name
        assert rule.remediation and rule.title


@pytest.mark.parametrize("example", sorted(DOCUMENTED_EXAMPLES))
def test_documented_examples_not_reported(example: str) -> None:
    assert names(f"key = {example}\n") == []


@pytest.mark.parametrize(
    "line",
    [
        "GITLAB_TOKEN=glpat-Kq3vN8sLm2Xp7Rt5Yw1H  # stockade:allow",
        "GITLAB_TOKEN=glpat-Kq3vN8sLm2Xp7Rt5Yw1H  # gitleaks:allow",
        "GITLAB_TOKEN=glpat-Kq3vN8sLm2Xp7Rt5Yw1H  # pragma: allowlist secret",
    ],
)
def test_inline_allow(line: str) -> None:
    assert names(line) == []


def test_github_checksum_recorded() -> None:
    body = "a" * 10 + "B" * 10 + "0123456789"
    good = f"ghp_{body}{crc32_base62(body)}"
    bad = f"ghp_{body}{'zzzzzz' if crc32_base62(body) != 'zzzzzz' else 'yyyyyy'}"
    hits = default_ruleset().scan(f"t1={good}\nt2={bad}\n")
    assert [(h.rule.name, h.extra.get("checksum")) for h in hits] == [
        ("github-pat", "valid"),
        ("github-pat", "invalid"),
    ]


def test_private_key_needs_a_body() -> None:
    assert names("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n") == []
    assert names("-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 200 + "\n-----END RSA PRIVATE KEY-----") == []


def test_provider_rule_wins_over_generic() -> None:
    assert names("API_TOKEN=glpat-Kq3vN8sLm2Xp7Rt5Yw1H\n") == ["gitlab-pat"]


def test_masking() -> None:
    secret = "glpat-Kq3vN8sLm2Xp7Rt5Yw1H"
    assert mask(secret) == "glpa…[26 chars]"
    assert mask("hunter22") == "h…[8 chars]"
    assert fingerprint(secret) == fingerprint(secret) and fingerprint(secret).startswith("sha256:")
    line = f"A={secret} B=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
    shown = excerpt(line, 3, secret)
    assert secret[6:] not in shown and "aBcDeFgHiJkLmNoPqRsTuVwXyZ" not in shown


def test_redact_assignments_masks_known_tokens_too() -> None:
    token = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
    text = f"|2 PASSWORD=hunter22 HOST=db /bin/sh -c curl -H 'Authorization: token {token}'"
    out = redact_assignments(text)
    assert "PASSWORD=<redacted>" in out and "HOST=db" in out and "aBcDeFgHiJkLmNoPqRsTuVwXyZ" not in out


def test_ruleset_without_accelerator(monkeypatch: pytest.MonkeyPatch) -> None:
    import stockade.secrets.engine as engine

    monkeypatch.setattr(engine, "ahocorasick", None)
    plain = Ruleset(BUILTIN)
    text = "x = 1\nDB_PASSWORD=Vx7-kq2.Lm9*Rt\nGITLAB=glpat-Kq3vN8sLm2Xp7Rt5Yw1H\n"
    assert [h.rule.name for h in plain.scan(text)] == [h.rule.name for h in default_ruleset().scan(text)]

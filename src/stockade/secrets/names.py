"""Which variable names hold a secret, and whether a value is a literal: the rules shared by the secret
scanner (``secret-env-assignment``), the Dockerfile check STK-DF-0014, the image-config check
STK-IMG-0002 and the redaction of image history.

A name is secret-looking when it contains PASSWORD, SECRET, APIKEY, ACCESSKEY, PRIVATEKEY, CREDENTIAL
... or has a TOKEN/PASS/PWD/PW word; names that hold a location or a setting rather than the secret
(``*_FILE``, ``*_PATH``, ``*_URL``, ``*_LENGTH`` ...) are not.  A value that only refers to another
variable (``$TOKEN``, ``${TOKEN}``) is not a literal; neither is an empty one or a boolean word.
"""

from __future__ import annotations

import re

_SECRET_PARTS = ("PASSWORD", "PASSWD", "SECRET", "APIKEY", "PRIVATEKEY", "ACCESSKEY", "CREDENTIAL", "AUTHKEY")
_SECRET_TOKENS = frozenset({"TOKEN", "PASS", "PWD", "PW", "APIKEY", "SECRET"})
NOT_SECRET_SUFFIX = frozenset(
    [
        "FILE",
        "PATH",
        "DIR",
        "URL",
        "URI",
        "ENDPOINT",
        "HOST",
        "PORT",
        "LENGTH",
        "LEN",
        "TTL",
        "EXPIRY",
        "EXPIRES",
        "TIMEOUT",
        "HEADER",
        "TYPE",
        "ID",
        "NAME",
        "USER",
        "USERNAME",
        "ENABLED",
        "REQUIRED",
        "POLICY",
        "MIN",
        "MAX",
        "SIZE",
        "FORMAT",
        "VERSION",
        "MODE",
        "LOCATION",
    ]
)
_REFERENCE = re.compile(r"^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$")
_HARMLESS = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1", "none", "null"})


def name_tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[_\-.]", name.upper()) if t]


def secret_name(name: str) -> bool:
    upper = name.upper()
    tokens = name_tokens(name)
    if not tokens or tokens[-1] in NOT_SECRET_SUFFIX:
        return False
    if upper == "PWD" or upper == "OLDPWD":
        return False
    squashed = upper.replace("_", "").replace("-", "").replace(".", "")
    if any(part in squashed for part in _SECRET_PARTS):
        return True
    return any(t in _SECRET_TOKENS or t.endswith("TOKEN") for t in tokens)


def literal(value: str) -> bool:
    value = value.strip()
    return bool(value) and not _REFERENCE.match(value) and value.lower() not in _HARMLESS


_ASSIGNMENT = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)=(?P<value>\"[^\"]*\"|'[^']*'|\S+)")


def redact_assignments(text: str) -> str:
    """``text`` (a build command, an image history line) with the value of every secret-looking
    ``NAME=value`` replaced by ``<redacted>``, and every credential a built-in rule recognises masked."""

    def repl(m: re.Match[str]) -> str:
        name, value = m.group("name"), m.group("value").strip("\"'")
        return f"{name}=<redacted>" if secret_name(name) and literal(value) else m.group(0)

    from stockade.secrets.mask import redact_known

    return redact_known(_ASSIGNMENT.sub(repl, text))

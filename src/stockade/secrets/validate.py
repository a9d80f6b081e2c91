"""Structural checks of a candidate secret, named by rules (``validator``): checksums that a token
format defines and payloads that must decode to the right thing.  A check returns ``None`` to reject
the candidate, else facts to record on the finding (``{"checksum": "valid"}``).

Checksums (GitHub's 2021 token format: the last six characters are the CRC32 of the random part in
base62; npm's granular tokens follow it) are recorded, not enforced: a token whose checksum does not
verify is still reported, with ``checksum: invalid`` (a typo'd or truncated token is still a leak).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Callable

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
Facts = dict[str, object]
Match = re.Match[str]


def base62(n: int, width: int = 6) -> str:
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = BASE62[r] + out
    return out.rjust(width, "0")


def crc32_base62(body: str) -> str:
    return base62(zlib.crc32(body.encode("ascii", "replace")))


def _checksum(secret: str, m: Match) -> Facts | None:
    """``<prefix>_<30 random><6 checksum>`` (GitHub ghp_/gho_/ghu_/ghs_/ghr_, npm_)."""
    _, _, rest = secret.partition("_")
    if len(rest) != 36:
        return {}
    return {"checksum": "valid" if crc32_base62(rest[:30]) == rest[30:] else "invalid"}


def b64decode(text: str) -> bytes | None:
    cleaned = re.sub(r"\s+|\\[nr]", "", text)
    cleaned = cleaned.replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        return None


_ARMOR = re.compile(r"-{4,5} ?(?:BEGIN|END) [A-Z0-9 ]+ ?-{4,5}")
_PEM_HEADERS = re.compile(r"(?:Proc-Type|DEK-Info|Comment|Version)\s*:[^\n\\]*")


def _private_key(secret: str, m: Match) -> Facts | None:
    """PEM/OpenSSH body: base64 of at least 48 bytes; unencrypted DER starts with a SEQUENCE, OpenSSH
    keys with their magic."""
    encrypted = "Proc-Type" in secret or "ENCRYPTED" in secret
    body = _PEM_HEADERS.sub("", _ARMOR.sub("", secret))
    data = b64decode(body)
    if data is None or len(data) < 48:
        return None
    if data.startswith(b"openssh-key-v1\0"):
        return {"format": "openssh", "encrypted": b"none" not in data[15:60]}
    if not encrypted and data[0] != 0x30:
        return None
    return {"encrypted": encrypted}


def _b64json(part: str) -> object:
    data = b64decode(part)
    if data is None:
        return None
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return None


def _jwt(secret: str, m: Match) -> Facts | None:
    parts = secret.split(".")
    if len(parts) < 3:
        return None
    header, payload = _b64json(parts[0]), _b64json(parts[1])
    if not isinstance(header, dict) or not isinstance(payload, dict) or "alg" not in header:
        return None
    facts: Facts = {"alg": str(header.get("alg"))}
    if isinstance(payload.get("iss"), str):
        facts["issuer"] = payload["iss"]
    if isinstance(payload.get("exp"), int):
        facts["expires"] = payload["exp"]
    return facts


def _user_password(secret: str, m: Match) -> Facts | None:
    """base64 of ``user:password`` (HTTP Basic, docker config ``auth``)."""
    data = b64decode(secret)
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    user, sep, password = text.partition(":")
    if not sep or not password or not text.isprintable():
        return None
    from stockade.secrets.allow import is_placeholder

    return None if is_placeholder(password) else {"user": user}


def _pem_in_base64(secret: str, m: Match) -> Facts | None:
    """base64 of a PEM private key (kubeconfig ``client-key-data``)."""
    data = b64decode(secret)
    return {} if data is not None and b"PRIVATE KEY-----" in data[:64] else None


def _has_digit_and_letter(secret: str, m: Match) -> Facts | None:
    return {} if re.search(r"\d", secret) and re.search(r"[A-Za-z]", secret) else None


def _armored(secret: str, m: Match) -> Facts | None:
    """PGP armour: the base64 lines (headers and the ``=`` CRC line aside) decode to 48 bytes or more."""
    lines = [ln for ln in re.split(r"\\[rn]|\n", secret) if ln and ":" not in ln and "-----" not in ln]
    data = b64decode("".join(ln for ln in lines if not ln.startswith("=")))
    return {} if data is not None and len(data) >= 48 else None


_CODE_VALUE = re.compile(
    r"^(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[a-z]+(?:[_-][a-z]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$"
)
_WORDS = re.compile(r"^[a-z_]+(?:[._-][a-z_]+)+$|^[A-Z_]+(?:[._-][A-Z_]+)+$")
_CALL = re.compile(r"^[\w.]+\(|^\w+\[|\)$")
#: configuration keywords a password- or secret-named setting takes as its value: settings about a
#: password, not the password (perl's Config.pm ``d_grpasswd='define'``, ``i_pwd='define'``; PAM and
#: pg_hba methods; feature switches)
_CONFIG_WORDS = frozenset(
    [
        "define",
        "undef",
        "defined",
        "enabled",
        "disabled",
        "enable",
        "disable",
        "required",
        "optional",
        "prompt",
        "ask",
        "random",
        "generate",
        "generated",
        "auto",
        "automatic",
        "default",
        "unset",
        "empty",
        "inherit",
        "ignore",
        "deny",
        "allow",
        "md5",
        "sha1",
        "sha256",
        "sha512",
        "bcrypt",
        "scrypt",
        "argon2",
        "pbkdf2",
        "plain",
        "plaintext",
        "crypt",
        "trust",
        "peer",
        "ident",
        "reject",
        "hash",
        "hashed",
        "masked",
        "hidden",
        "scram-sha-256",
    ]
)


_TYPE_WORDS = frozenset(
    [
        "str",
        "string",
        "bytes",
        "int",
        "bool",
        "none",
        "null",
        "true",
        "false",
        "optional",
        "any",
        "secretstr",
        "secretbytes",
        "self",
        "cls",
        "this",
        "object",
        "dict",
        "list",
        "text",
        "varchar",
        "char",
        "password_hash",
        "undefined",
        "required",
    ]
)
_FIELD_SUFFIX = frozenset(
    [
        "HASH",
        "HASHED",
        "REGEX",
        "PATTERN",
        "PROMPT",
        "LABEL",
        "FIELD",
        "INPUT",
        "PLACEHOLDER",
        "HINT",
        "MESSAGE",
        "MSG",
        "ERROR",
        "POLICY",
        "RESET",
        "CONFIRM",
        "CONFIRMATION",
        "CHANGE",
        "EXPIRED",
        "VALIDATOR",
        "RULES",
        "STRENGTH",
        "RESET",
        "COMPLEXITY",
        "CHARS",
        "ATTEMPTS",
    ]
)


def _name_before(m: Match, group: int = 0) -> str:
    """The whole variable name the match sits in (the expression starts at the keyword)."""
    text, start = m.string, m.start(group)
    i = start
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_.-"):
        i -= 1
    j = start
    while j < len(text) and (text[j].isalnum() or text[j] in "_.-"):
        j += 1
    return text[i:j]


def _secret_name(secret: str, m: Match) -> Facts | None:
    from stockade.secrets.allow import is_placeholder
    from stockade.secrets.names import literal, secret_name

    name = m.group(1)
    if not secret_name(name) or not strict_secret_name(name) or not literal(secret) or is_placeholder(secret):
        return None
    if secret.lower() in _CONFIG_WORDS:
        return None
    low, lname = secret.lower(), name.lower()
    if low in lname or lname in low or secret.startswith(("{", "%", "<", "[")):
        return None  # ``token=token``, ``password={password}``
    if secret.startswith(("/", "./", "~/", "http://", "https://", "file:")) or _CODE_VALUE.match(secret):
        return None
    if not m.group(2) and (
        _CALL.search(secret) or secret.lower() in _TYPE_WORDS or re.search(r"[()\[\]{}]", secret)
    ):
        return None  # code: ``token = get_token()``, ``password = None``
    if (
        not m.group(2)
        and (" " in m.group(0) or "\t" in m.group(0))
        and not m.group(0).startswith(("ENV", "ARG"))
    ):
        return None  # ``token = value`` unquoted, with spaces: code, not a .env line
    if secret.isdigit() and len(secret) < 6:
        return None
    return {"variable": name}


def _value_is_code(secret: str, quoted: bool) -> bool:
    from stockade.secrets.allow import is_placeholder

    low = secret.lower()
    if is_placeholder(secret) or low in _TYPE_WORDS:
        return True
    if _CODE_VALUE.match(secret) and (not quoted or _WORDS.match(secret)):
        return True  # ``self.password``; quoted: only words (``"config.db_password"``, ``"login_form"``)
    if "password" in low or "passwd" in low or low.startswith(("http://", "https://", "/", "./", "$")):
        return True
    if not quoted and re.fullmatch(r"[A-Za-z_]+", secret):
        return True  # an identifier: ``password=password``, ``pwd: str``
    return re.fullmatch(r"v?\d+(?:\.\d+)+[\w.-]*", secret) is not None  # a version


def _password_value(secret: str, m: Match) -> Facts | None:
    from stockade.secrets.names import name_tokens

    name = _name_before(m)
    tokens = name_tokens(name)
    if tokens and (
        tokens[-1] in _FIELD_SUFFIX
        or tokens[-1]
        in (
            "FILE",
            "PATH",
            "DIR",
            "URL",
            "LENGTH",
            "LEN",
            "MIN",
            "MAX",
            "SIZE",
            "TTL",
            "TIMEOUT",
            "TYPE",
            "ENABLED",
            "REQUIRED",
            "MODE",
            "ENV",
            "VAR",
            "KEY",
            "NAME",
            "ID",
            "COLUMN",
            "ATTR",
        )
    ):
        return None
    if _value_is_code(secret, bool(m.group(1))) or secret.lower() in _CONFIG_WORDS:
        return None
    return {"variable": name}


def _generic_value(secret: str, m: Match) -> Facts | None:
    if m.string[m.end() : m.end() + 1] == "(":
        return None  # a call: ``credentials = b64encode(credentials)``
    if not (re.search(r"\d", secret) and re.search(r"[A-Za-z]", secret)):
        return None
    if _value_is_code(secret, True) or (secret.count(".") >= 2 and "/" not in secret and "=" not in secret):
        return None
    if re.fullmatch(r"[0-9.]+|v?\d+(?:\.\d+)+[\w.-]*", secret):
        return None  # versions, numbers
    return {"variable": _name_before(m)}


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{1,20})$")
_DOC_HOSTS = re.compile(r"(?i)@(?:[\w-]+\.)*example\.(?:com|org|net)\b|@(?:host|hostname|server|domain)\b")


def _url_scheme(secret: str, m: Match) -> Facts | None:
    from stockade.secrets.allow import is_placeholder

    scheme = _SCHEME.search(m.string, max(0, m.start() - 21), m.start())
    if scheme is None or is_placeholder(secret) or _DOC_HOSTS.search(m.group(0)):
        return None
    return {"scheme": scheme.group(1).lower()}


_ODBC_CONTEXT = re.compile(r"(?i)(?:^|;|[\"'\s])\s*(?:server|data source|host|hostname|dsn|address|addr)\s*=")


def _odbc(secret: str, m: Match) -> Facts | None:
    """``Password=...;`` counts only in a connection string: the same line names a server."""
    from stockade.secrets.allow import is_placeholder

    text = m.string
    bol = text.rfind("\n", 0, m.start()) + 1
    eol = text.find("\n", m.end())
    line = text[bol : eol if eol >= 0 else len(text)]
    if not _ODBC_CONTEXT.search(line) or ";" not in line or is_placeholder(secret.strip()):
        return None
    return {}


def _npmrc(secret: str, m: Match) -> Facts | None:
    """``.npmrc`` keys stand at the start of a line or after the registry's ``:`` (``//host/:_authToken``)."""
    from stockade.secrets.allow import is_placeholder

    before = m.string[m.start() - 1] if m.start() else "\n"
    return {} if before in ":\n" and not is_placeholder(secret) else None


_SECRET_LAST = frozenset(
    [
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "PW",
        "SECRET",
        "TOKEN",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "PASSPHRASE",
    ]
)
_KEY_KINDS = frozenset(
    [
        "API",
        "SECRET",
        "ACCESS",
        "PRIVATE",
        "AUTH",
        "ENCRYPTION",
        "SIGNING",
        "MASTER",
        "CLIENT",
        "APP",
        "LICENSE",
    ]
)


def strict_secret_name(name: str) -> bool:
    """A name whose last word says it holds the secret (``DB_PASSWORD``, ``GITHUB_TOKEN``, ``SECRET_KEY``,
    ``db.password``), not a name that merely mentions one (``token_string``, ``token.markup``)."""
    from stockade.secrets.names import name_tokens

    tokens = name_tokens(name)
    if not tokens:
        return False
    last = tokens[-1]
    if last in _SECRET_LAST or last.endswith(
        ("TOKEN", "PASSWORD", "SECRET", "APIKEY", "ACCESSKEY", "PRIVATEKEY")
    ):
        return True
    return last == "KEY" and len(tokens) > 1 and tokens[-2] in _KEY_KINDS


VALIDATORS: dict[str, Callable[[str, Match], Facts | None]] = {
    "checksum-crc32-base62": _checksum,
    "private-key": _private_key,
    "jwt": _jwt,
    "base64-user-password": _user_password,
    "base64-pem": _pem_in_base64,
    "digit-and-letter": _has_digit_and_letter,
    "armored": _armored,
    "secret-name": _secret_name,
    "password-value": _password_value,
    "generic-value": _generic_value,
    "url-scheme": _url_scheme,
    "odbc": _odbc,
    "npmrc": _npmrc,
}

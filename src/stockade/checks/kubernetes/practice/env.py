"""Literal secrets in container environment variables (STK-K8S-0027).

A variable is secret-looking when its name, split into words (``_``, ``-``, ``.`` and camelCase
boundaries), has a word ending in PASSWORD, PASSWD, SECRET, TOKEN, CREDENTIAL(S), APIKEY … (so
``PGPASSWORD`` and ``AUTHTOKEN`` count, ``TOKENIZER`` does not), the word PASS, PWD or CREDS, or ends in
KEY (API_KEY, ACCESS_KEY, ENCRYPTION_KEY, but not PUBLIC_KEY or PARTITION_KEY).  Names whose last word
says the value is *about* the secret rather than the secret (``…_FILE``, ``…_PATH``, ``…_URL``,
``…_ID``, ``…_TTL``, ``…_LENGTH`` …) are not secret-looking.  Only a literal ``value`` counts (not
``valueFrom``); empty values, ``$(VAR)`` references, absolute file paths and booleans are not secrets.
The value never appears in the finding: evidence carries its length only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.practice._common import K8S, ContainerCheck, cis, items, label, nsa
from stockade.model.severity import Severity

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
#: a word ending in one of these is secret-looking (``PASSWORD``, ``PGPASSWORD``, ``AUTHTOKEN`` ...)
SECRET_ENDINGS: tuple[str, ...] = (
    "PASSWORD",
    "PASSWORDS",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "CREDENTIAL",
    "CREDENTIALS",
    "APIKEY",
    "PRIVATEKEY",
    "SECRETKEY",
    "ACCESSKEY",
)
#: short words that are secret-looking only on their own (``DB_PASS``, not ``BYPASS``)
SECRET_WORDS: frozenset[str] = frozenset({"PASS", "PWD", "CREDS"})
#: words before KEY that make it not a secret (a column, a routing or a public key)
_NOT_SECRET_KEYS: frozenset[str] = frozenset(
    {
        "PUBLIC",
        "PARTITION",
        "SORT",
        "PRIMARY",
        "FOREIGN",
        "CACHE",
        "ROUTING",
        "SHARD",
        "HASH",
        "RANGE",
        "LOOKUP",
    }
)
#: last words that describe the secret instead of holding it
_META_SUFFIXES: frozenset[str] = frozenset(
    {
        "FILE",
        "FILES",
        "PATH",
        "DIR",
        "NAME",
        "NAMES",
        "URL",
        "URI",
        "ENDPOINT",
        "HOST",
        "PORT",
        "ID",
        "TTL",
        "TIMEOUT",
        "EXPIRY",
        "EXPIRES",
        "EXPIRATION",
        "LIFETIME",
        "LENGTH",
        "SIZE",
        "ENABLED",
        "ENABLE",
        "DISABLED",
        "REQUIRED",
        "TYPE",
        "HEADER",
        "FIELD",
        "REF",
        "MOUNT",
        "LOCATION",
        "ALGORITHM",
        "FORMAT",
        "POLICY",
        "ROTATION",
        "ISSUER",
        "AUDIENCE",
        "SCOPE",
        "SCOPES",
        "COUNT",
        "MIN",
        "MAX",
        "INTERVAL",
        "PERIOD",
        "VERSION",
        "MODE",
        "PROVIDER",
        "STORE",
        "PREFIX",
    }
)
_NOT_VALUES: frozenset[str] = frozenset(
    {"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null"}
)
#: variables that look secret but are something else
_NOT_NAMES: frozenset[str] = frozenset({"PWD", "OLDPWD"})


def words(name: str) -> list[str]:
    """``"dbPassword_FILE"`` → ``["DB", "PASSWORD", "FILE"]``."""
    return [w.upper() for w in _WORDS.findall(name)]


def is_secret_name(name: str) -> bool:
    if name.upper() in _NOT_NAMES:
        return False
    parts = words(name)
    if not parts or parts[-1] in _META_SUFFIXES:
        return False
    if parts[-1] == "KEY" and (len(parts) == 1 or parts[-2] not in _NOT_SECRET_KEYS):
        return True
    return any(p in SECRET_WORDS or p.endswith(SECRET_ENDINGS) for p in parts)


def is_secret_value(value: str) -> bool:
    text = value.strip()
    if not text or text.lower() in _NOT_VALUES:
        return False
    if text.startswith("$(") and text.endswith(")") and text.count("$(") == 1:
        return False  # a reference to another variable
    return not (text.startswith("/") and " " not in text)  # a file path


class LiteralSecretInEnv(ContainerCheck):
    NAME = "kubernetes/practice/literal-secret-env"
    ID = "STK-K8S-0027"
    SEVERITY = Severity.HIGH
    TITLE = "Secret-looking environment variable has a literal value"
    RATIONALE = (
        "A password, token or key written into the manifest is readable by everyone who can read the "
        "repository, the rendered chart, the object in the API (get deployments) and the pod's "
        "environment (kubectl describe, /proc/<pid>/environ); it cannot be rotated without a redeploy."
    )
    REMEDIATION = (
        "Move the value into a Secret (or an external secret store) and reference it with "
        "valueFrom.secretKeyRef, or better mount it as a file; then rotate the exposed credential."
    )
    REFERENCES = (
        f"{K8S}/concepts/configuration/secret/",
        f"{K8S}/tasks/inject-data-application/distribute-credentials-secure/",
        cis("5.4.1", "Prefer using Secrets as files over Secrets as environment variables"),
        cis("5.4.2", "Consider external secret storage"),
        nsa("Network separation and hardening: Secrets"),
    )

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        for i, var in enumerate(items(container, "env")):
            if not isinstance(var, dict) or isinstance(var.get("valueFrom"), dict):
                continue
            name = var.get("name")
            value = var.get("value")
            if not isinstance(name, str) or not isinstance(value, str):
                continue
            if is_secret_name(name) and is_secret_value(value):
                yield Violation(
                    f"{label(path, container)} sets {name} to a literal value",
                    path=(*path, "env", i, "value"),
                    evidence=f"env {name}=<redacted, {len(value)} characters>",
                )


CHECKS = (LiteralSecretInEnv,)

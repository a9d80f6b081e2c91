"""Generic detectors: credentials recognised by the name they are assigned to, for formats no
provider defines.  These are the rules where false positives live, so each has several filters:

- ``secret-env-assignment``: ``NAME=value`` where NAME is secret-looking (the rule of the Dockerfile and
  image-config checks, :mod:`stockade.secrets.names`) and the value is a literal, not a placeholder, not
  a reference.  For ``.env`` files, image ``Env``, build ``ARG``/``ENV`` steps, Kubernetes ``env``.
- ``password-assignment``: a password-named variable or key given a literal in code or configuration
  (``password = "..."``, ``"password": "..."``, ``password: ...``); values that are code (calls,
  attribute paths, type names) or name the field itself (``"password_input"``) are not reported.
- ``generic-secret-assignment``: a key/token/secret-named variable given a random-looking value of 16
  or more characters: Shannon entropy of at least 3.5 bits per character, letters and digits.

All three give way to a provider-specific rule that matches the same text.
"""

# ruff: noqa: E501  (rule tables: one rule a row, expressions unbroken)

from __future__ import annotations

from stockade.secrets.rules._build import H, M, table

_NAME_KEYWORDS = (
    "password passwd secret apikey api_key api-key privatekey private_key accesskey access_key credential "
    "authkey auth_key token pass pwd _pw"
)

RULES = table(
    "generic",
    [
        (320, "secret-env-assignment", "Secret in a NAME=value assignment",
         r"(?<![\w.-])(?:export\s+|ENV\s+|ARG\s+)?([A-Za-z_][A-Za-z0-9_.-]*)=([\"']?)"
         r"([^\s\"'`;&|#]{4,256})\2(?=[\s;&|#\"']|$)",
         _NAME_KEYWORDS, H,
         {"group": 3, "generic": True, "validator": "secret-name", "min_length": 6, "anchored": True}),
        (321, "password-assignment", "Hard-coded password",
         r"(?i:[\w.-]{0,40}?(?:password|passwd|passphrase|pwd)[\w.-]{0,20}?)[\"']?\s{0,3}(?:=|:=|:|=>|\?=)\s{0,3}"
         r"([\"'`]?)([^\s\"'`\\,;()\[\]{}<>]{4,128})\1(?=[\s,;)}\]]|$)",
         "password passwd passphrase pwd", H,
         {"group": 2, "generic": True, "validator": "password-value", "min_length": 6, "entropy": 2.0,
          "anchored": True}),
        (322, "generic-secret-assignment", "Generic secret (high-entropy value of a key/token/secret variable)",
         r"(?i:[\w.-]{0,40}?(?:api[_-]?key|apikey|access[_-]?key|secret[_-]?key|client[_-]?secret|auth[_-]?token|"
         r"access[_-]?token|api[_-]?token|private[_-]?token|auth[_-]?key|secret|token|credentials?)"
         r"[\w.-]{0,20}?)[\"']?\s{0,3}(?:=|:=|:|=>|\?=)\s{0,3}[\"'`]?([A-Za-z0-9_+/.=~-]{16,128})(?![\w+/.=~-])",
         "key token secret credential auth", M,
         {"generic": True, "entropy": 3.5, "validator": "generic-value", "min_length": 16, "anchored": True}),
    ],
)  # fmt: skip

#: rules applied by the structured scanners (no expression of their own)
STRUCTURAL = table(
    "generic",
    [
        (330, "kubernetes-secret-data", "Kubernetes Secret with literal data in a manifest", "", (), H,
         {"remediation": (
             "Do not keep Secret data in manifests: base64 is an encoding, not encryption. Use "
             "sealed-secrets, SOPS, External Secrets or a secret store, and rotate the values that were "
             "committed.")}),
    ],
)  # fmt: skip

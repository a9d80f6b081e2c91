"""Private keys of every kind in text form: PEM (RFC 7468: PKCS#1 ``RSA PRIVATE KEY``, ``DSA``, SEC 1
``EC PRIVATE KEY``, PKCS#8 ``PRIVATE KEY`` and ``ENCRYPTED PRIVATE KEY``, RFC 1421 ``Proc-Type``
headers), OpenSSH's own format (``openssh-key-v1``), PGP armoured secret keys (RFC 4880), PuTTY
``.ppk`` files, SSH.com/RFC 4716-style ``SSH2 ENCRYPTED PRIVATE KEY`` and age secret keys.

A PEM block is also found when it is embedded in JSON or YAML with ``\\n`` escapes (Google service
account files, Kubernetes and Helm values).  The body must decode (base64) to at least 48 bytes and, for
unencrypted DER, start with a SEQUENCE, so documentation that shows ``-----BEGIN RSA PRIVATE KEY-----
...`` is not reported.  The fingerprint is computed over the body with line breaks removed, so the
same key in PEM and in escaped JSON has the same fingerprint.
"""

# ruff: noqa: E501  (rule tables: one rule a row, expressions unbroken)

from __future__ import annotations

from stockade.secrets.rules._build import C, M, table

_BODY = r"(?:(?:Proc-Type|DEK-Info|Comment):[^\n\\]*(?:\\[rn]|\s)+)*(?:[A-Za-z0-9+/=]|\\[rn]|\s){64,}?"


def pem(label: str) -> str:
    return (
        r"(-----BEGIN "
        + label
        + r"-----(?:\\[rn]|\s)*"
        + _BODY
        + r"(?:-----END "
        + label
        + r"-----|(?=[^A-Za-z0-9+/=\s\\])|\Z))"
    )


_PK = {"validator": "private-key", "min_length": 64}

RULES = table(
    "private-key",
    [
        (270, "rsa-private-key", "RSA private key", pem("RSA PRIVATE KEY"), "begin rsa private key", C, _PK),
        (271, "dsa-private-key", "DSA private key", pem("DSA PRIVATE KEY"), "begin dsa private key", C, _PK),
        (272, "ec-private-key", "EC private key", pem("EC PRIVATE KEY"), "begin ec private key", C, _PK),
        (273, "openssh-private-key", "OpenSSH private key", pem("OPENSSH PRIVATE KEY"), "begin openssh private key",
         C, _PK),
        (274, "pkcs8-private-key", "PKCS#8 private key", pem("PRIVATE KEY"), "begin private key", C, _PK),
        (275, "encrypted-private-key", "Encrypted PKCS#8 private key", pem("ENCRYPTED PRIVATE KEY"),
         "begin encrypted private key", M, _PK),
        (276, "pgp-private-key-block", "PGP private key block",
         r"(-----BEGIN PGP PRIVATE KEY BLOCK-----(?:\\[rn]|\s)*(?:[\w-]+:[^\n\\]*(?:\\[rn]|\s)+)*"
         r"(?:[A-Za-z0-9+/=]|\\[rn]|\s){64,}?(?:-----END PGP PRIVATE KEY BLOCK-----|(?=[^A-Za-z0-9+/=\s\\])|\Z))",
         "begin pgp private key block", C, {"validator": "armored", "min_length": 64}),
        (277, "putty-private-key", "PuTTY private key",
         r"(PuTTY-User-Key-File-[23]: [^\n]*\n(?:[^\n]*\n){0,8}?Private-Lines: \d+\r?\n(?:[A-Za-z0-9+/=]+\r?\n?){2,})",
         "putty-user-key-file", C, {"min_length": 64}),
        (278, "ssh2-encrypted-private-key", "SSH2 encrypted private key",
         r"(---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----(?:\s|[\w-]+:[^\n]*)*(?:[A-Za-z0-9+/=]|\s){64,}?"
         r"(?:---- END SSH2 ENCRYPTED PRIVATE KEY ----|(?=[^A-Za-z0-9+/=\s])|\Z))",
         "begin ssh2 encrypted private key", M, {"min_length": 64}),
        (279, "age-secret-key", "age secret key", r"(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})(?![A-Z0-9])",
         "age-secret-key-1", C),
        (280, "kubeconfig-client-key-data", "Private key in a kubeconfig (client-key-data)",
         r"client-key-data\"?\s*:\s*\"?([A-Za-z0-9+/=]{64,})", "client-key-data", C, {"validator": "base64-pem"}),
    ],
)  # fmt: skip

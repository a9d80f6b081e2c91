"""Credentials recognised by their format or their place rather than their issuer: JSON Web Tokens
(RFC 7519: base64url JSON header with ``alg``), HTTP ``Authorization: Basic`` (RFC 7617) and
``Bearer`` (RFC 6750) headers, ``curl -u user:password``, ``.netrc`` entries, and URLs with a password
in their userinfo (RFC 3986 §3.2.1 deprecates it for exactly this reason)."""

# ruff: noqa: E501  (rule tables: one rule a row, expressions unbroken)

from __future__ import annotations

from stockade.secrets.rules._build import H, M, table

RULES = table(
    "token-format",
    [
        (290, "jwt", "JSON Web Token",
         r"(?<![\w-])(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.(?:[A-Za-z0-9_-]{8,})?)(?![\w.-])", "eyj", M,
         {"validator": "jwt"}),
        (291, "http-basic-auth", "HTTP Basic credentials in an Authorization header",
         r"(?i:authorization[\"']?\s*[:=,]\s*[\"']?basic\s+)([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])",
         "authorization", H, {"validator": "base64-user-password"}),
        (292, "curl-user-password", "Password on a curl command line",
         r"curl\b[^\n]{0,300}?\s(?:-u|--user)[= ]\s*[\"']?[^:\s'\"`]{1,64}:([^\s'\"`]{3,128})", "curl", H),
        (293, "netrc-password", "Password in a .netrc entry",
         r"machine(?<![\w-]machine)\s+\S+\s+(?:login\s+\S+\s+)?password\s+(\S{3,128})", "machine", H),
        (294, "http-bearer-token", "Bearer token in an Authorization header",
         r"(?i:authorization[\"']?\s*[:=,]\s*[\"']?bearer\s+)([A-Za-z0-9_.~+/=-]{20,})", "authorization", M,
         {"entropy": 3.5, "generic": True}),
        (295, "url-with-password", "URL with a password in it",
         r"://[^:/?#\s@'\"<>()]{1,64}:([A-Za-z0-9\-._~%!$&*+,;=]{3,128})@[A-Za-z0-9.\-\[\]]+", "://", M,
         {"generic": True, "validator": "url-scheme"}),
    ],
)  # fmt: skip

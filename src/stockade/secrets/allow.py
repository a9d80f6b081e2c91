"""What is never a secret: placeholders, template references and the example keys that vendors print
in their documentation (AWS ``AKIAIOSFODNN7EXAMPLE``, the jwt.io token, Stripe's and Google's sample
keys ...).  These apply to every rule; rules add their own ``allow`` expressions."""

from __future__ import annotations

import re

#: documented example credentials, verbatim (vendors' docs, RFCs, jwt.io)
DOCUMENTED_EXAMPLES = frozenset(
    {
        # AWS (docs.aws.amazon.com "Understanding and getting your AWS credentials")
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        # jwt.io's default token
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2"
        "MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        # Stripe's API reference sample keys
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "pk_test_TYooMQauvdEDq54NiTphI7jx",
        "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
        # GitHub's docs ("Creating a personal access token" example)
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        # Google Maps Platform docs sample key
        "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
        # Slack's docs
        "xoxb-not-a-real-token-this-will-not-work",
    }
)

_PLACEHOLDER = re.compile(
    r"""(?ix)
    ^(?:
        \$\{[^}]*\}? | \$\([^)]*\)? | \$[A-Za-z_][A-Za-z0-9_]*       # shell / compose references
      | \{\{.*\}\}? | \{%.*%\} | <%.*%> | \#\{[^}]*\}                  # templates
      | %\([A-Za-z_]+\)s | %s | \{[A-Za-z_]*\} | @[A-Za-z_]+@          # format strings, autoconf
      | <[^<>]*> | \[[A-Za-z _-]*\]                                    # <your-token>, [password]
      | (?:env|process\.env|os\.environ|getenv|secrets?|vars|inputs|values)[.\[(].*   # references
    )$
    """
)

#: whole values that are placeholders (compared lower case, with - and _ and spaces removed)
_PLACEHOLDER_WORDS = frozenset(
    [
        "changeme",
        "changethis",
        "changeit",
        "replaceme",
        "placeholder",
        "redacted",
        "removed",
        "hidden",
        "masked",
        "none",
        "null",
        "nil",
        "undefined",
        "empty",
        "notset",
        "unset",
        "unknown",
        "todo",
        "tbd",
        "fixme",
        "dummy",
        "sample",
        "example",
        "examples",
        "fake",
        "test",
        "testing",
        "tests",
        "secret",
        "secrets",
        "password",
        "passwd",
        "pass",
        "pwd",
        "token",
        "apikey",
        "key",
        "yourkey",
        "yourtoken",
        "yourpassword",
        "yourapikey",
        "yoursecret",
        "mypassword",
        "mysecret",
        "mytoken",
        "mykey",
        "xxx",
        "xxxx",
        "xxxxx",
        "xxxxxx",
        "insertkeyhere",
        "inserttokenhere",
        "enteryourkey",
        "notarealtoken",
        "notasecret",
        "foo",
        "bar",
        "baz",
        "foobar",
        "qwerty",
        "abc",
        "abcd",
        "abcdef",
        "abc123",
        "password123",
        "secret123",
        "admin",
        "root",
        "user",
        "username",
        "guest",
        "default",
        "string",
    ]
)

_REPEATED = re.compile(r"^(.)\1{5,}$|^(?:x+|\*+|\.+|#+|-+|_+|0+|1+|9+)$", re.I)
_PLACEHOLDER_PARTS = re.compile(
    r"(?i)(?:x{5,}|\*{4,}|\.{3}|your[_-]?(?:api[_-]?)?(?:key|token|secret|password)|insert[_-]?your|"
    r"replace[_-]?(?:me|with|this)|example|placeholder|redacted|dummy|fake[_-]?(?:key|token|secret))"
)


def is_placeholder(secret: str) -> bool:
    """True for values that stand for a secret rather than being one."""
    s = secret.strip().strip("'\"`").rstrip(".,;:")
    if not s or s in DOCUMENTED_EXAMPLES:
        return True
    squashed = s.lower().replace("-", "").replace("_", "").replace(" ", "")
    if squashed in _PLACEHOLDER_WORDS or _REPEATED.match(s) or _PLACEHOLDER.match(s):
        return True
    return _PLACEHOLDER_PARTS.search(s) is not None


#: lines that say "this is not a secret" (gitleaks, detect-secrets and stockade's own markers)
INLINE_ALLOW = re.compile(r"stockade:allow|gitleaks:allow|pragma: ?allowlist[ -]secret|nosec(?:\b|$)", re.I)

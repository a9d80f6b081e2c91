"""Never print or store a whole secret: a fingerprint to recognise it, a masked form to show it.

- ``fingerprint``: ``sha256:`` and the first 16 hex digits of the SHA-256 of the secret (line breaks
  and ``\\n`` escapes removed, so a PEM key and the same key escaped in JSON agree).  The same secret has
  the same fingerprint in a file, a layer and the image config, across scans and machines, which is
  what lets a reader correlate findings.  A fingerprint of a short, guessable password can be matched
  against a dictionary by whoever reads the report: treat reports as confidential all the same.
- ``mask``: a few leading characters (at most 4, never more than a fifth of the secret: for most
  provider tokens only the fixed prefix such as ``ghp_``), then ``…`` and the length.
- ``excerpt``: the line the secret is on, with that secret and every other secret a built-in rule
  recognises on the line masked, cut to about 160 characters around it.
"""

from __future__ import annotations

import hashlib
import re

_BREAKS = re.compile(r"\s+|\\[rn]")
EXCERPT = 160


def normalise(secret: str) -> str:
    return _BREAKS.sub("", secret) if "\n" in secret or "\\n" in secret or "-----" in secret else secret


def fingerprint(secret: str) -> str:
    data = normalise(secret).encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]


def mask(secret: str) -> str:
    if secret.startswith("-----BEGIN") or secret.startswith("---- BEGIN"):
        head = secret.split("-----", 2)[1] if secret.startswith("-----") else "SSH2 ENCRYPTED PRIVATE KEY"
        return f"-----{head}-----…[{len(normalise(secret))} chars]"
    keep = min(4, len(secret) // 5)
    return f"{secret[:keep]}…[{len(secret)} chars]"


def _clip(line: str, start: int, end: int) -> str:
    if len(line) <= EXCERPT:
        return line
    left = max(0, start - 60)
    right = min(len(line), max(end, left + EXCERPT))
    return ("…" if left else "") + line[left:right] + ("…" if right < len(line) else "")


def excerpt(line: str, column: int, secret: str) -> str:
    """``line`` with the secret at ``column`` (1-based) masked, other recognised secrets masked too."""
    start = column - 1
    first_line = secret.split("\n", 1)[0]
    end = min(len(line), start + len(first_line))
    masked = mask(secret)
    text = line[:start] + masked + line[end:]
    text = redact_known(text, keep=masked)
    return _clip(text.strip("\r"), start, start + len(masked)).strip()


def redact_known(text: str, keep: str | None = None) -> str:
    """``text`` with every secret a built-in rule finds replaced by its masked form."""
    from stockade.secrets.engine import default_ruleset

    hits = default_ruleset().scan(text)
    if not hits:
        return text
    out: list[str] = []
    pos = 0
    for hit in sorted(hits, key=lambda h: h.start):
        if hit.start < pos or (keep is not None and keep in hit.secret):
            continue
        out.append(text[pos : hit.start])
        out.append(mask(hit.secret))
        pos = hit.end
    out.append(text[pos:])
    return "".join(out)

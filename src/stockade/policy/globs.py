"""Glob patterns for exception scopes, compiled to anchored regular expressions.

The syntax is the familiar one of ``.gitignore`` and most CI tools, applied to ``/``-separated paths:

    *        any run of characters except ``/`` (one path segment or part of one)
    ?        one character except ``/``
    [abc]    one of the characters; ``[a-z]`` a range; ``[!abc]`` none of them
    **       as a whole segment: any number of segments (``deploy/**`` is everything under
             ``deploy/``; ``**/values.yaml`` is ``values.yaml`` at any depth, the top included)

Anything else matches itself.  A pattern matches the whole path (it is anchored at both ends).
"""

from __future__ import annotations

import re

GLOB_CHARS = frozenset("*?[")


def is_glob(pattern: str) -> bool:
    return any(c in GLOB_CHARS for c in pattern)


def matches_anything(pattern: str) -> bool:
    """True for a pattern made of wildcards alone (``*``, ``**``, ``**/*`` ...): it names nothing."""
    return not pattern.strip("*?/.")


def compile_glob(pattern: str) -> re.Pattern[str]:
    """The regular expression equivalent to ``pattern``, anchored at both ends."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                at_start = i == 0 or pattern[i - 1] == "/"
                j = i + 2
                if at_start and j < n and pattern[j] == "/":  # "**/" : zero or more whole segments
                    out.append("(?:[^/]*/)*")
                    i = j + 1
                    continue
                if at_start and j == n:  # trailing "**": everything below
                    out.append(".*")
                    i = j
                    continue
                out.append("[^/]*")  # "a**b" is "a*b", as in .gitignore
                i = j
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = _class_end(pattern, i)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                negate = body.startswith("!")
                if negate:
                    body = body[1:]
                members = "".join("-" if ch == "-" else re.escape(ch) for ch in body)
                out.append(f"[^/{members}]" if negate else f"(?!/)[{members}]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _class_end(pattern: str, start: int) -> int:
    """Index of the ``]`` closing the class opened at ``start``, or -1 (then ``[`` is literal)."""
    j = start + 1
    if j < len(pattern) and pattern[j] == "!":
        j += 1
    if j < len(pattern) and pattern[j] == "]":  # "[]abc]": a leading "]" is a member
        j += 1
    end = pattern.find("]", j)
    return end

"""Precision and recall on the labelled corpus (testdata/corpus, labels in corpus-labels.json).

A finding counts as a true positive when a labelled secret is on its line and the finding's rule is the
label's rule (``strict``) — or any rule, for comparing with other tools (``loose``).  Every other finding
is a false positive.  Recall: labelled secrets found / labelled secrets.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

TESTDATA = Path(__file__).parent / "testdata"
CORPUS = TESTDATA / "corpus"


def labels() -> dict[tuple[str, int], str | None]:
    raw = json.loads((TESTDATA / "corpus-labels.json").read_text(encoding="utf-8"))
    return {(item["file"], item["line"]): item["rule"] for item in raw}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    missed: list[tuple[str, int, str]] = field(default_factory=list)
    false: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(found: Iterable[tuple[str, int, str]], *, strict: bool) -> Score:
    """``found``: (file name, line, rule name) per finding."""
    want = labels()
    positives = {k: v for k, v in want.items() if v is not None}
    hit: set[tuple[str, int]] = set()
    out = Score()
    for name, line, rule in set(found):
        expected = positives.get((name, line))
        if expected is not None and (not strict or rule == expected):
            hit.add((name, line))
        elif expected is not None and (name, line) in hit:
            continue  # a second rule on a line already counted
        elif expected is None or strict:
            out.fp += 1
            out.false.append((name, line, rule))
    out.tp = len(hit)
    out.fn = len(positives) - len(hit)
    out.missed = sorted((k[0], k[1], v) for k, v in positives.items() if k not in hit)
    return out

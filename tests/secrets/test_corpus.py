"""Precision and recall on the labelled corpus may not drop below the recorded figures
(testdata/corpus-figures.json); no secret of the corpus may appear in the output."""

from __future__ import annotations

import json
import os

from stockade.report.json import JsonFormatter
from stockade.secrets.engine import default_ruleset
from stockade.secrets.scan import scan_secret_paths
from tests.secrets.corpus_eval import CORPUS, TESTDATA, labels, score


def _found() -> tuple[list[tuple[str, int, str]], str]:
    result = scan_secret_paths([str(CORPUS)])
    found = [
        (os.path.basename(f.location.path), f.location.line or 0, str(f.metadata["rule"]))
        for f in result.findings
        if f.location is not None
    ]
    return found, JsonFormatter().render(result)


def test_precision_and_recall_at_least_recorded() -> None:
    figures = json.loads((TESTDATA / "corpus-figures.json").read_text(encoding="utf-8"))
    found, _ = _found()
    sc = score(found, strict=True)
    assert sc.precision >= figures["precision"], f"false positives: {sc.false}"
    assert sc.recall >= figures["recall"], f"missed: {sc.missed}"
    covered = {rule for rule in labels().values() if rule}
    assert len(covered) >= figures["rules_covered"]


def test_every_negative_line_is_clean() -> None:
    found, _ = _found()
    negatives = {k for k, v in labels().items() if v is None}
    assert [f for f in found if (f[0], f[1]) in negatives] == []


def test_no_secret_in_the_output() -> None:
    """What the engine took for the secret on each labelled line appears nowhere in the JSON result
    (beyond the four leading characters the mask keeps)."""
    _, text = _found()
    leaked = []
    for name in sorted(os.listdir(CORPUS)):
        content = (CORPUS / name).read_text(encoding="utf-8")
        for hit in default_ruleset().scan(content):
            tail = hit.secret.split("\n")[-1 if "-----" in hit.secret else 0][4:]
            if len(tail) >= 6 and tail in text:
                leaked.append((name, hit.line, hit.rule.name))
    assert leaked == []

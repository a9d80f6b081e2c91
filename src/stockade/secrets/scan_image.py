"""``stockade secrets --image REF``: open an image from any source and scan its layers and config."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable

from stockade.model.result import ScanResult
from stockade.model.target import Target, TargetKind
from stockade.secrets import policy
from stockade.secrets.engine import default_ruleset
from stockade.secrets.image import scan_image_secrets
from stockade.secrets.rules import all_ids
from stockade.secrets.scan import SecretsOptions
from stockade.target.image.open import ImageOptions, open_image
from stockade.target.image.stream import Limits


def scan_secret_image(
    arg: str,
    source: ImageOptions | None = None,
    limits: Limits | None = None,
    options: SecretsOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScanResult:
    opts = options or SecretsOptions()
    started = opts.clock()
    ruleset = opts.ruleset or default_ruleset()
    rules, statuses = policy.load(opts.exceptions_file, all_ids() | {s.id for s in ruleset.specs})
    scratch = tempfile.mkdtemp(prefix="stockade-secrets-")
    try:
        spec = open_image(arg, source or ImageOptions(), scratch)
        findings, more = scan_image_secrets(
            spec,
            scratch,
            limits=limits,
            ruleset=ruleset,
            excludes=tuple(opts.tree.excludes),
            progress=progress,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    statuses.extend(more)
    kept, suppressed, expired = policy.split(findings, rules, opts.today())
    statuses.extend(expired)
    target = Target(
        kind=TargetKind.IMAGE,
        name=spec.reference,
        id=f"image:{spec.config_digest or spec.manifest_digest or spec.reference}",
        image=spec.to_dict(),
        metadata={"rules": len(ruleset.rules)},
    )
    return ScanResult.without_packages(
        scan_id=opts.scan_id(),
        target=target,
        findings=kept,
        suppressed=suppressed,
        statuses=statuses,
        started=started,
        finished=opts.clock(),
    )

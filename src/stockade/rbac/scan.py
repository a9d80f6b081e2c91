"""``stockade rbac findings``: manifests → model → risky grants and escalation paths → ScanResult."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from stockade import __version__
from stockade.model.inventory import Inventory
from stockade.model.result import ScanResult
from stockade.model.status import Status, StatusKind
from stockade.model.target import Target, TargetKind
from stockade.rbac import escalation, findings
from stockade.rbac.loader import LoadOptions, load
from stockade.rbac.model import Cluster
from stockade.scan.ids import new_scan_id, utc_now


@dataclass(slots=True)
class RbacOptions:
    load: LoadOptions = field(default_factory=LoadOptions)
    include_defaults: bool = False
    paths: bool = True  # escalation paths
    clock: Callable[[], datetime] = utc_now
    scan_id: Callable[[], str] = new_scan_id


def scan_cluster(cluster: Cluster, names: Sequence[str], opts: RbacOptions, started: datetime) -> ScanResult:
    found = findings.evaluate(cluster, include_defaults=opts.include_defaults)
    if opts.paths:
        found.extend(escalation.evaluate(cluster))
    statuses = list(cluster.statuses)
    statuses.append(
        Status(
            "rbac",
            StatusKind.OK,
            f"{len(cluster.roles)} roles, {len(cluster.bindings)} bindings, "
            f"{len(cluster.service_accounts)} service accounts, {len(cluster.workloads)} workloads "
            f"from {cluster.files} files",
        )
    )
    target = Target(
        kind=TargetKind.MANIFESTS,
        name=" ".join(names),
        id="manifests:" + ",".join(sorted(p if p == "-" else os.path.realpath(p) for p in names)),
        metadata={"files": cluster.files, "objects": cluster.objects},
    )
    return ScanResult(
        scan_id=opts.scan_id(),
        target=target,
        inventory=Inventory(os=None, packages=()),
        findings=tuple(sorted(found, key=lambda f: (f.sort_key(), f.target))),
        statuses=tuple(sorted(statuses, key=Status.sort_key)),
        started=started,
        finished=opts.clock(),
        tool_version=__version__,
    )


def scan_rbac(paths: Sequence[str], options: RbacOptions | None = None) -> ScanResult:
    opts = options or RbacOptions()
    started = opts.clock()
    cluster = load(paths, opts.load)
    return scan_cluster(cluster, paths, opts, started)

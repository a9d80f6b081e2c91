"""``stockade netpol findings`` as a scan: manifests → model → STK-NET findings → ScanResult, so every
output format, ``--fail-on`` and the inventory store work as for the other scans."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from stockade.model.result import ScanResult
from stockade.model.status import Status, StatusKind
from stockade.model.target import Target, TargetKind
from stockade.netpol.findings import findings
from stockade.netpol.load import LoadNotes, load_cluster
from stockade.scan.ids import new_scan_id, utc_now


def scan_netpol(
    paths: Sequence[str],
    *,
    namespace: str = "default",
    notes: LoadNotes | None = None,
    clock: Callable[[], Any] = utc_now,
    scan_id: Callable[[], str] = new_scan_id,
    stdin: Callable[[], bytes] | None = None,
) -> ScanResult:
    started = clock()
    notes = notes if notes is not None else LoadNotes()
    cluster = load_cluster(paths, namespace=namespace, notes=notes, stdin=stdin)
    found = findings(cluster, notes)
    statuses: list[Status] = []
    for err in cluster.errors:
        path, _, rest = err.partition(":")
        statuses.append(Status("netpol", StatusKind.ERROR, rest.strip(), path or None))
    if cluster.ignored:
        listed = ", ".join(f"{k}: {n}" for k, n in cluster.ignored.items())
        statuses.append(Status("netpol", StatusKind.SKIPPED, f"not used by network analysis ({listed})"))
    statuses.append(
        Status(
            "netpol",
            StatusKind.OK,
            f"{len(cluster.peers)} peers, {len(cluster.policies)} policies, {len(cluster.services)} services "
            f"in {len(cluster.namespaces)} namespaces from {cluster.files} files",
        )
    )
    target = Target(
        kind=TargetKind.MANIFESTS,
        name=" ".join(paths),
        id="manifests:" + ",".join(sorted(p if p == "-" else os.path.realpath(p) for p in paths)),
        metadata={"files": cluster.files, "objects": cluster.kinds, "netpol": True},
    )
    return ScanResult.without_packages(
        scan_id=scan_id(), target=target, findings=found, statuses=statuses, started=started, finished=clock()
    )

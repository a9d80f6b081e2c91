"""Splitting findings into kept and suppressed, on real parsed manifests and a real exceptions file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from stockade.checks.kubernetes.objects import K8sObject, objects_of
from stockade.model.finding import Finding
from stockade.model.inventory import Inventory, Location
from stockade.model.result import ScanResult
from stockade.model.severity import Severity
from stockade.model.status import Status, StatusKind
from stockade.model.target import Target, TargetKind
from stockade.policy.apply import (
    ObjectFacts,
    annotation_statuses,
    expired_statuses,
    facts_of,
    split,
    suppression_for,
)
from stockade.policy.exceptions import load_exceptions
from stockade.target.manifests import load_file

TODAY = date(2026, 6, 1)

MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: legacy-api
  namespace: payments
  labels:
    team: payments
  annotations:
    stockade.io/ignore: "STK-K8S-0020"
    stockade.io/ignore-reason: "probes come with the 2027 rewrite"
spec:
  template:
    metadata:
      annotations:
        stockade.io/ignore: "STK-PSS-0003,STK-PSS-0009"
        stockade.io/ignore-reason: "vendor agent needs host network"
        stockade.io/ignore-expires: "2026-12-31"
    spec:
      hostNetwork: true
      containers:
        - name: api
          image: vendor/api:1.2
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  annotations:
    stockade.io/ignore: "STK-K8S-0007"
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  namespace: payments
spec:
  jobTemplate:
    spec:
      template:
        metadata:
          annotations:
            stockade.io/ignore: "STK-PSS-0003"
            stockade.io/ignore-reason: "nightly report reads host metrics"
            stockade.io/ignore-expires: "2026-05-01"
        spec:
          containers:
            - name: r
              image: report:1
"""

EXCEPTIONS = """\
version: 1
exceptions:
  - id: STK-K8S-0007
    scope:
      path: "deploy/legacy/**"
      kind: Deployment
      labels: {team: payments}
    reason: "vendor image needs root until 2027 migration"
    owner: "payments-team@example.com"
    expires: 2027-03-31
  - id: [STK-DF-0001, STK-DF-0004]
    scope:
      path: "docker/legacy/**"
    reason: "legacy build image"
    owner: "platform@example.com"
    expires: 2026-01-31
  - id: STK-DF-0001
    scope:
      path: "docker/**"
    reason: "all builder images run as root for now"
    owner: "platform@example.com"
    expires: 2026-09-30
"""


def project(tmp_path: Path) -> tuple[list[K8sObject], str]:
    (tmp_path / "deploy" / "legacy").mkdir(parents=True)
    (tmp_path / ".stockade").mkdir()
    manifest = tmp_path / "deploy" / "legacy" / "app.yaml"
    manifest.write_text(MANIFESTS, encoding="utf-8")
    (tmp_path / ".stockade" / "exceptions.yaml").write_text(EXCEPTIONS, encoding="utf-8")
    loaded = load_file(str(manifest))
    assert not loaded.errors
    return [o for doc in loaded.documents for o in objects_of(doc)], str(manifest)


def on(obj: K8sObject, check_id: str, line: int, **metadata: str) -> Finding:
    return Finding(
        check_id,
        Severity.HIGH,
        f"{check_id} on {obj.display()}",
        "manifests",
        location=Location(obj.path, line),
        metadata=dict(metadata),
    )


def test_facts_read_own_and_pod_template_metadata(tmp_path: Path) -> None:
    (deployment, pod, cronjob), path = project(tmp_path)
    facts = facts_of(deployment)
    assert (facts.kind, facts.namespace, facts.name, facts.path) == (
        "Deployment",
        "payments",
        "legacy-api",
        path,
    )
    assert facts.labels == {"team": "payments"}
    assert facts.annotations["stockade.io/ignore"] == "STK-K8S-0020"
    assert facts.template_annotations["stockade.io/ignore"] == "STK-PSS-0003,STK-PSS-0009"
    assert (facts.annotations_line, facts.template_annotations_line) == (9, 15)
    pod_facts = facts_of(pod)
    assert pod_facts.template_annotations == {}  # a Pod's metadata is read once, as its own
    assert pod_facts.annotations_line == 29
    cron = facts_of(cronjob)
    assert cron.template_annotations["stockade.io/ignore"] == "STK-PSS-0003"
    assert cron.template_annotations_line == 42


def test_split_end_to_end(tmp_path: Path) -> None:
    objects, path = project(tmp_path)
    deployment, pod, cronjob = objects
    rules = load_exceptions(str(tmp_path / ".stockade" / "exceptions.yaml"))
    exceptions_file = str(tmp_path / ".stockade" / "exceptions.yaml")
    dockerfile = str(tmp_path / "docker" / "legacy" / "Dockerfile")

    findings = [
        on(deployment, "STK-K8S-0007", 21),  # exceptions file, entry 1
        on(deployment, "STK-PSS-0003", 19, pss_level="baseline", pss_control="host namespaces"),  # template
        on(deployment, "STK-K8S-0020", 21),  # own annotation
        on(deployment, "STK-K8S-0001", 21),  # nothing covers it
        on(pod, "STK-K8S-0007", 29),  # annotation without reason; exceptions entry is for Deployments
        on(cronjob, "STK-PSS-0003", 47),  # template ignore expired on 2026-05-01
        Finding(
            "STK-DF-0001", Severity.MEDIUM, "runs as root", "Dockerfile", location=Location(dockerfile, 1)
        ),
        Finding(
            "STK-DF-0004", Severity.LOW, "no HEALTHCHECK", "Dockerfile", location=Location(dockerfile, 1)
        ),
    ]
    facts = {id(f): facts_of(o) for f, o in zip(findings, [*[deployment] * 4, pod, cronjob], strict=False)}
    kept, suppressed = split(findings, lambda f: facts.get(id(f)), rules, TODAY)

    assert [f.id for f in kept] == ["STK-K8S-0001", "STK-K8S-0007", "STK-PSS-0003", "STK-DF-0004"]
    assert [f.id for f in suppressed] == ["STK-K8S-0007", "STK-PSS-0003", "STK-K8S-0020", "STK-DF-0001"]
    assert not any("suppression" in f.metadata for f in kept)
    assert suppressed[0].metadata["suppression"] == {
        "source": "exceptions-file",
        "reason": "vendor image needs root until 2027 migration",
        "owner": "payments-team@example.com",
        "expires": "2027-03-31",
        "where": f"{exceptions_file}:3",
    }
    assert suppressed[1].metadata == {
        "pss_level": "baseline",
        "pss_control": "host namespaces",
        "suppression": {
            "source": "annotation",
            "reason": "vendor agent needs host network",
            "owner": None,
            "expires": "2026-12-31",
            "where": f"{path}:15",
        },
    }
    assert suppressed[2].metadata["suppression"]["where"] == f"{path}:9"
    # entry 2 (docker/legacy/**) expired on 2026-01-31, so entry 3 covers STK-DF-0001 and nothing STK-DF-0004
    assert suppressed[3].metadata["suppression"]["where"] == f"{exceptions_file}:17"
    # the originals are untouched; the suppressed copies are otherwise the same finding
    assert findings[1].metadata == {"pss_level": "baseline", "pss_control": "host namespaces"}
    assert suppressed[1] == findings[1]
    assert suppressed[1] not in kept

    assert expired_statuses(rules, TODAY) == [
        Status(
            "policy/exceptions",
            StatusKind.PARTIAL,
            "line 11: exception for STK-DF-0001, STK-DF-0004 (path docker/legacy/**; "
            "owner platform@example.com) expired on 2026-01-31; it no longer applies",
            exceptions_file,
        )
    ]
    reasons = [s.reason for s in annotation_statuses([facts_of(o) for o in objects], TODAY)]
    assert reasons == [
        "line 29: Pod debug: stockade.io/ignore STK-K8S-0007 not applied: "
        "stockade.io/ignore-reason is missing (a reason is required)",
        "line 42: CronJob payments/report: pod template: stockade.io/ignore STK-PSS-0003 "
        "expired on 2026-05-01; it no longer applies",
    ]


def test_day_after_expiry_the_finding_is_kept(tmp_path: Path) -> None:
    (deployment, _, _), _ = project(tmp_path)
    facts = facts_of(deployment)
    finding = on(deployment, "STK-PSS-0009", 19)
    assert split([finding], lambda f: facts, None, date(2026, 12, 31))[1] != ()
    assert split([finding], lambda f: facts, None, date(2027, 1, 1)) == ((finding,), ())


def test_scan_result_lists_suppressed_findings_apart() -> None:
    annotations = {"stockade.io/ignore": "STK-K8S-0001", "stockade.io/ignore-reason": "r"}
    facts = ObjectFacts("Pod", "web", "shop", "pod.yaml", annotations=annotations, annotations_line=6)
    finding = Finding("STK-K8S-0001", Severity.LOW, "t", "manifests", location=Location("pod.yaml", 9))
    assert suppression_for(finding, facts, None, TODAY) is not None
    kept, suppressed = split([finding], lambda f: facts, None, TODAY)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    target = Target(TargetKind.MANIFESTS, "pod.yaml", "t")
    result = ScanResult("scan-1", target, Inventory(None, ()), kept, (), now, now, "0", suppressed=suppressed)
    out = result.to_dict()
    assert out["findings"] == []
    assert out["suppressed"][0]["id"] == "STK-K8S-0001"
    assert out["suppressed"][0]["metadata"]["suppression"]["where"] == "pod.yaml:6"


def test_a_scan_skips_the_matching_only_when_no_object_mentions_an_exception() -> None:
    from stockade.policy.facts import IGNORE, mention_exceptions

    plain = ObjectFacts("Pod", "a", "ns", "f.yaml", annotations={"team": "x", "stockade.io/other": "y"})
    reason_only = ObjectFacts("Pod", "b", "ns", "f.yaml", annotations={"stockade.io/ignore-reason": "why"})
    in_template = ObjectFacts("Deployment", "c", "ns", "f", template_annotations={IGNORE: "STK-K8S-0001"})
    assert not mention_exceptions([plain]) and not mention_exceptions([])
    assert mention_exceptions([plain, reason_only]) and mention_exceptions([in_template])
    # what the skipped pass would have reported for the object without stockade.io/ignore: a status
    assert annotation_statuses([reason_only], TODAY) and not annotation_statuses([plain], TODAY)

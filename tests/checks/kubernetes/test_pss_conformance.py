"""Pod Security Standards: 100 % agreement with the upstream conformance pods in ../shared, plus pod
templates, field lines, version boundaries and argument errors.

The conformance pods are upstream's own test data (k8s.io/pod-security-admission/test/testdata) for
policy v1.37: every ``fail`` pod must be rejected at its level by the check its file name names, every
``pass`` pod accepted.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from stockade.checks.interface import Violation
from stockade.checks.kubernetes import pss
from stockade.checks.kubernetes.objects import K8sObject, objects_of
from stockade.target.manifests import load_file, parse_stream

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"
CONFORMANCE = SHARED / "conformance" / "pss"
VERSION = "v1.37"

#: file-name prefix of the conformance pods → upstream check id (k8s.io/pod-security-admission)
PREFIXES = {
    "allowprivilegeescalation": "allowPrivilegeEscalation",
    "apparmorprofile": "appArmorProfile",
    "capabilities_baseline": "capabilities_baseline",
    "capabilities_restricted": "capabilities_restricted",
    "hostnamespaces": "hostNamespaces",
    "hostpathvolumes": "hostPathVolumes",
    "hostports": "hostPorts",
    "hostprobesandhostlifecycle": "hostProbesAndHostLifecycle",
    "privileged": "privileged",
    "procmount": "procMount",
    "procmount_restricted": "procMount_restricted",
    "restrictedvolumes": "restrictedVolumes",
    "runasnonroot": "runAsNonRoot",
    "runasuser": "runAsUser",
    "seccompprofile_baseline": "seccompProfile_baseline",
    "seccompprofile_restricted": "seccompProfile_restricted",
    "selinuxoptions": "seLinuxOptions",
    "sysctls": "sysctls",
    "windowshostprocess": "windowsHostProcess",
}
#: pass-only pods that name no check
BASE_NAMES = {"base", "base_linux", "base_windows"}


def _files(level: str, outcome: str) -> list[Path]:
    folder = CONFORMANCE / f"{level}-{VERSION}" / outcome
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def _params(outcome: str) -> list[Any]:
    return [
        pytest.param(level, path, id=f"{level}/{outcome}/{path.name}")
        for level in pss.LEVELS
        for path in _files(level, outcome)
    ]


def _prefix(path: Path) -> str:
    return re.sub(r"\d+$", "", path.stem)


def _objects(path: Path) -> list[K8sObject]:
    result = load_file(str(path))
    assert not result.errors, result.errors
    objects = [obj for doc in result.documents for obj in objects_of(doc)]
    assert objects, f"{path}: no Kubernetes object"
    return objects


def _run(objects: list[K8sObject], level: str, version: str = VERSION) -> list[tuple[str, Violation]]:
    """``(upstream check id, violation)`` for every violation of every object."""
    out: list[tuple[str, Violation]] = []
    for check in pss.checks_for(level, version):
        assert isinstance(check, pss.PSSCheck)
        for obj in objects:
            out.extend((check.UPSTREAM_ID, v) for v in check.check(obj))
    return out


def _text(text: str, level: str, version: str = VERSION) -> list[tuple[str, Violation]]:
    result = parse_stream(textwrap.dedent(text), "test.yaml")
    assert not result.errors
    return _run([o for d in result.documents for o in objects_of(d)], level, version)


def test_conformance_data_present() -> None:
    for level in pss.LEVELS:
        for outcome in ("pass", "fail"):
            if not _files(level, outcome):
                pytest.fail(f"no conformance pods in {CONFORMANCE}/{level}-{VERSION}/{outcome}")


def test_every_prefix_is_known() -> None:
    upstream_ids = {c.UPSTREAM_ID for c in pss.CHECKS}
    assert set(PREFIXES.values()) == upstream_ids
    for level in pss.LEVELS:
        for path in _files(level, "fail"):
            assert _prefix(path) in PREFIXES, f"{path.name}: no check for prefix {_prefix(path)!r}"
        for path in _files(level, "pass"):
            assert _prefix(path) in PREFIXES or path.stem in BASE_NAMES, path.name


@pytest.mark.parametrize(("level", "path"), _params("fail"))
def test_fail_pods_are_rejected_by_the_named_check(level: str, path: Path) -> None:
    named = PREFIXES[_prefix(path)]
    checks = [c for c in pss.checks_for(level, VERSION) if isinstance(c, pss.PSSCheck)]
    # at the restricted level a baseline check may be replaced by the restricted check that overrides it
    expected = {named} | {c.UPSTREAM_ID for c in checks if named in c.OVERRIDES}
    assert expected & {c.UPSTREAM_ID for c in checks}, f"{named} does not run at {level} {VERSION}"
    found = _run(_objects(path), level)
    assert found, f"{path.name}: accepted at {level}, upstream rejects it"
    by = {check_id for check_id, _ in found}
    assert by & expected, f"{path.name}: rejected by {sorted(by)}, expected {sorted(expected)}"


@pytest.mark.parametrize(("level", "path"), _params("pass"))
def test_pass_pods_are_accepted(level: str, path: Path) -> None:
    found = _run(_objects(path), level)
    assert not found, f"{path.name}: " + "; ".join(f"{c}: {v.message}" for c, v in found)


def test_every_check_has_a_failing_pod_at_its_level() -> None:
    for level in pss.LEVELS:
        named = {PREFIXES[_prefix(p)] for p in _files(level, "fail")}
        for check in pss.checks_for(level, VERSION):
            assert isinstance(check, pss.PSSCheck)
            assert check.UPSTREAM_ID in named, f"{level}: no fail pod for {check.UPSTREAM_ID}"


# -- the package's declarations -------------------------------------------------------------------------


def test_ids_metadata_and_controls() -> None:
    controls = json.loads((CONFORMANCE / "pod-security-standards.controls.json").read_text())
    names = {c["control"] for c in controls["baseline"]} | {
        c["control"] for c in controls["restricted_additional"]
    }
    ids = [c.ID for c in pss.CHECKS]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    for cls in pss.CHECKS:
        assert re.fullmatch(r"STK-PSS-\d{4}", cls.ID)
        assert cls.METADATA["pss_level"] == cls.LEVEL in pss.LEVELS
        assert cls.METADATA["pss_control"] in names, cls.METADATA
        assert cls.METADATA["pss_check"] == cls.UPSTREAM_ID
        assert cls.TITLE and cls.RATIONALE and cls.REMEDIATION
        assert "https://kubernetes.io/docs/concepts/security/pod-security-standards/" in cls.REFERENCES
        assert cls.ID in (pss.__doc__ or ""), f"{cls.ID} missing from the id table"
    severities = {cls.UPSTREAM_ID: cls.SEVERITY.value for cls in pss.CHECKS}
    high = {k for k, v in severities.items() if v == "high"}
    assert high == {"privileged", "hostPathVolumes", "hostNamespaces", "windowsHostProcess"}
    assert set(severities.values()) == {"high", "medium"}


def test_versions_and_levels() -> None:
    assert pss.LEVELS == ("baseline", "restricted")
    assert pss.LATEST == "v1.37"
    assert pss.VERSIONS == (
        "v1.0", "v1.8", "v1.19", "v1.22", "v1.23", "v1.25", "v1.27", "v1.29", "v1.31", "v1.32", "v1.34",
        "v1.35", "v1.37",
    )  # fmt: skip
    assert len(pss.checks_for("baseline")) == 12
    assert len(pss.checks_for("restricted")) == 15  # 19 checks, 4 baseline ones overridden
    assert [type(c) for c in pss.checks_for("restricted", "latest")] == [
        type(c) for c in pss.checks_for("restricted", "v1.37")
    ]
    old = {type(c).__name__ for c in pss.checks_for("restricted", "v1.0")}
    assert old == {
        "HostNamespaces", "Privileged", "CapabilitiesBaseline", "HostPorts", "AppArmor", "SELinux",
        "ProcMountBaseline", "SeccompBaseline", "Sysctls", "WindowsHostProcess", "RestrictedVolumes",
        "RunAsNonRoot",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("level", "version", "needle"),
    [
        ("privileged", "v1.37", "baseline, restricted"),
        ("", "v1.37", "baseline, restricted"),
        ("baseline", "v1.38", "latest"),
        ("baseline", "v2.0", "v1.0"),
        ("baseline", "1.25", "v1.37"),
        ("restricted", "v1.025", "latest"),
        ("restricted", "", "latest"),
    ],
)
def test_unknown_level_or_version(level: str, version: str, needle: str) -> None:
    with pytest.raises(ValueError, match=re.escape(needle)):
        pss.checks_for(level, version)


# -- pod templates and lines -----------------------------------------------------------------------------

DEPLOYMENT = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      annotations:
        container.apparmor.security.beta.kubernetes.io/app: unconfined
    spec:
      template:
        metadata:
          annotations:
            container.apparmor.security.beta.kubernetes.io/app: unconfined
        spec:
          hostPID: true
          containers:
          - name: app
            image: nginx
            securityContext:
              privileged: true
              capabilities:
                add: [NET_BIND_SERVICE, SYS_ADMIN]
            ports:
            - containerPort: 80
              hostPort: 0
            - containerPort: 443
              hostPort: 8443
          volumes:
          - name: sock
            hostPath:
              path: /var/run/docker.sock
"""


def test_deployment_template_paths_and_lines() -> None:
    result = parse_stream(textwrap.dedent(DEPLOYMENT), "deploy.yaml")
    (obj,) = [o for d in result.documents for o in objects_of(d)]
    found = {check_id: (v.path, obj.line_of(v.path)) for check_id, v in _run([obj], "baseline") if v.path}
    assert found == {
        "hostNamespaces": (("spec", "template", "spec", "hostPID"), 13),
        "privileged": (("spec", "template", "spec", "containers", 0, "securityContext", "privileged"), 18),
        "capabilities_baseline": (
            ("spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "add", 1),
            20,
        ),
        "hostPorts": (("spec", "template", "spec", "containers", 0, "ports", 1, "hostPort"), 25),
        "hostPathVolumes": (("spec", "template", "spec", "volumes", 0, "hostPath"), 28),
        # the template's annotation (line 11), not the Deployment's own (line 6)
        "appArmorProfile": (
            (
                "spec",
                "template",
                "metadata",
                "annotations",
                "container.apparmor.security.beta.kubernetes.io/app",
            ),
            11,
        ),
    }


def test_hostport_zero_is_allowed_and_each_bad_field_is_reported() -> None:
    found = _text(DEPLOYMENT, "baseline")
    assert [v.evidence for c, v in found if c == "hostPorts"] == ["hostPort: 8443"]
    assert [v.evidence for c, v in found if c == "capabilities_baseline"] == ["SYS_ADMIN"]


CRONJOB = """\
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: nightly
    spec:
      schedule: "0 3 * * *"
      jobTemplate:
        spec:
          template:
            spec:
              securityContext:
                runAsNonRoot: true
                seccompProfile:
                  type: RuntimeDefault
              initContainers:
              - name: init
                image: busybox
                securityContext:
                  allowPrivilegeEscalation: false
                  capabilities: {drop: [ALL]}
              containers:
              - name: job
                image: busybox
                securityContext:
                  capabilities:
                    drop: [ALL]
              ephemeralContainers:
              - name: debug
                image: busybox
                securityContext:
                  allowPrivilegeEscalation: true
                  capabilities: {drop: [ALL]}
                  runAsUser: 0
"""


def test_cronjob_template_and_every_container_kind() -> None:
    result = parse_stream(textwrap.dedent(CRONJOB), "cron.yaml")
    (obj,) = [o for d in result.documents for o in objects_of(d)]
    found = [(c, v.path, obj.line_of(v.path)) for c, v in _run([obj], "restricted")]
    base = ("spec", "jobTemplate", "spec", "template", "spec")
    assert sorted(found, key=lambda f: f[2]) == [
        # unset: points at the container's securityContext
        ("allowPrivilegeEscalation", (*base, "containers", 0, "securityContext"), 24),
        (
            "allowPrivilegeEscalation",
            (*base, "ephemeralContainers", 0, "securityContext", "allowPrivilegeEscalation"),
            31,
        ),
        ("runAsUser", (*base, "ephemeralContainers", 0, "securityContext", "runAsUser"), 33),
    ]
    assert _run([obj], "baseline") == []


JOB = """\
    apiVersion: batch/v1
    kind: Job
    metadata: {name: once}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: main
            image: busybox
            livenessProbe:
              httpGet: {host: 169.254.169.254, port: 80}
"""


def test_job_template() -> None:
    found = _text(JOB, "baseline")
    assert [(c, v.path) for c, v in found] == [
        (
            "hostProbesAndHostLifecycle",
            ("spec", "template", "spec", "containers", 0, "livenessProbe", "httpGet", "host"),
        )
    ]
    restricted = {c for c, _ in _text(JOB, "restricted")}
    assert restricted == {
        "hostProbesAndHostLifecycle", "allowPrivilegeEscalation", "runAsNonRoot", "seccompProfile_restricted",
        "capabilities_restricted",
    }  # fmt: skip


def test_objects_without_a_pod_template_and_odd_values() -> None:
    assert (
        _text("kind: Service\napiVersion: v1\nmetadata: {name: s}\nspec: {type: NodePort}\n", "restricted")
        == []
    )
    odd = """\
        apiVersion: v1
        kind: Pod
        metadata: {name: odd, annotations: null}
        spec:
          hostNetwork: "true"
          securityContext: [1, 2]
          volumes: [null, {name: v, hostPath: null}]
          containers:
          - null
          - name: c
            securityContext: {privileged: "yes", runAsUser: false, capabilities: {add: [1, null]}}
            ports: [{hostPort: "80"}, 7]
    """
    assert _text(odd, "baseline") == []  # wrong types are absent, as API decoding would reject them
    assert {c for c, _ in _text(odd, "restricted")} == {
        "allowPrivilegeEscalation", "runAsNonRoot", "seccompProfile_restricted", "capabilities_restricted",
    }  # fmt: skip


def test_violation_carries_version_and_message_says_what_is_allowed() -> None:
    found = _text(DEPLOYMENT, "baseline", "v1.30")
    (priv,) = [v for c, v in found if c == "privileged"]
    assert priv.extra == {"pss_version": "v1.30"}
    assert 'container "app"' in priv.message and "allowed: false or unset" in priv.message


# -- version differences ---------------------------------------------------------------------------------

RESTRICTED_OK = """\
    apiVersion: v1
    kind: Pod
    metadata:
      name: p
      annotations: {ANNOTATIONS}
    spec:
      {SPEC}
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
        {POD_SC}
      containers:
      - name: c
        image: busybox
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
          {SC}
"""


def _pod(spec: str = "", pod_sc: str = "", sc: str = "", annotations: str = "{}") -> str:
    return (
        RESTRICTED_OK.replace("{SPEC}", spec or "dnsPolicy: ClusterFirst")
        .replace("{POD_SC}", pod_sc or "fsGroup: 2000")
        .replace("{SC}", sc or "readOnlyRootFilesystem: true")
        .replace("{ANNOTATIONS}", annotations)
    )


def _ids(text: str, level: str, version: str) -> set[str]:
    return {c for c, _ in _text(text, level, version)}


def test_restricted_template_is_clean_at_every_version() -> None:
    for minor in range(38):
        assert _ids(_pod(), "restricted", f"v1.{minor}") == set(), minor


@pytest.mark.parametrize(
    ("text", "level", "before", "after", "check_id"),
    [
        # sysctls safe set grows: passes from the version that adds it
        (
            _pod(pod_sc="sysctls: [{name: net.ipv4.ip_local_reserved_ports, value: '80'}]"),
            "baseline",
            "v1.26",
            "v1.27",
            "sysctls",
        ),
        (
            _pod(pod_sc="sysctls: [{name: net.ipv4.tcp_keepalive_time, value: '60'}]"),
            "baseline",
            "v1.28",
            "v1.29",
            "sysctls",
        ),
        (
            _pod(pod_sc="sysctls: [{name: net.ipv4.tcp_rmem, value: '4096 87380 6291456'}]"),
            "baseline",
            "v1.31",
            "v1.32",
            "sysctls",
        ),
        (
            _pod(pod_sc="sysctls: [{name: net.ipv4.tcp_notsent_lowat, value: '16384'}]"),
            "restricted",
            "v1.36",
            "v1.37",
            "sysctls",
        ),
        # SELinux container_engine_t allowed from 1.31
        (
            _pod(sc="seLinuxOptions: {type: container_engine_t}"),
            "baseline",
            "v1.30",
            "v1.31",
            "seLinuxOptions",
        ),
        # seccomp: the alpha annotation matters before 1.19 only
        (
            _pod(annotations="{seccomp.security.alpha.kubernetes.io/pod: unconfined}"),
            "baseline",
            "v1.18",
            "v1.19",
            "seccompProfile_baseline",
        ),
        # user namespaces relax baseline procMount and restricted runAsNonRoot / runAsUser from 1.35
        (_pod(spec="hostUsers: false", sc="procMount: Unmasked"), "baseline", "v1.34", "v1.35", "procMount"),
        (
            _pod(spec="hostUsers: false", sc="runAsNonRoot: false"),
            "restricted",
            "v1.34",
            "v1.35",
            "runAsNonRoot",
        ),
        (_pod(spec="hostUsers: false", sc="runAsUser: 0"), "restricted", "v1.34", "v1.35", "runAsUser"),
    ],
)
def test_relaxed_at_a_newer_version(text: str, level: str, before: str, after: str, check_id: str) -> None:
    assert check_id in _ids(text, level, before)
    assert _ids(text, level, after) == set()


@pytest.mark.parametrize(
    ("text", "level", "before", "after", "check_id"),
    [
        # probe and lifecycle hosts forbidden from 1.34
        (
            _pod(sc="x: 1\n        lifecycle: {preStop: {httpGet: {host: 10.0.0.1, port: 80}}}"),
            "baseline",
            "v1.33",
            "v1.34",
            "hostProbesAndHostLifecycle",
        ),
        # seccomp field checked from 1.19
        (
            _pod(sc="seccompProfile: {type: Unconfined}"),
            "baseline",
            "v1.18",
            "v1.19",
            "seccompProfile_baseline",
        ),
        # runAsUser: 0 forbidden from 1.23
        (_pod(pod_sc="runAsUser: 0"), "restricted", "v1.22", "v1.23", "runAsUser"),
        # allowPrivilegeEscalation required from 1.8
        (_pod(sc="allowPrivilegeEscalation: true"), "restricted", "v1.7", "v1.8", "allowPrivilegeEscalation"),
        # drop ALL required from 1.22
        (
            _pod(sc="capabilities: {drop: [NET_RAW]}"),
            "restricted",
            "v1.21",
            "v1.22",
            "capabilities_restricted",
        ),
    ],
)
def test_stricter_at_a_newer_version(text: str, level: str, before: str, after: str, check_id: str) -> None:
    assert _ids(text, level, before) == set()
    assert check_id in _ids(text, level, after)


def test_restricted_procmount_stays_strict_in_a_user_namespace() -> None:
    text = _pod(spec="hostUsers: false", sc="procMount: Unmasked")
    assert _ids(text, "restricted", "v1.34") == {"procMount"}
    assert _ids(text, "restricted", "v1.35") == {
        "procMount_restricted"
    }  # overrides the relaxed baseline check


def test_windows_pods_are_exempt_from_linux_only_restricted_checks_from_1_25() -> None:
    text = """\
        apiVersion: v1
        kind: Pod
        metadata: {name: w}
        spec:
          os: {name: windows}
          securityContext: {runAsNonRoot: true}
          containers: [{name: c, image: mcr.microsoft.com/windows/nanoserver}]
    """
    assert _ids(text, "restricted", "v1.24") == {
        "allowPrivilegeEscalation", "seccompProfile_restricted", "capabilities_restricted",
    }  # fmt: skip
    assert _ids(text, "restricted", "v1.25") == set()
    assert _ids(text.replace("windows}", "linux}"), "restricted", "v1.25") == _ids(
        text, "restricted", "v1.24"
    )


def test_overrides_apply_only_from_the_overriding_version() -> None:
    text = _pod(sc="capabilities: {add: [NET_RAW], drop: [ALL]}")
    assert _ids(text, "restricted", "v1.21") == {"capabilities_baseline"}
    assert _ids(text, "restricted", "v1.22") == {"capabilities_restricted"}
    vol = _pod(spec="volumes: [{name: h, hostPath: {path: /}}]")
    assert _ids(vol, "baseline", "v1.37") == {"hostPathVolumes"}
    assert _ids(vol, "restricted", "v1.37") == {"restrictedVolumes"}


def test_restricted_volume_defaults_and_image_volumes() -> None:
    text = _pod(
        spec="volumes: [{name: a}, {name: b, image: {reference: 'r/x:1'}}, {name: c, nfs: {server: s}}]"
    )
    found = [(c, v.path) for c, v in _text(text, "restricted", "v1.0")]
    assert found == [("restrictedVolumes", ("spec", "volumes", 2, "nfs"))]

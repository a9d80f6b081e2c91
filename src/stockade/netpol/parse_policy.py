"""A ``networking.k8s.io/v1`` NetworkPolicy object → :class:`~stockade.netpol.model.Policy`, validated as
the API server validates it (pkg/apis/networking/validation, ValidateNetworkPolicySpec) so that a policy
the cluster would reject is an error here too, with the file and line of the offending field.

Defaulting (pkg/apis/networking/v1/defaults.go, SetDefaults_NetworkPolicy): when ``policyTypes`` is absent
or empty it becomes ``[Ingress]``, plus ``Egress`` when ``spec.egress`` has at least one rule — so
``egress: []`` without ``policyTypes`` does *not* isolate egress, while ``policyTypes: [Egress]`` with no
rules does.  ``protocol`` defaults to TCP.

Rules listed for a direction that ``policyTypes`` does not name are ignored by the cluster; they are kept
out of the policy here and reported by the findings (STK-NET-0008).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from stockade.checks.kubernetes.objects import K8sObject
from stockade.model.inventory import Location
from stockade.netpol.model import EGRESS, INGRESS, IPBlock, Policy, PolicyPeer, PolicyPort, Rule
from stockade.netpol.ports import PROTOCOLS
from stockade.netpol.selectors import SelectorError, parse_selector

#: IANA_SVC_NAME (RFC 6335 §5.1) — what a named port must look like
_SVC_NAME = re.compile(r"^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
POLICY_API_VERSIONS = ("networking.k8s.io/v1", "extensions/v1beta1", "networking.k8s.io/v1beta1")

Path = tuple[str | int, ...]


class PolicyError(ValueError):
    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


def parse_policy(obj: K8sObject, namespace: str) -> tuple[Policy, list[str]]:
    """The compiled policy and its notes (host bits in a CIDR, rules for a type not in policyTypes).
    Raises PolicyError (message, path) when the API server would reject the object."""
    notes: list[str] = []
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        raise PolicyError("spec: expected a mapping", ("spec",))
    pod_selector = _selector(spec.get("podSelector"), ("spec", "podSelector"))
    raw_types = spec.get("policyTypes")
    if raw_types is None or raw_types == []:
        # SetDefaults_NetworkPolicy: Ingress always; Egress only when there are egress rules
        types = {INGRESS} | ({EGRESS} if spec.get("egress") else set())
        defaulted = True
    else:
        if not isinstance(raw_types, list):
            raise PolicyError("policyTypes: expected a list of Ingress, Egress", ("spec", "policyTypes"))
        types = set()
        for i, t in enumerate(raw_types):
            if t not in (INGRESS, EGRESS):
                raise PolicyError(
                    f"policyTypes[{i}]: {t!r} is not a policy type (expected Ingress or Egress)",
                    ("spec", "policyTypes", i),
                )
            types.add(t)
        defaulted = False
    rules: dict[str, tuple[Rule, ...]] = {}
    for direction, key, peer_key in ((INGRESS, "ingress", "from"), (EGRESS, "egress", "to")):
        raw_rules = spec.get(key)
        if raw_rules is None:
            raw_rules = []
        if not isinstance(raw_rules, list):
            raise PolicyError(f"{key}: expected a list of rules", ("spec", key))
        parsed = tuple(
            _rule(obj, direction, i, r, ("spec", key, i), peer_key, notes) for i, r in enumerate(raw_rules)
        )
        if parsed and direction not in types:
            notes.append(f"ignored-rules:{direction}")
            parsed = ()
        rules[direction] = parsed
    return (
        Policy(
            namespace=namespace,
            name=obj.name,
            pod_selector=pod_selector,
            policy_types=frozenset(types),
            ingress=rules[INGRESS],
            egress=rules[EGRESS],
            types_defaulted=defaulted,
            location=Location(obj.path, obj.line),
            raw=obj.data,
        ),
        notes,
    )


def _selector(raw: Any, at: Path) -> Any:
    try:
        return parse_selector(raw)
    except SelectorError as exc:
        raise PolicyError(f"{_dotted(at)}: {exc}", (*at, *exc.path)) from None


def _rule(
    obj: K8sObject, direction: str, index: int, raw: Any, at: Path, peer_key: str, notes: list[str]
) -> Rule:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise PolicyError(f"{_dotted(at)}: expected a rule (a mapping with {peer_key}, ports)", at)
    raw_peers = raw.get(peer_key)
    peers: tuple[PolicyPeer, ...] | None = None
    if raw_peers:  # absent or empty: every source/destination
        if not isinstance(raw_peers, list):
            raise PolicyError(f"{_dotted((*at, peer_key))}: expected a list of peers", (*at, peer_key))
        peers = tuple(_peer(p, (*at, peer_key, i), notes) for i, p in enumerate(raw_peers))
    raw_ports = raw.get("ports")
    ports: tuple[PolicyPort, ...] | None = None
    if raw_ports:  # absent or empty: every port
        if not isinstance(raw_ports, list):
            raise PolicyError(f"{_dotted((*at, 'ports'))}: expected a list of ports", (*at, "ports"))
        ports = tuple(_port(p, (*at, "ports", i)) for i, p in enumerate(raw_ports))
    return Rule(direction, index, peers, ports, obj.line_of(at))


def _peer(raw: Any, at: Path, notes: list[str]) -> PolicyPeer:
    if not isinstance(raw, dict):
        raise PolicyError(f"{_dotted(at)}: expected a peer (podSelector, namespaceSelector or ipBlock)", at)
    known = {"podSelector", "namespaceSelector", "ipBlock"}
    for key in raw:
        if key not in known:
            raise PolicyError(
                f"{_dotted(at)}: unknown field {key!r} (expected podSelector, namespaceSelector, ipBlock)",
                (*at, key),
            )
    present = {k for k in known if raw.get(k) is not None}
    if not present:
        raise PolicyError(
            f"{_dotted(at)}: must specify a peer (podSelector, namespaceSelector or ipBlock)", at
        )
    if "ipBlock" in present:
        if len(present) > 1:
            raise PolicyError(
                f"{_dotted(at)}: ipBlock may not be combined with podSelector or namespaceSelector", at
            )
        return PolicyPeer(ip_block=_ip_block(raw["ipBlock"], (*at, "ipBlock"), notes))
    pod = _selector(raw["podSelector"], (*at, "podSelector")) if "podSelector" in present else None
    ns = (
        _selector(raw["namespaceSelector"], (*at, "namespaceSelector"))
        if "namespaceSelector" in present
        else None
    )
    return PolicyPeer(pod_selector=pod, namespace_selector=ns)


def _network(text: Any, at: Path, notes: list[str]) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if not isinstance(text, str) or "/" not in text:
        raise PolicyError(f"{_dotted(at)}: {text!r} is not a CIDR (expected e.g. 10.0.0.0/16)", at)
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise PolicyError(f"{_dotted(at)}: {text!r} is not a valid CIDR ({exc})", at) from None
    if str(net) != text.strip():
        # Kubernetes validation historically accepted host bits (ParseCIDRSloppy); the address is masked
        notes.append(f"host-bits:{text}:{net}")
    return net


def _ip_block(raw: Any, at: Path, notes: list[str]) -> IPBlock:
    if not isinstance(raw, dict):
        raise PolicyError(f"{_dotted(at)}: expected a mapping with cidr and except", at)
    cidr = _network(raw.get("cidr"), (*at, "cidr"), notes)
    excepts = []
    raw_except = raw.get("except") or []
    if not isinstance(raw_except, list):
        raise PolicyError(f"{_dotted((*at, 'except'))}: expected a list of CIDRs", (*at, "except"))
    for i, e in enumerate(raw_except):
        net = _network(e, (*at, "except", i), notes)
        if net.version != cidr.version or not net.subnet_of(cidr) or net == cidr:  # type: ignore[arg-type]
            raise PolicyError(
                f"{_dotted((*at, 'except', i))}: {e} must be a strict subset of cidr {cidr}",
                (*at, "except", i),
            )
        excepts.append(net)
    return IPBlock(cidr, tuple(excepts))


def _port(raw: Any, at: Path) -> PolicyPort:
    if not isinstance(raw, dict):
        raise PolicyError(f"{_dotted(at)}: expected a port (protocol, port, endPort)", at)
    proto = raw.get("protocol")
    if proto is None:
        proto = "TCP"
    if proto not in PROTOCOLS:
        raise PolicyError(
            f"{_dotted((*at, 'protocol'))}: {proto!r} is not a protocol (expected TCP, UDP or SCTP)",
            (*at, "protocol"),
        )
    port = raw.get("port")
    if isinstance(port, bool) or (port is not None and not isinstance(port, (int, str))):
        raise PolicyError(f"{_dotted((*at, 'port'))}: expected a port number or name", (*at, "port"))
    if isinstance(port, str) and port.isdigit():
        raise PolicyError(
            f"{_dotted((*at, 'port'))}: {port!r} is a string, so the API server reads it as a port name and "
            "rejects it (a name needs a letter); write the number without quotes",
            (*at, "port"),
        )
    if isinstance(port, int) and not 1 <= port <= 65535:
        raise PolicyError(f"{_dotted((*at, 'port'))}: {port} is not between 1 and 65535", (*at, "port"))
    if isinstance(port, str) and not _SVC_NAME.match(port):
        raise PolicyError(
            f"{_dotted((*at, 'port'))}: {port!r} is not a valid port name (IANA_SVC_NAME: 1-15 lower-case "
            "letters, digits and '-')",
            (*at, "port"),
        )
    end = raw.get("endPort")
    if end is not None:
        if not isinstance(end, int) or isinstance(end, bool):
            raise PolicyError(f"{_dotted((*at, 'endPort'))}: expected a port number", (*at, "endPort"))
        if not isinstance(port, int):
            raise PolicyError(
                f"{_dotted((*at, 'endPort'))}: endPort needs a numeric port (not a named port, not absent)",
                (*at, "endPort"),
            )
        if not port <= end <= 65535:
            raise PolicyError(
                f"{_dotted((*at, 'endPort'))}: {end} must be between port ({port}) and 65535",
                (*at, "endPort"),
            )
    return PolicyPort(str(proto), port, end)


def _dotted(path: Path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out

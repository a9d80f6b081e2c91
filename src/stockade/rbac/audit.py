"""Kubernetes audit logs (``audit.k8s.io/v1`` ``Event``, one JSON object per line) → authorizer requests.

The fields used (``staging/src/k8s.io/apiserver/pkg/apis/audit/v1/types.go``):

* ``verb``: the Kubernetes verb (``get list watch create update patch delete deletecollection`` and the
  special ones); for non-resource requests, the lower-cased HTTP method;
* ``user`` (``username``, ``groups``) and ``impersonatedUser``: when a request impersonates, the request
  was authorized as the impersonated identity, and the authenticated user needed ``impersonate``;
* ``objectRef`` (``resource``, ``subresource``, ``apiGroup``, ``namespace``, ``name``): present for resource
  requests (for ``list``/``create`` without a name); absent for non-resource requests, whose path is
  ``requestURI`` without its query;
* ``stage``: one request can log ``RequestReceived``, ``ResponseStarted`` (watches), ``ResponseComplete``
  or ``Panic`` under one ``auditID``; each request is counted once;
* ``responseStatus.code`` and the ``authorization.k8s.io/decision`` annotation (``allow``/``forbid``).

A log webhook's ``EventList`` (``{"kind": "EventList", "items": [...]}``) is read too, as is
``audit.k8s.io/v1beta1`` (same fields).  A line that is not JSON, or not an Event, is a problem naming the
line; the other lines are still read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from stockade.rbac.authorizer import Request, UserInfo

API_VERSIONS = ("audit.k8s.io/v1", "audit.k8s.io/v1beta1")
MAX_LINE = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class AuditRequest:
    user: UserInfo  # the identity the request was authorized as
    request: Request
    line: int
    audit_id: str = ""
    stage: str = ""
    code: int | None = None
    decision: str | None = None  # "allow" | "forbid" (authorization.k8s.io/decision)
    impersonator: UserInfo | None = None  # the authenticated user, when impersonating
    timestamp: str = ""


@dataclass(slots=True)
class AuditLog:
    requests: list[AuditRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "FILE:LINE: what"
    lines: int = 0
    events: int = 0


def _user(data: Any) -> UserInfo | None:
    if not isinstance(data, dict):
        return None
    name = data.get("username")
    groups = data.get("groups") or []
    if not isinstance(name, str) or not isinstance(groups, list):
        return None
    return UserInfo(name, tuple(g for g in groups if isinstance(g, str)))


def parse_event(event: Any, line: int) -> AuditRequest | str:
    """One Event → a request, or the reason it is not one."""
    if not isinstance(event, dict):
        return "expected a JSON object (an audit Event)"
    if event.get("kind") != "Event" or event.get("apiVersion") not in API_VERSIONS:
        found = f"{event.get('kind')!r} {event.get('apiVersion')!r}"
        return f"expected kind Event of {API_VERSIONS[0]}, found {found}"
    verb = event.get("verb")
    if not isinstance(verb, str) or not verb:
        return "missing verb"
    user = _user(event.get("user"))
    if user is None:
        return "missing user.username"
    impersonated = _user(event.get("impersonatedUser")) if event.get("impersonatedUser") else None
    ref = event.get("objectRef")
    if isinstance(ref, dict) and isinstance(ref.get("resource"), str) and ref.get("resource"):
        req = Request(
            verb=verb,
            resource=ref["resource"],
            subresource=str(ref.get("subresource") or ""),
            api_group=str(ref.get("apiGroup") or ""),
            namespace=str(ref.get("namespace") or ""),
            name=str(ref.get("name") or ""),
        )
    else:
        uri = event.get("requestURI")
        if not isinstance(uri, str) or not uri.startswith("/"):
            return "missing objectRef and requestURI"
        req = Request(verb=verb, path=uri.split("?", 1)[0], resource_request=False)
    status = event.get("responseStatus")
    code = status.get("code") if isinstance(status, dict) else None
    annotations = event.get("annotations")
    decision = annotations.get("authorization.k8s.io/decision") if isinstance(annotations, dict) else None
    return AuditRequest(
        user=impersonated or user,
        request=req,
        line=line,
        audit_id=str(event.get("auditID") or ""),
        stage=str(event.get("stage") or ""),
        code=code if isinstance(code, int) else None,
        decision=decision if isinstance(decision, str) else None,
        impersonator=user if impersonated else None,
        timestamp=str(event.get("requestReceivedTimestamp") or event.get("timestamp") or ""),
    )


def _events(data: bytes, name: str, log: AuditLog) -> Iterator[tuple[Any, int]]:
    stripped = data.lstrip()
    if stripped.startswith(b"{") and b'"EventList"' in data[:4096]:
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            doc = None
        if isinstance(doc, dict) and doc.get("kind") == "EventList" and isinstance(doc.get("items"), list):
            log.lines = data.count(b"\n") + 1
            for item in doc["items"]:
                yield item, 1
            return
    for number, raw in enumerate(data.splitlines(), 1):
        log.lines = number
        raw = raw.strip()
        if not raw:
            continue
        try:
            yield orjson.loads(raw), number
        except orjson.JSONDecodeError as exc:
            log.problems.append(f"{name}:{number}: not JSON: {exc}")


def parse(data: bytes, name: str) -> AuditLog:
    """Every request of an audit log, each ``auditID`` once (its last stage)."""
    log = AuditLog()
    by_id: dict[str, int] = {}
    for event, line in _events(data, name, log):
        log.events += 1
        got = parse_event(event, line)
        if isinstance(got, str):
            log.problems.append(f"{name}:{line}: {got}")
            continue
        if got.audit_id:
            earlier = by_id.get(got.audit_id)
            if earlier is not None:
                log.requests[earlier] = got
                continue
            by_id[got.audit_id] = len(log.requests)
        log.requests.append(got)
    return log


def read(paths: Iterable[str], stdin: bytes | None = None) -> AuditLog:
    from stockade.errors import InputError

    total = AuditLog()
    for path in paths:
        if path == "-":
            data = stdin or b""
            name = "<stdin>"
        else:
            try:
                with open(path, "rb") as fh:
                    data = fh.read(MAX_LINE * 64)
            except OSError as exc:
                raise InputError(f"{path}: cannot read audit log: {exc.strerror or exc}") from None
            name = path
        log = parse(data, name)
        total.requests.extend(log.requests)
        total.problems.extend(log.problems)
        total.lines += log.lines
        total.events += log.events
    return total

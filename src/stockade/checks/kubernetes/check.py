"""The base of every Kubernetes object check: the kinds it is about."""

from __future__ import annotations

from typing import ClassVar

from stockade.checks.interface import Check
from stockade.checks.kubernetes.objects import POD_SPEC_PATHS, K8sObject

#: kinds that carry a pod template (Pod and the workload controllers)
WORKLOAD_KINDS: frozenset[str] = frozenset(POD_SPEC_PATHS)


class K8sCheck(Check[K8sObject]):
    """A check of Kubernetes objects.  ``KINDS`` names the kinds it can find anything in: it returns
    nothing for any other, and a scan does not call it for them (``scan.config`` indexes checks by kind)."""

    KINDS: ClassVar[frozenset[str]] = WORKLOAD_KINDS

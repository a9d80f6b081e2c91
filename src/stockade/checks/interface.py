"""The check family: a check looks at one parsed configuration object and reports violations.

Every check has a stable id (``STK-K8S-0001``, ``STK-PSS-0003``, ``STK-DF-0002``: never reused), a
severity, a title, why it matters, what to do, and references.  A check returns :class:`Violation` values
that point into the object (a path of keys, or a line); the scan turns them into findings with file and
line.  Checks never raise for odd input: a field of the wrong type is treated as absent, as the API
server's defaulting would not accept it either.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from stockade.errors import StockadeError
from stockade.model.fastinit import faster_init
from stockade.model.finding import Finding
from stockade.model.inventory import Location
from stockade.model.severity import Severity
from stockade.plugin import Plugin

T = TypeVar("T")
Path = tuple[str | int, ...]


class CheckError(StockadeError):
    """A check could not run on an object.  Becomes a status; the other checks go on."""


@faster_init
@dataclass(frozen=True, slots=True)
class Violation:
    """Where and why.  ``path`` points into a structured object (Kubernetes); ``line`` is used by checks
    of line-oriented files (Dockerfile).  ``extra`` lands in the finding's metadata."""

    message: str
    path: Path = ()
    line: int | None = None
    evidence: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


class Check(Plugin, Generic[T]):
    ID: ClassVar[str]
    SEVERITY: ClassVar[Severity]
    TITLE: ClassVar[str]
    RATIONALE: ClassVar[str] = ""
    REMEDIATION: ClassVar[str] = ""
    REFERENCES: ClassVar[tuple[str, ...]] = ()
    #: extra metadata every finding of this check carries (e.g. ``pss_level``, ``pss_control``)
    METADATA: ClassVar[dict[str, str]] = {}

    @abstractmethod
    def check(self, obj: T) -> Iterable[Violation]:
        """Violations in ``obj`` (none when it complies)."""


def to_finding(
    check: Check[Any], v: Violation, target: str, location: Location | None, meta: dict[str, Any]
) -> Finding:
    """The finding for one violation: the check's id, severity, title, remediation and references, the
    violation's message and evidence, ``meta`` (where it was found) and the check's metadata."""
    return finding_of(check, v, target, location, {**meta, **check.METADATA, **v.extra})


def finding_of(
    check: Check[Any], v: Violation, target: str, location: Location | None, metadata: dict[str, Any]
) -> Finding:
    """:func:`to_finding` with the finding's whole ``metadata`` given (made by the caller)."""
    evidence = v.message if not v.evidence else f"{v.message} ({v.evidence})"
    # positional, in Finding's field order: a configuration scan makes tens of thousands of findings, and
    # keyword arguments cost a dataclass's __init__ about twice as much (1.5-2 µs a finding here)
    return Finding(
        check.ID,  # id
        check.SEVERITY,  # severity
        check.TITLE,  # title
        target,  # target
        "check",  # kind
        location,  # location
        evidence,  # evidence
        check.REMEDIATION,  # remediation
        tuple(check.REFERENCES),  # references
        None,  # package
        metadata,  # metadata
    )

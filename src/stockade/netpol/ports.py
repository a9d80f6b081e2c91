"""Sets of (protocol, port) as a few disjoint ranges per protocol: what a rule, or a pair of pods, allows.

NetworkPolicyPort (networking.k8s.io/v1): ``protocol`` defaults to TCP; ``port`` absent matches every
port of that protocol; ``endPort`` makes ``port``..``endPort`` an inclusive range and is only valid with a
numeric ``port``.  A rule whose ``ports`` is absent or empty matches every port of every protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

PROTOCOLS = ("TCP", "UDP", "SCTP")
MIN_PORT, MAX_PORT = 1, 65535
Ranges = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class PortSet:
    """``ranges[protocol]`` is a sorted tuple of disjoint, non-adjacent inclusive ranges."""

    tcp: Ranges = ()
    udp: Ranges = ()
    sctp: Ranges = ()

    @classmethod
    def of(cls, by_proto: dict[str, Iterable[tuple[int, int]]]) -> PortSet:
        return cls(*(_normalise(by_proto.get(p, ())) for p in PROTOCOLS))

    @classmethod
    def single(cls, protocol: str, lo: int, hi: int | None = None) -> PortSet:
        return cls.of({protocol: [(lo, lo if hi is None else hi)]})

    def ranges(self, protocol: str) -> Ranges:
        return self.tcp if protocol == "TCP" else self.udp if protocol == "UDP" else self.sctp

    def __iter__(self) -> Iterator[tuple[str, Ranges]]:
        yield "TCP", self.tcp
        yield "UDP", self.udp
        yield "SCTP", self.sctp

    def __bool__(self) -> bool:
        return bool(self.tcp or self.udp or self.sctp)

    def contains(self, protocol: str, port: int) -> bool:
        return any(lo <= port <= hi for lo, hi in self.ranges(protocol))

    def union(self, other: PortSet) -> PortSet:
        if not other:
            return self
        if not self:
            return other
        return PortSet(*(_normalise((*a, *b)) for (_, a), (_, b) in zip(self, other, strict=True)))

    def intersect(self, other: PortSet) -> PortSet:
        if self is ALL or self is other:
            return other
        if other is ALL:
            return self
        if not self or not other:
            return NONE
        return PortSet(*(_intersect(a, b) for (_, a), (_, b) in zip(self, other, strict=True)))

    def subset_of(self, other: PortSet) -> bool:
        return self.intersect(other) == self

    @property
    def is_all(self) -> bool:
        return self == ALL

    def text(self) -> str:
        """``all``, ``none``, or ``80/TCP, 8000-8080/TCP, 53/UDP, all/SCTP``."""
        if self.is_all:
            return "all"
        parts: list[str] = []
        for proto, ranges in self:
            for lo, hi in ranges:
                if (lo, hi) == (MIN_PORT, MAX_PORT):
                    parts.append(f"all/{proto}")
                else:
                    parts.append(f"{lo}/{proto}" if lo == hi else f"{lo}-{hi}/{proto}")
        return ", ".join(parts) if parts else "none"


def _normalise(ranges: Iterable[tuple[int, int]]) -> Ranges:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def _intersect(a: Ranges, b: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


FULL: Ranges = ((MIN_PORT, MAX_PORT),)
ALL = PortSet(FULL, FULL, FULL)
NONE = PortSet()


def parse_port_spec(text: str) -> tuple[int, str]:
    """``80``, ``80/TCP``, ``53/udp`` → (port, PROTOCOL); ValueError with what was expected."""
    port_text, _, proto = text.strip().partition("/")
    proto = (proto or "TCP").upper()
    if proto not in PROTOCOLS:
        raise ValueError(f"{text!r}: protocol must be one of {', '.join(PROTOCOLS)}")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"{text!r}: expected PORT[/PROTOCOL], e.g. 443/TCP") from None
    if not MIN_PORT <= port <= MAX_PORT:
        raise ValueError(f"{text!r}: port must be between 1 and 65535")
    return port, proto

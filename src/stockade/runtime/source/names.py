"""Addresses → the rules' domain names, resolved ahead of time as Falco's DNS cache does.

The names come from the loaded rules (:func:`stockade.runtime.rules.names.domain_names`).  A background
thread resolves each (``getaddrinfo``, the system's resolver: ``/etc/hosts``, DNS) at start and every
:data:`REFRESH_S` seconds; :meth:`NameCache.lookup` then tells the decoder which name an address belongs to.
Until a name has resolved — or when it does not — no address carries it (the sensor says so at start).
An address two of the names resolve to carries the first of them in alphabetical order.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable

REFRESH_S = 300.0

Resolver = Callable[[str], list[str]]


def resolve(name: str) -> list[str]:
    """The IPv4 and IPv6 addresses ``name`` resolves to (none when it does not)."""
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


class NameCache:
    def __init__(self, names: Iterable[str], resolver: Resolver = resolve, refresh_s: float = REFRESH_S):
        self.names = sorted(set(names))
        self.resolver = resolver
        self.refresh_s = refresh_s
        self.by_address: dict[str, str] = {}
        self.resolved: dict[str, list[str]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> None:
        """Resolve every name now (blocking) and swap the table in whole."""
        resolved = {n: self.resolver(n) for n in self.names}
        table: dict[str, str] = {}
        for name in reversed(self.names):  # the first name in order wins a shared address
            for addr in resolved[name]:
                table[addr] = name
        self.resolved, self.by_address = resolved, table

    def start(self) -> None:
        """Resolve in the background now and every ``refresh_s`` seconds (no-op without names)."""
        if not self.names or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="stockade-names", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._stop.wait(self.refresh_s)

    def stop(self) -> None:
        self._stop.set()

    def wait_resolved(self, timeout: float) -> bool:
        """Wait until the first round of resolution is done (True), at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not self.resolved and time.monotonic() < deadline:
            time.sleep(0.05)
        return bool(self.resolved) or not self.names

    def lookup(self, address: str) -> str | None:
        return self.by_address.get(address)

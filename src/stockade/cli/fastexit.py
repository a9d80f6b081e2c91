"""Ending the ``stockade`` process without the interpreter's teardown.

At a normal exit CPython frees every object still alive, one by one, and then the modules: after a
``stockade k8s`` of the benchmark corpus (18,516 findings) that took 60-80 ms of a 0.8 s run, for memory
the kernel takes back at once anyway.  As mypy does (``mypy.util.hard_exit``), the installed command ends
with ``os._exit`` once its output is flushed; the clean-ups a normal exit would run still run first:
``atexit`` handlers (``tempfile``'s and ``weakref.finalize``'s, ``logging``'s), and a thread that a normal
exit would wait for makes it a normal exit.  Tests that call ``main(argv)`` in their own process get the
normal exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading

#: what a command's result holds (findings, statuses …), left for the process's exit to free
LEFT_FOR_EXIT: list[object] = []


def leave(obj: object) -> None:
    """Keep ``obj`` alive until the process ends (freed by the kernel, not object by object)."""
    LEFT_FOR_EXIT.append(obj)


def exit_now(code: int) -> None:
    """End the process with ``code`` after the exit's clean-ups, without freeing objects; returns only
    when a normal exit is needed (a non-daemon thread still runs: the normal exit waits for it)."""
    main = threading.main_thread()
    if any(t is not main and t.is_alive() and not t.daemon for t in threading.enumerate()):
        return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # (a reader that went away, a closed stream: nothing more can be written)
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)

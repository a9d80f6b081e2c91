"""A small pool of forked worker processes, without threads.

``multiprocessing.Pool`` runs a task-handler and a result-handler thread in the parent; on a 2-CPU
machine their work and their fight for the GIL cost the parent ~0.2 CPU-seconds per host scan, which
the workers then miss.  Here the parent itself writes each task to an idle worker's pipe and waits on
the workers' result pipes with a selector: one pickle each way per task, nothing else.

Workers are forked, so they inherit everything the parent set up (catalogers, the target) and only
tasks and results are pickled.  One task at a time per worker: the parent writes only to an idle
worker and reads only finished results, so neither side can block on a full pipe while the other does.
A worker that dies, or a task that raises, fails the whole run with a :class:`WorkerError`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import signal
import struct
from collections.abc import Callable
from typing import Any, cast

from stockade.errors import StockadeError

_LEN = struct.Struct("<Q")

Task = tuple[str, tuple[Any, ...]]


class WorkerError(StockadeError):
    """A worker process failed: it raised, or it died."""


def default_jobs() -> int:
    """Worker processes to use by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return 1


def _write(fd: int, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LEN.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read(fd: int) -> object:
    head = _read_exact(fd, _LEN.size)
    (size,) = _LEN.unpack(head)
    return pickle.loads(_read_exact(fd, size))


def _read_exact(fd: int, size: int) -> bytes:
    parts: list[bytes] = []
    left = size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _worker_main(task_fd: int, result_fd: int, work: Callable[[str, tuple[Any, ...]], object]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    while True:
        try:
            task = _read(task_fd)
        except EOFError:
            return
        if task is None:
            return
        kind, args = cast("Task", task)
        try:
            result: object = ("ok", work(kind, args))
        except BaseException as exc:
            import traceback  # (only for a failure: its import is a few ms of every run)

            result = ("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}")
        _write(result_fd, result)


def run(
    jobs: int,
    work: Callable[[str, tuple[Any, ...]], object],
    next_task: Callable[[], Task | None],
    on_result: Callable[[str, object], None],
    *,
    parent_works: bool = False,
) -> None:
    """Run tasks on ``jobs`` forked workers until ``next_task`` has nothing and no worker is busy.

    ``work(kind, args)`` runs in a worker; ``on_result(kind, result)`` runs in the parent and may make
    new tasks available to ``next_task``.  With ``parent_works`` the parent is one of the ``jobs``: it
    forks one worker fewer and runs a task itself whenever no worker has a result waiting (its results
    are not pickled at all — worth it where results are large and tasks are small).
    """
    if parent_works:
        jobs -= 1
    workers: list[tuple[int, int, int]] = []  # (pid, task fd, result fd)
    selector = selectors.DefaultSelector()
    finished = False
    try:
        for _ in range(jobs):
            task_r, task_w = os.pipe()
            result_r, result_w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker
                code = 0
                try:
                    os.close(task_w)
                    os.close(result_r)
                    for _, fd_t, fd_r in workers:
                        os.close(fd_t)
                        os.close(fd_r)
                    _worker_main(task_r, result_w, work)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            os.close(task_r)
            os.close(result_w)
            workers.append((pid, task_w, result_r))
        busy: dict[int, str] = {}  # result fd → kind of the task running there
        idle = [(task_w, result_r) for _, task_w, result_r in workers]
        by_result = {result_r: task_w for _, task_w, result_r in workers}
        for _, _, result_r in workers:
            selector.register(result_r, selectors.EVENT_READ)
        while True:
            while idle:
                task = next_task()
                if task is None:
                    break
                task_w, result_r = idle.pop()
                _write(task_w, task)
                busy[result_r] = task[0]
            if not busy and not parent_works:
                finished = True
                return
            ready = selector.select(timeout=0 if parent_works else None) if busy else []
            if parent_works and not ready:
                task = next_task()
                if task is not None:
                    on_result(task[0], work(*task))
                    continue
                if not busy:
                    finished = True
                    return
                ready = selector.select()
            for key, _ in ready:
                fd = key.fd
                assert isinstance(fd, int)
                try:
                    message = _read(fd)
                except EOFError:
                    raise WorkerError("a worker process died") from None
                status, payload = cast("tuple[str, object]", message)
                kind = busy.pop(fd)
                idle.append((by_result[fd], fd))
                if status == "error":
                    raise WorkerError(f"a worker failed: {payload}")
                on_result(kind, payload)
    finally:
        selector.close()
        for pid, task_w, result_r in workers:
            if not finished:  # an error or an interrupt: a busy worker may never be read again
                os.kill(pid, signal.SIGKILL)
            else:
                with contextlib.suppress(OSError):
                    _write(task_w, None)
            for fd in (task_w, result_r):
                with contextlib.suppress(OSError):
                    os.close(fd)
        for pid, _, _ in workers:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)

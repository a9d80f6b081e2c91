"""The fork pool: results come back whole, failures fail the run, no worker is left behind."""

from __future__ import annotations

import os
from collections import deque
from typing import Any

import pytest

from stockade._internal import forkpool


def children() -> set[int]:
    path = f"/proc/{os.getpid()}/task/{os.getpid()}/children"
    try:
        with open(path) as fh:
            return {int(p) for p in fh.read().split()}
    except OSError:
        return set()


def run(jobs: int, tasks: list[tuple[str, tuple[Any, ...]]], work: Any) -> list[tuple[str, object]]:
    queue = deque(tasks)
    got: list[tuple[str, object]] = []
    forkpool.run(jobs, work, lambda: queue.popleft() if queue else None, lambda k, r: got.append((k, r)))
    return got


def square(kind: str, args: tuple[Any, ...]) -> object:
    if kind == "big":
        return b"x" * args[0]
    return args[0] * args[0]


def test_results_and_follow_up_tasks() -> None:
    before = children()
    queue = deque([("n", (i,)) for i in range(50)])
    results: list[object] = []

    def on_result(kind: str, result: object) -> None:
        results.append(result)
        if result == 49 * 49:
            queue.append(("n", (1000,)))  # a result may create more work

    forkpool.run(3, square, lambda: queue.popleft() if queue else None, on_result)
    assert sorted(results) == sorted([i * i for i in range(50)] + [1000 * 1000])  # type: ignore[type-var]
    assert children() == before  # every worker was reaped


def test_results_larger_than_a_pipe() -> None:
    got = run(2, [("big", (5_000_000,)), ("big", (3,)), ("big", (200_000,))], square)
    assert sorted(len(r) for _, r in got) == [3, 200_000, 5_000_000]  # type: ignore[arg-type]


def fail(kind: str, args: tuple[Any, ...]) -> object:
    if args[0] == 3:
        raise ValueError("bad input 3")
    return args[0]


def test_a_failing_task_fails_the_run_and_leaves_no_worker() -> None:
    before = children()
    with pytest.raises(forkpool.WorkerError, match="ValueError: bad input 3"):
        run(2, [("n", (i,)) for i in range(10)], fail)
    assert children() == before


def die(kind: str, args: tuple[Any, ...]) -> object:
    if args[0] == 2:
        os._exit(9)
    return args[0]


def test_a_dying_worker_fails_the_run() -> None:
    before = children()
    with pytest.raises(forkpool.WorkerError, match="died"):
        run(2, [("n", (i,)) for i in range(6)], die)
    assert children() == before


def where(kind: str, args: tuple[Any, ...]) -> object:
    import time

    time.sleep(0.002)
    return (args[0], os.getpid())


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_parent_works_alongside_its_workers(jobs: int) -> None:
    before = children()
    queue = deque([("n", (i,)) for i in range(60)])
    got: list[Any] = []
    forkpool.run(
        jobs,
        where,
        lambda: queue.popleft() if queue else None,
        lambda k, r: got.append(r),
        parent_works=True,
    )
    assert sorted(n for n, _ in got) == list(range(60))  # every task once
    pids = {pid for _, pid in got}
    assert os.getpid() in pids  # the parent ran some itself
    assert len(pids) == jobs  # with one worker fewer
    assert children() == before


def test_parent_works_failures_still_fail_the_run() -> None:
    before = children()
    queue = deque([("n", (i,)) for i in range(10)])
    with pytest.raises((forkpool.WorkerError, ValueError), match="bad input 3"):
        forkpool.run(
            2, fail, lambda: queue.popleft() if queue else None, lambda k, r: None, parent_works=True
        )
    assert children() == before

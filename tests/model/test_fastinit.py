"""``faster_init`` (model/fastinit.py) builds what the dataclass's own ``__init__`` builds: same fields for
every way of calling it, the same errors, still frozen."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest

from stockade.checks.interface import Violation
from stockade.model.fastinit import faster_init
from stockade.model.finding import Finding
from stockade.model.inventory import Location
from stockade.model.severity import Severity


def _plain_twin(cls: type) -> type:
    """``cls`` as the dataclass decorator alone makes it (its generated __init__)."""
    spec = [(f.name, f.type, f) for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(
        f"Plain{cls.__name__}",
        [(n, t, dataclasses.field(default=f.default, default_factory=f.default_factory))  # type: ignore[call-overload]
         if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING else (n, t)
         for n, t, f in spec],
        frozen=True, slots=True,
    )  # fmt: skip


CALLS: list[tuple[type, tuple[Any, ...], dict[str, Any]]] = [
    (Location, ("a.yaml",), {}),
    (Location, ("a.yaml", 3), {}),
    (Location, ("a.yaml",), {"layer": "sha256:x", "line": 9}),
    (Violation, ("msg",), {}),
    (Violation, ("msg", ("spec", 0)), {"evidence": "e", "extra": {"k": 1}}),
    (Finding, ("STK-1", Severity.HIGH, "t", "x"), {}),
    (Finding, ("STK-1", Severity.LOW, "t", "x", "check", Location("p", 1), "e", "f", ("r",), None, {}), {}),
    (Finding, ("CVE-1", Severity.CRITICAL, "t", "x"), {"package": "pkg:deb/a@1", "vulnerability": {"k": 1}}),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "args", "kwargs"), CALLS)
def test_the_same_fields_as_the_dataclass_init(
    cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    fast, plain = cls(*args, **kwargs), _plain_twin(cls)(*args, **kwargs)
    names = [f.name for f in dataclasses.fields(cls)]
    assert [getattr(fast, n) for n in names] == [getattr(plain, n) for n in names]
    assert fast == cls(*args, **kwargs) and hash(fast) == hash(cls(*args, **kwargs))
    assert pickle.loads(pickle.dumps(fast)) == fast
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.__setattr__(names[0], "changed")


def test_default_factories_give_a_new_value_each_time() -> None:
    a, b = Violation("m"), Violation("m")
    assert a.extra == {} and a.extra is not b.extra
    f1, f2 = Finding("i", Severity.LOW, "t", "x"), Finding("i", Severity.LOW, "t", "x")
    assert f1.metadata is not f2.metadata


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), (("a", 1, None, "extra"), {}), (("a",), {"nope": 1}), (("a",), {"path": "b"})],
)
def test_wrong_calls_raise_type_error_as_before(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        Location(*args, **kwargs)
    with pytest.raises(TypeError):
        _plain_twin(Location)(*args, **kwargs)


def test_unsupported_classes_are_refused() -> None:
    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(frozen=True, slots=True)
    class PostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True, slots=True)
    class KwOnly:
        a: int = field(kw_only=True)

    for cls in (NoSlots, PostInit, KwOnly):
        with pytest.raises(TypeError):
            faster_init(cls)


def test_metadata_is_written_sorted_whatever_order_it_was_made_in() -> None:
    made = [{"b": 1, "a": 2}, {"a": 2, "b": 1}, {"z": 0}, {"field": "f", "kind": "Pod", "rendered_from": "t"}]
    for _ in range(2):  # (the second time from the memo of key orders)
        for meta in made:
            out = Finding("i", Severity.LOW, "t", "x", metadata=meta).to_dict()["metadata"]
            assert list(out) == sorted(meta) and out == meta and out is not meta

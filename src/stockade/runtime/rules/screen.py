"""A replay's memo of events that match no rule, read from their JSON lines without decoding them.

Most events of a recorded stream repeat, in the fields the rules look at, events seen before: opens of
the same libraries, the same tools spawned from the same shells.  The C module (``_screen.c``) keeps, per
event type, what the engine needed to know about an event that matched nothing, and answers later lines
from the bytes of their JSON, so that only the lines it cannot answer are decoded and evaluated.

Why the memo is exact: the engine's verdict on an event is a function of the event's values, read
through ``get``, ``[]`` and ``in``.  A line the memo does not know is evaluated on a :class:`Recorder`,
which notes every top-level key the evaluation reads (present or absent: an absent key read is part of
the answer too).  When no rule matched, the line's bytes under exactly those keys are stored: an event of
the same type with the same bytes there is read the same way, takes the same path through the same
deterministic code (derived fields are computed from keys, and recorded through them), and matches
nothing either.  Equal bytes decode to equal values; different bytes for one value (``1.0`` and ``1``,
spacing) only miss the memo.  A nested value is compared whole.  Not learnt: an evaluation that read
the event whole (iterated it), and one that raised (the engine's ``errors`` went up: such events are
evaluated every time, so the count stays what it was).

One refinement: a key whose field every rule only compares, by ``=``, ``!=``, ``<``…, ``in`` or
``exists``, with integer constants, and no rule's output prints (upstream's ``never_true`` is
``evt.num = 0``, and ``evt.num`` is unique per event), is stored by where its value falls among those
constants (:func:`abstractions`), for a canonical JSON integer; it must be a plain key that no derivation
reads (:data:`~.extract.DERIVED_READS`).  For an integer, those comparisons depend on nothing else
(``compile.py``: ``v == k``, ``v != k``, ``v < k`` for an ``int``).  The same for a field that is the
difference of two keys (``proc.duration``: ``evt.time`` less ``proc.start_ts``, which upstream's
``proc_is_new`` compares with 5 s; ``evt.time`` is unique per event): where the rules read the two keys
through it alone, the memo stores the first by where the difference falls among the constants and the
second as "a positive integer" (:func:`differences`); otherwise the evaluation paths through it would
never repeat.

The outputs of a line's rules are learnt the same way, field by field (``pieces.py``): for each
``%field`` of the rules' outputs (and the alert's host), the keys its formatting read (on a fresh
:class:`Recorder`) and what it made, in a memo of its own per field.  With a *program* per list of rules
(the bytes of their alerts' lines around the time and the fields' pieces, checked against a line the
engine wrote), the C module writes the alerts of a line whose rules and fields it knows, with an integer
``evt.time`` (which it reads), itself: such a line is not decoded, and a new combination of values seen
before needs no Python.

What lines the C module answers, and when it stops learning a type that rarely repeats: ``_screen.c``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stockade.runtime.rules.compile import NUMERIC, CompileError, coerce
from stockade.runtime.rules.extract import DERIVED_READS, DIFFERENCES, KEY_READERS, extractor
from stockade.runtime.rules.fields import FIELDS
from stockade.runtime.rules.grammar.ast import (
    BinaryCheck,
    Field,
    ListRef,
    ListValue,
    UnaryCheck,
    Value,
    fields_of,
    walk,
)
from stockade.runtime.rules.ruleset import Ruleset

try:  # built where a compiler was at install time (setup.py)
    from stockade.runtime.rules import _screen
except ImportError:  # pragma: no cover - exercised where no compiler was found
    _screen = None  # type: ignore[assignment]

NATIVE = _screen is not None

_COMPARE = frozenset(["=", "==", "!=", "<", "<=", ">", ">=", "in"])


class _PyRecorderBase(dict):  # type: ignore[type-arg]
    """What ``_screen.RecorderBase`` does in C, where the C module was not built."""

    __slots__ = ("seen",)

    def __init__(self, ev: dict[str, Any]) -> None:
        super().__init__(ev)
        self.seen: dict[Any, None] = {}

    def get(self, key: Any, default: Any = None) -> Any:
        self.seen[key] = None
        return dict.get(self, key, default)

    def __getitem__(self, key: Any) -> Any:
        self.seen[key] = None
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        self.seen[key] = None
        return dict.__contains__(self, key)

    def sorted_keys(self) -> tuple[str, ...] | None:
        if not all(k.__class__ is str for k in self.seen):
            return None
        return tuple(sorted(self.seen))


_RecorderBase: Any = _screen.RecorderBase if NATIVE else _PyRecorderBase


class Recorder(_RecorderBase):  # type: ignore[misc]
    """An event that notes the top-level keys read from it (``seen``, in order: ``get``, ``[]`` and ``in``
    in C), and whether it was read whole (iterated, copied: ``whole``), in which case its reads say
    nothing."""

    __slots__ = ("whole",)

    def __init__(self, ev: dict[str, Any]) -> None:
        super().__init__(ev)
        self.whole = False

    def _all(self) -> None:
        self.whole = True

    def __iter__(self) -> Iterator[Any]:
        self._all()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._all()
        return dict.__len__(self)

    def keys(self) -> Any:
        self._all()
        return dict.keys(self)

    def values(self) -> Any:
        self._all()
        return dict.values(self)

    def items(self) -> Any:
        self._all()
        return dict.items(self)

    def copy(self) -> dict[str, Any]:
        self._all()
        return dict(dict.items(self))

    def pop(self, key: Any, *default: Any) -> Any:
        self.seen[key] = None
        return dict.pop(self, key, *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self.seen[key] = None
        return dict.setdefault(self, key, default)

    def keys_read(self) -> tuple[str, ...] | None:
        """The keys read, sorted (one order per key set), or None when they do not tell (read whole, or
        a key that is not text)."""
        return None if self.whole else self.sorted_keys()


def abstractions(ruleset: Ruleset) -> dict[str, tuple[int, ...]]:
    """Keys the memo may store by where their integer value falls among the constants the rules compare
    them with (see the module): per key, those constants, sorted."""
    # a field an output prints is read for its value, not compared
    refused: set[str] = {
        name.split("[", 1)[0] for rule in ruleset.rules for name, _get in rule.formatter.fields
    }
    consts = _constants(ruleset, refused, plain=True)
    return {k: tuple(sorted(v)) for k, v in sorted(consts.items())}


def differences(ruleset: Ruleset) -> dict[str, tuple[str, str, tuple[int, ...]]]:
    """Fields that are the difference of two keys (:data:`~.extract.DIFFERENCES`: ``proc.duration``) whose
    keys the memo may store by where the difference falls among the constants the rules compare it with
    (see the module): per field, (minuend, subtrahend, those constants, sorted).  Only where every check
    naming the field compares it with integer constants, and no rule names another field that reads
    either key (their own plain fields included: :data:`~.extract.KEY_READERS`)."""
    named = {f.name for rule in ruleset.rules for ast in rule.asts.values() for f in fields_of(ast)}
    refused = named - set(DIFFERENCES)
    out: dict[str, tuple[str, str, tuple[int, ...]]] = {}
    claimed: set[str] = set()
    for name, values in sorted(_constants(ruleset, refused, plain=False).items()):
        a, b = DIFFERENCES[name]
        readers = ({a, b} | KEY_READERS.get(a, frozenset()) | KEY_READERS.get(b, frozenset())) - {name}
        if readers & named or {a, b} & claimed:
            continue
        claimed |= {a, b}
        out[name] = (a, b, tuple(sorted(values)))
    return out


def _constants(ruleset: Ruleset, refused: set[str], plain: bool) -> dict[str, set[int]]:
    """Per field the rules' checks only compare with integer constants (:func:`_compared`), those
    constants; fields in ``refused`` (to which the others are added) are not looked at."""
    consts: dict[str, set[int]] = {}
    for rule in ruleset.rules:
        for ast in rule.asts.values():
            for node in walk(ast):
                if not isinstance(node, (UnaryCheck, BinaryCheck)):
                    continue
                for f in fields_of(node):
                    name = f.name
                    if name in refused:
                        continue
                    values = _compared(node, f, plain)
                    if values is None:
                        refused.add(name)
                        consts.pop(name, None)
                    else:
                        consts.setdefault(name, set()).update(values)
    return consts


def _compared(node: UnaryCheck | BinaryCheck, f: Field, plain: bool = True) -> list[int] | None:
    """The integer constants ``node`` compares the numeric field ``f`` with (none for ``exists``): a plain
    key, or (not ``plain``) a difference field; None when ``f`` is read any other way there."""
    spec = FIELDS.get(f.name)
    if spec is None or spec.type not in NUMERIC or f.arg is not None or node.left != f:
        return None
    if plain:
        if f.name in DERIVED_READS:
            return None
        x = extractor(f.name, None)
        if x.key != f.name or x.multi:
            return None
    elif f.name not in DIFFERENCES:
        return None
    if isinstance(node, UnaryCheck):
        return [] if node.op == "exists" else None
    if node.op not in _COMPARE or node.modifier is not None:
        return None
    r = node.right
    texts: list[Value | ListRef]
    if isinstance(r, Value):
        texts = [r]
    elif isinstance(r, ListValue):
        texts = list(r.items)
    elif isinstance(r, ListRef) and node.op == "in":
        texts = [r]
    else:
        return None
    out = []
    for v in texts:
        text = v.text if isinstance(v, Value) else v.name
        try:
            n = coerce(text, spec.type, v.pos, f.name)
        except CompileError:
            return None
        if n.__class__ is not int or not -(2**63) <= n < 2**63:
            return None
        out.append(n)
    return out


def new_screen(ruleset: Ruleset) -> Any:
    """A C memo for ``ruleset``'s engine, or None where the C module was not built."""
    if not NATIVE:
        return None
    s = _screen.Screen()
    for key, values in abstractions(ruleset).items():
        s.abstract(key, values)
    for minuend, subtrahend, values in differences(ruleset).values():
        s.difference(minuend, subtrahend, values)
    return s

"""The condition AST: one frozen node type per production of the libsinsp filter grammar.

Every node carries ``pos``, the :class:`Loc` (file, line, column) of its first character in the rules
file it came from — macros keep the position of their own definition after expansion, so an error inside
a macro names the macro's line, not the rule's.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Loc:
    """A position in a rules file; ``line``/``column`` are 1-based, 0 when unknown."""

    file: str = ""
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file or "<condition>"
        return f"{self.file or '<condition>'}:{self.line}:{self.column}"


NOWHERE = Loc()


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Expr, ...]
    pos: Loc = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Expr, ...]
    pos: Loc = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    child: Expr
    pos: Loc = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Ident:
    """A bare identifier in boolean position: a macro reference."""

    name: str
    pos: Loc = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Field:
    """``name`` or ``name[arg]``."""

    name: str
    arg: str | None = None
    pos: Loc = field(default=NOWHERE, compare=False)

    def text(self) -> str:
        return self.name if self.arg is None else f"{self.name}[{self.arg}]"


@dataclass(frozen=True, slots=True)
class Value:
    """A literal: a (unquoted) string or number as written.  ``quoted`` tells a quoted string apart."""

    text: str
    quoted: bool = False
    pos: Loc = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class ListValue:
    """``(a, b, c)``: items are literal values; a bare item naming a list is expanded by the resolver."""

    items: tuple[Value, ...]
    pos: Loc = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class ListRef:
    """An identifier on the right of a list operator (``proc.name in shell_binaries``)."""

    name: str
    pos: Loc = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Transform:
    """``tolower(x)``, ``len(x)``, ``join(",", (a, b))``, … and ``val(field)`` (name ``"val"``)."""

    name: str
    args: tuple[Operand, ...]
    arg: str | None = None  # the trailing ``[arg]`` of the grammar's FieldTransformerTail
    pos: Loc = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class TransformList:
    """A parenthesised argument list inside a transformer (grammar: TransformerList)."""

    items: tuple[Operand, ...]
    pos: Loc = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class UnaryCheck:
    left: Field | Transform
    op: str  # "exists"
    pos: Loc = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class BinaryCheck:
    left: Field | Transform
    op: str  # "=", "==", "!=", "<", "<=", ">", ">=", "contains", ..., "in", "intersects", "pmatch"
    right: Value | ListValue | ListRef | Transform
    modifier: str | None = None  # "oneof" | "anyof" | "allof" after a string operator
    pos: Loc = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Const:
    """A constant truth value: produced by folding (``evt.type`` known), never by the parser."""

    value: bool
    pos: Loc = field(default=NOWHERE, compare=False)


Operand = Field | Transform | Value | TransformList
Expr = And | Or | Not | Ident | UnaryCheck | BinaryCheck | Const


def walk(node: Expr) -> list[Expr]:
    """Every boolean node of ``node``, depth first (checks included; operands are not expressions)."""
    out: list[Expr] = []
    stack: list[Expr] = [node]
    while stack:
        n = stack.pop()
        out.append(n)
        if isinstance(n, (And, Or)):
            stack.extend(reversed(n.children))
        elif isinstance(n, Not):
            stack.append(n.child)
    return out


def fields_of(node: Expr) -> list[Field]:
    """Every field a condition reads, left and right (``val()``, transformer arguments) included."""
    out: list[Field] = []

    def operand(o: object) -> None:
        if isinstance(o, Field):
            out.append(o)
        elif isinstance(o, Transform):
            for a in o.args:
                operand(a)
        elif isinstance(o, TransformList):
            for a in o.items:
                operand(a)

    for n in walk(node):
        if isinstance(n, (UnaryCheck, BinaryCheck)):
            operand(n.left)
        if isinstance(n, BinaryCheck):
            operand(n.right)
    return out

"""Recursive-descent parser of Falco conditions: libsinsp's filter grammar, production for production.

Grammar (libsinsp ``filter/parser.h``; the verbatim text is ``../shared/rules/falco/
libsinsp-filter-grammar.txt``)::

    Expr        ::= OrExpr
    OrExpr      ::= AndExpr ('or' OrExprTail)*          OrExprTail  ::= ' ' AndExpr | '(' Expr ')'
    AndExpr     ::= NotExpr ('and' AndExprTail)*        AndExprTail ::= ' ' NotExpr | '(' Expr ')'
    NotExpr     ::= ('not ')* NotExprTail               NotExprTail ::= 'not(' Expr ')' | Check
    Check       ::= Field Condition | FieldTransformer Condition | Identifier | '(' Expr ')'
    Condition   ::= UnaryOperator | NumOperator (NumValue | FieldTransformerOrVal)
                  | StrOperator (StrValue | FieldTransformerOrVal) | StrOperator StrOperatorModifier ListValue
                  | ListOperator (ListValue | FieldTransformerOrVal)
    ListValue   ::= '(' (StrValue (',' StrValue)*)* ')' | Identifier

So ``and`` binds tighter than ``or``, ``not`` tighter than both, and a chain of ``not`` toggles.  Error
messages are libsinsp's, with the position of the token that failed.  Recursion is capped at depth 100,
as upstream.
"""

from __future__ import annotations

from collections.abc import Callable

from stockade.runtime.rules.grammar import lexer as lx
from stockade.runtime.rules.grammar.ast import (
    NOWHERE,
    And,
    BinaryCheck,
    Expr,
    Field,
    Ident,
    ListRef,
    ListValue,
    Loc,
    Not,
    Operand,
    Or,
    Transform,
    TransformList,
    UnaryCheck,
    Value,
)

MAX_DEPTH = 100


class ConditionSyntaxError(Exception):
    """A condition that does not parse; ``loc`` is where the parser stopped."""

    def __init__(self, message: str, loc: Loc) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc


def _quote_list(items: tuple[str, ...]) -> str:
    return ", ".join(f"'{i}'" for i in items)


class Parser:
    def __init__(self, text: str, locate: Callable[[int], Loc] | None = None) -> None:
        self.c = lx.Cursor(text)
        self.locate = locate or (lambda i: Loc("", 1, i + 1))
        self.depth = 0

    # -- helpers ---------------------------------------------------------------------------------------
    def _pos(self) -> Loc:
        return self.locate(self.c.idx)

    def _fail(self, message: str) -> ConditionSyntaxError:
        return ConditionSyntaxError(message, self._pos())

    def _enter(self) -> None:
        self.depth += 1
        if self.depth >= MAX_DEPTH:
            raise self._fail(f"exceeded max depth limit of {MAX_DEPTH}")

    def _leave(self) -> None:
        self.depth -= 1

    # -- productions -----------------------------------------------------------------------------------
    def parse(self) -> Expr:
        if not self.c.text:
            raise ConditionSyntaxError("filter input string is empty", self.locate(0))
        res = self._or()
        if not self.c.at_end():
            raise self._fail(f"unexpected token after '{self.c.last}', expecting 'or', 'and'")
        return res

    def _or(self) -> Expr:
        self._enter()
        c = self.c
        c.blank()
        pos = self._pos()
        children = [self._and()]
        c.blank()
        while c.lit("or"):
            if not c.blank():
                if c.lit("("):
                    children.append(self._embedded())
                else:
                    raise self._fail("expected blank or '(' after 'or'")
            else:
                children.append(self._and())
            c.blank()
        self._leave()
        return Or(tuple(children), pos) if len(children) > 1 else children[0]

    def _and(self) -> Expr:
        self._enter()
        c = self.c
        c.blank()
        pos = self._pos()
        children = [self._not()]
        c.blank()
        while c.lit("and"):
            if not c.blank():
                if c.lit("("):
                    children.append(self._embedded())
                else:
                    raise self._fail("expected blank or '(' after 'and'")
            else:
                children.append(self._not())
            c.blank()
        self._leave()
        return And(tuple(children), pos) if len(children) > 1 else children[0]

    def _not(self) -> Expr:
        self._enter()
        c = self.c
        c.blank()
        pos = self._pos()
        negate = False
        while c.rgx(lx.RGX_NOT_BLANK):
            negate = not negate
        if c.lit("not("):
            negate = not negate
            child = self._embedded()
        else:
            child = self._check()
        self._leave()
        return Not(child, pos) if negate else child

    def _embedded(self) -> Expr:
        """The rest of ``'(' Expr ')'`` once the ``(`` is read."""
        self._enter()
        self.c.blank()
        child = self._or()
        self.c.blank()
        if not self.c.lit(")"):
            raise self._fail("expected a ')' token")
        self._leave()
        return child

    def _check(self) -> Expr:
        self._enter()
        c = self.c
        c.blank()
        pos = self._pos()
        if c.lit("("):
            res = self._embedded()
        elif c.rgx(lx.RGX_FIELD_NAME):
            res = self._condition(self._field_rest(c.last, pos), pos)
        elif c.one_of(lx.TRANSFORMERS):
            res = self._condition(self._transformer_rest(c.last[:-1], pos), pos)
        elif c.rgx(lx.RGX_IDENTIFIER):
            res = Ident(c.last, pos)
        else:
            raise self._fail("expected a '(' token, a field check, or an identifier")
        self._leave()
        return res

    def _field_rest(self, name: str, pos: Loc) -> Field:
        c = self.c
        if not c.lit("["):
            return Field(name, None, pos)
        if not self._quoted() and not c.rgx(lx.RGX_FIELD_ARG_BARE):
            raise self._fail("expected a valid field argument: a quoted string or a bare string")
        arg = c.last
        if not c.lit("]"):
            raise self._fail("expected a ']' token")
        return Field(name, arg, pos)

    def _quoted(self) -> bool:
        try:
            return self.c.quoted()
        except lx.EscapeError as exc:
            raise self._fail(str(exc)) from None

    def _transformer_rest(self, name: str, pos: Loc) -> Transform:
        """FieldTransformerTail: ``arg (',' arg)* ')' ('[' FieldArg ']')?`` once ``name(`` is read."""
        self._enter()
        c = self.c
        args = [self._transformer_arg()]
        c.blank()
        while c.lit(","):
            args.append(self._transformer_arg())
            c.blank()
        if not c.lit(")"):
            raise self._fail("expected a ')' token closing the transformer")
        arg: str | None = None
        if c.lit("["):
            if not self._quoted() and not c.rgx(lx.RGX_FIELD_ARG_BARE):
                raise self._fail("expected a valid field argument: a quoted string or a bare string")
            arg = c.last
            if not c.lit("]"):
                raise self._fail("expected a ']' token")
        self._leave()
        return Transform(name, tuple(args), arg, pos)

    def _transformer_arg(self) -> Operand:
        """FieldTransformerArg ::= FieldTransformer | Field | QuotedStr | NumValue | TransformerList."""
        c = self.c
        c.blank()
        pos = self._pos()
        if c.one_of(lx.TRANSFORMERS):
            return self._transformer_rest(c.last[:-1], pos)
        if c.rgx(lx.RGX_FIELD_NAME):
            return self._field_rest(c.last, pos)
        if self._quoted():
            return Value(c.last, True, pos)
        if c.rgx(lx.RGX_HEX_NUM) or c.rgx(lx.RGX_NUMBER):
            return Value(c.last, False, pos)
        if c.lit("("):
            items: list[Operand] = []
            c.blank()
            if not c.lit(")"):
                items.append(self._transformer_list_arg())
                c.blank()
                while c.lit(","):
                    items.append(self._transformer_list_arg())
                    c.blank()
                if not c.lit(")"):
                    raise self._fail("expected a ')' token closing the transformer list")
            return TransformList(tuple(items), pos)
        raise self._fail(
            "expected a field, a nested transformer, a quoted string, a number or a list: "
            + _quote_list(lx.TRANSFORMER_NAMES)
        )

    def _transformer_list_arg(self) -> Operand:
        """TransformerListArg ::= Field | FieldTransformer | QuotedStr | NumValue."""
        c = self.c
        c.blank()
        pos = self._pos()
        if c.one_of(lx.TRANSFORMERS):
            return self._transformer_rest(c.last[:-1], pos)
        if c.rgx(lx.RGX_FIELD_NAME):
            return self._field_rest(c.last, pos)
        if self._quoted():
            return Value(c.last, True, pos)
        if c.rgx(lx.RGX_HEX_NUM) or c.rgx(lx.RGX_NUMBER):
            return Value(c.last, False, pos)
        raise self._fail("expected a field, a transformer, a quoted string or a number in the list")

    def _condition(self, left: Field | Transform, pos: Loc) -> Expr:
        self._enter()
        c = self.c
        c.blank()
        if c.one_of(lx.UNARY_OPS):
            self._leave()
            return UnaryCheck(left, c.last.strip(), pos)
        c.blank()
        modifier: str | None = None
        right: Value | ListValue | ListRef | Transform
        if c.one_of(lx.NUM_OPS):
            op = c.last
            right = self._num_value_or_transformer()
        elif c.one_of(lx.STR_OPS):
            op = c.last.strip()
            c.blank()
            if c.one_of(lx.STR_OP_MODIFIERS):
                modifier = c.last.strip()
                right = self._list_value(allow_transformer=False)
            else:
                right = self._str_value_or_transformer()
        elif c.one_of(lx.LIST_OPS):
            op = c.last
            right = self._list_value(allow_transformer=True)
        else:
            raise self._fail("expected a valid check operator: one of " + _quote_list(lx.ALL_OPERATORS))
        self._leave()
        return BinaryCheck(left, op, right, modifier, pos)

    def _transformer_or_val(self) -> Transform | None:
        c = self.c
        c.blank()
        pos = self._pos()
        if c.lit(lx.TRANSFORMER_VAL):
            c.blank()
            fpos = self._pos()
            if not c.rgx(lx.RGX_FIELD_NAME):
                raise self._fail("expected a field within 'val' transformer")
            fld = self._field_rest(c.last, fpos)
            c.blank()
            if not c.lit(")"):
                raise self._fail("expected a ')' token closing the transformer")
            return Transform("val", (fld,), None, pos)
        if c.one_of(lx.TRANSFORMERS):
            return self._transformer_rest(c.last[:-1], pos)
        return None

    def _num_value_or_transformer(self) -> Value | Transform:
        self.c.blank()
        pos = self._pos()
        t = self._transformer_or_val()
        if t is not None:
            return t
        if self.c.rgx(lx.RGX_HEX_NUM) or self.c.rgx(lx.RGX_NUMBER):
            return Value(self.c.last, False, pos)
        raise self._fail(
            "expected a number value or a field with a valid transformer: "
            + _quote_list(lx.TRANSFORMER_NAMES)
        )

    def _str_value(self) -> Value | None:
        c = self.c
        c.blank()
        pos = self._pos()
        if self._quoted():
            return Value(c.last, True, pos)
        if c.rgx(lx.RGX_BARE_STR):
            return Value(c.last, False, pos)
        return None

    def _str_value_or_transformer(self) -> Value | Transform:
        self.c.blank()
        t = self._transformer_or_val()
        if t is not None:
            return t
        v = self._str_value()
        if v is None:
            raise self._fail(
                "expected a string value or a field with a valid transformer: "
                + _quote_list(lx.TRANSFORMER_NAMES)
            )
        return v

    def _list_value(self, *, allow_transformer: bool) -> ListValue | ListRef | Transform:
        c = self.c
        c.blank()
        pos = self._pos()
        if c.lit("("):
            c.blank()
            items: list[Value] = []
            first = self._str_value()
            if first is not None:
                items.append(first)
                c.blank()
                while c.lit(","):
                    v = self._str_value()
                    if v is None:
                        raise self._fail("expected a string value")
                    items.append(v)
                    c.blank()
            if not c.lit(")"):
                raise self._fail("expected a ')' token")
            return ListValue(tuple(items), pos)
        if allow_transformer:
            t = self._transformer_or_val()
            if t is not None:
                return t
        if c.rgx(lx.RGX_IDENTIFIER):
            return ListRef(c.last, pos)
        raise self._fail(
            "expected a list, an identifier, or a field with a valid transformer: "
            + _quote_list(lx.TRANSFORMER_NAMES)
        )


def parse(text: str, locate: Callable[[int], Loc] | None = None) -> Expr:
    """Parses one condition; raises :class:`ConditionSyntaxError` with the failing position."""
    return Parser(text, locate).parse()


__all__ = ["NOWHERE", "ConditionSyntaxError", "Parser", "parse"]

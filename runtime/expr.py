"""Compiling IR expression nodes (docs/ir.md "Expressions") into Python closures, once, at load time.

Each node becomes a ``CNode``: ``fn(env)`` evaluates it against the environment (a list indexed by slot:
inputs, then counters, then definitions), and the node keeps its structure (kind, children, table) so
the trace can later walk only the branches an evaluation actually took, without slowing ``fn`` down.

Sentinel rule: any operation with a sentinel operand returns it, the leftmost first, and never looks
further; ``if`` with a known condition evaluates only the chosen branch; ``and``/``or`` follow Kleene
logic (a false conjunct / true disjunct decides, even beside a sentinel).
"""

from __future__ import annotations

import datetime as _dt
import operator
from fractions import Fraction
from operator import itemgetter
from typing import Any, Callable, Optional

from . import messages as M
from .ir import IRError
from .values import Sentinel, half_up_ratio, parse_rate_text, round_half_up

Fn = Callable[[list], Any]

LITERAL_KEYS = ("money", "rate", "count", "bool", "date", "enum")
SHAPE_KEYS = LITERAL_KEYS + ("ref", "open", "na", "op")
BINARY = ("add", "sub", "mul", "div", "eq", "ne", "lt", "le", "gt", "ge", "date_diff", "date_add", "date_sub")
ARITY = {"sub": 2, "div": 2, "date_diff": 2, "date_add": 2, "date_sub": 2, "eq": 2, "ne": 2, "lt": 2, "le": 2, "gt": 2, "ge": 2, "neg": 1, "round": 1,
         "not": 1, "known": 1, "clamp": 3, "if": 3, "in": 1}
MIN_ARITY = {"add": 2, "mul": 2, "min": 1, "max": 1, "and": 1, "or": 1, "count_of": 1}


class CNode:
    """A compiled expression node. ``fn`` is all evaluation uses; the rest serves the trace walker and the
    code generator (``data``: a literal's or sentinel's value, an ``in`` node's member set)."""

    __slots__ = ("fn", "kind", "args", "name", "table", "data")

    def __init__(self, fn: Fn, kind: str, args: tuple = (), name: Optional[str] = None, table: Any = None,
                 data: Any = None) -> None:
        self.fn = fn
        self.kind = kind
        self.args = args
        self.name = name
        self.table = table
        self.data = data


class Scope:
    """What an expression may see where it stands: names visible so far, the rule's article for
    sentinels, and (inside an exception) the definition's own name, which means "the value so far"."""

    def __init__(self, program: Any, visible: frozenset, article: Optional[str], self_name: Optional[str] = None,
                 owner: Optional[str] = None, key: Optional[tuple] = None) -> None:
        self.program = program
        self.visible = visible
        self.article = article
        self.self_name = self_name
        self.owner = owner  # a table name while compiling that table's cells
        self.key = key      # the cell's key, for naming an open or 不适用 cell


def compile_expr(node: Any, scope: Scope, where: str) -> CNode:
    if not isinstance(node, dict):
        raise IRError(M.text('ir.expression_not_object', where=where, __name__=type(node).__name__))
    shapes = [k for k in SHAPE_KEYS if k in node]
    if len(shapes) != 1:
        raise IRError(M.text('ir.unknown_node', where=where, listed=', '.join(sorted(node))))
    shape = shapes[0]
    if shape in LITERAL_KEYS:
        value = literal_value(node, scope.program, where)
        return CNode(lambda env, v=value: v, "lit", name=shape, data=value)
    if shape == "ref":
        return _compile_ref(node, scope, where)
    if shape in ("open", "na"):
        return _compile_sentinel(node, shape, scope, where)
    return _compile_op(node, scope, where)


# ── leaves ────────────────────────────────────────────────────────────────────────────────────


def literal_value(node: dict, program: Any, where: str) -> Any:
    """The Python value of a literal node: fen int, Fraction rate, int count, bool, date or member name."""
    if "money" in node:
        v = node["money"]
        if isinstance(v, bool) or not isinstance(v, int):
            raise IRError(M.text('ir.money_not_fen', where=where, v=v))
        return v
    if "rate" in node:
        try:
            return parse_rate_text(node["rate"])
        except ValueError as exc:
            raise IRError(M.text('ir.bad_literal', where=where, exc=exc)) from None
    if "count" in node:
        v = node["count"]
        if isinstance(v, bool) or not isinstance(v, int):
            raise IRError(M.text('ir.count_not_integer', where=where, v=v))
        return v
    if "bool" in node:
        if not isinstance(node["bool"], bool):
            raise IRError(M.text('ir.bool_not_bool', where=where))
        return node["bool"]
    if "date" in node:
        try:
            return _dt.date.fromisoformat(node["date"])
        except (TypeError, ValueError):
            raise IRError(M.text('ir.bad_date_literal', where=where, item=node['date'])) from None
    return program.member(node.get("enum"), node.get("member"), where)


def _compile_ref(node: dict, scope: Scope, where: str) -> CNode:
    name = node["ref"]
    program = scope.program
    if name == scope.self_name:
        slot = program.slot_of[name]
        return CNode(itemgetter(slot), "self", name=name)
    if name not in program.slot_of:
        raise IRError(M.text('ir.unknown_name', where=where, name=name))
    if program.kind_of[name] == "definition" and name not in scope.visible:
        raise IRError(M.text('ir.name_defined_later', where=where, name=name))
    return CNode(itemgetter(program.slot_of[name]), "ref", name=name)


def _compile_sentinel(node: dict, shape: str, scope: Scope, where: str) -> CNode:
    name = node[shape]
    if not isinstance(name, str):
        raise IRError(M.text('ir.sentinel_name', where=where, shape=shape))
    if scope.owner is not None and scope.key is not None and name == scope.owner:
        name = f"{name}[{','.join(scope.key)}]"
    article, reason = scope.article, node.get("reason")
    declared = scope.program.open_values.get(name)
    if declared is not None:
        article = article or declared.get("article")
        reason = reason or declared.get("reason")
    value = Sentinel(shape, name, article, reason)
    return CNode(lambda env, v=value: v, shape, name=name, data=value)


# ── operations ────────────────────────────────────────────────────────────────────────────────


def _compile_op(node: dict, scope: Scope, where: str) -> CNode:
    op = node["op"]
    raw = node.get("args")
    if not isinstance(raw, list):
        raise IRError(M.text('ir.op_without_args', where=where, op=op))
    if op in ARITY and len(raw) != ARITY[op]:
        raise IRError(M.text('ir.op_arity', where=where, op=op, item=ARITY[op], len=len(raw)))
    if op in MIN_ARITY and len(raw) < MIN_ARITY[op]:
        raise IRError(M.text('ir.op_too_few_args', where=where, op=op, item=MIN_ARITY[op]))
    args = tuple(compile_expr(a, scope, f"{where}.args[{i}]") for i, a in enumerate(raw))
    if op == "lookup":
        return _compile_lookup(node, args, scope, where)
    if op == "in":
        return _compile_in(node, args, scope, where)
    if op == "known":
        if args[0].kind != "ref":
            raise IRError(M.text('ir.known_needs_input', where=where))
        return CNode(_known(args[0].fn), op, args)
    if op == "round" and args[0].kind in ("mul", "div") and len(args[0].args) == 2:
        inner = args[0]
        fused = _round_of_product if inner.kind == "mul" else _round_of_quotient
        return CNode(fused(inner.args[0].fn, inner.args[1].fn), op, args)
    factory = _FACTORIES.get(op)
    if factory is None:
        raise IRError(M.text('ir.unknown_op', where=where, op=op))
    return CNode(factory(*[a.fn for a in args]) if op in BINARY or op in ARITY else factory([a.fn for a in args]),
                 op, args)


def _compile_in(node: dict, args: tuple, scope: Scope, where: str) -> CNode:
    members = node.get("members")
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise IRError(M.text('ir.in_needs_members', where=where))
    allowed = frozenset(members)
    fa = args[0].fn

    def f(env):
        a = fa(env)
        if a.__class__ is Sentinel:
            return a
        return a in allowed
    return CNode(f, "in", args, data=allowed)


def _compile_lookup(node: dict, args: tuple, scope: Scope, where: str) -> CNode:
    name = node.get("table")
    table = scope.program.tables.get(name)
    if table is None:
        raise IRError(M.text('ir.lookup_unknown_table', where=where, name=name))
    if len(args) != len(table.dims):
        raise IRError(M.text('ir.lookup_key_count', where=where, name=name, len=len(table.dims), len2=len(args)))
    late = sorted(table.refs - scope.visible)
    if late:
        raise IRError(M.text('ir.cell_reads_later_name', where=where, name=name, item=late[0]))
    cells = table.cell_fns
    if len(args) == 1:
        fk = args[0].fn

        def f(env):
            k = fk(env)
            if k.__class__ is Sentinel:
                return k
            return cells[(k,)](env)
    else:
        fks = [a.fn for a in args]

        def f(env):
            key = []
            for fk in fks:
                k = fk(env)
                if k.__class__ is Sentinel:
                    return k
                key.append(k)
            return cells[tuple(key)](env)
    return CNode(f, "lookup", args, name=name, table=table)


def _binary(combine: Callable[[Any, Any], Any]) -> Callable[[Fn, Fn], Fn]:
    def factory(fa: Fn, fb: Fn) -> Fn:
        def f(env):
            a = fa(env)
            if a.__class__ is Sentinel:
                return a
            b = fb(env)
            if b.__class__ is Sentinel:
                return b
            return combine(a, b)
        return f
    return factory


def _unary(apply: Callable[[Any], Any]) -> Callable[[Fn], Fn]:
    def factory(fa: Fn) -> Fn:
        def f(env):
            a = fa(env)
            if a.__class__ is Sentinel:
                return a
            return apply(a)
        return f
    return factory


def _count_of(fns: list) -> Fn:
    """``个数(…)``: how many conditions hold; like any strict operation, the leftmost sentinel wins."""
    def f(env):
        n = 0
        for fn in fns:
            v = fn(env)
            if v.__class__ is Sentinel:
                return v
            n += v is True
        return n
    return f


def _known(fa: Fn) -> Fn:
    """``有 X``: false exactly when the optional input X is absent; never a sentinel itself."""
    def f(env):
        a = fa(env)
        return not (a.__class__ is Sentinel and a.kind == "missing")
    return f


def divide(a: Any, b: Any) -> Any:
    """``div`` on two known operands: a zero divisor gives the divzero sentinel (YR06 where it is needed)."""
    if b == 0:
        return Sentinel("divzero", "除数为零")
    return Fraction(a) / b


def date_diff(a: Any, b: Any) -> Any:
    """``date_diff``: the days from ``b`` to ``a``, a count."""
    return (a - b).days


def date_add(a: Any, days: Any) -> Any:
    """``date_add``: the date ``days`` later; past the calendar's end (year 9999) the range sentinel (YR06)."""
    try:
        return a + _dt.timedelta(days=days)
    except OverflowError:
        return Sentinel("range", "日期超出范围")


def date_sub(a: Any, days: Any) -> Any:
    """``date_sub``: the date ``days`` earlier, as ``date_add`` of the negated count."""
    return date_add(a, -days)


def half_up_product(a: Any, b: Any) -> Any:
    """A ``round`` node over ``mul(a, b)``, in integer arithmetic: the hottest pattern (fen × rate), and the exact product is
    never materialised as a normalised Fraction."""
    if a.__class__ is int:
        if b.__class__ is int:
            return a * b
        return half_up_ratio(a * b.numerator, b.denominator)
    if b.__class__ is int:
        return half_up_ratio(a.numerator * b, a.denominator)
    return half_up_ratio(a.numerator * b.numerator, a.denominator * b.denominator)


def half_up_quotient(a: Any, b: Any) -> Any:
    """A ``round`` node over ``div(a, b)``, in integer arithmetic; a zero divisor gives the divzero sentinel as ``div`` does."""
    if b == 0:
        return Sentinel("divzero", "除数为零")
    an, ad = (a, 1) if a.__class__ is int else (a.numerator, a.denominator)
    bn, bd = (b, 1) if b.__class__ is int else (b.numerator, b.denominator)
    n, d = an * bd, ad * bn
    return half_up_ratio(-n, -d) if d < 0 else half_up_ratio(n, d)


def _round_of_product(fa: Fn, fb: Fn) -> Fn:
    return _binary(half_up_product)(fa, fb)


def _round_of_quotient(fa: Fn, fb: Fn) -> Fn:
    return _binary(half_up_quotient)(fa, fb)


def _fold(fns: list, combine: Callable[[Any, Any], Any]) -> Fn:
    """A left fold over two or more operands (n-ary add/mul), leftmost sentinel first."""
    if len(fns) == 2:
        return _binary(combine)(fns[0], fns[1])

    def f(env):
        acc = fns[0](env)
        if acc.__class__ is Sentinel:
            return acc
        for fn in fns[1:]:
            b = fn(env)
            if b.__class__ is Sentinel:
                return b
            acc = combine(acc, b)
        return acc
    return f


def _extreme(pick: Callable) -> Callable[[list], Fn]:
    def factory(fns: list) -> Fn:
        def f(env):
            values = []
            for fn in fns:
                v = fn(env)
                if v.__class__ is Sentinel:
                    return v
                values.append(v)
            return pick(values)
        return f
    return factory


def _clamp(fx: Fn, flo: Fn, fhi: Fn) -> Fn:
    def f(env):
        x = fx(env)
        if x.__class__ is Sentinel:
            return x
        lo = flo(env)
        if lo.__class__ is Sentinel:
            return lo
        hi = fhi(env)
        if hi.__class__ is Sentinel:
            return hi
        return min(max(x, lo), hi)
    return f


def _if(fc: Fn, ft: Fn, fe: Fn) -> Fn:
    def f(env):
        c = fc(env)
        if c is True:
            return ft(env)
        if c is False:
            return fe(env)
        return c  # a sentinel condition: neither branch can be chosen
    return f


def _and(fns: list) -> Fn:
    def f(env):
        unknown = None
        for fn in fns:
            v = fn(env)
            if v is False:
                return False  # Kleene: a false conjunct decides even beside an unknown one
            if v.__class__ is Sentinel and unknown is None:
                unknown = v
        return True if unknown is None else unknown
    return f


def _or(fns: list) -> Fn:
    def f(env):
        unknown = None
        for fn in fns:
            v = fn(env)
            if v is True:
                return True
            if v.__class__ is Sentinel and unknown is None:
                unknown = v
        return False if unknown is None else unknown
    return f


_FACTORIES: dict = {
    # the closures are the specification (the generated code is the fast path): no hand-specialised copies
    "add": lambda *fns: _fold(list(fns), operator.add),
    "sub": _binary(operator.sub),
    "mul": lambda *fns: _fold(list(fns), lambda a, b: a * b),
    "div": _binary(divide),
    "eq": _binary(lambda a, b: a == b),
    "ne": _binary(lambda a, b: a != b),
    "lt": _binary(lambda a, b: a < b),
    "le": _binary(lambda a, b: a <= b),
    "gt": _binary(lambda a, b: a > b),
    "ge": _binary(lambda a, b: a >= b),
    "date_diff": _binary(date_diff),
    "date_add": _binary(date_add),
    "date_sub": _binary(date_sub),
    "neg": _unary(lambda a: -a),
    "round": _unary(round_half_up),
    "not": _unary(lambda a: not a),
    "min": _extreme(min),
    "max": _extreme(max),
    "clamp": _clamp,
    "count_of": lambda fns: _count_of(fns),
    "if": _if,
    "and": _and,
    "or": _or,
}

"""Types and units for the check pass, and the expression typer. Package-private: ``check.check`` drives it.

A bare number (``NumberLit``) has no unit of its own: it takes money (in yuan) or a count from the
expression around it. The typer infers ``NUMBER`` for it first and *settles* it when the context is
known, recording the unit per literal so the lowering can emit fen or a count.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Callable, Optional

import attrs

from . import ast as A
from ._program import CounterSym, DefKind, Input, MemberBinding, Program, SelfBinding, ValueBinding, children, table_cells, walk
from .diagnostics import Diagnostic, diag, word


class Unit(enum.Enum):
    MONEY = "money"  # whole fen
    EXACT = "exact"  # exact money: a product or quotient before 四舍五入
    RATE = "rate"
    COUNT = "count"
    DATE = "date"
    BOOL = "bool"
    ENUM = "enum"
    NUMBER = "number"  # a bare number whose unit the context has not fixed yet
    ANY = "any"  # unknown: an earlier diagnostic explains it, so no further complaints


@attrs.frozen
class Ty:
    unit: Unit
    vocabulary: Optional[str] = None  # for ENUM; None while a member name is ambiguous

    def describe(self) -> str:
        if self.unit is Unit.ENUM:
            return word("type.enum", vocabulary=self.vocabulary or "?")
        return word(f"type.{self.unit.value}")


MONEY, EXACT, RATE, COUNT = Ty(Unit.MONEY), Ty(Unit.EXACT), Ty(Unit.RATE), Ty(Unit.COUNT)
DATE, BOOL, NUMBER, ANY = Ty(Unit.DATE), Ty(Unit.BOOL), Ty(Unit.NUMBER), Ty(Unit.ANY)

_BASE = {
    A.BaseType.MONEY: MONEY, A.BaseType.RATE: RATE, A.BaseType.COUNT: COUNT,
    A.BaseType.DATE: DATE, A.BaseType.BOOL: BOOL, A.BaseType.FLAG: BOOL,
}

M, E, R, C, D = Unit.MONEY, Unit.EXACT, Unit.RATE, Unit.COUNT, Unit.DATE
_ADD = {(M, M): M, (R, R): R, (C, C): C, (E, M): E, (M, E): E, (E, E): E}
_MUL = {(M, R): E, (R, M): E, (E, R): E, (R, E): E, (R, R): R, (C, M): M, (M, C): M, (C, E): E, (E, C): E, (C, C): C, (C, R): R, (R, C): R}
_DIV = {(M, R): E, (M, C): E, (E, R): E, (E, C): E, (R, R): R}
# dates: a date minus a date is a count of days; a date plus or minus a count of days is a date
_DATE_ADD = {(D, C): D, (C, D): D}
_DATE_SUB = {(D, D): C, (D, C): D}
_ARITH = {A.BinaryOp.ADD: {**_ADD, **_DATE_ADD}, A.BinaryOp.SUB: {**_ADD, **_DATE_SUB}, A.BinaryOp.MUL: _MUL,
          A.BinaryOp.DIV: _DIV}
# the IR operation of each date arithmetic (docs/ir.md), and whether its operands swap so that the date
# comes first: the lowering emits these instead of add/sub
_DATE_OPS = {(A.BinaryOp.SUB, D, D): ("date_diff", False), (A.BinaryOp.ADD, D, C): ("date_add", False),
             (A.BinaryOp.ADD, C, D): ("date_add", True), (A.BinaryOp.SUB, D, C): ("date_sub", False)}
_ORDERED = {M, E, R, C, D}
_NUMERIC = {M, E, R, C}
MAX_YEARS = 60  # rows of one 按年度 value: its IR chain stays well inside runtime/limits.py's expression depth
_ARITY = {A.Func.MIN: "args.at_least_two", A.Func.MAX: "args.at_least_two", A.Func.CLAMP: "args.three", A.Func.ROUND: "args.one",
          A.Func.COUNT_OF: "args.at_least_one"}


def type_of_ref(program: Program, typeref: Optional[A.TypeRef]) -> Ty:
    """The type a declaration wrote; ANY when it names no vocabulary (resolve reported that)."""
    if typeref is None:
        return ANY
    if typeref.base is not None:
        return _BASE[typeref.base]
    vocab = program.vocabulary(typeref.vocabulary or "")
    return Ty(Unit.ENUM, vocab.name) if vocab else ANY


def compatible(a: Ty, b: Ty) -> bool:
    """Whether two values of these types may be compared or stand in each other's place."""
    if Unit.ANY in (a.unit, b.unit):
        return True
    if {a.unit, b.unit} <= {M, E}:
        return True
    return a == b


def _arity_ok(func: A.Func, n: int) -> bool:
    if func is A.Func.COUNT_OF:
        return n >= 1
    return n >= 2 if func in (A.Func.MIN, A.Func.MAX) else n == (3 if func is A.Func.CLAMP else 1)


def _number_text(value: Decimal) -> str:
    return format(value, "f")


def _whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


class Typer:
    """Infers the type of expressions, settles bare numbers, and picks vocabulary members by context."""

    def __init__(self, program: Program, diagnostics: list[Diagnostic], name_type: Callable[[str], Ty],
                 settle_name: Callable[[str, Unit], None]) -> None:
        self.program = program
        self.diagnostics = diagnostics
        self.name_type = name_type
        self.settle_name = settle_name  # a definition of bare numbers takes the unit of its first use
        self.literal_units: dict[A.NumberLit, Unit] = {}
        self.members: dict[A.NameRef, tuple[str, str]] = {}
        self.excused: set[A.NameRef] = set()  # member names already reported or beside an unknown type
        self.open_hints: dict[str, Ty] = {}
        self.date_ops: dict[A.Binary, tuple[str, bool]] = {}  # date arithmetic: IR operation, operands swapped

    def report(self, code: str, span: A.Span, **kw) -> None:
        self.diagnostics.append(diag(code, span, **kw))

    # ── entry points used by the checker ──

    def infer(self, e: A.Expr) -> Ty:
        return _DISPATCH[type(e)](self, e)

    def condition(self, e: A.Expr) -> None:
        """``e`` must be a truth value (YB304)."""
        t = self.infer(e)
        if t.unit not in (Unit.BOOL, Unit.ANY):
            self.report("YB304", e.span, actual=t.describe())

    def conform(self, e: A.Expr, actual: Ty, wanted: Ty, name: str, where: str) -> None:
        """``e`` (of type ``actual``) stands where ``wanted`` is declared: settle, pick, or report."""
        self.hint(e, wanted)
        if Unit.ANY in (actual.unit, wanted.unit):
            return
        if wanted.unit is Unit.NUMBER:
            return self._conform_to_number(actual, name, e)
        if actual.unit is Unit.NUMBER:
            return self._conform_number(e, wanted, name)
        if wanted.unit is Unit.ENUM and actual.unit is Unit.ENUM and self._is_member(e):
            self.fit(e, wanted.vocabulary)
        elif wanted.unit is Unit.MONEY and actual.unit is Unit.EXACT:
            self.report("YB303", e.span, where=word(where))
        elif not (actual == wanted or (wanted.unit is Unit.EXACT and actual.unit is Unit.MONEY)):
            self.report("YB302", e.span, name=name, declared=wanted.describe(), actual=actual.describe())

    def _conform_to_number(self, actual: Ty, name: str, e: A.Expr) -> None:
        """``name`` is a definition of bare numbers: a value with a unit beside it fixes that unit."""
        if actual.unit in _NUMERIC:
            self.settle_name(name, actual.unit)
        elif actual.unit is not Unit.NUMBER:
            self.report("YB302", e.span, name=name, declared=NUMBER.describe(), actual=actual.describe())

    def _conform_number(self, e: A.Expr, wanted: Ty, name: str) -> None:
        if wanted.unit in (M, E, C, R):
            self.settle(e, wanted.unit)
        else:
            self.report("YB302", e.span, name=name, declared=wanted.describe(), actual=NUMBER.describe())

    def settle(self, e: A.Expr, unit: Unit) -> None:
        """Give every bare number in ``e`` (an expression typed NUMBER) the unit its context needs."""
        if isinstance(e, A.NumberLit):
            self._settle_literal(e, unit)
        elif isinstance(e, A.NameRef):
            binding = self.program.bindings.get(e)
            if isinstance(binding, (ValueBinding, SelfBinding)):
                self.settle_name(binding.target if isinstance(binding, SelfBinding) else binding.name, unit)
        elif isinstance(e, A.Binary) and e.op is A.BinaryOp.MUL:
            self.settle(e.left, C if unit in (M, E) else unit)
            self.settle(e.right, unit)
        elif isinstance(e, A.Binary) and e.op is A.BinaryOp.DIV:
            self.settle(e.left, unit)
            self.settle(e.right, C)
        elif isinstance(e, (A.Binary, A.Unary, A.Call)):
            for child in children(e):
                self.settle(child, unit)
        elif isinstance(e, A.IfExpr):
            self.settle(e.then, unit)
            self.settle(e.otherwise, unit)
        elif isinstance(e, A.ByYear):
            for child in children(e)[1:]:  # the values, not the date
                self.settle(child, unit)

    def _settle_literal(self, e: A.NumberLit, unit: Unit) -> None:
        if e in self.literal_units:
            return  # settled by its own context already; a wider settle passing over it changes nothing
        if unit is R:
            self.report("YB307", e.span, text=_number_text(e.value))
            return
        unit = M if unit is E else unit
        if unit is M and not _whole(e.value * 100):
            self.report("YB306", e.span, text=_number_text(e.value))
        elif unit is not M and not _whole(e.value):
            self.report("YB311", e.span, text=_number_text(e.value))
        self.literal_units[e] = unit if unit is M else C

    def fit(self, ref: A.NameRef, vocabulary: Optional[str]) -> None:
        """Pick the member ``ref`` names in ``vocabulary`` (YB204 when it is not one of its members)."""
        binding = self.program.bindings.get(ref)
        if not isinstance(binding, MemberBinding) or vocabulary is None:
            return
        found = [c for c in binding.candidates if c[0] == vocabulary]
        if found:
            self.members[ref] = found[0]
        else:
            self.members.pop(ref, None)
            self.excused.add(ref)
            self.report("YB204", ref.span, name=ref.name, vocabulary=vocabulary)

    def excuse(self, e: A.Expr) -> None:
        if self._is_member(e):
            self.excused.add(e)

    def _is_member(self, e: A.Expr) -> bool:
        return isinstance(e, A.NameRef) and isinstance(self.program.bindings.get(e), MemberBinding)

    def hint(self, e: A.Expr, t: Ty) -> None:
        """An untyped definition whose type is still unknown (an open value declared without a type, or
        a name that only reads one) takes the type of what it stands beside."""
        if not isinstance(e, A.NameRef) or t.unit in (Unit.ANY, Unit.NUMBER):
            return
        binding = self.program.bindings.get(e)
        if isinstance(binding, ValueBinding):
            sym = self.program.definition(binding.name)
            if sym is not None and sym.declared is None and self.name_type(sym.name).unit is Unit.ANY:
                self.open_hints.setdefault(sym.name, Ty(M) if t.unit is E else t)

    def quietly(self, e: A.Expr) -> Ty:
        """Infer again, once more is known, without repeating any diagnostic."""
        kept, self.diagnostics = self.diagnostics, []
        try:
            return self.infer(e)
        finally:
            self.diagnostics = kept

    # ── leaves ──

    def _money(self, e: A.MoneyLit) -> Ty:
        if not _whole(e.yuan * 100):
            self.report("YB306", e.span, text=f"{_number_text(e.yuan)}元")
        return MONEY

    def _name(self, e: A.NameRef) -> Ty:
        binding = self.program.bindings.get(e)
        if binding is None:
            return ANY
        if isinstance(binding, MemberBinding):
            return self._member(e, binding)
        return self.name_type(binding.target if isinstance(binding, SelfBinding) else binding.name)

    def _member(self, e: A.NameRef, binding: MemberBinding) -> Ty:
        if len(binding.candidates) == 1:
            self.members[e] = binding.candidates[0]
            return Ty(Unit.ENUM, binding.candidates[0][0])
        return Ty(Unit.ENUM, None)

    def _lookup(self, e: A.Lookup) -> Ty:
        sym = self.program.definition(e.name)
        known = sym is not None or e.name in self.program.params
        if known and (sym is None or sym.kind is not DefKind.TABLE):
            dim = e.overrides[0][0] if e.overrides else ""
            self.report("YB406", e.span, name=e.name, dimension=dim)
        table = sym if sym is not None and sym.kind is DefKind.TABLE else None
        for dim, key in e.overrides:
            self._override(e, table, dim, key)
        return self.name_type(e.name) if known else ANY

    def _override(self, e: A.Lookup, table, dim: str, key: A.Expr) -> None:
        kt = self.infer(key)
        vocab = self.program.vocabulary(dim)
        if vocab is None:
            self.report("YB210", e.span, name=dim)
        elif table is not None and table.dims_ok and vocab.name not in table.dims:
            self.report("YB407", e.span, name=e.name, dimension=dim, dims=word("list.sep").join(table.dims))
        elif self._is_member(key):
            self.fit(key, vocab.name)
            return
        elif kt.unit is not Unit.ANY and kt != Ty(Unit.ENUM, vocab.name):
            self.report("YB301", key.span, left=Ty(Unit.ENUM, vocab.name).describe(), op=word("op.eq"), right=kt.describe())
        self.excuse(key)  # already reported, or beside an unknown table: no second complaint

    # ── operators ──

    def _binary(self, e: A.Binary) -> Ty:
        if e.op in (A.BinaryOp.AND, A.BinaryOp.OR):
            self.condition(e.left)
            self.condition(e.right)
            return BOOL
        lt, rt = self.infer(e.left), self.infer(e.right)
        self.hint(e.left, rt)
        self.hint(e.right, lt)
        if e.op in _ARITH:
            return self._arith(e, lt, rt)
        return self._compare(e, lt, rt)

    def _arith(self, e: A.Binary, lt: Ty, rt: Ty) -> Ty:
        lt, rt = self._adapt(e.op, e.left, lt, e.right, rt)
        if Unit.ANY in (lt.unit, rt.unit):
            # a sum keeps the known side's unit; a product's unit needs both sides, so it is unknown too
            # (money × rate of an unknown would otherwise read as a rate and cascade: YB309 after YB301)
            unknown = Unit.NUMBER in (lt.unit, rt.unit) or e.op in (A.BinaryOp.MUL, A.BinaryOp.DIV)
            return ANY if unknown else (rt if lt.unit is Unit.ANY else lt)
        if lt.unit is rt.unit is Unit.NUMBER:
            return NUMBER
        result = _ARITH[e.op].get((lt.unit, rt.unit))
        if result is None:
            self.report("YB301", e.span, left=lt.describe(), op=word(f"op.{e.op.value}"), right=rt.describe())
            return ANY
        date_op = _DATE_OPS.get((e.op, lt.unit, rt.unit))
        if date_op is not None:
            self.date_ops[e] = date_op
        return Ty(result)

    def _compare(self, e: A.Binary, lt: Ty, rt: Ty) -> Ty:
        lt, rt = self._adapt(e.op, e.left, lt, e.right, rt)
        ordering = e.op not in (A.BinaryOp.EQ, A.BinaryOp.NE)
        if Unit.ENUM in (lt.unit, rt.unit) and not ordering:
            self._enum_pair(e.left, lt, e.right, rt, e.op.value)
        elif not compatible(lt, rt) or (ordering and not {lt.unit, rt.unit} <= _ORDERED | {Unit.ANY, Unit.NUMBER}):
            self.report("YB301", e.span, left=lt.describe(), op=word(f"op.{e.op.value}"), right=rt.describe())
        elif lt.unit is rt.unit is Unit.NUMBER:
            self.settle(e, C)  # two bare numbers compared: nothing says money, so they count
        return BOOL

    def _enum_pair(self, le: A.Expr, lt: Ty, re: A.Expr, rt: Ty, op: str) -> None:
        """Two sides of ``=``/``≠`` (or two branches) where one is a vocabulary value."""
        if Unit.ANY in (lt.unit, rt.unit):
            self.excuse(le)
            self.excuse(re)
            return
        if lt.unit is not Unit.ENUM or rt.unit is not Unit.ENUM:
            self.report("YB301", le.span, left=lt.describe(), op=word(f"op.{op}"), right=rt.describe())
            return
        wanted = rt.vocabulary if self._is_member(le) and not self._is_member(re) else lt.vocabulary
        for side, t in ((le, lt), (re, rt)):
            if self._is_member(side):
                self.fit(side, wanted or t.vocabulary)
            elif wanted and t.vocabulary != wanted:
                self.report("YB301", side.span, left=lt.describe(), op=word(f"op.{op}"), right=rt.describe())

    def _adapt(self, op: A.BinaryOp, le: A.Expr, lt: Ty, re: A.Expr, rt: Ty) -> tuple[Ty, Ty]:
        """When exactly one operand is a bare number, settle it by the other operand and the operator."""
        if (lt.unit is Unit.NUMBER) == (rt.unit is Unit.NUMBER) or Unit.ANY in (lt.unit, rt.unit):
            return lt, rt
        if lt.unit is Unit.NUMBER:
            unit = self._fraction_is_rate(op, le, _number_unit(op, rt.unit, on_left=True))
            self.settle(le, unit)
            return Ty(unit), rt
        unit = self._fraction_is_rate(op, re, _number_unit(op, lt.unit, on_left=False))
        self.settle(re, unit)
        return lt, Ty(unit)

    def _fraction_is_rate(self, op: A.BinaryOp, e: A.Expr, unit: Unit) -> Unit:
        """A factor that would count but is not whole (``费用 × 0.9``) is a rate missing its %: say so."""
        factor = op in (A.BinaryOp.MUL, A.BinaryOp.DIV)
        return R if factor and unit is C and not self._whole_numbers(e, set()) else unit

    def _whole_numbers(self, e: A.Expr, seen: set) -> bool:
        """Every bare number in ``e`` (and in the bare-number definitions it reads) is whole."""
        for node in walk(e):
            if isinstance(node, A.NumberLit) and not _whole(node.value):
                return False
            sym = self._number_definition(node, seen)
            if sym is not None and not all(self._whole_numbers(x, seen) for x in _bodies(sym)):
                return False
        return True

    def _number_definition(self, node: A.Expr, seen: set):
        binding = self.program.bindings.get(node) if isinstance(node, A.NameRef) else None
        if not isinstance(binding, ValueBinding) or binding.name in seen:
            return None
        seen.add(binding.name)
        return self.program.definition(binding.name)

    def _unary(self, e: A.Unary) -> Ty:
        if e.op is A.UnaryOp.KNOWN:
            return self._known(e)
        if e.op is A.UnaryOp.NOT:
            self.condition(e.operand)
            return BOOL
        t = self.infer(e.operand)
        if t.unit not in _NUMERIC | {Unit.NUMBER, Unit.ANY}:
            self.report("YB301", e.span, left="", op=word("op.sub"), right=t.describe())
            return ANY
        return t

    def _known(self, e: A.Unary) -> Ty:
        """``有 X`` asks whether an optional input was given, or whether a date counter holds a date yet; on
        anything else it could only ever be true."""
        binding = self.program.bindings.get(e.operand)
        sym = self.program.symbol(binding.name) if isinstance(binding, ValueBinding) else None
        date_counter = isinstance(sym, CounterSym) and type_of_ref(self.program, sym.node.type).unit is Unit.DATE
        if binding is not None and not (isinstance(sym, Input) and sym.optional) and not date_counter:
            self.report("YB312", e.span, name=e.operand.name)
        return BOOL

    def _in(self, e: A.InSet) -> Ty:
        t = self.infer(e.value)
        if t.unit is Unit.ENUM and t.vocabulary:
            for m in e.members:
                self.fit(m, t.vocabulary)
            return BOOL
        if t.unit is not Unit.ANY:
            self.report("YB301", e.span, left=t.describe(), op=word("op.in"), right=word("op.members"))
        self.excused.update(e.members)
        return BOOL

    def _if(self, e: A.IfExpr) -> Ty:
        self.condition(e.cond)
        return self.join([e.then, e.otherwise], "op.if", e.span)

    def _band_ratio(self, e: A.BandRatio) -> Ty:
        """``比例(X)``: X must be a definition written 分段 (YB423); the ratio is a rate."""
        self.infer(e.target)
        if banded_definition(self.program, e.target) is None and self.program.bindings.get(e.target) is not None:
            self.report("YB423", e.target.span, name=e.target.name)
        return RATE

    def _bands(self, e: A.Bands) -> Ty:
        """``分段 金额 [自 起点]``: money in, the unrounded sum of rate × part of the amount out. The edges must
        rise band by band, each band starting where the one before it ends (YB410–YB413)."""
        for operand in (e.amount, e.start):
            if operand is not None:
                self._band_operand(operand)
        previous = None
        for band in e.bands:
            self._money(band.low)
            if band.high is not None:
                self._money(band.high)
            if not 0 <= band.rate.value <= 1:
                self.report("YB308", band.rate.span, text=rate_text(band.rate.value))
            self._band_edges(previous, band)
            previous = band
        return EXACT

    def _band_operand(self, operand: A.Expr) -> None:
        t = self.infer(operand)
        if t.unit is Unit.NUMBER:
            self.settle(operand, M)
        elif t.unit not in (M, E, Unit.ANY):
            self.report("YB301", operand.span, left=word("op.bands"), op=word("op.bands_actual"), right=t.describe())

    def _band_edges(self, previous: Optional[A.Band], band: A.Band) -> None:
        low = band.low.yuan
        if band.high is not None and band.high.yuan <= low:
            self.report("YB410", band.span, low=_yuan(low), high=_yuan(band.high.yuan))
        if previous is None:
            return
        if previous.high is None:
            self.report("YB413", previous.span, low=_yuan(previous.low.yuan))
        elif low > previous.high.yuan:
            self.report("YB411", band.span, low=_yuan(previous.high.yuan), high=_yuan(low))
        elif low < previous.high.yuan:
            self.report("YB412", band.span, low=_yuan(low), high=_yuan(previous.high.yuan))

    def _by_year(self, e: A.ByYear) -> Ty:
        """``按年度 日期``: a date picks the year; the years must rise (YB414); the values share one type."""
        if len(e.years) > MAX_YEARS:  # each year nests one comparison deeper in the IR
            self.report("YB109", e.span, what=f"按年度 {len(e.years)} 年", limit=f"{MAX_YEARS} 年")
        t = self.infer(e.date)
        if t.unit not in (D, Unit.ANY):
            self.report("YB301", e.date.span, left=word("op.by_year"), op=word("op.bands_actual"), right=t.describe())
        dated = e.years[0].start is not None
        previous = None
        for y in e.years:
            key = y.start if dated else y.year
            wrong_kind = (y.start is not None) != dated  # years and dates are not mixed in one value
            if wrong_kind or (not dated and not 1 <= y.year <= 9998) or (previous is not None and key <= previous):
                self.report("YB414", y.span, year=y.start or y.year or "?", previous=previous or "—")
            else:
                previous = key
        cells = [y.cell for y in e.years if not isinstance(y.cell, (A.OpenCell, A.NotApplicableCell))]
        return self.join(cells, "op.if", e.span) if cells else ANY

    def _call(self, e: A.Call) -> Ty:
        if not _arity_ok(e.func, len(e.args)):
            self.report("YB305", e.span, func=word(f"op.{e.func.value}"), expected=word(_ARITY[e.func]))
            for arg in e.args:
                self.infer(arg)
            return MONEY if e.func is A.Func.ROUND else ANY
        if e.func is A.Func.ROUND:
            return self._check_round_call(e.args[0])
        if e.func is A.Func.COUNT_OF:
            for arg in e.args:
                self.condition(arg)
            return COUNT
        return self.join(list(e.args), f"op.{e.func.value}", e.span, ordered=True)

    def _check_round_call(self, arg: A.Expr) -> Ty:
        t = self.infer(arg)
        if t.unit is Unit.NUMBER:
            self.settle(arg, M)
        elif t.unit not in (M, E, Unit.ANY):
            self.report("YB309", arg.span, actual=t.describe())
        return MONEY

    def join(self, exprs: list[A.Expr], op: str, span: A.Span, ordered: bool = False) -> Ty:
        """The one type several alternatives (branches, min/max arguments) share."""
        types = [self.infer(x) for x in exprs]
        for x in exprs:
            for t in types:
                self.hint(x, t)
        if any(t.unit is Unit.ENUM for t in types) and not ordered and len(exprs) == 2:
            self._enum_pair(exprs[0], types[0], exprs[1], types[1], "eq")
            return next((t for t in types if t.vocabulary), types[0])
        return self._join_units(exprs, types, op, span, ordered)

    def _join_units(self, exprs, types, op: str, span: A.Span, ordered: bool) -> Ty:
        known = [t for t in types if t.unit not in (Unit.NUMBER, Unit.ANY)]
        if not known:
            return ANY if any(t.unit is Unit.ANY for t in types) else NUMBER
        result = known[0]
        for t in known[1:]:
            if not compatible(result, t) or (ordered and t.unit not in _ORDERED):
                self.report("YB301", span, left=result.describe(), op=word(op), right=t.describe())
                return ANY
            result = EXACT if E in (result.unit, t.unit) else result
        if ordered and result.unit not in _ORDERED:
            self.report("YB301", span, left=result.describe(), op=word(op), right=result.describe())
        elif Unit.NUMBER in {t.unit for t in types} and result.unit not in _NUMERIC:
            self.report("YB301", span, left=result.describe(), op=word(op), right=NUMBER.describe())
            return ANY
        for x, t in zip(exprs, types):
            if t.unit is Unit.NUMBER:
                self.settle(x, result.unit)
        return result


def _yuan(value: Decimal) -> str:
    """An edge in yuan: ``10000元`` however it was written (``1万元``)."""
    return f"{_number_text(value.quantize(Decimal(1)) if _whole(value) else value.normalize())}元"


def rate_text(value: Decimal) -> str:
    """``1.9`` → ``190%``, as the drafter wrote it."""
    return f"{_number_text((value * 100).normalize())}%"


def _bodies(sym) -> list[A.Expr]:
    if sym.kind is DefKind.FORMULA:
        return [sym.node.expr]
    return [c for c in table_cells(sym.node.body) if isinstance(c, (A.NumberLit, A.NameRef))] if sym.kind is DefKind.TABLE else []


def _number_unit(op: A.BinaryOp, other: Unit, on_left: bool) -> Unit:
    """The unit a bare number takes beside an operand of unit ``other``."""
    if op is A.BinaryOp.MUL:
        return {M: C, E: C, R: M, C: C}.get(other, C)
    if op is A.BinaryOp.DIV:
        if on_left:
            return M
        return {M: C, E: C, R: R, C: C}.get(other, C)
    return {M: M, E: M, C: C, R: R}.get(other, C)


_DISPATCH: dict[type, Callable[[Typer, A.Expr], Ty]] = {
    A.MoneyLit: Typer._money,
    A.RateLit: lambda self, e: RATE,
    A.NumberLit: lambda self, e: NUMBER,
    A.CountLit: lambda self, e: COUNT,
    A.DateLit: lambda self, e: DATE,
    A.BoolLit: lambda self, e: BOOL,
    A.UnlistedLit: lambda self, e: Ty(Unit.ENUM, None),  # the example's input says which vocabulary (check.py)
    A.NameRef: Typer._name,
    A.ArticleRef: Typer._name,
    A.Lookup: Typer._lookup,
    A.Binary: Typer._binary,
    A.Unary: Typer._unary,
    A.InSet: Typer._in,
    A.IfExpr: Typer._if,
    A.Call: Typer._call,
    A.Bands: Typer._bands,
    A.BandRatio: Typer._band_ratio,
    A.ByYear: Typer._by_year,
}


def banded_definition(program: Program, ref: A.NameRef) -> Optional[A.Bands]:
    """The bands of the definition ``ref`` names, when it is written 分段 (and has no 按年度 or table form)."""
    binding = program.bindings.get(ref)
    sym = program.definition(binding.name) if isinstance(binding, ValueBinding) else None
    if sym is None or sym.kind is not DefKind.FORMULA or not isinstance(sym.node.expr, A.Bands):
        return None
    return sym.node.expr

"""Expression lowering for the lower pass: AST expressions → IR expression nodes (docs/ir.md
"Expressions"). Package-private; ``lower.lower`` drives it."""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

from . import ast as A
from ._program import MemberBinding, SelfBinding, ValueBinding
from ._types import Ty, Unit, banded_definition
from .diagnostics import CompilerBug, word


def fen(yuan: Decimal) -> int:
    """Yuan to integer fen; the checker has made sure the amount is whole fen."""
    value = yuan * 100
    if value != value.to_integral_value():
        raise CompilerBug(f"money {yuan} is not whole fen after checking")
    return int(value)


def decimal_text(value: Decimal) -> str:
    """A rate as a normalised decimal string: no exponent, no trailing zeros, ``0`` and ``1`` bare."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def type_json(ty: Ty):
    """An IR type: exact money is still money to the runtime (it only ever sees rounded outputs)."""
    if ty.unit is Unit.ENUM and ty.vocabulary:
        return {"enum": ty.vocabulary}
    if ty.unit in (Unit.MONEY, Unit.EXACT):
        return "money"
    if ty.unit in (Unit.RATE, Unit.COUNT, Unit.DATE, Unit.BOOL):
        return ty.unit.value
    raise CompilerBug(f"type {ty} reached the lowering")


class ExprLowerer:
    def __init__(self, checked) -> None:
        self.checked = checked
        self.program = checked.program

    def expr(self, e: A.Expr) -> dict:
        return _DISPATCH[type(e)](self, e)

    # ── leaves ──

    def _number(self, e: A.NumberLit) -> dict:
        if self.checked.literal_units.get(e, Unit.COUNT) is Unit.MONEY:
            return {"money": fen(e.value)}
        return {"count": int(e.value)}

    def _name(self, e: A.NameRef) -> dict:
        binding = self.program.bindings.get(e)
        if isinstance(binding, MemberBinding):
            vocabulary, member = self.checked.members[e]
            return {"enum": vocabulary, "member": member}
        if isinstance(binding, SelfBinding):
            return {"ref": binding.target}
        if isinstance(binding, ValueBinding):
            return {"ref": ir_name(self.program, binding.name)}
        raise CompilerBug(f"unbound name {e.name} at {e.span} reached the lowering")

    def _lookup(self, e: A.Lookup) -> dict:
        table = self.program.definition(e.name)
        fixed = {self.program.vocabulary(dim).name: key for dim, key in e.overrides}
        args = [self.expr(fixed[d]) if d in fixed else {"ref": table.key_of(d)} for d in table.dims]
        return {"op": "lookup", "table": e.name, "args": args}

    # ── operators ──

    def _binary(self, e: A.Binary) -> dict:
        args = [self.expr(e.left), self.expr(e.right)]
        date_op = self.checked.date_ops.get(e)
        if date_op is None:
            return {"op": e.op.value, "args": args}
        op, swapped = date_op
        return {"op": op, "args": args[::-1] if swapped else args}

    def _unary(self, e: A.Unary) -> dict:
        return {"op": e.op.value, "args": [self.expr(e.operand)]}

    def _in(self, e: A.InSet) -> dict:
        return {"op": "in", "args": [self.expr(e.value)], "members": self._members(e.members)}

    def _members(self, refs: tuple[A.NameRef, ...]) -> list[str]:
        """Canonical members, once each, in the vocabulary's order: the written order is not semantic."""
        chosen = [self.checked.members[r] for r in refs]
        if not chosen:
            return []
        order = self.program.vocabulary(chosen[0][0]).member_names
        names = {member for _, member in chosen}
        return [m for m in order if m in names]

    def _if(self, e: A.IfExpr) -> dict:
        return {"op": "if", "args": [self.expr(e.cond), self.expr(e.then), self.expr(e.otherwise)]}

    def _bands(self, e: A.Bands) -> dict:
        """Σ rate × max(min(amount, high) − max(low, start), 0) over the bands, in the IR's own operations, so
        every evaluator runs it unchanged; ``bands_json`` describes the bands themselves."""
        amount = self.expr(e.amount)
        start = None if e.start is None else self.expr(e.start)
        terms = []
        for band in e.bands:
            top = amount if band.high is None else {"op": "min", "args": [amount, {"money": fen(band.high.yuan)}]}
            low = {"money": fen(band.low.yuan)}
            bottom = low if start is None else {"op": "max", "args": [low, start]}
            part = {"op": "max", "args": [{"op": "sub", "args": [top, bottom]}, {"money": 0}]}
            terms.append({"op": "mul", "args": [{"rate": decimal_text(band.rate.value)}, part]})
        return terms[0] if len(terms) == 1 else {"op": "add", "args": terms}

    def _band_ratio(self, e: A.BandRatio) -> dict:
        """``比例(X)``: X ÷ the part of the amount the bands cover above the start, max(min(amount, last upper
        edge) − max(first lower edge, start), 0); the first band's rate when that part is nothing (docs/ir.md)."""
        bands = banded_definition(self.program, e.target)
        amount = self.expr(bands.amount)
        first, last = bands.bands[0], bands.bands[-1]
        top = amount if last.high is None else {"op": "min", "args": [amount, {"money": fen(last.high.yuan)}]}
        low = {"money": fen(first.low.yuan)}
        bottom = low if bands.start is None else {"op": "max", "args": [low, self.expr(bands.start)]}
        covered = {"op": "max", "args": [{"op": "sub", "args": [top, bottom]}, {"money": 0}]}
        ratio = {"op": "div", "args": [self.expr(e.target), covered]}
        return {"op": "if", "args": [{"op": "gt", "args": [covered, {"money": 0}]}, ratio,
                                     {"rate": decimal_text(first.rate.value)}]}

    def by_year(self, name: str, article, e: A.ByYear) -> dict:
        """``按年度``: a chain of date comparisons, the earliest year first. A year not listed, and the years
        before the first and after the last, are open values of that year (or years) only."""
        date = self.expr(e.date)

        def opened(key: str, year: int, label: str) -> dict:
            return {"open": f"{name}[{label}]", "reason": word(key, article=article or "", name=name, year=year)}

        def cell(y: A.YearValue) -> dict:
            if isinstance(y.cell, A.OpenCell):
                return opened("open.year", line_label(y), line_label(y))
            if isinstance(y.cell, A.NotApplicableCell):
                return {"na": f"{name}[{line_label(y)}]"}
            return self.expr(y.cell)

        years = list(e.years)
        if years[0].start is not None:
            return self._by_date(date, years, cell, opened)
        chain = opened("open.after", years[-1].year, f"{years[-1].year}年以后")
        for i in range(len(years) - 1, -1, -1):
            y = years[i]
            if i + 1 < len(years) and years[i + 1].year > y.year + 1:  # the unlisted years between two rows
                gap = f"{y.year + 1}年" if years[i + 1].year == y.year + 2 else f"{y.year + 1}—{years[i + 1].year - 1}年"
                chain = _if_before(date, years[i + 1].year, opened("open.year", gap, gap), chain)
            chain = _if_before(date, y.year + 1, cell(y), chain)
        return _if_before(date, years[0].year, opened("open.before", years[0].year, f"{years[0].year}年以前"), chain)

    @staticmethod
    def _by_date(date: dict, lines: list, cell, opened) -> dict:
        """Dated lines: each value from its date until the next line's; the last stays in force; before the
        first date the value is open."""
        chain = cell(lines[-1])
        for i in range(len(lines) - 2, -1, -1):
            chain = _if_before_date(date, lines[i + 1].start, cell(lines[i]), chain)
        first = lines[0].start
        return _if_before_date(date, first, opened("open.before_date", first.isoformat(), f"{first.isoformat()}以前"), chain)

    def bands_json(self, name: str, e: A.Bands) -> dict:
        """The IR's ``bands`` entry: the bands as written and how the effective ratio is reported."""
        return {"name": name, "amount": self.expr(e.amount), "from": None if e.start is None else self.expr(e.start),
                "bands": [{"low": fen(b.low.yuan), "high": None if b.high is None else fen(b.high.yuan),
                           "rate": decimal_text(b.rate.value)} for b in e.bands],
                "ratio": "effective"}

    def _call(self, e: A.Call) -> dict:
        return {"op": e.func.value, "args": [self.expr(a) for a in e.args]}

    # ── example values ──

    def literal(self, e: A.Expr) -> dict:
        """An example's value: a literal node; ``-5元`` written as a negation becomes a negative literal."""
        if isinstance(e, A.Unary) and e.op is A.UnaryOp.NEG:
            inner = self.literal(e.operand)
            key = next(iter(inner))
            value = inner[key]
            return {key: decimal_text(-Decimal(value)) if key == "rate" else -value}
        return self.expr(e)


_DISPATCH: dict[type, Callable[[ExprLowerer, A.Expr], dict]] = {
    A.MoneyLit: lambda self, e: {"money": fen(e.yuan)},
    A.RateLit: lambda self, e: {"rate": decimal_text(e.value)},
    A.NumberLit: ExprLowerer._number,
    A.CountLit: lambda self, e: {"count": e.value},
    A.DateLit: lambda self, e: {"date": e.value.isoformat()},
    A.BoolLit: lambda self, e: {"bool": e.value},
    A.UnlistedLit: lambda self, e: {"enum": self.checked.members[e][0], "member": self.checked.members[e][1]},
    A.NameRef: ExprLowerer._name,
    A.ArticleRef: ExprLowerer._name,
    A.Lookup: ExprLowerer._lookup,
    A.Binary: ExprLowerer._binary,
    A.Unary: ExprLowerer._unary,
    A.InSet: ExprLowerer._in,
    A.IfExpr: ExprLowerer._if,
    A.Call: ExprLowerer._call,
    A.Bands: ExprLowerer._bands,
    A.BandRatio: ExprLowerer._band_ratio,
}


def line_label(y: A.YearValue) -> str:
    """How a line of a 按年度 value is named in its open value: ``2023年`` or ``自2023-07-01``."""
    return f"{y.year}年" if y.start is None else f"自{y.start.isoformat()}"


def _if_before(date: dict, year: int, then: dict, otherwise: dict) -> dict:
    """若 date < year-01-01 则 then 否则 otherwise."""
    return {"op": "if", "args": [{"op": "lt", "args": [date, {"date": f"{year:04d}-01-01"}]}, then, otherwise]}


def _if_before_date(date: dict, day, then: dict, otherwise: dict) -> dict:
    return {"op": "if", "args": [{"op": "lt", "args": [date, {"date": day.isoformat()}]}, then, otherwise]}


def ir_name(program, name: str) -> str:
    """An input declared 名为 "…" is known to the IR by that text; every other name is itself."""
    sym = program.symbol(name)
    return getattr(sym, "ir_name", name)

"""Check: types and units, tables, cycles and conflicting exceptions.

Entry point: ``check(program) -> (CheckedProgram, diagnostics)``. Units follow docs/ir.md: money ± money,
money × rate → exact money, 四舍五入 exact money → money, and so on (see ``_types``). The pass reports
every mistake it finds and never raises on one; a name it cannot type is "unknown" and draws no
further complaints, so one mistake gives one diagnostic.
"""

from __future__ import annotations

from typing import Mapping, Optional

import attrs

from . import ast as A
from ._contract import fund_total_problems
from ._graph import conflicts, cycles, dependency_edges, reachable, topological
from ._program import UNLISTED, DefinitionSym, DefKind, MemberBinding, OutputSym, Program, table_cells
from ._tables import ExpandedTable, TableChecker, rate_text
from ._types import ANY, BOOL, MONEY, RATE, Ty, Typer, Unit, type_of_ref
from .diagnostics import Diagnostic, diag, word

__all__ = ["check", "CheckedProgram", "Ty", "Unit", "ExpandedTable"]


@attrs.frozen(kw_only=True)
class CheckedProgram:
    program: Program
    types: Mapping[str, Ty]  # every input, counter and definition, by name
    output_types: tuple[Ty, ...]  # one per ``program.outputs``
    literal_units: Mapping[A.NumberLit, Unit]  # MONEY (in yuan) or COUNT, per bare number
    members: Mapping[A.NameRef, tuple[str, str]]  # every member name: (vocabulary, canonical member)
    date_ops: Mapping[A.Binary, tuple[str, bool]]  # date arithmetic: IR operation (date_diff/add/sub), swapped
    tables: Mapping[str, ExpandedTable]
    order: tuple[str, ...]  # definitions, each after the definitions it reads
    reachable: frozenset[str]  # definitions and inputs some output, exclusion, update or example needs


def check(program: Program) -> tuple[CheckedProgram, list[Diagnostic]]:
    """Type and check a resolved program."""
    checker = _Checker(program)
    checked = checker.run()
    return checked, checker.diagnostics


_LITERALS = (A.MoneyLit, A.RateLit, A.NumberLit, A.CountLit, A.DateLit, A.BoolLit)


class _Checker:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.diagnostics: list[Diagnostic] = []
        self.types: dict[str, Ty] = {}
        self.pending: set[str] = set()
        self.tables: dict[str, ExpandedTable] = {}
        self.typer = Typer(program, self.diagnostics, self.type_of, self.settle_name)
        self.tabler = TableChecker(self.typer)
        for i in program.inputs:
            self.types[i.name] = type_of_ref(program, i.type)
        for c in program.counters:
            self.types[c.name] = type_of_ref(program, c.node.type)

    def run(self) -> CheckedProgram:
        for sym in self.program.definitions:
            self.type_of(sym.name)
        self._exceptions()
        self._counters()
        for x in self.program.exclusions:
            self.typer.condition(x.node.condition)
        output_types = tuple(self._output(o) for o in self.program.outputs)
        self._contract(output_types)
        fund_total_problems(self.program, self.typer.report)
        self._examples()
        for sym in self.program.definitions:
            self.settle_name(sym.name, Unit.COUNT)  # bare numbers no use gave a unit: they count
        self._ambiguous_members()
        self._open_types()
        output_types = tuple(self._retyped(o, t) for o, t in zip(self.program.outputs, output_types))
        order, reach = self._graph()
        return CheckedProgram(
            program=self.program, types=dict(self.types), output_types=output_types,
            literal_units=dict(self.typer.literal_units), members=dict(self.typer.members),
            date_ops=dict(self.typer.date_ops),
            tables=dict(self.tables), order=tuple(order), reachable=frozenset(reach),
        )

    # ── definitions ──

    def type_of(self, name: str) -> Ty:
        """The type of a name; a definition is typed (and checked) the first time it is asked for."""
        if name in self.types:
            return self.types[name]
        sym = self.program.definition(name)
        if sym is None:
            param = self.program.params.get(name)
            return type_of_ref(self.program, param.type) if param else ANY
        if name in self.pending:
            return ANY  # a cycle: YB501 reports it once the graph is known
        self.pending.add(name)
        ty = self._definition(sym)
        self.pending.discard(name)
        self.types[name] = ty
        return ty

    def _definition(self, sym: DefinitionSym) -> Ty:
        declared = type_of_ref(self.program, sym.declared) if sym.declared else None
        self._param_agrees(sym)
        if sym.kind is DefKind.TABLE:
            table = self.tabler.check(sym, declared)
            self.tables[sym.name] = table
            return table.type
        if sym.kind is DefKind.OPEN:
            return declared or ANY  # an untyped open value takes its type from its uses
        return self._formula(sym, sym.node.expr, declared)

    def _formula(self, sym: DefinitionSym, expr: A.Expr, declared: Optional[Ty]) -> Ty:
        actual = self.typer.infer(expr)
        if isinstance(expr, A.RateLit) and not (0 <= expr.value <= 1):
            self.typer.report("YB308", expr.span, text=rate_text(expr.value))
        if declared is not None:
            self.typer.conform(expr, actual, declared, sym.name, "where.definition")
            return declared
        return actual  # NUMBER (bare numbers only) waits for a use to fix its unit: see settle_name

    def settle_name(self, name: str, unit: Unit) -> None:
        """A definition of bare numbers takes the unit of its first use; its literals follow."""
        if self.types.get(name) != Ty(Unit.NUMBER):
            return
        unit = Unit.MONEY if unit is Unit.EXACT else unit
        self.types[name] = Ty(unit)
        sym = self.program.definition(name)
        if sym.kind is DefKind.TABLE:
            self.tables[name] = attrs.evolve(self.tables[name], type=Ty(unit))
            for cell in table_cells(sym.node.body):
                self.typer.settle(cell, unit)
        else:
            self.typer.settle(sym.node.expr, unit)
        for exc in self.program.exceptions.get(name, ()):
            self.typer.settle(exc.node.expr, unit)

    def _param_agrees(self, sym: DefinitionSym) -> None:
        """A city definition that writes its own type must agree with the model's parameter."""
        own = getattr(sym.node, "type", None)
        param = self.program.params.get(sym.name)
        if own is None or param is None:
            return
        want, got = type_of_ref(self.program, param.type), type_of_ref(self.program, own)
        if Unit.ANY not in (want.unit, got.unit) and want != got:
            self.typer.report("YB302", own.span, name=sym.name, declared=want.describe(), actual=got.describe())

    # ── exceptions, counters, outputs ──

    def _exceptions(self) -> None:
        for target, group in self.program.exceptions.items():
            has_default = self.program.definition(target) is not None or target in self.program.params
            for exc in group:
                self.typer.condition(exc.node.condition)
                actual = self.typer.infer(exc.node.expr)
                if has_default:
                    self.typer.conform(exc.node.expr, actual, self.type_of(target), target, "where.exception")

    def _counters(self) -> None:
        for c in self.program.counters:
            t = self.types[c.name]
            if t.unit is Unit.ENUM:  # a counter starts at its type's zero, a date counter with no date
                self.typer.report("YB230", c.node.span, name=c.name, type=t.describe())
            if c.update is not None:
                for expr in (c.update.node.expr, c.update.node.on_exclusion):
                    if expr is not None:
                        self.typer.conform(expr, self.typer.infer(expr), self.types[c.name], c.name, "where.update")

    def _output(self, o: OutputSym) -> Ty:
        t = self.typer.infer(o.node.expr)
        if t.unit is Unit.NUMBER:
            self.typer.settle(o.node.expr, Unit.MONEY)  # the contract's outputs are amounts
            return MONEY
        if t.unit is Unit.EXACT:
            self.typer.report("YB303", o.node.expr.span, where=word("where.output"))
            return MONEY
        return t

    def _retyped(self, o: OutputSym, t: Ty) -> Ty:
        """An output that read an untyped open value before its uses fixed its type (a city's 待定 for a
        value the model does not declare) takes the type it has now."""
        return self.typer.quietly(o.node.expr) if t.unit is Unit.ANY else t

    def _contract(self, output_types: tuple[Ty, ...]) -> None:
        """A contract output has the type its ``接口`` line declares (金额 or 比例), and so has the value an
        excluded encounter reports for it."""
        declared = {c.node.field: (MONEY if c.node.type == "money" else RATE) for c in self.program.contract}
        for o, t in zip(self.program.outputs, output_types):
            if o.node.field in declared:
                self.typer.conform(o.node.expr, t, declared[o.node.field], o.node.field, "where.output")
        for c in self.program.contract:
            if isinstance(c.node.on_exclusion, A.NameRef):
                value = c.node.on_exclusion
                self.typer.conform(value, self.typer.infer(value), declared[c.node.field], c.node.field, "where.output")

    # ── examples ──

    def _examples(self) -> None:
        for ex in self.program.examples:
            for line in ex.node.lines:
                if isinstance(line, A.ExpectLine):
                    for e in line.expectations:
                        if isinstance(e, A.ValueExpectation):
                            self._example_value(e.name, e.value)
                else:
                    for a in line.assignments:
                        self._assignment(a)

    def _assignment(self, a: A.Assignment) -> None:
        if a.value is not None:
            self._example_value(a.name, a.value)
            return
        target = self._example_target(a.name)
        if target.unit not in (Unit.BOOL, Unit.ANY):
            self.typer.report("YB302", a.span, name=a.name, declared=target.describe(), actual=BOOL.describe())

    def _example_value(self, name: str, value: A.Expr) -> None:
        if isinstance(value, A.UnlistedLit):
            self._unlisted_value(name, value)
            return
        if not self._is_literal(value):
            self.typer.report("YB218", value.span, name=name)
            return
        self.typer.conform(value, self.typer.infer(value), self._example_target(name), name, "where.definition")

    def _unlisted_value(self, name: str, value: A.UnlistedLit) -> None:
        """``名称=其余``: a code the vocabulary does not list, which only an open list (其余) accepts."""
        target = self._example_target(name)
        vocab = self.program.vocabulary(target.vocabulary) if target.unit is Unit.ENUM and target.vocabulary else None
        if vocab is not None and vocab.unlisted:
            self.typer.members[value] = (vocab.name, UNLISTED)
        elif target.unit is not Unit.ANY:
            self.typer.report("YB422", value.span, name=name, vocabulary=vocab.name if vocab else target.describe())

    def _example_target(self, name: str) -> Ty:
        known = name in self.types or self.program.definition(name) or name in self.program.params
        return self.type_of(name) if known else ANY

    def _is_literal(self, value: A.Expr) -> bool:
        if isinstance(value, A.Unary) and value.op is A.UnaryOp.NEG:
            return isinstance(value.operand, (A.MoneyLit, A.RateLit, A.NumberLit))
        bound = self.program.bindings.get(value) if isinstance(value, A.NameRef) else None
        return isinstance(value, _LITERALS) or isinstance(bound, MemberBinding)

    # ── after typing ──

    def _ambiguous_members(self) -> None:
        """A member of several vocabularies that no operand disambiguated (YB205)."""
        for ref, binding in self.program.bindings.items():
            if not isinstance(binding, MemberBinding) or len(binding.candidates) < 2:
                continue
            if ref not in self.typer.members and ref not in self.typer.excused:
                owners = word("list.sep").join(v for v, _ in binding.candidates)
                self.typer.report("YB205", ref.span, name=ref.name, vocabularies=owners)

    def _open_types(self) -> None:
        """Untyped definitions still unknown take the type their uses suggest, or, when they only read
        such values, the type of their expression once those are known. An open value left without a
        type is YB310."""
        while any(self._learn_type(sym) for sym in self.program.definitions):
            pass
        for sym in self.program.definitions:
            if sym.kind is DefKind.OPEN and sym.declared is None and self.types.get(sym.name) == ANY:
                self.typer.report("YB310", sym.span, name=sym.name)

    def _learn_type(self, sym: DefinitionSym) -> bool:
        if self.types.get(sym.name) != ANY or sym.declared is not None:
            return False
        learned = self.typer.open_hints.get(sym.name)
        if learned is None and sym.kind is DefKind.FORMULA:
            learned = self.typer.quietly(sym.node.expr)
        if learned is None or learned.unit in (Unit.ANY, Unit.NUMBER):
            return False
        self.types[sym.name] = learned
        return True

    def _graph(self) -> tuple[list[str], dict[str, None]]:
        edges = dependency_edges(self.program)
        self.diagnostics.extend(cycles(self.program, edges))
        self.diagnostics.extend(conflicts(self.program, self.typer.members))
        order = topological([d.name for d in self.program.definitions], edges)
        reach = reachable(self.program)
        for sym in self.program.definitions:
            if sym.in_city and sym.name not in reach:
                self.diagnostics.append(diag("YB217", sym.span, name=sym.name))
        return order, reach

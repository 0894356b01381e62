"""Contributions: one person's monthly contribution and personal-account credit
(docs/contract.md section 2, ``yibao contribute``).

A regulation that adopts the contribution model carries a ``contribution`` section in its IR
(docs/ir.md): the contribution outputs and only the inputs, tables and definitions they need. It is
compiled once into its own ``Program``, beside the settlement one, and evaluated the same way; only the
outcome differs. Each output is read on its own: an output that evaluates to an open value (待定, or a
不适用 cell) is ``null`` and listed in ``undetermined`` with its reason and article, while the others are
still given; an absent input that an output needs makes the case unusable (``CaseError``, exit 2).

    engine = ContributionEngine(regulations)              # the same Regulation objects settlement uses
    result = engine.contribute(load_case_text(text, "case.json"))
    sys.stdout.write(dumps_output(result.output)); sys.exit(result.status)
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable, Optional

from . import messages as M
from .case import CaseError, Problems
from .contribution_case import (ContributionCase, NotCoveredCode, missing_needed, parse_contribution_case,
                                read_contribution_inputs)
from .evaluate import Program
from .inputs import make_readers
from .ir import IRError
from .regions import RegionIndex
from .limits import RULE_FAULTS
from .trace import build_trace
from .values import Sentinel, as_whole_fen, money_decimal, rate_decimal

__all__ = ["ContributionEngine", "ContributionProgram", "ContributionResult", "contribution_program",
           "CONTRACT_OUTPUTS"]

CONTRACT_OUTPUTS = ("base", "employer_amt", "individual_amt", "account_credit")
UNDETERMINED_KINDS = ("open", "na")


class ContributionProgram:
    """The contribution section of one regulation's IR, compiled."""

    def __init__(self, regulation: Any) -> None:
        ir = regulation.ir
        section = ir["contribution"]
        if not isinstance(section, dict):
            raise IRError(M.text('contribution.ir_not_object'))
        doc = {"vocabularies": ir["vocabularies"], "open_values": ir["open_values"], "counters": [],
               "exclusions": []}
        for key in ("inputs", "tables", "definitions", "outputs", "examples"):
            if not isinstance(section.get(key), list):
                raise IRError(M.text('contribution.ir_not_list', key=key))
            doc[key] = section[key]
        self.regulation = regulation
        self.program = Program(doc, fast=False)  # it evaluates by the closures; generated code would go unused
        self.readers = make_readers(self.program, contribution=True)
        self.examples = section["examples"]
        self.outputs = _contract_order(self.program.outputs)
        self._check_outputs(regulation.title)

    def _check_outputs(self, title: str) -> None:
        fields = {o.field: o for o in self.outputs}
        for field in CONTRACT_OUTPUTS:
            if field not in fields:
                raise IRError(M.text('contribution.output_missing', title=title, field=field))
            if fields[field].type not in (None, "money"):
                raise IRError(M.text('contribution.output_not_money', title=title, field=field, type=fields[field].type))

    def evaluate(self, inputs: list) -> list:
        """The environment after every definition (inputs, then definitions, by slot)."""
        return self.program.run_definitions(inputs, [])


def _contract_order(outputs: list) -> list:
    """The contract's four outputs first, in its order; the extension outputs after, in the IR's."""
    rank = {f: i for i, f in enumerate(CONTRACT_OUTPUTS)}
    return sorted(outputs, key=lambda o: (rank.get(o.field, len(rank)), outputs.index(o)))


def contribution_program(regulation: Any) -> Optional[ContributionProgram]:
    """The regulation's compiled contribution section (built on first use, kept by the Regulation itself),
    or None if it has none."""
    if "contribution" not in regulation.ir:
        return None
    program = regulation.contribution
    if program is None:
        program = regulation.contribution = ContributionProgram(regulation)
    return program


class ContributionResult:
    """``output`` is the contract's JSON object (amounts as Decimal); ``status`` 0, or 1 for an error."""

    def __init__(self, output: dict, status: int) -> None:
        self.output = output
        self.status = status


class ContributionEngine:
    """Computes contribution cases against the regulations that encode contributions (several per
    region, picked by the case's date). Regulations without a contribution section are left out."""

    def __init__(self, regulations: Iterable[Any]) -> None:
        programs = [p for p in (contribution_program(reg) for reg in regulations) if p is not None]
        self._index = RegionIndex(programs, _regulation, _program, "缴费规定", "缴费日期")
        self._by_region = self._index.by_region

    def regions(self) -> list[str]:
        return sorted(self._by_region)

    def contribute(self, case: dict, *, region: Optional[str] = None, trace: bool = True,
                   name: Optional[str] = None) -> ContributionResult:
        """One person's month. Raises CaseError when the case cannot be used at all."""
        name = name or getattr(case, "source_name", "<case>")
        problems = Problems(name)
        if not isinstance(case, dict):
            raise CaseError(name, [("$", M.text('contribution.case_not_object'))])
        code = self._index.region(case, region, problems)
        problems.check()
        parsed = parse_contribution_case(case, self._index.schemas[code], problems)
        problems.check()
        chosen = self._index.in_force(code, parsed.date)
        if isinstance(chosen, dict):
            return _failed(code, chosen)
        return self._run(code, chosen, parsed, trace)

    def _run(self, code: str, chosen: ContributionProgram, case: ContributionCase, trace: bool) -> ContributionResult:
        reg = chosen.regulation
        outside = reg.out_of_scope(case, case)  # the case keeps every field by its contract path
        if outside is not None:
            return _failed(code, outside)
        try:
            inputs = read_contribution_inputs(chosen.readers, case)
        except NotCoveredCode as exc:
            return _failed(code, M.not_covered(exc.field, exc.code, exc.vocab, reg.title))
        try:
            env = chosen.evaluate(inputs)
            values = [(out, out.expr.fn(env)) for out in chosen.outputs]
        except RULE_FAULTS as exc:  # an IR the compiler did not make: this case's error, not a traceback
            return _failed(code, M.internal(f"{type(exc).__name__}: {exc}"), reg)
        _refuse_missing(values, reg.title, case.name)
        output: dict = {"region": code, "regulation": regulation_block(reg)}
        undetermined = []
        for out, value in values:
            if value.__class__ is Sentinel:
                if value.kind not in UNDETERMINED_KINDS:
                    return _failed(code, M.from_sentinel(value, out.field), reg)
                output[out.field] = None
                undetermined.append(_undetermined(out.field, value))
                continue
            try:
                shown = _json_value(value, out.type)
            except (AttributeError, TypeError, ValueError):  # IR whose output holds another type: not a crash
                return _failed(code, M.internal(M.output_type_mismatch(out.field, out.type, value)), reg)
            if shown is None:
                return _failed(code, M.internal(M.output_not_whole_fen(out.field, value, "缴费输出")), reg)
            output[out.field] = shown
        if trace:
            output["trace"] = build_trace(chosen.program, env, [o.expr for o in chosen.outputs])
        output["undetermined"] = undetermined
        return ContributionResult(output, 0)


def regulation_block(reg: Any) -> dict:
    start, end = reg.effective
    return {"title": reg.title, "effective": [start.isoformat(), end.isoformat() if end else None], "ir_sha256": reg.sha256}


def _failed(code: str, error: dict, reg: Any = None) -> ContributionResult:
    output = {"region": code}
    if reg is not None:
        output["regulation"] = regulation_block(reg)
    output["error"] = error
    return ContributionResult(output, 1)


def _refuse_missing(values: list, title: str, name: str) -> None:
    """Every absent input some output needs, as one CaseError (exit status 2)."""
    problems, seen = [], set()
    for out, value in values:
        if value.__class__ is Sentinel and value.kind == "missing" and value.field not in seen:
            seen.add(value.field)
            problems.append(missing_needed(value, out.field, title))
    if problems:
        raise CaseError(name, problems)


def _undetermined(field: str, s: Sentinel) -> dict:
    if s.kind == "open":
        reason = s.reason or "规定未给出这个值"
    else:
        reason = "规定对这种情形没有这个值（不适用）"
    return {"field": field, "name": s.name, "reason": reason, "article": s.article}


def _json_value(value: Any, type_: Any) -> Any:
    """An output value as the contract writes it; None for money that is not whole fen."""
    if isinstance(value, bool):
        return value
    if isinstance(value, _dt.date):
        return value.isoformat()
    if type_ == "rate":
        return rate_decimal(value)
    if type_ == "count":
        return value
    whole = as_whole_fen(value)
    return None if whole is None else money_decimal(whole)


def _regulation(program: ContributionProgram) -> Any:
    return program.regulation


def _program(program: ContributionProgram) -> Any:
    return program.program

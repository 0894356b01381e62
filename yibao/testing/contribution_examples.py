"""Running a regulation's worked examples of contributions (the IR's ``contribution.examples``).

A contribution example reads like a settlement one: ``人员`` gives the person's inputs (人员类别, 年龄,
本人月工资 …), each ``就诊`` line one month of the case (缴费日期, 全省月平均工资), and ``期望`` the values
expected for that month, by name. An input not given is absent (a flag: does not hold), exactly as in a
case. ``期望 错误 YR01`` expects some output to be left open (待定); other codes are the case's error
(YR03 an absent input an output needs, YR04 no regulation in force on the date, YR05 a code the
regulation has no member for).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Optional

from yibao.runtime.contribute import ContributionProgram, contribution_program
from yibao.runtime.expr import literal_value
from yibao.runtime.values import Sentinel

from .results import ExampleResult, Mismatch, compare_value

__all__ = ["run_contribution_examples"]

_SENTINEL_CODES = {"open": "YR01", "na": "YR02", "missing": "YR03", "divzero": "YR06"}


def run_contribution_examples(regulation: Any, versions: tuple = ()) -> list[ExampleResult]:
    """``versions``: the region's other versions; a month dated in one's period is computed by it (as a case is)."""
    program = contribution_program(regulation)
    if program is None:
        return []
    others = [p for p in (contribution_program(v) for v in versions) if p is not None]
    return [_run(program, example, i, others) for i, example in enumerate(program.examples)]


def _run(cp: ContributionProgram, example: dict, index: int, others: list) -> ExampleResult:
    where = f"contribution.examples[{index}]"
    person = example.get("person") or {}
    mismatches: list[Mismatch] = []
    months = example.get("encounters") or []
    # an example an amendment kept carries the date its undated months are computed on (docs/language.md §20)
    default = literal_value({"date": example["date"]}, cp.program, where) if example.get("date") else None
    for number, month in enumerate(months, start=1):
        given = {**person, **(month.get("inputs") or {})}
        mismatches += _month(cp, given, month, number, f"{where}.encounters[{number - 1}]", default, others)
    return ExampleResult(example.get("title", ""), example.get("article"), example.get("at"), mismatches, len(months))


def _month(cp: ContributionProgram, given: dict, month: dict, number: int, where: str,
           default: Optional[_dt.date] = None, others: list = ()) -> list[Mismatch]:
    at = month.get("at")
    expect = month.get("expect") or {}
    date = _date(cp, given, where, default)
    if not cp.regulation.covers(date):
        cp = next((o for o in others if o.regulation.covers(date)), cp)
        date = _date(cp, given, where, default)
    program, reg = cp.program, cp.regulation
    inputs = [_input(spec, given, program, where) for spec in program.inputs]
    if not reg.covers(date):
        return _error_only("YR04", expect, number, at)
    env = cp.evaluate(inputs)
    codes = [_SENTINEL_CODES.get(v.kind, "YR90") for v in (o.expr.fn(env) for o in cp.outputs) if v.__class__ is Sentinel]
    found = _error_expectation(expect.get("error"), codes, number, at)
    for name, node in (expect.get("values") or {}).items():
        found += compare_value(program, env, name, node, number, at)
    return found


def _date(cp: ContributionProgram, given: dict, where: str, default: Optional[_dt.date]) -> _dt.date:
    """The month's 缴费日期 if the example gives it, else the example's date, else the regulation's start."""
    inputs = [(s, _input(s, given, cp.program, where)) for s in cp.program.inputs if s.field == "contribution.date"]
    return next((v for _, v in inputs if isinstance(v, _dt.date)), default or cp.regulation.effective[0])


def _input(spec: Any, given: dict, program: Any, where: str) -> Any:
    if spec.name in given:
        return literal_value(given[spec.name], program, f"{where}.inputs.{spec.name}")
    if spec.type == "bool":
        return False  # a flag not given does not hold
    return Sentinel("missing", spec.name, None, field=spec.field)


def _error_only(code: str, expect: dict, number: int, at: Optional[str]) -> list[Mismatch]:
    wanted = expect.get("error")
    if wanted in ("*", code):
        return []
    return [Mismatch(number, "错误", str(wanted or "无"), code, at)]


def _error_expectation(wanted: Optional[str], codes: list, number: int, at: Optional[str]) -> list[Mismatch]:
    if wanted is None or (codes and wanted == "*") or wanted in codes:
        return []
    return [Mismatch(number, "错误", wanted, "、".join(dict.fromkeys(codes)) or "无（每项输出都已确定）", at)]

"""Running a regulation's worked settlement examples (docs/ir.md "examples"), as ``yibao test`` does.

An example gives inputs by input name as literal nodes, and per encounter the values, exclusion or
error it expects. Encounters run in order with counters carried between them, exactly as a case does;
person-level entries may also give a counter's starting value, as ``cuminfo`` would.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Optional

from yibao.runtime import contract as C
from yibao.runtime import messages as M
from yibao.runtime.evaluate import Program
from yibao.runtime.expr import literal_value
from yibao.runtime.settle import CounterBook, Regulation, _setlinfo_fen, normalise_counters
from yibao.runtime.values import Sentinel

from .results import ExampleResult, Mismatch, compare_value


def run_settlement_examples(regulation: Regulation, versions: tuple = ()) -> list[ExampleResult]:
    """The settlement section's worked examples; ``versions``, the region's other versions, settle the
    encounters dated when one of them is in force (as a case's would be)."""
    return [run_example(regulation, ex, i, versions) for i, ex in enumerate(regulation.ir["examples"])]


def run_example(regulation: Regulation, example: dict, index: int = 0, versions: tuple = ()) -> ExampleResult:
    program = regulation.program
    where = f"examples[{index}]"
    person = example.get("person") or {}
    inputs_given = {k: v for k, v in person.items() if k in program.input_of}
    starts = {k: literal_value(v, program, f"{where}.person.{k}") for k, v in person.items() if k in program.counter_of}
    encounters = example.get("encounters") or []
    # An example an amendment kept carries the date its undated encounters are checked on (docs/language.md §20).
    default = literal_value({"date": example["date"]}, program, where) if example.get("date") else regulation.effective[0]
    dates = [_date_of(enc.get("inputs") or {}, program, default, where) for enc in encounters]
    book = CounterBook({}, starts, dates[0] if dates else default)
    mismatches: list[Mismatch] = []
    for i, (enc, date) in enumerate(zip(encounters, dates)):
        given = dict(inputs_given)
        given.update(enc.get("inputs") or {})
        version = _in_force(regulation, versions, date)
        inputs = [_input_value(spec, given, date, version.program, f"{where}.encounters[{i}]")
                  for spec in version.program.inputs]
        mismatches += _check_encounter(version, inputs, date, enc, book, i + 1, (regulation, *versions))
    return ExampleResult(example.get("title", ""), example.get("article"), example.get("at"), mismatches, len(encounters))


def _in_force(regulation: Regulation, versions: tuple, date: _dt.date) -> Regulation:
    """The version that settles an encounter on ``date``: this one, else another of the region in force then."""
    if regulation.covers(date):
        return regulation
    return next((v for v in versions if v.covers(date)), regulation)


def _date_of(given: dict, program: Program, default: _dt.date, where: str) -> _dt.date:
    """The encounter's date: the setl_time input if the example gives it, else the regulation's start."""
    names = [s.name for s in program.inputs if s.field == "encounter.setl_time"] + ["结算日期"]
    for name in names:
        node = given.get(name)
        if isinstance(node, dict) and "date" in node:
            return literal_value(node, program, f"{where}.{name}")
    return default


def _input_value(spec: Any, given: dict, date: _dt.date, program: Program, where: str) -> Any:
    if spec.name in given:
        return literal_value(given[spec.name], program, f"{where}.inputs.{spec.name}")
    if spec.field == "encounter.setl_time":
        return date
    if spec.type == "money" and not spec.optional:
        return 0  # like the contract: a fee class not given is 0
    if spec.type == "bool":
        return False  # a flag not given does not hold
    return Sentinel("missing", spec.name, None, field=spec.field)


def _check_encounter(regulation: Regulation, inputs: list, date: _dt.date, enc: dict, book: CounterBook,
                     number: int, loaded: tuple = ()) -> list[Mismatch]:
    program = regulation.program
    at = enc.get("at")
    expect = enc.get("expect") or {}
    if not regulation.covers(date):  # as a case would: no regulation in force on that date
        error = M.no_regulation(date, regulation.region_name, list(loaded or (regulation,)))
        return _compare(program, None, error, expect, expect.get("values") or {}, number, at)
    outside = _out_of_scope(regulation, inputs)
    if outside is not None:  # as a case would: the 适用 clause leaves this person out
        return _compare(program, None, outside, expect, expect.get("values") or {}, number, at)
    counters = book.before(program, date)
    ev = program.evaluate(inputs, counters, program.contract.kept)
    error = M.from_sentinel(ev.error, ev.error_at) if ev.error is not None else None
    if error is None and regulation.settlement_problem() is None:
        _, problem = _setlinfo_fen(ev, program.contract)
        problem = problem or (normalise_counters(program, ev.counters_after) if ev.counters_after is not None else None)
        error = M.internal(problem) if problem else None
    values = expect.get("values") or {}
    if error is None:
        error = _sentinel_in_expected(program, ev.env, values)
    if error is None and ev.counters_after is not None:
        book.commit(program, date, ev.counters_after)
    return _compare(program, ev, error, expect, values, number, at)


def _out_of_scope(regulation: Regulation, inputs: list) -> Optional[dict]:
    """Examples give vocabulary inputs by member name: compare those with the covered members."""
    if regulation.scope is None:
        return None
    field, _, vocab, members, article = regulation.scope
    for spec, value in zip(regulation.program.inputs, inputs):
        if spec.field == field and value.__class__ is not Sentinel and value not in members:
            return M.out_of_scope(vocab, str(value), members, article, regulation.title)
    return None


def _sentinel_in_expected(program: Program, env: list, values: dict) -> Optional[dict]:
    for name in values:
        slot = program.slot_of.get(name)
        if slot is not None and env[slot].__class__ is Sentinel:
            return M.from_sentinel(env[slot], name)
    return None


def _compare(program: Program, ev: Any, error: Optional[dict], expect: dict, values: dict, number: int,
             at: Optional[str]) -> list[Mismatch]:
    wanted = expect.get("error")
    if wanted is not None:
        actual = "无错误" if error is None else f"{error['code']}：{error['message']}"
        if error is None or (wanted != "*" and wanted != error["code"]):
            return [Mismatch(number, "错误", str(wanted), actual, at)]
        subject = expect.get("error_subject")
        if subject and not _names(error.get("name"), subject):
            return [Mismatch(number, "错误的原因", subject, error.get("name") or actual, at)]
        # values the rules did compute before the open one stopped the encounter can still be checked
        return [m for name, node in values.items() for m in compare_value(program, ev.env, name, node, number, at)] \
            if ev is not None and ev.env is not None else []
    if error is not None:
        return [Mismatch(number, "错误", "无", f"{error['code']}：{error['message']}", at)]
    found = []
    if bool(expect.get("excluded")) != (ev.excluded is not None):
        actual = f"不予支付（{ev.excluded.article}）" if ev.excluded else "照常结算"
        found.append(Mismatch(number, "不予支付", "是" if expect.get("excluded") else "否", actual, at))
    for name, node in values.items():
        found += compare_value(program, ev.env, name, node, number, at)
    return found


def _names(actual: Optional[str], subject: str) -> bool:
    """``住院支付比例`` names the table and every cell of it (``住院支付比例[职工,未定级]``)."""
    return actual is not None and (actual == subject or actual.startswith(subject + "["))

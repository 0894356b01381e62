"""What running a worked example reports, for settlement and contribution examples alike, and how one
expected value is compared with the value the rules computed."""

from __future__ import annotations

from typing import Optional

from yibao.runtime.evaluate import Program
from yibao.runtime.expr import literal_value
from yibao.runtime.ir import IRError
from yibao.runtime.values import Sentinel, format_value

LITERALS = ("money", "rate", "count", "bool", "date", "enum")


class Mismatch:
    """One expectation that did not hold, in encounter ``encounter`` (1-based)."""

    __slots__ = ("encounter", "name", "expected", "actual", "at")

    def __init__(self, encounter: int, name: str, expected: str, actual: str, at: Optional[str]) -> None:
        self.encounter = encounter
        self.name = name
        self.expected = expected
        self.actual = actual
        self.at = at

    def __repr__(self) -> str:
        return f"Mismatch({self.encounter}, {self.name!r}, expected={self.expected!r}, actual={self.actual!r})"


class ExampleResult:
    def __init__(self, title: str, article: Optional[str], at: Optional[str], mismatches: list[Mismatch],
                 encounters: int) -> None:
        self.title = title
        self.article = article
        self.at = at
        self.mismatches = mismatches
        self.encounters = encounters
        self.passed = not mismatches

    def describe_failures(self) -> list[str]:
        return [f"就诊 {m.encounter}（{m.at or '—'}）：{m.name} 期望 {m.expected}，实际 {m.actual}" for m in self.mismatches]

    def __repr__(self) -> str:
        return f"ExampleResult({self.title!r}, passed={self.passed})"


def compare_value(program: Program, env: list, name: str, node: dict, number: int, at: Optional[str]) -> list:
    slot = program.slot_of.get(name)
    try:
        expected = literal_value(node, program, name)
    except IRError as exc:
        return [Mismatch(number, name, f"（无法读取的期望值：{exc}）", "—", at)]
    kind = next((k for k in LITERALS if k in node), None)
    shown = format_value(expected, kind)
    if slot is None:
        return [Mismatch(number, name, shown, "（规定中没有这个名称）", at)]
    actual = env[slot]
    if actual.__class__ is Sentinel or isinstance(actual, bool) != isinstance(expected, bool) or actual != expected:
        return [Mismatch(number, name, shown, format_value(actual, kind), at)]
    return []

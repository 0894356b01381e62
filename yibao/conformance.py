"""Conformance case files: ``regulations/<city>/*.cases.yaml``, in the spirit of the CEL spec and the DMN TCK.

Each case is a settlement input in the contract's own JSON shape and the expected outputs, to the fen,
or the expected per-encounter error or exclusion. ``yibao test`` runs them after the worked examples and
prints a city × feature pass matrix.

    region: "370500"
    cases:
      - name: 第三次住院不设起付标准
        feature: 住院起付线
        article: 第三十条
        input: {person: {...}, encounters: [...]}
        expect:
          - {mdtrt_id: E3, act_pay_dedc: "0.00", hifp_pay: "1377.50"}
          - {mdtrt_id: E4, error: YR01, cause: 门诊支付比例}
          - {mdtrt_id: E5, excluded: 第三十八条}

A contribution case (docs/contract.md section 2) says ``kind: contribute``; its input is a
contribution case and ``expect`` one mapping: amounts by output field (``null`` for an undetermined
one), optionally ``undetermined`` (the exact list of undetermined fields), ``error`` (the output's error
code) or ``input_error`` (the JSON path the exit-status-2 message must name):

      - name: 企业职工缴费基数按 60% 计
        kind: contribute
        feature: 缴费基数
        article: 第九条
        input: {date: "2020-06-01", avg_wage: 6000.00, person: {...}}
        expect: {base: "3600.00", employer_amt: "234.00", undetermined: []}
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
import weakref
from typing import Any, Optional

import attrs
import yaml

from yibao.runtime import CaseError, ContributionEngine, Engine, dumps_output, load_case_text

KINDS = ("settle", "contribute")
CONTRIBUTION_KEYS = ("undetermined", "error", "input_error")


class CaseFileError(Exception):
    """A case file that cannot be used: the message names the file, the case and the key."""


@attrs.frozen
class ConformanceCase:
    name: str
    feature: str
    article: Optional[str]
    input: dict
    expect: tuple[dict, ...]
    file: str
    kind: str = "settle"  # or "contribute": then ``expect`` holds one mapping


@attrs.frozen
class CaseOutcome:
    case: ConformanceCase
    passed: bool
    problems: tuple[str, ...]


def case_files_beside(rule_file: Path) -> list[Path]:
    return sorted(rule_file.parent.glob("*.cases.yaml"))


def load_case_file(path: Path) -> tuple[str, list[ConformanceCase]]:
    """Read and validate one case file; returns (region, cases)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CaseFileError(f"{path}: 无法读取用例文件：{exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise CaseFileError(f"{path}: 应为含 region 和 cases 列表的映射")
    region = str(data.get("region", ""))
    return region, [_case(path, i, raw, region) for i, raw in enumerate(data["cases"])]


def _case(path: Path, index: int, raw: Any, region: str) -> ConformanceCase:
    where = f"{path}: cases[{index}]"
    if not isinstance(raw, dict):
        raise CaseFileError(f"{where}: 应为映射")
    for key in ("name", "feature", "input", "expect"):
        if key not in raw:
            raise CaseFileError(f"{where}: 缺少 {key}")
    kind = raw.get("kind", "settle")
    if kind not in KINDS:
        raise CaseFileError(f"{where}: kind 应为 {' 或 '.join(KINDS)}，得到 {kind!r}")
    if not isinstance(raw["input"], dict):
        raise CaseFileError(f"{where}: input 应为映射")
    if kind == "contribute":
        if not isinstance(raw["expect"], dict):
            raise CaseFileError(f"{where}: 缴费用例的 expect 应为映射（输出字段 → 金额）")
        expect = (raw["expect"],)
    elif not isinstance(raw["expect"], list) or not all(isinstance(e, dict) and "mdtrt_id" in e for e in raw["expect"]):
        raise CaseFileError(f"{where}: expect 应为列表，每一项都是含 mdtrt_id 的映射")
    else:
        expect = tuple(raw["expect"])
    case_input = dict(raw["input"])
    case_input.setdefault("region", region)
    return ConformanceCase(str(raw["name"]), str(raw["feature"]), raw.get("article"), case_input, expect, str(path), kind)


def run_case(engine: Engine, case: ConformanceCase) -> CaseOutcome:
    """Settle the case through the contract (JSON text in, JSON text out) and compare exactly."""
    text = json.dumps(case.input, ensure_ascii=False)
    if case.kind == "contribute":
        return _run_contribution(engine, case, text)
    try:
        result = engine.settle(load_case_text(text, case.file), trace=False)
    except CaseError as exc:
        return CaseOutcome(case, False, (f"输入错误：{exc}",))
    output = json.loads(dumps_output(result.output), parse_float=Decimal)
    by_id = {e["mdtrt_id"]: e for e in output["encounters"]}
    problems = [p for expected in case.expect for p in _compare(expected, by_id.get(expected["mdtrt_id"]))]
    return CaseOutcome(case, not problems, tuple(problems))


def _compare(expected: dict, actual: Optional[dict]) -> list[str]:
    mdtrt_id = expected["mdtrt_id"]
    if actual is None:
        return [f"{mdtrt_id}: 输出中没有这次就诊"]
    if "error" in expected:
        got = actual.get("error", {}).get("code")
        if got != expected["error"]:
            return [f"{mdtrt_id}: 期望错误 {expected['error']}，实际 {got or '已结算'}"]
        return _compare_cause(mdtrt_id, expected.get("cause"), actual["error"].get("name"))
    if "error" in actual:
        return [f"{mdtrt_id}: 期望结算，实际错误 {actual['error']['code']}：{actual['error']['message']}"]
    problems = []
    if "excluded" in expected:
        got = (actual.get("excluded") or {}).get("article")
        if got != expected["excluded"]:
            problems.append(f"{mdtrt_id}: 期望按 {expected['excluded']} 不予支付，实际 {got or '未排除'}")
    for field, want in expected.items():
        if field in ("mdtrt_id", "error", "excluded"):
            continue
        problems += _compare_amount(mdtrt_id, field, want, actual["setlinfo"].get(field))
    return problems


def _compare_cause(mdtrt_id: str, cause: Optional[str], name: Optional[str]) -> list[str]:
    """``cause: 住院支付比例`` — the open (or missing) value named by the error, a table covering its cells."""
    if cause is None or (name is not None and (name == cause or name.startswith(f"{cause}["))):
        return []
    return [f"{mdtrt_id}: 期望错误的原因是「{cause}」，实际是「{name or '（未指明）'}」"]


def _compare_amount(mdtrt_id: str, field: str, want: Any, got: Any) -> list[str]:
    try:
        wanted = Decimal(str(want))
    except InvalidOperation:
        return [f"{mdtrt_id}.{field}: 期望值 {want!r} 不是数"]
    if got is None:
        return [f"{mdtrt_id}.{field}: setlinfo 中没有这个字段"]
    return [] if got == wanted else [f"{mdtrt_id}.{field}: 期望 {wanted}，实际 {got}"]


# ── contribution cases ────────────────────────────────────────────────────────────────────────

_CONTRIBUTIONS: "weakref.WeakKeyDictionary[Engine, ContributionEngine]" = weakref.WeakKeyDictionary()


def _contributions(engine: Engine) -> ContributionEngine:
    """The contribution engine over the settlement engine's regulations (built once per engine)."""
    if engine not in _CONTRIBUTIONS:
        _CONTRIBUTIONS[engine] = ContributionEngine(engine.regulations())
    return _CONTRIBUTIONS[engine]


def _run_contribution(engine: Engine, case: ConformanceCase, text: str) -> CaseOutcome:
    expected = case.expect[0]
    try:
        result = _contributions(engine).contribute(load_case_text(text, case.file), trace=False)
    except CaseError as exc:
        wanted = expected.get("input_error")
        if wanted is not None and any(path == wanted for path, _ in exc.problems):
            return CaseOutcome(case, True, ())
        return CaseOutcome(case, False, (f"输入错误：{exc}",))
    if "input_error" in expected:
        return CaseOutcome(case, False, (f"期望输入错误（{expected['input_error']}），实际已算出",))
    output = json.loads(dumps_output(result.output), parse_float=Decimal)
    problems = _compare_contribution(expected, output)
    return CaseOutcome(case, not problems, tuple(problems))


def _compare_contribution(expected: dict, output: dict) -> list[str]:
    if "error" in expected or "error" in output:
        got = (output.get("error") or {}).get("code")
        if got == expected.get("error"):
            return []
        return [f"期望错误 {expected.get('error') or '无'}，实际 {got or '已算出'}"
                + (f"：{output['error']['message']}" if got else "")]
    problems = []
    if "undetermined" in expected:
        got = [u["field"] for u in output["undetermined"]]
        if sorted(got) != sorted(expected["undetermined"]):
            problems.append(f"undetermined: 期望 {expected['undetermined']}，实际 {got}")
    for field, want in expected.items():
        if field in CONTRIBUTION_KEYS:
            continue
        if field not in output:
            problems.append(f"{field}: 输出中没有这个字段")
        elif want is None or output[field] is None:
            if want is not output[field]:
                problems.append(f"{field}: 期望 {want}，实际 {output[field]}")
        else:
            problems += _compare_amount("缴费", field, want, output[field])
    return problems

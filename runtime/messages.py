"""All per-encounter error codes and their Chinese messages, in one place (codes are stable).

| code | meaning |
|------|---------|
| YR01 | a value the result needs is open (待定) in the regulation |
| YR02 | a table cell the result needs is marked 不适用 |
| YR03 | an optional input the result needs is absent from the case |
| YR04 | no regulation of the region is in force on the encounter's date |
| YR05 | the regulation does not cover the person's 险种 (or another code it has no member for) |
| YR06 | the result needs a division whose divisor is zero |
| YR10 | batch settlement: the row cannot be used (malformed value, missing field, person fields that disagree) |
| YR90 | internal error: the rules gave a result that breaks the contract's invariants |
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Optional

from .values import Sentinel

CODES = {
    "YR01": "规定中待定的值",
    "YR02": "不适用的表格单元",
    "YR03": "缺少结算所需的可选输入",
    "YR04": "结算日期没有施行中的规定",
    "YR05": "规定不涵盖该险种（或代码）",
    "YR06": "计算中除数为零",
    "YR10": "批量结算的输入行不合法",
    "YR90": "内部错误",
}


def error(code: str, message: str, article: Optional[str]) -> dict:
    return {"code": code, "message": message, "article": article}


def _cite(article: Optional[str]) -> str:
    return f"（{article}）" if article else ""


def _where(at: Optional[str]) -> str:
    return f"，计算 {at} 时用到" if at else ""


def from_sentinel(s: Sentinel, at: Optional[str]) -> dict:
    """The encounter error for a sentinel that reached a result."""
    if s.kind == "open":
        reason = f"：{s.reason}" if s.reason else "：规定未给出这个值"
        return named(error("YR01", f"「{s.name}」待定{_cite(s.article)}{reason}。本次结算需要它{_where(at)}，无法结算", s.article),
                     s.name)
    if s.kind == "na":
        return named(error("YR02", f"「{s.name}」不适用{_cite(s.article)}：规定对这种情形没有这个值，本次结算却需要它{_where(at)}",
                           s.article), s.name)
    if s.kind == "missing":
        field = s.field or s.name
        return named(error("YR03", f"缺少输入 {field}（{s.name}）：本次结算需要它{_cite(s.article)}{_where(at)}；请在案例中给出 {field}",
                           s.article), s.name)
    if s.kind == "divzero":
        return error("YR06", f"计算中除数为零{_cite(s.article)}{_where(at)}，无法结算", s.article)
    return internal(f"未知的哨兵值 {s.kind}")


def named(err: dict, name: str) -> dict:
    """Name the open, 不适用 or missing value behind an error, so callers and tests need not parse the message."""
    err["name"] = name
    return err


def no_regulation(date: _dt.date, region: str, regulations: list, what: str = "结算日期") -> dict:
    listed = "；".join(f"{r.title} 施行 {r.effective[0]} 至 {r.effective[1] or '—'}" for r in regulations) or "无"
    nearest = _nearest(date, regulations)
    return error("YR04", f"{what} {date.isoformat()} 没有施行中的{region}规定（已载入：{listed}）",
                 nearest.effective_article if nearest else None)


def _nearest(date: _dt.date, regulations: list) -> Any:
    def distance(r: Any) -> int:
        start, end = r.effective
        if date < start:
            return (start - date).days
        return (date - end).days if end else 0
    return min(regulations, key=lambda r: (distance(r), r.effective[0])) if regulations else None


def not_covered(field: str, code: str, vocab: str, title: str) -> dict:
    return error("YR05", f"《{title}》的词表「{vocab}」没有代码 {code}（{field}）：该规定不涵盖这一{vocab}，无法按它结算", None)


def out_of_scope(vocab: str, code: str, covered: list[str], article: Optional[str], title: str) -> dict:
    return error("YR05", f"《{title}》只适用于{vocab}「{'、'.join(covered)}」{_cite(article)}，"
                         f"代码 {code} 不在其内，无法按它结算", article)


def internal(detail: str) -> dict:
    return error("YR90", f"内部错误：{detail}。结果未输出，请把案例和规则报告给维护者", None)


def missing_field(path: str, key: str, label: str, input_name: str, title: str) -> str:
    also = "（也可给 hosp_lv）" if key == "dedc_hosp_lv" else ""
    return f"缺少必填字段 {key}（{label}）{also}：《{title}》的输入「{input_name}」需要它"

"""All per-encounter error codes and their Chinese messages, in one place (codes are stable).

| code | meaning |
|------|---------|
| YR01 | a value the result needs is open (待定) in the regulation |
| YR02 | a table cell the result needs is marked 不适用 |
| YR03 | an optional input the result needs is absent from the case |
| YR04 | no regulation of the region is in force on the encounter's date |
| YR05 | the regulation does not cover the person's 险种 (or another code it has no member for) |
| YR06 | the result needs a division whose divisor is zero |
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


# ── refusals of hostile input (docs/limits.md): case, IR and CLI text, by key ─────────────────
# Filled with str.format; the numbers come from runtime/limits.py so the text and the limit cannot drift.

LIMIT_TEXT = {
    "amount.range": "金额超出范围（最大 {max} 元）",
    "amount.digits": "金额位数过多（最多 {digits} 位整数、两位小数）",
    "count.range": "超出范围（最大 {max}）",
    "json.depth": "JSON 嵌套超过 {limit} 层",
    "json.digits": "JSON 中的数字超过 {limit} 位",
    "case.long_number": "{problem}：金额最大 {max_amount} 元，计数最大 {max_count}",
    "case.not_text": "结算案例应为文本（str），得到 {kind}",
    "case.too_large": "案例过大（{size} 个字符，上限 {limit}）",
    "case.surrogate_text": "案例文本含有不成对的 UTF-16 代理项，不是合法的 UTF-8 文本",
    "string.surrogate": "字符串含有不成对的 UTF-16 代理项（\\ud800–\\udfff），不是合法的文本",
    "ir.too_large": "IR 过大（{size}，上限 {limit}）",
    "ir.depth_text": "IR 第 {line} 行第 {col} 列：{problem}（docs/limits.md）",
    "ir.depth": "{path}: IR 嵌套超过 {limit} 层（docs/limits.md）",
    "ir.expr_depth": "{path}: 表达式嵌套超过 {limit} 层（docs/limits.md）",
    "ir.long_number": "IR：{problem}",
    "ir.surrogate": "IR 含有不成对的 UTF-16 代理项，不是合法的 UTF-8 文本：{near!r}…",
    "ir.one_source": "读取 IR 须给出且只给出一个来源：IR 对象、text=（JSON 文本）或 path=（文件路径）",
    "ir.text_kind": "text= 应为 JSON 文本（str 或 bytes），得到 {kind}",
    "ir.path_kind": "path= 应为非空的文件路径，得到 {path!r}",
    "ir.ambiguous": "无法把字符串 {shown} 当作 IR：它不是 JSON 文本；要读取文件请用 path=（不会猜测字符串是路径）",
    "ir.unreadable": "无法读取 IR 文件 {path}：{reason}",
    "ir.source_kind": "无法从 {kind} 读取 IR",
    "schema.expected": "{path}: {expected}，得到 {found}",
    "schema.missing": "{path}: 缺少字段 {key}",
    "schema.shape": "{path}: 无法识别的表达式节点（键：{keys}）",
    "schema.surrogate": "{path}: 字符串含有不成对的 UTF-16 代理项，不是合法的文本",
}


def limit_text(which: str, /, **fields: Any) -> str:
    return LIMIT_TEXT[which].format(**fields)

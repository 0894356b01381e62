"""A readable Chinese settlement slip (结算单) from a settlement's output, citing articles.

Each line names the article of the rule that produced it (taken from the trace, so an applied
exception's article rather than the default's) and the slip ends with the interpretations that the
settlement actually relied on. Errors and exclusions are explained in words.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any, Optional

from . import contract as C
from . import messages as M
from .evaluator import names_read
from .settle import Engine, Regulation, SettleResult
from .values import format_money, format_percent

LINES = (
    ("medfee_sumamt", "医疗费总额"),
    ("fulamt_ownpay_amt", "其中 全自费（丙类）"),
    ("overlmt_selfpay", "其中 超限价自付"),
    ("preselfpay_amt", "其中 乙类先行自付"),
    ("inscp_scp_amt", "符合政策范围金额"),
    ("act_pay_dedc", "起付线"),
    ("pool_prop_selfpay", "统筹基金支付比例"),
    ("hifp_pay", "统筹基金支付"),
    ("hifob_pay", "职工大额医疗费用补助"),
    ("cvlserv_pay", "公务员医疗补助"),
    ("hifmi_pay", "城乡居民大病保险"),
    ("maf_pay", "医疗救助"),
    ("oth_pay", "其他基金"),
    ("fund_pay_sumamt", "基金支付合计"),
    ("psn_part_amt", "个人负担"),
    ("acct_pay", "其中 个人账户支付"),
    ("balc", "个人账户余额"),
)
# written as a percentage, not in 元
PERCENT_LINES = ("pool_prop_selfpay",)
ALWAYS = ("medfee_sumamt", "inscp_scp_amt", "act_pay_dedc", "pool_prop_selfpay", "hifp_pay", "fund_pay_sumamt",
          "psn_part_amt")
LABEL_WIDTH = 22
# sums of other lines: citing the nearest article behind them would mislead
UNCITED = ("medfee_sumamt", "fund_pay_sumamt", "psn_part_amt")


def explain(result: Any, engine_or_regulation: Any = None) -> str:
    """The slip for a ``SettleResult`` (or its ``.output`` dict). Each line cites its article when the
    regulation that settled it is at hand: given here (an Engine or a Regulation), or remembered by the
    output ``Engine.settle`` returned. Nothing is looked up process-wide."""
    fees = result.fees if isinstance(result, SettleResult) else None
    output = result.output if isinstance(result, SettleResult) else result
    region = output.get("region", "")
    known = dict(getattr(output, "regulations", {}))
    rows = output.get("encounters", [])
    regs = [_regulation_for(row, engine_or_regulation, known) for row in rows]
    name = next((r.region_name for r in regs if r is not None), "")  # the region's own 地区 line
    blocks = [f"结算单　参保地区 {region} {name}".rstrip()]
    for i, (row, reg) in enumerate(zip(rows, regs)):
        blocks.append(_encounter(row, reg, fees[i] if fees and i < len(fees) else None))
    return "\n\n".join(blocks) + "\n"


def _regulation_for(row: dict, given: Any, known: dict) -> Optional[Regulation]:
    sha = (row.get("regulation") or {}).get("ir_sha256")
    if sha is None:
        return None
    if sha in known:
        return known[sha]
    if isinstance(given, Regulation):
        return given if given.sha256 == sha else None
    if isinstance(given, Engine):
        return next((r for r in given.regulations() if r.sha256 == sha), None)
    return None


def _encounter(row: dict, reg: Optional[Regulation], fees: Optional[dict]) -> str:
    head = f"就诊 {row.get('mdtrt_id')}"
    if "error" in row:
        return _error(head, row["error"])
    info = row["setlinfo"]
    regulation = row["regulation"]
    start, end = regulation["effective"]
    lines = [f"{head}　依据《{regulation['title']}》（施行 {start} 至 {end or '今'}）"]
    if "excluded" in row:
        ex = row["excluded"]
        lines.append(f"  不予支付{_cite(ex.get('article'))}：{ex.get('reason')}")
        lines.append(f"  医疗费总额 {_yuan(info['medfee_sumamt'])} 元全部由个人负担，各项基金支付 0.00 元。")
        return "\n".join(lines)
    trace = {t["name"]: t for t in row.get("trace", [])}
    for field, label in LINES:
        if field not in info or (field not in ALWAYS and info[field] == 0):
            continue
        lines.append(_line(label, field, info[field], _articles(field, reg, trace)))
        if field == "medfee_sumamt" and fees is not None:
            lines.append("    " + "，".join(f"{name} {format_money(fees[k])} 元" for k, name in C.FEE_CLASSES.items())
                         + f"，超限价 {format_money(fees['overlmt'])} 元")
    for detail in row.get("setldetail", []):
        if detail.get("crt_payb_lmt_amt") is not None:
            lines.append(f"  本次可支付限额 {_yuan(detail['crt_payb_lmt_amt'])} 元（{detail['fund_pay_type_name']}，本次结算前）")
    notes = _notes(row.get("trace", []), reg)
    if notes:
        lines.append("  所用解释：")
        lines += [f"    · {note}" for note in notes]
    return "\n".join(lines)


def _error(head: str, err: dict) -> str:
    meaning = M.CODES.get(err.get("code"), "")
    lines = [f"{head}　无法结算〔{err.get('code')} {meaning}〕", f"  {err.get('message')}"]
    if err.get("article"):
        lines.append(f"  相关条文：{err['article']}")
    lines.append("  本次就诊未计入任何累计（计数器不变），其余就诊照常结算。")
    return "\n".join(lines)


def _line(label: str, field: str, value: Any, articles: list[str]) -> str:
    if field in PERCENT_LINES:
        text = f"{format_percent(Decimal(value)):>12}   "
    else:
        text = f"{_yuan(value):>12} 元"
    cite = f"  {'、'.join(articles)}" if articles else ""
    return f"  {_pad(label, LABEL_WIDTH)}{text}{cite}".rstrip()


def _yuan(value: Any) -> str:
    return f"{Decimal(value):.2f}"


def _pad(text: str, width: int) -> str:
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 1)


def _cite(article: Optional[str]) -> str:
    return f"（{article}）" if article else ""


def _articles(field: str, reg: Optional[Regulation], trace: dict) -> list[str]:
    """The articles behind an output: the nearest rules in the trace that cite one."""
    if reg is None or not trace or field in UNCITED:
        return []
    out = reg.program.output_of.get(field)
    if out is None or out.expr.kind != "ref":
        return []
    frontier, seen = [out.expr.name], set()
    while frontier:
        found = [a for n in frontier if n in trace and trace[n].get("article") for a in _passed_through(reg, trace, n)]
        if found:
            return list(dict.fromkeys(found))
        seen.update(frontier)
        frontier = [r for n in frontier for r in _static_refs(reg, n) if r in trace and r not in seen]
        frontier = list(dict.fromkeys(frontier))
    return []


def _passed_through(reg: Regulation, trace: dict, name: str) -> list[str]:
    """The article of ``name`` and, first, of the rules its value came from unchanged: 统筹支付比例 (第三十一条)
    that only picks 门诊支付比例 (第三十三条) cites 第三十三条 as well, where the number is written."""
    articles, seen = [trace[name]["article"]], {name}
    while True:
        value = trace[name]["value"]
        same = [r for r in _static_refs(reg, name) if r in trace and r not in seen and trace[r]["value"] == value]
        if not same:
            return articles
        name = same[0]
        seen.add(name)
        if trace[name].get("article"):
            articles.insert(0, trace[name]["article"])


def _static_refs(reg: Regulation, name: str) -> list[str]:
    d = reg.program.definition_of.get(name)
    if d is None:
        return []
    return names_read(d.default.expr, *[n for e in d.exceptions for n in (e.when, e.expr)])


def _notes(trace: list[dict], reg: Optional[Regulation] = None) -> list[str]:
    """The interpretations behind the values used, each under the article that records it (a note on a
    value set in 第三十一条 may come from 第四十六条, which adjusts it)."""
    recorded = [n for n in (reg.ir.get("interpretations", []) if reg is not None else []) if n.get("text")]
    notes = []
    for item in trace:
        if not item.get("note"):
            continue
        used = [n for n in recorded if n.get("subject") == item["name"] and n["text"] in item["note"]]
        for note in used or [{"article": item["article"], "text": item["note"]}]:
            text = f"{note['article'] or '—'}（{item['name']}）：{note['text']}"
            if text not in notes:
                notes.append(text)
    return notes

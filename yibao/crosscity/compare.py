"""``yibao compare``: the same person and encounters settled under each city, side by side.

One case gives, per encounter, the rows fund pay, patient pay, deductible, ratio and 大额 for every city,
each with the article that decided it (read from the trace the runtime recorded). An open value shows as
open with its article, never as 0; a date no regulation covers shows YR04, a 险种 outside the regulation's
scope YR05, an exclusion 不予支付 with its article. A claims file (JSON Lines) gives per-city totals and the
encounters where the cities differ; a bad line is listed with its number and reason, the others still run.
"""

from __future__ import annotations

import copy
import datetime as _dt
from decimal import Decimal
from typing import Any, Iterable, Optional

from yibao.runtime import CaseError, load_case_text

# (key, label, setlinfo field, the model's names whose articles decide the row)
ROWS = (
    ("fund", "基金支付", "fund_pay_sumamt", ("统筹支付比例", "应付起付线", "统筹基金年度限额", "大额支付比例")),
    ("patient", "个人负担", "psn_part_amt", ("统筹支付比例", "应付起付线", "统筹基金年度限额", "大额支付比例")),
    ("deductible", "起付线", "act_pay_dedc", ("应付起付线",)),
    ("ratio", "支付比例", "pool_prop_selfpay", ("统筹支付比例",)),
    ("hifob", "大额补助", "hifob_pay", ("大额支付比例", "享受大额补助")),
)


class CompareError(ValueError):
    """The comparison cannot run at all (a bad --date)."""


def parse_date(text: Optional[str]) -> Optional[_dt.date]:
    if text is None:
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise CompareError(f"--date 应为 yyyy-MM-dd 形式的日期，得到 {text!r}") from None


def move_dates(case: dict, date: _dt.date) -> dict:
    """The case with its first encounter on ``date``; later encounters and the birthday keep their distance,
    so ages and the order of the year are unchanged."""
    moved = copy.deepcopy(case)
    encounters = moved.get("encounters")
    if not isinstance(encounters, list) or not encounters or not isinstance(encounters[0], dict):
        return moved
    first = _day(encounters[0].get("setl_time"))
    if first is None:
        return moved
    delta = date - first
    for encounter in encounters:
        if isinstance(encounter, dict) and _day(encounter.get("setl_time")) is not None:
            text = encounter["setl_time"]
            encounter["setl_time"] = (_day(text) + delta).isoformat() + text[10:]
    person = moved.get("person")
    if isinstance(person, dict) and _day(person.get("brdy")) is not None:
        person["brdy"] = _shift_birthday(_day(person["brdy"]), delta).isoformat()
    return moved


def _day(text: Any) -> Optional[_dt.date]:
    if not isinstance(text, str) or len(text) < 10:
        return None
    try:
        return _dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _shift_birthday(born: _dt.date, delta: _dt.timedelta) -> _dt.date:
    try:
        return born + delta
    except OverflowError:
        return born


# ── one case ──

def compare_case(engine: Any, case: dict, codes: list[str], names: dict[str, str],
                 date: Optional[_dt.date] = None) -> dict:
    """{"regions": […], "encounters": [{"mdtrt_id", "setl_time", "cells": {code: cell}}]}."""
    if date is not None:
        case = move_dates(case, date)
    per_city = {code: _settle_in(engine, case, code) for code in codes}
    refused = {code: settled["refused"] for code, settled in per_city.items() if isinstance(settled, dict)}
    encounters = []
    for index, raw in enumerate(case.get("encounters") or []):
        raw = raw if isinstance(raw, dict) else {}
        encounters.append({"mdtrt_id": raw.get("mdtrt_id"), "setl_time": raw.get("setl_time"),
                           "cells": {code: _cell(per_city[code], index) for code in codes}})
    return {"regions": [{"code": code, "name": names[code]} for code in codes], "encounters": encounters,
            "refused": refused}


def _settle_in(engine: Any, case: dict, code: str) -> Any:
    """The settled rows under one city, or the CaseError text when that city cannot read the case."""
    try:
        result = engine.settle(case, region=code, trace=True)
    except CaseError as exc:
        return {"refused": str(exc)}
    return result.output["encounters"]


def _cell(settled: Any, index: int) -> dict:
    if isinstance(settled, dict):
        return {"status": "refused", "reason": settled["refused"]}
    row = settled[index]
    if "error" in row:
        error = row["error"]
        return {"status": "error", "code": error["code"], "article": error.get("article"),
                "name": error.get("name"), "message": error["message"]}
    articles = _articles(row["trace"])
    values = {key: {"value": str(row["setlinfo"][field]), "article": _first(articles, names)}
              for key, _, field, names in ROWS}
    cell = {"status": "excluded" if "excluded" in row else "settled", "values": values}
    if "excluded" in row:
        cell["article"] = row["excluded"]["article"]
        cell["reason"] = row["excluded"]["reason"]
        for value in values.values():
            value["article"] = row["excluded"]["article"]
    return cell


def _articles(trace: list[dict]) -> dict[str, str]:
    return {item["name"]: item["article"] for item in trace if item.get("article")}


def _first(articles: dict[str, str], names: Iterable[str]) -> Optional[str]:
    """The articles of the rules that decided a row, in the row's order of importance, joined."""
    found = [articles[name] for name in names if name in articles]
    unique = list(dict.fromkeys(found))
    return "、".join(unique) if unique else None


# ── a claims file ──

def read_claims(text: str, name: str) -> tuple[list[tuple[int, dict]], list[dict]]:
    """(line number, case) for every readable line, and {"line", "reason"} for each bad one."""
    good, bad = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            good.append((number, load_case_text(line, f"{name}:{number}")))
        except CaseError as exc:
            bad.append({"line": number, "reason": "；".join(message for _, message in exc.problems)})
    return good, bad


def compare_claims(engine: Any, claims: list[tuple[int, dict]], bad: list[dict], codes: list[str],
                   names: dict[str, str], date: Optional[_dt.date] = None) -> dict:
    """Per-city totals and the encounters whose outcome differs between cities. A line every city refuses is
    a bad line too (with each city's reason); one only some cities refuse is counted as refused there."""
    totals = {code: _empty_total() for code in codes}
    differences, bad = [], list(bad)
    for number, case in claims:
        compared = compare_case(engine, case, codes, names, date)
        if len(compared["refused"]) == len(codes):
            reasons = "；".join(f"{names[c]}：{_problems(compared['refused'][c])}" for c in codes)
            bad.append({"line": number, "reason": reasons})
            continue
        psn_no = (case.get("person") or {}).get("psn_no") if isinstance(case.get("person"), dict) else None
        for enc in compared["encounters"]:
            for code in codes:
                _add(totals[code], enc["cells"][code])
            if _differs(enc["cells"], codes):
                differences.append({"line": number, "psn_no": psn_no, "mdtrt_id": enc["mdtrt_id"],
                                    "setl_time": enc["setl_time"], "cells": enc["cells"]})
    return {"regions": [{"code": code, "name": names[code]} for code in codes],
            "totals": {code: _total_json(totals[code]) for code in codes},
            "differences": differences, "bad_lines": sorted(bad, key=lambda b: b["line"])}


def _problems(message: str) -> str:
    """A CaseError's text without the file name each line starts with."""
    return "；".join(line.split(": ", 1)[-1] for line in message.splitlines())


def _empty_total() -> dict:
    return {"encounters": 0, "settled": 0, "excluded": 0, "refused": 0, "errors": {},
            "medfee": Decimal(0), "fund": Decimal(0), "patient": Decimal(0)}


def _add(total: dict, cell: dict) -> None:
    total["encounters"] += 1
    status = cell["status"]
    if status == "error":
        total["errors"][cell["code"]] = total["errors"].get(cell["code"], 0) + 1
        return
    total[status] += 1
    if status in ("settled", "excluded"):
        fund, patient = Decimal(cell["values"]["fund"]["value"]), Decimal(cell["values"]["patient"]["value"])
        total["fund"] += fund
        total["patient"] += patient
        total["medfee"] += fund + patient


def _total_json(total: dict) -> dict:
    out = dict(total)
    out["errors"] = dict(sorted(total["errors"].items()))
    for key in ("medfee", "fund", "patient"):
        out[key] = f"{total[key]:.2f}"
    return out


def _differs(cells: dict, codes: list[str]) -> bool:
    """Cities disagree on the outcome or, where both settled, on the fund pay."""
    outcomes = {_outcome(cells[code]) for code in codes}
    return len(outcomes) > 1


def _outcome(cell: dict) -> tuple:
    if cell["status"] in ("settled", "excluded"):
        return ("paid", cell["values"]["fund"]["value"])
    return (cell["status"], cell.get("code"))


# ── rendering ──

def cell_text(cell: dict, key: str) -> str:
    status = cell["status"]
    if status == "refused":
        return "输入不可用"
    if status == "error":
        return _error_text(cell)
    value = cell["values"][key]
    cited = f"（{value['article']}）" if value["article"] else ""
    if status == "excluded":
        return f"{value['value']} 不予支付{cited}"
    return f"{value['value']}{cited}"


def _error_text(cell: dict) -> str:
    code, article = cell["code"], cell.get("article")
    cited = f"（{article}）" if article else ""
    if code == "YR01":
        return f"待定 {cell.get('name') or ''}{cited} YR01"
    if code == "YR02":
        return f"不适用 {cell.get('name') or ''}{cited} YR02"
    if code == "YR04":
        return "不在施行期 YR04"
    if code == "YR05":
        return f"不在适用范围{cited} YR05"
    return f"错误 {code}{cited}"


def case_text(compared: dict) -> str:
    from .tables import text_table

    codes = [r["code"] for r in compared["regions"]]
    header = ["项目"] + [r["name"] for r in compared["regions"]]
    parts = []
    for enc in compared["encounters"]:
        rows = [[label] + [cell_text(enc["cells"][code], key) for code in codes] for key, label, _, _ in ROWS]
        parts.append(f"就诊 {enc['mdtrt_id']}（{enc['setl_time']}）\n" + text_table(header, rows))
    for code, reason in compared["refused"].items():
        parts.append(f"{_name(compared, code)}：案例不可用：{_problems(reason)}\n")
    return "\n".join(parts)


def case_csv(compared: dict) -> str:
    from .tables import csv_text

    rows = []
    for enc in compared["encounters"]:
        for region in compared["regions"]:
            cell = enc["cells"][region["code"]]
            for key, label, field, _ in ROWS:
                rows.append([enc["mdtrt_id"], enc["setl_time"], region["code"], region["name"], key, label,
                             *_csv_value(cell, key)])
    return csv_text(["mdtrt_id", "setl_time", "region", "region_name", "item", "item_name", "status", "value",
                     "article", "code", "name"], rows)


def _csv_value(cell: dict, key: str) -> list[str]:
    if cell["status"] in ("settled", "excluded"):
        value = cell["values"][key]
        return [cell["status"], value["value"], value["article"] or "", "", ""]
    return [cell["status"], "", cell.get("article") or "", cell.get("code") or "", cell.get("name") or ""]


def _name(compared: dict, code: str) -> str:
    return next(r["name"] for r in compared["regions"] if r["code"] == code)


def claims_text(report: dict, limit: int = 20) -> str:
    from .tables import text_table

    codes = [r["code"] for r in report["regions"]]
    header = ["合计"] + [r["name"] for r in report["regions"]]
    totals = report["totals"]
    rows = [[label] + [str(totals[c][key]) for c in codes] for key, label in
            (("encounters", "就诊数"), ("settled", "已结算"), ("excluded", "不予支付"), ("refused", "输入不可用"),
             ("medfee", "医疗费总额"), ("fund", "基金支付"), ("patient", "个人负担"))]
    rows.append(["错误"] + ["、".join(f"{k} {v}" for k, v in totals[c]["errors"].items()) or "0" for c in codes])
    parts = [text_table(header, rows)]
    diffs = report["differences"]
    parts.append(f"各市结果不同的就诊：{len(diffs)}" + (f"（列出前 {limit} 个，--json/--csv 给出全部）" if len(diffs) > limit else ""))
    diff_header = ["行", "人员", "就诊"] + [r["name"] for r in report["regions"]]
    diff_rows = [[str(d["line"]), str(d["psn_no"]), str(d["mdtrt_id"])] + [cell_text(d["cells"][c], "fund") for c in codes]
                 for d in diffs[:limit]]
    if diff_rows:
        parts.append(text_table(diff_header, diff_rows))
    for bad in report["bad_lines"]:
        parts.append(f"第 {bad['line']} 行：{bad['reason']}")
    return "\n".join(parts) + "\n"


def claims_csv(report: dict) -> str:
    from .tables import csv_text

    rows = []
    for region in report["regions"]:
        total = report["totals"][region["code"]]
        rows.append(["total", "", "", "", region["code"], region["name"], "", total["fund"], total["patient"],
                     json_errors(total["errors"]), ""])
    for d in report["differences"]:
        for region in report["regions"]:
            cell = d["cells"][region["code"]]
            status, fund, article, code, _ = _csv_value(cell, "fund")
            patient = cell["values"]["patient"]["value"] if status in ("settled", "excluded") else ""
            rows.append(["difference", d["line"], d["psn_no"], d["mdtrt_id"], region["code"], region["name"], status,
                         fund, patient, code, article])
    for bad in report["bad_lines"]:
        rows.append(["bad_line", bad["line"], "", "", "", "", "", "", "", "", bad["reason"]])
    return csv_text(["kind", "line", "psn_no", "mdtrt_id", "region", "region_name", "status", "fund", "patient",
                     "code", "article_or_reason"], rows)


def json_errors(errors: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in errors.items())

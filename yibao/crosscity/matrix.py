"""``yibao matrix``: the named province parameters side by side, by city, each cell citing its article.

The rows are the province parameters (省级参数, regulations/shandong/parameters.yb) in their declared order,
one per cell key a city's table has; a city binds a parameter by a table or definition of that name. A city
without it shows —, an open cell 待定, a 不适用 cell 不适用, a formula its text; every value cites its article
(or, stated outside any article, its place in the rule file).
"""

from __future__ import annotations

import datetime as _dt
from typing import Optional

import attrs

from . import params as P
from .exprtext import expr_text


def in_force(group: list[dict], date: Optional[_dt.date]) -> Optional[dict]:
    """The regulation in force on ``date`` (the latest one when no date is given), or None."""
    if date is None:
        return group[-1]
    for ir in group:
        start, end = ir["regulation"]["effective"]
        if _dt.date.fromisoformat(start) <= date and (end is None or date <= _dt.date.fromisoformat(end)):
            return ir
    return None


def build_matrix(province: dict, by_code: dict[str, list[dict]], date: Optional[_dt.date] = None) -> dict:
    chosen = {code: in_force(group, date) for code, group in by_code.items()}
    regions = [_region(code, group, chosen[code]) for code, group in by_code.items()]
    rows = []
    for parameter in province["parameters"]:
        bindings = {code: P.binding(ir, parameter["name"]) if ir else None for code, ir in chosen.items()}
        if not any(bindings.values()):
            continue  # no city in force declares it
        bindings = _within_scope(bindings, chosen)
        for key in _keys(bindings):
            cells = {code: _cell(bindings[code], key, chosen[code]) for code in by_code}
            rows.append({"parameter": parameter["name"], "label": parameter["label"], "key": key, "cells": cells})
    return {"date": date.isoformat() if date else None, "regions": regions, "rows": rows}


def _region(code: str, group: list[dict], ir: Optional[dict]) -> dict:
    out = {"code": code, "name": group[0]["regulation"]["region_name"]}
    if ir is not None:
        out.update(title=ir["regulation"]["title"], effective=ir["regulation"]["effective"])
    return out


def _within_scope(bindings: dict, chosen: dict) -> dict:
    """A city whose regulation covers one member only (济宁 第二条: 居民) has no column for that dimension; where
    other cities split the parameter by it, its cells go in that member's rows (济宁 居民 beside 东营 居民)."""
    split_by = {d for b in bindings.values() if b for d in b.dims}
    out = {}
    for code, bound in bindings.items():
        applies = (chosen[code] or {}).get("regulation", {}).get("applies_to")
        if bound and applies and len(applies["members"]) == 1 and applies["vocabulary"] in split_by - set(bound.dims):
            fixed = {applies["vocabulary"]: applies["members"][0]}
            cells = tuple(attrs.evolve(c, key={**fixed, **c.key}) for c in bound.cells)
            bound = attrs.evolve(bound, dims=(applies["vocabulary"], *bound.dims), cells=cells)
        out[code] = bound
    return out


def _keys(bindings: dict) -> list[dict]:
    """Every cell key some city's binding has, in the order they first appear."""
    keys: list[dict] = []
    for bound in bindings.values():
        for cell in bound.cells if bound else ():
            if cell.key not in keys:
                keys.append(cell.key)
    return keys


def _cell(bound: Optional[P.Binding], key: dict, ir: Optional[dict]) -> dict:
    if ir is None:
        return {"status": "out_of_force"}
    if bound is None:
        return {"status": "absent"}
    cell = next((c for c in bound.cells if c.key == key), None)
    if cell is None:
        return {"status": "absent"}
    out = {"status": cell.kind, "value": expr_text(cell.expr), "article": cell.article, "at": cell.at}
    if cell.kind == "open":
        out["reason"] = cell.expr.get("reason")
    if bound.exceptions:
        out["exceptions"] = list(bound.exceptions)
    return out


def key_text(key: dict) -> str:
    return "、".join(key.values()) if key else "—"


def cell_text(cell: dict) -> str:
    status = cell["status"]
    if status == "out_of_force":
        return "不在施行期"
    if status == "absent":
        return "—"
    # a value stated outside any article (济宁's 不适用 for the employee-only parameters) cites its place instead
    cited = f"（{cell['article']}）" if cell.get("article") else f"（条文外：{cell['at']}）" if cell.get("at") else ""
    exceptions = cell.get("exceptions") or []
    extra = f"，另有例外 {len(exceptions)} 条（{'、'.join(dict.fromkeys(exceptions))}）" if exceptions else ""
    return f"{cell['value']}{cited}{extra}"


def matrix_text(matrix: dict) -> str:
    from .tables import text_table

    codes = [r["code"] for r in matrix["regions"]]
    header = ["参数", "分项"] + [r["name"] for r in matrix["regions"]]
    rows = [[row["label"], key_text(row["key"])] + [cell_text(row["cells"][c]) for c in codes] for row in matrix["rows"]]
    title = f"省级参数对照（{matrix['date'] or '各市现行规定'}）\n"
    return title + text_table(header, rows)


def matrix_csv(matrix: dict) -> str:
    from .tables import csv_text

    out = []
    for row in matrix["rows"]:
        for region in matrix["regions"]:
            cell = row["cells"][region["code"]]
            out.append([row["parameter"], row["label"], key_text(row["key"]), region["code"], region["name"],
                        cell["status"], cell.get("value", ""), cell.get("article") or "", cell.get("at") or ""])
    return csv_text(["parameter", "label", "key", "region", "region_name", "status", "value", "article", "at"], out)

"""Payout curves: what the fund pays for one ordinary admission as its total cost grows, per city.

Entry point: ``payout_curves(irs) -> list[Panel]``, one panel per (险种, 医院等级): 职工 and 居民 × 一级, 二级,
三级, each with one line per city. Every point is a real settlement (the runtime, the city's regulation in
force on the date), of a person's first admission of the year with all fees 甲类, so the curve shows the
deductible, the ratio and the cap as the rules give them. A point the city cannot settle (a 险种 outside its
scope, an open value) is left out and its reason kept.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Optional

import attrs

from yibao.runtime import CaseError, Engine, Regulation, load_case_text

from yibao.change.impact import fen

__all__ = ["Panel", "Line", "payout_curves", "COSTS", "INSUTYPES", "LEVELS"]

# total cost of the admission in yuan: dense where deductibles sit, then up to where caps bite
COSTS = (0, 200, 500, 800, 1000, 1500, 2000, 3000, 5000, 8000, 10000, 20000, 50000, 100000, 150000, 200000, 250000,
         300000, 400000)
INSUTYPES = (("310", "职工", "1101", 40), ("390", "居民", "1501", 40))  # code, name, 人员类别, age
LEVELS = (("1", "一级"), ("2", "二级"), ("3", "三级"))
ADMISSION = "21"  # 普通住院


@attrs.frozen
class Line:
    city: str
    points: tuple[tuple[int, int], ...]  # (total cost, fund pay) in fen
    problem: Optional[str]  # why some points are missing


@attrs.frozen
class Panel:
    insutype: str
    level: str
    lines: tuple[Line, ...]


def payout_curves(irs: list[dict]) -> list[Panel]:
    """One panel per 险种 and 医院等级, a line per region (its latest regulation)."""
    latest: dict[str, dict] = {}
    for ir in sorted(irs, key=lambda ir: ir["regulation"]["effective"][0]):
        latest[ir["regulation"]["region_code"]] = ir
    engines = {code: (ir, Engine([Regulation.from_ir(ir)])) for code, ir in sorted(latest.items())}
    panels = []
    for insutype, insutype_name, psn_type, age in INSUTYPES:
        for level, level_name in LEVELS:
            lines = tuple(_line(ir, engine, insutype, psn_type, age, level) for ir, engine in engines.values())
            panels.append(Panel(insutype_name, level_name, lines))
    return panels


def _line(ir: dict, engine: Engine, insutype: str, psn_type: str, age: int, level: str) -> Line:
    day = _settlement_day(ir)
    points, problems = [], []
    for cost in COSTS:
        case = {"region": ir["regulation"]["region_code"],
                "person": {"psn_no": "P1", "insutype": insutype, "psn_type": psn_type,
                           "brdy": _dt.date(day.year - age - 1, 1, 1).isoformat(), "gend": "1", "flags": [],
                           "chronic": [], **_base(ir, insutype)},
                "encounters": [{"mdtrt_id": "E1", "med_type": ADMISSION, "setl_time": day.isoformat(),
                                "dedc_hosp_lv": level, "fees": {"01": f"{cost}.00"}, "flags": []}]}
        text = json.dumps(case, ensure_ascii=False).replace(f'"{cost}.00"', f"{cost}.00")
        try:
            (row,) = engine.settle(load_case_text(text, "curve"), trace=False).output["encounters"]
        except CaseError as exc:
            problems.append(str(exc).splitlines()[0])
            break
        if "error" in row:
            problems.append(f"{row['error'].get('code')} {row['error'].get('message')}")
            continue
        points.append((cost * 100, fen(row["setlinfo"]["fund_pay_sumamt"])))
    return Line(ir["regulation"]["region_name"], tuple(points), problems[0] if problems else None)


def _settlement_day(ir: dict) -> _dt.date:
    """A day the regulation is in force: 1 July of its first full year (or its first day)."""
    start = _dt.date.fromisoformat(ir["regulation"]["effective"][0])
    end = ir["regulation"]["effective"][1]
    candidate = _dt.date(start.year if start.month < 7 else start.year + 1, 7, 1)
    return candidate if end is None or candidate <= _dt.date.fromisoformat(end) else start


def _base(ir: dict, insutype: str) -> dict:
    """An employee's contribution base where the rules read one (烟台's annual_base): the contract's optional field."""
    wanted = {spec["field"].split(".", 1)[1] for spec in ir["inputs"]
              if spec["field"] and spec["field"].startswith("person.") and spec["type"] == "money"}
    return {"annual_base": 60000} if insutype == "310" and "annual_base" in wanted else {}

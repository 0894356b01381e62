"""``yibao synth``: a deterministic generator of realistic person-years in the contract's JSON Lines.

The mix comes from what the region's IR declares: the 险种 it covers (``applies_to``), its 人员类别 and
医疗类别 codes, the flags and chronic diseases its inputs read, its optional extension fields, its
cuminfo keys and the dates its regulations are in force. So every case is valid input for that region.
Only ``random.Random(seed)`` decides, and amounts are integer fen, so the same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import random
from typing import Any, Optional

# NHSA 人员类别 codes by the 险种 they belong to, with the ages (周岁) each stands for
_EMPLOYEE_AGES = {"1101": (20, 59), "1102": (22, 59), "1103": (20, 59), "1201": (60, 90), "1202": (60, 90),
                  "1203": (60, 85)}
_RESIDENT_AGES = {"1401": (0, 0), "1402": (1, 6), "1403": (7, 17), "1404": (18, 24), "1405": (0, 17),
                  "1501": (18, 59), "16": (60, 95)}
_INSUTYPE_AGES = {"310": _EMPLOYEE_AGES, "390": _RESIDENT_AGES}
_CIVIL_SERVANTS = {"1102", "1202"}
_FLEXIBLE = {"1103", "1203"}

# 医疗类别 weights: ordinary outpatient most often, then admissions; maternity rarely
_MED_WEIGHTS = {"11": 34, "14": 16, "21": 26, "22": 5, "23": 5, "24": 6, "51": 3, "52": 5}
_INPATIENT = {"21", "22", "23", "24", "52"}
_LEVEL_WEIGHTS = {"1": 35, "2": 33, "3": 30, "9": 2}
# fee ranges in fen: (甲类 low, high) for outpatient and inpatient visits
_OUTPATIENT_FEES = (2_000, 150_000)
_INPATIENT_FEES = (80_000, 6_000_000)
# the contract's own examples of certified diseases, for a region whose rule files leave the list open
_CONTRACT_CHRONIC = ("恶性肿瘤", "尿毒症", "高血压病（3级）", "糖尿病")


class SynthError(ValueError):
    """The requested year has no regulation of the region in force."""


class Fen(int):
    """An amount in fen, written as a JSON number with two decimals."""


def synthesize(irs: list[dict], persons: int, seed: int, year: Optional[int] = None) -> str:
    """``persons`` cases for the region whose regulations are ``irs``, one JSON object per line."""
    plan = _RegionPlan(irs, year)
    rng = random.Random(seed)
    return "".join(_dumps(_person_year(plan, rng, i + 1)) + "\n" for i in range(persons))


class _RegionPlan:
    """What the region's IR allows, gathered once."""

    def __init__(self, irs: list[dict], year: Optional[int]) -> None:
        self.code = irs[0]["regulation"]["region_code"]
        self.window = _year_window(irs, year)
        self.insutypes = _insutypes(irs)
        inputs = [spec for ir in irs for spec in ir["inputs"]]
        self.person_flags = _names(inputs, "person.flags", "bool")
        self.encounter_flags = _names(inputs, "encounter.flags", "bool")
        self.chronic = _chronic_names(irs, inputs)
        self.extensions = sorted({(spec["field"], spec["type"] if isinstance(spec["type"], str) else "enum")
                                  for spec in inputs if _extension(spec["field"])})
        self.cuminfo = sorted({(c["cuminfo"], c["type"]) for ir in irs for c in ir["counters"] if c["cuminfo"]})
        self.med_types = [code for code in _MED_WEIGHTS if code in _codes(irs, "encounter.med_type")]


def _year_window(irs: list[dict], year: Optional[int]) -> tuple[_dt.date, _dt.date]:
    """The days of ``year`` (default: the first full year the latest regulation is in force) some regulation covers."""
    spans = [(_dt.date.fromisoformat(ir["regulation"]["effective"][0]),
              _dt.date.fromisoformat(ir["regulation"]["effective"][1]) if ir["regulation"]["effective"][1]
              else _dt.date.max) for ir in irs]
    if year is None:
        start = spans[-1][0]
        year = start.year if start.month == 1 and start.day == 1 else start.year + 1
        year = min(year, spans[-1][1].year)
    low, high = _dt.date(year, 1, 1), _dt.date(year, 12, 31)
    covered = [(max(s, low), min(e, high)) for s, e in spans if s <= high and e >= low]
    if not covered:
        title = irs[0]["regulation"]["region_name"]
        intervals = "、".join(f"{s}–{'' if e == _dt.date.max else e}" for s, e in spans)
        raise SynthError(f"{title}在 {year} 年没有施行中的规定（施行期：{intervals}）")
    return covered[0][0], covered[-1][1]


def _insutypes(irs: list[dict]) -> list[str]:
    codes = _codes(irs, "person.insutype")
    for ir in irs:
        applies = ir["regulation"].get("applies_to")
        if applies and applies["field"] == "person.insutype":
            vocab = _vocab(ir, applies["vocabulary"])
            codes = [m["code"] for m in vocab["members"] if m["name"] in applies["members"]]
    return [c for c in codes if c in _INSUTYPE_AGES]


def _vocab(ir: dict, name: str) -> dict:
    return next(v for v in ir["vocabularies"] if v["name"] == name)


def _codes(irs: list[dict], field: str) -> list[str]:
    codes: list[str] = []
    for ir in irs:
        for vocab in ir["vocabularies"]:
            if vocab["field"] == field:
                codes += [m["code"] for m in vocab["members"] if m["code"] not in codes]
    return codes


def _names(inputs: list[dict], field: str, type_: str) -> list[str]:
    return sorted({spec["name"] for spec in inputs if spec["field"] == field and spec["type"] == type_})


def _chronic_names(irs: list[dict], inputs: list[dict]) -> list[str]:
    names = set(_names(inputs, "person.chronic", "bool"))
    open_list = False
    for ir in irs:
        for vocab in ir["vocabularies"]:
            if vocab["field"] == "person.chronic":
                names.update(m["name"] for m in vocab["members"])
                open_list = open_list or bool(vocab.get("open"))
    return sorted(names) or (list(_CONTRACT_CHRONIC) if open_list else [])


def _extension(field: Optional[str]) -> bool:
    """An optional person field beyond the contract (annual_base, paid_months, …)."""
    if not field or not field.startswith("person."):
        return False
    return field.split(".", 1)[1] not in ("insutype", "psn_type", "brdy", "gend", "flags", "chronic", "age")


# ── one person-year ──

def _person_year(plan: _RegionPlan, rng: random.Random, number: int) -> dict:
    insutype = rng.choice(plan.insutypes)
    psn_type = rng.choice(sorted(_INSUTYPE_AGES[insutype]))
    first, last = plan.window
    age = rng.randint(*_INSUTYPE_AGES[insutype][psn_type])
    gend = rng.choice(("1", "2"))
    person: dict[str, Any] = {"psn_no": f"P{number:06d}", "insutype": insutype, "psn_type": psn_type,
                              "brdy": _birthday(rng, first, age), "gend": gend,
                              "flags": _person_flags(plan, rng, insutype, psn_type),
                              "chronic": _chronic(plan, rng, age)}
    person.update(_extension_values(plan, rng, insutype))
    case: dict[str, Any] = {"region": plan.code, "person": person,
                            "encounters": _encounters(plan, rng, person, gend)}
    cuminfo = _cuminfo(plan, rng)
    if cuminfo:
        case["cuminfo"] = cuminfo
    return case


def _birthday(rng: random.Random, first: _dt.date, age: int) -> str:
    """A date of birth that makes the person ``age`` full years old on the window's first day."""
    born = _dt.date(first.year - age - 1, 1, 1) + _dt.timedelta(days=rng.randint(1, 364))
    while _full_years(born, first) > age:
        born += _dt.timedelta(days=30)
    return min(born, first).isoformat()


def _full_years(born: _dt.date, on: _dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _person_flags(plan: _RegionPlan, rng: random.Random, insutype: str, psn_type: str) -> list[str]:
    flags = []
    for flag in plan.person_flags:
        if flag == "公务员医疗补助":
            chosen = psn_type in _CIVIL_SERVANTS and rng.random() < 0.8
        elif flag == "大额医疗补助":
            chosen = insutype == "310" and rng.random() < (0.4 if psn_type in _FLEXIBLE else 0.9)
        else:
            chosen = rng.random() < 0.06
        if chosen:
            flags.append(flag)
    return flags


def _chronic(plan: _RegionPlan, rng: random.Random, age: int) -> list[str]:
    if not plan.chronic or rng.random() >= (0.35 if age >= 50 else 0.08):
        return []
    return sorted(rng.sample(plan.chronic, k=min(len(plan.chronic), rng.choice((1, 1, 1, 2)))))


def _extension_values(plan: _RegionPlan, rng: random.Random, insutype: str) -> dict:
    values: dict[str, Any] = {}
    for field, type_ in plan.extensions:
        key = field.split(".", 1)[1]
        if type_ == "money" and insutype == "310":
            # an employee's contribution base: always given, since a rule that needs it must not lack it (YR03)
            values[key] = Fen(rng.randint(24_000, 200_000) * 100)
        elif type_ == "count" and rng.random() < 0.3:  # optional: most cases leave it out; the rules never guess it
            values[key] = rng.choice((0, 1, 2, 3, 6, 7, 12, 24, 36, 60, 120, 240)) if insutype == "310" else rng.randint(0, 3)
    return values


def _encounters(plan: _RegionPlan, rng: random.Random, person: dict, gend: str) -> list[dict]:
    count = min(1 + int(rng.expovariate(0.45)), 12)
    first, last = plan.window
    span = (last - first).days
    days = sorted(rng.randint(0, span) for _ in range(count))
    encounters, previous = [], None
    for index, day in enumerate(days):
        med_type = _med_type(plan, rng, person, gend)
        encounter = _encounter(plan, rng, index + 1, first + _dt.timedelta(days=day), med_type, previous)
        encounters.append(encounter)
        previous = encounter
    return encounters


def _med_type(plan: _RegionPlan, rng: random.Random, person: dict, gend: str) -> str:
    allowed = [c for c in plan.med_types if (c != "14" or person["chronic"]) and (c not in ("51", "52") or gend == "2")]
    return rng.choices(allowed, weights=[_MED_WEIGHTS[c] for c in allowed])[0]


def _encounter(plan: _RegionPlan, rng: random.Random, number: int, day: _dt.date, med_type: str,
               previous: Optional[dict]) -> dict:
    inpatient = med_type in _INPATIENT
    low, high = _INPATIENT_FEES if inpatient else _OUTPATIENT_FEES
    fees = {"01": Fen(rng.randint(low, high))}
    if rng.random() < 0.6:
        fees["02"] = Fen(rng.randint(0, high // 3))
    if rng.random() < 0.3:
        fees["03"] = Fen(rng.randint(0, high // 10))
    encounter: dict[str, Any] = {"mdtrt_id": f"E{number}", "med_type": med_type, "setl_time": day.isoformat(),
                                 "dedc_hosp_lv": rng.choices(list(_LEVEL_WEIGHTS), list(_LEVEL_WEIGHTS.values()))[0],
                                 "fees": fees}
    if rng.random() < 0.1:
        encounter["overlmt_selfpay"] = Fen(rng.randint(0, high // 20))
    encounter["flags"] = _encounter_flags(plan, rng, med_type, previous)
    return encounter


def _encounter_flags(plan: _RegionPlan, rng: random.Random, med_type: str, previous: Optional[dict]) -> list[str]:
    """Flags that fit the visit: a transfer continues an admission, a referral goes with treatment elsewhere."""
    inpatient = med_type in _INPATIENT
    after_admission = previous is not None and previous["med_type"] in _INPATIENT
    elsewhere = med_type == "23" or rng.random() < 0.04
    wanted = {
        "转院": inpatient and after_admission and rng.random() < 0.3,
        "异地就医": elsewhere,
        "转诊": (med_type == "23" and rng.random() < 0.8) or rng.random() < 0.05,
        "急诊": med_type == "24" or rng.random() < 0.03,
        "无责任人意外伤害": med_type == "22" and rng.random() < 0.5,
        "顺产": med_type in ("51", "52") and rng.random() < 0.5,
        "剖宫产": med_type == "52" and rng.random() < 0.3,
    }
    flags = [flag for flag in plan.encounter_flags if wanted.get(flag, rng.random() < 0.03)]
    if "转诊备案" in flags and "转诊" not in flags:
        flags.remove("转诊备案")
    if "顺产" in flags and "剖宫产" in flags:
        flags.remove("剖宫产")
    return flags


def _cuminfo(plan: _RegionPlan, rng: random.Random) -> dict:
    if not plan.cuminfo or rng.random() >= 0.2:
        return {}
    values: dict[str, Any] = {}
    for key, type_ in plan.cuminfo:
        if rng.random() >= 0.5:
            continue
        if type_ == "money":
            near_cap = rng.random() < 0.1
            values[key] = Fen(rng.randint(15_000_000, 19_900_000) if near_cap else rng.randint(0, 3_000_000))
        elif type_ == "count":
            values[key] = rng.randint(0, 3)
        elif type_ == "bool":
            values[key] = rng.random() < 0.5
    return values


# ── canonical JSON with amounts as numbers of two decimals ──

def _dumps(value: Any) -> str:
    import json

    if isinstance(value, Fen):
        return f"{int(value) // 100}.{int(value) % 100:02d}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)

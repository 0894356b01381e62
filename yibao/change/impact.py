"""The impact of a rule change on a claim set: every claim settled under both versions, compared to the fen.

Entry point: ``impact(old_engine, new_engine, claims, bad, changes, names) -> dict``. Amounts are integer fen
throughout (the contract's Decimal yuan × 100, exact). An encounter changes when its settlement output (or its
error) differs. Its cause is read from the two traces, which carry every value with its article: the first
value, in evaluation order, that differs and belongs to a changed element of the semantic diff. A value that
differs only because a counter carried an earlier encounter's change (a running total) takes that earlier
encounter's cause, marked ``via`` the counter.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable, Optional

from yibao.runtime import CaseError

from .semantic import Change, show_value

__all__ = ["impact", "fen", "GROUPS"]

# the groups winners and losers are counted by: label, where the code is, the vocabulary's field
GROUPS = (("险种", "person", "insutype", "person.insutype"),
          ("医院等级", "encounter", "dedc_hosp_lv", "encounter.dedc_hosp_lv"),
          ("医疗类别", "encounter", "med_type", "encounter.med_type"))
LARGEST = 20


def fen(amount: Any) -> int:
    """Contract yuan (Decimal with two places) → integer fen, exactly; anything else is a bug here."""
    value = Decimal(amount) * 100
    if value != value.to_integral_value():
        raise ValueError(f"amount {amount} is not whole fen")
    return int(value)


def impact(old_engine: Any, new_engine: Any, claims: Iterable[tuple[int, dict]], bad: list[dict],
           changes: list[Change], names: dict[str, dict[str, str]]) -> dict:
    """``names``: vocabulary field → code → member name (for the groups)."""
    subjects = {c.subject for c in changes} | {c.name for c in changes}
    totals = {"encounters": 0, "changed": 0, "errors_changed": 0, "old_fund": 0, "new_fund": 0,
              "old_patient": 0, "new_patient": 0}
    rows, bad = [], list(bad)
    for number, case in claims:
        settled = _settle_both(old_engine, new_engine, case, number, bad, trace=False)
        if settled is None:
            continue
        if _outcomes(settled[0]) != _outcomes(settled[1]):
            # the trace costs several settlements' time: recorded only for the persons whose outcome changed
            settled = _settle_both(old_engine, new_engine, case, number, bad, trace=True)
        rows += _compare_case(number, case, *settled, subjects, changes, totals)
    changed = [r for r in rows if r["changed"]]
    return {
        "totals": {**totals, "fund_change": totals["new_fund"] - totals["old_fund"],
                   "patient_change": totals["new_patient"] - totals["old_patient"]},
        "groups": {label: _group(changed, rows, label, names.get(field, {})) for label, _, _, field in GROUPS},
        "by_article": _by_article(changed),
        "largest": sorted(changed, key=lambda r: (-abs(r["fund_change"] or 0), r["line"], r["mdtrt_id"]))[:LARGEST],
        "changed": changed,
        "bad_lines": sorted(bad, key=lambda b: b["line"]),
    }


def _outcomes(output: dict) -> list:
    return [(row.get("setlinfo"), _error(row)) for row in output["encounters"]]


def _settle_both(old_engine: Any, new_engine: Any, case: dict, number: int, bad: list[dict], trace: bool):
    outputs = []
    for label, engine in (("OLD", old_engine), ("NEW", new_engine)):
        try:
            outputs.append(engine.settle(case, trace=trace).output)
        except CaseError as exc:
            reason = "；".join(message for _, message in exc.problems)
            bad.append({"line": number, "reason": f"{label}：{reason}"})
            return None
    return outputs


def _compare_case(number: int, case: dict, old: dict, new: dict, subjects: set, changes: list[Change],
                  totals: dict) -> list[dict]:
    person = case.get("person") or {}
    carried: Optional[dict] = None  # the cause of this person's first changed encounter, for counters it carries
    rows = []
    for raw, before, after in zip(case.get("encounters") or (), old["encounters"], new["encounters"]):
        row = _row(number, person, raw, before, after, totals)
        if row["changed"]:
            cause = _cause(before.get("trace") or [], after.get("trace") or [], subjects, carried, changes)
            row["cause"] = cause
            carried = carried or cause
        rows.append(row)
    return rows


def _row(number: int, person: dict, raw: dict, before: dict, after: dict, totals: dict) -> dict:
    old_fund, new_fund = _amount(before, "fund_pay_sumamt"), _amount(after, "fund_pay_sumamt")
    old_patient, new_patient = _amount(before, "psn_part_amt"), _amount(after, "psn_part_amt")
    totals["encounters"] += 1
    for key, value in (("old_fund", old_fund), ("new_fund", new_fund), ("old_patient", old_patient),
                       ("new_patient", new_patient)):
        totals[key] += value or 0
    changed = (before.get("setlinfo"), _error(before)) != (after.get("setlinfo"), _error(after))
    if changed:
        totals["changed"] += 1
        totals["errors_changed"] += _error(before) != _error(after)
    both = old_fund is not None and new_fund is not None
    return {"line": number, "psn_no": person.get("psn_no"), "mdtrt_id": before.get("mdtrt_id"),
            "setl_time": raw.get("setl_time"), "changed": changed,
            "group": {label: str((person if where == "person" else raw).get(key)) for label, where, key, _ in GROUPS},
            "old": {"fund": old_fund, "patient": old_patient, "error": _error(before)},
            "new": {"fund": new_fund, "patient": new_patient, "error": _error(after)},
            "fund_change": new_fund - old_fund if both else None,
            "patient_change": new_patient - old_patient if old_patient is not None and new_patient is not None else None}


def _amount(row: dict, field: str) -> Optional[int]:
    if "error" in row or "setlinfo" not in row:
        return None
    return fen(row["setlinfo"][field])


def _error(row: dict) -> Optional[str]:
    error = row.get("error")
    return None if error is None else str(error.get("code") if isinstance(error, dict) else error)


def _cause(before: list[dict], after: list[dict], subjects: set, carried: Optional[dict],
           changes: list[Change]) -> dict:
    old_values = {entry["name"]: entry for entry in before}
    first_difference = None
    for entry in after:
        was = old_values.get(entry["name"])
        if was is not None and was.get("value") == entry.get("value"):
            continue
        found = {"name": entry["name"], "article": entry.get("article") or (was or {}).get("article"),
                 "old": (was or {}).get("value"), "new": entry.get("value"), "source": entry.get("source"),
                 "via": None}
        if entry["name"] in subjects:
            return found
        first_difference = first_difference or found
    if carried is not None and first_difference is not None:
        return {**carried, "via": first_difference["name"]}
    if first_difference is not None:
        return first_difference
    # no value in the trace differs (an exclusion or an output formula changed): the first such change
    change = next((c for c in changes if c.kind in ("排除", "输出")), changes[0] if changes else None)
    if change is None:
        return {"name": None, "article": None, "old": None, "new": None, "source": None, "via": None}
    return {"name": change.name, "article": change.article, "old": show_value(change.old),
            "new": show_value(change.new), "source": None, "via": None}


def _group(changed: list[dict], rows: list[dict], label: str, names: dict[str, str]) -> list[dict]:
    groups: dict[str, dict] = {}
    for row in rows:
        code = row["group"][label]
        entry = groups.setdefault(code, {"code": code, "name": names.get(code, code), "encounters": 0, "changed": 0,
                                         "winners": 0, "losers": 0, "fund_change": 0, "patient_change": 0})
        entry["encounters"] += 1
    for row in changed:
        entry = groups[row["group"][label]]
        entry["changed"] += 1
        patient = row["patient_change"] or 0
        entry["winners"] += patient < 0  # the insured pays less
        entry["losers"] += patient > 0
        entry["fund_change"] += row["fund_change"] or 0
        entry["patient_change"] += patient
    return sorted(groups.values(), key=lambda g: g["code"])


def _by_article(changed: list[dict]) -> list[dict]:
    grouped: dict[str, dict] = {}
    for row in changed:
        article = row["cause"]["article"] or "（无条文）"
        entry = grouped.setdefault(article, {"article": article, "names": [], "changed": 0, "fund_change": 0,
                                             "patient_change": 0, "winners": 0, "losers": 0})
        if row["cause"]["name"] not in entry["names"]:
            entry["names"].append(row["cause"]["name"])
        entry["changed"] += 1
        entry["fund_change"] += row["fund_change"] or 0
        entry["patient_change"] += row["patient_change"] or 0
        entry["winners"] += (row["patient_change"] or 0) < 0
        entry["losers"] += (row["patient_change"] or 0) > 0
    return sorted(grouped.values(), key=lambda g: (-g["changed"], g["article"]))

"""Holding each city to the province invariants (design item 13).

Statically, on the table cells a city binds to the province parameters (params.py); dynamically, on the
claims ``synth`` generates for the city, settled through the runtime. Every violation carries the city, the
invariant (title and place in the province file), the city's articles and values, and for a claim the
counterexample, shrunk while it still fails. A city may be excused from one invariant only by an
interpretation in the article the violation cites: ``解释 "豁免不变式「标题」：理由"``.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable, Optional

import attrs

from . import params as P

_WAIVER = re.compile(r"豁免不变式「([^」]+)」")
_COMPARE = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
            "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}
_OP_TEXT = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
_NEGATED = {"eq": "≠", "ne": "=", "lt": "≥", "le": ">", "gt": "≤", "ge": "<"}


@attrs.frozen
class Violation:
    invariant: dict
    city: str
    region: str
    detail: str  # the values, in words
    articles: tuple[str, ...]  # the city's side
    places: tuple[str, ...]  # where in the city's rule file
    claim: Optional[str] = None  # the counterexample (one JSON line), for a claim invariant
    waived_by: Optional[dict] = None  # the interpretation that waives it


@attrs.frozen
class Outcome:
    """One invariant on one city: 通过 / 违反 / 豁免 / 不适用 (the city has no such parameter) / 未检查."""

    invariant: dict
    region: str
    city: str
    status: str
    checked: int
    violations: tuple[Violation, ...] = ()
    note: str = ""


def waivers(ir: dict) -> list[dict]:
    """{"title", "article", "text", "at"} for each 豁免 interpretation in the city's rule file."""
    found = []
    for note in ir["interpretations"]:
        match = _WAIVER.search(note["text"])
        if match:
            found.append({"title": match.group(1), "article": note["article"], "text": note["text"], "at": note["at"]})
    return found


def _apply_waivers(outcome: Outcome, ir: dict) -> Outcome:
    mine = [w for w in waivers(ir) if w["title"] == outcome.invariant["title"]]
    if not mine or not outcome.violations:
        return outcome
    kept = []
    for v in outcome.violations:
        waiver = next((w for w in mine if w["article"] in v.articles), None)
        kept.append(attrs.evolve(v, waived_by=waiver) if waiver else v)
    status = "豁免" if all(v.waived_by for v in kept) else "违反"
    return attrs.evolve(outcome, violations=tuple(kept), status=status)


# ── static: table cells ──

def check_static(invariant: dict, ir: dict) -> Outcome:
    region, city = ir["regulation"]["region_code"], ir["regulation"]["region_name"]
    if invariant["kind"] == "monotone":
        outcome = _monotone(invariant, ir, region, city)
    else:
        outcome = _table_relation(invariant, ir, region, city)
    return _apply_waivers(outcome, ir)


def _monotone(inv: dict, ir: dict, region: str, city: str) -> Outcome:
    bound = P.binding(ir, inv["parameter"])
    if bound is None:
        return Outcome(inv, region, city, "不适用", 0, note=f"本市未设 {inv['parameter']}")
    if inv["dimension"] not in bound.dims:
        return Outcome(inv, region, city, "不适用", 0, note=f"{inv['parameter']} 不按 {inv['dimension']} 分列")
    others = [d for d in bound.dims if d != inv["dimension"]]
    violations, checked = [], 0
    for fixed in P.assignments(ir, others):
        cells = [bound.cell({**fixed, inv["dimension"]: m}) for m in inv["order"]]
        known = [c for c in cells if c is not None and c.literal is not None]
        for low, high in zip(known, known[1:]):
            checked += 1
            rises = high.literal > low.literal
            if rises if inv["direction"] == "nonincreasing" else high.literal < low.literal:
                violations.append(_cell_violation(inv, city, region, bound, [low, high],
                                                  _op_between(low.literal, high.literal)))
    return _outcome(inv, region, city, checked, violations)


def _op_between(a: Any, b: Any) -> str:
    return "<" if a < b else ">" if a > b else "="


def _cell_violation(inv: dict, city: str, region: str, bound: P.Binding, cells: list, op: str) -> Violation:
    left, right = cells
    detail = f"{_cell_name(bound.name, left)} = {_show(left.literal)} {op} {_cell_name(bound.name, right)} = {_show(right.literal)}"
    return Violation(inv, city, region, detail, _unique(c.article for c in cells), _unique(c.at for c in cells))


def _cell_name(name: str, cell: P.Cell) -> str:
    return f"{name}[{','.join(cell.key.values())}]" if cell.key else name


def _show(value: Any) -> str:
    if isinstance(value, Fraction):
        percent = value * 100
        return f"{Decimal(percent.numerator) / Decimal(percent.denominator):f}%".replace(".0%", "%")
    if isinstance(value, int):
        return f"{value // 100}.{value % 100:02d}元" if value >= 0 else f"-{(-value) // 100}.{(-value) % 100:02d}元"
    return str(value)


def _unique(items) -> tuple:
    return tuple(dict.fromkeys(i for i in items if i))


def _table_relation(inv: dict, ir: dict, region: str, city: str) -> Outcome:
    relation = inv["relation"]
    terms = _param_terms(relation)
    bindings = {}
    for term in terms:
        bound = P.binding(ir, term["param"])
        if bound is None:
            return Outcome(inv, region, city, "不适用", 0, note=f"本市未设 {term['param']}")
        missing = [d for d in term["fix"] if d not in bound.dims]
        if missing:
            return Outcome(inv, region, city, "不适用", 0, note=f"{term['param']} 不按 {'、'.join(missing)} 分列")
        bindings[term["param"]] = bound
    free = _unique(d for t in terms for d in bindings[t["param"]].dims if d not in t["fix"])
    violations, checked = [], 0
    for assignment in P.assignments(ir, list(free)):
        used: list = []
        values = [_static_term(arg, assignment, bindings, used) for arg in relation["args"]]
        if any(v is None for v in values):
            continue  # an open, 不适用 or formula cell: nothing to compare
        checked += 1
        if not _COMPARE[relation["op"]](*values):
            detail = _relation_detail(relation, values, used)
            violations.append(Violation(inv, city, region, detail, _unique(c.article for _, c in used),
                                        _unique(c.at for _, c in used)))
    return _outcome(inv, region, city, checked, violations)


def _param_terms(e: dict) -> list[dict]:
    if "param" in e:
        return [e]
    return [t for arg in e.get("args", []) for t in _param_terms(arg)]


def _static_term(e: dict, assignment: dict, bindings: dict, used: list) -> Any:
    if "param" in e:
        bound = bindings[e["param"]]
        cell = bound.cell({**assignment, **e["fix"]})
        if cell is None or cell.literal is None:
            return None
        used.append((bound.name, cell))
        return cell.literal
    if "op" in e:
        left, right = (_static_term(a, assignment, bindings, used) for a in e["args"])
        if left is None or right is None:
            return None
        return left + right if e["op"] == "add" else left - right
    return _literal(e)


def _literal(e: dict) -> Any:
    if "money" in e:
        return e["money"]
    if "rate" in e:
        return Fraction(e["rate"])
    return e.get("count")


def _relation_detail(relation: dict, values: list, used: list) -> str:
    cells = "，".join(f"{_cell_name(name, cell)} = {_show(cell.literal)}" for name, cell in used)
    return f"{cells}：{_show(values[0])} {_NEGATED[relation['op']]} {_show(values[1])}"


def _outcome(inv: dict, region: str, city: str, checked: int, violations: list) -> Outcome:
    if violations:
        return Outcome(inv, region, city, "违反", checked, tuple(violations))
    if checked == 0:
        return Outcome(inv, region, city, "未检查", 0, note="相关单元均为待定、不适用或公式")
    return Outcome(inv, region, city, "通过", checked)


# ── dynamic: settled claims ──

class ClaimChecker:
    """The claim invariants on one city's generated claims, through an Engine of the runtime."""

    def __init__(self, engine: Any, load_case: Callable[[str], dict], dumps: Callable[[Any], str]) -> None:
        self.engine = engine
        self.load_case = load_case  # contract JSON text → case (exact Decimals)
        self.dumps = dumps  # case → one JSON line

    def check(self, invariant: dict, ir: dict, claims: list[str]) -> Outcome:
        region, city = ir["regulation"]["region_code"], ir["regulation"]["region_name"]
        checked, violations = 0, []
        for line in claims:
            case = self.load_case(line)
            for index, row in enumerate(self._rows(case, region)):
                if "setlinfo" not in row or row.get("regulation", {}).get("ir_sha256") != ir["sha256"]:
                    continue
                failed = self._fails_at(invariant, case, index, region, row)
                checked += failed is not None
                if failed:
                    violations.append(self._violation(invariant, city, region, _truncated(case, index)))
                    break  # one counterexample per person-year is enough
            if len(violations) >= 3:
                break
        return _apply_waivers(_outcome(invariant, region, city, checked, violations), ir)

    def _rows(self, case: dict, region: str) -> list[dict]:
        return self.engine.settle(case, region=region, trace=False).output["encounters"]

    def _fails_at(self, inv: dict, case: dict, index: int, region: str, row: Optional[dict] = None) -> Optional[bool]:
        """Whether encounter ``index`` breaks the invariant; None when there is nothing to compare (it did not
        settle, or the raised claim did not)."""
        if row is None:
            rows = self._rows(case, region)
            if index >= len(rows) or "setlinfo" not in rows[index]:
                return None
            row = rows[index]
        if inv["kind"] == "claim":
            values = [_claim_term(arg, row["setlinfo"]) for arg in inv["relation"]["args"]]
            return not _COMPARE[inv["relation"]["op"]](*values)
        return self._metamorphic_fails(inv, case, index, region, row)

    def _metamorphic_fails(self, inv: dict, case: dict, index: int, region: str, row: dict) -> Optional[bool]:
        if "excluded" in row:
            return None
        raised = _raise_fee(_truncated(case, index), index, inv["input"]["field"])
        if raised is None:
            return None
        after = self._rows(raised, region)[index]
        if "setlinfo" not in after or "excluded" in after:
            return None
        field = inv["outcome"]["field"]
        before_value, after_value = row["setlinfo"][field], after["setlinfo"][field]
        return after_value < before_value if inv["direction"] == "nondecreasing" else after_value > before_value

    def _violation(self, inv: dict, city: str, region: str, case: dict) -> Violation:
        small = shrink(case, lambda c: bool(self._fails_at(inv, c, len(c["encounters"]) - 1, region)))
        settled = self.engine.settle(small, region=region, trace=True).output["encounters"][-1]
        detail = self._detail(inv, small, settled, region)
        names = _claim_names(inv)
        places = _unique(t["source"] for t in settled.get("trace", []) if t["name"] in names and t.get("article"))
        return Violation(inv, city, region, detail, _trace_articles(settled, names), places, claim=self.dumps(small))

    def _detail(self, inv: dict, case: dict, row: dict, region: str) -> str:
        info = row["setlinfo"]
        if inv["kind"] == "claim":
            shown = "，".join(f"{a['name']}（{a['output']}）= {info[a['output']]}" for a in _outputs(inv["relation"]))
            return f"就诊 {row['mdtrt_id']}：{shown}"
        index = len(case["encounters"]) - 1
        raised = _raise_fee(case, index, inv["input"]["field"])
        after = self._rows(raised, region)[index]["setlinfo"]
        field, name = inv["outcome"]["field"], inv["outcome"]["name"]
        fee_key = inv["input"]["field"].rsplit(".", 1)[-1]
        return (f"就诊 {row['mdtrt_id']}：{inv['input']['name']} {_fee(case, index, fee_key)} → "
                f"{_fee(raised, index, fee_key)}，{name}（{field}）{info[field]} → {after[field]}")


def _claim_term(e: dict, setlinfo: dict) -> Decimal:
    if "output" in e:
        return Decimal(setlinfo[e["output"]])
    if "op" in e:
        left, right = (_claim_term(a, setlinfo) for a in e["args"])
        return left + right if e["op"] == "add" else left - right
    if "money" in e:
        return Decimal(e["money"]) / 100
    if "rate" in e:
        return Decimal(e["rate"])
    return Decimal(e.get("count", 0))


def _outputs(e: dict) -> list[dict]:
    if "output" in e:
        return [e]
    return [t for a in e.get("args", []) for t in _outputs(a)]


def _claim_names(inv: dict) -> list[str]:
    if inv["kind"] == "claim":
        return [t["name"] for t in _outputs(inv["relation"])]
    return [inv["outcome"]["name"]]


def _trace_articles(row: dict, names: list[str]) -> tuple[str, ...]:
    """The city's articles behind the values the invariant reads; the whole trace's when the model decides."""
    trace = row.get("trace", [])
    direct = _unique(t["article"] for t in trace if t["name"] in names)
    return direct or _unique(t["article"] for t in trace)[:6]


def _truncated(case: dict, index: int) -> dict:
    small = copy.deepcopy(dict(case))
    small["encounters"] = small["encounters"][: index + 1]
    return small


_FEE_STEP = Decimal("100.00")


def _raise_fee(case: dict, index: int, field: Optional[str]) -> Optional[dict]:
    """The case with the input at ``field`` (encounter.fees.01, encounter.overlmt_selfpay) raised by 100 元."""
    if not field or not field.startswith("encounter."):
        return None
    raised = copy.deepcopy(case)
    target, path = raised["encounters"][index], field.split(".")[1:]
    holder = target
    for key in path[:-1]:
        holder = holder.setdefault(key, {})
    holder[path[-1]] = Decimal(str(holder.get(path[-1]) or 0)) + _FEE_STEP
    return raised


def _fee(case: dict, index: int, key: str) -> str:
    enc = case["encounters"][index]
    value = enc.get("fees", {}).get(key, enc.get(key, 0)) if key != "overlmt_selfpay" else enc.get(key, 0)
    return f"{Decimal(str(value or 0)):.2f}"


# ── shrinking a counterexample ──

_SHRINK_BUDGET = 250


def shrink(case: dict, fails: Callable[[dict], bool]) -> dict:
    """A smaller case that still fails: fewer earlier encounters, flags, diseases, cuminfo, fee classes and
    rounder amounts, greedily, within a fixed budget of settlements."""
    budget = [_SHRINK_BUDGET]
    current = case
    progress = True
    while progress and budget[0] > 0:
        progress = False
        for candidate in _smaller(current):
            budget[0] -= 1
            if budget[0] <= 0:
                break
            if fails(candidate):
                current, progress = candidate, True
                break
    return current


def _smaller(case: dict):
    encounters = case["encounters"]
    for i in range(len(encounters) - 1):
        yield _edit(case, lambda c, i=i: c["encounters"].pop(i))
    if case.get("cuminfo"):
        yield _edit(case, lambda c: c.pop("cuminfo"))
    person = case.get("person", {})
    for key in ("flags", "chronic"):
        for item in person.get(key, []):
            yield _edit(case, lambda c, key=key, item=item: c["person"][key].remove(item))
    for key in [k for k in person if k not in ("psn_no", "insutype", "psn_type", "brdy", "gend", "flags", "chronic")]:
        yield _edit(case, lambda c, key=key: c["person"].pop(key))
    for i, enc in enumerate(encounters):
        for flag in enc.get("flags", []):
            yield _edit(case, lambda c, i=i, flag=flag: c["encounters"][i]["flags"].remove(flag))
        for fee in [k for k in enc.get("fees", {}) if k != "01"]:
            yield _edit(case, lambda c, i=i, fee=fee: c["encounters"][i]["fees"].pop(fee))
        if "overlmt_selfpay" in enc:
            yield _edit(case, lambda c, i=i: c["encounters"][i].pop("overlmt_selfpay"))
        amount = Decimal(str(enc.get("fees", {}).get("01", 0) or 0))
        for round_amount in (Decimal(10) ** k for k in range(6, 1, -1)):
            if round_amount < amount and round_amount * 10 > amount:
                yield _edit(case, lambda c, i=i, a=round_amount: c["encounters"][i]["fees"].__setitem__("01", a))


def _edit(case: dict, change: Callable[[dict], Any]) -> dict:
    edited = copy.deepcopy(dict(case))
    change(edited)
    return edited


# ── every invariant on every city ──

def check_all(province: dict, irs: list[dict], engine: Any, persons: int = 100, seed: int = 1) -> list[Outcome]:
    """Each invariant on each regulation: static ones on its cells, claim ones on ``persons`` synth claims."""
    from yibao.runtime import load_case_text

    from .jsonl import dumps_case
    from .synth import synthesize

    checker = ClaimChecker(engine, lambda text: load_case_text(text, "synth"), dumps_case)
    # each regulation on claims dated in its own first full year, so an older version of a region is held too
    claims = {ir["sha256"]: synthesize([ir], persons, seed).splitlines() for ir in irs}
    outcomes = []
    for inv in province["invariants"]:
        for ir in irs:
            if inv["kind"] in ("monotone", "table"):
                outcomes.append(check_static(inv, ir))
            else:
                outcomes.append(checker.check(inv, ir, claims[ir["sha256"]]))
    return outcomes


def check_cities(province: dict, irs: list[dict], persons: int = 100, seed: int = 1) -> list[Outcome]:
    """``check_all`` on an engine of ``irs`` themselves: what ``yibao check`` and ``yibao report`` both show."""
    from yibao.runtime import Engine, Regulation

    return check_all(province, irs, Engine([Regulation.from_ir(ir) for ir in irs]), persons, seed)


MARK = {"通过": "✓", "违反": "✗", "豁免": "◇", "不适用": "–", "未检查": "○"}


def render_outcomes(outcomes: list[Outcome], files: list[str]) -> list[str]:
    """The check report: one line per invariant with every city's status, then each violation in full."""
    lines = [f"省级不变式（{'、'.join(files)}）：{len({o.invariant['title'] for o in outcomes})} 条"
             "（括号内为比较过的表格单元或结算次数）"]
    by_title: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_title.setdefault(o.invariant["title"], []).append(o)
    for title, group in by_title.items():
        worst = "✗" if any(o.status == "违反" for o in group) else "✓"
        cities = "  ".join(o.city + outcome_text(o) for o in group)
        lines.append(f"  {worst} {title}  [{group[0].invariant['at']}]  {cities}")
        for o in group:
            for v in o.violations:
                lines += ["    " + text for text in violation_lines(v)]
    waived = [v for o in outcomes for v in o.violations if v.waived_by]
    lines.append(f"  豁免 {len(waived)} 项：")
    for v in waived:
        w = v.waived_by
        lines.append(f"    {v.city} {w['article']}  不变式「{v.invariant['title']}」：{w['text']}  ({w['at']})")
    return lines


def outcome_text(o: Outcome) -> str:
    """``✓通过(4)``: the status, and how many table cells or settlements were compared."""
    return f"{MARK[o.status]}{o.status}" + (f"({o.checked})" if o.checked else "")


def violation_lines(v: Violation) -> list[str]:
    mark = "◇ 已豁免" if v.waived_by else "✗ 违反"
    lines = [f"{mark} {v.city}（{v.region}）{'、'.join(v.articles) or '—'}：{v.detail}",
             f"  不变式 {v.invariant['at']}「{v.invariant['title']}」；本市 {'、'.join(v.places) or '见反例的 trace'}"]
    if v.claim:
        lines.append(f"  反例（yibao settle 可复现）：{v.claim}")
    return lines


def unwaived(outcomes: list[Outcome]) -> list[Violation]:
    return [v for o in outcomes for v in o.violations if not v.waived_by]

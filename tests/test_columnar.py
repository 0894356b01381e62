"""The columnar evaluator (runtime/columnar.py) against the per-claim path, which is the specification.

- every city's conformance cases (regulations/*/*.cases.yaml) pass through the columnar evaluator too;
- on generated person-years of every city (several persons per batch, so waves mix persons, regions and
  regulations), outputs, errors, exclusions and the counters are identical to ``Engine.settle``;
- exact arithmetic where int64 would overflow: the bound check falls back to Python ints.
"""

from __future__ import annotations

import datetime as _dt
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

np = pytest.importorskip("numpy")

from yibao.conformance import load_case_file, run_case  # noqa: E402
from yibao.runtime import CaseError, Engine, Regulation, dumps_output, load_case_text  # noqa: E402
from yibao.runtime import contract as C  # noqa: E402
from yibao.runtime.columnar import Col, ColumnarEngine, half_up, num_mul, settle_prepared  # noqa: E402
from yibao.runtime.settle import CounterBook, settle_encounter  # noqa: E402
from yibao.runtime.values import half_up_ratio  # noqa: E402

REGIONS = ("370500", "370600", "370800", "371300")
CASE_FILES = sorted(Path("regulations").glob("*/*.cases.yaml"))


@pytest.fixture(scope="module")
def engine() -> Engine:
    from yibao.compiler.driver import compile_all

    return Engine([Regulation.from_ir(r.ir) for r in compile_all()])


@pytest.fixture(scope="module")
def columnar(engine) -> ColumnarEngine:
    return ColumnarEngine(engine)


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.parent.name)
def test_every_conformance_case_passes_through_the_columnar_evaluator(columnar, path):
    _, cases = load_case_file(path)
    settle_cases = [c for c in cases if c.kind == "settle"]
    assert settle_cases
    failed = [(c.name, o.problems) for c in settle_cases for o in [run_case(columnar, c)] if not o.passed]
    assert not failed


# ── generated person-years ──

def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


fen = st.integers(min_value=0, max_value=40_000_000)
encounter = st.fixed_dictionaries({
    "med_type": st.sampled_from(sorted(C.MED_TYPE)),
    "level": st.sampled_from(sorted(C.DEDC_HOSP_LV) + ["hosp_lv:05", "hosp_lv:09", "hosp_lv:11"]),
    "a": fen, "b": st.one_of(st.just(0), fen),  # several cities leave the 乙类 self-pay ratio open
    "c": st.integers(0, 2_000_000), "over": st.integers(0, 500_000),
    "gap": st.integers(0, 120),  # days after the previous encounter: years and quarters roll over
    "flags": st.lists(st.sampled_from(C.ENCOUNTER_FLAGS), unique=True, max_size=3),
})
person = st.fixed_dictionaries({
    "region": st.sampled_from(REGIONS),
    "insutype": st.sampled_from(["310", "390"]),
    "in_scope": st.integers(0, 4),  # mostly the 险种 a city's regulation covers (济宁 居民, 烟台 职工)
    "psn_type": st.sampled_from(sorted(C.PSN_TYPE)),
    "brdy": st.dates(_dt.date(1930, 1, 1), _dt.date(2020, 12, 31)),
    "start": st.integers(-60, 1500),  # days after the region's first regulation takes effect
    "flags": st.lists(st.sampled_from(C.PERSON_FLAGS), unique=True, max_size=2),
    "chronic": st.integers(0, 3),
    "cum": st.lists(st.integers(0, 30_000_000), min_size=8, max_size=8),
    "ext": st.integers(0, 20_000_000),
    "encounters": st.lists(encounter, min_size=1, max_size=7),
})


def build_case(engine: Engine, p: dict, n: int) -> dict:
    schema = engine._schemas[p["region"]]
    date = min(r.effective[0] for r in engine.regulations(p["region"])) + _dt.timedelta(days=p["start"])
    rows = []
    for i, e in enumerate(p["encounters"]):
        date += _dt.timedelta(days=e["gap"])
        row = {"mdtrt_id": f"P{n}E{i}", "med_type": e["med_type"], "setl_time": date.isoformat(),
               "fees": {"01": yuan(e["a"]), "02": yuan(e["b"]), "03": yuan(e["c"])},
               "overlmt_selfpay": yuan(e["over"]), "flags": e["flags"]}
        key, _, code = e["level"].partition(":")
        row["hosp_lv" if code else "dedc_hosp_lv"] = code or key
        rows.append(row)
    insutype = {"370600": "310", "370800": "390"}.get(p["region"], p["insutype"]) if p["in_scope"] else p["insutype"]
    person_row = {"psn_no": f"P{n}", "insutype": insutype, "psn_type": p["psn_type"],
                  "brdy": p["brdy"].isoformat(), "gend": "1", "flags": p["flags"],
                  "chronic": schema.chronic[:p["chronic"]]}
    for key, field in schema.person_extensions:
        type_ = schema.extensions[field]
        if type_ == "money":
            person_row[key] = yuan(p["ext"])
        elif isinstance(type_, dict):
            codes = sorted(schema.enum_codes[field])
            person_row[key] = codes[p["ext"] % len(codes)]
        elif type_ == "count":
            person_row[key] = p["ext"] % 5
    cuminfo = {key: (yuan(v) if schema.cuminfo[key] == "money" else v % 4)
               for key, v in zip(sorted(schema.cuminfo), p["cum"])}
    return {"region": p["region"], "person": person_row, "cuminfo": cuminfo, "encounters": rows}


def per_claim(engine: Engine, case: dict) -> tuple:
    """Engine.settle's rows (without trace and setldetail, which the columnar path does not write) and the
    counters a next encounter on the last date would see."""
    output = engine.settle(load_case_text(json.dumps(case, ensure_ascii=False), "case.json"), trace=False).output
    rows = json.loads(dumps_output(output), parse_float=Decimal)["encounters"]
    for row in rows:
        row.pop("setldetail", None)
    prepared = engine.prepare(load_case_text(json.dumps(case, ensure_ascii=False), "case.json"))
    book = CounterBook(prepared.cuminfo, {}, prepared.encounters[0].date)
    for enc, reg, inputs in prepared.plans:
        if reg is not None and not isinstance(inputs, dict):
            settle_encounter(reg, prepared.person, enc, inputs, book, False)
    return rows, _probe(prepared, lambda program, date: book.before(program, date))


def _probe(prepared, before) -> dict:
    last = prepared.encounters[-1].date
    seen = {}
    for _, reg, _ in prepared.plans:
        if reg is not None:
            seen.update(zip(reg.program.counter_names, before(reg.program, last)))
    return {k: (int(v) if not isinstance(v, bool) else v) for k, v in seen.items()}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(person, min_size=1, max_size=4))
def test_columnar_equals_per_claim_on_generated_person_years(engine, columnar, persons):
    cases, prepared, expected = [], [], []
    for n, p in enumerate(persons):
        case = build_case(engine, p, n)
        try:
            prepared.append(engine.prepare(load_case_text(json.dumps(case, ensure_ascii=False), "case.json")))
        except CaseError:
            continue  # refused as a whole by both (the same validation): nothing to compare
        cases.append(case)
        expected.append(per_claim(engine, case))
    if not prepared:
        return
    results = columnar.settle_many(prepared)
    for result, (rows, _) in zip(results, expected):
        got = json.loads(dumps_output(result.output), parse_float=Decimal)["encounters"]
        assert got == rows
    _, state = settle_prepared(prepared, columnar.evaluators)
    for i, (case, (_, counters)) in enumerate(zip(prepared, expected)):
        people = np.array([i])

        def before(program, date):
            cols, _ = state.before(program, people, np.array([date.year]), np.array([date.month]))
            return [bool(c.n[0]) if c.kind == "bool" else int(c.n[0]) for c in cols]
        assert _probe(case, before) == counters


# ── exact arithmetic ──

@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-10**15, 10**15), st.integers(1, 10**6)), min_size=1, max_size=20))
def test_half_up_matches_the_per_claim_rounding(pairs):
    col = Col("num", np.array([n for n, _ in pairs], np.int64), np.array([d for _, d in pairs], np.int64))
    assert [int(x) for x in half_up(col)] == [half_up_ratio(n, d) for n, d in pairs]


def test_products_beyond_int64_fall_back_to_exact_python_integers():
    big = 2**62 // 3  # fen × a numerator this large overflows int64
    a = Col("num", np.array([big, 5], np.int64))
    b = Col("num", np.array([17, 17], np.int64), np.array([20, 20], np.int64))
    product = num_mul(a, b, 2)
    assert [Fraction(int(n), int(d)) for n, d in zip(product.n, product.d)] == [Fraction(big * 17, 20), Fraction(17, 4)]
    assert [int(x) for x in half_up(product)] == [half_up_ratio(big * 17, 20), 4]

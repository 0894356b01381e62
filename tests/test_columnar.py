"""The columnar evaluator (runtime/columnar.py) against the per-claim path, which is the specification.

- every city's conformance cases (regulations/*/*.cases.yaml) pass through the columnar evaluator too;
- on generated person-years of every city (several persons per batch, so waves mix persons, regions and
  regulations), outputs, errors, exclusions and the counters are identical to ``Engine.settle``;
- random rule sets (a template with random amounts, rates and an exception, compiled): every claim's
  output or error equals the closures' (``Program.evaluate_reference``), 四舍五入 ties included;
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
from yibao.runtime.values import Sentinel, half_up_ratio  # noqa: E402

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
    # the personal account's balance (东营 第十九条, 济宁 第二十一条), often absent: where a city leaves the
    # account open (烟台, 临沂) a balance makes every encounter YR01
    "acct": st.one_of(st.none(), st.integers(0, 3_000_000)),
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
        if key == "acct_balc":
            if p["acct"] is not None:
                person_row[key] = yuan(p["acct"])
        elif type_ == "money":
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


# ── random rule sets ──

RULE = """地区 随机 999998
标题 "随机规则（测试用）"
施行 2000-01-01
采用 山东基本医疗保险词表

第一条【起付线】
    起付标准 按 医院等级 {d[0]}元 / {d[1]}元 / {d[2]}元 / 待定

第二条【乙类先行自付】
    乙类自付比例 按 险种 职工 {r[0]}%，居民 {r[1]}%
    先行自付 = 四舍五入(乙类费用 × 乙类自付比例)
    政策范围内 = 甲类费用 + 乙类费用 − 先行自付

第三条【支付】
    支付比例 按 险种 × 医院等级：
        职工：{p[0]}% / {p[1]}% / {p[2]}% / 待定
        居民：{p[3]}% / {p[4]}% / {p[5]}% / 不适用
    例外 支付比例 = 支付比例 − {delta}% 当 甲类费用 > {threshold}元 优先级 1
    每次限额 = {cap}元
    实付起付线 = 最小(起付标准, 政策范围内)
    统筹支付 = 最小(四舍五入((政策范围内 − 实付起付线) × 支付比例), 每次限额)
    输出 hifp_pay = 统筹支付
"""


def _yuan_text(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _percent_text(basis_points: int) -> str:
    return f"{basis_points // 100}.{basis_points % 100:02d}".rstrip("0").rstrip(".")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 200_000), min_size=3, max_size=3),                 # deductibles, fen
       st.lists(st.one_of(st.integers(0, 10_000), st.sampled_from([100, 500, 1000, 2000])),  # self-pay, basis points
                min_size=2, max_size=2),
       st.lists(st.integers(5_000, 10_000), min_size=6, max_size=6),              # payment ratios
       st.integers(0, 5_000), st.integers(0, 10_000_000), st.integers(1, 50_000_000),
       st.lists(st.tuples(st.integers(0, 1), st.integers(0, 3), st.integers(0, 40_000_000),
                          st.one_of(st.integers(0, 9_000_000),
                                    st.integers(0, 90_000).map(lambda x: x * 100 + 50))),  # halves: 四舍五入 ties
                min_size=1, max_size=40),
       st.booleans())
def test_columnar_equals_per_claim_on_random_rule_sets(d, r, p, delta, threshold, cap, claims, one_insutype):
    from yibao.compiler.driver import compile_text

    text = RULE.format(d=[_yuan_text(x) for x in d], r=[_percent_text(x) for x in r],
                       p=[_percent_text(x) for x in p], delta=_percent_text(delta), threshold=_yuan_text(threshold),
                       cap=_yuan_text(cap))
    compiled = compile_text(text, "random.yb", root=Path("regulations"))
    assert compiled.ir is not None, [d.message for d in compiled.diagnostics]
    reg = Regulation.from_ir(compiled.ir)
    program = reg.program
    evaluator = __import__("yibao.runtime.columnar", fromlist=["ColumnarEvaluator"]).ColumnarEvaluator(reg)
    names = {"险种": ["职工", "居民"], "医院等级": ["一级", "二级", "三级", "未定级"]}
    rows = []
    if one_insutype:  # every row the same denominators: the scalar-division rounding path
        claims = [(claims[0][0], lv, a, b) for _, lv, a, b in claims]
    for ins, lv, a, b in claims:
        values = {"险种": names["险种"][ins], "医院等级": names["医院等级"][lv], "甲类费用": a, "乙类费用": b}
        rows.append([values.get(spec.name, Sentinel("missing", spec.name, None, field=spec.field))
                     for spec in program.inputs])
    columns = [evaluator.column([row[j] for row in rows], spec.type) for j, spec in enumerate(program.inputs)]
    result = evaluator.evaluate(columns, [], len(rows))
    for i, row in enumerate(rows):
        want = program.evaluate_reference(row, [])
        if want.error is not None:
            got = evaluator.sentinels.items[int(result.error_id[i])]
            assert (got.kind, got.name, got.article, result.error_at[i]) == \
                   (want.error.kind, want.error.name, want.error.article, want.error_at)
        else:
            assert result.status[i] == 0
            col = result.outputs["hifp_pay"]
            assert int(col.n[i]) == want.outputs["hifp_pay"]


def test_date_operations_in_columns_match_the_closures():
    import datetime as dt
    import types

    from yibao.runtime.columnar import _OPS, Sentinels
    from yibao.runtime.expr import date_add, date_diff, date_sub

    admit = [dt.date(2020, 2, 20), dt.date(2020, 3, 1), dt.date(9999, 12, 1)]
    discharge = [dt.date(2020, 3, 1), dt.date(2020, 2, 20), dt.date(9999, 12, 31)]
    days = [30, -5, 1]
    env = types.SimpleNamespace(size=3, sentinels=Sentinels())
    a = Col("date", np.array([d.toordinal() for d in admit], np.int64))
    b = Col("date", np.array([d.toordinal() for d in discharge], np.int64))
    n = Col("num", np.array(days, np.int64))
    assert list(_OPS["date_diff"]([b, a], env).n) == [date_diff(x, y) for x, y in zip(discharge, admit)]
    later, earlier = _OPS["date_add"]([b, n], env), _OPS["date_sub"]([a, n], env)
    for i in range(3):
        want_later, want_earlier = date_add(discharge[i], days[i]), date_sub(admit[i], days[i])
        if isinstance(want_later, dt.date):
            assert later.s is None or later.s[i] == 0
            assert dt.date.fromordinal(int(later.n[i])) == want_later
        else:  # 9999-12-31 + 1 day: the range sentinel in both
            assert env.sentinels.items[later.s[i]].kind == want_later.kind == "range"
        assert dt.date.fromordinal(int(earlier.n[i])) == want_earlier

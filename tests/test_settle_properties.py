"""Hypothesis properties of settlement under the 东营 rules (the design's determinism contract).

- amounts add up to the fen: fund_pay_sumamt is the sum of the fund columns, and
  medfee_sumamt = fund_pay_sumamt + psn_part_amt; no amount is negative;
- the fund never pays more when a fee falls;
- the annual caps of 第二十八条 and 第三十三条 are never exceeded;
- the same case gives the same bytes.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.compiler.driver import compile_path
from yibao.runtime import Engine, Regulation, dumps_output, load_case_text

FUNDS = ("hifp_pay", "cvlserv_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def engine() -> Engine:
    result = compile_path("regulations/dongying/dongying-2018.yb")
    assert result.ir is not None, result.diagnostics
    return Engine([Regulation.from_ir(result.ir)])


fen = st.integers(min_value=0, max_value=30_000_000)  # up to 300,000 yuan per fee class


def yuan(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"


encounter = st.fixed_dictionaries(
    {
        "med_type": st.sampled_from(["11", "14", "21", "22", "23", "24"]),
        "dedc_hosp_lv": st.sampled_from(["1", "2", "3"]),
        "a": fen, "b": fen, "c": fen, "over": st.integers(0, 1_000_000),
        "flags": st.lists(st.sampled_from(["转院", "急诊", "非定点", "异地就医", "转诊", "转诊备案", "异地备案"]), unique=True, max_size=3),
    }
)
person = st.fixed_dictionaries(
    {
        "insutype": st.sampled_from(["310", "390"]),
        "flags": st.lists(st.sampled_from(["大额医疗补助", "公务员医疗补助"]), unique=True),
        "cum": st.integers(0, 20_000_000),
    }
)


def build_case(p: dict, encounters: list[dict]) -> dict:
    rows = []
    for i, e in enumerate(encounters):
        rows.append({
            "mdtrt_id": f"E{i + 1}", "med_type": e["med_type"], "setl_time": f"2019-{1 + i % 12:02d}-15",
            "dedc_hosp_lv": e["dedc_hosp_lv"], "fees": {"01": yuan(e["a"]), "02": yuan(e["b"]), "03": yuan(e["c"])},
            "overlmt_selfpay": yuan(e["over"]), "flags": e["flags"],
        })
    return {
        "region": "370500",
        "person": {"psn_no": "P", "insutype": p["insutype"], "psn_type": "1101" if p["insutype"] == "310" else "1501",
                   "brdy": "1970-01-01", "gend": "2", "flags": p["flags"], "annual_base": "80000.00"},
        "cuminfo": {"hifp_pay_pooled": yuan(p["cum"])},
        "encounters": rows,
    }


def run(engine: Engine, case: dict) -> dict:
    """Settle through the embedding API and read the contract JSON back exactly (Decimal amounts)."""
    result = engine.settle(load_case_text(json.dumps(case, ensure_ascii=False), "case.json"), trace=False)
    return json.loads(dumps_output(result.output), parse_float=Decimal)


def settled(output: dict) -> list[dict]:
    return [e["setlinfo"] for e in output["encounters"] if "setlinfo" in e]


@SETTINGS
@given(person, st.lists(encounter, min_size=1, max_size=6))
def test_amounts_add_up_to_the_fen(engine, p, encounters):
    output = run(engine, build_case(p, encounters))
    for s in settled(output):
        assert all(v >= 0 for v in s.values()), s
        assert s["fund_pay_sumamt"] == sum(s[f] for f in FUNDS)
        assert s["medfee_sumamt"] == s["fund_pay_sumamt"] + s["psn_part_amt"]


@SETTINGS
@given(person, encounter, st.integers(min_value=1, max_value=30_000_000))
def test_fund_never_pays_more_when_a_fee_falls(engine, p, e, cut):
    before = run(engine, build_case(p, [e]))
    lower = dict(e, a=max(e["a"] - cut, 0))
    after = run(engine, build_case(p, [lower]))
    if settled(before) and settled(after):
        assert settled(after)[0]["fund_pay_sumamt"] <= settled(before)[0]["fund_pay_sumamt"]


@SETTINGS
@given(person, st.lists(encounter, min_size=1, max_size=8))
def test_annual_caps_are_never_exceeded(engine, p, encounters):
    case = build_case(p, encounters)
    output = run(engine, case)
    employee = p["insutype"] == "310"
    pooled = outpatient = Decimal(0)
    for row, e in zip(output["encounters"], case["encounters"]):
        if "setlinfo" not in row:
            continue
        paid = row["setlinfo"]["hifp_pay"]
        if e["med_type"] == "11":
            outpatient += paid
        if e["med_type"] != "11" or employee:
            pooled += paid
    # 第二十八条: 职工 20万元 / 居民 16万元 a year, less what cuminfo says was paid already
    assert pooled + Decimal(yuan(p["cum"])) <= (Decimal(200000) if employee else Decimal(160000)) or pooled == 0
    # 第三十三条: 普通门诊 职工 1000元 / 居民 200元 a year
    assert outpatient <= (Decimal(1000) if employee else Decimal(200))


@SETTINGS
@given(person, st.lists(encounter, min_size=1, max_size=4))
def test_same_case_gives_the_same_bytes(engine, p, encounters):
    case = build_case(p, encounters)
    first = dumps_output(engine.settle(load_case_text(json.dumps(case, ensure_ascii=False), "c"), trace=True).output)
    second = dumps_output(engine.settle(load_case_text(json.dumps(case, ensure_ascii=False), "c"), trace=True).output)
    assert first == second


CITY_CASES = {
    # region, a date in force, the 险种 the regulation covers
    "370800": ("2019", "390"),  # 济宁 2017: residents
    "370600": ("2025", "310"),  # 烟台 2023: employees, from 2024
}


@pytest.fixture(scope="module")
def every_city() -> Engine:
    from yibao.compiler.driver import compile_all

    return Engine([Regulation.from_ir(r.ir) for r in compile_all()])


@SETTINGS
@given(st.sampled_from(sorted(CITY_CASES)), person, st.lists(encounter, min_size=1, max_size=5),
       st.lists(st.sampled_from(["中医医疗机构", "纯中医疗法", "基本药物", "无责任人意外伤害"]), unique=True, max_size=2))
def test_every_city_settles_to_the_fen_without_internal_errors(every_city, region, p, encounters, extra):
    year, insutype = CITY_CASES[region]
    case = build_case(dict(p, insutype=insutype, flags=[]), encounters)
    case["region"] = region
    case.pop("cuminfo")
    case["person"].pop("annual_base")  # a 东营 extension (第三十七条); other cities do not know it
    for row in case["encounters"]:
        row["setl_time"] = year + row["setl_time"][4:]
        row["flags"] = [f for f in row["flags"] if f not in ("转院",)] + (extra if region == "370800" else [])
    output = run(every_city, case)
    for row in output["encounters"]:
        assert row.get("error", {}).get("code") != "YR90", row
    for s in settled(output):
        assert all(v >= 0 for v in s.values()), s
        assert s["fund_pay_sumamt"] == sum(s[f] for f in FUNDS)
        assert s["medfee_sumamt"] == s["fund_pay_sumamt"] + s["psn_part_amt"]

"""Settlement through the embedding API on a hand-written 东营 IR (tests/runtime_fixtures/mini_ir.py).

Every figure is hand arithmetic from the article named, exact to the fen (amounts in yuan).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from runtime_fixtures.cases import as_text_case, case, stay
from runtime_fixtures.mini_ir import dongying_ir, money, ref, sub, with_sha
from yibao.runtime import Engine, IRError, Regulation, dumps_output

ROOT = Path(__file__).resolve().parents[1]
FUNDS = ("hifp_pay", "cvlserv_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine([Regulation.from_ir(dongying_ir())])


def settle(engine, doc, **kw):
    result = engine.settle(as_text_case(doc), **kw)
    return result.status, result.output


def info(out, i):
    return out["encounters"][i]["setlinfo"]


def y(text: str) -> Decimal:
    return Decimal(text)


def test_spec_example_employee_tertiary_inpatient(engine):
    # 第三十条 三级 800; 第三十一条 职工 三级 85%: (10000 − 800) × 85% = 7820.00
    status, out = settle(engine, case(stay("E1", "3", "10000.00")))
    assert status == 0
    s = info(out, 0)
    assert list(s) == ["medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                       "act_pay_dedc", "hifp_pay", "pool_prop_selfpay", "cvlserv_pay", "hifmi_pay", "hifob_pay",
                       "maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt"]
    assert (s["act_pay_dedc"], s["hifp_pay"], s["pool_prop_selfpay"], s["psn_part_amt"]) == (
        y("800.00"), y("7820.00"), y("0.8500"), y("2180.00"))
    row = out["encounters"][0]
    assert list(row) == ["mdtrt_id", "regulation", "setlinfo", "setldetail", "trace"]
    assert row["regulation"] == {"title": "东营市社会医疗保险办法", "effective": ["2018-04-01", "2022-12-31"],
                                 "ir_sha256": dongying_ir()["sha256"]}
    (detail,) = row["setldetail"]
    assert detail["fund_pay_type"] == "310100" and detail["fund_pay_type_name"] == "职工基本医疗保险统筹基金"
    assert detail["crt_payb_lmt_amt"] == y("200000.00") and detail["fund_payamt"] == y("7820.00")
    text = dumps_output(out)
    assert '"hifp_pay": 7820.00' in text and '"pool_prop_selfpay": 0.8500' in text and "东营市" in text


def test_half_fen_rounds_up_where_float_rounds_down(engine):
    # (9800.30 − 800) × 85% = 7650.255 → 7650.26; float arithmetic gives 7650.25
    assert round((9800.30 - 800) * 0.85, 2) == 7650.25
    status, out = settle(engine, case(stay("E1", "3", "9800.30")))
    assert info(out, 0)["hifp_pay"] == y("7650.26") and info(out, 0)["psn_part_amt"] == y("2150.04")


def test_fee_classes_and_prepaid_class_b(engine):
    # 职工 二级: 甲2000 乙500 丙300 超限价100 → 先行自付 50, 政策范围内 2450, (2450 − 500) × 90% = 1755
    enc = stay("E1", "2", 2000, "500.00", 300, date="2019-05-10 09:30:00", overlmt_selfpay=100)
    s = info(settle(engine, case(enc))[1], 0)
    assert (s["medfee_sumamt"], s["fulamt_ownpay_amt"], s["overlmt_selfpay"]) == (y("2900.00"), y("300.00"), y("100.00"))
    assert (s["preselfpay_amt"], s["inscp_scp_amt"], s["hifp_pay"], s["psn_part_amt"]) == (
        y("50.00"), y("2450.00"), y("1755.00"), y("1145.00"))


def test_admission_counter_third_stay_has_no_deductible(engine):
    out = settle(engine, case(stay("E1", "2", "2000"), stay("E2", "2", "2000", date="2019-05-10"),
                              stay("E3", "1", "1000", "500", "200", date="2019-07-10")))[1]
    assert [info(out, i)["act_pay_dedc"] for i in range(3)] == [y("500.00"), y("500.00"), y("0.00")]
    assert info(out, 2)["hifp_pay"] == y("1377.50")


def test_year_counter_resets_in_a_new_year(engine):
    # two admissions in 2019; the third stay is in 2020, so it is the year's first: deductible again
    out = settle(engine, case(stay("E1", "2", "2000", date="2019-05-01"), stay("E2", "2", "2000", date="2019-11-01"),
                              stay("E3", "2", "2000", date="2020-01-02")))[1]
    assert [info(out, i)["act_pay_dedc"] for i in range(3)] == [y("500.00"), y("500.00"), y("500.00")]


def test_quarter_counter_resets_in_a_new_quarter(engine):
    # 第三十二条 慢病 150 per quarter; 职工 二级 90%
    out = settle(engine, case(stay("E1", "2", "100", med_type="14", date="2019-01-10"),
                              stay("E2", "2", "400", med_type="14", date="2019-03-31"),
                              stay("E3", "2", "400", med_type="14", date="2019-04-01")))[1]
    assert [info(out, i)["act_pay_dedc"] for i in range(3)] == [y("100.00"), y("50.00"), y("150.00")]
    assert [info(out, i)["hifp_pay"] for i in range(3)] == [y("0.00"), y("315.00"), y("225.00")]


def test_cuminfo_carries_earlier_totals_into_the_first_period_only(engine):
    # cuminfo: two admissions already this year → no deductible in 2019; in 2020 the counter restarts
    doc = case(stay("E1", "3", "1000", date="2019-06-01"), stay("E2", "3", "1000", date="2020-02-01"),
               cuminfo={"admissions": 2, "chronic_dedc_quarter": "100"})
    out = settle(engine, doc)[1]
    assert info(out, 0)["act_pay_dedc"] == y("0.00")
    assert info(out, 1)["act_pay_dedc"] == y("800.00")


def test_cuminfo_on_the_pooled_cap_and_the_large_expense_subsidy(engine):
    # 剩余 850; 按比例 (10800 − 800) × 85% = 8500 → 统筹 850; 截去 10000 − 850 ÷ 85% = 9000; 大额 × 95% = 8550
    doc = case(stay("E1", "3", "10800"), flags=["大额医疗补助"], cuminfo={"hifp_pay_pooled": "199150.00"})
    status, out = settle(engine, doc)
    s = info(out, 0)
    assert (s["hifp_pay"], s["hifob_pay"], s["fund_pay_sumamt"], s["psn_part_amt"]) == (
        y("850.00"), y("8550.00"), y("9400.00"), y("1400.00"))
    rows = out["encounters"][0]["setldetail"]
    assert [r["fund_pay_type"] for r in rows] == ["310100", "330100"]
    assert rows[1]["crt_payb_lmt_amt"] is None and rows[1]["fund_payamt"] == y("8550.00")


def test_exclusion_output_shape_and_counters_unchanged(engine):
    doc = case(stay("E1", "2", "5000", "1000", "100", flags=["非定点"], overlmt_selfpay="50"),
               stay("E2", "2", "5000", med_type="24", flags=["非定点", "急诊"]))
    status, out = settle(engine, doc)
    assert status == 0
    first = out["encounters"][0]
    assert list(first) == ["mdtrt_id", "regulation", "setlinfo", "setldetail", "excluded", "trace"]
    assert first["excluded"] == {"article": "第三十八条", "reason": "在非定点医疗机构就诊（因急危重症、抢救的除外）"}
    s = first["setlinfo"]
    assert s["medfee_sumamt"] == y("6150.00") and s["psn_part_amt"] == y("6150.00")
    assert (s["fulamt_ownpay_amt"], s["overlmt_selfpay"]) == (y("100.00"), y("50.00"))
    for field in FUNDS + ("act_pay_dedc", "preselfpay_amt", "inscp_scp_amt", "pool_prop_selfpay", "fund_pay_sumamt"):
        assert s[field] == 0, field
    (detail,) = first["setldetail"]
    assert detail["fund_payamt"] == y("0.00") and "不予支付" in detail["setl_proc_info"]
    # the excluded stay did not count as an admission and paid no deductible: E2 still pays 500
    assert info(out, 1)["act_pay_dedc"] == y("500.00") and info(out, 1)["hifp_pay"] == y("4050.00")


def test_open_value_is_yr01_and_other_encounters_settle(engine):
    status, out = settle(engine, case(stay("E1", "1", "100", med_type="11"), stay("E2", "3", "10000", date="2019-04-01"),
                                      insutype="390"))
    assert status == 1
    err = out["encounters"][0]
    assert list(err) == ["mdtrt_id", "error"]
    assert err["error"]["code"] == "YR01" and err["error"]["article"] == "第三十三条"
    assert "门诊支付比例[居民,一级]" in err["error"]["message"] and "待定" in err["error"]["message"]
    assert info(out, 1)["hifp_pay"] == y("5520.00")


def test_unrated_hospital_needs_the_open_deductible(engine):
    status, out = settle(engine, case(stay("E1", "9", "3000")))
    assert out["encounters"][0]["error"]["code"] == "YR01"
    assert "住院起付标准[未定级]" in out["encounters"][0]["error"]["message"]
    assert out["encounters"][0]["error"]["article"] == "第三十条"


def test_not_applicable_cell_is_yr02():
    # a variant where 职工 二级 普通门诊 is 不适用 and no exclusion catches it
    doc = copy.deepcopy(dongying_ir())
    table = next(t for t in doc["tables"] if t["name"] == "门诊支付比例")
    table["cells"][1]["value"] = {"na": "门诊支付比例"}
    eng = Engine([Regulation.from_ir(with_sha(doc))])
    status, out = settle(eng, case(stay("E1", "2", "1000", med_type="11")))
    assert out["encounters"][0]["error"]["code"] == "YR02"
    assert out["encounters"][0]["error"]["article"] == "第三十三条"


def test_missing_optional_input_is_yr03_naming_the_field(engine):
    status, out = settle(engine, case(stay("E1", "3", "50000"), flags=["公务员医疗补助"]))
    err = out["encounters"][0]["error"]
    assert status == 1 and err["code"] == "YR03" and "person.annual_base" in err["message"]
    assert err["article"] == "第三十七条"
    # given the base: 门槛 6000; 统筹 41820; 自负 8180; (8180 − 6000) × 95% = 2071
    status, out = settle(engine, case(stay("E1", "3", "50000"), flags=["公务员医疗补助"], annual_base="60000"))
    assert info(out, 0)["cvlserv_pay"] == y("2071.00") and info(out, 0)["psn_part_amt"] == y("6109.00")
    assert [r["fund_pay_type"] for r in out["encounters"][0]["setldetail"]] == ["310100", "320100"]


def test_no_regulation_in_force_is_yr04(engine):
    status, out = settle(engine, case(stay("E1", "3", "1000", date="2018-03-31"), stay("E2", "3", "1000", date="2018-04-01")))
    assert status == 1
    assert out["encounters"][0]["error"]["code"] == "YR04"
    assert out["encounters"][0]["error"]["article"] == "第七十二条"
    assert "2018-03-31" in out["encounters"][0]["error"]["message"]
    assert info(out, 1)["act_pay_dedc"] == y("800.00")


def test_insurance_type_the_regulation_lacks_is_yr05():
    doc = copy.deepcopy(dongying_ir())
    vocab = next(v for v in doc["vocabularies"] if v["name"] == "险种")
    vocab["members"][1]["code"] = "391"  # this regulation knows no 390
    eng = Engine([Regulation.from_ir(with_sha(doc))])
    status, out = settle(eng, case(stay("E1", "3", "1000"), insutype="390"))
    assert status == 1 and out["encounters"][0]["error"]["code"] == "YR05"
    assert "390" in out["encounters"][0]["error"]["message"]


def test_invariant_violation_is_an_internal_error_not_output():
    doc = copy.deepcopy(dongying_ir())
    out_psn = next(o for o in doc["outputs"] if o["field"] == "psn_part_amt")
    out_psn["expr"] = sub(ref("个人负担总额"), money("0.01"))  # off by a fen
    eng = Engine([Regulation.from_ir(with_sha(doc))])
    status, out = settle(eng, case(stay("E1", "3", "10000")))
    assert status == 1 and out["encounters"][0]["error"]["code"] == "YR90"
    assert "medfee_sumamt" in out["encounters"][0]["error"]["message"]


def test_engine_refuses_an_ir_without_the_contract_outputs_and_overlapping_versions():
    doc = copy.deepcopy(dongying_ir())
    doc["outputs"] = [o for o in doc["outputs"] if o["field"] != "hifp_pay"]
    with pytest.raises(IRError, match="hifp_pay"):
        Engine([Regulation.from_ir(with_sha(doc))])
    later = copy.deepcopy(dongying_ir())
    later["regulation"]["effective"] = ["2022-01-01", None]
    with pytest.raises(IRError, match="重叠"):
        Engine([Regulation.from_ir(dongying_ir()), Regulation.from_ir(with_sha(later))])


def test_versions_are_chosen_by_date_and_counters_continue_across_them():
    later = copy.deepcopy(dongying_ir())
    later["regulation"].update(effective=["2023-01-01", None], title="东营市社会医疗保险办法（2023）")
    table = next(t for t in later["tables"] if t["name"] == "住院起付标准")
    table["cells"][2]["value"] = {"money": 100000}  # 三级 1000 from 2023
    eng = Engine([Regulation.from_ir(with_sha(later)), Regulation.from_ir(dongying_ir())])
    out = settle(eng, case(stay("E1", "3", "5000", date="2022-12-20"), stay("E2", "3", "5000", date="2022-12-30"),
                           stay("E3", "3", "5000", date="2023-01-05"), stay("E4", "3", "5000", date="2023-02-05")))[1]
    titles = [out["encounters"][i]["regulation"]["title"] for i in range(4)]
    assert titles == ["东营市社会医疗保险办法"] * 2 + ["东营市社会医疗保险办法（2023）"] * 2
    assert [info(out, i)["act_pay_dedc"] for i in range(4)] == [y("800.00"), y("800.00"), y("1000.00"), y("1000.00")]


def test_region_by_name_or_override(engine):
    for region in ("东营", "东营市", "370500"):
        doc = case(stay("E1", "3", "10000"), region=region)
        assert settle(engine, doc)[1]["region"] == "370500"
    doc = case(stay("E1", "3", "10000"))
    del doc["region"]
    assert engine.settle(as_text_case(doc), region="东营").output["region"] == "370500"


def test_referral_exception_supplies_value_and_trace_cites_its_article(engine):
    # 第三十九条: 转外 已备案 → 三级比例 85% − 10% = 75%; (20800 − 800) × 75% = 15000
    doc = case(stay("E1", "3", "20800", med_type="23", flags=["异地就医", "转诊", "转诊备案"]))
    out = settle(engine, doc)[1]
    assert info(out, 0)["pool_prop_selfpay"] == y("0.7500") and info(out, 0)["hifp_pay"] == y("15000.00")
    trace = {t["name"]: t for t in out["encounters"][0]["trace"]}
    assert trace["统筹支付比例"]["article"] == "第三十九条"  # the applied exception, not 第三十一条
    assert trace["统筹支付比例"]["value"] == "0.7500"
    assert trace["转外就医"]["value"] == "true"


def test_trace_follows_only_taken_branches_and_carries_notes(engine):
    out = settle(engine, case(stay("E1", "3", "10000")), trace=True)[1]
    items = out["encounters"][0]["trace"]
    names = [t["name"] for t in items]
    assert len(names) == len(set(names))
    assert "门诊支付比例" not in names and "慢病应付起付线" not in names and "生育应付起付线" not in names
    by = {t["name"]: t for t in items}
    assert by["住院起付标准"]["value"] == "800.00" and by["住院起付标准"]["article"] == "第三十条"
    assert by["住院起付标准"]["source"].startswith("dongying/mini.yb:")
    assert "转院" in by["住院应付起付线"]["note"]
    assert by["本年计入住院次数"]["value"] == "0"
    assert all(list(t)[:4] == ["name", "value", "article", "source"] for t in items)
    # trace=False costs nothing and leaves the key out
    out = settle(engine, case(stay("E1", "3", "10000")), trace=False)[1]
    assert "trace" not in out["encounters"][0]


def test_transfer_exception_with_counter_values(engine):
    # 一级 → 三级 转院: 只补计 800 − 200 = 600; (5000 − 600) × 85% = 3740; 三级 → 二级 转院: 0
    out = settle(engine, case(stay("E1", "1", "3000"), stay("E2", "3", "5000", date="2019-03-20", flags=["转院"]),
                              stay("E3", "2", "2000", date="2019-03-25", flags=["转院"])))[1]
    assert [info(out, i)["act_pay_dedc"] for i in range(3)] == [y("200.00"), y("600.00"), y("0.00")]
    assert info(out, 1)["hifp_pay"] == y("3740.00")
    trace = {t["name"]: t for t in out["encounters"][1]["trace"]}
    assert trace["上次住院起付标准"]["value"] == "200.00"


def test_amounts_add_up_for_many_cases(engine):
    import random
    rng = random.Random(7)
    for _ in range(200):
        encs = [stay(f"E{i}", rng.choice("123"), f"{rng.randint(0, 3000000) / 100:.2f}", f"{rng.randint(0, 500000) / 100:.2f}",
                     f"{rng.randint(0, 100000) / 100:.2f}", date=f"2019-{i + 1:02d}-15", med_type=rng.choice(["11", "14", "21", "24"]),
                     flags=rng.sample(["转院", "急诊", "非定点", "异地就医", "转诊"], rng.randint(0, 2)))
                for i in range(rng.randint(1, 5))]
        doc = case(*encs, insutype=rng.choice(["310", "390"]), flags=rng.sample(["大额医疗补助", "公务员医疗补助"], rng.randint(0, 2)),
                   annual_base="80000")
        for row in settle(engine, doc, trace=False)[1]["encounters"]:
            if "setlinfo" in row:
                s = row["setlinfo"]
                assert all(v >= 0 for v in s.values())
                assert s["fund_pay_sumamt"] == sum(s[f] for f in FUNDS)
                assert s["medfee_sumamt"] == s["fund_pay_sumamt"] + s["psn_part_amt"]
            else:
                assert row["error"]["code"] in ("YR01", "YR02"), row


SCRIPT = r"""
import sys
sys.path.insert(0, sys.argv[1])
from runtime_fixtures.mini_ir import dongying_ir
from yibao.runtime import Engine, Regulation, dumps_output, load_case_text
engine = Engine([Regulation.from_ir(dongying_ir())])
text = open(sys.argv[2], encoding="utf-8").read()
sys.stdout.write(dumps_output(engine.settle(load_case_text(text, "case.json")).output))
"""


def test_same_bytes_under_different_hash_seeds():
    outputs = []
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT / "tests"), str(ROOT / "examples" / "dongying-case.json")],
                              capture_output=True, env=env, check=True)
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    parsed = json.loads(outputs[0], parse_float=Decimal)
    assert parsed["encounters"][0]["setlinfo"]["hifp_pay"] == Decimal("7820.00")
    assert len(outputs[0]) > 1000


def variant(mutate) -> Engine:
    doc = copy.deepcopy(dongying_ir())
    mutate(doc)
    return Engine([Regulation.from_ir(with_sha(doc))])


def test_an_open_value_in_an_exclusion_condition_is_an_error_and_a_zero_divisor_is_yr06():
    from runtime_fixtures.mini_ir import and_, op, open_, rate, rnd

    def open_condition(doc):
        doc["exclusions"][2]["when"] = and_(ref("非定点"), open_("急救情形", "另行制定"))
    status, out = settle(variant(open_condition), case(stay("E1", "3", "1000", flags=["非定点"]), stay("E2", "3", "1000")))
    assert out["encounters"][0]["error"]["code"] == "YR01" and "急救情形" in out["encounters"][0]["error"]["message"]
    assert "setlinfo" in out["encounters"][1]  # the condition is false without 非定点: Kleene, no error

    def divide_by_zero(doc):
        hifmi = next(o for o in doc["outputs"] if o["field"] == "hifmi_pay")
        hifmi["expr"] = rnd(op("div", ref("医疗费总额"), rate("0")))
    status, out = settle(variant(divide_by_zero), case(stay("E1", "3", "1000")))
    assert out["encounters"][0]["error"]["code"] == "YR06"


def test_chronic_diseases_and_age_are_read_by_name():
    from runtime_fixtures.mini_ir import inp
    from yibao.runtime.case import Problems, parse_encounters, parse_person, read_inputs

    def declare(doc):
        doc["inputs"] += [inp("糖尿病", "bool", "person.chronic"), inp("年龄", "count", "person.age")]
    eng = variant(declare)
    with pytest.raises(Exception) as info:
        eng.settle(as_text_case(case(stay("E1", "3", "1000"), chronic=["高血压"])))
    assert "person.chronic[0]" in str(info.value) and "糖尿病" in str(info.value)
    (reg,) = eng.regulations("370500")
    schema = eng.regions.schemas["370500"]
    problems = Problems("x")
    person = parse_person({"insutype": "310", "brdy": "1975-06-02", "chronic": ["糖尿病"]}, schema, problems)
    (enc,) = parse_encounters([stay("E1", "3", "1000", date="2019-06-01")], schema, problems)
    assert not problems.items
    values = dict(zip([s.name for s in reg.program.inputs], read_inputs(reg.readers, person, enc)))
    assert values["糖尿病"] is True and values["年龄"] == 43 and values["医院等级"] == "三级"


def test_output_is_a_plain_dict_to_pickle_and_json(engine):
    import pickle
    out = engine.settle(as_text_case(case(stay("E1", "3", "10000")))).output
    again = pickle.loads(pickle.dumps(out))
    assert type(again) is dict and again == out
    assert json.loads(json.dumps(out, default=str))["region"] == "370500"

"""End-to-end settlement on 《东营市社会医疗保险办法》 (2018), through ``yibao settle`` as a user runs it.

Every expected figure is hand arithmetic from the article named in the test, in yuan, exact to the fen.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from yibao.cli import main

ROOT = Path(__file__).resolve().parents[1]


def settle(case: dict, *args: str) -> tuple[int, dict | None, str]:
    runner = CliRunner()
    result = runner.invoke(main, ["settle", "-", *args], input=json.dumps(case, ensure_ascii=False))
    out = json.loads(result.stdout, parse_float=Decimal) if result.stdout.strip() else None
    return result.exit_code, out, result.stderr


def employee(*encounters: dict, flags=(), **person) -> dict:
    base = {"psn_no": "P1", "insutype": "310", "psn_type": "1101", "brdy": "1975-06-01", "gend": "1", "flags": list(flags)}
    base.update(person)
    return {"region": "370500", "person": base, "encounters": list(encounters)}


def resident(*encounters: dict, flags=()) -> dict:
    case = employee(*encounters, flags=flags)
    case["person"].update(insutype="390", psn_type="1501")
    return case


def stay(mdtrt_id: str, level: str, a: str, b: str = "0", c: str = "0", date: str = "2019-03-10", med_type: str = "21", flags=()) -> dict:
    return {"mdtrt_id": mdtrt_id, "med_type": med_type, "setl_time": date, "dedc_hosp_lv": level,
            "fees": {"01": a, "02": b, "03": c}, "flags": list(flags)}


def info(out: dict, i: int) -> dict:
    return out["encounters"][i]["setlinfo"]


def money(text: str) -> Decimal:
    return Decimal(text)


def test_spec_example_employee_tertiary_inpatient_article_30_31():
    # 第三十条 三级 起付标准 800元; 第三十一条 职工 三级 85%: (10000 − 800) × 85% = 7820.00
    status, out, _ = settle(employee(stay("E1", "3", "10000.00")))
    assert status == 0
    s = info(out, 0)
    assert s["medfee_sumamt"] == money("10000.00")
    assert s["act_pay_dedc"] == money("800.00")
    assert s["hifp_pay"] == money("7820.00")
    assert s["pool_prop_selfpay"] == money("0.8500")
    assert s["fund_pay_sumamt"] == money("7820.00")
    assert s["psn_part_amt"] == money("2180.00")
    detail = out["encounters"][0]["setldetail"][0]
    assert detail["fund_pay_type"] == "310100"
    assert detail["crt_payb_lmt_amt"] == money("200000.00")  # 第二十八条 职工 20万元


def test_third_admission_has_no_deductible_article_30():
    # 第三十条: 前两次住院自负起付标准；第三次及以上住院不设起付标准。
    # E1, E2 二级 2000: (2000 − 500) × 90% = 1350.  E3 一级: 甲1000 乙500 丙200:
    # 先行自付 500 × 10% = 50 (第三十一条); 政策范围内 1700 − 200 − 50 = 1450; 起付线 0; 1450 × 95% = 1377.50
    case = employee(stay("E1", "2", "2000"), stay("E2", "2", "2000", date="2019-05-10"),
                    stay("E3", "1", "1000", "500", "200", date="2019-07-10"))
    status, out, _ = settle(case)
    assert status == 0
    assert [info(out, i)["act_pay_dedc"] for i in range(3)] == [money("500.00"), money("500.00"), money("0.00")]
    assert info(out, 2)["preselfpay_amt"] == money("50.00")
    assert info(out, 2)["inscp_scp_amt"] == money("1450.00")
    assert info(out, 2)["hifp_pay"] == money("1377.50")
    assert info(out, 2)["psn_part_amt"] == money("322.50")


def test_admission_below_deductible_is_not_counted_article_30():
    # 第三十条: 单次住院符合范围的费用未达起付标准的，不累计当年住院次数。
    # 居民 三级 起付 800, 比例 60% (第三十一条(二)). E1 500 < 800: pays 500 itself, not counted.
    # E2, E3: (5000 − 800) × 60% = 2520. E4 is then only the third counted admission: no deductible, 一级 90%: 900.
    case = resident(stay("E1", "3", "500"), stay("E2", "3", "5000", date="2019-04-01"),
                    stay("E3", "3", "5000", date="2019-05-01"), stay("E4", "1", "1000", date="2019-06-01"))
    status, out, _ = settle(case)
    assert status == 0
    assert info(out, 0)["act_pay_dedc"] == money("500.00")
    assert info(out, 0)["hifp_pay"] == money("0.00")
    assert info(out, 1)["hifp_pay"] == money("2520.00")
    assert info(out, 2)["act_pay_dedc"] == money("800.00")
    assert info(out, 3)["act_pay_dedc"] == money("0.00")
    assert info(out, 3)["hifp_pay"] == money("900.00")
    assert out["encounters"][0]["setldetail"][0]["fund_pay_type"] == "390100"


def test_half_fen_rounds_up_where_float_rounds_down_article_31():
    # (9800.30 − 800) × 85% = 7650.255 → 四舍五入 7650.26. Binary floating point gives 7650.254999…
    assert round(9000.30 * 0.85, 2) == 7650.25  # what a float implementation would pay
    status, out, _ = settle(employee(stay("E1", "3", "9800.30")))
    assert status == 0
    assert info(out, 0)["hifp_pay"] == money("7650.26")
    assert info(out, 0)["psn_part_amt"] == money("2150.04")


def test_fee_classes_and_prepaid_class_b_article_31():
    # 职工 二级: 甲2000 乙500 丙300 超限价100: 总额 2900; 先行自付 50; 政策范围内 2900−300−100−50 = 2450;
    # 起付线 500; (2450 − 500) × 90% = 1755
    case = employee({"mdtrt_id": "E1", "med_type": "21", "setl_time": "2019-05-10 09:30:00", "dedc_hosp_lv": "2",
                     "fees": {"01": 2000.00, "02": "500.00", "03": 300}, "overlmt_selfpay": 100, "flags": []})
    status, out, _ = settle(case)
    assert status == 0
    s = info(out, 0)
    assert (s["medfee_sumamt"], s["fulamt_ownpay_amt"], s["overlmt_selfpay"]) == (money("2900.00"), money("300.00"), money("100.00"))
    assert (s["preselfpay_amt"], s["inscp_scp_amt"], s["act_pay_dedc"]) == (money("50.00"), money("2450.00"), money("500.00"))
    assert s["hifp_pay"] == money("1755.00")
    assert s["psn_part_amt"] == money("1145.00")


def test_transfer_up_pays_only_the_difference_article_30():
    # 一级 → 三级 转院: 只补计 800 − 200 = 600; (5000 − 600) × 85% = 3740
    case = employee(stay("E1", "1", "3000"), stay("E2", "3", "5000", date="2019-03-20", flags=["转院"]))
    status, out, _ = settle(case)
    assert status == 0
    assert info(out, 1)["act_pay_dedc"] == money("600.00")
    assert info(out, 1)["hifp_pay"] == money("3740.00")


def test_chronic_quarterly_deductible_article_32():
    # 第三十二条: 每季度 150元; 比例按第三十一条 (职工 二级 90%). 2nd visit in the quarter pays the remaining 50.
    case = employee(stay("E1", "2", "100", med_type="14", date="2019-01-10"),
                    stay("E2", "2", "400", med_type="14", date="2019-02-10"),
                    stay("E3", "2", "400", med_type="14", date="2019-04-10"))
    status, out, _ = settle(case)
    assert status == 0
    assert [info(out, i)["act_pay_dedc"] for i in range(3)] == [money("100.00"), money("50.00"), money("150.00")]
    assert [info(out, i)["hifp_pay"] for i in range(3)] == [money("0.00"), money("315.00"), money("225.00")]


def test_employee_outpatient_deductible_and_cap_article_33():
    # 第三十三条(一): 职工 起付 400元/年, 一级 80%, 年度限额 1000元. 2000: (2000 − 400) × 80% = 1280 → 1000.
    status, out, _ = settle(employee(stay("E1", "1", "2000", med_type="11")))
    assert status == 0
    assert info(out, 0)["act_pay_dedc"] == money("400.00")
    assert info(out, 0)["hifp_pay"] == money("1000.00")


def test_resident_outpatient_ratio_is_open_and_other_encounters_still_settle_article_33():
    case = resident(stay("E1", "1", "100", med_type="11"), stay("E2", "3", "10000", date="2019-04-01"))
    status, out, _ = settle(case)
    assert status == 1
    err = out["encounters"][0]["error"]
    assert err["code"] == "YR01"
    assert err["article"] == "第三十三条"
    # 居民 三级: (10000 − 800) × 60% = 5520
    assert info(out, 1)["hifp_pay"] == money("5520.00")


def test_large_expense_subsidy_pays_95_percent_above_the_cap_article_34():
    # 合并限额剩余 850 (cuminfo carries 199150 already paid). 按比例应付 (10800 − 800) × 85% = 8500 → 统筹 850;
    # 被截去的费用 10000 − 850 ÷ 85% = 9000; 大额 9000 × 95% = 8550 (第三十四条).
    case = employee(stay("E1", "3", "10800"), flags=["大额医疗补助"])
    case["cuminfo"] = {"hifp_pay_pooled": "199150.00"}
    status, out, _ = settle(case)
    assert status == 0
    s = info(out, 0)
    assert s["hifp_pay"] == money("850.00")
    assert s["hifob_pay"] == money("8550.00")
    assert s["fund_pay_sumamt"] == money("9400.00")
    assert s["psn_part_amt"] == money("1400.00")


def test_civil_servant_subsidy_above_ten_percent_of_base_article_37():
    # 年缴费基数 60000 → 门槛 6000. 三级 50000: 统筹 (50000 − 800) × 85% = 41820; 自负 8180;
    # 超门槛 2180 × 95% = 2071 (第三十七条)
    case = employee(stay("E1", "3", "50000"), flags=["公务员医疗补助"], annual_base="60000")
    status, out, _ = settle(case)
    assert status == 0
    assert info(out, 0)["cvlserv_pay"] == money("2071.00")
    assert info(out, 0)["psn_part_amt"] == money("6109.00")


def test_civil_servant_subsidy_without_base_is_an_encounter_error_article_37():
    status, out, _ = settle(employee(stay("E1", "3", "50000"), flags=["公务员医疗补助"]))
    assert status == 1
    assert out["encounters"][0]["error"]["code"] == "YR03"
    assert "annual_base" in out["encounters"][0]["error"]["message"]


def test_non_designated_provider_is_excluded_unless_emergency_article_38():
    case = employee(stay("E1", "2", "5000", flags=["非定点"]), stay("E2", "2", "5000", med_type="24", flags=["非定点", "急诊"]))
    status, out, _ = settle(case)
    assert status == 0
    first = out["encounters"][0]
    assert first["excluded"]["article"] == "第三十八条"
    assert first["setlinfo"]["fund_pay_sumamt"] == money("0.00")
    assert first["setlinfo"]["psn_part_amt"] == money("5000.00")
    # the excluded stay is not an admission: E2 still pays the 二级 deductible, (5000 − 500) × 90% = 4050
    assert info(out, 1)["hifp_pay"] == money("4050.00")


def test_referral_out_of_city_ratio_article_39():
    # 第三十九条: 转外 已备案 按本市三级比例降低10%: 职工 85% − 10% = 75%; (20800 − 800) × 75% = 15000
    case = employee(stay("E1", "3", "20800", med_type="23", flags=["异地就医", "转诊", "转诊备案"]))
    status, out, _ = settle(case)
    assert status == 0
    assert info(out, 0)["pool_prop_selfpay"] == money("0.7500")
    assert info(out, 0)["hifp_pay"] == money("15000.00")


def test_outside_validity_is_an_encounter_error_article_72():
    # 第七十二条: 施行 2018-04-01 至 2022-12-31
    case = employee(stay("E1", "3", "1000", date="2018-03-31"), stay("E2", "3", "1000", date="2018-04-01"))
    status, out, _ = settle(case)
    assert status == 1
    assert out["encounters"][0]["error"]["code"] == "YR04"
    assert "setlinfo" in out["encounters"][1]


def test_trace_cites_articles_and_positions():
    status, out, _ = settle(employee(stay("E1", "3", "10000")))
    trace = {t["name"]: t for t in out["encounters"][0]["trace"]}
    assert trace["住院起付标准"]["value"] == "800.00"
    assert trace["住院起付标准"]["article"] == "第三十条"
    assert trace["住院起付标准"]["source"].startswith("dongying/dongying-2018.yb:")


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda c: c.update(region="999999"), "region"),
        (lambda c: c["person"].update(insutype="999"), "insutype"),
        (lambda c: c["encounters"][0].update(med_type="99"), "med_type"),
        (lambda c: c["encounters"][0]["fees"].update({"01": "-5"}), "fees"),
        (lambda c: c["encounters"][0].update(setl_time="2019-13-01"), "setl_time"),
        (lambda c: c["encounters"][0].update(colour="red"), "colour"),
        (lambda c: c["person"].update(flags=["外星人"]), "外星人"),
    ],
)
def test_bad_input_exits_2_and_names_the_field(mutate, field):
    case = employee(stay("E1", "3", "1000"))
    mutate(case)
    status, out, err = settle(case)
    assert status == 2
    assert out is None
    assert field in err


def test_same_case_same_bytes_under_different_hash_seeds():
    case_file = ROOT / "examples" / "dongying-open-value.json"
    outputs = []
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, "-m", "yibao", "settle", str(case_file)], capture_output=True, env=env)
        assert proc.returncode == 1  # E1 and E2 need open values (第三十三条, 第三十条); E3 settles
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 1000


def test_waiting_period_and_arrears_use_optional_extension_fields_articles_42_43():
    # 第四十二条: 连续缴费不满 3 个月 → 不予支付; 第四十三条: 连续欠费超过 6 个月 → 不予支付.
    # Without the extension fields nothing is assumed: the stay settles, (10000 − 800) × 85% = 7820.
    waiting = employee(stay("E1", "3", "10000"), paid_months=2)
    arrears = employee(stay("E1", "3", "10000"), arrears_months=7)
    plain = employee(stay("E1", "3", "10000"))
    assert settle(waiting)[1]["encounters"][0]["excluded"]["article"] == "第四十二条"
    assert settle(arrears)[1]["encounters"][0]["excluded"]["article"] == "第四十三条"
    assert info(settle(plain)[1], 0)["hifp_pay"] == money("7820.00")


def test_resident_lapse_lowers_the_ratio_one_point_per_year_article_46():
    # 居民三级 60% − 2 × 1% = 58%: (10000 − 800) × 58% = 5336
    case = resident(stay("E1", "3", "10000"))
    case["person"]["lapse_years"] = 2
    status, out, _ = settle(case)
    assert status == 0
    assert info(out, 0)["pool_prop_selfpay"] == money("0.5800")
    assert info(out, 0)["hifp_pay"] == money("5336.00")


def test_a_regulation_that_applies_to_residents_only_refuses_an_employee_with_yr05():
    # 济宁 第二条: 本办法只适用于城乡居民 (适用 险种 居民); the error cites the article.
    case = employee(stay("E1", "2", "5000", date="2018-03-01"))
    case["region"] = "370800"
    status, out, _ = settle(case)
    assert status == 1
    assert out["encounters"][0]["error"]["code"] == "YR05"
    assert out["encounters"][0]["error"]["article"] == "第二条"


def test_an_exceptions_interpretation_shows_only_where_it_applied_article_30():
    # The 转院 reading is written under the 转院 exception of 第三十条: a first stay does not cite it, a transfer does.
    case = employee(stay("E1", "1", "3000"), stay("E2", "3", "5000", date="2019-03-20", flags=["转院"]))
    _, out, _ = settle(case)
    def note(i):
        return {t["name"]: t.get("note", "") for t in out["encounters"][i]["trace"]}["住院应付起付线"]
    assert "转院读作" not in note(0)
    assert "转院读作" in note(1)

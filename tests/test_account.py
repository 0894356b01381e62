"""The settlement contract declared in the rules (接口) and the personal account step (issue 10, gap 1).

Values are derived by hand from the articles: 东营 第十九条 (个人账户用于支付……符合规定的医疗费用; 城乡居民不设个人
账户, 第十七条), 济宁 第二十一条 (普通门诊医疗费、住院个人负担的医疗费), and the worked example of docs/language.md
section 19 (tests/fixtures/language/contract.yb). Money is compared as Decimal from the output's JSON text.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from yibao.compiler.driver import compile_path, compile_text
from yibao.runtime import Engine, IRError, Regulation, dumps_output, load_case_text

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "language" / "contract.yb"
DONGYING = ROOT / "regulations" / "dongying" / "dongying-2018.yb"
JINING = ROOT / "regulations" / "jining" / "jining-2017.yb"


def fixture_ir() -> dict:
    result = compile_text(FIXTURE.read_text(encoding="utf-8"), file="language/contract.yb")
    assert result.ir is not None, result.diagnostics
    return result.ir


def settle(regulations, case: dict, trace: bool = False) -> list[dict]:
    output = Engine(regulations).settle(load_case_text(json.dumps(case, ensure_ascii=False), "case.json"), trace=trace).output
    return json.loads(dumps_output(output), parse_float=Decimal)["encounters"]


def person(insutype="310", **more) -> dict:
    return {"psn_no": "P1", "insutype": insutype, "psn_type": "1101" if insutype == "310" else "1501",
            "brdy": "1975-06-01", "gend": "1", **more}


def stay(mdtrt_id, date, a, c="0", level="3", med_type="21", flags=()) -> dict:
    return {"mdtrt_id": mdtrt_id, "med_type": med_type, "setl_time": date, "dedc_hosp_lv": level,
            "fees": {"01": a, "03": c}, "flags": list(flags)}


FIXTURE_CASE = {"region": "379900", "person": person(acct_balc="300"), "encounters": [
    stay("E1", "2020-03-01", "1000"), stay("E2", "2020-04-01", "800", flags=["非定点"]), stay("E3", "2020-05-01", "500")]}


# ── the contract is the rules' ──────────────────────────────────────────────────────────────


def test_setlinfo_has_exactly_the_fields_the_rules_declare_in_their_order():
    rows = settle([Regulation.from_ir(fixture_ir())], FIXTURE_CASE)
    assert list(rows[0]["setlinfo"]) == ["medfee_sumamt", "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "pool_prop_selfpay",
                                         "maf_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "balc"]


def test_the_account_balance_carries_across_encounters_and_an_excluded_one_pays_nothing_from_it():
    # 1000 × 80% = 800 from the fund, 200 from the account (300 → 100); E2 excluded (非定点): the whole 800 in cash,
    # balance still 100; E3 500 × 80% = 400, burden 100 = the rest of the account (→ 0)
    e1, e2, e3 = (r["setlinfo"] for r in settle([Regulation.from_ir(fixture_ir())], FIXTURE_CASE))
    assert (e1["hifp_pay"], e1["acct_pay"], e1["psn_cash_pay"], e1["balc"]) == (Decimal("800.00"), Decimal("200.00"),
                                                                                 Decimal("0.00"), Decimal("100.00"))
    assert (e2["hifp_pay"], e2["psn_part_amt"], e2["acct_pay"], e2["psn_cash_pay"], e2["balc"]) == (
        Decimal("0.00"), Decimal("800.00"), Decimal("0.00"), Decimal("800.00"), Decimal("100.00"))
    assert (e3["acct_pay"], e3["psn_cash_pay"], e3["balc"]) == (Decimal("100.00"), Decimal("0.00"), Decimal("0.00"))


def test_the_runtime_reads_the_field_list_from_the_ir_not_from_python():
    ir = fixture_ir()
    ir["contract"] = [f for f in ir["contract"] if f["field"] != "maf_pay"]
    ir["outputs"] = [o for o in ir["outputs"] if o["field"] != "maf_pay"]
    rows = settle([Regulation.from_ir(ir, verify=False)], FIXTURE_CASE)
    assert "maf_pay" not in rows[0]["setlinfo"] and len(rows[0]["setlinfo"]) == 10


def test_an_ir_without_a_contract_runs_examples_but_cannot_settle():
    ir = fixture_ir()
    del ir["contract"]
    with pytest.raises(IRError, match="没有声明结算接口"):
        Engine([Regulation.from_ir(ir, verify=False)])


def test_a_contract_without_a_field_the_settlement_reads_by_name_is_refused():
    ir = fixture_ir()
    ir["contract"] = [f for f in ir["contract"] if f["field"] != "inscp_scp_amt"]  # setldetail's scope amount
    with pytest.raises(IRError, match="inscp_scp_amt"):
        Engine([Regulation.from_ir(ir, verify=False)])


def test_an_account_that_does_not_add_up_is_an_internal_error_not_an_output():
    ir = fixture_ir()
    for o in ir["outputs"]:
        if o["field"] == "psn_cash_pay":
            o["expr"] = {"ref": "个人负担"}  # the cash part forgets the account: 200 + 200 ≠ 200
    (e1, _, _) = settle([Regulation.from_ir(ir, verify=False)], FIXTURE_CASE)
    assert e1["error"]["code"] == "YR90" and "acct_pay" in e1["error"]["message"]


# ── the cities ───────────────────────────────────────────────────────────────────────────────


def _compiled(path: Path) -> dict:
    result = compile_path(path)
    assert result.ir is not None, result.diagnostics
    return result.ir


@pytest.fixture(scope="module")
def dongying() -> dict:
    return _compiled(DONGYING)


@pytest.fixture(scope="module")
def jining() -> dict:
    return _compiled(JINING)


def test_dongying_article_19_pays_the_listed_part_of_the_burden_and_the_balance_crosses_the_year(dongying):
    # 第三十条 三级 800, 第三十一条 职工三级 85%: (10000 − 800) × 85% = 7820; burden 2180 + 丙类 500 = 2680, of which
    # the account pays the 甲类 part 2180 (第十九条, 解释): balance 2500 → 320. In the new year the same stay again:
    # the account pays what is left, 320; the 每案 balance is not reset by the year (annual credits are not inputs)
    case = {"region": "370500", "person": person(acct_balc="2500"),
            "encounters": [stay("E1", "2019-12-10", "10000", c="500"), stay("E2", "2020-01-10", "10000", c="500")]}
    e1, e2 = (r["setlinfo"] for r in settle([Regulation.from_ir(dongying)], case))
    assert (e1["psn_part_amt"], e1["acct_pay"], e1["psn_cash_pay"], e1["balc"]) == (
        Decimal("2680.00"), Decimal("2180.00"), Decimal("500.00"), Decimal("320.00"))
    assert (e2["acct_pay"], e2["psn_cash_pay"], e2["balc"]) == (Decimal("320.00"), Decimal("2360.00"), Decimal("0.00"))


def test_the_trace_cites_article_19_for_what_the_account_may_pay(dongying):
    case = {"region": "370500", "person": person(acct_balc="2500"), "encounters": [stay("E1", "2019-03-10", "10000")]}
    (row,) = settle([Regulation.from_ir(dongying)], case, trace=True)
    cited = {t["name"]: t["article"] for t in row["trace"]}
    assert cited["个人账户可支付"] == "第十九条"


def test_jining_article_21_pays_an_outpatient_visit_the_fund_excludes(jining):
    # 第十七条: the 普通门诊 is not paid by the fund (excluded); 第二十一条: the account pays 普通门诊医疗费, 80 + 30 = 110,
    # balance 150 → 40; the next visit 50: the account pays 40, cash 10
    case = {"region": "370800", "person": person("390", acct_balc="150"),
            "encounters": [stay("E1", "2019-03-10", "80", c="30", level="1", med_type="11"),
                           stay("E2", "2019-03-11", "50", level="1", med_type="11")]}
    e1, e2 = settle([Regulation.from_ir(jining)], case)
    assert e1["excluded"]["article"] == "第十七条"
    assert (e1["setlinfo"]["acct_pay"], e1["setlinfo"]["psn_cash_pay"], e1["setlinfo"]["balc"]) == (
        Decimal("110.00"), Decimal("0.00"), Decimal("40.00"))
    assert (e2["setlinfo"]["acct_pay"], e2["setlinfo"]["psn_cash_pay"], e2["setlinfo"]["balc"]) == (
        Decimal("40.00"), Decimal("10.00"), Decimal("0.00"))


@pytest.mark.parametrize("which", ["dongying", "jining"])
def test_closures_and_generated_code_agree_on_the_account_with_traces(which, dongying, jining):
    ir = {"dongying": dongying, "jining": jining}[which]
    region, insutype = ("370500", "310") if which == "dongying" else ("370800", "390")
    case = {"region": region, "person": person(insutype, acct_balc="700", paid_months=2 if which == "dongying" else None),
            "encounters": [stay("E1", "2019-03-10", "1000", c="100", med_type="11", level="1"),
                           stay("E2", "2019-04-10", "3000", c="200"), stay("E3", "2019-05-10", "900", flags=["非定点"])]}
    if case["person"]["paid_months"] is None:
        del case["person"]["paid_months"]
    text = json.dumps(case, ensure_ascii=False)
    outputs = [dumps_output(Engine([Regulation.from_ir(copy.deepcopy(ir), fast=fast)])
                            .settle(load_case_text(text, "case.json"), trace=True).output) for fast in (False, True)]
    assert outputs[0] == outputs[1]
    assert '"acct_pay"' in outputs[0]


def test_a_fund_field_that_lost_its_fund_mark_is_refused_at_the_total(tmp_path):
    # the 基金 mark decides what fund_pay_sumamt must add up to: erased from cvlserv_pay, 东营 第三十七条's example
    # of the 公务员 subsidy would settle to YR90; check refuses it at the total's 接口 line instead (YB242)
    import shutil
    root = tmp_path / "rules"
    shutil.copytree(ROOT / "regulations", root)
    model = root / "shandong" / "settlement-model.yb"
    line = '接口 cvlserv_pay：金额 "公务员医疗补助资金支出" 基金\n'
    text = model.read_text(encoding="utf-8")
    assert line in text
    model.write_text(text.replace(line, line.replace(" 基金", "")), encoding="utf-8")
    result = compile_path(root / "dongying" / "dongying-2018.yb", root=root)
    assert result.ir is None
    (found,) = [d for d in result.diagnostics if d.code == "YB242"]
    assert found.span.file.endswith("settlement-model.yb") and "公务员补助支付" in found.message

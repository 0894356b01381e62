"""The two example cases of docs/contract.md, run exactly as written there (tests/test_contract.py reads them from the page).

Hospital-system developers copy these first, so they must work byte for byte as the spec shows.
"""

from __future__ import annotations

import json
from decimal import Decimal

from click.testing import CliRunner

from yibao.cli import main

SETTLE_EXAMPLE = """{
  "region": "370500",
  "person": {
    "psn_no": "P001",
    "insutype": "310",
    "psn_type": "1101",
    "brdy": "1975-06-01",
    "gend": "1",
    "flags": ["扶贫对象"],
    "chronic": ["糖尿病"]
  },
  "encounters": [
    {
      "mdtrt_id": "E1",
      "med_type": "21",
      "setl_time": "2019-03-10",
      "dedc_hosp_lv": "3",
      "fees": {"01": 10000.00, "02": 0, "03": 0},
      "overlmt_selfpay": 0,
      "flags": []
    }
  ]
}"""

CONTRIBUTE_EXAMPLE = """{
  "region": "371300",
  "date": "2020-06-01",
  "avg_wage": 6000.00,
  "person": {"psn_no": "P9", "insutype": "310", "psn_type": "1101", "brdy": "1980-01-01", "gend": "1",
             "employer_type": "企业", "wage": 5000.00, "pension": 0}
}"""


def run(command: str, text: str):
    result = CliRunner().invoke(main, [command, "-"], input=text)
    return result.exit_code, json.loads(result.stdout, parse_float=Decimal) if result.stdout else None, result.stderr


def test_the_settlement_example_gives_the_spec_output():
    status, out, err = run("settle", SETTLE_EXAMPLE)
    assert status == 0, err
    (encounter,) = out["encounters"]
    assert encounter["regulation"]["title"] == "东营市社会医疗保险办法"
    assert encounter["regulation"]["effective"] == ["2018-04-01", "2022-12-31"]
    expected = {
        "medfee_sumamt": "10000.00", "fulamt_ownpay_amt": "0.00", "overlmt_selfpay": "0.00",
        "preselfpay_amt": "0.00", "inscp_scp_amt": "10000.00", "act_pay_dedc": "800.00",
        "hifp_pay": "7820.00", "pool_prop_selfpay": "0.8500",
        "cvlserv_pay": "0.00", "hifmi_pay": "0.00", "hifob_pay": "0.00", "maf_pay": "0.00", "oth_pay": "0.00",
        "fund_pay_sumamt": "7820.00", "psn_part_amt": "2180.00",
        # the account step (东营 第十九条): no acct_balc given, so nothing is paid from the account
        "acct_pay": "0.00", "psn_cash_pay": "2180.00", "balc": "0.00",
    }
    assert list(encounter["setlinfo"]) == list(expected)
    assert encounter["setlinfo"] == {k: Decimal(v) for k, v in expected.items()}
    (detail,) = encounter["setldetail"]
    assert (detail["fund_pay_type"], detail["fund_pay_type_name"]) == ("310100", "职工基本医疗保险统筹基金")
    assert (detail["fund_payamt"], detail["inscp_scp_amt"], detail["crt_payb_lmt_amt"]) == (
        Decimal("7820.00"), Decimal("10000.00"), Decimal("200000.00"))
    assert {"name": "住院起付标准", "value": "800.00", "article": "第三十条"}.items() <= next(
        t for t in encounter["trace"] if t["name"] == "住院起付标准").items()


def test_the_contribution_example_gives_the_contract_fields():
    # 临沂 三（二）1: 企业 7% and 个人 2% of a base of 5000 (within 60%–300% of 6000); the account credit is not
    # stated by the plan, so it is null and listed in undetermined.
    status, out, err = run("contribute", CONTRIBUTE_EXAMPLE)
    assert status == 0, err
    assert (out["region"], out["base"], out["employer_amt"], out["individual_amt"]) == (
        "371300", Decimal("5000.00"), Decimal("350.00"), Decimal("100.00"))
    assert out["account_credit"] is None
    assert "account_credit" in [u["field"] for u in out["undetermined"]]
    assert isinstance(out["trace"], list) and out["regulation"]["effective"] == ["2020-01-01", "2025-12-31"]

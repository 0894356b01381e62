"""Contributions end to end (docs/contract.md section 2): the IR's contribution section, the runtime
API and ``yibao contribute`` with its exit statuses, on the 东营 regulation."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from yibao.cli import main
from yibao.compiler._contribution import split_contribution
from yibao.compiler.driver import compile_path, compile_text
from yibao.conformance import ConformanceCase, run_case
from yibao.runtime import CaseError, ContributionEngine, Engine, Regulation, dumps_output, load_case_text
from yibao.testing import run_examples

ROOT = Path(__file__).resolve().parents[1]
REGULATIONS = ROOT / "regulations"
DONGYING = REGULATIONS / "dongying" / "dongying-2018.yb"

EMPLOYEE = {
    "region": "370500", "date": "2020-06-01", "avg_wage": 6000.00,
    "person": {"psn_no": "P9", "insutype": "310", "psn_type": "1101", "brdy": "1980-01-01", "gend": "1",
               "employer_type": "企业", "wage": 5000.00, "pension": 0},
}
RESIDENT = {"region": "东营", "date": "2020-06-01",
            "person": {"psn_no": "P10", "insutype": "390", "psn_type": "1501", "brdy": "1980-01-01"}}


@pytest.fixture(scope="module")
def regulation() -> Regulation:
    result = compile_path(DONGYING)
    assert result.ir is not None, result.diagnostics
    return Regulation.from_ir(result.ir)


@pytest.fixture(scope="module")
def engine(regulation) -> ContributionEngine:
    return ContributionEngine([regulation])


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> Path:
    """A rules root with the shared modules and 东营 alone, so these tests do not depend on other cities."""
    root = tmp_path_factory.mktemp("rules")
    shutil.copytree(REGULATIONS / "shandong", root / "shandong")
    shutil.copytree(REGULATIONS / "dongying", root / "dongying")
    return root


def contribute(engine: ContributionEngine, case: dict, **kw):
    return engine.contribute(load_case_text(json.dumps(case, ensure_ascii=False), "case.json"), **kw)


def with_person(case: dict, **changes) -> dict:
    person = {k: v for k, v in {**case["person"], **changes}.items() if v is not None}
    return {**case, "person": person}


def run(rules: Path, case, *args: str):
    text = case if isinstance(case, str) else json.dumps(case, ensure_ascii=False)
    return CliRunner().invoke(main, ["contribute", "-", "--rules", str(rules), *args], input=text)


# ── the IR ──


def test_contributions_live_in_their_own_ir_section(regulation):
    ir = regulation.ir
    section = ir["contribution"]
    assert [o["field"] for o in section["outputs"]][:4] == ["base", "employer_amt", "individual_amt", "account_credit"]
    assert not any(o["field"].startswith("contribution.") for o in ir["outputs"])
    # settlement never sees a contribution input, and contributions never see a claim
    assert not any(i["field"].startswith(("contribution.", "person.wage")) for i in ir["inputs"])
    assert not any(i["field"].startswith("encounter.") for i in section["inputs"])
    assert {d["name"] for d in section["definitions"]}.isdisjoint({"统筹基金支付", "实际起付线"})
    assert "缴费基数" not in {d["name"] for d in ir["definitions"]}


def test_an_ir_without_contribution_outputs_is_left_as_it_is():
    doc = {"outputs": [{"field": "hifp_pay", "expr": {"money": 0}}], "examples": []}
    assert split_contribution(doc) is doc


def test_settlement_is_unchanged_by_the_contribution_articles(regulation):
    case = {"region": "370500", "person": {"insutype": "310", "psn_type": "1101", "brdy": "1975-06-01"},
            "encounters": [{"mdtrt_id": "E1", "med_type": "21", "setl_time": "2019-03-10", "dedc_hosp_lv": "3",
                            "fees": {"01": "10000.00"}}]}
    result = Engine([regulation]).settle(load_case_text(json.dumps(case), "c.json"), trace=False)
    assert result.status == 0 and str(result.output["encounters"][0]["setlinfo"]["hifp_pay"]) == "7820.00"


# ── the API ──


def test_an_employee_month(engine):
    result = contribute(engine, EMPLOYEE)
    out = result.output
    assert result.status == 0
    assert list(out)[:6] == ["region", "regulation", "base", "employer_amt", "individual_amt", "account_credit"]
    assert list(out)[-2:] == ["trace", "undetermined"]
    # 第九条 5000 × 6.5% = 325, × 2% = 100; 第十八条 40 周岁 5000 × 2.7% = 135
    assert [str(out[f]) for f in ("base", "employer_amt", "individual_amt", "account_credit")] == \
        ["5000.00", "325.00", "100.00", "135.00"]
    assert out["undetermined"] == [] and out["regulation"]["title"] == "东营市社会医疗保险办法"
    (item,) = [t for t in out["trace"] if t["name"] == "在职账户划入比例"]
    assert item["article"] == "第十八条" and item["value"] == "0.0270"


def test_an_open_value_is_null_and_listed_with_reason_and_article(engine):
    result = contribute(engine, RESIDENT, trace=False)
    out = result.output
    assert result.status == 0 and "trace" not in out
    assert out["individual_amt"] is None and out["resident_annual_amt"] is None
    assert str(out["account_credit"]) == "0.00"  # 第十七条: no personal account for residents
    fields = {u["field"]: u for u in out["undetermined"]}
    assert set(fields) == {"individual_amt", "resident_annual_amt"}
    assert fields["resident_annual_amt"]["article"] == "第十三条"
    assert "按年度适时公布" in fields["resident_annual_amt"]["reason"]


def test_an_absent_input_matters_only_where_an_output_needs_it(engine):
    retiree = {"region": "370500", "date": "2020-06-01",
               "person": {"insutype": "310", "psn_type": "1201", "brdy": "1955-01-01", "pension": 4000}}
    assert str(contribute(engine, retiree).output["account_credit"]) == "228.00"  # no avg_wage needed
    with pytest.raises(CaseError) as caught:
        contribute(engine, {k: v for k, v in EMPLOYEE.items() if k != "avg_wage"})
    assert caught.value.path == "avg_wage"
    assert "第九条" in str(caught.value) and "case.json" in str(caught.value)


@pytest.mark.parametrize("case, path", [
    ({**EMPLOYEE, "avg_wages": 1}, "avg_wages"),
    (with_person(EMPLOYEE, salary=1), "person.salary"),
    (with_person(EMPLOYEE, psn_type="1109"), "person.psn_type"),
    (with_person(EMPLOYEE, employer_type="个体"), "person.employer_type"),
    (with_person(EMPLOYEE, wage=-1), "person.wage"),
    ({**EMPLOYEE, "avg_wage": "-6000"}, "avg_wage"),
    ({**EMPLOYEE, "date": "2020-6-1"}, "date"),
    ({**EMPLOYEE, "date": "2020-02-30"}, "date"),
    (with_person(EMPLOYEE, brdy="1980/01/01"), "person.brdy"),
    ({**EMPLOYEE, "region": "青岛"}, "region"),
    (with_person(EMPLOYEE, flags=["低收入"]), "person.flags[0]"),
    (with_person(EMPLOYEE, insutype="390"), "person.insutype"),
    ({k: v for k, v in EMPLOYEE.items() if k != "date"}, "date"),
])
def test_bad_input_is_refused_naming_the_field(engine, case, path):
    with pytest.raises(CaseError) as caught:
        contribute(engine, case)
    assert path in [p for p, _ in caught.value.problems], caught.value


def test_no_regulation_in_force_is_an_error_in_the_output(engine):
    result = contribute(engine, {**EMPLOYEE, "date": "2023-01-01"})
    assert result.status == 1
    assert result.output["error"]["code"] == "YR04" and "缴费日期 2023-01-01" in result.output["error"]["message"]


def test_examples_of_contributions_run_and_a_wrong_one_fails():
    text = DONGYING.read_text(encoding="utf-8").replace("期望 个人账户划入=376元", "期望 个人账户划入=375元")
    result = compile_text(text, "dongying/dongying-2018.yb", root=REGULATIONS)
    outcomes = run_examples(Regulation.from_ir(result.ir))
    failed = [o for o in outcomes if not o.passed]
    assert [o.article for o in failed] == ["第二十一条"]
    assert "个人账户划入 期望 375.00，实际 376.00" in failed[0].describe_failures()[0]
    assert sum(o.article in ("第九条", "第十八条") for o in outcomes) >= 8


def test_a_wrong_contribution_expectation_is_reported(regulation):
    case = ConformanceCase("x", "缴费", "第九条", EMPLOYEE, ({"base": "5000.01", "undetermined": ["base"]},), "x.yaml",
                           "contribute")
    outcome = run_case(Engine([regulation]), case)
    assert not outcome.passed
    assert any("期望 5000.01，实际 5000.00" in p for p in outcome.problems)
    assert any(p.startswith("undetermined:") for p in outcome.problems)


# ── the command line ──


def test_cli_exit_0_when_every_output_is_determined(rules):
    result = run(rules, EMPLOYEE)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["base"] == 5000 and out["undetermined"] == []
    assert '"employer_amt": 325.00,' in result.stdout  # amounts with two decimals


def test_cli_exit_0_with_undetermined_outputs_listed(rules):
    result = run(rules, RESIDENT, "--no-trace")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["individual_amt"] is None
    assert [u["field"] for u in out["undetermined"]] == ["individual_amt", "resident_annual_amt"]


def test_cli_missing_avg_wage_exits_2_naming_it(rules):
    result = run(rules, {k: v for k, v in EMPLOYEE.items() if k != "avg_wage"})
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("<stdin>: avg_wage: ") and "avg_wage" in result.stderr


def test_cli_bad_input_exits_2_naming_the_file_and_field(rules, tmp_path):
    case = tmp_path / "bad.json"
    case.write_text(json.dumps(with_person(EMPLOYEE, wage=-5), ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["contribute", str(case), "--rules", str(rules)])
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{case}: person.wage:" in result.stderr and "不能为负" in result.stderr


def test_cli_no_regulation_in_force_exits_1_with_complete_output(rules):
    result = run(rules, {**EMPLOYEE, "date": "2017-12-31"})
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "YR04"


def test_cli_region_option_overrides_the_case(rules):
    result = run(rules, {**EMPLOYEE, "region": "济宁"}, "--region", "东营市")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["region"] == "370500"


def test_cli_output_is_byte_identical_and_written_atomically(rules, tmp_path):
    out = tmp_path / "out" / "c.json"
    first = run(rules, EMPLOYEE)
    written = run(rules, EMPLOYEE, "-o", str(out))
    assert written.exit_code == 0 and written.stdout == ""
    assert out.read_bytes() == first.stdout.encode("utf-8")
    assert list(out.parent.iterdir()) == [out]


def test_same_bytes_under_any_hash_seed(rules, tmp_path):
    case = tmp_path / "c.json"
    case.write_text(json.dumps(EMPLOYEE), encoding="utf-8")
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-m", "yibao", "contribute", str(case), "--rules", str(rules)],
                              capture_output=True, env=env, check=True)
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_dumps_output_of_the_api_matches_the_cli(engine, rules):
    assert dumps_output(contribute(engine, EMPLOYEE).output) == run(rules, EMPLOYEE).stdout

"""``yibao diff`` (yibao/change/): the semantic diff, its impact on a claim set, the cause per claim, CI exit statuses.

The change under test is 东营 第三十条's 三级 deductible: "三级医院 800元" in the regulation, raised to 1000元 in a
copy. Totals are checked against settling the same synth set under each version separately, in fen.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from yibao.change.impact import fen
from yibao.cli import main
from yibao.compiler.driver import compile_path
from yibao.compiler.format import format_source
from yibao.crosscity.synth import synthesize
from yibao.runtime import Engine, Regulation, load_case_text

REGULATIONS = Path(__file__).resolve().parents[1] / "regulations"
DONGYING = REGULATIONS / "dongying" / "dongying-2018.yb"
DEDUCTIBLE = "住院起付标准 按 医院等级 200元 / 500元 / 800元 / 待定"
RAISED = "住院起付标准 按 医院等级 200元 / 500元 / 1000元 / 待定"
PERSONS = 150


def copy_regulations(into: Path) -> Path:
    shutil.copytree(REGULATIONS, into, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return into


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def raised(tmp_path_factory) -> Path:
    """A copy of the regulations with 东营's 三级 deductible at 1000元."""
    root = copy_regulations(tmp_path_factory.mktemp("raised") / "regs")
    edit(root / "dongying" / "dongying-2018.yb", DEDUCTIBLE, RAISED)
    return root / "dongying" / "dongying-2018.yb"


def run(*args: str):
    return CliRunner().invoke(main, ["diff", *args], catch_exceptions=False)


def diff_json(*args: str) -> tuple[dict, int]:
    result = run(*args, "--json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), result.exit_code


@pytest.fixture(scope="module")
def raised_diff(raised) -> dict:
    result = CliRunner().invoke(main, ["diff", str(DONGYING), str(raised), "--persons", str(PERSONS), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_raised_deductible_is_the_single_change_citing_article_30(raised_diff):
    (regulation,) = raised_diff["regulations"]
    assert regulation["region_code"] == "370500"
    (change,) = regulation["changes"]
    assert (change["kind"], change["name"], change["article"]) == ("表格单元格", "住院起付标准[三级]", "第三十条")
    assert (change["old"], change["new"], change["action"]) == ("800元", "1000元", "修改")
    assert (change["old_ir"], change["new_ir"]) == ({"money": 80000}, {"money": 100000})
    assert raised_diff["new_open_values"] == [] and raised_diff["changed"] is True


def settled_totals(ir: dict, text: str) -> tuple[int, int, list]:
    """Fund and patient totals (fen) of settling every line under one version, independently of yibao diff."""
    engine = Engine([Regulation.from_ir(ir)])
    fund = patient = 0
    outputs = []
    for number, line in enumerate(text.splitlines(), 1):
        output = engine.settle(load_case_text(line, f"synth:{number}"), trace=False).output
        outputs.append(output)
        for row in output["encounters"]:
            if "error" not in row:
                fund += fen(row["setlinfo"]["fund_pay_sumamt"])
                patient += fen(row["setlinfo"]["psn_part_amt"])
    return fund, patient, outputs


def test_the_total_fund_change_is_exact_and_equals_settling_both_versions_separately(raised, raised_diff):
    old_ir = compile_path(DONGYING).ir
    new_ir = compile_path(raised, root=raised.parents[1]).ir
    claims = synthesize([old_ir], PERSONS, 1)  # the set diff makes by default: the old version's mix, seed 1
    old_fund, old_patient, old_out = settled_totals(old_ir, claims)
    new_fund, new_patient, new_out = settled_totals(new_ir, claims)
    totals = raised_diff["impact"]["totals"]
    assert (totals["old_fund"], totals["new_fund"]) == (old_fund, new_fund)
    assert totals["fund_change"] == new_fund - old_fund < 0  # a higher deductible: the fund pays less
    assert totals["patient_change"] == new_patient - old_patient == -(new_fund - old_fund)
    changed = sum((a.get("setlinfo"), a.get("error")) != (b.get("setlinfo"), b.get("error"))
                  for o, n in zip(old_out, new_out) for a, b in zip(o["encounters"], n["encounters"]))
    assert totals["changed"] == changed > 0
    assert sum(r["fund_change"] for r in raised_diff["impact"]["changed"]) == new_fund - old_fund


def test_each_changed_claim_names_article_30_as_its_cause(raised_diff):
    changed = raised_diff["impact"]["changed"]
    assert changed
    for row in changed:
        cause = row["cause"]
        assert (cause["article"], cause["name"]) == ("第三十条", "住院起付标准"), row
        assert (cause["old"], cause["new"]) == ("800.00", "1000.00")
        assert cause["source"].startswith("dongying/dongying-2018.yb:")  # the clause, as the trace cites it
    direct = [row for row in changed if row["cause"]["via"] is None]
    assert direct and all(row["group"]["医院等级"] == "3" for row in direct)
    (article,) = raised_diff["impact"]["by_article"]
    assert article["article"] == "第三十条" and article["changed"] == len(changed)
    assert article["fund_change"] == raised_diff["impact"]["totals"]["fund_change"]


def test_winners_and_losers_by_group_add_up(raised_diff):
    impact = raised_diff["impact"]
    for label in ("险种", "医院等级", "医疗类别"):
        groups = impact["groups"][label]
        assert sum(g["changed"] for g in groups) == impact["totals"]["changed"]
        assert sum(g["fund_change"] for g in groups) == impact["totals"]["fund_change"]
    names = {g["name"] for g in impact["groups"]["险种"]}
    assert names <= {"职工", "居民"}
    third = next(g for g in impact["groups"]["医院等级"] if g["name"] == "三级")
    assert third["losers"] > 0 and third["fund_change"] < 0
    fund_changes = [abs(r["fund_change"]) for r in impact["largest"]]
    assert fund_changes == sorted(fund_changes, reverse=True)


def test_the_markdown_summary_names_the_change_and_the_totals(raised, raised_diff):
    result = run(str(DONGYING), str(raised), "--persons", str(PERSONS))
    assert result.exit_code == 0
    assert "| 第三十条 | 表格单元格 | 住院起付标准[三级] | 修改 | 800元 | 1000元 |" in result.stdout
    change = raised_diff["impact"]["totals"]["fund_change"]
    assert f"−{-change // 100}.{-change % 100:02d}元" in result.stdout


def test_a_comment_or_formatting_only_change_reports_no_change(tmp_path):
    root = copy_regulations(tmp_path / "regs")
    city = root / "dongying" / "dongying-2018.yb"
    edit(city, DEDUCTIBLE, "# 三级医院 800元\n    " + DEDUCTIBLE.replace(" / ", "/") + "   # 未定级待定")
    formatted = format_source(city.read_text(encoding="utf-8"), str(city))
    assert formatted.ok
    city.write_text(formatted.text.replace("\n", "\n\n", 3), encoding="utf-8")
    result = run(str(DONGYING), str(city), "--fail-on-change", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["changed"] is False and report["regulations"][0]["changes"] == [] and report["impact"] is None
    assert report["regulations"][0]["old"]["sha256"] != report["regulations"][0]["new"]["sha256"]
    assert "没有变化" in run(str(DONGYING), str(city)).stdout


def test_ci_policies_give_exit_status_1(raised):
    args = (str(DONGYING), str(raised), "--persons", "60")
    assert run(*args, "--fail-on-change").exit_code == 1
    assert run(*args, "--max-fund-change", "1%").exit_code == 0  # a 200元 step on some 三级 stays well under 1%
    strict = run(*args, "--max-fund-change", "0.001%")
    assert strict.exit_code == 1 and "--max-fund-change 0.001%" in strict.stdout
    assert run(*args, "--max-fund-change", "100000元").exit_code == 0
    assert run(*args, "--max-fund-change", "1元").exit_code == 1
    assert run(*args, "--fail-on-new-open").exit_code == 0
    bad = run(*args, "--max-fund-change", "lots")
    assert bad.exit_code == 2 and "1%" in bad.output


def test_fail_on_new_open_names_the_value_left_open(tmp_path):
    root = copy_regulations(tmp_path / "regs")
    city = root / "dongying" / "dongying-2018.yb"
    edit(city, DEDUCTIBLE, DEDUCTIBLE.replace("800元", "待定"))
    report, status = diff_json(str(DONGYING), str(city), "--persons", "40", "--fail-on-new-open")
    assert status == 1
    assert report["new_open_values"] == ["住院起付标准[三级]"]
    kinds = {(c["kind"], c["name"], c["action"]) for c in report["regulations"][0]["changes"]}
    assert ("待定值", "住院起付标准[三级]", "新增") in kinds
    assert report["impact"]["totals"]["errors_changed"] > 0  # 三级 admissions now end in YR01


def test_regions_that_differ_and_a_side_that_does_not_compile_are_exit_2(tmp_path, raised):
    other = REGULATIONS / "jining" / "jining-2017.yb"
    result = run(str(DONGYING), str(other))
    assert result.exit_code == 2 and result.stdout == ""
    assert "OLD" in result.stderr and "NEW" in result.stderr and "东营市" in result.stderr and "济宁市" in result.stderr
    broken = raised.parents[1] / "broken" / "dongying-2018.yb"
    broken.parent.mkdir()
    broken.write_text(raised.read_text(encoding="utf-8").replace("200元 / 500元", "200元 / 五百"), encoding="utf-8")
    result = run(str(DONGYING), str(broken))
    assert result.exit_code == 2 and "NEW（" in result.stderr and "无法编译" in result.stderr
    assert run(str(tmp_path / "nothing.yb"), str(DONGYING)).exit_code == 2


def test_bad_claim_rows_are_listed_and_the_good_ones_compared(tmp_path, raised):
    good = synthesize([compile_path(DONGYING).ir], 30, 7).splitlines()
    lines = good[:10] + ["{not json", json.dumps({"region": "370500", "person": {}, "encounters": []})] + good[10:]
    claims = tmp_path / "claims.jsonl"
    claims.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report, status = diff_json(str(DONGYING), str(raised), "--claims", str(claims))
    assert status == 1
    assert [b["line"] for b in report["impact"]["bad_lines"]] == [11, 12]
    assert "JSON" in report["impact"]["bad_lines"][0]["reason"]
    encounters = sum(len(json.loads(line)["encounters"]) for line in good)
    assert report["impact"]["totals"]["encounters"] == encounters
    assert report["claims"] == {"file": str(claims), "lines": 32}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def test_git_revisions_are_read_with_their_modules_and_a_missing_one_is_named(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    copy_regulations(repo / "regulations")
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "rules")
    edit(repo / "regulations" / "dongying" / "dongying-2018.yb", DEDUCTIBLE, RAISED)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "raise")
    monkeypatch.chdir(repo)
    report, status = diff_json("HEAD~1:regulations/dongying", "HEAD:regulations/dongying", "--persons", "40")
    assert status == 0
    ((change,),) = [r["changes"] for r in report["regulations"]]
    assert (change["name"], change["article"], change["new"]) == ("住院起付标准[三级]", "第三十条", "1000元")
    # the whole folder: every region paired by its file, only 东营 changed
    report, status = diff_json("HEAD~1:regulations", "HEAD:regulations", "--persons", "40")
    assert len(report["regulations"]) == 4
    assert [r["region_name"] for r in report["regulations"] if r["changes"]] == ["东营市"]
    missing = run("nosuchrev:regulations", "HEAD:regulations")
    assert missing.exit_code == 2 and "nosuchrev" in missing.stderr and "OLD" in missing.stderr
    no_path = run("HEAD:regulations/nowhere", "HEAD:regulations")
    assert no_path.exit_code == 2 and "regulations/nowhere" in no_path.stderr


def test_validity_exceptions_definitions_and_interpretations_are_listed_with_their_articles(tmp_path):
    root = copy_regulations(tmp_path / "regs")
    city = root / "dongying" / "dongying-2018.yb"
    edit(city, "施行 2018-04-01 至 2022-12-31", "施行 2018-04-01 至 2021-12-31")
    edit(city, "当 转院 优先级 1", "当 转院 优先级 3")
    edit(city, "定义 本次住院免起付 = 本年计入住院次数 ≥ 2", "定义 本次住院免起付 = 本年计入住院次数 ≥ 3")
    edit(city, "转院读作同一次住院的延续", "转院读作同一住院的延续")
    report, _ = diff_json(str(DONGYING), str(city), "--persons", "40")
    changes = {c["kind"]: c for c in report["regulations"][0]["changes"]}
    assert set(changes) == {"施行期", "例外", "定义", "解释"}
    assert (changes["施行期"]["article"], changes["施行期"]["old"], changes["施行期"]["new"]) == (
        "第七十二条", "2018-04-01 至 2022-12-31", "2018-04-01 至 2021-12-31")
    assert changes["例外"]["article"] == "第三十条" and changes["例外"]["name"] == "住院应付起付线 当 转院"
    assert changes["例外"]["old"].endswith("（优先级 1）") and changes["例外"]["new"].endswith("（优先级 3）")
    assert (changes["定义"]["name"], changes["定义"]["old"], changes["定义"]["new"]) == (
        "本次住院免起付", "(本年计入住院次数 ≥ 2)", "(本年计入住院次数 ≥ 3)")
    assert changes["解释"]["article"] == "第三十条" and "同一住院" in changes["解释"]["new"]


def test_folders_pair_regulations_by_file_and_list_one_removed(tmp_path):
    root = copy_regulations(tmp_path / "regs")
    shutil.rmtree(root / "linyi")
    report, status = diff_json(str(REGULATIONS), str(root))
    assert status == 0 and report["changed"] is True and report["impact"] is None
    assert [r["source"] for r in report["removed"]] == ["linyi/linyi-2019.yb"] and report["added"] == []
    assert len(report["regulations"]) == 3 and all(not r["changes"] for r in report["regulations"])
    assert run(str(REGULATIONS), str(root), "--fail-on-change").exit_code == 1
    assert "删除规定" in run(str(REGULATIONS), str(root)).stdout


def test_a_revision_outside_a_git_repository_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = run("HEAD:regulations", str(DONGYING))
    assert result.exit_code == 2 and "OLD（HEAD:regulations）" in result.stderr and "git 仓库" in result.stderr


def test_an_amendment_in_force_later_is_compared_on_the_same_claims_as_the_edit_it_makes(tmp_path, raised_diff):
    """A 修订 of 东营 that raises 第三十条's 三级 deductible from a later date (a made-up revision, in a copy):
    the synth claims carry the old version's dates, so the amendment settles them as if in force then, and the
    impact is exactly that of editing 第三十条 in place."""
    root = copy_regulations(tmp_path / "regs")
    amendment = root / "dongying" / "dongying-2027.yb"
    amendment.write_text('标题 "东营市社会医疗保险办法（示例修订）"\n修订 "dongying-2018.yb"\n施行 2027-01-01\n\n'
                         f"第三十条【住院起付标准】\n    {RAISED}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(DONGYING), str(amendment), "--persons", str(PERSONS), "--json"])
    assert result.exit_code == 0, result.output
    amended = json.loads(result.stdout)
    assert amended["claims"]["redated"] == ["东营市社会医疗保险办法（示例修订）"]
    totals, edited = amended["impact"]["totals"], raised_diff["impact"]["totals"]
    assert totals["errors_changed"] == 0
    assert (totals["changed"], totals["fund_change"], totals["patient_change"]) == \
        (edited["changed"], edited["fund_change"], edited["patient_change"])
    assert [a["article"] for a in amended["impact"]["by_article"]] == ["第三十条"]


def test_rules_without_the_settlement_model_are_named_not_called_a_compiler_bug(tmp_path):
    fixtures = Path(__file__).parent / "fixtures" / "language"
    result = run(str(fixtures / "amendment-2020.yb"), str(fixtures / "amendment-2021.yb"))
    assert result.exit_code == 2
    assert "没有声明结算接口" in result.output and "编译器缺陷" not in result.output

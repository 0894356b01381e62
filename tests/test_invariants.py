"""Province invariants (regulations/shandong/invariants.yb) held to every city by ``yibao check``."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from crosscity_support import bundled_engine, bundled_irs
from yibao.cli import main
from yibao.compiler.driver import default_root
from yibao.crosscity.invariants import check_all, check_static, shrink, unwaived
from yibao.crosscity.province import load_province

ROOT = Path(__file__).resolve().parents[1]
DONGYING_ROW = "        职工：95% / 90% / 85% / 待定\n"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "regulations"
    shutil.copytree(ROOT / "regulations", target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "dongying" / "dongying-2018.yb"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def _province():
    return load_province(default_root(), bundled_irs())


def _invariant(title: str) -> dict:
    return next(i for i in _province().doc["invariants"] if i["title"] == title)


def _dongying() -> dict:
    return next(ir for ir in bundled_irs() if ir["regulation"]["region_code"] == "370500")


def test_the_province_file_compiles_against_the_four_cities():
    province = _province()
    assert province.diagnostics == []
    assert len(province.doc["invariants"]) == 21
    assert {i["kind"] for i in province.doc["invariants"]} == {"monotone", "table", "claim", "metamorphic"}


def test_dongying_ratios_fall_with_the_level_on_every_cell():
    # 第三十一条 职工 95/90/85，居民 90/75/60 (未定级 待定 is not compared): two pairs per 险种
    outcome = check_static(_invariant("住院支付比例不随医院等级升高而提高"), _dongying())
    assert outcome.status == "通过" and outcome.checked == 4


def test_resident_ratio_is_compared_with_the_employee_one_at_each_level():
    outcome = check_static(_invariant("居民住院支付比例不高于同级职工"), _dongying())
    assert outcome.status == "通过" and outcome.checked == 3  # 一级、二级、三级; 未定级 is open


def test_a_city_without_the_parameter_is_not_applicable_rather_than_passing():
    linyi = next(ir for ir in bundled_irs() if ir["regulation"]["region_code"] == "371300")
    outcome = check_static(_invariant("住院支付比例不随医院等级升高而提高"), linyi)
    assert outcome.status == "不适用" and "住院支付比例" in outcome.note


def test_the_real_four_cities_violate_nothing():
    outcomes = check_all(_province().doc, list(bundled_irs()), bundled_engine(), persons=150, seed=1)
    assert unwaived(outcomes) == []
    dynamic = [o for o in outcomes if o.invariant["kind"] in ("claim", "metamorphic") and o.city == "东营市"]
    assert all(o.status == "通过" and o.checked > 100 for o in dynamic)


def test_a_broken_dongying_with_its_third_level_ratio_above_the_second_is_caught_statically(tmp_path):
    root = _copy(tmp_path)
    _edit(root, DONGYING_ROW, "        职工：95% / 90% / 92% / 待定\n")
    result = run("check", str(root), "--claims", "0")
    assert result.exit_code == 1, result.stdout
    lines = [l for l in result.stdout.splitlines() if "✗ 违反 东营市" in l]
    assert lines == ["    ✗ 违反 东营市（370500）第三十一条：住院支付比例[职工,二级] = 90% < 住院支付比例[职工,三级] = 92%"]
    assert "不变式 shandong/invariants.yb:10:1「住院支付比例不随医院等级升高而提高」" in result.stdout
    assert "dongying/dongying-2018.yb:292:18、dongying/dongying-2018.yb:292:24" in result.stdout


def test_a_waiver_in_the_cited_article_excuses_the_city_and_is_listed(tmp_path):
    root = _copy(tmp_path)
    waiver = '    解释 "豁免不变式「住院支付比例不随医院等级升高而提高」：测试用的豁免"\n'
    _edit(root, DONGYING_ROW, "        职工：95% / 90% / 92% / 待定\n")
    _edit(root, "    住院乙类先行自付比例 按 险种 10% / 20%\n", "    住院乙类先行自付比例 按 险种 10% / 20%\n" + waiver)
    result = run("check", str(root), "--claims", "0")
    assert result.exit_code == 0, result.stdout
    assert "  豁免 1 项：" in result.stdout
    assert "东营市 第三十一条  不变式「住院支付比例不随医院等级升高而提高」：豁免不变式" in result.stdout


def test_a_waiver_in_another_article_does_not_excuse(tmp_path):
    root = _copy(tmp_path)
    _edit(root, DONGYING_ROW, "        职工：95% / 90% / 92% / 待定\n")
    _edit(root, "    社区 按 一级\n", '    社区 按 一级\n    解释 "豁免不变式「住院支付比例不随医院等级升高而提高」：条文不对"\n')
    result = run("check", str(root), "--claims", "0")
    assert result.exit_code == 1 and "  豁免 0 项：" in result.stdout


def test_a_special_population_ratio_above_100_percent_is_caught_dynamically_and_reproduces(tmp_path):
    root = _copy(tmp_path)
    _edit(root, "    住院乙类先行自付比例 按 险种 10% / 20%\n",
          "    住院乙类先行自付比例 按 险种 10% / 20%\n    例外 统筹支付比例 = 统筹支付比例 + 20% 当 扶贫对象 优先级 3\n")
    result = run("check", str(root), "--claims", "300")
    assert result.exit_code == 1, result.stdout
    assert re.search(r"✗ 违反 东营市（370500）第三十一条：就诊 E\d+：统筹支付比例（pool_prop_selfpay）= 1\.[0-9]*[1-9]",
                     result.stdout)
    assert "不变式 shandong/invariants.yb:26:1「特殊人群等各项调整之后的支付比例不超过100%」；本市 dongying/dongying-2018.yb:" in result.stdout
    claim = re.search(r"反例（yibao settle 可复现）：(\{.*\})", result.stdout).group(1)
    case = json.loads(claim)
    assert case["person"]["flags"] == ["扶贫对象"] and len(case["encounters"]) == 1  # shrunk
    path = tmp_path / "counterexample.json"
    path.write_text(claim, encoding="utf-8")
    settled = run("settle", str(path), "--rules", str(root))
    ratio = Decimal(str(json.loads(settled.stdout)["encounters"][0]["setlinfo"]["pool_prop_selfpay"]))
    assert ratio > 1  # e.g. 职工二级 90% + 20% = 110%


def test_an_invariant_naming_a_parameter_no_city_declares_is_a_compile_error_with_a_suggestion(tmp_path):
    root = _copy(tmp_path)
    path = root / "shandong" / "invariants.yb"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + '不变式 "笔误"：住院支付比列 ≤ 100%\n', encoding="utf-8")
    result = run("check", str(root), "--claims", "0")
    assert result.exit_code == 2
    assert "错误[YB801]" in result.stdout and "住院支付比列" in result.stdout
    assert "是否想写 住院支付比例？" in result.stdout


def test_a_city_name_that_is_not_a_province_parameter_is_refused(tmp_path):
    root = _copy(tmp_path)
    path = root / "shandong" / "invariants.yb"
    path.write_text(path.read_text(encoding="utf-8") + '不变式 "未声明"：慢病应付起付线 ≥ 0元\n', encoding="utf-8")
    result = run("check", str(root), "--claims", "0")
    assert result.exit_code == 2 and "错误[YB802]" in result.stdout


def test_shrink_keeps_only_what_the_failure_needs():
    case = {"person": {"psn_no": "P", "flags": ["a", "b"]},
            "encounters": [{"mdtrt_id": "E1", "fees": {"01": Decimal("12345.67"), "02": Decimal(5)}, "flags": ["x"]},
                           {"mdtrt_id": "E2", "fees": {"01": Decimal("500")}, "flags": ["y", "z"]}]}
    small = shrink(case, lambda c: "b" in c["person"]["flags"] and "z" in c["encounters"][-1]["flags"])
    assert small["person"]["flags"] == ["b"]
    assert [e["mdtrt_id"] for e in small["encounters"]] == ["E2"] and small["encounters"][0]["flags"] == ["z"]


def test_a_province_parameter_whose_type_differs_in_a_city_is_a_warning(tmp_path):
    root = _copy(tmp_path)
    path = root / "shandong" / "parameters.yb"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("省级参数 住院起付标准：金额", "省级参数 住院起付标准：比例"), encoding="utf-8")
    result = run("check", str(root), "--claims", "0")
    assert "警告[YB808]: 省级参数 住院起付标准 声明为比例，但东营市的 住院起付标准 是金额" in result.stdout
    assert result.exit_code == 0


def test_an_invariant_written_in_a_city_file_is_flagged_not_silently_ignored(tmp_path):
    root = _copy(tmp_path)
    path = root / "dongying" / "dongying-2018.yb"
    path.write_text(path.read_text(encoding="utf-8") + '不变式 "城市自己写的"：住院支付比例 ≤ 100%\n', encoding="utf-8")
    result = run("check", str(root), "--claims", "0")
    assert "dongying/dongying-2018.yb:" in result.stdout and "警告[YB809]" in result.stdout
    assert "城市自己写的" not in result.stdout.split("省级不变式（")[1]  # never held as a province invariant


PROVINCE_ERRORS = """\
模块 测试不变式
省级参数 住院支付比例：比例
不变式 "输出名写错"：每次结算 统筹支付比列 ≤ 100%
不变式 "随后不是金额输入"：每次结算 个人负担总额 随 医院等级 不减
不变式 "成员写错"：住院支付比例 按 医院等级（一级、二极） 不增
不变式 "不是比较"：住院支付比例 + 10%
不变式 "成员写错"：住院支付比例 ≤ 100%
"""


def test_each_mistake_in_a_province_file_has_its_own_code():
    from yibao.compiler.build import build_ast
    from yibao.compiler.invariants import compile_province
    from yibao.compiler.parse import parse

    tree, syntax = parse(PROVINCE_ERRORS, "shandong/test.yb")
    assert syntax == []
    rule_file, _ = build_ast(tree, "shandong/test.yb")
    doc, diagnostics = compile_province([rule_file], bundled_irs())
    found = [(d.code, d.span.line) for d in diagnostics]
    assert found == [("YB803", 3), ("YB804", 4), ("YB805", 5), ("YB806", 6), ("YB807", 7)], found
    assert any("统筹支付比例" in h for h in diagnostics[0].hints)  # did you mean the output's name
    assert doc["invariants"] == []  # nothing with an error is held

"""Amendments (修订, issue 10 gap 6): a version written as the values it changes in an earlier one.

The language reference's fixtures (docs/language.md section 20) are a fictional city; the conformance case that
spans two versions runs on a copy of 东营's rules renamed to a fictional 示例市 in a temporary folder, with a
made-up revision of 第三十条 that no bundled file contains."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from yibao.cli import main
from yibao.compiler.driver import compile_path, compile_text
from yibao.compiler.format import format_source

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = ROOT / "tests" / "fixtures" / "language"
EARLIER, AMENDMENT = LANGUAGE / "amendment-2020.yb", LANGUAGE / "amendment-2021.yb"


def run(*args):
    return CliRunner().invoke(main, list(args))


def _definition(ir: dict, name: str) -> dict:
    return next(d for d in ir["definitions"] if d["name"] == name)


def test_the_amended_version_is_the_earlier_with_the_changed_value_and_cites_the_amendment():
    result = compile_path(AMENDMENT)
    assert result.ir is not None, result.diagnostics
    reg = result.ir["regulation"]
    assert reg["effective"] == ["2021-01-01", "2021-12-31"]
    assert reg["amends"]["source"].endswith("tests/fixtures/language/amendment-2020.yb")
    assert reg["amends"]["title"] == "修订示例原规定（docs/language.md 第 20 节，不是城市规定）"
    assert reg["amends"]["changes"] == ["起付标准"]
    changed = _definition(result.ir, "起付标准")["default"]
    assert changed["expr"] == {"money": 60000} and changed["article"] == "第一条"
    assert "language/amendment-2021.yb:" in changed["at"]
    kept = _definition(result.ir, "支付比例")["default"]  # unchanged: the earlier's clause, in its place
    assert kept["expr"] == {"rate": "0.8"} and "language/amendment-2020.yb:" in kept["at"]
    assert reg["region_code"] == "379900"  # 地区 is the earlier's


def test_inherited_examples_are_dated_by_whether_they_read_a_changed_value():
    examples = {e["title"]: e for e in compile_path(AMENDMENT).ir["examples"]}
    # 第二条's example reads 统筹支付 → 起付标准 (changed): it states the earlier text, checked on the earlier's start
    assert examples["起付标准以上按比例支付"]["date"] == "2020-01-01"
    # 第三条's reads only 床日定额 (unchanged): it must hold for the amended version too
    assert examples["三个床日"]["date"] == "2021-01-01"
    assert examples["三个床日"]["inherited"].endswith("tests/fixtures/language/amendment-2020.yb")
    assert "inherited" not in examples["修订后起付标准 600元"]


def test_yibao_test_settles_an_example_across_the_two_versions():
    result = run("test", str(AMENDMENT), "-v")
    assert result.exit_code == 0, result.output
    assert "✓ 第一条 跨修订的两次住院" in result.output and "6 passed, 0 failed" in result.output


def test_an_inherited_example_that_a_change_breaks_fails_when_dated_in_the_amendment(tmp_path):
    # the earlier's 第三条 example expects 床日费用=300元; an amendment changing 床日定额 without its own example
    # dates that example at the earlier's start, where it still holds …
    shutil.copy(EARLIER, tmp_path / "amendment-2020.yb")
    amendment = tmp_path / "amendment-2021.yb"
    amendment.write_text('标题 "床日定额修订"\n修订 "amendment-2020.yb"\n施行 2021-01-01\n\n'
                         "第三条【床日定额】\n    床日定额 = 120元\n", encoding="utf-8")
    ir = compile_path(amendment).ir
    assert {e["title"]: e["date"] for e in ir["examples"]}["三个床日"] == "2020-01-01"
    assert run("test", str(amendment)).exit_code == 0
    # … but an example dated in the amendment's period is settled by the amendment: 3 × 120 = 360
    amendment.write_text(amendment.read_text(encoding="utf-8")
                         + '    例 "修订后三个床日"：\n        人员 险种=职工\n'
                           "        就诊 医疗类别=普通住院 结算日期=2021-03-01\n        期望 床日费用=300元\n",
                         encoding="utf-8")
    result = run("test", str(amendment), "-v")
    assert result.exit_code == 1 and "床日费用 期望 300.00，实际 360.00" in result.output, result.output


def test_check_lists_what_the_amendment_changes_as_diff_does():
    result = run("check", str(AMENDMENT))
    assert "language/amendment-2020.yb：改动 4 项" in result.output, result.output
    assert "第一条  参数 起付标准 修改：500元 → 600元" in result.output


def test_an_amendment_is_found_by_the_earlier_title_too(tmp_path):
    shutil.copy(EARLIER, tmp_path / "amendment-2020.yb")
    text = AMENDMENT.read_text(encoding="utf-8").replace(
        '修订 "amendment-2020.yb"', '修订 "修订示例原规定（docs/language.md 第 20 节，不是城市规定）"')
    result = compile_text(text, "x.yb", directory=tmp_path)
    assert result.ir is not None, result.diagnostics
    assert result.ir["regulation"]["amends"]["changes"] == ["起付标准"]


def test_an_amendment_of_an_amendment_and_a_ring_of_them(tmp_path):
    shutil.copy(EARLIER, tmp_path / "amendment-2020.yb")
    shutil.copy(AMENDMENT, tmp_path / "amendment-2021.yb")
    third = tmp_path / "amendment-2022.yb"
    third.write_text('标题 "第二次修订"\n修订 "amendment-2021.yb"\n施行 2022-01-01\n\n第二条\n    支付比例 = 85%\n',
                     encoding="utf-8")
    ir = compile_path(third).ir
    assert _definition(ir, "起付标准")["default"]["expr"] == {"money": 60000}  # the first amendment's value
    assert _definition(ir, "支付比例")["default"]["expr"] == {"rate": "0.85"}
    dates = {e["title"]: e["date"] for e in ir["examples"] if "date" in e}
    # each kept example is dated in the last version of the chain that changed nothing it reads
    assert dates == {"起付标准以上按比例支付": "2020-01-01",  # reads 起付标准, changed in 2021
                     "三个床日": "2022-01-01",  # reads nothing either amendment changed
                     "修订后起付标准 600元": "2021-01-01", "跨修订的两次住院": "2021-01-01"}  # read 支付比例 (2022)
    assert run("test", str(third)).exit_code == 0
    ring = tmp_path / "ring.yb"
    ring.write_text('标题 "环"\n修订 "ring.yb"\n施行 2022-01-01\n', encoding="utf-8")
    assert [d.code for d in compile_path(ring).diagnostics] == ["YB610"]


def test_yibao_test_runs_a_case_whose_encounters_span_an_amendment(tmp_path):
    base = (ROOT / "regulations" / "dongying" / "dongying-2018.yb").read_text(encoding="utf-8")
    base = base.replace("地区 东营市 370500", "地区 示例市 379900").replace(
        '标题 "东营市社会医疗保险办法"', '标题 "示例市办法（测试用，不是城市规定）"')
    # this example says no rule is in force after 2022; with the amendment loaded one is, so it is left out
    cut = base.index('    例 "有效期届满后的就诊不按本办法结算"')
    base = base[:cut] + base[base.index("\n\n", cut) + 1:]
    (tmp_path / "base.yb").write_text(base, encoding="utf-8")
    (tmp_path / "amended.yb").write_text(
        '标题 "示例市办法修订（测试用，不是城市规定）"\n修订 "base.yb"\n施行 2023-01-01\n\n'
        "第三十条【住院起付标准】\n    住院起付标准 按 医院等级 300元 / 600元 / 900元 / 待定\n", encoding="utf-8")
    (tmp_path / "base.cases.yaml").write_text('''region: "379900"
cases:
  # 2022-12-30 原规定三级起付 800：(10000 − 800) × 85% = 7820；2023-01-05 修订后三级起付 900：(10000 − 900) × 85% = 7735
  - name: 跨修订的两次住院
    feature: 修订
    input:
      person: {psn_no: P1, insutype: "310", psn_type: "1101", brdy: "1975-06-01", gend: "1"}
      encounters:
        - {mdtrt_id: E1, med_type: "21", setl_time: "2022-12-30", dedc_hosp_lv: "3", fees: {"01": "10000.00"}}
        - {mdtrt_id: E2, med_type: "21", setl_time: "2023-01-05", dedc_hosp_lv: "3", fees: {"01": "10000.00"}}
    expect:
      - {mdtrt_id: E1, act_pay_dedc: "800.00", hifp_pay: "7820.00"}
      - {mdtrt_id: E2, act_pay_dedc: "900.00", hifp_pay: "7735.00"}
''', encoding="utf-8")
    result = run("test", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "修订      ✓ 1/1" in result.output and " 0 failed" in result.output


def test_yibao_test_reports_a_city_that_does_not_compile_and_tests_the_others(tmp_path):
    shutil.copy(ROOT / "regulations" / "dongying" / "dongying-2018.yb", tmp_path / "dongying-2018.yb")
    shutil.copy(ROOT / "regulations" / "dongying" / "dongying-2018.cases.yaml", tmp_path / "dongying-2018.cases.yaml")
    (tmp_path / "broken.yb").write_text('地区 坏市 379800\n标题 "坏"\n施行 2020-01-01\n采用 山东基本医疗保险词表\n'
                                        "输出 hifp_pay = 甲类费用 + 10%\n", encoding="utf-8")
    result = run("test", str(tmp_path))
    assert result.exit_code == 2
    assert "YB301" in result.stderr and "1 个规则文件未能测试" in result.stderr
    assert "东营市" in result.stdout and " 0 failed" in result.stdout


def test_the_formatter_keeps_an_amendment_as_it_is():
    for path in (EARLIER, AMENDMENT):
        text = path.read_text(encoding="utf-8")
        formatted = format_source(text, path.name)
        assert formatted.diagnostics == [] and formatted.text == text


def test_the_language_server_compiles_an_amendment_against_the_file_beside_it():
    from yibao.lsp.analysis import Rules

    diagnostics, ir = Rules().diagnostics(AMENDMENT.read_text(encoding="utf-8"), AMENDMENT)
    assert diagnostics == [] and ir["regulation"]["amends"]["changes"] == ["起付标准"]


def test_an_earlier_version_with_errors_is_reported_with_the_amendment(tmp_path):
    earlier = EARLIER.read_text(encoding="utf-8").replace("支付比例 = 80%", "支付比例 = 80元")
    (tmp_path / "amendment-2020.yb").write_text(earlier, encoding="utf-8")
    shutil.copy(AMENDMENT, tmp_path / "amendment-2021.yb")
    result = compile_path(tmp_path / "amendment-2021.yb")
    assert result.ir is None
    assert {d.span.file.rsplit("/", 1)[-1] for d in result.diagnostics} == {"amendment-2020.yb"}
    assert "amendment-2020.yb" in "".join(result.sources)  # so the diagnostics render with their lines


def test_diff_of_the_two_versions_shows_the_new_value_and_the_new_examples_not_the_kept_ones():
    from yibao.change.semantic import semantic_changes

    amended = compile_path(AMENDMENT)
    changes = semantic_changes(amended.earlier.ir, amended.ir)
    assert [(c.old, c.new) for c in changes if c.name == "起付标准"] == [
        ({"type": "money", "expr": {"money": 50000}}, {"type": "money", "expr": {"money": 60000}})]
    added = sorted(c.name for c in changes if c.kind == "例")
    assert added == ["修订后起付标准 600元", "跨修订的两次住院"] and all(
        c.action == "新增" for c in changes if c.kind == "例")


def test_an_example_reading_a_counter_that_a_changed_value_updates_stays_with_the_earlier(tmp_path):
    earlier = EARLIER.read_text(encoding="utf-8").replace("    输出 hifp_pay", '''    计数器 本年床日费用：金额 每年
    更新 本年床日费用 = 本年床日费用 + 床日费用
    已计床日费用 = 本年床日费用
    例 "第二次住院前已计床日费用"：
        人员 险种=职工
        就诊 医疗类别=普通住院
        期望 已计床日费用=0元
        就诊 医疗类别=普通住院
        期望 已计床日费用=300元
    输出 hifp_pay''').replace("统筹支付 + 床日费用", "统筹支付 + 床日费用 + 已计床日费用")
    (tmp_path / "amendment-2020.yb").write_text(earlier, encoding="utf-8")
    amendment = tmp_path / "amendment-2021.yb"
    amendment.write_text('标题 "床日定额修订"\n修订 "amendment-2020.yb"\n施行 2021-01-01\n\n'
                         "第三条【床日定额】\n    床日定额 = 120元\n", encoding="utf-8")
    dates = {e["title"]: e["date"] for e in compile_path(amendment).ir["examples"]}
    # 已计床日费用 reads the counter, whose update reads 床日费用 → 床日定额 (changed)
    assert dates["第二次住院前已计床日费用"] == "2020-01-01" and dates["起付标准以上按比例支付"] == "2021-01-01"
    assert run("test", str(amendment)).exit_code == 0

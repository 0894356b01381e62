"""The command line as a user runs it: exit statuses, atomic outputs, and what is printed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from click.testing import CliRunner

from yibao.cli import main

ROOT = Path(__file__).resolve().parents[1]
DONGYING = ROOT / "regulations" / "dongying" / "dongying-2018.yb"
BROKEN = ROOT / "tests" / "broken"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def test_compile_writes_canonical_ir_atomically(tmp_path):
    out = tmp_path / "ir" / "dongying.json"
    result = run("compile", str(DONGYING), "-o", str(out))
    assert result.exit_code == 0, result.output
    ir = json.loads(out.read_text(encoding="utf-8"))
    assert ir["format"] == "yibao-ir/1" and ir["regulation"]["region_code"] == "370500"
    assert list(out.parent.iterdir()) == [out]  # no temporary file left behind


def test_an_output_file_gets_the_mode_the_umask_allows_and_an_existing_one_keeps_its_mode(tmp_path):
    out = tmp_path / "ir.json"
    previous = os.umask(0o027)
    try:
        assert run("compile", str(DONGYING), "-o", str(out)).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o640  # 0666 less the umask, not mkstemp's 0600
        os.umask(0o022)
        fresh = tmp_path / "fresh.json"
        assert run("compile", str(DONGYING), "-o", str(fresh)).exit_code == 0
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        out.chmod(0o604)
        assert run("compile", str(DONGYING), "-o", str(out)).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o604  # rewriting a file, like open(path, "w"), keeps its mode
    finally:
        os.umask(previous)


def test_compile_of_a_broken_file_exits_2_with_every_diagnostic(tmp_path):
    out = tmp_path / "never.json"
    result = run("compile", str(BROKEN / "three_syntax_errors.yb"), "--rules", str(BROKEN), "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr.count("[YB101]") == 3
    assert not out.exists()


def test_check_lists_open_values_with_their_articles():
    result = run("check", str(DONGYING))
    assert result.exit_code == 0
    assert "第三十条  住院起付标准[未定级]" in result.stdout
    assert "第四十条  生育应付起付线" in result.stdout


def test_test_prints_the_city_feature_matrix():
    result = run("test")
    assert result.exit_code == 0, result.stdout
    assert "东营市" in result.stdout and "条文示例" in result.stdout
    assert result.stdout.strip().splitlines()[-1].endswith("passed, 0 failed")


def test_settle_unknown_region_exits_2_and_names_the_field():
    case = {"region": "青岛", "person": {"insutype": "310"}, "encounters": []}
    result = run("settle", "-", input=json.dumps(case, ensure_ascii=False))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "region" in result.stderr


def test_settle_invalid_json_exits_2_with_position():
    result = run("settle", "-", input='{"region": "370500",')
    assert result.exit_code == 2
    assert "<stdin>" in result.stderr


def test_settle_missing_file_exits_2():
    result = run("settle", "no-such-case.json")
    assert result.exit_code == 2
    assert "no-such-case.json" in result.stderr


def test_explain_cites_articles():
    result = run("explain", str(ROOT / "examples" / "dongying-case.json"))
    assert result.exit_code == 0
    assert "第三十条" in result.stdout and "7820.00" in result.stdout


def test_explain_says_which_open_value_stopped_an_encounter():
    result = run("explain", str(ROOT / "examples" / "dongying-open-value.json"))
    assert result.exit_code == 1
    assert "YR01" in result.stdout and "住院起付标准[未定级]" in result.stdout
    assert "5520.00" in result.stdout  # (10000 − 800) × 60%: the third encounter still settles


def test_check_format_json_prints_one_object_per_diagnostic_with_the_text_forms_places(tmp_path, monkeypatch):
    bad = tmp_path / "bad.yb"
    bad.write_text("地区 东营市 370500\n施行 2020-01-01\n第一条\n    甲 = 乙 + 1元\n    丙 = 甲 ×\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    text = run("check", "bad.yb")
    places = [tuple(line.split(": ", 1)[0].rsplit(":", 2)[1:]) for line in text.output.splitlines()
              if line.startswith("bad.yb:")]
    result = run("check", "--format", "json", "bad.yb")
    assert result.exit_code == text.exit_code == 2
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [(str(r["line"]), str(r["column"])) for r in records] == places and places
    assert {r["file"] for r in records} == {"bad.yb"}
    assert records[0]["code"] == "YB101" and records[0]["severity"] == "error"


def test_check_format_github_annotates_each_diagnostic(tmp_path, monkeypatch):
    (tmp_path / "bad.yb").write_text("地区 东营市 370500\n施行 2020-01-01\n第一条\n    甲 = 乙 + 1元\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("check", "--format", "github", "bad.yb")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "::warning file=bad.yb,line=4,col=5,endLine=4,endColumn=15,title=YB217 unused definition::甲 已定义但未被使用",
        "::error file=bad.yb,line=4,col=9,endLine=4,endColumn=10,title=YB201 unknown name::未知的名称 乙",
    ]


def test_check_format_json_of_the_bundled_rules_is_silent_and_succeeds():
    result = run("check", "--format", "json")
    assert (result.exit_code, result.output) == (0, "")


def test_check_on_a_city_folder_uses_the_bundled_modules():
    # regulations/dongying holds only the city's file: it is checked against the shared Shandong modules
    result = run("check", str(ROOT / "regulations" / "dongying"))
    assert result.exit_code == 0, result.output
    assert "东营市（370500）" in result.output
    assert "YB206" not in result.output and "济宁市（370800）" not in result.output


def test_test_on_a_city_folder_runs_that_city_against_the_bundled_modules():
    result = run("test", str(ROOT / "regulations" / "dongying"))
    assert result.exit_code == 0, result.output
    assert "东营市" in result.output and "济宁市" not in result.output and " 0 failed" in result.output


def test_check_reports_an_error_in_a_shared_module_once_not_once_per_version(tmp_path):
    common = (BROKEN / "_common.yb").read_text(encoding="utf-8") + "坏 = 甲类费用 + 10%\n"
    (tmp_path / "_common.yb").write_text(common, encoding="utf-8")
    for year in (2020, 2021):
        (tmp_path / f"city-{year}.yb").write_text(
            f'地区 测试市 379900\n标题 "测试 {year}"\n施行 {year}-01-01 至 {year}-12-31\n采用 测试共用\n', encoding="utf-8")
    result = run("check", str(tmp_path))
    assert result.exit_code == 2
    assert result.output.count("错误[YB301]") == 1
    assert "✗ city-2020.yb" in result.output and "✗ city-2021.yb" in result.output
    assert "另有 1 条共用模块中的诊断" in result.output


def test_check_of_a_file_without_the_settlement_model_skips_the_province_invariants():
    result = run("check", str(ROOT / "tests" / "fixtures" / "language" / "bands.yb"))
    assert result.exit_code == 0, result.output
    assert "省级不变式不适用于《分段示例" in result.output and "Traceback" not in result.output

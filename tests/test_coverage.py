"""Coverage of a regulation's own text: the splitter on the real seed texts, the status of each unit,
and what ``yibao check`` prints."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.cli import main
from yibao.compiler.coverage import Status, coverage, normalise_label, source_text_beside, split_units
from yibao.compiler.diagnostics import Severity
from yibao.compiler.driver import compile_path

ROOT = Path(__file__).resolve().parents[1]
REGULATIONS = ROOT / "regulations"
DONGYING = REGULATIONS / "dongying" / "dongying-2018.yb"


def units_of(relative: str) -> dict:
    text = (REGULATIONS / relative).read_text(encoding="utf-8")
    return {u.label: u for u in split_units(text)}


def numbered(units: dict) -> list[str]:
    return [label for label, u in units.items() if u.has_number]


# ───────────────────────────── the splitter ─────────────────────────────


def test_source_texts_are_bundled_verbatim():
    seeds = Path("/work/shared/seeds")
    if not seeds.is_dir():
        pytest.skip("the seed texts are not on this machine")
    for bundled, seed in [
        ("dongying/dongying-2018.source.txt", "dongying-2018-social-medical-insurance.txt"),
        ("jining/jining-2017.source.txt", "jining-2017-resident-medical-insurance.txt"),
        ("yantai/yantai-2023.source.txt", "yantai-2023-employee-provincial-pooling.txt"),
        ("linyi/linyi-2019.source.txt", "linyi-2019-municipal-pooling.txt"),
    ]:
        assert (REGULATIONS / bundled).read_bytes() == (seeds / seed).read_bytes()


def test_dongying_is_split_into_its_72_articles():
    units = units_of("dongying/dongying-2018.source.txt")
    assert len(units) == 72
    assert list(units)[:3] == ["第一条", "第二条", "第三条"] and list(units)[-1] == "第七十二条"
    assert units["第三十条"].has_number and "200元" in units["第三十条"].text
    assert not units["第一条"].has_number
    assert len(numbered(units)) == 29


def test_dongying_articles_end_at_chapter_headings_and_start_after_their_label():
    units = units_of("dongying/dongying-2018.source.txt")
    assert "第二章" not in units["第五条"].text
    assert units["第七十二条"].text == "本办法自2018年4月1日起施行，有效期至2022年12月31日。"
    assert units["第九条"].text.startswith("职工基本医疗保险费依法")
    assert units["第九条"].line == 33


def test_jining_last_article_stops_at_the_sign_off():
    units = units_of("jining/jining-2017.source.txt")
    assert len(units) == 59
    assert "抄送" not in units["第五十九条"].text and "印发" not in units["第五十九条"].text
    assert units["第十九条"].has_number and units["第一条"].has_number  # 〔2013〕31号 is a digit too


def test_yantai_units_are_labelled_by_their_heading_path():
    units = units_of("yantai/yantai-2023.source.txt")
    assert list(units) == [
        "一", "二", "二（一）", "二（二）", "二（二）1", "二（二）2", "二（二）3", "二（二）4",
        "二（三）", "二（三）1", "二（三）2", "二（三）3", "二（四）", "二（五）", "二（六）",
        "三", "三（一）", "三（二）", "三（三）", "附则",
    ]
    assert numbered(units) == ["二（二）1", "二（二）2", "二（二）3", "二（二）4", "二（三）1", "二（三）2", "二（四）", "附则"]


def test_yantai_joins_wrapped_lines_and_leaves_out_letter_and_sign_off():
    units = units_of("yantai/yantai-2023.source.txt")
    assert "非全日制从业人员" in units["二（一）"].text  # 从 / 业人员 across a blank line
    assert "年度最高支付限额由 2300 元" in units["二（三）1"].text
    assert units["二（三）2"].text.startswith("调整职工基本医疗保险住院起付标准")
    assert units["附则"].text == "本实施方案中除另有规定执行时间的,其他政策自2024年1月起施行。今后,国家、省调整相关政策,按新调整后的政策执行。"
    assert not any("烟政字" in u.text or "抄送" in u.text for u in units.values())


def test_linyi_reads_headings_through_markdown():
    units = units_of("linyi/linyi-2019.source.txt")
    assert list(units)[:9] == ["一", "二", "三", "三（一）", "三（一）1", "三（一）2", "三（二）", "三（二）1", "三（二）2"]
    assert "三（六）" in units and list(units)[-1] == "附则"
    assert numbered(units) == ["一", "三（二）1", "三（二）2", "附则"]
    assert "省建立城镇职工基本医疗保险制度" in units["三（二）1"].text
    assert units["三（二）2"].has_number and "250 元" in units["三（二）2"].text
    assert "临沂市人民政府办公室" not in units["附则"].text and "印发" not in units["附则"].text


def test_splitter_edge_cases():
    text = "前言 2020 年\n二、甲\n1. 起付 200 元，超过\n1.5万元的部分\n（一）乙\n第30条 不是条文开头之外\n"
    assert [u.label for u in split_units(text)] == ["第三十条"]  # any 第…条 line makes it an article text
    text = "说明 2020 年。\n二、甲\n1. 起付 200 元，超过\n1.5万元的部分。\n（一）乙\n2. 丙\n"
    units = split_units(text)
    assert [(u.label, u.has_number) for u in units] == [("二", False), ("二1", True), ("二（一）", False), ("二（一）2", False)]
    assert units[1].text == "起付 200 元，超过1.5万元的部分。"
    assert split_units("") == () and split_units("没有结构的文字 123。\n") == ()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="第条章一二十（）()、.．120 \n本施行抄送：。年月日人民政府#*x", max_size=120))
def test_splitter_never_fails_and_labels_are_not_empty(text):
    for unit in split_units(text):
        assert unit.label and unit.line >= 1
    coverage({"articles": [{"label": "二", "at": "not a place"}]}, text)


def test_labels_compare_without_spaces_and_bracket_widths():
    assert normalise_label(" 二(二) 1. ") == normalise_label("二（二）1") == "二（二）1"


# ───────────────────────────── status ─────────────────────────────


TEXT = """\
一、总则
二、待遇
（一）起付标准为 200 元。
（二）支付比例为 85%。
（三）居民比例另定，不低于 50%。
（四）最高限额 20 万元。
（五）举报 30 日内答复。
（六）转诊 15 日内有效。
（七）限额按年度 1 月 1 日起计算。
本办法自2020年1月1日起施行。
"""


def fixture_ir() -> dict:
    return {
        "regulation": {"effective_article": "附则"},
        "tables": [
            {"name": "起付", "article": "二（一）", "cells": [{"value": {"money": 20000}}, {"value": {"open": "起付[x]"}}]},
            {"name": "居民比例", "article": "二（三）", "cells": [{"value": {"open": "居民比例[a]"}}, {"value": {"na": "居民比例[b]"}}]},
        ],
        "definitions": [
            {"name": "起付", "default": {"article": "二（一）", "expr": {"op": "lookup", "table": "起付", "args": []}}, "exceptions": []},
            {"name": "居民比例", "default": {"article": "二（三）", "expr": {"op": "lookup", "table": "居民比例", "args": []}}, "exceptions": []},
            {"name": "比例", "default": {"article": "二(二)", "expr": {"open": "比例", "reason": "待定"}},
             "exceptions": [{"article": "二（二）", "when": {"bool": True}, "expr": {"rate": "0.85"}}]},
            {"name": "限额", "default": {"article": "二（四）", "expr": {"open": "限额", "reason": "待定"}}, "exceptions": []},
        ],
        "counters": [], "exclusions": [], "outputs": [],
        "contribution": {  # contributions sit in their own section of the IR
            "tables": [], "outputs": [{"field": "base", "article": "二（六）"}],
            "definitions": [{"name": "缴费", "default": {"article": "二（六）", "expr": {"rate": "0.08"}}, "exceptions": []}],
        },
        "open_values": [
            {"name": "起付[x]", "article": "二（一）"}, {"name": "居民比例[a]", "article": "二（三）"},
            {"name": "限额", "article": "二（四）"},
        ],
        "articles": [
            {"label": "二（一）", "title": None, "at": "t.yb:6:1", "not_applicable": None},
            {"label": "二（五）", "title": None, "at": "t.yb:9:1", "not_applicable": "举报答复期限，属行政程序"},
            {"label": "二（八）", "title": None, "at": "t.yb:12:1", "not_applicable": "标签写错了"},
            {"label": "附则", "title": None, "at": "t.yb:15:1", "not_applicable": None},
        ],
    }


def test_status_of_each_unit_with_a_number():
    report = coverage(fixture_ir(), TEXT)
    got = {e.unit.label: (e.status, e.reason) for e in report.entries}
    assert got == {
        "二（一）": (Status.ENCODED, None),  # a table with one value and one open cell
        "二（二）": (Status.ENCODED, None),  # open default, but an exception gives a value
        "二（三）": (Status.OPEN, None),  # a table with no value at all
        "二（四）": (Status.OPEN, None),
        "二（五）": (Status.NOT_APPLICABLE, "举报答复期限，属行政程序"),
        "二（六）": (Status.ENCODED, None),  # a contribution output
        "二（七）": (Status.MISSING, None),
        "附则": (Status.ENCODED, None),  # the effective date
    }
    assert [report.count(s) for s in Status] == [4, 2, 1, 1]
    assert [e.unit.label for e in report.missing] == ["二（七）"]
    assert [u.label for u in report.units][:2] == ["一", "二"]


def test_a_label_that_names_no_unit_is_a_warning_at_its_article():
    (d,) = coverage(fixture_ir(), TEXT).diagnostics
    assert (d.code, d.severity, str(d.span)) == ("YB701", Severity.WARNING, "t.yb:12:1")
    assert "二（八）" in d.message


def test_coverage_of_an_ir_without_articles_or_text():
    assert coverage({}, "").entries == ()
    report = coverage({}, TEXT)
    assert {e.status for e in report.entries} == {Status.MISSING} and report.diagnostics == ()


def test_dongying_coverage():
    ir = compile_path(DONGYING).ir
    report = coverage(ir, source_text_beside(DONGYING).read_text(encoding="utf-8"))
    status = {e.unit.label: e.status for e in report.entries}
    assert len(status) == 29
    assert status["第三十条"] is Status.ENCODED and status["第七十二条"] is Status.ENCODED
    assert report.diagnostics == ()


# ───────────────────────────── yibao check ─────────────────────────────


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_check_prints_coverage_after_open_values_and_interpretations():
    result = run("check", str(DONGYING))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    (summary,) = [i for i, line in enumerate(lines) if line.strip().startswith("覆盖：")]
    assert summary > max(i for i, line in enumerate(lines) if line.strip().startswith(("待定值", "解释")))
    assert lines[summary].startswith("  覆盖：29 条含数字，编码 ")
    province = next(i for i, line in enumerate(lines) if line.startswith("省级不变式"))  # the province report follows
    units = lines[summary + 1:province]
    assert len(units) == 29 and "    ✓ 第三十条" in units
    for line in units:
        assert line.startswith(("    ✓ 第", "    ○ 第", "    – 第", "    ✗ 第")), line
        assert ("缺：" in line) == line.startswith("    ✗")


CITY = """\
地区 测试市 379900
标题 "覆盖测试"
采用 测试共用

条目 "二（一）"【起付标准】
    起付标准 按 医院等级 200元 / 500元 / 800元
    输出 hifp_pay = 起付标准
条目 "二（二）"
    支付比例：比例 待定 "另行制定"
条目 "二（三）"
    不涉及 "举报答复期限，属行政程序"
条目 "附则"
    施行 2020-01-01 至 2020-12-31
"""

CITY_TEXT = """\
测试市人民政府
2019年12月1日
二、待遇
（一）起付标准为 200 元、500 元、800 元。
（二）支付比例另行制定，不低于
50%。
（三）举报 30 日内答复。
（四）转诊备案 15 日内有效，逾期须重新备案。
本办法自2020年1月1日起施行。
抄送：各部门。
测试市人民政府办公室     2019年12月1日印发
"""


@pytest.fixture
def city(tmp_path) -> Path:
    shutil.copy(ROOT / "tests" / "broken" / "_common.yb", tmp_path / "_common.yb")
    path = tmp_path / "city" / "city-2020.yb"
    path.parent.mkdir()
    path.write_text(CITY, encoding="utf-8")
    path.with_name("city-2020.source.txt").write_text(CITY_TEXT, encoding="utf-8")
    return path


def test_check_prints_one_line_per_unit_with_a_number(city):
    result = run("check", str(city), "--rules", str(city.parent.parent))
    assert result.exit_code == 0, result.output
    tail = result.stdout.splitlines()[-6:]
    assert tail == [
        "  覆盖：5 条含数字，编码 2，待定 1，不涉及 1，缺 1",
        "    ✓ 二（一）",
        "    ○ 二（二）  待定",
        "    – 二（三）  不涉及：举报答复期限，属行政程序",
        "    ✗ 二（四）  缺：转诊备案 15 日内有效，逾期须重新备案。",
        "    ✓ 附则",
    ]


def test_check_strict_exits_1_when_articles_are_missing(city):
    assert run("check", "--strict", str(city), "--rules", str(city.parent.parent)).exit_code == 1
    text = city.read_text(encoding="utf-8").replace('条目 "附则"', '条目 "二（四）"\n    不涉及 "备案期限"\n条目 "附则"')
    city.write_text(text, encoding="utf-8")
    result = run("check", "--strict", str(city), "--rules", str(city.parent.parent))
    assert result.exit_code == 0, result.output
    assert "缺 0" in result.stdout


def test_check_says_so_when_no_source_text_is_bundled(city):
    city.with_name("city-2020.source.txt").unlink()
    result = run("check", str(city), "--rules", str(city.parent.parent), "--strict")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "  覆盖：没有条文原文 city-2020.source.txt，未检查"


def test_check_warns_about_a_label_missing_from_the_text(city):
    city.write_text(city.read_text(encoding="utf-8").replace('"二（三）"', '"二（八）"'), encoding="utf-8")
    result = run("check", str(city), "--rules", str(city.parent.parent))
    assert result.exit_code == 0, result.output
    assert "city/city-2020.yb:10:1: 警告[YB701]: 二（八） 在条文原文中找不到" in result.stdout
    assert "    ✗ 二（三）  缺：举报 30 日内答复。" in result.stdout

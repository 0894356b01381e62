"""``yibao matrix``: rows from the province parameters, each cell citing its article."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from crosscity_support import bundled_irs, bundled_regions
from yibao.cli import main
from yibao.compiler.driver import default_root
from yibao.crosscity.matrix import build_matrix
from yibao.crosscity.province import load_province

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def _matrix(date=None):
    province = load_province(default_root(), bundled_irs())
    return build_matrix(province.doc, bundled_regions(), date)


def _row(matrix, parameter, *key):
    return next(r for r in matrix["rows"] if r["parameter"] == parameter and tuple(r["key"].values()) == key)


def test_cells_cite_their_articles_and_say_open_or_not_applicable():
    matrix = _matrix()
    deductible = _row(matrix, "住院起付标准", "三级")["cells"]
    assert deductible["370500"] == {"status": "value", "value": "800元", "article": "第三十条",
                                    "at": "dongying/dongying-2018.yb:235:33"}
    assert deductible["370800"]["value"] == "1000元" and deductible["370800"]["article"] == "第十九条"
    assert deductible["370600"]["article"] == "二（三）2"
    assert deductible["371300"] == {"status": "absent"}  # 临沂 三（三） leaves the deductible to a later rule
    assert _row(matrix, "住院起付标准", "未定级")["cells"]["370500"]["status"] == "open"
    outpatient = _row(matrix, "门诊支付比例", "职工", "三级")["cells"]["370500"]
    assert outpatient["status"] == "na" and outpatient["article"] == "第三十三条"
    assert _row(matrix, "统筹基金年度限额")["cells"]["371300"]["status"] == "open"


def test_rows_come_from_the_province_parameter_file_in_its_order(tmp_path):
    root = tmp_path / "regulations"
    shutil.copytree(ROOT / "regulations", root, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    path = root / "shandong" / "parameters.yb"
    path.write_text("模块 山东省级参数\n省级参数 慢病季度起付标准：金额 \"门诊慢性病季度起付标准\"\n", encoding="utf-8")
    (root / "shandong" / "invariants.yb").unlink()
    result = run("matrix", "--rules", str(root), "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert [r["parameter"] for r in rows] == ["慢病季度起付标准"]
    assert rows[0]["cells"]["370500"]["value"] == "150元" and rows[0]["cells"]["370500"]["article"] == "第三十二条"


def test_a_date_picks_the_regulation_in_force():
    cells = _row(_matrix(dt.date(2020, 6, 1)), "住院起付标准", "一级")["cells"]
    assert cells["370600"] == {"status": "out_of_force"}  # 烟台 2023 方案 starts 2024-01-01
    assert cells["370500"]["value"] == "200元"


def test_text_and_csv_agree():
    text = run("matrix").stdout
    assert "800元（第三十条）" in text and "待定（第三十条）" in text and "不适用（第三十三条）" in text
    csv_lines = run("matrix", "--csv").stdout.splitlines()
    assert csv_lines[0] == "parameter,label,key,region,region_name,status,value,article,at"
    assert "住院起付标准,住院起付标准（按医院等级）,三级,370500,东营市,value,800元,第三十条,dongying/dongying-2018.yb:235:33" in csv_lines


def test_a_city_covering_residents_only_sits_in_the_resident_rows():
    matrix = _matrix()
    ratio = _row(matrix, "住院支付比例", "居民", "一级")["cells"]
    assert ratio["370500"]["value"] == "90%" and ratio["370500"]["article"] == "第三十一条"  # 东营 居民一级
    assert ratio["370800"]["value"] == "80%" and ratio["370800"]["article"] == "第十九条"  # 济宁 第二条: 居民 only
    cap = _row(matrix, "统筹基金年度限额", "居民")["cells"]
    assert cap["370500"]["value"] == "160000元" and cap["370800"]["value"] == "150000元"
    assert _row(matrix, "统筹基金年度限额", "职工")["cells"]["370600"]["status"] == "open"  # 烟台 二（一）: 职工 only


def test_exceptions_that_can_replace_a_value_are_cited():
    # 济宁 第二十条 慢病起付标准 500元, lowered for 扶贫对象 by 第二十五条
    cell = _row(_matrix(), "慢病起付标准")["cells"]["370800"]
    assert cell["value"] == "500元" and cell["article"] == "第二十条" and cell["exceptions"] == ["第二十五条"]
    assert "500元（第二十条），另有例外 1 条（第二十五条）" in run("matrix").stdout

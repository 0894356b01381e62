"""``yibao report`` without a browser: the page is self-contained, the curves are real settlements, bad input is exit 2."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from yibao.cli import main
from yibao.compiler.driver import compile_all
from yibao.report.curves import payout_curves

from report_support import parse

ROOT = Path(__file__).resolve().parents[1]
DONGYING = ROOT / "regulations" / "dongying" / "dongying-2018.yb"


def write_report(out: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["report", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return (out / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    return write_report(tmp_path_factory.mktemp("report") / "r")


def test_the_curves_follow_the_deductible_the_ratio_and_the_cap_of_dongying():
    panels = {(p.insutype, p.level): p for p in payout_curves([r.ir for r in compile_all()])}
    line = next(l for l in panels[("职工", "三级")].lines if l.city == "东营市")
    points = dict(line.points)
    # 第三十条: 三级 800元 deductible; 第三十一条: 职工 三级 85%; 第二十八条: 20万元 a year from the fund
    assert points[80000] == 0 and points[100000] == (100000 - 80000) * 85 // 100
    assert points[40000000] == 20000000
    resident = next(l for l in panels[("居民", "一级")].lines if l.city == "济宁市")
    assert resident.points and resident.problem is None
    yantai = next(l for l in panels[("居民", "一级")].lines if l.city == "烟台市")
    assert yantai.points == () and "YR05" in yantai.problem


def test_the_page_needs_no_network_and_names_the_cjk_font(page):
    assert '"Noto Sans CJK SC"' in page and page.count('class="chart curve-chart"') == 6
    assert not re.search(r"(src|href)=\"?(https?:)?//", page) and "<script" not in page
    assert 'id="diff"' not in page


def test_the_matrix_cites_each_cells_article_and_says_open_and_not_applicable(page):
    html = parse(page)
    assert html.table("matrix")[0] == ["参数", "分项", "东营市", "烟台市", "济宁市", "临沂市"]
    deductible = ("住院起付标准（按医院等级）", "三级")
    assert html.cell("matrix", *deductible, column="东营市") == ("800元（第三十条）", {"class": "cell value", "data-status": "value"})
    assert html.cell("matrix", *deductible, column="济宁市")[0] == "1000元（第十九条）"
    assert html.cell("matrix", *deductible, column="临沂市")[0] == "—"  # 临沂 三（三） leaves it to a later rule
    text, attrs = html.cell("matrix", "住院起付标准（按医院等级）", "未定级", column="东营市")
    assert text == "待定（第三十条）" and attrs["data-status"] == "open" and "第三十条" in attrs["title"]
    text, attrs = html.cell("matrix", "普通门诊统筹支付比例", "职工、三级", column="东营市")
    assert text == "不适用（第三十三条）" and attrs["data-status"] == "na"
    # 济宁 covers residents only and says 不适用 outside any article: the cell cites the place instead
    assert html.cell("matrix", "职工大额医疗补助支付比例", "—", column="济宁市")[0].startswith("不适用（条文外：jining/jining-2017.yb:")
    cells = [cell for row in html.tables["matrix"][1:] for cell in row[2:]]
    cited = re.compile(r"（(第[一二三四五六七八九十百]+条|[一二三四五六七八九十]+（[一二三四五六七八九十]+）\d*|条文外：)")
    assert all(cited.search(t) for t, a in cells if a["data-status"] != "absent")  # 第三十条, 二（三）2, 三（三）


def test_the_invariants_table_has_every_invariant_for_every_city(page):
    html = parse(page)
    rows = html.table("invariants")
    assert rows[0] == ["不变式", "位置", "东营市", "烟台市", "济宁市", "临沂市"]  # the matrix's order
    assert len(rows) - 1 == 21  # the 不变式 lines of regulations/shandong/invariants.yb
    # 东营 第三十一条: 职工 95% / 90% / 85%, 居民 90% / 75% / 60%: two adjacent pairs per 险种 compared
    title = ("住院支付比例不随医院等级升高而提高", "shandong/invariants.yb:10:1")
    assert html.cell("invariants", *title, column="东营市")[0] == "✓通过(4)"
    assert html.cell("invariants", *title, column="临沂市")[0] == "–不适用"
    assert not html.having("ul", "violations")


def test_a_violated_invariant_is_shown_with_its_article_and_values(tmp_path):
    root = tmp_path / "regulations"
    shutil.copytree(ROOT / "regulations", root, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    city = root / "dongying" / "dongying-2018.yb"
    city.write_text(city.read_text(encoding="utf-8").replace("职工：95% / 90% / 85% / 待定", "职工：95% / 90% / 92% / 待定"),
                    encoding="utf-8")
    html = parse(write_report(tmp_path / "r", "--rules", str(root), "--invariant-persons", "0"))
    text, attrs = html.cell("invariants", "住院支付比例不随医院等级升高而提高", "shandong/invariants.yb:10:1", column="东营市")
    assert text == "✗违反(4)" and attrs["data-status"] == "违反"
    assert html.cell("matrix", "住院统筹支付比例（按险种、医院等级）", "职工、三级", column="东营市")[0] == "92%（第三十一条）"
    assert "✗ 违反 东营市（370500）第三十一条：住院支付比例[职工,二级] = 90% < 住院支付比例[职工,三级] = 92%" in "".join(html.text)


def test_bad_input_is_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "--out", str(blocker / "sub")])
    assert result.exit_code == 2 and "index.html" in result.stderr
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "r"), "--diff", "nosuchrev:regulations", str(DONGYING)])
    assert result.exit_code == 2 and "nosuchrev" in result.stderr and not (tmp_path / "r").exists()


def _rules_copy(tmp_path: Path) -> Path:
    root = tmp_path / "regulations"
    shutil.copytree(ROOT / "regulations", root, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return root


def test_a_province_file_with_a_mistake_is_exit_2_naming_it_and_no_report_is_written(tmp_path):
    root = _rules_copy(tmp_path)
    path = root / "shandong" / "invariants.yb"
    path.write_text(path.read_text(encoding="utf-8") + '不变式 "笔误"：住院支付比列 ≤ 100%\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "r"), "--rules", str(root)])
    assert result.exit_code == 2 and "YB801" in result.stderr and "shandong/invariants.yb" in result.stderr
    assert not (tmp_path / "r").exists()


def test_rules_without_province_files_say_so_in_both_sections(tmp_path):
    root = _rules_copy(tmp_path)
    (root / "shandong" / "invariants.yb").unlink()
    (root / "shandong" / "parameters.yb").unlink()
    html = parse(write_report(tmp_path / "r", "--rules", str(root)))
    assert "matrix" not in html.tables and "invariants" not in html.tables
    assert "规则根目录下没有省级参数" in "".join(html.text) and "规则根目录下没有省级不变式" in "".join(html.text)
    assert len(html.having("svg", "curve-chart")) == 6  # the curves do not need the province files

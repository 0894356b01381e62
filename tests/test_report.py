"""``yibao report`` without a browser: the page is self-contained, the curves are real settlements, bad input is exit 2."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from yibao.cli import main
from yibao.compiler.driver import compile_all
from yibao.report.curves import payout_curves

DONGYING = Path(__file__).resolve().parents[1] / "regulations" / "dongying" / "dongying-2018.yb"


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


def test_the_page_needs_no_network_and_names_the_cjk_font(tmp_path):
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert '"Noto Sans CJK SC"' in page and page.count('class="chart curve-chart"') == 6
    assert not re.search(r"(src|href)=\"?(https?:)?//", page) and "<script" not in page
    assert 'id="diff"' not in page


def test_bad_input_is_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "--out", str(blocker / "sub")])
    assert result.exit_code == 2 and "index.html" in result.stderr
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "r"), "--diff", "nosuchrev:regulations", str(DONGYING)])
    assert result.exit_code == 2 and "nosuchrev" in result.stderr and not (tmp_path / "r").exists()

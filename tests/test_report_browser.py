"""``yibao report`` in a real browser: headless Chromium renders the page, its DOM holds the tables and the curves,
and a screenshot is saved as tests/artifacts/report.png (gitignored) for a person to look at.

.ci/run installs Debian's chromium and fonts-noto-cjk and sets YIBAO_REQUIRE_BROWSER=1, so there a missing
browser fails; elsewhere the test is skipped without one.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from yibao.cli import main

from report_support import parse

ROOT = Path(__file__).resolve().parents[1]
DONGYING = ROOT / "regulations" / "dongying" / "dongying-2018.yb"
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("YIBAO_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed")
    return found


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("report")
    regs = work / "regs"
    shutil.copytree(ROOT / "regulations", regs, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    city = regs / "dongying" / "dongying-2018.yb"
    city.write_text(city.read_text(encoding="utf-8").replace("200元 / 500元 / 800元 / 待定", "200元 / 500元 / 1000元 / 待定"),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "--out", str(work / "out"), "--diff", str(DONGYING), str(city),
                                       "--persons", "80", "--invariant-persons", "20"])
    assert result.exit_code == 0, result.output
    return work / "out" / "index.html"


def run_chromium(report: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"  # a new, empty profile every run
    profile.mkdir()
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args, report.as_uri()],
                          capture_output=True, timeout=120, check=False)


def test_the_rendered_dom_has_the_tables_and_the_curves(report, tmp_path):
    done = run_chromium(report, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    dom = parse(done.stdout.decode("utf-8"))
    charts = dom.having("svg", "curve-chart")
    assert len(charts) == 6  # 职工 and 居民 × 一级, 二级, 三级
    cities = [a["data-city"] for a in dom.having("polyline", "curve")]
    # 东营 covers both 险种; 济宁's regulation only 居民 (its 第二条); 烟台, 临沂 leave a ratio or the deductible open
    assert cities.count("东营市") == 6 and cities.count("济宁市") == 3 and "烟台市" not in cities
    assert all(len(a["points"].split()) > 10 for a in dom.having("polyline", "curve"))
    text = "".join(dom.text)
    assert "职工 · 三级医院" in text and "居民 · 一级医院" in text
    assert dom.having("table", "changes") and dom.having("table", "by-article") and dom.having("table", "not-drawn")
    assert "住院起付标准[三级]" in text and "第三十条" in text and "1000元" in text
    assert dom.having("svg", "histogram") and len(dom.having("svg", "winners-losers")) == 3
    # the parameter matrix (yibao matrix) and the province invariants (yibao check), rendered as tables
    assert dom.table("matrix")[0][:2] == ["参数", "分项"] and len(dom.table("matrix")) > 40
    assert dom.cell("matrix", "住院起付标准（按医院等级）", "三级", column="东营市")[0] == "800元（第三十条）"
    assert dom.cell("matrix", "住院起付标准（按医院等级）", "未定级", column="东营市")[0] == "待定（第三十条）"
    assert dom.cell("matrix", "普通门诊统筹支付比例", "职工、三级", column="东营市")[0] == "不适用（第三十三条）"
    assert len(dom.table("invariants")) == 1 + 21  # one row per 不变式 in regulations/shandong/invariants.yb
    assert dom.cell("invariants", "住院支付比例不随医院等级升高而提高", "shandong/invariants.yb:10:1",
                    column="东营市")[0] == "✓通过(4)"  # 第三十一条: 95% / 90% / 85%, 90% / 75% / 60%
    assert 'font-family: "Noto Sans CJK SC"' in text  # the style names the font Debian's fonts-noto-cjk provides


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_a_screenshot_is_saved_as_an_artefact(report, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    done = run_chromium(report, tmp_path, "--window-size=1280,5600", "--hide-scrollbars", f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    data = shot.read_bytes()
    assert png_size(data) == (1280, 5600)
    assert len(data) > 100_000  # curves, bars and text, not a blank page (a white page of this size is a few KB)


def test_the_font_the_page_names_is_installed():
    chromium()
    match = shutil.which("fc-match")
    if match is None:
        pytest.skip("fontconfig's fc-match is not installed")
    found = subprocess.run([match, "Noto Sans CJK SC"], capture_output=True, text=True, check=False).stdout
    assert "Noto Sans CJK SC" in found, found

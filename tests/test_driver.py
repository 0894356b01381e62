"""The driver: reading files, finding modules, running every pass, versions across files, robustness."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from yibao.compiler import driver
from yibao.compiler.diagnostics import CompilerBug, Severity, render
from yibao.compiler.driver import compile_all, compile_path, compile_text, discover_regulations
from yibao.compiler.lower import canonical_json

ROOT = Path(__file__).resolve().parents[1]
REGULATIONS = ROOT / "regulations"
DONGYING = REGULATIONS / "dongying" / "dongying-2018.yb"

MODULE = """模块 小
词表 险种 (insutype) 字段 person.insutype：
    职工 = "310"
    居民 = "390"
输入 费用：金额 字段 encounter.fees.01
参数 比率：比例
输出 hifp_pay = 四舍五入(费用 × 比率)
"""


def city(code: str = "370000", start: str = "2020-01-01", end: str = "2020-12-31", body: str = "比率 = 50%\n") -> str:
    return f'地区 小城 {code}\n标题 "小城办法"\n施行 {start} 至 {end}\n采用 小\n{body}'


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "small.yb").write_text(MODULE, encoding="utf-8")
    return tmp_path


def lines(result) -> list[tuple[str, int, str]]:
    """The errors (unused-definition warnings aside), as (file, line, code), in reported order."""
    return [(d.span.file, d.span.line, d.code) for d in result.diagnostics if d.severity is Severity.ERROR]


# ── the bundled regulations ──


def test_dongying_compiles_without_diagnostics_to_hashed_ir(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = compile_path("regulations/dongying/dongying-2018.yb")
    assert result.diagnostics == []
    assert result.path == "dongying/dongying-2018.yb"
    assert len(result.ir["sha256"]) == 64
    assert set(result.sources) == {"dongying/dongying-2018.yb", "shandong/settlement-model.yb", "shandong/vocabulary.yb",
                                   "shandong/contribution-model.yb"}


def test_compiling_twice_gives_identical_bytes():
    assert canonical_json(compile_path(DONGYING).ir) == canonical_json(compile_path(DONGYING).ir)


def test_discover_regulations_finds_cities_not_modules():
    found = discover_regulations(None)
    assert DONGYING.resolve() in [p.resolve() for p in found]
    assert not any(p.parent.name == "shandong" for p in found)
    assert [r.path for r in compile_all(None) if r.ir is None] == []


# ── one file ──


def test_modules_are_found_under_the_root_and_spans_are_relative(root):
    (root / "cities").mkdir()
    path = root / "cities" / "small-2020.yb"
    path.write_text(city(body="比率 = 50%\n甲 = 费 + 1元\n"), encoding="utf-8")
    result = compile_path(path, root=root)
    assert lines(result) == [("cities/small-2020.yb", 6, "YB201")]
    assert set(result.sources) == {"cities/small-2020.yb", "shared/small.yb"}
    assert "cities/small-2020.yb:6:5" in render(result.diagnostics[-1], result.sources)
    assert [d.code for d in result.diagnostics] == ["YB217", "YB201"]  # sorted by position, then code


def test_errors_of_resolve_and_check_are_reported_together_and_sorted(root):
    body = "比率 = 50%\n第一条\n    乙 = 费用 + 比率\n    甲 = 未知 + 1元\n"
    result = compile_text(city(body=body), "c.yb", root=root)
    assert [(ln, code) for _, ln, code in lines(result)] == [(7, "YB301"), (8, "YB201")]
    assert result.ir is None


def test_a_syntax_error_stops_before_resolve(root):
    result = compile_text(city(body="比率 = 50% +\n甲 = 未知\n"), "c.yb", root=root)
    assert [code for _, _, code in lines(result)] == ["YB101"]
    assert result.ir is None and result.header is None


def test_a_used_module_with_errors_is_reported_in_its_own_file(root):
    (root / "shared" / "small.yb").write_text(MODULE + "定义 坏 = 费用 +\n", encoding="utf-8")
    result = compile_text(city(), "c.yb", root=root)
    assert [(f, code) for f, _, code in lines(result)] == [("shared/small.yb", "YB101")]
    assert "shared/small.yb" in result.sources


def test_a_module_name_declared_twice(root):
    (root / "shared" / "copy.yb").write_text(MODULE, encoding="utf-8")
    result = compile_text(city(), "c.yb", root=root)
    assert lines(result) == [("shared/small.yb", 1, "YB202")]


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "bad.yb"
    path.write_bytes("地区 甲市 370000\n标题 \"".encode("utf-8") + b"\xff\xfe\"\n")
    result = compile_path(path, root=tmp_path)
    (d,) = result.diagnostics
    assert (d.code, d.span.line, d.span.col) == ("YB106", 2, 5)
    assert result.ir is None and "bad.yb" in result.sources


def test_an_exception_inside_a_pass_is_a_compiler_bug(root, monkeypatch):
    def broken(program):
        raise KeyError("oops")

    monkeypatch.setattr(driver, "check", broken)
    with pytest.raises(CompilerBug, match=r"check pass failed on c\.yb: KeyError"):
        compile_text(city(), "c.yb", root=root)


# ── several files: versions ──


def test_overlapping_versions_of_one_region_are_rejected(root):
    (root / "a.yb").write_text(city(start="2020-01-01", end="2021-06-30"), encoding="utf-8")
    (root / "b.yb").write_text(city(start="2021-01-01", end="2022-12-31"), encoding="utf-8")
    (root / "c.yb").write_text(city(code="370100", start="2020-01-01", end="2022-12-31"), encoding="utf-8")
    results = {r.path: r for r in compile_all(root)}
    assert sorted(results) == ["a.yb", "b.yb", "c.yb"]
    assert lines(results["a.yb"]) == [("a.yb", 3, "YB602")] and lines(results["b.yb"]) == [("b.yb", 3, "YB602")]
    assert results["a.yb"].ir is None and results["b.yb"].ir is None and results["c.yb"].ir is not None
    message = results["b.yb"].diagnostics[0].message
    assert "a.yb（2020-01-01 至 2021-06-30）" in message and results["b.yb"].diagnostics[0].related[0].file == "a.yb"


def test_consecutive_and_open_ended_versions(root):
    (root / "a.yb").write_text(city(start="2020-01-01", end="2020-12-31"), encoding="utf-8")
    (root / "b.yb").write_text(city(start="2021-01-01", end="").replace(" 至 \n", "\n"), encoding="utf-8")
    assert [r.diagnostics for r in compile_all(root)] == [[], []]
    (root / "c.yb").write_text(city(start="2030-01-01", end="2031-01-01"), encoding="utf-8")
    assert [(r.path, [d.code for d in r.diagnostics]) for r in compile_all(root)] == [
        ("a.yb", []), ("b.yb", ["YB602"]), ("c.yb", ["YB602"])]


def test_an_interval_that_ends_before_it_starts(root):
    result = compile_text(city(start="2021-01-01", end="2020-01-01"), "c.yb", root=root)
    assert [(ln, code) for _, ln, code in lines(result)] == [(3, "YB601")]


# ── robustness: a drafter's edit is never a traceback ──


def test_random_edits_of_the_real_rules_never_raise(tmp_path):
    shutil.copytree(REGULATIONS / "shandong", tmp_path / "shandong")
    original = DONGYING.read_text(encoding="utf-8").splitlines()
    words = ["职工", "三级", "社区", "0元", "85%", "2", "真", "应付起付线", "医院等级", "四级", "待定", "150%", "1.005元"]
    rng = random.Random(20180401)
    for _ in range(40):
        edited = list(original)
        j = rng.randrange(8, len(edited))
        tokens = edited[j].split(" ")
        k = rng.randrange(len(tokens))
        tokens[k] = rng.choice(words) if rng.random() < 0.8 else ""
        edited[j] = " ".join(tokens)
        result = compile_text("\n".join(edited) + "\n", "dongying/edited.yb", root=tmp_path)
        for d in result.diagnostics:
            assert d.span is not None and d.span.file in result.sources
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        assert (result.ir is None) == bool(errors)

"""The semantic hash (compiler/semantic.py, docs/ir.md "Semantic hash"): the IR's meaning apart from source positions.

Comments, layout, a file's name and the order of independent clauses leave it unchanged; any change of a
value (东营 第三十条's 三级 deductible 800元 → 1000元) changes it. The existing sha256 still covers positions.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from yibao.compiler.driver import compile_path
from yibao.compiler.semantic import semantic_form, semantic_sha256
from yibao.runtime import load

REGULATIONS = Path(__file__).resolve().parents[1] / "regulations"
DEDUCTIBLE = "住院起付标准 按 医院等级 200元 / 500元 / 800元 / 待定"


def copy_tree(tmp_path: Path) -> Path:
    root = tmp_path / "regs"
    shutil.copytree(REGULATIONS, root, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return root / "dongying" / "dongying-2018.yb"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def compiled(path: Path, root: Path) -> dict:
    result = compile_path(path, root=root)
    assert result.ir is not None, result.diagnostics
    return result.ir


def test_comments_blank_lines_and_the_order_of_clauses_keep_the_semantic_hash(tmp_path):
    city = copy_tree(tmp_path)
    root = city.parents[1]
    before = compiled(city, root)
    edit(city, DEDUCTIBLE, "\n\n    # 一条新的注释\n    " + DEDUCTIBLE + "   # 行尾注释")
    # two independent definitions of 第三十条 swapped
    edit(city, "    定义 本次住院免起付 = 本年计入住院次数 ≥ 2\n    定义 本次住院起付标准 = 若 本次住院免起付 则 0元 否则 住院起付标准\n",
         "    定义 本次住院起付标准 = 若 本次住院免起付 则 0元 否则 住院起付标准\n    定义 本次住院免起付 = 本年计入住院次数 ≥ 2\n")
    after = compiled(city, root)
    assert after["sha256"] != before["sha256"]  # positions moved: the content hash sees them
    assert after["semantic_sha256"] == before["semantic_sha256"]
    assert semantic_form(after) == semantic_form(before)


def test_a_changed_value_changes_the_semantic_hash(tmp_path):
    city = copy_tree(tmp_path)
    root = city.parents[1]
    before = compiled(city, root)
    edit(city, DEDUCTIBLE, DEDUCTIBLE.replace("800元", "1000元"))
    after = compiled(city, root)
    assert after["semantic_sha256"] != before["semantic_sha256"]
    assert after["semantic_sha256"] == semantic_sha256(after)


def test_the_sha256_is_unchanged_and_the_runtime_loads_ir_with_both_hashes():
    ir = compile_path(REGULATIONS / "dongying" / "dongying-2018.yb").ir
    golden = (Path(__file__).parent / "golden" / "dongying-2018.ir.json").read_text(encoding="utf-8")
    assert f'"sha256":"{ir["sha256"]}"' in golden and f'"semantic_sha256":"{ir["semantic_sha256"]}"' in golden
    assert load(ir).sha256 == ir["sha256"]
    without = {k: v for k, v in ir.items() if k != "semantic_sha256"}
    assert load(without).sha256 == ir["sha256"]  # an IR from before the semantic hash still loads


def test_the_formatter_keeps_every_bundled_regulations_semantic_hash(tmp_path):
    from yibao.compiler.driver import discover_regulations
    from yibao.compiler.format import format_source

    root = copy_tree(tmp_path).parents[1]
    before = {p.name: compiled(p, root)["semantic_sha256"] for p in discover_regulations(root)}
    for path in root.rglob("*.yb"):
        formatted = format_source(path.read_text(encoding="utf-8"), str(path))
        assert formatted.ok, path
        path.write_text("# 重新排版\n\n" + formatted.text, encoding="utf-8")
    after = {p.name: compiled(p, root)["semantic_sha256"] for p in discover_regulations(root)}
    assert after == before and len(before) == 4

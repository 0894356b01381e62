"""The CLI's IR cache (yibao/commands/irstore.py) and ``--ir``: settle without recompiling, never on a bad entry.

Each test has its own cache directory (``YIBAO_CACHE_DIR``). The expected bytes are those of the same case
settled from freshly compiled rules, so the cache can change nothing but time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from yibao.cli import main
from yibao.commands.irstore import INDEX, Store, source_key

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "examples" / "dongying-case.json"
DONGYING = ROOT / "regulations" / "dongying" / "dongying-2018.yb"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("YIBAO_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def entry_dir(cache: Path) -> Path:
    (entry,) = (cache / "ir").iterdir()
    return entry


def test_the_first_call_fills_the_cache_and_the_second_settles_from_it_alike(cache):
    first = run("settle", str(CASE))
    assert first.exit_code == 0, first.stderr
    index = json.loads((entry_dir(cache) / INDEX).read_text(encoding="utf-8"))
    assert sorted(item["region_code"] for item in index["regulations"]) == ["370500", "370600", "370800", "371300"]
    second = run("settle", str(CASE))
    assert (second.exit_code, second.stdout, second.stderr) == (0, first.stdout, "")


def test_a_cache_hit_imports_neither_the_compiler_nor_lark(cache):
    assert run("settle", str(CASE)).exit_code == 0
    check = ("import sys; from yibao.cli import main\n"
             "try:\n    main(['settle', sys.argv[1]])\nexcept SystemExit as e:\n    code = e.code\n"
             "assert code == 0, code\n"
             "assert 'lark' not in sys.modules and not any(m.startswith('yibao.compiler') for m in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", check, str(CASE)], capture_output=True, text=True,
                          env={**__import__("os").environ, "YIBAO_CACHE_DIR": str(cache)})
    assert proc.returncode == 0, proc.stderr


def test_a_corrupt_entry_is_reported_and_rebuilt_never_trusted(cache):
    expected = run("settle", str(CASE)).stdout
    (dongying,) = entry_dir(cache).glob("370500-*.ir.json")
    dongying.write_text(dongying.read_text(encoding="utf-8").replace('"money":80000', '"money":1'), encoding="utf-8")
    result = run("settle", str(CASE))
    assert result.exit_code == 0 and result.stdout == expected
    assert str(dongying) in result.stderr and "重新编译" in result.stderr and "sha256" in result.stderr
    again = run("settle", str(CASE))  # rebuilt: quiet again
    assert (again.stdout, again.stderr) == (expected, "")


def test_a_damaged_index_is_rebuilt(cache):
    expected = run("settle", str(CASE)).stdout
    (entry_dir(cache) / INDEX).write_text("{not json", encoding="utf-8")
    result = run("settle", str(CASE))
    assert result.stdout == expected and INDEX in result.stderr


def test_only_the_region_the_case_names_is_loaded(cache):
    expected = run("settle", str(CASE)).stdout
    for other in entry_dir(cache).glob("37[01][6-9]00-*.ir.json"):  # 烟台, 济宁: damaged, yet never read
        other.write_text("{}", encoding="utf-8")
    result = run("settle", str(CASE))
    assert (result.stdout, result.stderr) == (expected, "")


def test_the_key_changes_with_any_rule_file(tmp_path):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "regulations", rules)
    before = source_key(rules)
    path = rules / "dongying" / "dongying-2018.yb"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert source_key(rules) != before and Store(rules).key == source_key(rules)


def test_precompiled_ir_settles_as_the_compiled_rules_do(cache, tmp_path):
    ir = tmp_path / "dongying.ir.json"
    assert run("compile", str(DONGYING), "-o", str(ir)).exit_code == 0
    result = run("settle", str(CASE), "--ir", str(ir))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == run("settle", str(CASE)).stdout
    assert not (cache / "ir").exists() or len(list((cache / "ir").iterdir())) == 1  # --ir used no cache entry


def test_an_ir_file_with_a_bad_sha256_is_exit_2_naming_the_file(tmp_path):
    ir = tmp_path / "dongying.ir.json"
    assert run("compile", str(DONGYING), "-o", str(ir)).exit_code == 0
    ir.write_text(ir.read_text(encoding="utf-8").replace('"money":80000', '"money":1'), encoding="utf-8")
    result = run("settle", str(CASE), "--ir", str(ir))
    assert result.exit_code == 2 and result.stdout == ""
    assert str(ir) in result.stderr and "sha256" in result.stderr


def test_a_missing_ir_file_is_exit_2_naming_it(tmp_path):
    result = run("settle", str(CASE), "--ir", str(tmp_path / "none.json"))
    assert result.exit_code == 2 and "none.json" in result.stderr


def test_an_unwritable_cache_costs_time_never_a_result(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("YIBAO_CACHE_DIR", str(blocked / "cache"))  # under a file: nothing can be written
    result = run("settle", str(CASE))
    assert result.exit_code == 0 and result.stderr == "" and '"hifp_pay": 7820.00' in result.stdout

"""Hostile input (issue 11): each class of defect found by attacking yibao, with its regression test.

Limits are those of docs/limits.md (runtime/limits.py). Past each one the input is refused at once
with exit status 2 and a message naming the field or the place; never a hang, never a traceback.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from yibao.cli import main
from yibao.runtime import CaseError, load_case_text
from yibao.runtime.limits import MAX_AMOUNT_FEN, MAX_CASE_DEPTH
from yibao.runtime.values import yuan_to_fen

ROOT = Path(__file__).resolve().parents[1]
CASE = (ROOT / "examples" / "dongying-case.json").read_text(encoding="utf-8")
EMPLOYEE = {"region": "370500", "date": "2020-06-01", "avg_wage": 6000.00,
            "person": {"psn_no": "P9", "insutype": "310", "psn_type": "1101", "brdy": "1980-01-01", "gend": "1",
                       "employer_type": "企业", "wage": 5000.00, "pension": 0}}


def run(*args: str, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def settle_text(text: str):
    return run("settle", "-", input=text)


# ── 1. huge exponents and amounts: a documented range, refused at once ─────────────────────────


@pytest.mark.parametrize("amount", ["1e999999999", "1E+13", "1000000000000", "1e-999999999", "0E-999999999"])
def test_an_amount_outside_the_range_is_a_named_input_error_at_once(amount):
    result = settle_text(CASE.replace("10000.00", amount, 1))
    assert result.exit_code == 2 and result.stdout == ""
    assert "encounters[0].fees.01" in result.stderr and "金额" in result.stderr


def test_the_largest_amount_in_range_settles():
    assert yuan_to_fen(Decimal("999999999999.99")) == MAX_AMOUNT_FEN
    assert yuan_to_fen("999999999999.99") == MAX_AMOUNT_FEN
    assert yuan_to_fen(999999999999) == MAX_AMOUNT_FEN - 99
    for too_big in (Decimal("1000000000000"), "1000000000000", 1000000000000, Decimal("1e999999999")):
        with pytest.raises(ValueError, match="超出范围"):
            yuan_to_fen(too_big)


def test_a_wage_with_a_huge_exponent_is_refused_in_contribute():
    text = json.dumps(EMPLOYEE).replace("5000.0", "1e999999999")
    result = run("contribute", "-", input=text)
    assert result.exit_code == 2 and result.stdout == ""
    assert "person.wage" in result.stderr and "超出范围" in result.stderr


# ── 2. deep or huge JSON: exit 2 with a message, never a traceback ────────────────────────────


def test_a_case_nested_a_thousand_deep_is_exit_2_not_a_recursion_error():
    result = settle_text(CASE.replace('"chronic": []', '"chronic": ' + "[" * 1000 + "]" * 1000, 1))
    assert result.exit_code == 2 and result.stdout == "" and not isinstance(result.exception, RecursionError)
    assert f"嵌套超过 {MAX_CASE_DEPTH} 层" in result.stderr and "第 4 行" in result.stderr


@pytest.mark.parametrize("number", ["9" * 5000, "9" * 4000 + ".5", "1" + "0" * 45])
def test_a_number_with_thousands_of_digits_is_exit_2(number):
    result = settle_text(CASE.replace("10000.00", number, 1))
    assert result.exit_code == 2 and result.stdout == ""
    assert "位" in result.stderr and "Traceback" not in result.stderr


def test_a_long_digit_string_inside_a_json_string_is_not_a_number():
    text = CASE.replace('"P001"', '"' + "1" * 60 + '"', 1)
    assert load_case_text(text, "c.json")["person"]["psn_no"] == "1" * 60


def test_load_case_text_refuses_a_non_string():
    with pytest.raises(CaseError, match="应为文本"):
        load_case_text(b"{}", "c.json")


# ── 6. CLI edges ─────────────────────────────────────────────────────────────────────────────


def test_an_unwritable_output_path_is_exit_2_with_a_message(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = run("settle", str(ROOT / "examples" / "dongying-case.json"), "-o", str(blocker / "out.json"))
    assert result.exit_code == 2 and "无法写入输出文件" in result.stderr and "a-file 不是目录" in result.stderr
    assert not isinstance(result.exception, OSError)


def test_a_missing_rules_root_is_reported_as_such(tmp_path):
    result = run("settle", str(ROOT / "examples" / "dongying-case.json"), "--rules", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "规则根目录不存在" in result.stderr and "region" not in result.stderr
    result = run("settle", str(ROOT / "examples" / "dongying-case.json"), "--rules", str(tmp_path))
    assert result.exit_code == 2 and "没有城市规则文件" in result.stderr


def test_non_utf8_stdin_is_an_encoding_error_not_invalid_json():
    result = run("settle", "-", input=b"\xff\xfe{}")
    assert result.exit_code == 2 and "不是 UTF-8" in result.stderr and "JSON" in result.stderr
    assert "不是合法的 JSON" not in result.stderr


# ── 4. nesting: a documented limit with its own diagnostic, never a crash ────────────────────

DONGYING_TEXT = (ROOT / "regulations" / "dongying" / "dongying-2018.yb").read_text(encoding="utf-8")
ANCHOR = "    单位缴费比例 = 6.5%\n"


def city_with(tmp_path: Path, extra: str, anchor: str = ANCHOR, replace: str = None):
    """The 东营 file with ``extra`` lines after ``anchor`` (or ``anchor`` replaced by ``replace``), compiled
    under a copy of the bundled modules."""
    import shutil

    from yibao.compiler.driver import compile_path

    shutil.copytree(ROOT / "regulations" / "shandong", tmp_path / "shandong", dirs_exist_ok=True)
    (tmp_path / "dongying").mkdir(exist_ok=True)
    assert anchor in DONGYING_TEXT
    text = DONGYING_TEXT.replace(anchor, replace if replace is not None else anchor + extra, 1)
    path = tmp_path / "dongying" / "dongying-2018.yb"
    path.write_text(text, encoding="utf-8")
    return compile_path(path, root=tmp_path)


@pytest.mark.parametrize("line", [
    "    甲合计 = " + " + ".join(["1元"] * 500) + "\n",
    "    甲分支 = " + "".join(f"若 全省月平均工资 > {i}元 则 {i}元 否则 " for i in range(250)) + "0元\n",
    "    甲最大 = " + "最大(1元, " * 250 + "1元" + ")" * 250 + "\n",
])
def test_expressions_nested_past_the_limit_get_yb108_at_their_line(tmp_path, line):
    result = city_with(tmp_path, line)
    assert result.ir is None
    (d,) = [d for d in result.diagnostics if d.code == "YB108"]
    assert d.span.line == 13 and "100" in d.message


def test_an_expression_within_the_nesting_limit_compiles_and_runs(tmp_path):
    from yibao.runtime import Regulation

    result = city_with(tmp_path, "    甲合计 = " + " + ".join(["1元"] * 80) + "\n    例外 单位缴费比例 = 6.5% 当 甲合计 > 0元 优先级 3\n")
    assert result.ir is not None, [str(d) for d in result.diagnostics if d.severity.value == "error"]
    Regulation.from_ir(result.ir)


def test_ir_nested_600_deep_is_an_ir_error_not_a_recursion_error():
    from yibao.compiler.driver import compile_path
    from yibao.runtime import IRError, Regulation
    from yibao.runtime.ir import compute_sha256

    doc = compile_path(ROOT / "regulations" / "dongying" / "dongying-2018.yb").ir
    node = {"money": 1}
    for _ in range(600):
        node = {"op": "add", "args": [node, {"money": 1}]}
    doc["definitions"][0]["default"]["expr"] = node
    with pytest.raises(IRError, match="嵌套超过"):
        compute_sha256(doc)
    doc["sha256"] = "0" * 64
    with pytest.raises(IRError, match="嵌套超过"):
        Regulation.from_ir(doc)
    doc["definitions"][0]["default"]["expr"] = "DEEP"
    deep = '{"op":"add","args":[' * 600 + '{"money":1}' + ',{"money":1}]}' * 600  # json.dumps cannot write it
    with pytest.raises(IRError, match="嵌套超过"):
        Regulation.from_ir(text=json.dumps(doc).replace('"DEEP"', deep))


# ── 5. size: linear rendering, a documented limit ────────────────────────────────────────────


def test_rendering_splits_each_source_once(monkeypatch, tmp_path):
    from yibao.commands.common import render_all
    from yibao.compiler import diagnostics

    result = city_with(tmp_path, "".join(f"    甲{i} = {i}元\n" for i in range(300)))
    assert sum(d.code == "YB217" for d in result.diagnostics) >= 300
    diagnostics._split_lines.cache_clear()
    render_all(result)
    assert diagnostics._split_lines.cache_info().misses <= len(result.sources)


def test_carets_stay_under_the_span_past_line_10000():
    from yibao.compiler.ast import Span
    from yibao.compiler.diagnostics import diag, render

    text = "\n" * 12344 + "    甲 = 1元 + 乙\n"
    d = diag("YB201", Span(file="f.yb", line=12345, col=14, end_line=12345, end_col=15), name="乙")
    _, source, carets = render(d, {"f.yb": text}).split("\n")[:3]
    assert source.index("|") == carets.index("|")
    assert carets[carets.index("|") + 2:].index("^") == len("    甲 = 1元 + ") + 2  # 甲 and 元 take two columns each


def test_a_rule_file_past_the_size_limit_gets_yb109(tmp_path):
    from yibao.compiler._limits import MAX_CLAUSES

    result = city_with(tmp_path, "".join(f"    甲{i} = {i}元\n" for i in range(MAX_CLAUSES)))
    assert result.ir is None and [d.code for d in result.diagnostics] == ["YB109"]
    assert result.diagnostics[0].span.line == 1


# ── 3. check passes only what the runtime runs; one broken region does not block the others ───


def rules_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the bundled regulations with ``old`` replaced by ``new`` in ``file``."""
    import shutil

    root = tmp_path / "rules"
    shutil.copytree(ROOT / "regulations", root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


def line_of(root: Path, file: str, text: str) -> int:
    return next(i for i, line in enumerate((root / file).read_text(encoding="utf-8").splitlines(), 1) if text in line)


def dongying_errors(root: Path):
    from yibao.compiler.driver import compile_path

    result = compile_path(root / "dongying" / "dongying-2018.yb", root=root)
    assert result.ir is None
    return [d for d in result.diagnostics if d.severity.value == "error"]


def test_a_misspelt_contract_field_in_a_vocabulary_is_yb216_at_the_vocabulary(tmp_path):
    root = rules_with(tmp_path, "shandong/vocabulary.yb", "字段 encounter.med_type", "字段 encounter.med_typ")
    (d,) = dongying_errors(root)
    assert d.code == "YB216" and "encounter.med_typ" in d.message and "encounter.med_type" in d.hints[0]
    assert (d.span.file, d.span.line) == ("shandong/vocabulary.yb", line_of(root, "shandong/vocabulary.yb", "med_typ"))


def test_an_example_expecting_a_contribution_value_in_a_settlement_article_is_yb221(tmp_path):
    expect = "        期望 实际起付线=200元 统筹基金支付=760元"
    root = rules_with(tmp_path, "dongying/dongying-2018.yb", expect, expect + " 单位缴费=1元")
    (d,) = dongying_errors(root)
    assert d.code == "YB221" and "单位缴费" in d.message and "甲类费用" in d.message
    example_line = line_of(root, "dongying/dongying-2018.yb", expect + " 单位缴费") - 3  # 例 "…"： above 人员/就诊
    assert d.span.file == "dongying/dongying-2018.yb" and d.span.line == example_line


@pytest.mark.parametrize("replacement, reason, at", [
    ("", "缺少缴费输出 employer_amt", "输出 contribution."),  # nothing left to point at: the first output
    ("输出 contribution.employer_amt = 是居民参保\n", "应为 money", "contribution.employer_amt"),
])
def test_a_deleted_or_bool_contribution_output_is_yb901_in_the_model(tmp_path, replacement, reason, at):
    model = "shandong/contribution-model.yb"
    root = rules_with(tmp_path, model, "输出 contribution.employer_amt = 单位缴费\n", replacement)
    (d,) = dongying_errors(root)
    assert d.code == "YB901" and reason in d.message
    assert d.span.file == model and d.span.line == line_of(root, model, at)


def test_one_broken_region_does_not_block_contributions_elsewhere(tmp_path):
    expect = "        期望 实际起付线=200元 统筹基金支付=760元"
    root = rules_with(tmp_path, "dongying/dongying-2018.yb", expect, expect + " 单位缴费=1元")
    linyi = json.dumps({**EMPLOYEE, "region": "371300"})
    result = run("contribute", "-", "--rules", str(root), input=linyi)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["individual_amt"]  # computed by 临沂's rules
    result = run("contribute", "-", "--rules", str(root), input=json.dumps(EMPLOYEE))
    assert result.exit_code == 2 and result.stdout == ""
    assert "370500 东营市 的规则无法载入" in result.stderr and "YB221" in result.stderr
    result = run("settle", str(ROOT / "examples" / "dongying-case.json"), "--rules", str(root))
    assert result.exit_code == 2 and "370500 东营市 的规则无法载入" in result.stderr


# ── 7. the shipped modules checked on their own ──────────────────────────────────────────────


@pytest.mark.parametrize("module, users", [
    ("vocabulary.yb", 4), ("settlement-model.yb", 4), ("contribution-model.yb", 3)])
def test_a_shipped_module_checks_through_the_city_files_that_use_it(module, users):
    result = run("check", str(ROOT / "regulations" / "shandong" / module))
    assert result.exit_code == 0, result.output
    note = result.stdout.splitlines()[0]
    assert f"shandong/{module} 是共用模块" in note and note.count(".yb、") == users - 1
    assert "dongying/dongying-2018.yb" in note


def test_a_module_with_a_mistake_reports_it_at_its_own_line(tmp_path):
    root = rules_with(tmp_path, "shandong/vocabulary.yb", "字段 encounter.med_type", "字段 encounter.med_typ")
    result = run("check", str(root / "shandong" / "vocabulary.yb"), "--rules", str(root))
    assert result.exit_code == 2
    assert result.stdout.count("shandong/vocabulary.yb:26:1: 错误[YB216]") == 1  # once, though four cities use it


# ── found by tests/fuzz/test_fuzz_cases.py ───────────────────────────────────────────────────


@pytest.mark.parametrize("escape", ["\\ud800", "\\udc00", "a\\udfffb"])
def test_a_lone_surrogate_escape_is_refused_not_a_unicode_encode_error(escape):
    result = settle_text(CASE.replace('"mdtrt_id": "E1"', f'"mdtrt_id": "{escape}"', 1))
    assert result.exit_code == 2 and result.stdout == ""
    assert "encounters[0].mdtrt_id" in result.stderr and "代理项" in result.stderr


def test_a_surrogate_pair_escape_is_ordinary_text():
    case = load_case_text(CASE.replace('"P001"', '"\\ud83d\\ude00"', 1), "c.json")
    assert case["person"]["psn_no"] == "😀"


# ── 6. from_ir takes text or a path explicitly; malformed IR is an IRError with a path ───────


@pytest.fixture(scope="module")
def dongying_ir():
    from yibao.compiler.driver import compile_path

    return compile_path(ROOT / "regulations" / "dongying" / "dongying-2018.yb").ir


def test_from_ir_never_guesses_that_a_string_is_a_path(tmp_path, dongying_ir):
    from yibao.runtime import IRError, Regulation

    path = tmp_path / "d.ir.json"
    path.write_text(json.dumps(dongying_ir, ensure_ascii=False), encoding="utf-8")
    for ambiguous in ("", str(path), "/etc/passwd", "."):
        with pytest.raises(IRError, match="不是 JSON 文本；要读取文件请用 path="):
            Regulation.from_ir(ambiguous)
    assert Regulation.from_ir(path=str(path)).sha256 == dongying_ir["sha256"]
    assert Regulation.from_ir(path).sha256 == dongying_ir["sha256"]  # a pathlib.Path says what it is
    assert Regulation.from_ir(text=path.read_text(encoding="utf-8")).sha256 == dongying_ir["sha256"]
    with pytest.raises(IRError, match="只给出一个来源"):
        Regulation.from_ir(dongying_ir, path=str(path))
    with pytest.raises(IRError, match="path= 应为非空的文件路径"):
        Regulation.from_ir(path="")
    with pytest.raises(IRError, match="无法读取 IR 文件"):
        Regulation.from_ir(path=str(tmp_path))


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["regulation"].__setitem__("title", 7), r"\$\.regulation\.title: 应为字符串，得到 整数 7"),
    (lambda d: d["definitions"][0]["exceptions"].append(
        {"when": {"bool": True}, "expr": {"money": 1}, "priority": "2"}), r"exceptions\[\d+\]\.priority: 应为整数"),
    (lambda d: d["definitions"][0].__setitem__("notes", "x"), r"\$\.definitions\[0\]\.notes: 应为列表"),
    (lambda d: d["vocabularies"][0].__setitem__("aliases", []), r"\$\.vocabularies\[0\]\.aliases: 应为对象"),
    (lambda d: d["inputs"][0].__setitem__("field", None), r"\$\.inputs\[0\]\.field: 应为字符串，得到 null"),
    (lambda d: d["definitions"][1].__delitem__("default"), r"\$\.definitions\[1\]: 缺少字段 default"),
    (lambda d: d["outputs"][0].__setitem__("expr", {"ref": ["x"]}), r"\$\.outputs\[0\]\.expr\.ref: 应为字符串"),
    (lambda d: d["counters"][0].__setitem__("period", "month"), r"\$\.counters\[0\]\.period: 应为 year / quarter / case"),
    (lambda d: d["regulation"].__setitem__("effective", ["2018-04-01"]), r"regulation\.effective 应为 \[开始日期"),
    (lambda d: d["inputs"][0].__setitem__("name", "\udc00"), r"\$\.inputs\[0\]\.name: 字符串含有不成对的 UTF-16 代理项"),
    (lambda d: d.__setitem__("extension", {"k": "\udc00"}), r"不成对的 UTF-16 代理项"),
])
def test_malformed_ir_is_an_ir_error_naming_the_json_path(dongying_ir, mutate, message):
    import copy

    from yibao.runtime import IRError, Regulation

    doc = copy.deepcopy(dongying_ir)
    mutate(doc)
    with pytest.raises(IRError, match=message):
        Regulation.from_ir(doc)


def test_ir_text_with_a_5000_digit_integer_is_an_ir_error(dongying_ir):
    from yibao.runtime import IRError, Regulation

    text = json.dumps(dongying_ir, ensure_ascii=False).replace('{"money": 0}', '{"money": ' + "9" * 5000 + "}", 1)
    with pytest.raises(IRError, match="数字超过 30 位"):
        Regulation.from_ir(text=text)


def test_compile_of_a_module_says_it_is_one_and_test_runs_its_users():
    module = str(ROOT / "regulations" / "shandong" / "contribution-model.yb")
    result = run("compile", module)
    assert result.exit_code == 2 and result.stdout == "" and "模块不单独编译成 IR" in result.stderr
    result = run("test", module)
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    assert "东营市" in header and "临沂市" in header and "烟台市" in header and "济宁市" not in header

"""The formatter (compiler/format.py, ``yibao fmt``): idempotent, meaning-preserving, comment-preserving.

Meaning: the IR of the formatted rules equals the IR of the original apart from source positions (the
``at`` fields, and the hash over them), which move when a table is aligned or a blank line goes.
Comments: every comment survives, in order, on a line with the same code (or on a line of its own).
The three properties are checked on the bundled rule files, on perturbed copies of them (other
punctuation spellings, spacing and indentation) and on generated definitions.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.cli import main
from yibao.compiler.driver import compile_all, compile_text
from yibao.compiler.format import format_source
from yibao.compiler.parse import parse
from yibao.compiler.semantic import without_positions

ROOT = Path(__file__).resolve().parents[1]
REGULATIONS = ROOT / "regulations"
RULE_FILES = sorted(REGULATIONS.rglob("*.yb"))
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def formatted(text: str, file: str = "f.yb") -> str:
    result = format_source(text, file)
    assert result.ok, result.diagnostics
    return result.text


def comments(text: str) -> list[tuple[str, str]]:
    """Each comment with the code before it on its line, spaces removed (the formatter only moves spaces and
    spells punctuation one way, so the code is compared through the formatter's own reading of it)."""
    from yibao.compiler.format import read_line, _render  # the same tokenizer, so strings holding # are right

    out = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = read_line(raw)
        if line.comment is not None:
            out.append((line.comment, re.sub(r"\s+", "", _render(line.tokens))))
    return out


def assert_properties(text: str, file: str = "f.yb") -> str:
    once = formatted(text, file)
    assert formatted(once, file) == once, "formatting twice changes the text"
    assert comments(once) == comments(text)
    before, _ = parse(text, file)
    after, _ = parse(once, file)
    assert after == before
    return once


def test_a_messy_file_comes_out_in_the_house_style():
    messy = (
        '地区  东营市 370500\n施行 2018-04-01 ~ 2022-12-31\n\n\n第三十条【x】\n  # 说明\n  甲：金额 待定\n'
        '  乙=最小 ( 甲 ,1元)-(-2元)*3   # 行尾注释\n  丙 = 乙[医院等级 = 三级]\n'
        '  表 按 险种 × 医院等级 :\n     职工 : 95% /90%/85%／待定\n     灵活就业人员: 1元/2元/3元/4元\n'
        '  例 "x" ：\n     人员 险种 = 职工\n     期望 错误 YR01 ( 甲 )\n'
    )
    assert formatted(messy) == (
        "地区 东营市 370500\n施行 2018-04-01 — 2022-12-31\n\n第三十条【x】\n    # 说明\n    甲：金额 待定\n"
        "    乙 = 最小(甲, 1元) − (−2元) × 3  # 行尾注释\n    丙 = 乙[医院等级=三级]\n"
        "    表 按 险种 × 医院等级：\n        职工：        95% / 90% / 85% / 待定\n"
        "        灵活就业人员：1元 / 2元 / 3元 / 4元\n"
        "    例 \"x\"：\n        人员 险种=职工\n        期望 错误 YR01（甲）\n"
    )


def test_table_columns_align_by_display_width_not_by_characters():
    text = "第一条\n    表 按 险种 × 医院等级：\n        职工：待定 / 95%\n        居民：1元 / 2元\n"
    rows = formatted(text).splitlines()[2:]
    # 待定 is two characters but four columns wide: 1元 (three columns) is padded with one space, not two
    assert rows == ["        职工：待定 / 95%", "        居民：1元  / 2元"]


def test_words_are_never_joined_or_split():
    # 按医院等级 is one name and 按 医院等级 a keyword and a name: the formatter keeps each as written
    text = "第一条\n    甲 = 按医院等级 + 乙\n    丙 按 医院等级 1元 / 2元\n"
    assert formatted(text) == text


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_each_bundled_rule_file_formats_idempotently_keeping_its_comments(path):
    assert_properties(path.read_text(encoding="utf-8"), path.name)


def test_formatting_the_bundled_rules_keeps_their_ir_apart_from_positions(tmp_path):
    copy = tmp_path / "regulations"
    shutil.copytree(REGULATIONS, copy, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    for path in copy.rglob("*.yb"):
        path.write_text(formatted(path.read_text(encoding="utf-8"), path.name), encoding="utf-8")
    original = {r.path: r.ir for r in compile_all(REGULATIONS)}
    reformatted = {r.path: r.ir for r in compile_all(copy)}
    assert original.keys() == reformatted.keys() and all(original.values())
    for name in original:
        assert without_positions(reformatted[name]) == without_positions(original[name]), name


# ───────────────────────────── generated files ─────────────────────────────

# Other spellings of each house punctuation mark (grammar/yibao.lark): all read as the same terminal.
SPELLINGS = {"：": [":", "："], "=": ["＝"], "≠": ["!=", "！="], "≤": ["<=", "＜="], "≥": [">=", "＞="], "+": ["＋"],
             "−": ["-", "－"], "×": ["*", "＊"], "/": ["／"], ",": ["，", "、"], "(": ["（"], ")": ["）"],
             "[": ["［"], "]": ["］"], "{": ["｛"], "}": ["｝"]}
_PUNCT = re.compile("|".join(re.escape(k) for k in SPELLINGS))


def perturbed(text: str, rnd) -> str:
    """``text`` with code lines respelled and respaced at random (strings and comments untouched), the
    indentation in another consistent unit, and blank lines added. ``rnd`` is seeded by Hypothesis."""
    from yibao.compiler.format import read_line

    unit = rnd.choice(["  ", "\t", "\u3000", "      "])
    out = []
    for raw in text.split("\n"):
        width = len(raw) - len(raw.lstrip(" "))
        body = raw.lstrip(" ")
        if read_line(raw).tokens and rnd.random() < 0.3:
            body = _respell(rnd, body)
        out.append(unit * (width // 4) + body)
        if rnd.random() < 0.1:
            out.append("")
    return "\n".join(out)


_PROTECTED = re.compile(r'"(?:[^"\\\n]|\\.)*"|“[^”\n]*”|「[^」\n]*」|【[^】\n]*】|[#＃].*|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}')


def _respell(rnd, body: str) -> str:
    pieces, last = [], 0
    for match in _PROTECTED.finditer(body):
        pieces.append(_respell_code(rnd, body[last:match.start()]))
        pieces.append(match.group())
        last = match.end()
    pieces.append(_respell_code(rnd, body[last:]))
    return "".join(pieces)


def _respell_code(rnd, code: str) -> str:
    def one(match):
        glyph = rnd.choice([match.group(), *SPELLINGS[match.group()]])
        return rnd.choice(["", " ", "  "]) + glyph + rnd.choice(["", " "])
    return _PUNCT.sub(one, code)


@pytest.mark.parametrize("path", [REGULATIONS / "dongying" / "dongying-2018.yb", REGULATIONS / "shandong" / "settlement-model.yb"],
                         ids=lambda p: p.name)
def test_perturbed_rule_files_keep_the_three_properties(path):
    text = path.read_text(encoding="utf-8")

    @settings(FEW, max_examples=12)  # each example formats and parses a whole regulation three times
    @given(st.integers(0, 2**32))
    def check(seed):
        variant = perturbed(text, random.Random(seed))
        if parse(variant, path.name)[1]:  # a respelling the grammar does not accept here (e.g. ：for = in 人员)
            return
        assert_properties(variant, path.name)

    check()


NAMES = st.sampled_from(["甲", "乙", "起付标准", "𠀀费用", "x_1"])
ATOMS = st.one_of(NAMES, st.sampled_from(["1元", "200 元", "85%", "3次", "2", "真", "1.5万元"]))


def expressions():
    """Random expressions that parse: comparisons, conditionals and set tests are bracketed, since they
    do not chain or nest bare inside arithmetic."""
    return st.recursive(
        ATOMS,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "×", "*", "÷", "－"]), inner).map(" ".join),
            st.tuples(inner, st.sampled_from(["=", "<=", "≥", "！=", "＜"]), inner).map(lambda t: f"({' '.join(t)})"),
            inner.map(lambda e: f"（{e}）"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(st.sampled_from(["最小", "max", "介于"]), st.lists(inner, min_size=1, max_size=3)).map(
                lambda t: f"{t[0]}({'，'.join(t[1])})"),
            st.tuples(inner, inner, inner).map(lambda t: f"(若 {t[0]} 则 {t[1]} 否则 {t[2]})"),
            st.tuples(NAMES, st.lists(NAMES, min_size=1, max_size=3)).map(lambda t: f"({t[0]} 属于 ｛{'、'.join(t[1])}｝)"),
        ),
        max_leaves=6,
    )


@st.composite
def generated_files(draw) -> str:
    lines = ["地区 测试市 379900", "施行 2020-01-01"]
    for n in range(draw(st.integers(1, 4))):
        lines.append(f"第{'一二三四'[n]}条【第{n}】" + draw(st.sampled_from(["", "  # 标题注释"])))
        indent = draw(st.sampled_from(["  ", "    ", "\t"]))
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                lines.append(indent + draw(st.sampled_from(["# 注释", "＃ 全角注释 # 内含"])))
            name = draw(NAMES)
            lines.append(f"{indent}{name}{draw(st.sampled_from(['=', ' = ', '＝ ']))}{draw(expressions())}"
                         + draw(st.sampled_from(["", "   # 行尾 \"引号\""])))
        if draw(st.booleans()):
            lines.append(f"{indent}表{n} 按 险种 × 医院等级 :")
            for label in draw(st.lists(st.sampled_from(["职工", "灵活就业人员", "居民"]), min_size=1, max_size=3, unique=True)):
                cells = draw(st.lists(st.sampled_from(["95%", "1元", "待定", "不适用", "20000元"]), min_size=1, max_size=4))
                lines.append(f"{indent}    {label}{draw(st.sampled_from([':', '：', ' ⇒ ', ' ']))}{'/'.join(cells)}")
    return "\n".join(lines) + "\n"


@FEW
@given(generated_files())
def test_generated_files_keep_the_three_properties(text):
    once = assert_properties(text)
    # the IR, where the generated file compiles (names and units are random, so often it does not)
    before, after = compile_text(text, "f.yb"), compile_text(once, "f.yb")
    assert [d.code for d in after.diagnostics] == [d.code for d in before.diagnostics]
    assert without_positions(after.ir) == without_positions(before.ir)


# ───────────────────────────── the command ─────────────────────────────


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def test_fmt_check_exits_1_and_prints_a_diff_without_changing_the_file(tmp_path):
    path = tmp_path / "a.yb"
    path.write_text("第一条\n  甲=1元+2元\n", encoding="utf-8")
    result = run("fmt", "--check", str(path))
    assert result.exit_code == 1
    assert "-  甲=1元+2元\n+    甲 = 1元 + 2元\n" in result.stdout
    assert path.read_text(encoding="utf-8") == "第一条\n  甲=1元+2元\n"


def test_fmt_rewrites_the_file_and_then_check_passes(tmp_path):
    path = tmp_path / "a.yb"
    path.write_text("第一条\n  甲=1元+2元\n", encoding="utf-8")
    assert run("fmt", str(path)).exit_code == 0
    assert path.read_text(encoding="utf-8") == "第一条\n    甲 = 1元 + 2元\n"
    assert run("fmt", "--check", str(tmp_path)).exit_code == 0


def test_fmt_of_a_file_that_does_not_parse_changes_nothing_reports_and_exits_2(tmp_path):
    path = tmp_path / "bad.yb"
    text = "第一条\n  甲 = (\n  乙=1元\n"
    path.write_text(text, encoding="utf-8")
    result = run("fmt", str(path))
    assert result.exit_code == 2
    assert "bad.yb:2:" in result.stderr and "YB101" in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_fmt_of_invalid_utf8_or_a_missing_file_exits_2(tmp_path):
    (tmp_path / "bin.yb").write_bytes(b"\xff\xfe")
    assert run("fmt", str(tmp_path / "bin.yb")).exit_code == 2
    result = run("fmt", str(tmp_path / "none.yb"))
    assert result.exit_code == 2 and "none.yb" in result.stderr


def test_fmt_reads_stdin_and_writes_stdout():
    result = run("fmt", "-", input="第一条\n  甲=1元\n")
    assert (result.exit_code, result.stdout) == (0, "第一条\n    甲 = 1元\n")

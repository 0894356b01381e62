"""Section-style articles (条目 "二（二）1") and articles declared not applicable (不涉及), from the
grammar to the IR's ``articles`` list."""

from __future__ import annotations

from pathlib import Path

import pytest

from yibao.compiler import ast as A
from yibao.compiler.build import build_ast
from yibao.compiler.driver import compile_text
from yibao.compiler.parse import parse
from yibao.runtime import Regulation

BROKEN = Path(__file__).parent / "broken"

HEADER = '地区 测试市 379900\n标题 "条目测试"\n施行 2020-01-01 至 2020-12-31\n采用 测试共用\n\n'


def read_ok(text: str) -> A.RuleFile:
    tree, diagnostics = parse(text, "t.yb")
    assert diagnostics == [], [(d.code, d.message) for d in diagnostics]
    rule_file, more = build_ast(tree, "t.yb")
    assert more == []
    return rule_file


def articles(rule_file: A.RuleFile) -> list[A.Article]:
    return [i for i in rule_file.items if isinstance(i, A.Article)]


def strip(node):
    """A node without spans, to compare ASTs written differently."""
    if isinstance(node, tuple):
        return tuple(strip(n) for n in node)
    if hasattr(node, "__attrs_attrs__"):
        return (type(node).__name__, *(strip(getattr(node, a.name)) for a in node.__attrs_attrs__ if a.name != "span"))
    return node


# ── syntax ──


def test_section_header_has_a_label_and_no_number():
    rule_file = read_ok('条目 "二（二）1"【明确筹资标准】\n    a = 1\n    b = 2\n')
    (art,) = articles(rule_file)
    assert (art.number, art.label, art.title) == (None, "二（二）1", "明确筹资标准")
    assert [c.name for c in art.clauses] == ["a", "b"]


def test_section_takes_an_inline_clause_and_a_block_like_an_article():
    rule_file = read_ok('条目 "二（三）2" 起付标准 = 200元\n    c = 1\n条目 “附则”\n    d = 2\n')
    first, closing = articles(rule_file)
    assert [c.name for c in first.clauses] == ["起付标准", "c"]
    assert (closing.label, closing.title, [c.name for c in closing.clauses]) == ("附则", None, ["d"])


def test_section_label_is_trimmed():
    (art,) = articles(read_ok('条目 「 附则 」\n    a = 1\n'))
    assert art.label == "附则"


def test_not_applicable_inside_an_article():
    (art,) = articles(read_ok('第五十九条【举报】\n    不涉及 "举报 30日 内答复，属行政程序"\n'))
    assert art.number == 59
    assert art.clauses == (A.NotApplicableDecl(reason="举报 30日 内答复，属行政程序", span=art.clauses[0].span),)


def test_english_keywords_give_the_same_ast():
    chinese = read_ok('条目 "二（二）1"【筹资】\n    不涉及 "缴费"\n第五十九条 不涉及 "行政"\n')
    english = read_ok('section "二（二）1"【筹资】\n    not_applicable "缴费"\n第五十九条 not_applicable "行政"\n')
    assert strip(chinese.items) == strip(english.items)


def test_section_and_not_applicable_are_reserved_words():
    rule_file = read_ok("条目数 = 1\n不涉及项 = 2\n")
    assert [i.name for i in rule_file.items] == ["条目数", "不涉及项"]
    _, diagnostics = parse("条目 = 1\n", "t.yb")
    assert [d.code for d in diagnostics] == ["YB101"]


def test_indented_section_header_is_refused_with_the_column_1_hint():
    _, diagnostics = parse('第三十条\n    a = 1\n    条目 "x"\n', "t.yb")
    (d,) = diagnostics
    assert (d.code, d.span.line) == ("YB101", 3) and "顶格" in d.hints[0]


def test_error_after_a_section_header_keeps_its_clauses():
    tree, diagnostics = parse('条目 "二（二）1"【x】 d = 1 1\n    e = 2\n', "t.yb")
    assert [(d.code, d.span.line) for d in diagnostics] == [("YB101", 1)]
    rule_file, _ = build_ast(tree, "t.yb")
    (art,) = articles(rule_file)
    assert (art.label, [c.name for c in art.clauses]) == ("二（二）1", ["e"])


# ── resolve and lower ──


def compile_ok(body: str) -> dict:
    result = compile_text(HEADER + body, "city.yb", root=BROKEN)
    assert result.ir is not None, [(d.code, d.message) for d in result.diagnostics]
    return result.ir


def test_ir_lists_the_city_articles_in_source_order():
    ir = compile_ok(
        '条目 "二（二）1"【明确筹资标准】\n    不涉及 "缴费比例，本文件只编码结算"\n'
        "article 30\n    输出 hifp_pay = 甲类费用\n"
        '第五十九条【举报】\n    不涉及 "举报答复期限"\n    不涉及 "属行政程序"\n'
        '条目 "附则"\n    施行 2020-01-01 至 2020-12-31\n'
    )
    assert ir["articles"] == [
        {"label": "二（二）1", "title": "明确筹资标准", "at": "city.yb:6:1", "not_applicable": "缴费比例，本文件只编码结算"},
        {"label": "第三十条", "title": None, "at": "city.yb:8:1", "not_applicable": None},
        {"label": "第五十九条", "title": "举报", "at": "city.yb:10:1", "not_applicable": "举报答复期限；属行政程序"},
        {"label": "附则", "title": None, "at": "city.yb:13:1", "not_applicable": None},
    ]
    output = next(o for o in ir["outputs"] if o["field"] == "hifp_pay")
    assert output["article"] == "第三十条"


def test_elements_cite_a_section_by_its_label():
    ir = compile_ok('条目 "二（三）2"\n    输出 hifp_pay = 甲类费用\n')
    output = next(o for o in ir["outputs"] if o["field"] == "hifp_pay")
    assert output["article"] == "二（三）2"


def test_a_file_without_articles_has_an_empty_list():
    assert compile_ok("")["articles"] == []


def test_the_runtime_loads_ir_with_articles():
    ir = compile_ok('条目 "附则"\n    不涉及 "无"\n')
    Regulation.from_ir(ir)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('不涉及 "x"\n', "YB219"),
        ('条目 ""\n    不涉及 "x"\n', "YB220"),
        ('条目 "附则"\n    不涉及 "x"\n条目 "附则"\n    不涉及 "y"\n', "YB203"),
        ('第三十条\n    不涉及 "x"\n条目 "第三十条"\n    不涉及 "y"\n', "YB203"),
    ],
)
def test_section_mistakes(body, code):
    result = compile_text(HEADER + body, "city.yb", root=BROKEN)
    assert result.ir is None
    assert [d.code for d in result.diagnostics if d.severity.value == "error"] == [code]

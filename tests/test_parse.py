"""The front end: grammar, parse pass (syntax diagnostics and recovery) and build pass (AST)."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import logging
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from lark import Lark

from yibao.compiler import ast as A
from yibao.compiler.build import build_ast
from yibao.compiler.parse import decode, parse

ROOT = Path(__file__).resolve().parents[1]
REAL_FILES = [
    ROOT / "regulations" / "shandong" / "vocabulary.yb",
    ROOT / "regulations" / "shandong" / "settlement-model.yb",
    ROOT / "regulations" / "dongying" / "dongying-2018.yb",
]


def read(text: str, file: str = "t.yb") -> tuple[A.RuleFile, list]:
    """Parse and build; both passes' diagnostics together."""
    tree, diagnostics = parse(text, file)
    assert tree is not None
    rule_file, more = build_ast(tree, file)
    return rule_file, diagnostics + more


def read_ok(text: str, file: str = "t.yb") -> A.RuleFile:
    rule_file, diagnostics = read(text, file)
    assert diagnostics == [], [(d.code, str(d.span), d.message) for d in diagnostics]
    return rule_file


def only(text: str):
    """The single item of a one-item file."""
    (item,) = read_ok(text).items
    return item


def shape(node):
    """A node without its spans (and an article without its label), to compare ASTs written differently."""
    if attrs.has(type(node)):
        fields = (f.name for f in attrs.fields(type(node)) if f.name not in ("span", "label", "path"))
        return (type(node).__name__,) + tuple((name, shape(getattr(node, name))) for name in fields)
    if isinstance(node, tuple):
        return tuple(shape(x) for x in node)
    return node


def article(rule_file: A.RuleFile, number: int) -> A.Article:
    (found,) = [i for i in rule_file.items if isinstance(i, A.Article) and i.number == number]
    return found


def clause(art: A.Article, kind: type, **fields):
    matches = [c for c in art.clauses if isinstance(c, kind) and all(getattr(c, k) == v for k, v in fields.items())]
    assert len(matches) == 1, (kind.__name__, fields, matches)
    return matches[0]


def codes(diagnostics) -> list[tuple[int, str]]:
    return [(d.span.line, d.code) for d in diagnostics]


# ───────────────────────────── the grammar itself ─────────────────────────────


def test_grammar_is_lalr_without_conflicts(caplog):
    grammar = importlib.resources.files("yibao.grammar").joinpath("yibao.lark").read_text(encoding="utf-8")
    with caplog.at_level(logging.DEBUG, logger="lark"):
        Lark(grammar, parser="lalr", lexer="basic", debug=True)
    assert not [r for r in caplog.records if "conflict" in r.getMessage().lower()]


def test_every_tree_node_has_a_builder_method():
    from yibao.compiler.build import _Builder
    from yibao.compiler.parse import get_parser

    names = set()
    for rule in get_parser().rules:
        name = rule.alias or rule.origin.name
        if rule.options.expand1 and not rule.alias or str(name).startswith("_"):
            continue
        names.add(str(name))
    assert {"article", "table_grid", "keyed_entry", "in_set", "error_expectation"} <= names
    assert [n for n in sorted(names) if not callable(getattr(_Builder, n, None))] == []


# ───────────────────────────── the real rule files ─────────────────────────────


@pytest.fixture(scope="module")
def real():
    out = {}
    for path in REAL_FILES:
        tree, diagnostics = parse(path.read_text(encoding="utf-8"), str(path))
        assert tree is not None
        rule_file, more = build_ast(tree, str(path))
        out[path.stem] = (rule_file, diagnostics + more)
    return out


@pytest.mark.parametrize("stem", [p.stem for p in REAL_FILES])
def test_real_files_parse_and_build_without_diagnostics(real, stem):
    rule_file, diagnostics = real[stem]
    assert diagnostics == [], [(d.code, str(d.span), d.message) for d in diagnostics]
    assert rule_file.items


def test_vocabulary_file(real):
    rule_file, _ = real["vocabulary"]
    assert rule_file.items[0] == A.ModuleDecl(name="山东基本医疗保险词表", span=rule_file.items[0].span)
    level = next(i for i in rule_file.items if isinstance(i, A.VocabularyDecl) and i.name == "医院等级")
    assert (level.english, level.field) == ("level", "encounter.dedc_hosp_lv")
    assert [(m.name, m.code) for m in level.members] == [("一级", "1"), ("二级", "2"), ("三级", "3"), ("未定级", "9")]
    inputs = {i.name: i for i in rule_file.items if isinstance(i, A.InputDecl)}
    assert inputs["甲类费用"].type.base is A.BaseType.MONEY and inputs["甲类费用"].field == "encounter.fees.01"
    assert inputs["本人年缴费基数"].optional is True and inputs["甲类费用"].optional is False
    # 非 is a keyword, but 非定点 is one name
    assert inputs["非定点"].type.base is A.BaseType.FLAG and inputs["非定点"].field == "encounter.flags"


def test_settlement_model_file(real):
    rule_file, _ = real["settlement-model"]
    defs = {i.name: i for i in rule_file.items if isinstance(i, A.Definition)}
    in_set = defs["是住院"].expr
    assert isinstance(in_set, A.InSet) and in_set.value.name == "医疗类别"
    assert [m.name for m in in_set.members] == ["普通住院", "外伤住院", "转外诊治住院", "急诊转住院"]
    is_outpatient = defs["是普通门诊"].expr  # 定义 是普通门诊 = 医疗类别 = 普通门诊
    assert isinstance(is_outpatient, A.Binary) and is_outpatient.op is A.BinaryOp.EQ
    counters = {i.name: i for i in rule_file.items if isinstance(i, A.CounterDecl)}
    assert counters["本年合并限额已付"].period is A.Period.YEAR
    assert counters["本年合并限额已付"].cuminfo == "hifp_pay_pooled"
    params = {i.name: i.type.base for i in rule_file.items if isinstance(i, A.ParamDecl)}
    assert params["统筹支付比例"] is A.BaseType.RATE and params["计入合并限额"] is A.BaseType.BOOL
    outputs = {i.field: i.expr for i in rule_file.items if isinstance(i, A.OutputDecl)}
    assert outputs["maf_pay"] == A.MoneyLit(yuan=Decimal(0), span=outputs["maf_pay"].span)
    assert outputs["hifp_pay"].name == "统筹基金支付"


def test_dongying_header_and_article_28(real):
    rule_file, _ = real["dongying-2018"]
    region = rule_file.items[0]
    assert isinstance(region, A.RegionDecl) and (region.name, region.code) == ("东营市", "370500")
    art = article(rule_file, 28)
    assert (art.label, art.title) == ("第二十八条", "统筹基金最高支付限额")
    limit = clause(art, A.TableDef, name="统筹基金年度限额")
    assert [d.name for d in limit.dims] == ["险种"]
    assert [c.yuan for c in limit.body.cells] == [Decimal(200000), Decimal(160000)]


def test_dongying_article_30_deductible_table_and_exception(real):
    art = article(real["dongying-2018"][0], 30)
    assert clause(art, A.AliasDecl, alias="社区").target == "一级"
    table = clause(art, A.TableDef, name="住院起付标准")
    assert [d.name for d in table.dims] == ["医院等级"]
    assert isinstance(table.body, A.PositionalCells) and len(table.body.cells) == 4
    assert [c.yuan for c in table.body.cells[:3]] == [Decimal(200), Decimal(500), Decimal(800)]
    assert isinstance(table.body.cells[3], A.OpenCell)
    exception = clause(art, A.ExceptionDef, target="住院应付起付线")
    assert exception.priority == 1
    assert exception.condition.name == "转院"
    assert isinstance(exception.expr, A.IfExpr) and isinstance(exception.expr.otherwise, A.Call)
    assert exception.expr.otherwise.func is A.Func.MAX
    counter = clause(art, A.CounterDecl, name="本年计入住院次数")
    assert (counter.type.base, counter.period, counter.cuminfo) == (A.BaseType.COUNT, A.Period.YEAR, "admissions")
    assert clause(art, A.CounterDecl, name="上次住院起付标准").period is A.Period.CASE
    example = clause(art, A.Example, title="第三次住院不设起付标准")
    assert [type(line).__name__ for line in example.lines] == [
        "PersonLine", "EncounterLine", "ExpectLine", "EncounterLine", "ExpectLine", "EncounterLine", "ExpectLine"]
    last = example.lines[-1].expectations
    assert [(e.name, e.value.yuan) for e in last] == [("实际起付线", Decimal(0)), ("统筹基金支付", Decimal(1800))]


def test_dongying_two_dimensional_tables(real):
    rule_file, _ = real["dongying-2018"]
    table = clause(article(rule_file, 31), A.TableDef, name="住院支付比例")
    assert [d.name for d in table.dims] == ["险种", "医院等级"]
    assert [row.key for row in table.body] == ["职工", "居民"]
    employee, resident = table.body
    assert [c.value for c in employee.cells.cells[:3]] == [Decimal("0.95"), Decimal("0.9"), Decimal("0.85")]
    assert [c.value for c in resident.cells.cells[:3]] == [Decimal("0.9"), Decimal("0.75"), Decimal("0.6")]
    assert isinstance(employee.cells.cells[3], A.OpenCell)
    outpatient = clause(article(rule_file, 33), A.TableDef, name="门诊支付比例")
    assert [type(c).__name__ for c in outpatient.body[1].cells.cells] == [
        "OpenCell", "NotApplicableCell", "NotApplicableCell", "NotApplicableCell"]


def test_dongying_examples_expectations_and_flags(real):
    rule_file, _ = real["dongying-2018"]
    art33 = article(rule_file, 33)
    excluded = clause(art33, A.Example, title="职工三级医院普通门诊不予支付")
    assert isinstance(excluded.lines[-1].expectations[0], A.ExcludedExpectation)
    open_rate = clause(art33, A.Example, title="居民普通门诊比例待定")
    (error,) = open_rate.lines[-1].expectations
    assert error.code == "YR01"
    art38 = article(rule_file, 38)
    encounter = clause(art38, A.Example, title="非定点医疗机构就诊不予支付").lines[1]
    flags = [a for a in encounter.assignments if a.value is None]
    assert [a.name for a in flags] == ["非定点"]
    assert clause(art38, A.Exclusion).condition.op is A.BinaryOp.AND


def test_dongying_lookup_exception_open_value_and_dates(real):
    rule_file, _ = real["dongying-2018"]
    art39 = article(rule_file, 39)
    reductions = [c for c in art39.clauses if isinstance(c, A.ExceptionDef)]
    assert [c.priority for c in reductions] == [1, 1]
    minus = reductions[0].expr
    assert minus.op is A.BinaryOp.SUB and minus.right.value == Decimal("0.1")
    assert isinstance(minus.left, A.Lookup) and minus.left.name == "住院支付比例"
    ((dimension, key),) = minus.left.overrides
    assert (dimension, key.name) == ("医院等级", "三级")
    open_value = clause(article(rule_file, 40), A.OpenDecl, name="生育应付起付线")
    assert open_value.type is None and "另行" not in open_value.name and open_value.reason.startswith("计划生育")
    effective = clause(article(rule_file, 72), A.EffectiveDecl)
    assert (effective.start, effective.end) == (dt.date(2018, 4, 1), dt.date(2022, 12, 31))


# ───────────────────────────── syntax forms ─────────────────────────────


def test_design_card_line():
    art = only("第三十条 起付标准 by level 200/500/800")
    assert (art.number, art.label, art.title) == (30, "第三十条", None)
    (table,) = art.clauses
    assert table.name == "起付标准" and [d.name for d in table.dims] == ["level"]
    assert [c.value for c in table.body.cells] == [Decimal(200), Decimal(500), Decimal(800)]
    assert all(isinstance(c, A.NumberLit) for c in table.body.cells)


def test_article_headers():
    rule_file = read_ok("第一百零五条【标题】\n    a = 1\narticle 30\nArticle 7 b = 2\n第一次住院 = 1\n")
    first, second, third, definition = rule_file.items
    assert (first.number, first.title, len(first.clauses)) == (105, "标题", 1)
    assert (second.number, second.label, second.clauses) == (30, "article 30", ())
    assert (third.number, third.clauses[0].name) == (7, "b")
    assert first.span.line == 1 and first.span.end_line == 2
    # 第一次住院 does not end in 条 after the numerals: it is a name
    assert isinstance(definition, A.Definition) and definition.name == "第一次住院"


def test_literals():
    rule_file = read_ok(
        "a = 200元\nb = 20万元\nc = 1.5万元\nd = 200 元\ne = 85%\nf = 8.5％\ng = 2次\nh = 2\ni = 0.5\n"
        "j = 2018-04-01\nk = 真\nl = 假\nm = 100%\n"
    )
    values = {d.name: d.expr for d in rule_file.items}
    assert values["a"] == A.MoneyLit(yuan=Decimal("200"), span=values["a"].span)
    assert [values[k].yuan for k in "abcd"] == [Decimal(200), Decimal(200000), Decimal(15000), Decimal(200)]
    assert str(values["b"].yuan) == "200000" and str(values["e"].value) == "0.85"
    assert [values[k].value for k in "ef"] == [Decimal("0.85"), Decimal("0.085")]
    assert values["g"] == A.CountLit(value=2, span=values["g"].span)
    assert [values[k].value for k in "hi"] == [Decimal(2), Decimal("0.5")]
    assert values["j"].value == dt.date(2018, 4, 1)
    assert (values["k"].value, values["l"].value) == (True, False)
    assert values["m"].value == Decimal(1)
    assert values["a"].span == A.Span(file="t.yb", line=1, col=5, end_line=1, end_col=9)


def test_strings_in_three_quote_styles():
    rule_file = read_ok('标题 "东营市\\"办法\\""\n文号 “东政发〔2018〕1号”\n依据 「山东省“办法”」\n')
    assert [i.text for i in rule_file.items] == ['东营市"办法"', "东政发〔2018〕1号", "山东省“办法”"]


def test_header_items():
    rule_file = read_ok("地区 东营市 370500\n模块 甲\n采用 乙\n施行 2018-04-01\n施行 2018-04-01 — 2019-01-01\n施行 2018-04-01 ~ 2019-01-01\n")
    region, module, use, open_ended, dash, tilde = rule_file.items
    assert (region.code, module.name, use.name) == ("370500", "甲", "乙")
    assert (open_ended.start, open_ended.end) == (dt.date(2018, 4, 1), None)
    assert dash.end == tilde.end == dt.date(2019, 1, 1)


def test_expression_precedence():
    expr = only("x = 若 a 或 b 且 非 c = d 则 1元 + 2元 × 3 否则 若 e 则 -f 否则 最小(g, h)\n").expr
    assert isinstance(expr, A.IfExpr)
    cond = expr.cond
    assert cond.op is A.BinaryOp.OR and cond.right.op is A.BinaryOp.AND
    negation = cond.right.right
    assert negation.op is A.UnaryOp.NOT and negation.operand.op is A.BinaryOp.EQ
    assert expr.then.op is A.BinaryOp.ADD and expr.then.right.op is A.BinaryOp.MUL
    assert isinstance(expr.otherwise, A.IfExpr)
    assert expr.otherwise.then == A.Unary(op=A.UnaryOp.NEG, operand=A.NameRef(name="f", span=expr.otherwise.then.operand.span),
                                          span=expr.otherwise.then.span)
    assert expr.otherwise.otherwise.func is A.Func.MIN
    subtraction = only("x = a − b − c\n").expr  # left-associative
    assert subtraction.left.op is A.BinaryOp.SUB and subtraction.right.name == "c"
    grouped = only("x = (a + b) ÷ 2\n").expr
    assert grouped.op is A.BinaryOp.DIV and grouped.left.op is A.BinaryOp.ADD


def test_comparisons_do_not_chain():
    _, diagnostics = read("x = a < b < c\n")
    assert codes(diagnostics) == [(1, "YB101")]


@pytest.mark.parametrize(
    "op, expected",
    [("=", "EQ"), ("==", "EQ"), ("＝", "EQ"), ("≠", "NE"), ("!=", "NE"), ("<", "LT"), ("＜", "LT"), ("<=", "LE"),
     ("≤", "LE"), (">", "GT"), ("＞", "GT"), (">=", "GE"), ("≥", "GE"), ("+", "ADD"), ("＋", "ADD"), ("-", "SUB"),
     ("－", "SUB"), ("−", "SUB"), ("×", "MUL"), ("*", "MUL"), ("÷", "DIV")],
)
def test_operator_spellings(op, expected):
    assert only(f"x = a {op} b\n").expr.op is A.BinaryOp[expected]


def test_calls_lookups_and_sets():
    expr = only("x = 介于(四舍五入(a), 0元, 表[医院等级=三级, 险种=职工]) 属于 {甲, 乙、丙}\n").expr
    assert isinstance(expr, A.InSet) and [m.name for m in expr.members] == ["甲", "乙", "丙"]
    clamp = expr.value
    assert clamp.func is A.Func.CLAMP and len(clamp.args) == 3 and clamp.args[0].func is A.Func.ROUND
    lookup = clamp.args[2]
    assert lookup.name == "表" and [(d, k.name) for d, k in lookup.overrides] == [("医院等级", "三级"), ("险种", "职工")]


def test_full_width_punctuation_gives_the_same_ast():
    ascii_text = (
        "词表 医院等级 (level) 字段 encounter.lv:\n    一级 = \"1\"\n"
        "定义 甲: 金额 = 最大(a - 1元, b + 2元) * 85% + (c)\n"
        "乙 = a != b\n"
        "丙 按 医院等级 一级 80%, 二级 70%; 其余 不适用\n"
    )
    full_width = (
        "词表 医院等级 （level） 字段 encounter.lv：\n    一级 ＝ \"1\"\n"
        "定义 甲：金额 ＝ 最大（a － 1元，b ＋ 2元） × 85％ ＋ （c）\n"
        "乙 ＝ a ≠ b\n"
        "丙 按 医院等级 一级 80%，二级 70%；其余 不适用\n"
    )
    assert shape(read_ok(ascii_text)) == shape(read_ok(full_width))


CHINESE = """\
模块 测试
地区 测试市 379900
标题 "测试"
文号 "〔2018〕1号"
依据 "省办法"
采用 山东
施行 2018-04-01 至 2022-12-31
词表 医院等级 (level) 字段 encounter.dedc_hosp_lv：
    一级 = "1"
    二级 = "2"
社区 按 一级
输入 甲类费用：金额 字段 encounter.fees.01 可缺
输入 标记：标志 字段 person.flags
参数 比例甲：比例
第三十条【起付】
    起付标准 按 医院等级 200元 / 待定
    支付比例 按 医院等级 一级 80%，其余 不适用
    门诊线 按 医院等级：
        一级：门诊应付起付线
        其余 0元
    二维 按 险种 × 医院等级：
        职工：95% / 90%
        居民：一级 90%，其余 不适用
    开放值：金额 待定 "另行制定"
    定义 甲：金额 = 若 非 是住院 且 a ≥ 2 或 b 属于 {x, y} 则 最小(1元, 2元) 否则 四舍五入(c × 85%) + 介于(d, 0元, 1万元)
    乙：日期 = 2018-01-01
    丙：布尔 = 真
    丁：次数 = 假
    例外 甲 = 甲 − 10% 当 转院 优先级 2
    计数器 次数甲：次数 每季 接收 "k"
    计数器 次数乙：医院等级 每年
    计数器 次数丙：次数 每案
    更新 次数甲 = 次数甲 + 1次
    不予支付 "理由" 当 假
    输出 hifp_pay = 表甲[医院等级=三级]
    解释 "读作"
    例 "例一"：
        人员 险种=职工 扶贫对象
        就诊 结算日期=2019-01-10 甲类费用=-5元 比例乙=8.5%
        期望 甲=1元 不予支付 错误 YR01
        期望 错误
"""

ENGLISH = """\
module 测试
region 测试市 379900
title "测试"
docno "〔2018〕1号"
basis "省办法"
use 山东
effective 2018-04-01 to 2022-12-31
vocabulary 医院等级 (level) field encounter.dedc_hosp_lv:
    一级 = "1"
    二级 = "2"
社区 as 一级
input 甲类费用: money field encounter.fees.01 optional
input 标记: flag field person.flags
parameter 比例甲: rate
article 30 【起付】
    起付标准 by 医院等级 200元 / open
    支付比例 by 医院等级 一级 80%, others na
    门诊线 by 医院等级:
        一级: 门诊应付起付线
        others 0元
    二维 by 险种 * 医院等级:
        职工: 95% / 90%
        居民: 一级 90%, others na
    开放值: money open "另行制定"
    define 甲: money = if not 是住院 and a >= 2 or b in {x, y} then min(1元, 2元) else round(c * 85%) + clamp(d, 0元, 1万元)
    乙: date = 2018-01-01
    丙: bool = true
    丁: count = false
    exception 甲 = 甲 - 10% when 转院 priority 2
    counter 次数甲: count per_quarter cuminfo "k"
    counter 次数乙: 医院等级 per_year
    counter 次数丙: count per_case
    update 次数甲 = 次数甲 + 1次
    exclude "理由" when false
    output hifp_pay = 表甲[医院等级=三级]
    interpretation "读作"
    example "例一":
        person 险种=职工 扶贫对象
        encounter 结算日期=2019-01-10 甲类费用=-5元 比例乙=8.5%
        expect 甲=1元 exclude error YR01
        expect error
"""


def test_english_keywords_give_the_same_ast_as_chinese():
    chinese, english = read_ok(CHINESE), read_ok(ENGLISH)
    assert shape(chinese) == shape(english)
    art = article(chinese, 30)
    assert [type(c).__name__ for c in art.clauses] == [
        "TableDef", "TableDef", "TableDef", "TableDef", "OpenDecl", "Definition", "Definition", "Definition",
        "Definition", "ExceptionDef", "CounterDecl", "CounterDecl", "CounterDecl", "CounterUpdate", "Exclusion",
        "OutputDecl", "Interpretation", "Example"]
    types = {c.name: c.type for c in art.clauses if isinstance(c, A.Definition)}
    assert [types[n].base for n in "甲乙丙丁"] == [A.BaseType.MONEY, A.BaseType.DATE, A.BaseType.BOOL, A.BaseType.COUNT]
    vocabulary_typed = clause(art, A.CounterDecl, name="次数乙").type
    assert (vocabulary_typed.base, vocabulary_typed.vocabulary) == (None, "医院等级")


def test_table_forms():
    art = article(read_ok(CHINESE), 30)
    keyed = clause(art, A.TableDef, name="支付比例").body
    assert isinstance(keyed, A.KeyedCells)
    assert [(e.key, type(e.cell).__name__) for e in keyed.entries] == [("一级", "RateLit"), (None, "NotApplicableCell")]
    block = clause(art, A.TableDef, name="门诊线").body
    assert isinstance(block, A.KeyedCells)
    assert [(e.key, shape(e.cell)) for e in block.entries] == [
        ("一级", ("NameRef", ("name", "门诊应付起付线"))), (None, ("MoneyLit", ("yuan", Decimal(0))))]
    grid = clause(art, A.TableDef, name="二维")
    assert [d.name for d in grid.dims] == ["险种", "医院等级"]
    assert isinstance(grid.body[0].cells, A.PositionalCells) and isinstance(grid.body[1].cells, A.KeyedCells)
    assert read_ok("x 按 d 一级 ⇒ 1元，二级 => 2元\n").items[0].body.entries[1].cell.yuan == Decimal(2)
    negative = read_ok("x 按 d -1元 / -5% / -2 / 真\n").items[0].body.cells
    assert [shape(c)[1][1] for c in negative] == [Decimal(-1), Decimal("-0.05"), Decimal(-2), True]
    three = read_ok("x 按 a × b × c：\n    甲：1 / 2\n").items[0]
    assert len(three.dims) == 3  # the checker reports YB405, not the parser


def test_example_lines():
    example = article(read_ok(CHINESE), 30).clauses[-1]
    person, encounter, expect, bare = example.lines
    assert [(a.name, shape(a.value)) for a in person.assignments] == [
        ("险种", ("NameRef", ("name", "职工"))), ("扶贫对象", None)]
    assert [shape(a.value) for a in encounter.assignments] == [
        ("DateLit", ("value", dt.date(2019, 1, 10))), ("MoneyLit", ("yuan", Decimal(-5))), ("RateLit", ("value", Decimal("0.085")))]
    assert [type(e).__name__ for e in expect.expectations] == ["ValueExpectation", "ExcludedExpectation", "ErrorExpectation"]
    assert expect.expectations[2].code == "YR01"
    assert bare.expectations[0].code is None


def test_keywords_and_names_are_separated_by_spaces():
    # 按医院等级 is one name, so the table line is a syntax error, with a hint
    _, diagnostics = read("X 按医院等级 200元\n")
    (d,) = diagnostics
    assert (d.code, d.span.line, d.span.col) == ("YB101", 1, 3)
    assert "「按」" in d.message and "名称「按医院等级」" in d.message
    assert any("按 医院等级" in h for h in d.hints)
    # a name equal to a keyword is the keyword
    assert only("x = 真\n").expr.value is True
    # a name that starts with a keyword is a name
    assert only("x = 非定点 且 非 急诊\n").expr.left.name == "非定点"


def test_comments_blank_lines_and_tabs():
    rule_file = read_ok("# 注释\n\n第三十条  # 行尾注释\n\n    # 缩进的注释\n  ＃ 另一种注释\n\ta = 1\n    b = 2\n\nc = 3")
    art, c = rule_file.items
    assert [x.name for x in art.clauses] == ["a", "b"] and c.name == "c"


def test_windows_line_endings_and_bom():
    rule_file = read_ok("\ufeff第三十条\r\n    a = 1\r\n")
    assert rule_file.items[0].clauses[0].span.line == 2


# ───────────────────────────── diagnostics and recovery ─────────────────────────────


def test_three_independent_errors_give_three_diagnostics():
    text = (
        "地区 测试市 379900\n"
        "第三十条\n"
        "    起付标准 = 200元 +\n"
        "    支付比例 = 85% 85%\n"
        "    上限 = (1000元\n"
        "    正确 = 100元\n"
    )
    tree, diagnostics = parse(text, "t.yb")
    assert codes(diagnostics) == [(3, "YB101"), (4, "YB101"), (5, "YB101")]
    assert "应为 表达式" in diagnostics[0].message
    assert "「85%」" in diagnostics[1].message and "行尾" in diagnostics[1].message
    assert "「）」" in diagnostics[2].message
    assert (diagnostics[0].span.col, diagnostics[2].span.col) == (18, 16)
    rule_file, more = build_ast(tree, "t.yb")
    assert more == [] and [c.name for c in rule_file.items[1].clauses] == ["正确"]


def test_expected_tokens_read_as_keywords():
    _, diagnostics = read("支付比例 医院等级\n")
    (d,) = diagnostics
    assert d.message == "此处不应出现 名称「医院等级」；应为 「=」、「as」、「不适用」、「待定」、「按」、「按年度」或「：」"


def test_missing_colon_after_block_header():
    _, diagnostics = read('词表 X (x) 字段 a.b\n    一级 = "1"\n    二级 = "2"\ny = 1\n')
    (d,) = diagnostics
    assert (d.code, d.span.line, d.span.col) == ("YB101", 1, 16) and "「：」" in d.message


def test_block_header_without_block():
    _, diagnostics = read('例 "x"：\ny = 1\nz = \n')
    assert codes(diagnostics) == [(1, "YB101"), (3, "YB101")]
    assert "缩进" in diagnostics[0].message
    _, at_end = read('y = 1\n例 "x"：')
    assert codes(at_end) == [(2, "YB107")]


def test_bad_block_line_drops_its_emptied_header_too():
    rule_file, diagnostics = read("词表 X：\n    一级 = 1元\ny = 1\n")
    assert codes(diagnostics) == [(2, "YB101")]
    assert [type(i).__name__ for i in rule_file.items] == ["Definition"]


def test_error_in_article_header_keeps_its_clauses():
    text = "第三十条【住院\n    a = 1 +\n    b = 2\n第三十一条【x】 d = 1 1\n    e = 2 2\n"
    rule_file, diagnostics = read(text)
    assert codes(diagnostics) == [(1, "YB102"), (2, "YB101"), (4, "YB101"), (5, "YB101")]
    assert diagnostics[0].hints
    assert [a.number for a in rule_file.items] == [30, 31]
    assert [c.name for c in rule_file.items[0].clauses] == ["b"]


def test_indented_article_header():
    _, diagnostics = read("第三十条\n    a = 1\n    第三十一条【x】\n")
    (d,) = diagnostics
    assert (d.code, d.span.line) == ("YB101", 3) and "顶格" in d.hints[0]


def test_unexpected_characters():
    _, diagnostics = read("y = 1 @ 2\nz = 2 $\nw = 3\n标题 \"未闭合\n")
    assert codes(diagnostics) == [(1, "YB102"), (2, "YB102"), (4, "YB102")]
    assert "「@」" in diagnostics[0].message and diagnostics[0].span.col == 7
    assert diagnostics[2].hints


def test_inconsistent_indentation():
    _, diagnostics = read("第三十条\n        a = 1\n    b = 2\nc = 3\n")
    assert codes(diagnostics) == [(3, "YB103")]
    _, too_deep = read("第三十条\n    a = 1\n      b = 2\n    c = 3\n")
    assert codes(too_deep) == [(3, "YB103")]


def test_bad_article_numeral():
    rule_file, diagnostics = read("第十十条\n    a = 1\n")
    assert codes(diagnostics) == [(1, "YB104")] and "第十十条" in diagnostics[0].message
    assert rule_file.items[0].number == 0 and rule_file.items[0].clauses[0].name == "a"
    _, two = read("第两百条\n")
    assert codes(two) == [(1, "YB104")]


def test_bad_dates():
    _, diagnostics = read("施行 2018-02-30 至 2018-13-01\nx = 2019-02-29\ny = 2020-02-29\n")
    assert codes(diagnostics) == [(1, "YB105"), (1, "YB105"), (2, "YB105")]
    assert "2018-02-30" in diagnostics[0].message


def test_priority_must_be_whole():
    _, diagnostics = read("例外 a = 1 当 b 优先级 1.5\n")
    assert codes(diagnostics) == [(1, "YB101")] and "整数" in diagnostics[0].message
    assert only("例外 a = 1 当 b 优先级 3.0\n").priority == 3


def test_too_many_errors_stop_with_no_tree():
    tree, diagnostics = parse("@\n" * 300, "t.yb")
    assert tree is None and len(diagnostics) == 100


def test_empty_and_comment_only_files():
    assert read_ok("").items == ()
    assert read_ok("# 只有注释").items == ()


def test_decode():
    assert decode("第三十条\n".encode("utf-8-sig"), "t.yb") == ("第三十条\n", [])
    text, diagnostics = decode("a = 1\nb = 甲".encode("utf-8")[:-1] + b"\xff", "t.yb")
    assert text is None and codes(diagnostics) == [(2, "YB106")]
    assert diagnostics[0].span.col == 5


def test_every_example_in_the_language_reference_parses():
    doc = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    blocks = [b.split("\n", 1)[1] for b in doc.split("```")[1::2] if b.startswith("\n")]
    assert len(blocks) >= 10
    for block in blocks:
        read_ok(block, "language.md")

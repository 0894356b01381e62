"""The resolve pass: one symbol table for a city and its modules, every name bound or reported."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from yibao.compiler import ast as A
from yibao.compiler._binding import Namespace
from yibao.compiler._program import MemberBinding, SelfBinding, SymbolKind, ValueBinding
from yibao.compiler.build import build_ast
from yibao.compiler.parse import parse
from yibao.compiler.resolve import resolve

MODULE = """模块 基础
词表 险种 (insutype) 字段 person.insutype：
    职工 = "310"
    居民 = "390"
词表 医院等级 (level) 字段 encounter.dedc_hosp_lv：
    一级 = "1"
    二级 = "2"
    三级 = "3"
词表 人群 字段 person.group：
    职工 = "A"
    其他 = "B"
输入 甲类费用：金额 字段 encounter.fees.01
输入 急诊：标志 字段 encounter.flags
输入 年龄：次数 字段 person.age
参数 支付比例：比例
计数器 本年已付：金额 每年
定义 基数 = 甲类费用
"""
HEADER = '地区 测试市 379900\n标题 "测试"\n施行 2020-01-01 至 2020-12-31\n采用 基础\n'  # lines 1–4


def ast_of(text: str, file: str) -> A.RuleFile:
    tree, found = parse(text, file)
    assert not found, found
    rule_file, found = build_ast(tree, file)
    assert not found, found
    return rule_file


def resolved(body: str, header: str = HEADER):
    city = ast_of(header + body, "city.yb")
    return resolve(city, {"基础": ast_of(MODULE, "base.yb")})


def codes(diagnostics) -> list[tuple[int, str]]:
    return sorted((d.span.line, d.code) for d in diagnostics)


def ref_named(program, name: str) -> list[A.NameRef]:
    return [r for r in program.bindings if r.name == name]


# ── header, articles, symbols ──


def test_header_and_effective_article():
    program, found = resolved("支付比例 = 85%\n第七十二条\n    施行 2021-01-01\n", header='地区 测试市 379900\n采用 基础\n')
    assert found == []
    h = program.header
    assert (h.region_name, h.region_code, h.title) == ("测试市", "379900", None)
    assert (h.effective_start, h.effective_end, h.effective_article) == (dt.date(2021, 1, 1), None, "第七十二条")


def test_article_labels_are_canonical_and_clauses_cite_them():
    program, _ = resolved("article 30\n    支付比例 = 85%\n第三十一条\n    甲 = 1元\n")
    labels = {d.name: d.article for d in program.definitions}
    assert labels == {"基数": None, "支付比例": "第三十条", "甲": "第三十一条"}


def test_duplicate_article_cites_the_first():
    _, found = resolved("第三十条\n    支付比例 = 85%\n第三十条\n    甲 = 1元\n")
    assert codes(found) == [(7, "YB203")]
    assert "city.yb:5:1" in found[0].message


def test_missing_region_and_effective_are_reported_once_each():
    _, found = resolved("支付比例 = 85%\n", header="采用 基础\n")
    assert [d.code for d in found] == ["YB212", "YB212"]
    assert all(d.span.line == 1 for d in found)


def test_module_parameters_and_implicit_vocabulary_inputs():
    program, found = resolved("支付比例 = 85%\n")
    assert found == []
    assert [i.name for i in program.inputs][:3] == ["险种", "医院等级", "人群"]
    assert program.inputs[0].field == "person.insutype"
    rate = program.definition("支付比例")
    assert rate.declared.base is A.BaseType.RATE  # the model parameter's type
    assert rate.in_city and not program.definition("基数").in_city
    assert program.files == ("base.yb", "city.yb")


def test_city_definition_of_a_parameter_is_not_a_duplicate_but_a_second_one_is():
    _, found = resolved("支付比例 = 85%\n第三十条\n    支付比例 = 90%\n")
    assert codes(found) == [(7, "YB202")]
    assert "city.yb:5:1" in found[0].message and found[0].related[0].line == 5


def test_redefining_a_module_definition_is_a_duplicate():
    _, found = resolved("支付比例 = 85%\n基数 = 100元\n")
    assert codes(found) == [(6, "YB202")]
    assert "base.yb:17:1" in found[0].message


def test_parameter_neither_given_nor_open_points_at_the_use():
    _, found = resolved("甲 = 1元\n")
    assert codes(found) == [(4, "YB207")]
    assert "支付比例" in found[0].message
    assert found[0].related[0].file == "base.yb"


def test_open_declaration_satisfies_a_parameter():
    program, found = resolved('支付比例 待定 "按省规定"\n')
    assert found == []
    assert program.definition("支付比例").node.reason == "按省规定"


def test_unknown_module_suggests_the_closest_and_silences_the_echoes():
    _, found = resolved("甲 = 甲类费用 + 1元\n", header='地区 测试市 379900\n施行 2020-01-01\n采用 基出\n')
    assert codes(found) == [(3, "YB206")]  # not also YB201 for 甲类费用, which the module would declare
    assert any("基础" in h for h in found[0].hints)


# ── names ──


def test_unknown_name_gets_did_you_mean():
    _, found = resolved("支付比例 = 85%\n甲 = 甲类费 + 1元\n")
    assert codes(found) == [(6, "YB201")]
    assert "甲类费" in found[0].message
    assert any("甲类费用" in h for h in found[0].hints)


def test_value_names_members_and_aliases_bind():
    program, found = resolved("支付比例 = 85%\n社区 按 一级\n高 = 医院等级 = 社区 且 本年已付 > 基数\n")
    assert found == []
    b = program.bindings
    assert b[ref_named(program, "医院等级")[0]] == ValueBinding(name="医院等级", kind=SymbolKind.INPUT)
    assert b[ref_named(program, "社区")[0]] == MemberBinding(candidates=(("医院等级", "一级"),))
    assert b[ref_named(program, "本年已付")[0]].kind is SymbolKind.COUNTER
    assert b[ref_named(program, "基数")[0]].kind is SymbolKind.DEFINITION
    assert dict(program.vocabulary("level").aliases) == {"社区": "一级"}


def test_member_of_two_vocabularies_is_left_to_the_checker():
    program, found = resolved("支付比例 = 85%\n是职工 = 险种 = 职工\n")
    assert found == []
    assert program.bindings[ref_named(program, "职工")[0]].candidates == (("险种", "职工"), ("人群", "职工"))


def test_qualified_member_picks_one_vocabulary():
    # YB205 tells the drafter to write 词表.成员; the namespace resolves that spelling (the grammar
    # must also accept the dot for a drafter to use it).
    program, _ = resolved("支付比例 = 85%\n")
    ns = Namespace(program.vocabularies)
    assert ns.members("职工") == (("险种", "职工"), ("人群", "职工"))
    assert ns.members("人群.职工") == (("人群", "职工"),)
    assert ns.members("insutype.居民") == (("险种", "居民"),)
    assert ns.members("人群.居民") == ()


def test_exception_target_inside_the_exception_is_the_value_so_far():
    program, found = resolved("支付比例 = 85%\n例外 基数 = 基数 + 1元 当 急诊 且 基数 > 0元 优先级 2\n")
    assert found == []
    assert {program.bindings[r] for r in ref_named(program, "基数")} == {SelfBinding(target="基数")}
    (exc,) = program.exceptions["基数"]
    assert exc.node.priority == 2 and exc.article is None


def test_exception_without_a_default():
    _, found = resolved("支付比例 = 85%\n第三十条\n    例外 免起付 = 真 当 急诊\n")
    assert codes(found) == [(7, "YB211")]


def test_counter_updates_are_attached_and_checked():
    program, found = resolved("支付比例 = 85%\n更新 本年已付 = 本年已付 + 基数\n更新 本年已付 = 0元\n更新 基数 = 1元\n")
    assert codes(found) == [(7, "YB209"), (8, "YB208")]
    (counter,) = program.counters
    assert counter.update.node.span.line == 6


# ── tables ──


def test_table_dimensions_by_name_or_english_name():
    program, found = resolved("支付比例 按 level 80% / 70% / 60%\n额 按 险种 × 医院等级：\n    职工：1元 / 2元 / 3元\n    居民：1元 / 2元 / 3元\n")
    assert found == []
    assert program.definition("支付比例").dims == ("医院等级",)
    assert program.definition("额").dims == ("险种", "医院等级")


def test_table_dimension_must_be_a_vocabulary_with_a_field():
    body = '支付比例 = 85%\n词表 档次：\n    一档 = "1"\n甲 按 基数 1元\n乙 按 档次 1元\n丙 按 档位 1元\n'
    program, found = resolved(body)
    assert codes(found) == [(8, "YB210"), (9, "YB408"), (10, "YB201")]
    assert not program.definition("甲").dims_ok


# ── interpretations and examples ──


def test_interpretation_attaches_to_the_nearest_defining_clause_of_its_article():
    body = (
        "第三十条\n    支付比例 = 85%\n    例外 支付比例 = 90% 当 急诊\n    不予支付 \"x\" 当 急诊\n    解释 \"转院读作…\"\n"
        "第三十一条\n    解释 \"无主\"\n"
    )
    program, found = resolved(body)
    assert found == []
    first, second = program.interpretations
    assert (first.subject, first.article, second.subject) == ("支付比例", "第三十条", None)
    # written right after the exception, the note explains that exception (shown only where it applies)
    assert program.definition("支付比例").notes == ()
    assert program.exceptions["支付比例"][0].notes == ("转院读作…",)


def test_example_lines_may_only_set_inputs_of_their_level():
    body = (
        "支付比例 = 85%\n例 \"x\"：\n    期望 基数=1元\n    人员 甲类费用=1元 本年已付=5元\n"
        "    就诊 年龄=3 急诊 险种=职工 未知=1\n    期望 基数=1元\n"
    )
    _, found = resolved(body)
    assert codes(found) == [(7, "YB215"), (8, "YB214"), (9, "YB213"), (9, "YB214"), (9, "YB214")]


# ── an AST built by hand (resolve needs no parser) ──


def _span(line: int, file: str = "hand.yb") -> A.Span:
    return A.Span(file=file, line=line, col=1, end_line=line, end_col=2)


def test_resolve_works_on_a_hand_built_ast():
    s = _span
    module = A.RuleFile(path="m.yb", span=s(1, "m.yb"), items=(
        A.ModuleDecl(name="模", span=s(1, "m.yb")),
        A.InputDecl(name="费用", type=A.TypeRef(base=A.BaseType.MONEY, vocabulary=None, span=s(2, "m.yb")),
                    field="encounter.fees.01", optional=False, span=s(2, "m.yb")),
    ))
    use = A.NameRef(name="费用", span=s(5))
    typo = A.NameRef(name="费", span=s(6))
    city = A.RuleFile(path="hand.yb", span=s(1), items=(
        A.RegionDecl(name="甲市", code="370000", span=s(1)),
        A.EffectiveDecl(start=dt.date(2020, 1, 1), end=None, span=s(2)),
        A.UseDecl(name="模", span=s(3)),
        A.Article(number=30, label="第三十条", title=None, span=s(4), clauses=(
            A.Definition(name="甲", type=None, span=s(5),
                         expr=A.Binary(op=A.BinaryOp.ADD, left=use, right=A.MoneyLit(yuan=Decimal(1), span=s(5)), span=s(5))),
            A.Definition(name="乙", type=None, expr=typo, span=s(6)),
        )),
    ))
    program, found = resolve(city, {"模": module})
    assert codes(found) == [(6, "YB201")]
    assert program.bindings[use] == ValueBinding(name="费用", kind=SymbolKind.INPUT)
    assert typo not in program.bindings
    assert program.definition("甲").article == "第三十条"

"""The check pass: units and types, tables, cycles, conflicting exceptions, topological order."""

from __future__ import annotations

from decimal import Decimal

from yibao.compiler import ast as A
from yibao.compiler.build import build_ast
from yibao.compiler.check import check
from yibao.compiler.diagnostics import Severity
from yibao.compiler.parse import parse
from yibao.compiler.resolve import resolve
from yibao.compiler._types import Unit

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
输入 转院：标志 字段 encounter.flags
输入 年龄：次数 字段 person.age
计数器 本年已付：金额 每年
"""
HEADER = '地区 测试市 379900\n施行 2020-01-01\n采用 基础\n'  # the body starts on line 4


def _ast(text: str, file: str) -> A.RuleFile:
    tree, found = parse(text, file)
    assert not found, found
    rule_file, found = build_ast(tree, file)
    assert not found, found
    return rule_file


def checked(body: str):
    program, found = resolve(_ast(HEADER + body, "city.yb"), {"基础": _ast(MODULE, "base.yb")})
    assert found == [], found
    return check(program)


def errors(body: str) -> list[tuple[int, str]]:
    _, found = checked(body)
    return sorted((d.span.line, d.code) for d in found if d.severity is Severity.ERROR)


def only(body: str, code: str):
    _, found = checked(body)
    found = [d for d in found if d.severity is Severity.ERROR]
    assert [d.code for d in found] == [code], found
    return found[0]


# ── units ──


def test_money_plus_rate_is_a_unit_error():
    d = only("率 = 85%\n应付 = 甲类费用 + 率\n", "YB301")
    assert d.span.line == 5 and d.message == "单位不符：金额 + 比例"


def test_unit_algebra():
    program, found = checked(
        "率 = 85%\n"
        "乘积 = 甲类费用 × 率\n"  # exact money
        "取整 = 四舍五入(乘积)\n"
        "比较 = 乘积 > 甲类费用\n"  # exact money compares with money
        "差 = 乘积 − 甲类费用\n"  # exact − money → exact
        "折回 = 甲类费用 ÷ 率\n"
        "人次 = 年龄 × 甲类费用\n"  # count × money → money
        "复合 = 率 × 率 − 10%\n"
        "无害 = 四舍五入(甲类费用)\n"  # rounding whole money is a no-op, not an error
        "界 = 介于(甲类费用, 0元, 100元)\n"
    )
    assert [d for d in found if d.severity is Severity.ERROR] == []
    t = {n: program.types[n].unit for n in ("乘积", "取整", "比较", "差", "折回", "人次", "复合", "无害", "界")}
    assert t == {"乘积": Unit.EXACT, "取整": Unit.MONEY, "比较": Unit.BOOL, "差": Unit.EXACT, "折回": Unit.EXACT,
                 "人次": Unit.MONEY, "复合": Unit.RATE, "无害": Unit.MONEY, "界": Unit.MONEY}


def test_unit_errors_in_functions_and_comparisons():
    assert errors("率 = 85%\n甲 = 最大(甲类费用, 率)\n乙 = 甲类费用 > 率\n丙 = 四舍五入(率)\n丁 = 甲类费用 × 甲类费用\n") == [
        (5, "YB301"), (6, "YB301"), (7, "YB309"), (8, "YB301")]


def test_unrounded_money_cannot_be_an_output_or_counter_update_or_declared_money():
    body = "率 = 85%\n输出 hifp_pay = 甲类费用 × 率\n更新 本年已付 = 本年已付 + 甲类费用 × 率\n甲：金额 = 甲类费用 × 率\n"
    assert errors(body) == [(5, "YB303"), (6, "YB303"), (7, "YB303")]
    assert errors("率 = 85%\n输出 hifp_pay = 四舍五入(甲类费用 × 率)\n") == []


def test_bare_numbers_take_their_unit_from_the_context():
    program, found = checked("甲 = 甲类费用 + 5\n乙 = 年龄 + 1\n丙 = 若 急诊 则 2 否则 0\n丁 = 年龄 ≥ 2\n输出 maf_pay = 7\n")
    assert [d for d in found if d.severity is Severity.ERROR] == []
    units = {lit.value: unit for lit, unit in program.literal_units.items()}
    assert units == {Decimal(5): Unit.MONEY, Decimal(1): Unit.COUNT, Decimal(2): Unit.COUNT, Decimal(0): Unit.COUNT,
                     Decimal(7): Unit.MONEY}
    assert program.types["丙"].unit is Unit.COUNT  # nothing says money: a bare number counts


def test_definitions_of_bare_numbers_take_the_unit_of_their_first_use():
    program, found = checked("起付 按 level 200 / 500 / 800\n应付 = 最小(起付, 甲类费用)\n次 = 2\n多 = 年龄 > 次\n闲 = 3\n")
    assert [d for d in found if d.severity is Severity.ERROR] == []
    assert program.tables["起付"].type.unit is Unit.MONEY and program.types["起付"].unit is Unit.MONEY
    assert {lit.value: u for lit, u in program.literal_units.items() if lit.value >= 200} == {
        Decimal(200): Unit.MONEY, Decimal(500): Unit.MONEY, Decimal(800): Unit.MONEY}
    assert (program.types["次"].unit, program.types["闲"].unit) == (Unit.COUNT, Unit.COUNT)
    assert errors("甲 = 5\n乙 = 甲类费用 + 甲\n丙 = 年龄 + 甲\n") == [(6, "YB301")]
    assert errors("率 按 level 0.9 / 0.8 / 0.7\n乙 = 甲类费用 × 率 > 甲类费用\n") == [(4, "YB307")] * 3


def test_bare_number_where_a_rate_is_needed():
    d = only("率：比例 = 0.85\n", "YB307")
    assert "0.85" in d.message
    assert errors("率 = 85%\n甲 = 率 − 0.1\n") == [(5, "YB307")]
    assert errors("甲 = 甲类费用 × 0.9\n乙 = 甲类费用 × 2\n") == [(4, "YB307")]  # a count is whole


def test_money_literal_must_be_whole_fen_and_counts_whole():
    assert errors("甲 = 200.005元\n乙 = 年龄 + 1.5\n") == [(4, "YB306"), (5, "YB311")]


def test_rate_out_of_range_only_for_bare_literals():
    assert errors("甲 = 110%\n乙 = 85%\n丙 = 乙 − 110%\n") == [(4, "YB308")]


def test_declared_types_and_parameter_types():
    module_param = "参数 率：比例\n"
    assert errors("定义 甲：比例 = 100元\n") == [(4, "YB302")]
    assert errors("定义 甲：险种 = 职工\n定义 乙：医院等级 = 职工\n") == [(5, "YB204")]
    assert errors(module_param + "率：金额 = 100元\n") == [(5, "YB302")]
    assert errors(module_param + "率 = 100元\n") == [(5, "YB302")]


def test_conditions_must_be_boolean():
    assert errors("甲 = 1元\n例外 甲 = 0元 当 甲类费用\n不予支付 \"x\" 当 年龄\n乙 = 若 年龄 则 1元 否则 0元\n") == [
        (5, "YB304"), (6, "YB304"), (7, "YB304")]


def test_function_arity():
    assert errors("甲 = 四舍五入(200元, 300元)\n乙 = 最小(甲类费用)\n丙 = 介于(1元, 2元)\n") == [
        (4, "YB305"), (5, "YB305"), (6, "YB305")]


def test_membership_and_members_by_context():
    program, found = checked("甲 = 险种 = 职工\n乙 = 人群 ≠ 职工\n丙 = 医院等级 属于 {一级, 二级}\n")
    assert [d for d in found if d.severity is Severity.ERROR] == []
    picked = sorted(program.members.values())
    assert picked == [("人群", "职工"), ("医院等级", "一级"), ("医院等级", "二级"), ("险种", "职工")]
    assert errors("甲 = 医院等级 属于 {一级, 居民}\n乙 = 年龄 属于 {一级}\n") == [(4, "YB204"), (5, "YB301")]


def test_member_of_two_vocabularies_without_context_is_ambiguous():
    assert errors("甲：险种 = 若 急诊 则 居民 否则 职工\n") == []
    _, found = checked("乙 = 若 急诊 则 职工 否则 职工\n")
    assert [(d.code, d.span.col) for d in found if d.severity is Severity.ERROR] == [("YB205", 12), ("YB205", 18)]
    assert "险种" in found[0].message and "人群" in found[0].message


# ── tables ──


def test_tables_expand_completely_in_member_order():
    program, found = checked(
        "甲 按 医院等级 三级 3元，一级 1元，其余 待定\n"
        "乙 按 险种 × 医院等级：\n    居民：4% / 5% / 不适用\n    职工：1% / 2% / 3%\n"
    )
    assert [d for d in found if d.severity is Severity.ERROR] == []
    one = program.tables["甲"]
    assert [(c.key, type(c.cell).__name__) for c in one.cells] == [
        (("一级",), "MoneyLit"), (("二级",), "OpenCell"), (("三级",), "MoneyLit")]
    two = program.tables["乙"]
    assert two.type.unit is Unit.RATE
    assert [c.key for c in two.cells][:4] == [("职工", "一级"), ("职工", "二级"), ("职工", "三级"), ("居民", "一级")]


def test_table_completeness():
    assert errors("甲 按 医院等级 1元 / 2元\n") == [(4, "YB404")]
    d = only("甲 按 医院等级 一级 1元\n", "YB401")
    assert "二级、三级" in d.message
    assert errors("甲 按 医院等级 一级 1元，二级 2元，三级 3元，四级 4元\n") == [(4, "YB402")]
    assert errors("甲 按 医院等级 一级 1元，二级 2元，二级 2元，三级 3元\n") == [(4, "YB403")]
    assert errors("甲 按 险种 × 医院等级：\n    职工：1元 / 2元 / 3元\n") == [(4, "YB401")]
    assert errors("甲 按 险种 × 医院等级：\n    职工：1元 / 2元\n    居民：1元 / 2元 / 3元\n") == [(5, "YB404")]
    assert errors("甲 按 险种 × 医院等级 × 人群：\n    职工：1元 / 2元 / 3元\n") == [(4, "YB405")]


def test_table_cells_typecheck_and_rates_stay_in_range():
    assert errors("甲 按 医院等级 95% / 190% / 85%\n") == [(4, "YB308")]
    assert errors("甲 按 医院等级 95% / 1元 / 85%\n") == [(4, "YB302")]
    program, found = checked("甲 按 医院等级 100 / 200元 / 0\n")
    assert [d for d in found if d.severity is Severity.ERROR] == []
    assert sorted(program.literal_units.values(), key=str) == [Unit.MONEY, Unit.MONEY]


def test_lookup_overrides():
    program, found = checked("甲 按 level 1元 / 2元 / 3元\n乙 = 甲[医院等级=三级]\n丙 = 甲[level=一级]\n")
    assert [d for d in found if d.severity is Severity.ERROR] == []
    assert errors("甲 = 1元\n乙 = 甲[医院等级=三级]\n") == [(5, "YB406")]
    assert errors("甲 按 医院等级 1元 / 2元 / 3元\n乙 = 甲[险种=职工]\n") == [(5, "YB407")]


# ── definitions as a graph ──


def test_cycle_lists_every_definition_with_its_article():
    body = "第三十条\n    甲 = 乙 + 100元\n第三十一条\n    乙 = 最大(甲, 0元)\n"
    d = only(body, "YB501")
    assert d.span.line == 5
    assert "甲（第三十条） → 乙（第三十一条） → 甲（第三十条）" in d.message
    assert [r.line for r in d.related] == [7]


def test_cycles_through_tables_and_exceptions_and_self_reference():
    assert errors("甲 按 医院等级 乙 / 1元 / 1元\n乙 = 甲 + 1元\n") == [(4, "YB501")]
    assert errors("甲 = 1元\n乙 = 甲\n例外 甲 = 乙 当 急诊\n") == [(4, "YB501")]
    assert errors("甲 = 甲 + 1元\n") == [(4, "YB501")]


def test_counters_break_cycles_and_exceptions_read_their_own_value():
    body = "已付 = 本年已付\n更新 本年已付 = 已付 + 甲类费用\n甲 = 甲类费用\n例外 甲 = 甲 + 1元 当 急诊\n"
    assert errors(body) == []


def test_topological_order_puts_every_definition_after_what_it_reads():
    program, _ = checked("甲 = 乙 + 丙\n乙 = 丙\n丙 = 1元\n")
    assert program.order == ("丙", "乙", "甲")


def test_exceptions_with_the_same_priority_must_be_provably_disjoint():
    base = "甲 = 1元\n第三十九条\n    例外 甲 = 2元 当 急诊\n第四十条\n"
    d = only(base + "    例外 甲 = 3元 当 转院\n", "YB502")
    assert d.span.line == 8 and "第三十九条" in d.message and "第四十条" in d.message
    assert [r.line for r in d.related] == [6]
    assert errors(base + "    例外 甲 = 3元 当 非 急诊 且 转院\n") == []
    assert errors(base + "    例外 甲 = 3元 当 转院 优先级 1\n") == []
    enums = "甲 = 1元\n例外 甲 = 2元 当 医院等级 = 一级\n例外 甲 = 3元 当 医院等级 属于 {二级, 三级} 且 急诊\n"
    assert errors(enums) == []
    assert errors("甲 = 1元\n例外 甲 = 2元 当 医院等级 ≠ 一级\n例外 甲 = 3元 当 医院等级 属于 {一级, 二级}\n") == [(6, "YB502")]
    assert errors("甲 = 1元\n例外 甲 = 2元 当 医院等级 ≠ 一级\n例外 甲 = 3元 当 医院等级 = 一级\n") == []


# ── open values, examples, unused definitions ──


def test_untyped_open_value_takes_its_type_from_its_use():
    program, found = checked("甲 = 1元\n乙 待定\n例外 甲 = 乙 当 急诊\n")
    assert [d for d in found if d.severity is Severity.ERROR] == []
    assert program.types["乙"].unit is Unit.MONEY
    assert errors("丙 待定\n") == [(4, "YB310")]


def test_example_values_are_literals_of_the_right_type():
    body = "甲 = 甲类费用\n例 \"x\"：\n    人员 险种=职工 年龄=30 本年已付=5元\n    就诊 甲类费用=10元 急诊 医院等级=职工\n    期望 甲=85% 甲=甲类费用\n"
    assert errors(body) == [(7, "YB204"), (8, "YB218"), (8, "YB302")]


def test_unused_city_definition_is_a_warning():
    _, found = checked("甲 = 1元\n输出 maf_pay = 0元\n")
    assert [(d.code, d.severity) for d in found] == [("YB217", Severity.WARNING)]

"""Language pieces added for the seed regulations: 有 (known), 名为 (named inputs), count × rate."""

from __future__ import annotations

from yibao.compiler.driver import compile_text
from yibao.runtime import Regulation
from yibao.testing import run_examples

HEADER = '地区 测试市 379900\n标题 "测试"\n施行 2020-01-01 至 2020-12-31\n采用 山东基本医疗保险词表\n'


def compile_ok(body: str) -> dict:
    result = compile_text(HEADER + body, file="t.yb")
    assert result.ir is not None, [d.message for d in result.diagnostics]
    return result.ir


def test_known_is_false_only_for_an_absent_optional_input():
    ir = compile_ok('''第一条
    有基数 = 有 本人年缴费基数
    输出 hifp_pay = 若 有基数 则 本人年缴费基数 否则 0元
    例 "给出"：
        人员 本人年缴费基数=100元
        就诊 医疗类别=普通住院
        期望 有基数=真
    例 "未给出"：
        人员 险种=职工
        就诊 医疗类别=普通住院
        期望 有基数=假
''')
    assert ir["definitions"][0]["default"]["expr"] == {"op": "known", "args": [{"ref": "本人年缴费基数"}]}
    assert all(o.passed for o in run_examples(Regulation.from_ir(ir)))


def test_known_on_a_required_input_is_an_error():
    result = compile_text(HEADER + "第一条\n    坏 = 有 甲类费用\n    输出 hifp_pay = 若 坏 则 1元 否则 0元\n", file="t.yb")
    assert [d.code for d in result.diagnostics if d.severity.value == "error"] == ["YB312"]


def test_named_input_is_known_by_its_contract_text():
    ir = compile_ok('''第一条
    输入 高血压病3级 名为 "高血压病（3级）"：标志 字段 person.chronic
    输出 hifp_pay = 若 高血压病3级 则 1元 否则 0元
''')
    (chronic,) = [i for i in ir["inputs"] if i["field"] == "person.chronic"]
    assert chronic["name"] == "高血压病（3级）"
    assert ir["outputs"][0]["expr"]["args"][0] == {"ref": "高血压病（3级）"}


def test_count_times_rate_is_a_rate():
    ir = compile_ok('''第一条
    年数 = 2次
    降低 = 年数 × 1%
    输出 hifp_pay = 四舍五入(甲类费用 × (50% − 降低))
''')
    (lowered,) = [d for d in ir["definitions"] if d["name"] == "降低"]
    assert lowered["type"] == "rate"


def test_a_value_declared_not_applicable_is_an_na_node_and_not_an_open_value():
    ir = compile_ok('''第一条
    比例X：比例 不适用 "本市不设"
    输出 hifp_pay = 若 险种 = 职工 则 四舍五入(甲类费用 × 比例X) 否则 0元
''')
    (definition,) = [d for d in ir["definitions"] if d["name"] == "比例X"]
    assert definition["default"]["expr"] == {"na": "比例X"}
    assert ir["open_values"] == []


def test_exceptions_are_disjoint_through_a_bool_definition():
    # 市内急诊 requires 非 异地就医; the other exception requires 异地就医: they can never both apply.
    ir = compile_ok('''第一条
    起付 = 200元
    市内急诊 = 急诊 且 非 异地就医
    例外 起付 = 0元 当 市内急诊 优先级 1
    例外 起付 = 100元 当 异地就医 优先级 1
    输出 hifp_pay = 起付
''')
    assert len(ir["definitions"][-1]["exceptions"]) == 2


def test_exceptions_that_may_overlap_through_a_definition_still_conflict():
    result = compile_text(HEADER + '''第一条
    起付 = 200元
    市内急诊 = 急诊 且 非 转院
    例外 起付 = 0元 当 市内急诊 优先级 1
    例外 起付 = 100元 当 异地就医 优先级 1
    输出 hifp_pay = 起付
''', file="t.yb")
    assert "YB502" in [d.code for d in result.diagnostics]


def test_applies_to_names_members_of_a_vocabulary_with_a_field():
    ir = compile_ok('''第二条
    适用 险种 居民
    输出 hifp_pay = 0元
''')
    assert ir["regulation"]["applies_to"] == {"vocabulary": "险种", "field": "person.insutype", "members": ["居民"], "article": "第二条"}
    bad = compile_text(HEADER + "第二条\n    适用 险种 农民\n    输出 hifp_pay = 0元\n", file="t.yb")
    assert [d.code for d in bad.diagnostics] == ["YB204"]


def test_count_of_counts_the_conditions_that_hold():
    ir = compile_ok('''第一条
    项数 = 个数(急诊, 转院, 异地就医)
    输出 hifp_pay = 若 项数 ≥ 2 则 1元 否则 0元
    例 "两项"：
        人员 险种=职工
        就诊 医疗类别=普通住院 急诊 转院
        期望 项数=2次
    例 "一项"：
        人员 险种=职工
        就诊 医疗类别=普通住院 异地就医
        期望 项数=1次
''')
    (n,) = [d for d in ir["definitions"] if d["name"] == "项数"]
    assert n["type"] == "count" and n["default"]["expr"]["op"] == "count_of"
    regulation = Regulation.from_ir(ir)
    assert all(o.passed for o in run_examples(regulation)), [o.describe_failures() for o in run_examples(regulation)]
    assert regulation.program.fast is not None  # the generated code handles 个数 too


def test_an_interpretation_can_name_its_subject():
    ir = compile_ok('''第一条
    甲值 = 100元
    乙值 = 200元
    解释 甲值 "读作甲"
    输出 hifp_pay = 甲值 + 乙值
''')
    (note,) = ir["interpretations"]
    assert note["subject"] == "甲值"
    bad = compile_text(HEADER + '第一条\n    甲值 = 100元\n    解释 甲直 "x"\n    输出 hifp_pay = 甲值\n', file="t.yb")
    assert [d.code for d in bad.diagnostics if d.severity.value == "error"] == ["YB201"]


def test_date_arithmetic_lowers_to_the_date_operations():
    ir = compile_ok('''第一条
    住院天数 = 出院日期 − 入院日期
    复查截止 = 出院日期 + 30天
    前一日 = 入院日期 − 1
    同前 = 30 + 入院日期
    输出 hifp_pay = 若 住院天数 > 90天 且 复查截止 > 前一日 且 同前 > 前一日 则 1元 否则 0元
''')
    exprs = {d["name"]: (d["type"], d["default"]["expr"]) for d in ir["definitions"]}
    assert exprs["住院天数"] == ("count", {"op": "date_diff", "args": [{"ref": "出院日期"}, {"ref": "入院日期"}]})
    assert exprs["复查截止"] == ("date", {"op": "date_add", "args": [{"ref": "出院日期"}, {"count": 30}]})
    assert exprs["前一日"] == ("date", {"op": "date_sub", "args": [{"ref": "入院日期"}, {"count": 1}]})
    # a count written first still lowers with the date first
    assert exprs["同前"] == ("date", {"op": "date_add", "args": [{"ref": "入院日期"}, {"count": 30}]})
    fields = {i["name"]: (i["field"], i["optional"]) for i in ir["inputs"]}
    assert fields["入院日期"] == ("encounter.begndate", True)
    assert fields["出院日期"] == ("encounter.enddate", True)


def test_dates_do_not_mix_with_money_or_rates():
    for bad in ("出院日期 + 200元", "出院日期 × 2", "入院日期 < 10%", "出院日期 + 入院日期"):
        result = compile_text(HEADER + f"第一条\n    坏 = {bad}\n    输出 hifp_pay = 若 坏 = 坏 则 1元 否则 0元\n", file="t.yb")
        assert [d.code for d in result.diagnostics if d.severity.value == "error"] == ["YB301"], bad


def test_an_article_reference_reads_what_that_article_defines():
    ir = compile_ok('''第一条
    门诊比例 = 60%
第二条
    住院比例 按 医院等级 90% / 80% / 70% / 待定
    住院限额 = 10万元
第三条
    慢病比例 = 同第一条
    慢病住院比例 = 按第二条 住院比例
    输出 hifp_pay = 四舍五入(最小(甲类费用, 住院限额) × (慢病比例 + 慢病住院比例) ÷ 2)
''')
    exprs = {d["name"]: d["default"]["expr"] for d in ir["definitions"]}
    assert exprs["慢病比例"] == {"ref": "门诊比例"}
    assert exprs["慢病住院比例"] == {"ref": "住院比例"}


def test_dongying_article_32_takes_the_rates_of_article_31_by_reference():
    # 第三十二条：门诊慢性病……分别按照本办法第三十一条职工和城乡居民基本医疗保险住院报销比例的有关规定执行
    from pathlib import Path

    from yibao.compiler.driver import compile_path

    ir = compile_path(Path(__file__).resolve().parents[1] / "regulations" / "dongying" / "dongying-2018.yb").ir
    by_name = {d["name"]: d for d in ir["definitions"]}
    for name, target in (("慢病支付比例", "住院支付比例"), ("慢病乙类先行自付比例", "住院乙类先行自付比例")):
        assert by_name[name]["default"]["expr"] == {"ref": target}
        assert by_name[name]["default"]["article"] == "第三十二条"

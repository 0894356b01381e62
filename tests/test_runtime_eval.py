"""The evaluator on small hand-written IR (docs/ir.md): sentinels, Kleene logic, the exception fold,
and refusing malformed IR at load time."""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest

from runtime_fixtures.mini_ir import (add, and_, count, definition, dongying_ir, enum, eq, exception, if_, inp, lookup,
                                      money, mul, mx, mn, na, not_, op, open_, or_, rate, ref, rnd, table, tiny_ir, with_sha)
from yibao.runtime import IRError, Regulation
from yibao.runtime.ir import compute_sha256
from yibao.runtime.values import Sentinel

FLAGS = [inp("甲", "bool", "encounter.flags"), inp("乙", "bool", "encounter.flags"),
         inp("金额", "money", "encounter.fees.01"), inp("基数", "money", "person.annual_base", optional=True)]


def run(defs, values: dict, tables=()):
    """Evaluate ``defs`` with inputs by name; return {definition name: value}."""
    program = Regulation.from_ir(tiny_ir(defs, FLAGS, tables)).program
    inputs = [values.get(spec.name, Sentinel("missing", spec.name, field=spec.field)) for spec in program.inputs]
    env = program.run_definitions(inputs, [])
    return {d.name: env[d.slot] for d in program.definitions}


def d(name, type_, expr, article="第一条", **kw):
    return definition(name, type_, expr, article, **kw)


def test_sentinels_propagate_leftmost_first():
    v = run([
        d("待定值", "money", open_("待定值", "按省规定"), "第九条"),
        d("和", "money", add(ref("金额"), ref("待定值"))),
        d("两个", "money", add({"na": "不适用值"}, ref("待定值"))),
        d("乘积", "money", rnd(mul(ref("两个"), rate("0.5")))),
    ], {"金额": 100})
    assert isinstance(v["待定值"], Sentinel) and v["待定值"].kind == "open" and v["待定值"].article == "第九条"
    assert v["和"] is v["待定值"]
    assert v["两个"].kind == "na"  # the leftmost sentinel wins
    assert v["乘积"] is v["两个"]


def test_if_evaluates_only_the_chosen_branch_and_kleene_logic():
    o = open_("未定", "另行制定")
    v = run([
        d("分支", "money", if_(ref("甲"), money(1), o)),
        d("未知条件", "money", if_(o, money(1), money(2))),
        d("假且", "bool", and_(ref("甲"), o)),
        d("真或", "bool", or_(not_(ref("甲")), o)),
        d("未知且假", "bool", and_(o, ref("甲"))),   # Kleene: unknown ∧ false = false
        d("未知且真", "bool", and_(o, not_(ref("甲")))),
        d("未知或真", "bool", or_(o, not_(ref("甲")))),
    ], {"甲": False})
    assert isinstance(v["分支"], Sentinel)
    v2 = run([d("分支", "money", if_(ref("甲"), money(1), o))], {"甲": True})
    assert v2["分支"] == 100
    assert isinstance(v["未知条件"], Sentinel)
    assert v["假且"] is False
    assert v["真或"] is True
    assert v["未知且假"] is False
    assert isinstance(v["未知且真"], Sentinel)
    assert v["未知或真"] is True


def test_missing_optional_input_cites_the_clause_that_needed_it_and_division_by_zero_is_a_sentinel():
    v = run([
        d("门槛", "money", rnd(mul(ref("基数"), rate("0.1"))), "第三十七条"),
        d("除零", "money", rnd(op("div", ref("金额"), rate("0"))), "第五条"),
        d("精确", "money", mul(ref("金额"), rate("0.85"))),
    ], {"金额": 1010})
    assert v["门槛"].kind == "missing" and v["门槛"].article == "第三十七条" and v["门槛"].field == "person.annual_base"
    assert v["除零"].kind == "divzero"
    assert v["精确"] == Fraction(1717, 2)  # exact money stays a rational until a round node


def fold_defs():
    return [d("值", "money", money(100), "第十条", exceptions=[
        exception(ref("甲"), money(200), 1, "第十一条"),
        exception(ref("乙"), add(ref("值"), money(50)), 2, "第十二条"),  # a self-reference: the value so far
    ])]


@pytest.mark.parametrize("a, b, expected", [(False, False, 10000), (True, False, 20000), (False, True, 15000),
                                            (True, True, 25000)])
def test_exception_fold_in_priority_order_with_value_so_far(a, b, expected):
    assert run(fold_defs(), {"甲": a, "乙": b})["值"] == expected


def test_an_unknown_exception_condition_makes_the_value_unknown_until_a_later_exception_decides():
    o = open_("条件", "待定")
    defs = [d("值", "money", money(100), exceptions=[exception(o, money(200), 1, "第十一条"),
                                                       exception(ref("甲"), money(300), 2, "第十二条")])]
    assert isinstance(run(defs, {"甲": False})["值"], Sentinel)
    assert run(defs, {"甲": True})["值"] == 30000


def test_table_lookup_and_open_cells_are_named_with_their_key():
    t = table("起付标准", "money", ["医院等级"], [(("一级",), money(200)), (("二级",), money(500)),
                                                 (("三级",), ref("三级标准")), (("未定级",), open_("起付标准", "未规定"))], "第三十条")
    program = Regulation.from_ir(tiny_ir(
        [d("三级标准", "money", money(800)), d("起付标准", "money", lookup("起付标准", ref("医院等级")))],
        [inp("医院等级", {"enum": "医院等级"}, "encounter.dedc_hosp_lv")], [t])).program
    def at_level(member):
        return program.run_definitions([member if s.name == "医院等级" else None for s in program.inputs], [])

    for member, expected in [("三级", 80000), ("一级", 20000)]:
        assert at_level(member)[program.slot_of["起付标准"]] == expected
    env = at_level("未定级")
    s = env[program.slot_of["起付标准"]]
    assert (s.kind, s.name, s.article, s.reason) == ("open", "起付标准[未定级]", "第三十条", "未规定")


# ── malformed IR is refused at load, with a path ──


def test_sha256_is_verified():
    doc = dongying_ir()
    Regulation.from_ir(doc)
    tampered = copy.deepcopy(doc)
    tampered["tables"][0]["cells"][0]["value"] = {"money": 10000}
    with pytest.raises(IRError, match="sha256"):
        Regulation.from_ir(tampered)
    assert compute_sha256(with_sha(tampered)) == with_sha(tampered)["sha256"]


def broken(mutate) -> dict:
    doc = copy.deepcopy(dongying_ir())
    mutate(doc)
    return with_sha(doc)


@pytest.mark.parametrize("mutate, message", [
    (lambda doc: doc.update(format="yibao-ir/2"), "格式"),
    (lambda doc: doc["definitions"][0]["default"].update(expr={"op": "frob", "args": []}), "未知运算"),
    (lambda doc: doc["definitions"][3]["default"].update(expr=ref("个人负担总额")), "尚未定义"),
    (lambda doc: doc["definitions"][3]["default"].update(expr=ref("没有的名字")), "未定义的名称"),
    (lambda doc: doc["tables"][0]["cells"].pop(), "缺少单元格"),
    (lambda doc: doc["tables"][0]["cells"][0].update(key=["五级"]), "不是词表"),
    (lambda doc: doc["definitions"][0]["default"].update(expr={"money": 1, "rate": "0.1"}), "无法识别"),
    (lambda doc: doc["definitions"][0]["default"].update(expr=op("sub", money(1))), "需要 2 个参数"),
    (lambda doc: doc["definitions"][0]["default"].update(expr=rate("8.5e-1")), "decimal"),
    (lambda doc: doc["counters"][0].update(period="month"), "period"),
    (lambda doc: doc.pop("outputs"), "缺少顶层字段"),
    (lambda doc: doc["definitions"][25]["exceptions"][0].update(priority=3), "优先级升序"),
])
def test_malformed_ir_is_refused(mutate, message):
    with pytest.raises(IRError, match=message):
        Regulation.from_ir(broken(mutate))


def test_floats_are_refused_in_ir_text_and_dicts():
    doc = dongying_ir()
    import json
    text = json.dumps(doc, ensure_ascii=False).replace('{"rate": "0.95"}', '{"rate": 0.95}', 1)
    with pytest.raises(IRError, match="浮点"):
        Regulation.from_ir(text)
    doc = copy.deepcopy(doc)
    doc["tables"][0]["cells"][0]["value"] = {"money": 200.0}
    with pytest.raises(IRError, match="浮点"):
        Regulation.from_ir(doc)


def test_ir_loads_from_text_bytes_and_path(tmp_path):
    import json
    doc = dongying_ir()
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    path = tmp_path / "ir.json"
    path.write_text(text, encoding="utf-8")
    shas = {Regulation.from_ir(src).sha256 for src in (doc, text, text.encode("utf-8"), path)}
    shas |= {Regulation.from_ir(text=text).sha256, Regulation.from_ir(path=str(path)).sha256,
             Regulation.from_ir(path=path).sha256}
    assert shas == {doc["sha256"]}
    reg = Regulation.from_ir(path)
    assert reg.region_code == "370500" and reg.title == "东营市社会医疗保险办法"
    assert [x.isoformat() for x in reg.effective] == ["2018-04-01", "2022-12-31"]
    from datetime import date
    assert reg.covers(date(2022, 12, 31)) and not reg.covers(date(2023, 1, 1)) and not reg.covers(date(2018, 3, 31))


def test_unused_helpers_are_importable():
    # keep the node helpers honest: every helper used by the fixtures builds a valid node
    assert eq(money(1), money(1))["op"] == "eq" and mx(money(1), money(2))["op"] == "max"
    assert mn(money(1), money(2))["op"] == "min" and count(1) == {"count": 1} and na("x") == {"na": "x"}
    assert enum("险种", "职工")["member"] == "职工"



def test_a_third_evaluator_plugs_in_through_the_seam_and_declined_rows_go_to_the_closures():
    """runtime/evaluator.py's seam: an evaluator that declines every other row still yields, row for row,
    what the closures give (this is how the columnar evaluator will be asked)."""
    from runtime_fixtures.cases import case, stay
    from yibao.runtime import Engine
    from yibao.runtime.case import Problems, parse_encounters, parse_person
    from yibao.runtime.evaluator import BatchEvaluator, Evaluator, evaluate_rows

    import json

    regulation = Regulation.from_ir(dongying_ir())
    program = regulation.program
    schema = Engine([regulation]).regions.schemas["370500"]
    raw = json.loads(json.dumps(case(*[stay(f"E{i}", level, a=fee) for i, (level, fee) in
                                       enumerate([("1", "1000"), ("2", "3000"), ("3", "10000"), ("3", "500")])])))
    problems = Problems("c.json")
    person = parse_person(raw["person"], schema, problems)
    encounters = parse_encounters(raw["encounters"], schema, problems)
    problems.check()
    counters = [c.init for c in program.counters]
    rows = [(regulation.read_inputs(person, enc), counters) for enc in encounters]

    class Alternate:
        name = "alternate"

        def __init__(self, program):
            self.program = program

        def evaluate(self, inputs, counters, excluded_fields, need_env, trusted, record):
            return None

        def evaluate_many(self, rows, excluded_fields, need_env, trusted, record):
            return [None if k % 2 else self.program.fast.evaluate(i, c, excluded_fields, need_env, trusted, record)
                    for k, (i, c) in enumerate(rows)]

    alternate = Alternate(program)
    assert isinstance(alternate, Evaluator) and isinstance(alternate, BatchEvaluator)
    assert isinstance(program.fast, Evaluator) and isinstance(program.reference, Evaluator)
    answers = evaluate_rows(alternate, program.reference, rows, ("medfee_sumamt",))
    expected = [program.evaluate_reference(i, c, ("medfee_sumamt",)) for i, c in rows]
    assert [(a.outputs, a.counters_after, a.checked) for a in answers] == \
           [(e.outputs, e.counters_after, e.checked) for e in expected]
    assert [a.outputs["hifp_pay"] for a in answers][:3] != [0, 0, 0]

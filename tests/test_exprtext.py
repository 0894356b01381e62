"""One renderer of IR values as rule-language text, shared by ``yibao matrix`` and ``yibao diff``."""

from __future__ import annotations

from crosscity_support import bundled_irs

from yibao.change.semantic import semantic_changes, show_value
from yibao.crosscity.exprtext import expr_text, money_text


def _yantai_outpatient_cap() -> dict:
    ir = next(ir for ir in bundled_irs() if ir["regulation"]["region_code"] == "370600")
    return next(d for d in ir["definitions"] if d["name"] == "普通门诊年度限额")


def test_the_diff_and_the_matrix_write_a_formula_alike():
    # 烟台 二（三）1: 普通门诊 年度最高支付限额 在职 3500元、退休 4500元
    default = _yantai_outpatient_cap()["default"]
    assert expr_text(default["expr"]) == "若 是退休人员 则 4500元 否则 3500元"
    assert show_value({"expr": default["expr"], "type": "money"}) == expr_text(default["expr"])


def test_a_changed_formula_in_the_diff_reads_as_the_rule_language():
    ir = next(ir for ir in bundled_irs() if ir["regulation"]["region_code"] == "370600")
    changed = {**ir, "semantic_sha256": None, "definitions": [
        {**d, "default": {**d["default"], "expr": {"op": "add", "args": [d["default"]["expr"], {"money": -150}]}}}
        if d["name"] == "普通门诊年度限额" else d for d in ir["definitions"]]}
    (change,) = semantic_changes({**ir, "semantic_sha256": None}, changed)
    assert change.as_json()["old"] == "若 是退休人员 则 4500元 否则 3500元"
    # an 若 inside another operation keeps its parentheses; a negative amount is written with the minus sign
    assert change.as_json()["new"] == "((若 是退休人员 则 4500元 否则 3500元) + −1.50元)"


def test_each_operation_is_written_with_the_grammars_keywords():
    ref = {"ref": "医院等级"}
    assert expr_text({"op": "in", "args": [ref], "members": ["一级", "二级"]}) == "医院等级 属于 {一级, 二级}"
    assert expr_text({"op": "known", "args": [{"ref": "本年已付"}]}) == "有 本年已付"
    assert expr_text({"op": "not", "args": [{"bool": True}]}) == "非 真"
    assert expr_text({"op": "count_of", "args": [ref]}) == "个数(医院等级)"
    assert expr_text({"op": "min", "args": [{"money": 80000}, {"rate": "0.85"}]}) == "最小(800元, 85%)"
    assert money_text(-12345, cents=True) == "−123.45元" and money_text(100000) == "1000元"

"""Worked examples in the IR (docs/ir.md "examples") and the Chinese settlement slip."""

from __future__ import annotations

import copy
from pathlib import Path

from runtime_fixtures.cases import as_text_case, case, stay
from runtime_fixtures.mini_ir import dongying_ir, money, with_sha
from yibao.runtime import Engine, Regulation, explain
from yibao.testing import run_examples

DONGYING_TEXT = Path(__file__).resolve().parents[1] / "regulations" / "dongying" / "dongying-2018.yb"


def test_all_hand_written_examples_pass():
    results = run_examples(Regulation.from_ir(dongying_ir()))
    assert [r.title for r in results][:2] == ["职工三级医院住院一万元", "第三次住院不设起付标准"]
    assert all(r.passed for r in results), [(r.title, r.describe_failures()) for r in results]
    assert results[2].encounters == 3  # the quarterly example: dated encounters, quarter reset


def test_a_wrong_expectation_fails_with_a_readable_mismatch():
    doc = copy.deepcopy(dongying_ir())
    doc["examples"][0]["encounters"][0]["expect"]["values"]["统筹基金支付"] = money(7821)
    doc["examples"][4]["encounters"][0]["expect"]["excluded"] = False
    doc["examples"][5]["encounters"][0]["expect"]["error"] = "YR02"
    results = run_examples(Regulation.from_ir(with_sha(doc)))
    assert [r.passed for r in results] == [False, True, True, True, False, False, True]
    (m,) = results[0].mismatches
    assert (m.encounter, m.name, m.expected, m.actual) == (1, "统筹基金支付", "7821.00", "7820.00")
    assert "统筹基金支付 期望 7821.00，实际 7820.00" in results[0].describe_failures()[0]
    assert results[4].mismatches[0].name == "不予支付"
    assert results[5].mismatches[0].actual.startswith("YR01")


def test_explain_cites_articles_interpretations_errors_and_exclusions():
    engine = Engine([Regulation.from_ir(dongying_ir())])
    doc = case(stay("E1", "3", "10000"), stay("E2", "2", "5000", date="2019-04-01", flags=["非定点"]),
               stay("E3", "9", "100", date="2019-05-01"))
    result = engine.settle(as_text_case(doc))
    slip = explain(result, engine)
    assert "就诊 E1" in slip and "10000.00 元" in slip and "7820.00 元" in slip
    assert "起付线" in slip and "第三十条" in slip and "85%" in slip and "第三十一条" in slip
    assert "甲类 10000.00 元" in slip  # fee classes, when given the SettleResult
    assert "所用解释" in slip and "转院读作" in slip
    assert "不予支付（第三十八条）" in slip and "全部由个人负担" in slip
    assert "YR01" in slip and "住院起付标准[未定级]" in slip
    # from the output dict alone (as the CLI passes it) the slip still cites articles
    assert "第三十条" in explain(result.output)


def test_a_new_citys_slip_and_region_lookup_use_its_own_rule_file():
    # no table of region names in Python: a city the runtime has never heard of is named by its 地区 line
    from yibao.compiler.driver import compile_text

    text = DONGYING_TEXT.read_text(encoding="utf-8").replace("地区 东营市 370500", "地区 滨州市 371600", 1)
    ir = compile_text(text, file="binzhou/binzhou-2018.yb").ir
    engine = Engine([Regulation.from_ir(ir)])
    doc = case(stay("E1", "3", "10000"), region="滨州")
    result = engine.settle(as_text_case(doc))
    assert result.output["region"] == "371600"
    assert explain(result, engine).startswith("结算单　参保地区 371600 滨州市")

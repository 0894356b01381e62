"""Input problems: each one a CaseError naming the file, the JSON path and what was expected."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from runtime_fixtures.cases import as_text_case, case, stay
from runtime_fixtures.mini_ir import dongying_ir
from yibao.runtime import CaseError, Engine, Regulation, load_case_text


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine([Regulation.from_ir(dongying_ir())])


def refused(engine, doc, name="bad.json") -> CaseError:
    with pytest.raises(CaseError) as info:
        engine.settle(as_text_case(doc, name))
    return info.value


def good():
    return case(stay("E1", "3", "1000"), stay("E2", "2", "500", date="2019-04-01"))


@pytest.mark.parametrize("mutate, path, words", [
    (lambda c: c.update(colour="red"), "colour", ["未知字段", "region"]),
    (lambda c: c["person"].update(colour="red"), "person.colour", ["未知字段", "insutype"]),
    (lambda c: c["encounters"][1].update(colour="red"), "encounters[1].colour", ["未知字段", "med_type"]),
    (lambda c: c["person"].update(insutype="999"), "person.insutype", ["险种类型", "310", "390"]),
    (lambda c: c["person"].update(insutype=310), "person.insutype", ["字符串"]),
    (lambda c: c["encounters"][0].update(med_type="99"), "encounters[0].med_type", ["医疗类别", "21 普通住院"]),
    (lambda c: c["encounters"][0].update(dedc_hosp_lv="4"), "encounters[0].dedc_hosp_lv", ["起付线医院等级"]),
    (lambda c: c["encounters"][0].update(hosp_lv="12"), "encounters[0].hosp_lv", ["医院等级"]),
    (lambda c: c["person"].update(gend="3"), "person.gend", ["性别"]),
    (lambda c: c["encounters"][1]["fees"].update({"02": "-5"}), "encounters[1].fees.02", ["乙类费用", "负"]),
    (lambda c: c["encounters"][1]["fees"].update({"04": "5"}), "encounters[1].fees.04", ["收费项目等级"]),
    (lambda c: c["encounters"][0]["fees"].update({"01": "10.005"}), "encounters[0].fees.01", ["两位小数"]),
    (lambda c: c["encounters"][0].update(overlmt_selfpay="abc"), "encounters[0].overlmt_selfpay", ["超限价"]),
    (lambda c: c["encounters"][0].update(setl_time="2019-13-01"), "encounters[0].setl_time", ["结算时间"]),
    (lambda c: c["person"].update(brdy="1975/06/01"), "person.brdy", ["出生日期", "yyyy-MM-dd"]),
    (lambda c: c["encounters"][0].pop("mdtrt_id"), "encounters[0].mdtrt_id", ["缺少必填字段"]),
    (lambda c: c["encounters"][0].pop("med_type"), "encounters[0].med_type", ["缺少必填字段"]),
    (lambda c: c["encounters"][0].pop("dedc_hosp_lv"), "encounters[0].dedc_hosp_lv", ["缺少必填字段", "医院等级"]),
    (lambda c: c["person"].pop("insutype"), "person.insutype", ["缺少必填字段"]),
    (lambda c: c.update(encounters=[]), "encounters", ["非空列表"]),
    (lambda c: c["encounters"][1].update(mdtrt_id="E1"), "encounters[1].mdtrt_id", ["重复"]),
    (lambda c: c["encounters"][1].update(setl_time="2019-01-01"), "encounters[1].setl_time", ["时间顺序"]),
    (lambda c: c.update(region="999999"), "region", ["未知的地区", "370500"]),
    # region names come from the loaded rule files' 地区 lines, not from a table in Python
    (lambda c: c.update(region="烟台"), "region", ["未知的地区：'烟台'", "370500 东营市"]),
    (lambda c: c.update(cuminfo={"visits": 3}), "cuminfo.visits", ["admissions", "hifp_pay_pooled"]),
    (lambda c: c.update(cuminfo={"admissions": "1.5"}), "cuminfo.admissions", ["整数"]),
    (lambda c: c["person"].update(chronic=["糖尿病"]), "person.chronic", ["没有声明门诊慢性病"]),
    (lambda c: c["person"].update(annual_base="-1"), "person.annual_base", ["本人年缴费基数", "负"]),
])
def test_each_problem_names_file_path_and_expectation(engine, mutate, path, words):
    doc = good()
    mutate(doc)
    err = refused(engine, doc)
    assert path in [p for p, _ in err.problems], err.problems
    text = str(err)
    assert text.startswith("bad.json: ")
    assert f"bad.json: {path}: " in text
    for word in words:
        assert word in text, (word, text)


def test_unknown_flag_lists_the_known_flags(engine):
    doc = good()
    doc["person"]["flags"] = ["外星人"]
    doc["encounters"][0]["flags"] = ["瞬移"]
    err = refused(engine, doc)
    text = str(err)
    assert "person.flags[0]" in text and "外星人" in text and "大额医疗补助" in text and "扶贫对象" in text
    assert "encounters[0].flags[0]" in text and "瞬移" in text and "非定点" in text and "转院" in text
    assert len(err.problems) == 2  # every problem is reported at once


def test_contract_flags_the_regulation_does_not_read_are_accepted(engine):
    doc = good()
    doc["person"]["flags"] = ["扶贫对象"]
    doc["encounters"][0]["flags"] = ["基本药物"]
    assert engine.settle(as_text_case(doc)).status == 0


def test_alternative_input_forms_are_accepted(engine):
    doc = good()
    enc = doc["encounters"][0]
    del enc["dedc_hosp_lv"]
    enc["hosp_lv"] = "02"  # 三级
    enc["fees"] = {"01": Decimal("1000.000"), "02": ""}
    enc["setl_time"] = "2019-03-10 08:00:00"
    del doc["encounters"][1]["fees"]
    out = engine.settle(doc).output  # a dict built in code: Decimal amounts as the embedder has them
    assert out["encounters"][0]["setlinfo"]["act_pay_dedc"] == Decimal("800.00")
    assert out["encounters"][1]["setlinfo"]["medfee_sumamt"] == Decimal("0.00")


def test_invalid_json_and_non_object_name_the_position():
    with pytest.raises(CaseError) as info:
        load_case_text('{"region": "370500",\n  "person": }', "x.json")
    assert "x.json: 第 2 行第 13 列" in str(info.value)
    with pytest.raises(CaseError, match="JSON 对象"):
        load_case_text("[1, 2]", "x.json")
    with pytest.raises(CaseError, match="重复"):
        load_case_text('{"region": "1", "region": "2"}', "x.json")
    with pytest.raises(CaseError, match="NaN"):
        load_case_text('{"region": NaN}', "x.json")


def test_numbers_are_read_exactly():
    doc = load_case_text('{"a": 7650.255, "b": 0.1}', "x.json")
    assert doc["a"] == Decimal("7650.255") and doc["b"] == Decimal("0.1")
    assert doc.source_name == "x.json"


def test_a_dict_built_in_code_works_and_names_a_default_file(engine):
    doc = good()
    doc["person"]["insutype"] = "999"
    with pytest.raises(CaseError) as info:
        engine.settle(copy.deepcopy(doc))
    assert str(info.value).startswith("<case>: person.insutype")
    with pytest.raises(CaseError) as info:
        engine.settle(doc, name="mine.json")
    assert str(info.value).startswith("mine.json: ")

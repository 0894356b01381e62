"""The lower pass: the IR of docs/ir.md, its canonical bytes and hash (mostly on the 东营 regulation)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from yibao.compiler.driver import compile_path, compile_text
from yibao.compiler.lower import canonical_json, cell_name, decimal_text, with_sha256
from yibao.compiler._lower_expr import fen

ROOT = Path(__file__).resolve().parents[1]
DONGYING = ROOT / "regulations" / "dongying" / "dongying-2018.yb"


@pytest.fixture(scope="module")
def ir() -> dict:
    result = compile_path(DONGYING)
    assert result.ir is not None, result.diagnostics
    return result.ir


def named(items: list[dict], name: str) -> dict:
    (item,) = [i for i in items if i.get("name") == name]
    return item


def line_of(fragment: str) -> int:
    """The 东营 file's line holding ``fragment``: spans are checked without pinning the file's layout."""
    lines = DONGYING.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if fragment in line)


def nodes(value):
    """Every JSON object inside ``value``."""
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from nodes(v)
    elif isinstance(value, list):
        for v in value:
            yield from nodes(v)


# ── the 东营 regulation ──


def test_regulation_header(ir):
    assert ir["format"] == "yibao-ir/1"
    assert ir["regulation"] == {
        "region_code": "370500", "region_name": "东营市", "title": "东营市社会医疗保险办法",
        "doc_number": None, "basis": None, "effective": ["2018-04-01", "2022-12-31"],
        "effective_article": "第七十二条", "source": "dongying/dongying-2018.yb",
    }


def test_one_dimensional_table_with_an_open_cell(ir):
    table = named(ir["tables"], "住院起付标准")
    assert (table["type"], table["dims"], table["article"]) == ("money", ["医院等级"], "第三十条")
    assert [c["key"] for c in table["cells"]] == [["一级"], ["二级"], ["三级"], ["未定级"]]
    assert [c["value"] for c in table["cells"][:3]] == [{"money": 20000}, {"money": 50000}, {"money": 80000}]
    open_cell = table["cells"][3]["value"]
    assert open_cell["open"] == "住院起付标准[未定级]" and open_cell["article"] == "第三十条"
    assert "未定级" in open_cell["reason"]
    assert table["cells"][0]["at"] == f"dongying/dongying-2018.yb:{line_of('住院起付标准 按 医院等级')}:19"


def test_two_dimensional_rates_and_not_applicable_cells(ir):
    table = named(ir["tables"], "住院支付比例")
    assert table["dims"] == ["险种", "医院等级"]
    rates = [c["value"].get("rate") or c["value"].get("open") for c in table["cells"]]
    assert rates == ["0.95", "0.9", "0.85", "住院支付比例[职工,未定级]", "0.9", "0.75", "0.6", "住院支付比例[居民,未定级]"]
    outpatient = named(ir["tables"], "门诊支付比例")
    row = line_of("门诊支付比例 按 险种 × 医院等级") + 1  # 职工：80% / 70% / 不适用 / 不适用, however aligned
    column = DONGYING.read_text(encoding="utf-8").splitlines()[row - 1].index("不适用") + 1
    assert outpatient["cells"][2] == {"key": ["职工", "三级"], "value": {"na": "门诊支付比例[职工,三级]"},
                                      "at": f"dongying/dongying-2018.yb:{row}:{column}"}


def test_table_definitions_read_the_current_members(ir):
    d = named(ir["definitions"], "住院支付比例")
    assert d["default"]["expr"] == {"op": "lookup", "table": "住院支付比例", "args": [{"ref": "险种"}, {"ref": "医院等级"}]}


def test_exceptions_keep_priority_article_and_read_overridden_tables(ir):
    (exc,) = named(ir["definitions"], "住院应付起付线")["exceptions"]
    assert (exc["priority"], exc["article"], exc["when"]) == (1, "第三十条", {"ref": "转院"})
    first, second, lapse = named(ir["definitions"], "统筹支付比例")["exceptions"]
    assert (lapse["priority"], lapse["article"]) == (2, "第四十六条")  # after 第三十九条's, on their result
    assert first["when"] == {"op": "and", "args": [{"ref": "转外就医"}, {"ref": "转诊备案"}]}
    assert first["expr"] == {"op": "sub", "args": [
        {"op": "lookup", "table": "住院支付比例", "args": [{"ref": "险种"}, {"enum": "医院等级", "member": "三级"}]},
        {"rate": "0.1"}]}
    assert second["expr"]["args"][1] == {"rate": "0.2"}


def test_open_values_list_every_open_declaration_and_cell(ir):
    assert [o["name"] for o in ir["open_values"]] == [
        "退休人员大额单位缴费", "居民个人年缴费", "居民个人月缴费",  # contributions: 第十二条, 第十三条
        "其他不予支付时账户可支付",  # 第十九条: the account on the other excluded encounters
        "住院起付标准[未定级]", "住院支付比例[职工,未定级]", "住院支付比例[居民,未定级]",
        "门诊支付比例[居民,一级]", "门诊乙类先行自付比例[居民]", "生育应付起付线",
        "门诊慢性病病种",  # 第三十二条: the open disease list (词表 … 待定)
    ]
    diseases = named(ir["vocabularies"], "门诊慢性病病种")
    assert diseases["members"] == [] and "未列" in diseases["open"]
    birth = named(ir["open_values"], "生育应付起付线")
    assert birth["article"] == "第四十条" and "计划生育" in birth["reason"]
    d = named(ir["definitions"], "生育应付起付线")
    assert d["type"] == "money"  # declared without a type: inferred from the exception on 应付起付线
    assert d["default"]["expr"]["open"] == "生育应付起付线"


def test_definitions_are_topologically_sorted(ir):
    inputs = {i["name"] for i in ir["inputs"]}
    counters = {c["name"] for c in ir["counters"]}
    earlier: set[str] = set()
    for d in ir["definitions"]:
        for node in nodes([d["default"], d["exceptions"]]):
            if "ref" in node:
                assert node["ref"] in inputs | counters | earlier | {d["name"]}, (d["name"], node)
            if node.get("op") == "lookup" and node["table"] != d["name"]:
                assert node["table"] in earlier
        earlier.add(d["name"])
    for section in ("exclusions", "outputs", "counters"):
        for node in nodes(ir[section]):
            assert "ref" not in node or node["ref"] in inputs | counters | earlier


def test_inputs_are_pruned_to_what_is_read(ir):
    names = [i["name"] for i in ir["inputs"]]
    assert names[:3] == ["险种", "医疗类别", "医院等级"]
    assert "年龄" not in names and "扶贫对象" not in names and "人员类别" not in names
    optional = named(ir["inputs"], "本人年缴费基数")
    assert (optional["type"], optional["field"], optional["optional"]) == ("money", "person.annual_base", True)
    assert named(ir["inputs"], "转院")["type"] == "bool"
    assert named(ir["inputs"], "医院等级")["type"] == {"enum": "医院等级"}


def test_counters(ir):
    admissions = named(ir["counters"], "本年计入住院次数")
    assert (admissions["type"], admissions["period"], admissions["init"], admissions["cuminfo"]) == (
        "count", "year", {"count": 0}, "admissions")
    assert admissions["update"]["args"][1]["args"][1:] == [{"count": 1}, {"count": 0}]
    flag = named(ir["counters"], "上次住院免起付")
    assert (flag["type"], flag["period"], flag["init"], flag["article"]) == ("bool", "case", {"bool": False}, "第三十条")


def test_vocabularies_notes_and_interpretations(ir):
    level = named(ir["vocabularies"], "医院等级")
    assert level["aliases"] == {"社区": "一级"} and level["members"][3] == {"name": "未定级", "code": "9"}
    (transfer,) = named(ir["definitions"], "住院应付起付线")["exceptions"]
    assert any("转院读作" in n for n in transfer["notes"])
    note = [i for i in ir["interpretations"] if i["text"].startswith("转院读作")][0]
    assert (note["article"], note["subject"]) == ("第三十条", "住院应付起付线")


def test_exclusions_and_outputs(ir):
    assert [x["article"] for x in ir["exclusions"]] == [
        "第三十三条", "第三十三条", "第三十八条", "第三十九条", "第四十二条", "第四十三条", "第四十四条", "第四十六条"]
    assert ir["exclusions"][0]["when"]["args"][1] == {"op": "in", "args": [{"ref": "医院等级"}], "members": ["三级", "未定级"]}
    assert named([{"name": o["field"], **o} for o in ir["outputs"]], "pool_prop_selfpay")["type"] == "rate"
    assert ir["outputs"][11]["expr"] == {"money": 0}


def test_examples_carry_literal_values(ir):
    first = next(e for e in ir["examples"] if "本年合并限额已付" in e["person"])  # 第二十八条
    assert first["person"] == {"险种": {"enum": "险种", "member": "职工"}, "本年合并限额已付": {"money": 19900000}}
    (encounter,) = first["encounters"]
    assert encounter["expect"]["values"]["统筹基金支付"] == {"money": 100000}
    community = [e for e in ir["examples"] if e["title"].startswith("社区")][0]
    assert community["encounters"][0]["inputs"]["医院等级"] == {"enum": "医院等级", "member": "一级"}
    values = [v for e in ir["examples"] for enc in e["encounters"] for v in enc["expect"]["values"].items()]
    assert ("先行自付金额", {"money": 1}) in values and ("统筹支付比例", {"rate": "0.75"}) in values
    assert ("计入住院次数", {"bool": False}) in values
    outcomes = {(enc["expect"]["excluded"], enc["expect"]["error"]) for e in ir["examples"] for enc in e["encounters"]}
    assert {(True, None), (False, "YR01"), (False, None)} <= outcomes


def test_no_floats_anywhere(ir):
    def walk(v):
        assert not isinstance(v, float)
        for child in v.values() if isinstance(v, dict) else v if isinstance(v, list) else ():
            walk(child)

    walk(ir)


# ── canonical form ──


def test_decimal_text_and_fen():
    cases = {"0.85": "0.85", "0.850": "0.85", "1.00": "1", "0": "0", "0.000": "0", "100": "100", "1E+2": "100", "-0.10": "-0.1"}
    assert {k: decimal_text(Decimal(k)) for k in cases} == cases
    assert fen(Decimal("200")) == 20000 and fen(Decimal("0.01")) == 1 and fen(Decimal("200000")) == 20000000


def test_canonical_json_and_hash():
    doc = {"b": [1, {"y": "元", "x": None}], "a": True}
    assert canonical_json(doc) == '{"a":true,"b":[1,{"x":null,"y":"元"}]}\n'.encode("utf-8")
    hashed = with_sha256(doc)
    body = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    assert hashed["sha256"] == hashlib.sha256(body).hexdigest()
    assert with_sha256(hashed) == hashed
    assert with_sha256({**doc, "a": False})["sha256"] != hashed["sha256"]
    assert cell_name("门诊支付比例", ("居民", "一级")) == "门诊支付比例[居民,一级]"


def test_same_rules_give_the_same_bytes_under_any_hash_seed(tmp_path):
    script = "import sys; from yibao.compiler.driver import compile_path; from yibao.compiler.lower import canonical_json; " \
             f"sys.stdout.buffer.write(canonical_json(compile_path({str(DONGYING)!r}).ir))"
    outputs = set()
    for seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outputs.add(subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, check=True).stdout)
    assert len(outputs) == 1
    assert outputs.pop() == canonical_json(compile_path(DONGYING).ir)


# ── a small program, to see the lowering of each construct ──

MODULE = """模块 小
词表 医院等级 (level) 字段 encounter.dedc_hosp_lv：
    一级 = "1"
    二级 = "2"
    三级 = "3"
输入 费用：金额 字段 encounter.fees.01
输入 急诊：标志 字段 encounter.flags
"""


def test_lowering_of_each_construct(tmp_path):
    (tmp_path / "m.yb").write_text(MODULE, encoding="utf-8")
    city = (
        '地区 小城 370000\n施行 2020-01-01\n采用 小\n'
        "第一条\n    标准 按 level 三级 3元，其余 待定\n"
        "    比率 按 医院等级 0% / 50% / 100%\n"
        "    高 = 医院等级 属于 {三级, 二级, 三级}\n"
        "    应付 = 若 高 则 最大(费用 − 标准[医院等级=一级], 5) 否则 四舍五入(费用 × 比率)\n"
        "    例外 应付 = 应付 − 1 当 急诊 且 非 高\n"
        "    输出 hifp_pay = 应付\n"
    )
    result = compile_text(city, "city.yb", root=tmp_path)
    assert result.diagnostics == [] and result.ir is not None
    ir = result.ir
    assert named(ir["definitions"], "高")["default"]["expr"]["members"] == ["二级", "三级"]
    assert named(ir["tables"], "比率")["cells"][0]["value"] == {"rate": "0"}
    assert named(ir["tables"], "比率")["cells"][2]["value"] == {"rate": "1"}
    payable = named(ir["definitions"], "应付")
    high = payable["default"]["expr"]["args"][1]
    assert high == {"op": "max", "args": [
        {"op": "sub", "args": [{"ref": "费用"}, {"op": "lookup", "table": "标准", "args": [{"enum": "医院等级", "member": "一级"}]}]},
        {"money": 500}]}
    assert payable["exceptions"][0]["expr"] == {"op": "sub", "args": [{"ref": "应付"}, {"money": 100}]}
    assert payable["exceptions"][0]["priority"] == 0
    assert [o["name"] for o in ir["open_values"]] == ["标准[一级]", "标准[二级]"]
    assert [d["name"] for d in ir["definitions"]] == ["标准", "比率", "高", "应付"]
    assert [i["name"] for i in ir["inputs"]] == ["医院等级", "费用", "急诊"]
    assert ir["regulation"]["source"] == "city.yb" and ir["regulation"]["effective"] == ["2020-01-01", None]

"""Code lists (docs/language.md section 17): a vocabulary on an optional field (``字段 … 可缺``), open to codes it
does not list (a line ``其余``), keying a table. An unlisted code is accepted and reads as the member 其余: a
table's ``其余`` cell, or 不适用 (YR02) for that encounter only when the table has none. Never a case error.

The rules are 东营's with one test article added (its numbers are this test's, not a regulation's); the
closures, the generated code and the columnar evaluator must settle every case to the same bytes.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.compiler.driver import compile_text
from yibao.runtime import CaseError, Engine, Regulation, dumps_output, load_case_text

ROOT = Path(__file__).resolve().parent.parent
DONGYING = ROOT / "regulations" / "dongying" / "dongying-2018.yb"

# 阑尾炎 (K35.900) pays 90% above a 0元 deductible; any other code: the deductible table's 其余 (100元), and
# the ratio table's 其余 when ``rest`` gives one, else 不适用.
ARTICLE = """
第九十九条【单病种（测试用，不是东营的规定）】
    词表 单病种 字段 encounter.dise_codg 可缺：
        阑尾炎 = "K35.900"
        其余
    单病种起付线 按 单病种 阑尾炎 0元, 其余 100元
    单病种支付比例 按 单病种 阑尾炎 90%{rest}
    例外 应付起付线 = 单病种起付线 当 有 单病种 优先级 99
    例外 统筹支付比例 = 单病种支付比例 当 有 单病种 优先级 99
"""


def compiled(rest: str) -> dict:
    text = DONGYING.read_text(encoding="utf-8") + ARTICLE.format(rest=rest)
    result = compile_text(text, "dongying/dongying-2018.yb", root=ROOT / "regulations")
    assert result.ir is not None, [d.message for d in result.diagnostics]
    return result.ir


# the same list declared without a field, read through an input of its type (the table is read at that input)
THROUGH_AN_INPUT = ("""    词表 单病种 字段 encounter.dise_codg 可缺：""",
                    """    词表 单病种：""")


@pytest.fixture(scope="module", params=["", ", 其余 80%"], ids=["no-rest", "rest-80"])
def engines(request):
    ir = compiled(request.param)
    return request.param, Engine([Regulation.from_ir(ir)]), Engine([Regulation.from_ir(ir, fast=False)])


def case(*codes) -> str:
    encounters = []
    for i, code in enumerate(codes):
        enc = {"mdtrt_id": f"E{i + 1}", "med_type": "21", "setl_time": f"2020-03-{i + 1:02d}", "dedc_hosp_lv": "1",
               "fees": {"01": "4000"}}
        if code is not None:
            enc["dise_codg"] = code
        encounters.append(enc)
    person = {"psn_no": "P1", "insutype": "310", "psn_type": "1101", "brdy": "1970-01-01", "gend": "1"}
    return json.dumps({"region": "370500", "person": person, "encounters": encounters}, ensure_ascii=False)


def settle(engine: Engine, text: str, trace: bool = False):
    return engine.settle(load_case_text(text, "case.json"), trace=trace)


def test_listed_unlisted_and_absent_codes_each_settle_by_their_own_rule(engines):
    rest, fast, _ = engines
    rows = settle(fast, case(None, "K35.900", "Z99.999")).output["encounters"]
    absent, listed, unlisted = rows
    assert listed["setlinfo"]["act_pay_dedc"] == Decimal("0.00")
    assert listed["setlinfo"]["hifp_pay"] == Decimal("3600.00")  # 4000 × 90%
    assert absent["setlinfo"]["hifp_pay"] == Decimal("3610.00")  # 东营 第三十、三十一条: (4000 − 200) × 95%
    if rest:  # the ratio table's 其余: (4000 − 100) × 80% = 3120
        assert unlisted["setlinfo"]["act_pay_dedc"] == Decimal("100.00")
        assert unlisted["setlinfo"]["hifp_pay"] == Decimal("3120.00")
    else:  # no 其余 in the ratio table: this encounter only is an error, naming the cell
        assert unlisted["error"]["code"] == "YR02"
        assert unlisted["error"]["name"] == "单病种支付比例[其余]"


def test_a_code_must_still_be_a_string(engines):
    _, fast, _ = engines
    with pytest.raises(CaseError, match="dise_codg"):
        settle(fast, case(35900))


def test_the_three_evaluators_settle_alike(engines):
    from yibao.runtime.columnar import ColumnarEngine

    _, fast, reference = engines
    text = case("K35.900", "Z99.999", None, "K35.900", "")
    with pytest.raises(CaseError):  # an empty code is no code
        settle(fast, text)
    text = case("K35.900", "Z99.999", None, "K35.900")
    assert dumps_output(settle(fast, text, True).output) == dumps_output(settle(reference, text, True).output)
    assert results(ColumnarEngine(fast).settle(load_case_text(text, "case.json")).output) == results(settle(fast, text).output)


def results(output: dict) -> list:
    """What the columnar evaluator gives per encounter (it writes no setldetail and no trace)."""
    return [(row["mdtrt_id"], row.get("setlinfo"), row.get("error")) for row in output["encounters"]]


codes = st.lists(st.one_of(st.none(), st.just("K35.900"), st.text("ABKZ0123456789.", min_size=1, max_size=8)),
                 min_size=1, max_size=5)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(codes)
def test_random_codes_settle_alike_in_every_evaluator(engines, drawn):
    from yibao.runtime.columnar import ColumnarEngine

    _, fast, reference = engines
    text = case(*drawn)
    before = fast.regulations()[0].program.fallbacks
    traced = dumps_output(settle(fast, text, True).output)
    assert traced == dumps_output(settle(reference, text, True).output)
    assert results(ColumnarEngine(fast).settle(load_case_text(text, "case.json")).output) == results(settle(fast, text).output)
    assert fast.regulations()[0].program.fallbacks == before  # the generated code settled every encounter


def test_a_list_without_a_field_is_read_through_the_one_input_of_its_type(engines):
    rest, fast, _ = engines
    old, new = THROUGH_AN_INPUT
    text = DONGYING.read_text(encoding="utf-8") + ARTICLE.format(rest=rest).replace(old, new).replace(
        "    单病种起付线", "    输入 病种：单病种 字段 encounter.dise_codg 可缺\n    单病种起付线").replace("有 单病种", "有 病种")
    result = compile_text(text, "dongying/dongying-2018.yb", root=ROOT / "regulations")
    assert result.ir is not None, [d.message for d in result.diagnostics]
    through = Engine([Regulation.from_ir(result.ir)])
    drawn = case(None, "K35.900", "Z99.999", "K35.900")
    assert results(settle(through, drawn).output) == results(settle(fast, drawn).output)


def test_an_ir_whose_open_list_also_names_a_member_qiyu_is_refused():
    import hashlib

    from yibao.compiler.driver import compile_path
    from yibao.runtime import IRError

    ir = json.loads(json.dumps(compile_path(ROOT / "tests" / "fixtures" / "language" / "codes.yb").ir))
    next(v for v in ir["vocabularies"] if v["name"] == "单病种")["members"].append({"name": "其余", "code": "X"})
    body = {k: v for k, v in ir.items() if k not in ("sha256", "semantic_sha256")}
    ir["sha256"] = hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    with pytest.raises(IRError, match="vocabularies.*其余"):
        Regulation.from_ir(ir)


def test_without_qiyu_an_unlisted_code_is_still_refused_as_the_contract_says():
    closed = ARTICLE.format(rest="").replace("        阑尾炎 = \"K35.900\"\n        其余\n", "        阑尾炎 = \"K35.900\"\n")
    assert closed != ARTICLE.format(rest="")
    result = compile_text(DONGYING.read_text(encoding="utf-8") + closed, "dongying/dongying-2018.yb", root=ROOT / "regulations")
    assert result.ir is not None, [d.message for d in result.diagnostics]
    engine = Engine([Regulation.from_ir(result.ir)])
    with pytest.raises(CaseError, match="Z99.999"):
        settle(engine, case("K35.900", "Z99.999"))
    assert settle(engine, case("K35.900", None)).output["encounters"][0]["setlinfo"]["hifp_pay"] == Decimal("3600.00")

"""A banded payment's effective ratio (docs/language.md section 15): ``比例(X)`` is X ÷ the part of the amount
the bands cover above the start, exact; the contract reports it as ``pool_prop_selfpay`` rounded half-up to
four decimals, like every ratio. Nothing covered: the first band's rate.

The rules are 东营's with one test article added (its edges and rates are this test's, not a regulation's);
the closures, the generated code and the columnar evaluator must settle alike.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.compiler.driver import compile_text
from yibao.runtime import Engine, Regulation, dumps_output, load_case_text

ROOT = Path(__file__).resolve().parent.parent
DONGYING = ROOT / "regulations" / "dongying" / "dongying-2018.yb"

ARTICLE = """
第九十七条【分段支付（测试用，不是东营的规定）】
    统筹分段支付额 = 分段 政策范围内金额 自 实际起付线：
        0元 至 1万元：80%
        1万元 至 5万元：85%
        5万元 以上：90%
    例外 统筹支付比例 = 比例(统筹分段支付额) 当 是住院 优先级 97
"""


@pytest.fixture(scope="module")
def engines():
    text = DONGYING.read_text(encoding="utf-8") + ARTICLE
    result = compile_text(text, "dongying/dongying-2018.yb", root=ROOT / "regulations")
    assert result.ir is not None, [d.message for d in result.diagnostics]
    return Engine([Regulation.from_ir(result.ir)]), Engine([Regulation.from_ir(result.ir, fast=False)])


def case(*fees: str) -> str:
    encounters = [{"mdtrt_id": f"E{i + 1}", "med_type": "21", "setl_time": f"2020-03-{i + 1:02d}", "dedc_hosp_lv": "1",
                   "fees": {"01": fee}} for i, fee in enumerate(fees)]
    person = {"psn_no": "P1", "insutype": "310", "psn_type": "1101", "brdy": "1970-01-01", "gend": "1"}
    return json.dumps({"region": "370500", "person": person, "encounters": encounters})


def setlinfo(engine: Engine, text: str) -> list:
    return [row["setlinfo"] for row in engine.settle(load_case_text(text, "case.json"), trace=False).output["encounters"]]


def test_the_banded_payment_reports_its_effective_ratio(engines):
    fast, _ = engines
    first, small = setlinfo(fast, case("30000", "150"))
    # 东营 第三十条 一级 200元; (10000 − 200) × 80% + (30000 − 10000) × 85% = 7840 + 17000 = 24840;
    # 24840 ÷ (30000 − 200) = 0.83355… → 0.8336, and 29800 × 24840/29800 is 24840 exactly
    assert first["hifp_pay"] == Decimal("24840.00")
    assert first["pool_prop_selfpay"] == Decimal("0.8336")
    # below the deductible nothing is covered: the first band's 80%
    assert small["hifp_pay"] == Decimal("0.00")
    assert small["pool_prop_selfpay"] == Decimal("0.8000")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 12_000_000), min_size=1, max_size=4))
def test_random_fees_settle_alike_in_every_evaluator(engines, fens):
    from yibao.runtime.columnar import ColumnarEngine

    fast, reference = engines
    text = case(*(f"{f // 100}.{f % 100:02d}" for f in fens))
    before = fast.regulations()[0].program.fallbacks
    traced = fast.settle(load_case_text(text, "case.json"), trace=True).output
    assert dumps_output(traced) == dumps_output(reference.settle(load_case_text(text, "case.json"), trace=True).output)
    plain = fast.settle(load_case_text(text, "case.json"), trace=False).output
    columnar = ColumnarEngine(fast).settle(load_case_text(text, "case.json")).output
    assert [r.get("setlinfo") for r in columnar["encounters"]] == [r.get("setlinfo") for r in plain["encounters"]]
    assert fast.regulations()[0].program.fallbacks == before  # the generated code settled every encounter

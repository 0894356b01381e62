"""Date counters (docs/language.md section 18): a counter of type 日期 starts with no date (``有`` is false for
it), keeps that when its update gives it back, and carries the last discharge across encounters so that a
re-admission window can be written. cuminfo may carry it in as yyyy-MM-dd.

The rules are 东营's with one test article added (its 15 days and 50% are this test's, not a regulation's);
the closures, the generated code and the columnar evaluator must settle every case alike.
"""

from __future__ import annotations

import datetime as _dt
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

ARTICLE = """
第九十八条【再入院（测试用，不是东营的规定）】
    计数器 上次出院日期：日期 {period} 接收 "last_enddate"
    更新 上次出院日期 = 若 有 出院日期 则 出院日期 否则 上次出院日期
    十五日内再入院 = 有 上次出院日期 且 有 入院日期 且 入院日期 − 上次出院日期 ≤ 15天
    例外 统筹支付比例 = 50% 当 是住院 且 十五日内再入院 优先级 98
{extra}"""


def engines_for(extra: str = "", period: str = "每案") -> tuple:
    text = DONGYING.read_text(encoding="utf-8") + ARTICLE.format(extra=extra, period=period)
    result = compile_text(text, "dongying/dongying-2018.yb", root=ROOT / "regulations")
    assert result.ir is not None, [d.message for d in result.diagnostics]
    return Engine([Regulation.from_ir(result.ir)]), Engine([Regulation.from_ir(result.ir, fast=False)])


@pytest.fixture(scope="module")
def engines():
    return engines_for()


@pytest.fixture(scope="module")
def yearly():
    """The same window with a 每年 counter: the first encounter of a year starts with no date again."""
    return engines_for(period="每年")


def stay(i: int, setl: str, beg=None, end=None, med_type="21") -> dict:
    enc = {"mdtrt_id": f"E{i}", "med_type": med_type, "setl_time": setl, "dedc_hosp_lv": "1", "fees": {"01": "4000"}}
    if beg:
        enc["begndate"] = beg
    if end:
        enc["enddate"] = end
    return enc


def case(encounters: list, cuminfo=None) -> str:
    doc = {"region": "370500", "encounters": encounters,
           "person": {"psn_no": "P1", "insutype": "310", "psn_type": "1101", "brdy": "1970-01-01", "gend": "1"}}
    if cuminfo:
        doc["cuminfo"] = cuminfo
    return json.dumps(doc, ensure_ascii=False)


def paid(engine: Engine, text: str) -> list:
    rows = engine.settle(load_case_text(text, "case.json"), trace=False).output["encounters"]
    return [row["error"]["code"] if "error" in row else row["setlinfo"]["hifp_pay"] for row in rows]


def test_the_last_discharge_opens_a_window_for_the_next_admission(engines):
    fast, _ = engines
    text = case([stay(1, "2020-03-10", "2020-03-01", "2020-03-10"), stay(2, "2020-03-30", "2020-03-20", "2020-03-30"),
                 stay(3, "2020-05-30", "2020-05-20", "2020-05-30")])
    # 东营 第三十、三十一条: (4000 − 200) × 95% = 3610; 10 days after: (4000 − 200) × 50% = 1900;
    # 51 days after, 东营's third admission of the year has no deductible: 4000 × 95% = 3800
    assert paid(fast, text) == [Decimal("3610.00"), Decimal("1900.00"), Decimal("3800.00")]


def test_an_encounter_without_a_discharge_date_keeps_the_last_one(engines):
    fast, _ = engines
    text = case([stay(1, "2020-03-10", "2020-03-01", "2020-03-10"), stay(2, "2020-03-12", med_type="11"),
                 stay(3, "2020-03-30", "2020-03-20", "2020-03-30")])
    assert paid(fast, text)[2] == Decimal("1900.00")  # 2020-03-20 − 2020-03-10 = 10 days, through the 门诊 visit


def test_cuminfo_carries_the_last_discharge_in(engines):
    fast, _ = engines
    text = case([stay(1, "2020-03-10", "2020-03-01", "2020-03-10")], {"last_enddate": "2020-02-25"})
    assert paid(fast, text) == [Decimal("1900.00")]  # 2020-03-01 − 2020-02-25 = 5 days
    with pytest.raises(CaseError, match="last_enddate"):
        fast.settle(load_case_text(case([stay(1, "2020-03-10")], {"last_enddate": "2020-02-30"}), "case.json"))


def test_a_rule_that_needs_the_date_before_there_is_one_stops_that_encounter_only():
    fast, reference = engines_for("    例外 统筹支付比例 = 60% 当 入院日期 − 上次出院日期 > 100天 优先级 97\n")
    text = case([stay(1, "2020-03-10", "2020-03-01", "2020-03-10"), stay(2, "2020-03-30", "2020-03-20", "2020-03-30")])
    for engine in (fast, reference):
        rows = engine.settle(load_case_text(text, "case.json"), trace=False).output["encounters"]
        assert rows[0]["error"]["code"] == "YR03" and rows[0]["error"]["name"] == "上次出院日期"
        assert "还没有日期" in rows[0]["error"]["message"]
        assert rows[1]["error"]["code"] == "YR03"  # the error did not set the counter: still no date
        assert "cuminfo.last_enddate" in rows[1]["error"]["message"]
    # carried in: 2020-03-01 − 2019-10-01 = 152 days > 100: (4000 − 200) × 60% = 2280; then 10 days: 50%, 1900
    carried = case([stay(1, "2020-03-10", "2020-03-01", "2020-03-10"), stay(2, "2020-03-30", "2020-03-20", "2020-03-30")],
                   {"last_enddate": "2019-10-01"})
    assert paid(fast, carried) == paid(reference, carried) == [Decimal("2280.00"), Decimal("1900.00")]


def results(output: dict) -> list:
    return [(row["mdtrt_id"], row.get("setlinfo"), row.get("error")) for row in output["encounters"]]


def test_a_yearly_date_counter_forgets_last_year(yearly):
    fast, reference = yearly
    # 2021-01-03 − 2020-12-28 = 6 days, but the counter is 每年: no date in 2021 yet, so no window
    text = case([stay(1, "2020-12-28", "2020-12-20", "2020-12-28"), stay(2, "2021-01-10", "2021-01-03", "2021-01-10")])
    assert paid(fast, text) == paid(reference, text) == [Decimal("3610.00"), Decimal("3610.00")]


day = _dt.date(2020, 1, 5)
visits = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12), st.booleans(), st.booleans()), min_size=1, max_size=5)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(visits, st.one_of(st.none(), st.integers(0, 30)), st.booleans(), st.sampled_from([day, _dt.date(2020, 11, 20)]))
def test_random_stays_settle_alike_in_every_evaluator(engines, yearly, drawn, carried, per_year, start):
    from yibao.runtime.columnar import ColumnarEngine

    fast, reference = yearly if per_year else engines
    encounters, at = [], start
    for i, (gap, length, inpatient, dated) in enumerate(drawn):
        begin = at + _dt.timedelta(days=gap)
        end = begin + _dt.timedelta(days=length)
        at = end
        encounters.append(stay(i + 1, end.isoformat(), begin.isoformat() if dated else None,
                               end.isoformat() if dated else None, "21" if inpatient else "11"))
    cuminfo = {"last_enddate": (start - _dt.timedelta(days=carried)).isoformat()} if carried is not None else None
    text = case(encounters, cuminfo)
    before = fast.regulations()[0].program.fallbacks
    traced = fast.settle(load_case_text(text, "case.json"), trace=True).output
    assert dumps_output(traced) == dumps_output(reference.settle(load_case_text(text, "case.json"), trace=True).output)
    plain = fast.settle(load_case_text(text, "case.json"), trace=False).output
    assert results(ColumnarEngine(fast).settle(load_case_text(text, "case.json")).output) == results(plain)
    assert fast.regulations()[0].program.fallbacks == before  # the generated code settled every encounter

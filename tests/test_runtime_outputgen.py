"""The generated output builder (runtime/outputgen.py) against settle.py's general path, which defines it.

On the outputs of a real 东营 encounter, and on those outputs changed (other amounts, other funds paying, a
Fraction amount that is or is not whole fen, a negative amount, sums that do not add up, a limit that is
not whole fen or not a number, another 险种), the builder either gives exactly the general path's setlinfo
and setldetail, or declines (None) where the general path has something to say (a YR90 problem) or takes
a road the builder leaves to it.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_runtime_codegen import DONGYING
from yibao.compiler.driver import compile_path
from yibao.runtime import Regulation, contract as C, load_case_text
from yibao.runtime.outputgen import generate_source
from yibao.runtime.values import amount_decimals
from yibao.runtime.settle import Engine, _limit, _setldetail, _setlinfo_fen

CASE = """{"region": "370500", "person": {"psn_no": "P1", "insutype": "310", "psn_type": "1101", "brdy": "1975-06-01",
 "gend": "1", "flags": []}, "encounters": [{"mdtrt_id": "E1", "med_type": "21", "setl_time": "2019-03-10",
 "dedc_hosp_lv": "3", "fees": {"01": 10000.00, "02": 0, "03": 0}, "overlmt_selfpay": 0, "flags": []}]}"""


# 东营 compiled once: the strategies below need its contract at import, the fixture its encounter
DONGYING_REG = Regulation.from_ir(compile_path(str(DONGYING)).ir)


@pytest.fixture(scope="module")
def settled():
    reg = DONGYING_REG
    engine = Engine([reg])
    prepared = engine.prepare(load_case_text(CASE, "case.json"))
    enc, _, inputs = prepared.plans[0]
    ev = reg.program.evaluate(inputs, [c.init for c in reg.program.counters], reg.program.contract.kept, trusted=True)
    assert ev.excluded is None and ev.error is None
    return reg, ev


class Ev:
    """The attributes settle.py's general path reads of an Evaluation."""

    def __init__(self, outputs):
        self.outputs = outputs
        self.excluded = None
        self.env = None


def general(reg, outputs, insutype):
    ev, contract = Ev(outputs), reg.program.contract
    amounts, problem = _setlinfo_fen(ev, contract)
    if problem is not None:
        return problem
    setlinfo = amount_decimals(amounts, contract.ratios)
    return setlinfo, _setldetail(amounts, setlinfo, insutype, _limit(reg.program, ev), ev, contract.ratios)


def shown(answer):
    if answer is None or isinstance(answer, str):
        return answer
    setlinfo, detail = answer
    return [(k, str(v)) for k, v in setlinfo.items()], [[(k, str(v)) for k, v in row.items()] for row in detail]


fen = st.integers(0, 10**9)
money_or_odd = st.one_of(fen, fen.map(lambda f: Fraction(f)), fen.map(lambda f: Fraction(2 * f + 1, 2)), st.integers(-5, -1))


# the contract the bundled settlement model declares (its 接口 lines), as the builder reads it
SHAPE = C.output_shape(DONGYING_REG.program)
AMOUNTS = [f for f in SHAPE.setlinfo if f not in SHAPE.ratios]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(AMOUNTS), money_or_odd, max_size=5),
       st.sampled_from([None, 0, 150_000_000, Fraction(1, 3), Fraction(200, 1), True, "x"]),
       st.sampled_from([Fraction(85, 100), 1, 0, Fraction(-1, 2), Fraction(1, 3)]),
       st.sampled_from(["310", "390", None, "999"]), st.booleans())
def test_the_builder_gives_the_general_paths_output_or_declines(settled, changes, limit, ratio, insutype, balanced):
    reg, ev = settled
    outputs = dict(ev.outputs, **changes, pool_prop_selfpay=ratio)
    if limit is not None:
        outputs[SHAPE.limit] = limit
    if balanced:  # keep the sums adding up, so that most cases settle
        whole = [outputs.get(f, 0) for f in SHAPE.funds + ("psn_part_amt", "acct_pay")]
        if all(v.__class__ is int for v in whole):
            outputs["fund_pay_sumamt"] = sum(outputs.get(f, 0) for f in SHAPE.funds)
            outputs["medfee_sumamt"] = outputs["fund_pay_sumamt"] + outputs["psn_part_amt"]
            outputs["psn_cash_pay"] = outputs["psn_part_amt"] - outputs.get("acct_pay", 0)  # 个人负担 = 账户 + 现金
    built = reg.build_output(outputs, insutype)
    expected = general(reg, outputs, insutype)
    if built is not None:
        assert shown(built) == shown(expected)
    assert built is not None or isinstance(expected, str) or any(
        outputs.get(f, 0).__class__ is not int for f in AMOUNTS) or \
        ratio.__class__ not in (int, Fraction)


def test_the_real_encounter_is_built_by_the_generated_code(settled):
    reg, ev = settled
    built = reg.build_output(ev.outputs, "310")
    assert built is not None and shown(built) == shown(general(reg, ev.outputs, "310"))
    assert str(built[0]["hifp_pay"]) == "7820.00"  # 东营 第三十一条: (10000 − 800) × 85%


def test_the_generated_source_names_fields_only_as_literals(settled):
    reg, _ = settled
    source, namespace = generate_source(reg.program)
    assert namespace["__builtins__"] == {}
    for field in SHAPE.setlinfo:
        assert repr(field) in source
        assert f" {field} " not in source and f"({field}" not in source

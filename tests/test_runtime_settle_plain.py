"""``Engine.settle(trace=False)``'s plain lane (``Engine._settle_plain``) against the general path
(``Engine._settle_general``: prepare, plan, settle_encounter), which defines it.

On every conformance case of every bundled city (settled encounters, several encounters carrying counters,
cuminfo, exclusions, open values, encounters out of force or out of scope) and on a few damaged cases, both
give the same JSON bytes and status, or the same CaseError text; the lane declines (None) rather than
answer differently, and it does answer the plain cases (so that the comparison is not empty).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yibao.compiler.driver import compile_path, default_root, discover_regulations
from yibao.conformance import case_files_beside, load_case_file
from yibao.runtime import CaseError, Engine, Regulation, dumps_output, load_case_text

from test_conformance import _engine  # one compiled engine per city file, shared with the conformance tests

def _cases():
    for rule_file in discover_regulations(None):
        for case_file in case_files_beside(Path(rule_file)):
            _, cases = load_case_file(case_file)
            for case in cases:
                if case.kind != "contribute":
                    yield Path(rule_file), json.dumps(case.input, ensure_ascii=False), f"{case_file.stem}:{case.name}"


CASES = list(_cases())


def _general(engine: Engine, text: str):
    try:
        result = engine._settle_general(load_case_text(text, "case.json"), None, False, None)
    except CaseError as exc:
        return str(exc)
    return dumps_output(result.output), result.status


def _settled(engine: Engine, text: str):
    try:
        result = engine.settle(load_case_text(text, "case.json"), trace=False)
    except CaseError as exc:
        return str(exc)
    return dumps_output(result.output), result.status


@pytest.mark.parametrize("rule_file, text, name", CASES, ids=[c[2] for c in CASES])
def test_settle_equals_the_general_path(rule_file, text, name):
    engine = _engine(rule_file)
    assert _settled(engine, text) == _general(engine, text)


def test_the_lane_answers_plain_cases_with_several_encounters_and_cuminfo():
    answered = {"several": 0, "cuminfo": 0, "declined": 0}
    for rule_file, text, _ in CASES:
        engine = _engine(rule_file)
        case = load_case_text(text, "case.json")
        plain = engine._settle_plain(case, None)
        if plain is None:
            answered["declined"] += 1
            continue
        assert (dumps_output(plain.output), plain.status) == _general(engine, text)
        answered["several"] += len(case["encounters"]) > 1
        answered["cuminfo"] += bool(case.get("cuminfo"))
    assert answered["several"] > 0 and answered["cuminfo"] > 0 and answered["declined"] > 0, answered


DONGYING = """{"region": "370500",
 "person": {"psn_no": "P1", "insutype": "310", "psn_type": "1101", "brdy": "1975-06-01", "gend": "1", "flags": []},
 "encounters": [{"mdtrt_id": "E1", "med_type": "21", "setl_time": "2019-03-10", "dedc_hosp_lv": "3",
                 "fees": {"01": 10000.00, "02": 0, "03": 0}, "overlmt_selfpay": 0, "flags": []}]}"""


@pytest.mark.parametrize("change", [
    ("", ""),                                                  # the plain case itself
    ('"2019-03-10"', '"2030-03-10"'),                          # no version in force (YR04)
    ('"2019-03-10"', '"2019-03-10 08:30:00"'),                 # a date with a time: the helper reads it
    ('"insutype": "310"', '"insutype": "999"'),                # a code the contract does not know
    ('"dedc_hosp_lv": "3"', '"dedc_hosp_lv": 3'),              # a value of another type
    ('"fees": {"01": 10000.00', '"fees": {"01": -5'),          # a negative fee
    ('"flags": []}]', '"flags": [], "cuminfo_x": 1}]'),        # an unknown key
    ('"encounters": [', '"cuminfo": {"hifp_pay_pooled": "199150.00"}, "encounters": ['),  # near the annual limit
])
def test_damaged_and_unusual_cases_agree(change):
    engine = _engine(default_root() / "dongying" / "dongying-2018.yb")
    text = DONGYING.replace(*change)
    assert _settled(engine, text) == _general(engine, text)
    if change == ("", ""):
        assert engine._settle_plain(load_case_text(text, "case.json"), None) is not None


def test_two_versions_of_a_region_each_settle_their_dates_as_on_the_general_path():
    """One region with two loaded versions (东营's rules, split at 2019-07-01 for the test): each encounter on
    the lane takes the version in force on its date, counters carrying across, as the general path does."""
    import copy

    ir = compile_path(default_root() / "dongying" / "dongying-2018.yb").ir
    earlier, later = copy.deepcopy(ir), copy.deepcopy(ir)
    earlier["regulation"]["effective"] = ["2018-09-01", "2019-06-30"]
    later["regulation"]["effective"] = ["2019-07-01", None]
    later["regulation"]["title"] += "（测试用后一版本）"
    later["sha256"] = "0" * 64
    engine = Engine([Regulation.from_ir(earlier, verify=False), Regulation.from_ir(later, verify=False)])
    text = DONGYING.replace('"flags": []}]}', '"flags": []}, {"mdtrt_id": "E2", "med_type": "21", '
                            '"setl_time": "2019-08-01", "dedc_hosp_lv": "3", "fees": {"01": 5000}, "flags": []}]}')
    plain = engine._settle_plain(load_case_text(text, "case.json"), None)
    assert plain is not None
    assert (dumps_output(plain.output), plain.status) == _general(engine, text)
    titles = [e["regulation"]["title"] for e in plain.output["encounters"]]
    assert titles == [ir["regulation"]["title"], later["regulation"]["title"]]
    before = text.replace('"2019-03-10"', '"2018-03-10"')  # before either version: YR04 on the general path
    assert engine._settle_plain(load_case_text(before, "case.json"), None) is None
    assert _settled(engine, before) == _general(engine, before)

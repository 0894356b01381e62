"""The generated case reader (runtime/casegen.py) against the general reader (runtime/case.py) it stands in for.

- on valid 东营 cases it reads exactly what the general reader reads (values, flags, dates, cuminfo) and
  settles to the same bytes (the Engine of ``fast=False`` regulations has no generated reader);
- on a case with any one problem it declines (None), so the general reader words the CaseError: the same
  problems, paths and text as before;
- what the case holds never becomes code, and the source names only repr() literals of the schema's keys.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_runtime_codegen import DONGYING, assert_same, build_case, cuminfo, encounter, person
from yibao.compiler.driver import compile_path
from yibao.runtime import CaseError, Engine, Regulation, load_case_text
from yibao.runtime.case import Problems, parse_cuminfo, parse_encounters, parse_person
from yibao.runtime.casegen import generate_source


@pytest.fixture(scope="module")
def engines():
    result = compile_path(str(DONGYING))
    assert result.ir is not None
    return (Engine([Regulation.from_ir(result.ir)]), Engine([Regulation.from_ir(result.ir, fast=False)]))


def general(engine, case):
    schema = engine.regions.schemas["370500"]
    problems = Problems("case.json")
    read = (parse_person(case.get("person"), schema, problems), parse_encounters(case.get("encounters"), schema, problems),
            parse_cuminfo(case.get("cuminfo"), schema, problems))
    return read, problems.items


def shown(read):
    person, encounters, cum = read
    return ((person.values, person.flags, person.chronic, person.insutype),
            [(e.index, e.mdtrt_id, e.date, e.values, e.flags) for e in encounters], cum)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(person, st.lists(encounter, min_size=1, max_size=5), st.sampled_from(["2018-03-20", "2019-01-01"]), cuminfo,
       st.integers(0, 3))
def test_a_valid_case_is_read_as_the_general_reader_reads_it(engines, p, encounters, start, cum, admissions):
    fast, _ = engines
    case = load_case_text(build_case(p, encounters, start, cum, admissions), "case.json")
    expected, problems = general(fast, case)
    assert problems == []
    read = fast._case_readers["370500"](case)
    assert read is not None and shown(read) == shown(expected)


DAMAGE = [("person", "insutype", 310), ("person", "insutype", "999"), ("person", "psn_no", 7), ("person", "brdy", "1975-02-30"),
          ("person", "brdy", "75-01-01"), ("person", "gend", "3"), ("person", "flags", "扶贫对象"), ("person", "flags", ["外星人"]),
          ("person", "chronic", ["高血压"]), ("person", "chronic", ["外星病"]), ("person", "chronic", "高血压"), ("person", "annual_base", "1.005"), ("person", "annual_base", True),
          ("person", "colour", "red"), ("encounter", "mdtrt_id", ""), ("encounter", "mdtrt_id", "E1"),
          ("encounter", "med_type", 21), ("encounter", "setl_time", "2019-02-30"),
          ("encounter", "setl_time", "2019-03-01 25:00:00"), ("encounter", "setl_time", "2017-01-01"),
          ("encounter", "hosp_lv", "12"), ("encounter", "dedc_hosp_lv", 3), ("encounter", "fees", {"04": 1}),
          ("encounter", "fees", [1]), ("encounter", "fees", {"01": "-1"}), ("encounter", "fees", {"01": 1.5}),
          ("encounter", "fees", {"01": "1.005"}), ("encounter", "overlmt_selfpay", "-1"), ("encounter", "flags", ["外星人"]),
          ("encounter", "flags", {}), ("encounter", "extra", 1), ("case", "cuminfo", {"unknown": 1}),
          ("case", "cuminfo", {"admissions": "1.5"}), ("case", "cuminfo", []), ("case", "encounters", []),
          ("case", "person", None), ("case", "region", " 370500"), ("case", "region", "东营"), ("case", "other", 1)]


@pytest.mark.parametrize("damage", DAMAGE, ids=[f"{s}.{k}={v!r}" for s, k, v in DAMAGE])
def test_a_case_with_a_problem_is_left_to_the_general_reader(engines, damage):
    fast, _ = engines
    doc = json.loads(build_case({"insutype": "310", "psn_type": "1101", "gend": "1", "flags": []},
                                [{"med_type": "21", "fees": {"01": "100.00"}, "gap": 3, "clock": False}] * 2,
                                "2019-01-01", {}, 0))
    scope, key, value = damage
    target = doc if scope == "case" else doc["person"] if scope == "person" else doc["encounters"][-1]
    target[key] = value
    text = json.dumps(doc, ensure_ascii=False)
    case = load_case_text(text, "case.json")
    answers = assert_same(engines, text)
    if isinstance(case.get("person"), dict) and isinstance(case.get("encounters"), list):
        expected, problems = general(fast, case)
        read = fast._case_readers["370500"](case)
        if problems:
            assert read is None
            assert answers[0][0] == "CaseError"
        elif read is not None:  # what the general reader accepts, the generated one reads alike (or declines)
            assert shown(read) == shown(expected)


def test_the_cli_case_error_text_is_unchanged(engines):
    """One problem of each reader, worded by the general reader as before (codes and text)."""
    fast, _ = engines
    doc = json.loads(build_case({"insutype": "310", "psn_type": "1101", "gend": "1", "flags": []},
                                [{"med_type": "21", "fees": {"01": "100.00"}, "gap": 3, "clock": False}], "2019-01-01", {}, 0))
    doc["encounters"][0]["fees"] = {"01": "1.005"}
    with pytest.raises(CaseError) as raised:
        fast.settle(load_case_text(json.dumps(doc, ensure_ascii=False), "case.json"))
    assert str(raised.value) == "case.json: encounters[0].fees.01: 甲类费用：金额最多两位小数（精确到分）：1.005"


def test_the_generated_source_holds_only_repr_literals_of_the_schema(engines):
    import copy
    import io
    import tokenize

    schema = copy.deepcopy(engines[0].regions.schemas["370500"])
    hostile = "person.x'); import os; ('"
    schema.extensions[hostile] = "money"
    schema._derive()
    source, namespace = generate_source(schema)
    names = {tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.NAME}
    assert "import" not in names and "os" not in names  # the hostile key is inside its string literals only
    assert repr(hostile) in source
    assert namespace["__builtins__"] == {}

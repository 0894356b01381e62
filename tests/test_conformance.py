"""Every conformance case of every bundled city settles to the fen as its case file says."""

from __future__ import annotations

from pathlib import Path

import pytest

from yibao.compiler.driver import compile_path, default_root, discover_regulations
from yibao.conformance import CaseFileError, case_files_beside, load_case_file, run_case
from yibao.runtime import Engine, Regulation

_ENGINES: dict[Path, Engine] = {}


def _engine(rule_file: Path) -> Engine:
    if rule_file not in _ENGINES:
        result = compile_path(rule_file)
        assert result.ir is not None, result.diagnostics
        _ENGINES[rule_file] = Engine([Regulation.from_ir(result.ir)])
    return _ENGINES[rule_file]


def _all_cases():
    for rule_file in discover_regulations(None):
        for case_file in case_files_beside(Path(rule_file)):
            region, cases = load_case_file(case_file)
            for case in cases:
                yield pytest.param(Path(rule_file), case, id=f"{case_file.stem}:{case.name}")


ALL = list(_all_cases())


def test_each_city_has_at_least_fifteen_cases():
    by_file: dict[str, int] = {}
    for param in ALL:
        by_file[param.values[1].file] = by_file.get(param.values[1].file, 0) + 1
    assert by_file and all(n >= 15 for n in by_file.values()), by_file


@pytest.mark.parametrize("rule_file, case", ALL)
def test_conformance_case(rule_file, case):
    outcome = run_case(_engine(rule_file), case)
    assert outcome.passed, "\n".join(outcome.problems)


def test_a_malformed_case_file_names_the_file_and_case(tmp_path):
    bad = tmp_path / "x.cases.yaml"
    bad.write_text('region: "370500"\ncases:\n  - name: 缺期望\n    feature: f\n    input: {}\n', encoding="utf-8")
    with pytest.raises(CaseFileError, match=r"x\.cases\.yaml: cases\[0\]: 缺少 expect"):
        load_case_file(bad)


def test_a_wrong_expectation_is_reported_not_passed():
    rule_file = default_root() / "dongying" / "dongying-2018.yb"
    _, cases = load_case_file(rule_file.parent / "dongying-2018.cases.yaml")
    case = cases[0]
    wrong = type(case)(case.name, case.feature, case.article, case.input,
                       ({"mdtrt_id": "E1", "hifp_pay": "7820.01"},), case.file)
    outcome = run_case(_engine(rule_file), wrong)
    assert not outcome.passed
    assert "期望 7820.01，实际 7820.00" in outcome.problems[0]


def test_a_wrong_cause_is_reported():
    rule_file = default_root() / "dongying" / "dongying-2018.yb"
    _, cases = load_case_file(rule_file.parent / "dongying-2018.cases.yaml")
    (case,) = [c for c in cases if c.name == "居民普通门诊比例待定"]
    wrong = type(case)(case.name, case.feature, case.article, case.input,
                       ({"mdtrt_id": "E1", "error": "YR01", "cause": "住院支付比例"},), case.file)
    outcome = run_case(_engine(rule_file), wrong)
    assert not outcome.passed
    assert "门诊支付比例[居民,一级]" in outcome.problems[0]

"""``yibao synth``: deterministic, and every generated case is valid input for its region."""

from __future__ import annotations

import collections
import datetime as dt
import json

import pytest
from click.testing import CliRunner

from crosscity_support import bundled_engine, bundled_regions
from yibao.cli import main
from yibao.crosscity.synth import SynthError, synthesize
from yibao.runtime import load_case_text

CITIES = ["370500", "370600", "370800", "371300"]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_same_seed_gives_the_same_bytes_twice_and_another_seed_differs(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (first, second):
        result = run("synth", "--region", "东营", "--persons", "1000", "--seed", "1", "--out", str(out))
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    assert len(first.read_text(encoding="utf-8").splitlines()) == 1000
    other = synthesize(bundled_regions()["370500"], 1000, 2)
    assert other.encode("utf-8") != first.read_bytes()


@pytest.mark.parametrize("code", CITIES)
def test_every_generated_case_settles_without_an_input_error(code):
    """No CaseError (exit 2) and no missing input (YR03): open values (YR01) and exclusions are the rules' own."""
    engine = bundled_engine()
    outcomes = collections.Counter()
    for number, line in enumerate(synthesize(bundled_regions()[code], 300, 7).splitlines(), 1):
        result = engine.settle(load_case_text(line, f"synth:{number}"), trace=False)
        for row in result.output["encounters"]:
            outcome = row["error"]["code"] if "error" in row else "settled"
            assert outcome not in ("YR03", "YR04", "YR05", "YR99"), (number, row)
            outcomes[outcome] += 1
    assert sum(outcomes.values()) >= 300


@pytest.mark.parametrize("code", CITIES)
def test_the_mix_follows_what_the_region_declares(code):
    group = bundled_regions()[code]
    cases = [json.loads(line) for line in synthesize(group, 400, 3).splitlines()]
    start, end = group[0]["regulation"]["effective"]
    applies = group[0]["regulation"].get("applies_to")
    insutypes = {c["person"]["insutype"] for c in cases}
    # 济宁 第二条 covers residents only, 烟台 二（一） employees only; 东营 and 临沂 both
    assert insutypes == {"370800": {"390"}, "370600": {"310"}}.get(code, {"310", "390"}), applies
    dates = [e["setl_time"] for c in cases for e in c["encounters"]]
    assert min(dates) >= start and (end is None or max(dates) <= end)
    declared = {spec["name"] for ir in group for spec in ir["inputs"] if spec["field"] == "encounter.flags"}
    used = {flag for c in cases for e in c["encounters"] for flag in e["flags"]}
    assert used and used <= declared
    med_types = {e["med_type"] for c in cases for e in c["encounters"]}
    assert {"11", "21"} <= med_types
    assert any(len(c["encounters"]) > 1 for c in cases)


def test_ages_fit_the_person_category():
    cases = [json.loads(line) for line in synthesize(bundled_regions()["370500"], 300, 5).splitlines()]
    for case in cases:
        person, first = case["person"], dt.date.fromisoformat(case["encounters"][0]["setl_time"])
        born = dt.date.fromisoformat(person["brdy"])
        age = first.year - born.year - ((first.month, first.day) < (born.month, born.day))
        if person["psn_type"] in ("1201", "1202", "1203", "16"):
            assert age >= 60, case
        if person["psn_type"] == "1403":
            assert 6 <= age <= 18, case


def test_a_year_without_a_regulation_in_force_is_refused():
    with pytest.raises(SynthError, match="2024"):
        synthesize(bundled_regions()["370500"], 1, 1, 2024)
    result = run("synth", "--region", "东营", "--year", "2024", "--persons", "1")
    assert result.exit_code == 2 and "2018-04-01–2022-12-31" in result.stderr


def test_an_unknown_region_lists_the_known_ones():
    result = run("synth", "--region", "北京", "--persons", "1")
    assert result.exit_code == 2
    assert "北京" in result.stderr and "370500 东营市" in result.stderr and "371300 临沂市" in result.stderr

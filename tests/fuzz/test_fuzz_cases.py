"""Hostile case JSON (issue 11): types, magnitudes, nesting and encodings, through the runtime and the CLI.

Each input is a bundled case with one value replaced by a hostile JSON fragment (written as raw JSON
text, so numbers such as ``1e999999999`` or 5,000 digits reach the parser as they would from a file),
or re-encoded. Invariants:
- the runtime either refuses the case (``CaseError``: exit 2) or settles it into output that
  serialises to complete JSON, with no YR90 internal error and no other exception;
- the CLI exits 0, 1 or 2 and never shows a traceback; on 2 stdout is empty, on 0 and 1 it is one
  complete JSON object;
- within the call budget.
"""

from __future__ import annotations

import json

import fuzzkit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.runtime import CaseError, ContributionEngine, Engine, Regulation, dumps_output, load_case_text

SETTINGS = settings(max_examples=fuzzkit.examples(250), deadline=None, database=None, derandomize=fuzzkit.DERANDOMIZE,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CLI_SETTINGS = settings(max_examples=fuzzkit.examples(40), deadline=None, database=None, derandomize=fuzzkit.DERANDOMIZE,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                               HealthCheck.function_scoped_fixture])
HOLE = "__HOSTILE__"

# ── hostile JSON fragments ───────────────────────────────────────────────────────────────────

digits = st.integers(min_value=1, max_value=6000).map(lambda n: "9" * n)
number_text = st.one_of(
    st.integers(min_value=-10**60, max_value=10**60).map(str),
    digits,
    st.builds(lambda m, e: f"{m}e{e}", st.integers(-99, 99), st.integers(-10**10, 10**10)),
    st.builds(lambda w, f: f"{w}.{f}", digits, digits),
    st.sampled_from(["0", "-0", "0.0", "-0.0", "1e999999999", "1E-999999999", "0e999999999", "1.005",
                     "999999999999.99", "1000000000000", "1e12", "NaN", "Infinity", "-Infinity"]),
)
json_text = st.tuples(st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "370500", "东营", "2019-02-30", "2019-13-01", "9999-12-31", "0000-01-01",
                     "1e999999999", "１２３", "\u0000", "\ud800", "x\udc00", "\ud83d\ude00", "01", "1", "310",
                     "21", "3"]),
    digits,
), st.booleans()).map(lambda s: json.dumps(s[0], ensure_ascii=s[1] or any("\ud800" <= c <= "\udfff" for c in s[0])))
deep = st.integers(min_value=1, max_value=1500).flatmap(
    lambda n: st.sampled_from(["[" * n + "]" * n, '{"a":' * n + "1" + "}" * n]))
lone_surrogates = st.sampled_from(['"\\ud800"', '"\\udc00"', '"a\\udfffb"'])  # valid JSON, not valid text
escapes = st.sampled_from(['"\\ud800"', '"\\udc00"', '"a\\udfffb"', '"\\ud83d\\ude00"', '"\\u0000"'])
fragment = st.recursive(
    st.one_of(number_text, json_text, st.sampled_from(["true", "false", "null", "[]", "{}"]), deep, escapes),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
        st.dictionaries(st.text(max_size=8), inner, max_size=4).map(
            lambda d: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in d.items()) + "}")),
    max_leaves=8)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))


def with_hole(case: dict, path: tuple) -> dict:
    case = json.loads(json.dumps(case))
    if not path:
        return HOLE
    parent = case
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = HOLE
    return case


@st.composite
def hostile_case(draw, base: dict) -> str:
    """The base case's JSON text with one value (or key) replaced by a hostile fragment."""
    paths = list(_paths(base))
    echoed = [p for p in paths if p and p[-1] in ("mdtrt_id", "region", "chronic", "flags")]  # copied to the output
    path = draw(st.one_of(st.sampled_from(paths), st.sampled_from(echoed)))
    piece = draw(st.one_of(fragment, escapes, lone_surrogates, number_text, json_text))  # scalars weighted up
    text = json.dumps(with_hole(base, path), ensure_ascii=False)
    if draw(st.booleans()) and path and isinstance(path[-1], str):  # a hostile extra key beside it
        text = text.replace(f'"{HOLE}"', f'{piece}, {json.dumps(draw(st.text(max_size=12)))}: {draw(fragment)}', 1)
    return text.replace(f'"{HOLE}"', piece, 1)


# ── through the runtime ──────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def regulation() -> Regulation:
    return Regulation.from_ir(fuzzkit.compiled())


@pytest.fixture(scope="module")
def engine(regulation) -> Engine:
    return Engine([regulation])


@pytest.fixture(scope="module")
def contributions(regulation) -> ContributionEngine:
    return ContributionEngine([regulation])


def settle_or_refuse(run, text: str) -> None:
    with fuzzkit.call_budget():
        try:
            result = run(load_case_text(text, "fuzz.json"))
        except CaseError as exc:
            assert str(exc) and exc.problems
            return
        out = dumps_output(result.output)
    assert result.status in (0, 1)
    fuzzkit.no_internal_error(fuzzkit.assert_complete_json(out))


@SETTINGS
@given(data=st.data())
def test_hostile_settlement_cases_are_settled_or_refused(engine, data):
    fuzzkit.TRIED["settlement case (runtime)"] += 1
    settle_or_refuse(lambda case: engine.settle(case), data.draw(hostile_case(fuzzkit.settlement_case())))


@SETTINGS
@given(data=st.data())
def test_hostile_contribution_cases_are_computed_or_refused(contributions, data):
    fuzzkit.TRIED["contribution case (runtime)"] += 1
    settle_or_refuse(lambda case: contributions.contribute(case), data.draw(hostile_case(fuzzkit.CONTRIBUTION_CASE)))


# ── through the command line ─────────────────────────────────────────────────────────────────

encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030", "latin-1-garbage", "truncated"])


def encode(text: str, encoding: str) -> bytes:
    if encoding == "latin-1-garbage":
        return text.encode("utf-8") + b"\xff\xfe\x80"
    if encoding == "truncated":
        data = text.encode("utf-8")
        return data[: max(1, len(data) // 2)]
    return text.encode(encoding, errors="surrogatepass")


@pytest.fixture
def cached_rules(monkeypatch):
    """The CLI compiles the bundled rules on each run; compile them once for the whole fuzz run."""
    from yibao.commands import common

    monkeypatch.setattr(common, "_compile_every_region", lambda rules: list(fuzzkit.all_compiled()))


@CLI_SETTINGS
@given(data=st.data())
def test_the_cli_keeps_its_exit_statuses_on_hostile_cases(cached_rules, data):
    from click.testing import CliRunner

    from yibao.cli import main

    command = data.draw(st.sampled_from(["settle", "contribute"]))
    base = fuzzkit.settlement_case() if command == "settle" else fuzzkit.CONTRIBUTION_CASE
    payload = encode(data.draw(hostile_case(base)), data.draw(encodings))
    fuzzkit.TRIED["case through the CLI"] += 1
    with fuzzkit.call_budget(fuzzkit.CALL_BUDGET * 2):
        result = CliRunner().invoke(main, [command, "-"], input=payload)
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert result.stdout == "" and result.stderr.strip()
    else:
        fuzzkit.no_internal_error(fuzzkit.assert_complete_json(result.stdout))

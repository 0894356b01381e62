"""A mutation fuzzer over the bundled rule files (issue 11).

Each input is one bundled file (a city or a shared module) with one to three mutations: a line deleted,
duplicated or moved, a number or a name replaced, a character inserted or deleted, an indentation
changed, the text cut short, an expression nested deeply. The city (for a module: 东营, which adopts
all three) is compiled under a copy of the regulations root. Invariants:
- the compiler never raises (no CompilerBug, no traceback), within the call budget;
- every diagnostic has a location (file, line ≥ 1, column ≥ 1) in a file it can render;
- a file ``check`` accepts loads in the runtime, runs every worked example with no internal error, and
  settles (or contributes) the bundled case with no internal error: check never passes what the
  runtime refuses.
"""

from __future__ import annotations

import json
import re
import shutil

import fuzzkit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.compiler.driver import compile_path
from yibao.runtime import CaseError, ContributionEngine, Engine, Regulation, dumps_output, load_case_text
from yibao.testing import run_examples

SETTINGS = settings(max_examples=fuzzkit.examples(100), deadline=None, database=None, derandomize=fuzzkit.DERANDOMIZE,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
FILES = [*fuzzkit.CITY_FILES,
         "shandong/vocabulary.yb", "shandong/settlement-model.yb", "shandong/contribution-model.yb"]
NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
NAME = re.compile(r"[\u4e00-\u9fff]{2,}")
NUMBERS = ["0", "00", "1", "-1", "999999999999999999999999", "1e5", "0.001", "100", "三", "1/0"]
CHARS = ["(", ")", "（", "）", "=", "：", ":", "\t", " ", "\n", "\u3000", "若", "则", "否则", "最大(", "%", "元", "#",
         "例外 ", "优先级 ", "\"", "\\", "\x00", "\ufeff", "待定", "不适用"]


@st.composite
def mutant(draw, text: str) -> str:
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "move", "number", "name", "insert", "erase",
                                     "indent", "truncate", "nest"]))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "move":
            lines.insert(draw(st.integers(0, len(lines) - 1)), lines.pop(i))
        elif kind in ("number", "name"):
            pattern = NUMBER if kind == "number" else NAME
            spots = list(pattern.finditer(lines[i]))
            if spots:
                spot = draw(st.sampled_from(spots))
                new = draw(st.sampled_from(NUMBERS)) if kind == "number" else draw(st.sampled_from(NAME.findall(text)))
                lines[i] = lines[i][:spot.start()] + new + lines[i][spot.end():]
        elif kind == "insert":
            col = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:col] + draw(st.sampled_from(CHARS)) + lines[i][col:]
        elif kind == "erase" and lines[i]:
            a = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:a] + lines[i][a + draw(st.integers(1, 5)):]
        elif kind == "indent":
            lines[i] = draw(st.sampled_from(["", "  ", "    ", "        ", "\t"])) + lines[i].lstrip()
        elif kind == "truncate":
            lines = lines[:i]
        elif kind == "nest" and "=" in lines[i]:
            head, _, tail = lines[i].partition("=")
            n = draw(st.integers(50, 400))
            lines[i] = f"{head}= " + "最大(" * n + (tail.strip() or "0元") + ", 0元)" * n
        text = "\n".join(lines)
    return text


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules")
    shutil.copytree(fuzzkit.REGULATIONS, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def _located(d, sources) -> bool:
    return d.span is not None and d.span.line >= 1 and d.span.col >= 1 and d.span.file in sources


def _runs_cleanly(ir: dict) -> None:
    regulation = Regulation.from_ir(ir)
    for outcome in run_examples(regulation):
        for m in outcome.mismatches:
            assert not str(m.actual).startswith("YR90"), (outcome.title, m)
    if ir["regulation"]["region_code"] == "370500":
        for build, case in ((Engine, fuzzkit.settlement_case()), (ContributionEngine, fuzzkit.CONTRIBUTION_CASE)):
            if build is Engine and regulation.settlement_problem():
                continue
            engine = build([regulation])
            try:
                run = engine.settle if build is Engine else engine.contribute
                result = run(load_case_text(json.dumps(case), "fuzz.json"))
            except CaseError:
                continue
            fuzzkit.no_internal_error(fuzzkit.assert_complete_json(dumps_output(result.output)))


def _check_command(city, root, accepted: bool) -> None:
    from click.testing import CliRunner

    from yibao.cli import main

    fuzzkit.TRIED["rule file mutant through `yibao check`"] += 1
    result = CliRunner().invoke(main, ["check", str(city), "--rules", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if not accepted:
        assert result.exit_code == 2, result.output
        return
    # An accepted city may still break the province: an invariant it violates is exit 1, and a mutated
    # module that renames what the province files name makes those files fail to compile (exit 2, with
    # their own located diagnostics and the province summary line). Anything else is check contradicting
    # the compiler.
    province_failed = result.exit_code == 2 and "✗ 省级不变式：" in result.output
    assert result.exit_code in (0, 1) or province_failed, result.output
    assert "Traceback" not in result.output


@SETTINGS
@given(data=st.data())
def test_mutated_rule_files_compile_to_located_diagnostics_or_runnable_ir(workspace, data):
    file = data.draw(st.sampled_from(FILES))
    original = (fuzzkit.REGULATIONS / file).read_text(encoding="utf-8")
    path = workspace / file
    text = data.draw(mutant(original))
    path.write_text(text, encoding="utf-8")
    city = workspace / (file if not file.startswith("shandong/") else FILES[0])
    fuzzkit.TRIED["rule file mutant"] += 1
    try:
        with fuzzkit.call_budget(30_000_000):
            result = compile_path(city, root=workspace)
            assert all(_located(d, result.sources) for d in result.diagnostics), result.diagnostics
            if result.ir is not None:
                fuzzkit.TRIED["rule file mutant, accepted by check"] += 1
                _runs_cleanly(result.ir)
            if data.draw(st.integers(0, 3)) == 0:  # a quarter of them through `yibao check` as well
                _check_command(city, workspace, accepted=result.ir is not None)
    finally:
        path.write_text(original, encoding="utf-8")

"""The worked examples of docs/language.md that `yibao test` runs: each sits verbatim in the reference and in
a fixture rule file (not a city's regulation), so the two cannot drift apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from yibao.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "language").glob("*.yb"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_the_reference_shows_the_fixture_verbatim(path: Path):
    doc = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    assert f"```\n{path.read_text(encoding='utf-8')}```" in doc


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_yibao_test_runs_the_fixture_and_every_example_passes(path: Path):
    result = CliRunner().invoke(main, ["test", str(path), "-v"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output and "✗" not in result.output


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_the_fixture_examples_run_alike_with_and_without_generated_code(path: Path):
    from yibao.compiler.driver import compile_path
    from yibao.runtime import Regulation
    from yibao.testing import run_examples

    result = compile_path(path)
    ir = result.ir
    earlier, step = [], result.earlier
    while step is not None:  # the versions an amendment changes
        earlier.append(step.ir)
        step = step.earlier
    fast, reference = Regulation.from_ir(ir), Regulation.from_ir(ir, fast=False)
    # an amendment's examples run with the versions it amends loaded too, as `yibao test` runs them (section 20)
    versions = {True: tuple(Regulation.from_ir(e) for e in earlier),
                False: tuple(Regulation.from_ir(e, fast=False) for e in earlier)}
    outcomes = [[(r.title, r.passed, r.describe_failures()) for r in run_examples(reg, versions[reg is fast])]
                for reg in (fast, reference)]
    assert outcomes[0] == outcomes[1] and all(passed for _, passed, _ in outcomes[0])
    assert fast.program.fast is not None and fast.program.fallbacks == 0  # the generated code ran every example

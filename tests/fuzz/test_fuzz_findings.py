"""Defects the rule-file fuzzer found (issue 11), now fixed: each exact mutant of a bundled file is kept as a
regression test, beside a test of its whole class (every model line of that kind deleted in turn).
"""

from __future__ import annotations

import shutil

import fuzzkit
import pytest
from click.testing import CliRunner

from yibao.cli import main
from yibao.compiler.driver import compile_path
from yibao.runtime import Regulation
from yibao.testing import run_examples

MODEL = "shandong/settlement-model.yb"
CITY = "dongying/dongying-2018.yb"


def _rules_without(tmp_path, line: str):
    root = tmp_path / "rules"
    shutil.copytree(fuzzkit.REGULATIONS, root)
    model = root / MODEL
    text = model.read_text(encoding="utf-8")
    assert line + "\n" in text
    model.write_text(text.replace(line + "\n", "", 1), encoding="utf-8")
    return root


def test_a_model_without_the_critical_illness_parameter_is_a_diagnostic_not_a_compiler_bug(tmp_path):
    # 临沂 writes 大病保险支付 待定 with no type: without the model's 参数 its type comes from its use in
    # 基金支付合计, and the output hifmi_pay that reads it must take that type too (it reached the lowering as ANY)
    root = _rules_without(tmp_path, "参数 大病保险支付：金额")
    result = CliRunner().invoke(main, ["check", str(root / CITY), "--rules", str(root), "--claims", "0"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output


def _model_lines(prefix: str) -> list[str]:
    text = (fuzzkit.REGULATIONS / MODEL).read_text(encoding="utf-8")
    return [line for line in text.split("\n") if line.startswith(prefix)]


@pytest.mark.parametrize("line", _model_lines("参数 ") + _model_lines("输出 "))
def test_a_model_missing_any_one_parameter_or_output_is_refused_or_runs_every_city(tmp_path, line):
    """The class of the finding above: each city either gets diagnostics or IR whose examples run without an
    internal error (YR9x)."""
    root = _rules_without(tmp_path, line)
    for city in fuzzkit.CITY_FILES:
        result = compile_path(root / city, root=root)
        if result.ir is None:
            assert result.diagnostics, city
            continue
        for outcome in run_examples(Regulation.from_ir(result.ir)):
            assert not any(str(m.actual).startswith("YR9") for m in outcome.mismatches), (city, outcome.title)


def test_a_model_without_the_civil_servant_output_is_refused_by_check(tmp_path):
    # fixed: the model's 接口 line declares cvlserv_pay required, so its missing 输出 is YB241 at that line
    root = _rules_without(tmp_path, "输出 cvlserv_pay = 公务员补助支付")
    result = compile_path(root / CITY, root=root)
    found = [(d.code, d.span.file.endswith(MODEL)) for d in result.diagnostics]
    assert ("YB241", True) in found, result.diagnostics
    if result.ir is None:
        return  # refused at compile time
    # 东营 第三十七条's worked example of the 公务员 subsidy then settles into an internal error
    for outcome in run_examples(Regulation.from_ir(result.ir)):
        assert not any(str(m.actual).startswith("YR90") for m in outcome.mismatches), outcome.title

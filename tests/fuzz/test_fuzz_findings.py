"""Defects the rule-file fuzzer found that are not fixed yet (issue 11, noted in its closing note).

Each is an exact mutant of a bundled file, kept here as a strict xfail: it fails today, and the day the
defect is fixed the test passes and strict mode turns that into a failure, so the marker is removed then.
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


@pytest.mark.xfail(strict=True, reason="an undeclared city value reaches the lowering with type ANY (CompilerBug)")
def test_a_model_without_the_critical_illness_parameter_is_a_diagnostic_not_a_compiler_bug(tmp_path):
    root = _rules_without(tmp_path, "参数 大病保险支付：金额")
    result = CliRunner().invoke(main, ["check", str(root / CITY), "--rules", str(root), "--claims", "0"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


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

"""docs/diagnostics.md lists every diagnostic code the compiler can emit."""

from pathlib import Path

from yibao.compiler.diagnostics import MESSAGES

DOC = (Path(__file__).resolve().parents[1] / "docs" / "diagnostics.md").read_text(encoding="utf-8")


def test_every_compiler_code_is_documented():
    missing = [code for code in MESSAGES if f"| {code} |" not in DOC]
    assert missing == []


def test_runtime_codes_are_documented():
    for code in ("YR01", "YR02", "YR03", "YR04", "YR05", "YR06", "YR90"):
        assert f"| {code} |" in DOC

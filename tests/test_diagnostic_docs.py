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


# ───────────────────────────── machine-readable forms ─────────────────────────────

import json  # noqa: E402
import re  # noqa: E402
import string  # noqa: E402

import pytest  # noqa: E402

from yibao.compiler.ast import Span  # noqa: E402
from yibao.compiler.diagnostics import RECORD_KEYS, diag, render_github, render_json  # noqa: E402

# A place with CJK before it and a non-BMP character in the file name, so escaping and columns are exercised.
SPAN = Span(file="东营/𠀀,x:1.yb", line=3, col=9, end_line=3, end_col=12)
RELATED = Span(file="东营/a.yb", line=1, col=2, end_line=1, end_col=3)


def catalogue_diagnostic(code: str):
    """A diagnostic of ``code`` with every template field filled with its own name (and a % and a newline,
    which the GitHub form must escape)."""
    fields = {f: f"«{f}»%\n" for _, f, _, _ in string.Formatter().parse(MESSAGES[code][1]) if f}
    return diag(code, SPAN, hints=("是否想写 甲？(did you mean 甲?)",), related=(RELATED,), **fields)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_the_json_form_carries_each_catalogue_entry(code):
    d = catalogue_diagnostic(code)
    line = render_json(d, lambda f: "regulations/" + f)
    assert "\n" not in line
    got = json.loads(line)
    assert tuple(got) == RECORD_KEYS
    severity, template, summary = MESSAGES[code]
    assert (got["code"], got["severity"], got["summary"]) == (code, severity.value, summary)
    assert got["message"] == d.message and got["message"].startswith(template.split("{")[0])
    assert (got["file"], got["line"], got["column"], got["end"]) == ("regulations/东营/𠀀,x:1.yb", 3, 9, {"line": 3, "column": 12})
    assert got["hints"] == ["是否想写 甲？(did you mean 甲?)"]
    assert got["related"] == [{"file": "regulations/东营/a.yb", "line": 1, "column": 2}]


def _github_unescape(text: str) -> str:
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_the_github_form_carries_each_catalogue_entry(code):
    d = catalogue_diagnostic(code)
    line = render_github(d)
    assert "\n" not in line
    match = re.fullmatch(r"::(error|warning) ([^:]*)::(.*)", line)
    assert match, line
    severity, _, summary = MESSAGES[code]
    assert match.group(1) == severity.value
    props = dict(item.split("=", 1) for item in match.group(2).split(","))
    assert {k: _github_unescape(v) for k, v in props.items()} == {
        "file": SPAN.file, "line": "3", "col": "9", "endLine": "3", "endColumn": "12", "title": f"{code} {summary}"}
    assert _github_unescape(match.group(3)) == d.message + "\n提示: 是否想写 甲？(did you mean 甲?)"


def test_the_documented_json_keys_are_the_rendered_ones():
    section = DOC.split("### `--format json`", 1)[1].split("###", 1)[0]
    assert re.findall(r"^\| `(\w+)` \|", section, re.M) == list(RECORD_KEYS)

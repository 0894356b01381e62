"""Properties of the front end: on any text at all, parse and build return diagnostics, never raise."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.compiler.ast import RuleFile
from yibao.compiler.build import build_ast
from yibao.compiler.diagnostics import Diagnostic, render
from yibao.compiler.parse import parse

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    (ROOT / "regulations" / "shandong" / "vocabulary.yb").read_text(encoding="utf-8"),
    (ROOT / "regulations" / "shandong" / "settlement-model.yb").read_text(encoding="utf-8"),
    (ROOT / "regulations" / "dongying" / "dongying-2018.yb").read_text(encoding="utf-8"),
]
# Characters that matter to the lexer, so random edits hit keywords, punctuation and layout often.
SPECIAL = list("按非第条十百零一二【】：:，,；/×*÷=＝≠<>≥≤+-−（）()[]{}\"“”「」%％元万次#＃\n\t 　") + [
    "    ", "\n    ", "待定", "不适用", "若", "则", "否则", "例 ", "2018-02-30", "第十十条", "1.5", "\r", "\ufeff"]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PIECES = st.one_of(st.characters(), st.sampled_from(SPECIAL))


def pieces(min_size: int = 0, max_size: int = 40):
    return st.lists(PIECES, min_size=min_size, max_size=max_size).map("".join)


def front_end(text: str) -> list[Diagnostic]:
    """Parse and, when there is a tree, build. Returns every diagnostic; checks their spans render."""
    tree, diagnostics = parse(text, "f.yb")
    if tree is not None:
        rule_file, more = build_ast(tree, "f.yb")
        assert isinstance(rule_file, RuleFile)
        diagnostics = diagnostics + more
    line_count = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    for d in diagnostics:
        assert d.code.startswith("YB1"), d
        assert d.span is not None and 1 <= d.span.line <= line_count and d.span.col >= 1, d
        assert (d.span.end_line, d.span.end_col) > (d.span.line, d.span.col) or d.span.end_line > d.span.line, d
        render(d, {"f.yb": text})
    return diagnostics


@FAST
@given(st.text())
def test_arbitrary_text_never_raises(text):
    front_end(text)


@FAST
@given(pieces(max_size=80))
def test_text_rich_in_syntax_never_raises(text):
    front_end(text)


@st.composite
def mutated_source(draw) -> str:
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 4))):
        text = draw(st.sampled_from([_delete_chars, _insert_chars, _delete_line, _duplicate_line, _swap_lines]))(draw, text)
    return text


def _delete_chars(draw, text: str) -> str:
    start = draw(st.integers(0, max(len(text) - 1, 0)))
    return text[:start] + text[start + draw(st.integers(1, 8)):]


def _insert_chars(draw, text: str) -> str:
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(pieces(min_size=1, max_size=4)) + text[at:]


def _delete_line(draw, text: str) -> str:
    lines = text.split("\n")
    del lines[draw(st.integers(0, len(lines) - 1))]
    return "\n".join(lines)


def _duplicate_line(draw, text: str) -> str:
    lines = text.split("\n")
    index = draw(st.integers(0, len(lines) - 1))
    lines.insert(draw(st.integers(0, len(lines))), lines[index])
    return "\n".join(lines)


def _swap_lines(draw, text: str) -> str:
    lines = text.split("\n")
    i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


@FAST
@given(mutated_source())
def test_mutated_rule_files_never_raise(text):
    front_end(text)


@settings(max_examples=30, deadline=None)
@given(mutated_source())
def test_parse_is_deterministic(text):
    first, second = parse(text, "f.yb"), parse(text, "f.yb")
    assert first[1] == second[1]
    assert first[0] == second[0]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(SOURCES), st.data())
def test_one_broken_line_gives_a_diagnostic_on_that_line(source, data):
    """Appending junk that cannot continue a clause to one line reports that line, and only that error."""
    lines = source.split("\n")
    candidates = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    index = data.draw(st.sampled_from(candidates))
    lines[index] = lines[index].split("#")[0].rstrip() + " ）"
    diagnostics = front_end("\n".join(lines))
    assert [(d.span.line, d.code) for d in diagnostics] == [(index + 1, "YB101")]

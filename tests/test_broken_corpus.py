"""A corpus of broken rule files, each a mistake a drafter really makes.

Each file marks the line where a diagnostic is expected with ``### CODE [text]``: the compiler must
report that code on that line (and the text, if given, must appear in the message or its hints).
Every error the compiler reports must be marked: nothing missing, nothing extra.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from yibao.compiler.diagnostics import Severity, render
from yibao.compiler.driver import compile_path

BROKEN = Path(__file__).parent / "broken"
MARK = re.compile(r"###\s*(YB\d{3})\s*(.*)$")
CASES = sorted(p for p in BROKEN.glob("*.yb") if not p.name.startswith("_"))


def expected_marks(path: Path) -> list[tuple[int, str, str]]:
    marks = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        found = MARK.search(line)
        if found:
            marks.append((number, found.group(1), found.group(2).strip()))
    return marks


def test_corpus_is_large_enough():
    assert len(CASES) >= 20


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_broken_file_reports_exactly_the_marked_diagnostics(path: Path):
    result = compile_path(path, root=BROKEN)
    marks = expected_marks(path)
    assert marks, f"{path.name} marks no expected diagnostic"
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    got = sorted((d.span.line, d.code) for d in errors)
    want = sorted((line, code) for line, code, _ in marks)
    rendered = "\n".join(render(d, result.sources) for d in result.diagnostics)
    assert got == want, rendered
    assert result.ir is None
    for line, code, text in marks:
        if text:
            match = [d for d in errors if (d.span.line, d.code) == (line, code)]
            assert any(text in d.message or any(text in h for h in d.hints) for d in match), rendered


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_diagnostic_renders_with_position_source_line_and_caret(path: Path):
    result = compile_path(path, root=BROKEN)
    for d in result.diagnostics:
        text = render(d, result.sources)
        head = text.splitlines()[0]
        assert re.match(rf".*{re.escape(path.name)}:\d+:\d+: (错误|警告)\[YB\d{{3}}\]", head), text
        assert "^" in text, text

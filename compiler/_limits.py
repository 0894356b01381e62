"""The compiler's size and nesting limits (docs/limits.md), checked in the parse pass before any pass
that recurses over the tree.

Later passes (build, resolve, check, lower) walk expressions recursively, as the runtime does; past a
few hundred levels they would exhaust the interpreter's stack. So the parse tree's depth is measured
here, with an explicit stack, and a file nested deeper than ``MAX_NESTING`` gets its own diagnostic
(YB108) at the deepest place instead of a crash. A file larger than ``MAX_SOURCE_CHARS`` or with more
than ``MAX_CLAUSES`` lines of rules is refused (YB109) before parsing: the compiler is linear up to
those sizes, and they are far beyond any regulation (the largest bundled city file is about 50 KB and
900 lines).
"""

from __future__ import annotations

from typing import Optional

from lark import Token, Tree

from .ast import Span
from .diagnostics import Diagnostic, diag

MAX_NESTING = 100             # levels of the parse tree: an expression nested about 90 deep
MAX_SOURCE_CHARS = 2_000_000  # characters of one rule file
MAX_CLAUSES = 20_000          # non-blank lines of one rule file


def _start(file: str) -> Span:
    return Span(file=file, line=1, col=1, end_line=1, end_col=2)


def too_large(text: str, file: str) -> Optional[Diagnostic]:
    """YB109 when the text is past the size limits, else None."""
    if len(text) > MAX_SOURCE_CHARS:
        return diag("YB109", _start(file), what=f"{len(text)} 个字符", limit=f"{MAX_SOURCE_CHARS} 个字符")
    lines = text.count("\n") + 1
    if lines > MAX_CLAUSES:
        clauses = sum(1 for line in text.split("\n") if line.strip())
        if clauses > MAX_CLAUSES:
            return diag("YB109", _start(file), what=f"{clauses} 行规则", limit=f"{MAX_CLAUSES} 行")
    return None


def too_deep(tree: Tree, file: str) -> Optional[Diagnostic]:
    """YB108 at the first place the parse tree nests deeper than ``MAX_NESTING``, else None."""
    stack: list[tuple[Tree, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            return diag("YB108", _span_of(node, file), limit=str(MAX_NESTING))
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return None


def _span_of(node: Tree, file: str) -> Span:
    """Where a subtree starts: its own position, else its first token's."""
    meta = node.meta
    if not getattr(meta, "empty", True):
        return Span(file=file, line=meta.line, col=meta.column, end_line=meta.end_line, end_col=meta.end_column)
    stack = [node]
    while stack:
        current = stack.pop()
        for child in current.children:
            if isinstance(child, Token) and child.line is not None:
                return Span(file=file, line=child.line, col=child.column, end_line=child.line, end_col=child.column + 1)
        stack.extend(c for c in reversed(current.children) if isinstance(c, Tree))
    return _start(file)

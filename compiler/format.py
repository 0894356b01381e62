"""The formatter: rule text → the same rules in the house style (docs/formatting.md).

Entry point: ``format_source(text, file)``. It formats only text that parses: on a syntax error it
returns no text and the syntax diagnostics, so nothing is changed.

A clause is one line, so the formatter works line by line. Each line is split into its indentation,
its tokens and its trailing comment. The formatter then rewrites only three things: the indentation
(four spaces a level), the spelling of punctuation (one glyph for each punctuation terminal of the
grammar) and the spaces around punctuation. It never adds or removes the space between two tokens that
are not punctuation (``按 医院等级`` and ``按医院等级`` stay what they are), and never changes the text
of a token that is not punctuation. Punctuation terminals are filtered out of the parse tree, so the
tree of the result equals the tree of the input; ``format_source`` checks that it does, and raises
``CompilerBug`` if not, rather than ever change what a rule means.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

import attrs

from .diagnostics import CompilerBug, Diagnostic
from .diagnostics import _display_width  # columns a CJK character takes: the carets' measure
from .parse import _INDENT_WIDTH, KEYWORD_WORDS, KEYWORDS, parse  # indentation as the parser counts it

INDENT = "    "

# Every spelling of a punctuation terminal (grammar/yibao.lark) → the house spelling.
_GLYPHS: dict[str, str] = {
    ":": "：", "：": "：",
    "==": "==", "＝＝": "==",
    "=>": "：", "⇒": "：",  # a table entry's arrow reads as its colon (both are left out of the tree)
    "=": "=", "＝": "=",
    "!=": "≠", "！=": "≠", "≠": "≠",
    "<=": "≤", "＜=": "≤", "≤": "≤",
    ">=": "≥", "＞=": "≥", "≥": "≥",
    "<": "<", "＜": "<",
    ">": ">", "＞": ">",
    "+": "+", "＋": "+",
    "-": "−", "－": "−", "−": "−",
    "×": "×", "*": "×", "＊": "×",
    "÷": "÷",
    "/": "/", "／": "/",
    ",": ",", "，": ",", "、": ",",
    ";": ";", "；": ";",
    "(": "(", "（": "(",
    ")": ")", "）": ")",
    "[": "[", "［": "[",
    "]": "]", "］": "]",
    "{": "{", "｛": "{",
    "}": "}", "｝": "}",
    "——": "—", "—": "—", "~": "—", "～": "—",
}
_PUNCT = "|".join(re.escape(g) for g in sorted(_GLYPHS, key=len, reverse=True))
_MULTI = frozenset(g for g in _GLYPHS if len(g) > 1)

# The grammar's terminals that are not punctuation, longest first where they overlap (as its priorities).
_TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\\n]|\\.)*"|“[^”\n]*”|「[^」\n]*」)
      |(?P<title>【[^】\n]*】)
      |(?P<comment>[#＃][^\n]*)
      |(?P<article>第[〇零一二两三四五六七八九十百千]+条|[Aa]rticle[ \t]+[0-9]+)
      |(?P<date>[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?![0-9]))
      |(?P<money>[0-9]+(?:\.[0-9]+)?[ \t]*万?元(?!\w))
      |(?P<rate>[0-9]+(?:\.[0-9]+)?[ \t]*[%％])
      |(?P<count>[0-9]+[ \t]*[次天](?!\w))
      |(?P<number>[0-9]+(?:\.[0-9]+)?)
      |(?P<word>[^\W\d]\w*(?:\.\w+)*)
      |(?P<punct>""" + _PUNCT + r""")
      |(?P<space>[ \t\u3000]+)
      |(?P<other>.)""",
    re.VERBOSE,
)

# 比例 (T_RATE) is a type, and before "(" the effective ratio of a banded definition: a function then
_FUNCTIONS = frozenset(w for t in ("MIN", "MAX", "ROUND", "CLAMP", "COUNT_OF", "T_RATE") for w in KEYWORDS[t])
_EXAMPLE_LINES = frozenset(w for t in ("_PERSON", "_ENCOUNTER", "_EXPECT") for w in KEYWORDS[t])
_BY = frozenset(KEYWORDS["_BY"])
_OPENING = frozenset({"(", "[", "{"})
_CLOSING = frozenset({")", "]", "}"})


@attrs.frozen
class Token:
    kind: str  # "punct", or the kind of the grammar terminal it is read as ("word", "money", …)
    text: str  # punctuation in its house spelling; any other token exactly as written
    glued: bool  # no space between it and the token before it in the input


@attrs.frozen
class Line:
    width: int  # the indentation as the parser counts it
    tokens: tuple[Token, ...]
    comment: Optional[str]

    @property
    def is_code(self) -> bool:
        return bool(self.tokens)


@attrs.frozen
class Formatted:
    text: Optional[str]  # None when the input does not parse
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.text is not None


# ───────────────────────────── the entry point ─────────────────────────────


def format_source(text: str, file: str) -> Formatted:
    """Format rule text. Text with a syntax error is not formatted: its diagnostics are returned instead."""
    tree, found = parse(text, file)
    if found or tree is None:
        return Formatted(None, found)
    lines = [read_line(raw) for raw in _normalise(text).split("\n")]
    out = "\n".join(_layout(lines)).strip("\n") + "\n" if any(l.is_code or l.comment for l in lines) else ""
    after, again = parse(out, file)
    if again or after != tree:
        raise CompilerBug(f"the formatter would change the meaning of {file}")
    return Formatted(out, [])


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[1:] if text.startswith("\ufeff") else text


# ───────────────────────────── reading a line ─────────────────────────────


def read_line(raw: str) -> Line:
    """One line of rule text → its indentation width, its tokens (punctuation in the house spelling), its comment."""
    body = raw.lstrip(" \t\u3000")
    width = sum(_INDENT_WIDTH[ch] for ch in raw[: len(raw) - len(body)])
    tokens: list[Token] = []
    comment = None
    glued = True
    for match in _TOKEN.finditer(body):
        kind, value = match.lastgroup, match.group()
        if kind == "space":
            glued = False
            continue
        if kind == "comment":
            comment = value.rstrip()
            break
        tokens.append(Token(kind, _GLYPHS[value] if kind == "punct" else value, glued))
        glued = True
    return Line(width, tuple(tokens), comment)


# ───────────────────────────── indentation and blank lines ─────────────────────────────


def _levels(lines: list[Line]) -> list[int]:
    """Each line's nesting level. A code line's is its place in the parser's stack of indentations; a
    comment line takes the deepest open level it reaches, so it stays beside the clauses it sat with."""
    levels: list[int] = []
    stack = [0]
    for line in lines:
        if line.is_code:
            while len(stack) > 1 and line.width < stack[-1]:
                stack.pop()
            if line.width > stack[-1]:
                stack.append(line.width)
            levels.append(len(stack) - 1)
            continue
        # deeper than the last code line: the first line of the block it opens (an article's, an example's)
        reach = [i for i, w in enumerate(stack) if w <= line.width]
        levels.append(len(stack) if line.width > stack[-1] else reach[-1])
    return levels


def _layout(lines: list[Line]) -> Iterable[str]:
    levels = _levels(lines)
    widths = _table_widths(lines, levels)
    blank = True  # no blank line at the top, and at most one in a row
    for index, (line, level) in enumerate(zip(lines, levels)):
        if not line.is_code and line.comment is None:
            if not blank:
                yield ""
            blank = True
            continue
        blank = False
        code = _render_row(line.tokens, widths[index]) if index in widths else _render(line.tokens)
        if line.comment is not None:
            code = f"{code}  {line.comment}" if code else line.comment
        yield INDENT * level + code


# ───────────────────────────── spacing ─────────────────────────────


def _render(tokens: Iterable[Token]) -> str:
    tokens = list(tokens)
    example = bool(tokens) and tokens[0].text in _EXAMPLE_LINES
    out: list[str] = []
    depth = 0  # inside [ … ]: an override, written tight
    previous: Optional[Token] = None
    unary = False  # the previous token is a minus sign before its operand
    for token in tokens:
        if previous is not None:
            out.append(" " if _space_between(previous, token, example or depth > 0, unary) else "")
        unary = token.text == "−" and (previous is None or _before_operand(previous))
        out.append(_FULL_WIDTH.get(token.text, token.text) if example else token.text)
        if token.text == "[":
            depth += 1
        elif token.text == "]":
            depth = max(depth - 1, 0)
        previous = token
    return "".join(out)


# In a line of a worked example, ``错误 YR01（名称）`` reads as Chinese text: its brackets are full-width.
_FULL_WIDTH = {"(": "（", ")": "）"}


def _before_operand(token: Token) -> bool:
    """After this token a minus sign is a sign, not a subtraction."""
    if token.kind == "punct":
        return token.text not in _CLOSING
    return token.text in KEYWORD_WORDS and token.text not in _VALUE_WORDS


_VALUE_WORDS = frozenset(w for t in ("TRUE", "FALSE", "OTHERS") for w in KEYWORDS[t])


def _space_between(left: Token, right: Token, tight: bool, unary: bool) -> bool:
    """Whether one space goes between two tokens of a line (``tight``: ``=`` is written without)."""
    if left.kind != "punct" and right.kind != "punct":
        return not right.glued  # never join or split words
    if left.kind == "punct" and right.kind == "punct" and left.text + right.text in _MULTI:
        return True  # `=` `=` must not become `==`
    l, r = left.text, right.text
    if r in ("：", ",", ";") or r in _CLOSING or l == "：" or l in _OPENING or unary:
        return False
    if l in (",", ";"):
        return True
    if "=" in (l, r):
        return not tight
    if r == "[":
        return False
    if r == "(":
        return not (l in _FUNCTIONS or tight)
    return True


# ───────────────────────────── tables ─────────────────────────────


def is_table_header(tokens: tuple[Token, ...]) -> bool:
    """``名称 按 维度 (× 维度)* ：`` — the header of a table written as a block (the language server asks too)."""
    texts = [t.text for t in tokens]
    if len(texts) < 4 or texts[-1] != "：" or texts[1] not in _BY:
        return False
    dims = texts[2:-1]
    return all(t.kind == "word" for t in tokens[:1]) and all(
        (d == "×") == (i % 2 == 1) for i, d in enumerate(dims)) and len(dims) % 2 == 1


def _split_row(tokens: tuple[Token, ...]) -> tuple[Token, list[list[Token]]]:
    """A table row → its label and its cells (split at ``/``; keyed entries stay one cell)."""
    label, rest = tokens[0], list(tokens[1:])
    if rest and rest[0].text == "：":
        rest = rest[1:]
    cells: list[list[Token]] = [[]]
    for token in rest:
        if token.text == "/":
            cells.append([])
        else:
            cells[-1].append(token)
    return label, cells


def _table_widths(lines: list[Line], levels: list[int]) -> dict[int, tuple[int, list[int]]]:
    """For each row of a block table: the label column's width and each cell column's width."""
    rows: dict[int, tuple[int, list[int]]] = {}
    for header, line in enumerate(lines):
        if not (line.is_code and is_table_header(line.tokens)):
            continue
        members = []
        for index in range(header + 1, len(lines)):
            if lines[index].is_code and levels[index] <= levels[header]:
                break
            if lines[index].is_code:
                members.append(index)
        split = [_split_row(lines[i].tokens) for i in members]
        label = max((_display_width(l.text) for l, _ in split), default=0)
        columns: list[int] = []
        for _, cells in split:
            for c, cell in enumerate(cells):
                width = _display_width(_render(cell))
                if c == len(columns):
                    columns.append(width)
                columns[c] = max(columns[c], width)
        for i in members:
            rows[i] = (label, columns)
    return rows


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _display_width(text))


def _render_row(tokens: tuple[Token, ...], widths: tuple[int, list[int]]) -> str:
    label_width, columns = widths
    label, cells = _split_row(tokens)
    texts = [_render(cell) for cell in cells]
    padded = [_pad(t, columns[c]) for c, t in enumerate(texts[:-1])] + texts[-1:]
    return (_pad(label.text + "：", label_width + 2) + " / ".join(padded)).rstrip()

"""The parse pass: rule text → lark parse tree, and syntax diagnostics.

Entry point: ``parse(text, file)``. It never raises on any input text. A syntax error becomes a
diagnostic; the parser then drops the offending line (and the block it opens, if any) and parses the
text again, so one run reports every independent error, each on its own line. Dropped lines keep
their newline, so line numbers never move.

Keywords are not lexed as such: the lexer produces NAME, and ``_PostLexer`` turns a NAME whose whole
text is a keyword into that keyword's terminal. This is what makes "keywords and names are separated by
spaces or punctuation" hold in every parser state (``按医院等级`` is one name, ``按 医院等级`` is not).
"""

from __future__ import annotations

import codecs
import importlib.resources
import re
import threading
from typing import Iterable, Iterator, Optional

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.indenter import Indenter

from .ast import Span
from ._limits import too_deep, too_large
from .diagnostics import Diagnostic, diag

# terminal → spellings: Chinese first, then the English aliases. The grammar declares each terminal.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "_REGION": ("地区", "region"),
    "_TITLE_KW": ("标题", "title"),
    "_DOCNO": ("文号", "docno"),
    "_EFFECTIVE": ("施行", "effective"),
    "_TO": ("至", "to"),
    "_BANDS": ("分段", "bands"),
    "_FROM": ("自", "from"),
    "_ABOVE": ("以上", "above"),
    "_BY_YEAR": ("按年度", "by_year"),
    "_BASIS": ("依据", "basis"),
    "_AMENDS": ("修订", "amends"),
    "_MODULE": ("模块", "module"),
    "_USE": ("采用", "use"),
    "_VOCABULARY": ("词表", "vocabulary"),
    "_FIELD_KW": ("字段", "field"),
    "_INPUT": ("输入", "input"),
    "OPTIONAL": ("可缺", "optional"),
    "_PARAM": ("参数", "parameter"),
    "_DEFINE": ("定义", "define"),
    "_BY": ("按", "by"),
    "_AS": ("as",),
    "_OPEN": ("待定", "open"),
    "_NA": ("不适用", "na"),
    "OTHERS": ("其余", "others"),
    "_EXCEPTION": ("例外", "exception"),
    "_WHEN": ("当", "when"),
    "_PRIORITY": ("优先级", "priority"),
    "_COUNTER": ("计数器", "counter"),
    "PER_YEAR": ("每年", "per_year"),
    "PER_QUARTER": ("每季", "per_quarter"),
    "PER_CASE": ("每案", "per_case"),
    "_CUMINFO": ("接收", "cuminfo"),
    "_UPDATE": ("更新", "update"),
    "_EXCLUDE": ("不予支付", "exclude"),
    "_OUTPUT": ("输出", "output"),
    "_CONTRACT": ("接口", "contract"),
    "FUND": ("基金", "fund"),
    "LIMIT": ("限额", "limit"),
    "KEEP": ("保留", "keep"),
    "_INTERPRETATION": ("解释", "interpretation"),
    "_SECTION": ("条目", "section"),
    "_NOT_APPLICABLE": ("不涉及", "not_applicable"),
    "_PROVINCE_PARAM": ("省级参数", "province_parameter"),
    "_INVARIANT": ("不变式", "invariant"),
    "_EACH_CLAIM": ("每次结算", "each_claim"),
    "_WITH": ("随", "with"),
    "NONINCREASING": ("不增", "nonincreasing"),
    "NONDECREASING": ("不减", "nondecreasing"),
    "_EXAMPLE": ("例", "example"),
    "_PERSON": ("人员", "person"),
    "_ENCOUNTER": ("就诊", "encounter"),
    "_EXPECT": ("期望", "expect"),
    "_ERROR": ("错误", "error"),
    "_IF": ("若", "if"),
    "_THEN": ("则", "then"),
    "_ELSE": ("否则", "else"),
    "_AND": ("且", "and"),
    "_OR": ("或", "or"),
    "_NOT": ("非", "not"),
    "_KNOWN": ("有", "known"),
    "_NAMED": ("名为", "named"),
    "_APPLIES": ("适用", "applies_to"),
    "_IN": ("属于", "in"),
    "TRUE": ("真", "true"),
    "FALSE": ("假", "false"),
    "MIN": ("最小", "min"),
    "COUNT_OF": ("个数", "count_of"),
    "MAX": ("最大", "max"),
    "ROUND": ("四舍五入", "round"),
    "CLAMP": ("介于", "clamp"),
    "T_MONEY": ("金额", "money"),
    "T_RATE": ("比例", "rate"),
    "T_COUNT": ("次数", "count"),
    "T_DATE": ("日期", "date"),
    "T_BOOL": ("布尔", "bool"),
    "T_FLAG": ("标志", "flag"),
}
KEYWORD_WORDS = frozenset(w for words in KEYWORDS.values() for w in words)

_KEYWORD_OF: dict[str, str] = {word: terminal for terminal, words in KEYWORDS.items() for word in words}

# How a terminal reads in a message ("应为 「=」或「按」").
_PUNCTUATION: dict[str, str] = {
    "_COLON": "「：」",
    "_EQEQ": "「==」",
    "_ARROW": "「⇒」",
    "_ASSIGN": "「=」",
    "_NE": "「≠」",
    "_LE": "「≤」",
    "_GE": "「≥」",
    "_LT": "「<」",
    "_GT": "「>」",
    "_PLUS": "「+」",
    "_MINUS": "「−」",
    "_TIMES": "「×」",
    "_DIVIDE": "「÷」",
    "_SLASH": "「/」",
    "_COMMA": "「，」",
    "_SEMI": "「；」",
    "_LPAR": "「（」",
    "_RPAR": "「）」",
    "_LBRACKET": "「[」",
    "_RBRACKET": "「]」",
    "_LBRACE": "「{」",
    "_RBRACE": "「}」",
    "_RANGE": "「—」",
}
_CLASSES: dict[str, str] = {
    "NAME": "名称",
    "ARTICLE": "条号（如 第三十条）",
    "ARTICLE_REF": "条文引用（如 按第三十一条）",
    "TITLE": "条标题【…】",
    "DATE": "日期（如 2018-04-01）",
    "MONEY": "金额（如 200元）",
    "RATE": "比例（如 85%）",
    "COUNT": "次数（如 2次、30天）",
    "NUMBER": "数字",
    "STRING": "带引号的文字",
    "FIELD": "接口字段名（如 encounter.fees.01）",
    "CODE": "错误代码（如 YR01）",
    "_NL": "行尾",
    "_INDENT": "缩进的一块（上一行以「：」结尾）",
    "_DEDENT": "缩进结束",
    "$END": "文件结尾",
}
DISPLAY: dict[str, str] = {
    **{t: f"「{words[0]}」" for t, words in KEYWORDS.items()},
    **_PUNCTUATION,
    **_CLASSES,
}

# Expected-token sets this large read better as one word.
_GROUPS: tuple[tuple[frozenset, frozenset, str], ...] = (
    # (trigger: all present, members: replaced, shown as)
    (
        frozenset({"_LPAR", "MIN", "NAME"}),
        frozenset({"_IF", "_NOT", "_LPAR", "_MINUS", "MIN", "MAX", "ROUND", "CLAMP", "TRUE", "FALSE",
                   "MONEY", "RATE", "NUMBER", "COUNT", "DATE", "NAME", "T_RATE"}),
        "表达式",
    ),
    (
        frozenset({"_OPEN", "_NA", "MONEY"}),
        frozenset({"_OPEN", "_NA", "_MINUS", "TRUE", "FALSE", "MONEY", "RATE", "NUMBER", "COUNT", "NAME"}),
        "表中的值（如 200元、85%、待定、不适用）",
    ),
    (
        frozenset({"MONEY", "RATE", "DATE", "NAME"}),
        frozenset({"_MINUS", "TRUE", "FALSE", "MONEY", "RATE", "NUMBER", "COUNT", "DATE", "NAME"}),
        "值（金额、比例、数字、次数、日期、真、假或名称）",
    ),
    (
        frozenset({"_DEFINE", "_INPUT", "_PARAM"}),
        frozenset({"_REGION", "_TITLE_KW", "_DOCNO", "_EFFECTIVE", "_BASIS", "_AMENDS", "_MODULE", "_USE", "_VOCABULARY",
                   "_INPUT", "_PARAM", "_DEFINE", "_EXCEPTION", "_COUNTER", "_UPDATE", "_EXCLUDE", "_OUTPUT",
                   "_INTERPRETATION", "_EXAMPLE", "NAME", "ARTICLE", "_SECTION", "_NOT_APPLICABLE", "_CONTRACT"}),
        "条款（定义、输入、参数、表、例外……）",
    ),
    (
        frozenset({"_PLUS", "_TIMES", "_AND"}),
        frozenset({"_PLUS", "_MINUS", "_TIMES", "_DIVIDE", "_AND", "_OR", "_ASSIGN", "_EQEQ", "_NE", "_LT",
                   "_LE", "_GT", "_GE", "_IN"}),
        "运算符",
    ),
    (
        frozenset({"T_MONEY", "T_RATE"}),
        frozenset({"T_MONEY", "T_RATE", "T_COUNT", "T_DATE", "T_BOOL", "T_FLAG", "NAME"}),
        "类型（金额、比例、次数、日期、布尔、标志或词表名）",
    ),
)
_ARTICLE_HEAD = re.compile(
    r"[ \t\u3000]*(第[〇零一二两三四五六七八九十百千]+条|[Aa]rticle[ \t]+[0-9]+"
    r"|(?:条目|section)[ \t\u3000]+(?:\"(?:[^\"\\\n]|\\.)*\"|“[^”\n]*”|「[^」\n]*」))"
)
_OPENERS = frozenset('"“”「」【】')
_MAX_LISTED = 8
_MAX_ERRORS = 100
_LAYOUT = frozenset({"_NL", "_INDENT", "_DEDENT"})
_INDENT_WIDTH = {" ": 1, "\t": 4, "\u3000": 2}  # a tab counts as 4 spaces, a full-width space as 2


class _IndentError(LarkError):
    """A line dedents to a column no enclosing block starts at."""

    def __init__(self, token: Token) -> None:
        super().__init__("inconsistent indentation")
        self.token = token


class _PostLexer(Indenter):
    """Keywords from NAMEs, then lark's indentation tokens. Reentrant: all state is per call."""

    NL_type = "_NL"
    OPEN_PAREN_types: list = []  # a clause is one line: brackets do not continue it
    CLOSE_PAREN_types: list = []
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 4
    # NAME is lexed in every state, so a keyword is recognised only as a whole word (see module doc).
    always_accept = ("_NL", "NAME")

    def process(self, stream: Iterable[Token]) -> Iterator[Token]:
        return self._layout(self._keywords(stream))

    @staticmethod
    def _keywords(stream: Iterable[Token]) -> Iterator[Token]:
        for token in stream:
            if token.type == "NAME" and token.value in _KEYWORD_OF:
                token = Token.new_borrow_pos(_KEYWORD_OF[token.value], token.value, token)
            yield token

    def _layout(self, stream: Iterable[Token]) -> Iterator[Token]:
        levels = [0]
        token = None
        for token in stream:
            if token.type != self.NL_type:
                yield token
                continue
            yield token
            indent_text = token.value.rsplit("\n", 1)[1]
            indent = sum(_INDENT_WIDTH.get(ch, 1) for ch in indent_text)
            if indent > levels[-1]:
                levels.append(indent)
                yield Token.new_borrow_pos(self.INDENT_type, indent_text, token)
                continue
            while indent < levels[-1]:
                levels.pop()
                yield Token.new_borrow_pos(self.DEDENT_type, indent_text, token)
            if indent != levels[-1]:
                raise _IndentError(token)
        while len(levels) > 1:
            levels.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, "", token) if token else Token(self.DEDENT_type, "")


_lock = threading.Lock()
_parser: Optional[Lark] = None


def _not_layout(child) -> bool:
    """Node positions ignore line breaks and indentation, so a clause ends where its text ends."""
    return not (isinstance(child, Token) and child.type in _LAYOUT)


def get_parser() -> Lark:
    """The grammar, compiled once per process. (Lark's own cache pickles to a shared temp directory,
    which is not safe; compiling takes about 0.1 s.)"""
    global _parser
    with _lock:
        if _parser is None:
            grammar = importlib.resources.files("yibao.grammar").joinpath("yibao.lark").read_text(encoding="utf-8")
            _parser = Lark(
                grammar,
                parser="lalr",
                lexer="contextual",
                postlex=_PostLexer(),
                propagate_positions=_not_layout,
                maybe_placeholders=True,
            )
        return _parser


# ───────────────────────────── the entry point ─────────────────────────────


def parse(text: str, file: str) -> tuple[Optional[Tree], list[Diagnostic]]:
    """Parse rule text. Returns the tree and the syntax diagnostics, in order of position.

    With no diagnostics the tree is the whole file. Otherwise it holds the lines that parsed (each
    erroneous line, and the block it opens, is left out): ``build_ast`` may read it to report more
    front-end diagnostics, but later passes must not, since names defined on the dropped lines are
    missing. The tree is None only when the text has too many errors to go on.
    """
    large = too_large(text, file)
    if large is not None:
        return None, [large]
    lines = _normalise(text).split("\n")
    diagnostics: list[Diagnostic] = []
    parser = get_parser()
    while len(diagnostics) < _MAX_ERRORS:
        try:
            tree = parser.parse("\n".join(lines))
            deep = too_deep(tree, file)  # later passes recurse over the tree: refuse it here, not crash there
            if deep is not None:
                return None, sorted([*diagnostics, deep], key=_position)
            return tree, sorted(diagnostics, key=_position)
        except _IndentError as exc:
            line = exc.token.end_line
            diagnostics.append(diag("YB103", _line_span(file, lines, line)))
            dropped = _drop(lines, line, include_equal=True)
        except UnexpectedCharacters as exc:
            diagnostics.append(_unexpected_character(exc, file, lines))
            dropped = _drop(lines, exc.line, include_equal=False, col=exc.column)
        except UnexpectedToken as exc:
            d, line, equal = _unexpected_token(exc, file, lines)
            diagnostics.append(d)
            col = d.span.col if d.span is not None and d.span.line == line else None
            dropped = _drop(lines, line, include_equal=equal, col=col)
        except (UnexpectedInput, LarkError) as exc:  # nothing else is expected from an LALR parser
            line = exc.line if isinstance(getattr(exc, "line", None), int) and exc.line > 0 else 1
            diagnostics.append(diag("YB101", _line_span(file, lines, line), found="此行", expected="一条完整的条款"))
            dropped = _drop(lines, line, include_equal=False)
        if not dropped:
            break
    return None, sorted(diagnostics, key=_position)


def decode(data: bytes, file: str) -> tuple[Optional[str], list[Diagnostic]]:
    """Rule file bytes → text, or YB106 at the first byte that is not UTF-8 (a BOM is allowed)."""
    try:
        return codecs.decode(data, "utf-8-sig"), []
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(codecs.BOM_UTF8) else 0)
        before = data[:start].decode("utf-8-sig", errors="replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        span = Span(file=file, line=line, col=col, end_line=line, end_col=col + 1)
        return None, [diag("YB106", span, detail=f"第 {line} 行第 {col} 列的字节 0x{data[start]:02X}")]


def _normalise(text: str) -> str:
    """One kind of line break, no BOM, and a final line break so every clause ends with one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text if text.endswith("\n") else text + "\n"


def _position(d: Diagnostic) -> tuple:
    return (d.span.line, d.span.col) if d.span else (0, 0)


# ───────────────────────────── diagnostics ─────────────────────────────


def _unexpected_character(exc: UnexpectedCharacters, file: str, lines: list[str]) -> Diagnostic:
    line_text = lines[exc.line - 1] if 0 < exc.line <= len(lines) else ""
    char = line_text[exc.column - 1 : exc.column] or "?"
    span = Span(file=file, line=exc.line, col=exc.column, end_line=exc.line, end_col=exc.column + 1)
    hints = ("引号或括号须在同一行内配对 (quotes and brackets close on the same line)",) if char in _OPENERS else ()
    return diag("YB102", span, found=f"「{char}」(U+{ord(char):04X})", hints=hints)


def _unexpected_token(exc: UnexpectedToken, file: str, lines: list[str]) -> tuple[Diagnostic, int, bool]:
    """The diagnostic, the line to drop, and whether lines indented as deep as it go too."""
    token = exc.token
    expected = _expected(exc)
    if token.type == "_INDENT":
        line = token.end_line
        return diag("YB103", _line_span(file, lines, line)), line, True
    if expected == {"_INDENT"}:  # a line ending in ：, and no block under it: the header is at fault
        line = _previous_code_line(lines, _line_of(token, end=True))
        span = _line_end_span(file, lines, line)
    else:
        line = _line_of(token, end=False)
        span = _line_end_span(file, lines, line) if token.type == "$END" else _token_span(file, lines, token)
    if token.type == "$END":
        return diag("YB107", span, expected=_describe_expected(expected)), line, False
    hints = _hints(token, expected) or _misspelled_keyword(token, expected, lines) or _name_from_digits(token, lines)
    d = diag("YB101", span, found=_describe_found(token), expected=_describe_expected(expected), hints=hints)
    return d, line, False


def _hints(token: Token, expected: set[str]) -> tuple[str, ...]:
    """An indented article header; ``按医院等级`` (one name) where the parser wanted the keyword 按."""
    if token.type in ("ARTICLE", "_SECTION"):
        return ("条号须顶格书写，条不能嵌套在另一条之内 (an article header starts at column 1)",)
    if token.type != "NAME":
        return ()
    for terminal in sorted(expected):
        for word in KEYWORDS.get(terminal, ()):
            rest = token.value[len(word):]
            if token.value.startswith(word) and rest:
                return (f"关键字与名称之间要用空格隔开：写作「{word} {rest}」 (separate the keyword {word} with a space)",)
    return ()


_LEADING_WORD = re.compile(r"[ \t\u3000]*([^\W\d]\w*)")


def _misspelled_keyword(token: Token, expected: set[str], lines: list[str]) -> tuple[str, ...]:
    """A keyword with one character wrong: the unexpected name itself (``每念`` where 每年 may stand), or the
    name the line starts with (``列外 …``, ``采取 …``), which the parser took for a name and only choked after."""
    if token.type == "NAME":
        close = _one_character_off(str(token.value), [w for t in expected for w in KEYWORDS.get(t, ())])
        if close:
            return (_keyword_hint(str(token.value), close),)
    line = lines[token.line - 1] if 0 < token.line <= len(lines) else ""
    leading = _LEADING_WORD.match(line)
    if leading is None or leading.end() > token.column - 1 or leading.group(1) in KEYWORD_WORDS:
        return ()
    close = _one_character_off(leading.group(1), KEYWORD_WORDS)
    return (_keyword_hint(leading.group(1), close),) if close else ()


def _name_from_digits(token: Token, lines: list[str]) -> tuple[str, ...]:
    """``2023年平均工资``: a number run into a name where a clause starts; names cannot start with a digit."""
    line = lines[token.line - 1] if 0 < token.line <= len(lines) else ""
    after = line[token.column - 1 + len(str(token.value)):][:1]
    if token.type != "NUMBER" or not (after.isalpha() or after == "_") or line[: token.column - 1].strip():
        return ()
    return ("名称不能以数字开头；一年一个值请写「名称 按年度 日期：」，每行「年：值」(docs/language.md 第 16 节) "
            "(a name cannot start with a digit; for a value by year write 名称 按年度 日期：)",)


def _one_character_off(text: str, keywords) -> list[str]:
    """The keywords (two characters or more) that ``text`` spells with exactly one character changed."""
    return [w for w in sorted(set(keywords)) if len(w) == len(text) >= 2 and sum(a != b for a, b in zip(w, text)) == 1]


def _keyword_hint(text: str, keywords: list[str]) -> str:
    shown = "或".join(f"「{w}」" for w in keywords)
    return f"「{text}」不是关键字；是否想写{shown}？(did you mean the keyword {' or '.join(keywords)}?)"


def _expected(exc: UnexpectedToken) -> set[str]:
    try:
        accepts = exc.accepts
    except Exception:  # noqa: BLE001 - only the message's word list depends on it; the state's own set will do
        accepts = None
    names = set(accepts or exc.expected or ())
    return {n for n in names if n in DISPLAY} or {"_NL"}


def _describe_expected(names: set[str]) -> str:
    names = set(names)
    shown: list[str] = []
    for trigger, members, label in _GROUPS:
        if trigger <= names:
            names -= members
            shown.append(label)
    shown += sorted(DISPLAY[n] for n in names)
    if len(shown) > _MAX_LISTED:
        shown = shown[:_MAX_LISTED] + ["……"]
    return shown[0] if len(shown) == 1 else "、".join(shown[:-1]) + "或" + shown[-1]


def _describe_found(token: Token) -> str:
    if token.type in _LAYOUT or token.type == "$END":
        return DISPLAY[token.type]
    text = str(token.value)
    if len(text) > 20:
        text = text[:20] + "…"
    return f"名称「{text}」" if token.type == "NAME" else f"「{text}」"


def _line_of(token: Token, end: bool) -> int:
    line = getattr(token, "end_line" if end else "line", None)
    return line if isinstance(line, int) and line > 0 else 1


def _token_span(file: str, lines: list[str], token: Token) -> Span:
    if token.type == "_NL":
        return _line_end_span(file, lines, _line_of(token, end=False))
    line, col = _line_of(token, end=False), token.column or 1
    end_line, end_col = token.end_line or line, token.end_column or col + 1
    if (end_line, end_col) <= (line, col):
        end_line, end_col = line, col + 1
    return Span(file=file, line=line, col=col, end_line=end_line, end_col=end_col)


def _line_span(file: str, lines: list[str], line: int) -> Span:
    """The text of ``line``, from its first non-blank character."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    col = len(text) - len(text.lstrip(" \t\u3000")) + 1
    return Span(file=file, line=line, col=col, end_line=line, end_col=max(len(text.rstrip()) + 1, col + 1))


def _line_end_span(file: str, lines: list[str], line: int) -> Span:
    """Just after the last character of ``line`` (where a missing token belongs)."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    col = len(_strip_comment(text).rstrip()) + 1
    return Span(file=file, line=line, col=col, end_line=line, end_col=col + 1)


# ───────────────────────────── recovery ─────────────────────────────


def _strip_comment(text: str) -> str:
    for mark in ("#", "＃"):
        cut = text.find(mark)
        if cut >= 0:
            text = text[:cut]
    return text


def _is_code(text: str) -> bool:
    return bool(_strip_comment(text).strip(" \t\u3000"))


def _indent(text: str) -> int:
    stripped = text.lstrip(" \t\u3000")
    return sum(_INDENT_WIDTH[ch] for ch in text[: len(text) - len(stripped)])


def _previous_code_line(lines: list[str], line: int) -> int:
    """The last line before ``line`` with code on it (1-based), or ``line`` itself if there is none."""
    for number in range(min(line, len(lines) + 1) - 1, 0, -1):
        if _is_code(lines[number - 1]):
            return number
    return line


def _drop(lines: list[str], line: int, include_equal: bool, col: Optional[int] = None) -> bool:
    """Blank ``line`` and the block under it, then any block header left with an empty block.

    ``include_equal`` also drops the following lines indented as deep as ``line`` (for a block that
    should not be there at all). An article header whose error lies after its 第…条 keeps that much,
    so the clauses under it are still read. Returns False when there was nothing left to drop.
    """
    index = line - 1
    if not (0 <= index < len(lines)) or not _is_code(lines[index]):
        index = _previous_code_line(lines, line) - 1
        if not (0 <= index < len(lines)) or not _is_code(lines[index]):
            return False
    head = _ARTICLE_HEAD.match(lines[index])
    if head and col is not None and col > head.end() and lines[index] != head.group(0):
        lines[index] = head.group(0)
        return True
    base = _indent(lines[index])
    lines[index] = ""
    follow = index + 1
    while follow < len(lines):
        if _is_code(lines[follow]):
            depth = _indent(lines[follow])
            if depth < base or (depth == base and not include_equal):
                break
        lines[follow] = ""
        follow += 1
    _drop_empty_headers(lines, index)
    return True


def _drop_empty_headers(lines: list[str], index: int) -> None:
    """A line ending in ``：`` needs a block; if dropping lines emptied it, the header goes too."""
    while True:
        header = _previous_code_line(lines, index + 1) - 1
        if header == index or not _strip_comment(lines[header]).rstrip().endswith((":", "：")):
            return
        after = next((i for i in range(header + 1, len(lines)) if _is_code(lines[i])), None)
        if after is not None and _indent(lines[after]) > _indent(lines[header]):
            return
        lines[header] = ""
        index = header

"""Coverage: which articles of a regulation's own text the rule file encodes.

Entry point: ``coverage(ir, source_text) -> CoverageReport``. The regulation's text (bundled beside the
rule file as ``<stem>.source.txt``) is split into units, each labelled the way a rule file cites it
(``split_units``). A unit whose text holds an Arabic digit states something a rule might need; the
report says, for each such unit, whether the IR encodes it, leaves it open, declares it not applicable
(不涉及) or misses it. It also warns about article labels of the IR that name no unit of the text.

Units (docs/language.md, section 11, gives the drafter's version of these rules):

- A text with lines that start with ``第…条`` is split into articles: each runs from its ``第…条`` line
  to the next, or to a chapter heading (``第…章``/``节``) or the sign-off (抄送, the issuing office, the
  date of issue). The label is the canonical ``第N条``, as the IR spells it.
- Otherwise the text is split by headings ``二、`` (level 1), ``（二）`` (level 2) and ``1.`` (level 3),
  each labelled by its path: ``二``, ``二（二）``, ``二（二）1``. A unit runs to the next heading (or the
  sign-off); text before the first heading (the covering letter) is no unit. A closing paragraph after
  the last heading that starts with 本 and states when the document takes effect (施行, 有效期) is the
  unit ``附则``. Lines are joined into paragraphs first: the texts break paragraphs mid-sentence and
  have blank lines inside them, so a line continues the paragraph before it unless that one ended with
  a full stop (。；：！？) or the line is a heading.

The report never fails: a text with no recognisable structure has no units.
"""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Iterator, Optional

import attrs

from ._program import article_label
from .ast import Span
from .diagnostics import Diagnostic, diag, did_you_mean, word
from .numerals import parse_chinese_numeral

__all__ = ["coverage", "split_units", "render_coverage", "source_text_beside", "CoverageReport", "Entry", "Status", "Unit", "CLOSING_LABEL"]

frozen = attrs.frozen(kw_only=True)

CLOSING_LABEL = "附则"
_EXCERPT = 30

_DIGIT = re.compile(r"[0-9０-９]")
_NUMERAL = "〇零一二两三四五六七八九十百千0-9０-９"
_ARTICLE = re.compile(rf"第([{_NUMERAL}]+)条")
_CHAPTER = re.compile(rf"第[{_NUMERAL}]+[章节编]")
_HEADINGS = (
    re.compile(r"([一二三四五六七八九十]+)、"),
    re.compile(r"[（(]([一二三四五六七八九十]+)[）)]"),
    re.compile(r"([0-9]+)[.．、](?![0-9])"),
)
_DATE = r"[（(]?[0-9]{4}\s*年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日\s*(?:印发)?[）)]?"
_SIGN_OFF = re.compile(
    rf"(?:抄送|抄报|主送)[:：]|{_DATE}$|[^\s，。、；：,.;:]{{2,30}}(?:人民政府|办公室|办公厅|局)(?:\s+{_DATE})?$"
)
_VALIDITY = re.compile(r"本.*(?:施行|有效期)")
_FULL_STOPS = "。；：！？;:!?"
_CLOSERS = "”’」』）)"
_MARKUP = re.compile(r"^[#＃\s\u3000]+|\*\*|__")


SOURCE_SUFFIX = ".source.txt"


def coverage_beside(ir: Optional[dict], rule_file: Optional[Path]) -> Optional["CoverageReport"]:
    """The coverage of a compiled regulation against the source text bundled beside its rule file, or
    None when there is no IR or no source text (``yibao check`` and the language server report it)."""
    source = source_text_beside(rule_file) if rule_file is not None and ir is not None else None
    return coverage(ir, source.read_text(encoding="utf-8")) if source else None


def source_text_beside(rule_file: Path) -> Optional[Path]:
    """The regulation's own text, bundled beside its rule file as ``<stem>.source.txt``, if it is there."""
    path = Path(rule_file).with_name(Path(rule_file).stem + SOURCE_SUFFIX)
    return path if path.is_file() else None


# ───────────────────────────── units of the text ─────────────────────────────


@frozen
class Unit:
    """One article or section of the regulation's text."""

    label: str  # 第三十条, 二（二）1, 附则
    text: str  # without its own heading label; wrapped lines joined
    line: int  # 1-based line of the text where it starts

    @property
    def has_number(self) -> bool:
        return _DIGIT.search(self.text) is not None


def split_units(text: str) -> tuple[Unit, ...]:
    """The units of a regulation's text, in order (see the module documentation)."""
    lines = list(_clean_lines(text))
    if any(_ARTICLE.match(line) for _, line in lines):
        return tuple(_article_units(lines))
    return tuple(_heading_units(_paragraphs(lines)))


def _clean_lines(text: str) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their numbers, without indentation or Markdown markup (# headings, **bold**)."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _MARKUP.sub("", raw).strip(" \t\u3000\xa0")
        if line:
            yield number, line


def _is_sign_off(line: str) -> bool:
    return _SIGN_OFF.match(line) is not None


class _Builder:
    """Units under construction: one is open at a time; closing it keeps it."""

    def __init__(self) -> None:
        self.units: list[Unit] = []
        self._open: Optional[tuple[str, int, list[str]]] = None

    def start(self, label: str, line: int, text: str) -> None:
        self.close()
        self._open = (label, line, [text])

    def add(self, text: str) -> None:
        if self._open is not None:
            self._open[2].append(text)

    def close(self) -> None:
        if self._open is not None:
            label, line, parts = self._open
            self.units.append(Unit(label=label, text="".join(parts).strip(), line=line))
        self._open = None


# ── 第N条 ──


def _article_units(lines: Iterable[tuple[int, str]]) -> list[Unit]:
    units = _Builder()
    for number, line in lines:
        head = _ARTICLE.match(line)
        if head:
            units.start(_article_label(head.group(0), head.group(1)), number, line[head.end():])
        elif _CHAPTER.match(line) or _is_sign_off(line):
            units.close()
        else:
            units.add(line)
    units.close()
    return units.units


def _article_label(written: str, numeral: str) -> str:
    """The IR's spelling: 第三十条 also for 第30条; a numeral that cannot be read stays as written."""
    digits = numeral.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    value = int(digits) if digits.isdigit() else parse_chinese_numeral(numeral)
    return article_label(value) if value else written


# ── headings 二、（二）1. ──


def _paragraphs(lines: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """Lines joined into paragraphs: a line continues the one before unless that one ended a sentence,
    or the line starts a heading or the sign-off."""
    paragraphs: list[tuple[int, str]] = []
    for number, line in lines:
        starts = not paragraphs or _ends_sentence(paragraphs[-1][1]) or _heading(line) or _is_sign_off(line)
        if starts:
            paragraphs.append((number, line))
        else:
            paragraphs[-1] = (paragraphs[-1][0], paragraphs[-1][1] + line)
    return paragraphs


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSERS)[-1:] in tuple(_FULL_STOPS)


def _heading(line: str) -> Optional[tuple[int, str, int]]:
    """(level, the heading's own label, where its text starts), or None."""
    for level, pattern in enumerate(_HEADINGS):
        found = pattern.match(line)
        if found:
            return level, found.group(1), found.end()
    return None


def _heading_units(paragraphs: list[tuple[int, str]]) -> list[Unit]:
    units = _Builder()
    path: list[str] = []
    last_heading = max((i for i, (_, text) in enumerate(paragraphs) if _heading(text)), default=len(paragraphs))
    closing = False
    for i, (number, text) in enumerate(paragraphs):
        head = _heading(text)
        if head:
            level, own, start = head
            path = path[:level] + [""] * (level - len(path)) + [own]
            units.start(_path_label(path), number, text[start:])
        elif _is_sign_off(text):
            units.close()
        elif i > last_heading and not closing and _VALIDITY.match(text):
            closing = True
            units.start(CLOSING_LABEL, number, text)
        else:
            units.add(text)
    units.close()
    return units.units


def _path_label(path: list[str]) -> str:
    """``["二", "二", "1"]`` → ``二（二）1``; a level the text skipped stays empty."""
    parts = [path[0] if path else ""]
    if len(path) > 1 and path[1]:
        parts.append(f"（{path[1]}）")
    if len(path) > 2:
        parts.append(path[2])
    return "".join(parts)


def normalise_label(label: str) -> str:
    """How labels are compared: no spaces, full-width brackets, no full stop after an item number."""
    text = re.sub(r"\s+", "", label).replace("(", "（").replace(")", "）")
    return text.rstrip(".．、")


# ───────────────────────────── status ─────────────────────────────


class Status(enum.Enum):
    ENCODED = "encoded"  # the IR has an element citing the unit that is not an open value
    OPEN = "open"  # everything citing it is open (待定)
    NOT_APPLICABLE = "not_applicable"  # the rule file declares it 不涉及
    MISSING = "missing"  # nothing cites it


@frozen
class Entry:
    unit: Unit
    status: Status
    reason: Optional[str]  # why it does not apply, for NOT_APPLICABLE


@frozen
class CoverageReport:
    units: tuple[Unit, ...]  # every unit of the text, in order
    entries: tuple[Entry, ...]  # the units that hold a number, in order, with their status
    diagnostics: tuple[Diagnostic, ...]  # article labels of the IR that name no unit (warnings)

    def count(self, status: Status) -> int:
        return sum(1 for e in self.entries if e.status is status)

    @property
    def missing(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.status is Status.MISSING)


def coverage(ir: dict, source_text: str) -> CoverageReport:
    """The coverage of ``source_text`` (the regulation's own text) by the IR compiled from its rule file."""
    units = split_units(source_text)
    cited = _citations(ir)
    not_applicable = {normalise_label(a["label"]): a.get("not_applicable") for a in ir.get("articles", ())}
    entries = tuple(_entry(u, cited, not_applicable) for u in units if u.has_number)
    return CoverageReport(units=units, entries=entries, diagnostics=tuple(_unknown_labels(ir, units)))


def _entry(unit: Unit, cited: dict[str, list[bool]], not_applicable: dict[str, Optional[str]]) -> Entry:
    label = normalise_label(unit.label)
    flags = cited.get(label, [])
    if flags:
        return Entry(unit=unit, status=Status.OPEN if all(flags) else Status.ENCODED, reason=None)
    reason = not_applicable.get(label)
    if reason is not None:
        return Entry(unit=unit, status=Status.NOT_APPLICABLE, reason=reason)
    return Entry(unit=unit, status=Status.MISSING, reason=None)


def _citations(ir: dict) -> dict[str, list[bool]]:
    """Article label → one flag per IR element citing it: True when the element is an open value."""
    cited: dict[str, list[bool]] = defaultdict(list)
    for article, is_open in _cited_elements(ir):
        if article:
            cited[normalise_label(article)].append(is_open)
    return cited


def _cited_elements(ir: dict) -> Iterator[tuple[Optional[str], bool]]:
    """(article, is open) for every element of the settlement part and of the contribution part."""
    for part in (ir, ir.get("contribution") or {}):
        yield from _cited_in(part)
    yield from ((item.get("article"), True) for item in ir.get("open_values", ()))
    yield (ir.get("regulation") or {}).get("effective_article"), False


def _cited_in(part: dict) -> Iterator[tuple[Optional[str], bool]]:
    open_tables = {t["name"] for t in part.get("tables", ()) if _all_open(t.get("cells", ()))}
    for table in part.get("tables", ()):
        yield table.get("article"), table["name"] in open_tables
    for definition in part.get("definitions", ()):
        default = definition.get("default", {})
        yield default.get("article"), _open_expr(default.get("expr", {}), open_tables)
        yield from ((e.get("article"), False) for e in definition.get("exceptions", ()))
    for section in ("counters", "exclusions", "outputs"):
        yield from ((item.get("article"), False) for item in part.get(section, ()))


def _all_open(cells) -> bool:
    """Every cell is 待定 or 不适用, and at least one is 待定: the table gives no value at all."""
    values = [c.get("value", {}) for c in cells]
    return any("open" in v for v in values) and all("open" in v or "na" in v for v in values)


def _open_expr(expr: dict, open_tables: set[str]) -> bool:
    return "open" in expr or (expr.get("op") == "lookup" and expr.get("table") in open_tables)


def _unknown_labels(ir: dict, units: tuple[Unit, ...]) -> Iterator[Diagnostic]:
    known = {normalise_label(u.label) for u in units}
    for article in ir.get("articles", ()):
        if normalise_label(article["label"]) not in known:
            hints = did_you_mean(article["label"], [u.label for u in units])
            yield diag("YB701", _span(article.get("at")), hints=hints, label=article["label"])


def _span(at: Optional[str]) -> Optional[Span]:
    """``dongying/dongying-2018.yb:9:1`` → a span of one character there."""
    file, _, rest = (at or "").rpartition(":")
    file, _, line = file.rpartition(":")
    if not (file and line.isdigit() and rest.isdigit()):
        return None
    return Span(file=file, line=int(line), col=int(rest), end_line=int(line), end_col=int(rest) + 1)


# ───────────────────────────── the report as text ─────────────────────────────


_MARKS = {
    Status.ENCODED: "coverage.encoded",
    Status.OPEN: "coverage.open",
    Status.NOT_APPLICABLE: "coverage.not_applicable",
    Status.MISSING: "coverage.missing",
}


def render_coverage(report: CoverageReport) -> list[str]:
    """The summary line, then one line per unit that holds a number (as ``yibao check`` prints them)."""
    summary = word(
        "coverage.summary", total=len(report.entries), encoded=report.count(Status.ENCODED),
        open=report.count(Status.OPEN), na=report.count(Status.NOT_APPLICABLE), missing=report.count(Status.MISSING),
    )
    return [summary, *(_entry_line(e) for e in report.entries)]


def _entry_line(entry: Entry) -> str:
    text = entry.unit.text
    excerpt = text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"
    return word(_MARKS[entry.status], label=entry.unit.label, reason=entry.reason or "", text=excerpt)

"""The amend pass: an amendment (``修订 "…"``) and the version it changes → the amended version, written out whole.

Entry point: ``amend(amendment, earlier, earlier_file, known) -> (RuleFile, Amendment | None, diagnostics)``. The
driver finds the earlier version (by file or by 标题) and calls this before resolve; every later pass, and the IR,
see an ordinary full version, so the runtime needs nothing new (docs/ir.md, "Amendments").

How the two files combine (docs/language.md section 20):
- the earlier's clauses are kept, in its own articles and places;
- a value the amendment gives (a definition, table or open value) replaces the earlier's value of that name: in
  its place when the amendment writes it under the same article (or both outside any article), otherwise it moves
  to the amendment's article, which then is what the IR cites for it;
- the header lines the amendment writes (标题, 文号, 依据, 施行) replace the earlier's; 地区 and 采用 are inherited;
- the amendment's examples, interpretations and 不涉及 lines are added to its articles (an article the earlier
  does not have is added at the end); an interpretation that names no subject explains the value above it in
  the amendment, so it is given that subject explicitly;
- the earlier's examples are kept, each marked ``inherited`` (lower dates them, see ``lower.py``).

What an amendment may not do is reported here: a target that does not exist (YB610), a value the earlier does not
define (YB611), a value of another type, unit or table shape (YB612), dates overlapping the earlier (YB613), other
clause kinds (YB614), no 施行 (YB615).
"""

from __future__ import annotations

import datetime as _dt
from typing import Iterable, Iterator, Optional, Sequence, Union

import attrs

from . import ast as A
from ._program import label_of, table_cells
from .diagnostics import WORDS, Diagnostic, diag, did_you_mean, word

__all__ = ["Amendment", "Version", "amend", "amends_decl"]

_HEADER = (A.TitleDecl, A.DocNumberDecl, A.BasisDecl, A.EffectiveDecl)
_VALUES = (A.Definition, A.TableDef, A.OpenDecl)
_ADDED = (A.Example, A.Interpretation, A.NotApplicableDecl)
_IGNORED = (A.AmendsDecl, A.RegionDecl)  # the region is checked, not replaced; 修订 itself is consumed here

Value = Union[A.Definition, A.TableDef, A.OpenDecl]
_SHOWN = 6  # how many of the rule files a 修订 could name YB610 lists


@attrs.frozen(kw_only=True)
class Version:
    """One version of a chain of amendments: its file, the day it starts, the names it changed (none for the first)."""

    file: str
    start: Optional[_dt.date]
    changed: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Amendment:
    """What lower and ``yibao check`` need to know about an amended version."""

    earlier: str  # the earlier version's file, relative to the rules root
    earlier_title: Optional[str]
    start: Optional[_dt.date]
    changed: tuple[str, ...]  # the names this amendment gives new values, in its order
    versions: tuple[Version, ...]  # the chain from the first version to this one (lower dates inherited examples by it)


def amends_decl(rule_file: A.RuleFile) -> Optional[A.AmendsDecl]:
    """The file's ``修订`` line (at the top level or inside an article), if it is an amendment."""
    return next((c for _, c in _clauses(rule_file) if isinstance(c, A.AmendsDecl)), None)


def amend(amendment: A.RuleFile, earlier: Optional[A.RuleFile], earlier_file: str, known: Sequence[str] = (),
          earlier_amendment: Optional[Amendment] = None) -> tuple[A.RuleFile, Optional[Amendment], list[Diagnostic]]:
    """The amended version as one rule file (spans still point into both files), or ``amendment`` itself
    unchanged with YB610 when ``earlier`` is None (``known``: the files and titles that could be meant).
    ``earlier_amendment``: when the earlier version is itself an amendment, what it was."""
    decl = amends_decl(amendment)
    if earlier is None:
        shown = "、".join(known[:_SHOWN]) + (word("amend.more", count=len(known)) if len(known) > _SHOWN else "")
        return amendment, None, [diag("YB610", decl.span, hints=did_you_mean(decl.target, known), target=decl.target,
                                      known=shown or word("amend.none"))]
    return _Merge(amendment, earlier, earlier_file, earlier_amendment).run()


def _clauses(rule_file: A.RuleFile) -> Iterator[tuple[Optional[A.Article], A.Clause]]:
    for item in rule_file.items:
        if isinstance(item, A.Article):
            yield from ((item, c) for c in item.clauses)
        else:
            yield None, item


def _label(article: Optional[A.Article]) -> Optional[str]:
    return label_of(article) if article is not None else None


class _Merge:
    def __init__(self, amendment: A.RuleFile, earlier: A.RuleFile, earlier_file: str,
                 earlier_amendment: Optional[Amendment]) -> None:
        self.earlier_amendment = earlier_amendment
        self.amendment = amendment
        self.earlier = earlier
        self.earlier_file = earlier_file
        self.diagnostics: list[Diagnostic] = []
        # name → (article label, clause) of the earlier's values
        self.old_values: dict[str, tuple[Optional[str], Value]] = {
            c.name: (_label(a), c) for a, c in _clauses(earlier) if isinstance(c, _VALUES)}
        self.in_place: dict[str, Value] = {}  # old name → new clause, written in the same article
        self.replaced: set[str] = set()
        self.written: dict[str, A.Span] = {}  # name → where the amendment first gives it a value
        self.header_kinds: set[type] = set()
        self.additions: dict[Optional[str], list[A.Clause]] = {}  # article label → clauses added to it
        self.titles: dict[str, tuple[A.Article, Optional[str]]] = {}  # label → the amendment's article, title
        self.changed: list[str] = []

    def run(self) -> tuple[A.RuleFile, Optional[Amendment], list[Diagnostic]]:
        subject: dict[Optional[str], str] = {}  # article → the last value the amendment wrote in it
        for article, clause in _clauses(self.amendment):
            label = _label(article)
            if article is not None:
                self.titles.setdefault(label, (article, article.title))
            if isinstance(clause, _VALUES):
                if self._value(label, clause):
                    subject[label] = clause.name
            elif isinstance(clause, _HEADER):
                self.header_kinds.add(type(clause))
                self._add(label, clause)
            elif isinstance(clause, A.Interpretation):
                chosen = clause.subject or subject.get(label)
                self._add(label, attrs.evolve(clause, subject=chosen))
            elif isinstance(clause, _ADDED):
                self._add(label, clause)
            elif isinstance(clause, A.RegionDecl):
                self._region(clause)
            elif not isinstance(clause, _IGNORED):
                self.diagnostics.append(diag("YB614", clause.span, what=_kind_word(clause)))
                self._add(label, clause)  # kept (the version has errors anyway), so what uses it is no second error
        self._dates()
        merged = attrs.evolve(self.amendment, items=tuple(self._items()))
        header = self._earlier_header()
        effective = self._own(A.EffectiveDecl)
        start = effective.start if effective else None
        before = (self.earlier_amendment.versions if self.earlier_amendment is not None
                  else (Version(file=self.earlier_file, start=header.get(A.EffectiveDecl), changed=()),))
        mine = Version(file=self.amendment.path, start=start, changed=tuple(self.changed))
        info = Amendment(earlier=self.earlier_file, earlier_title=header.get(A.TitleDecl), start=start,
                         changed=tuple(self.changed), versions=(*before, mine))
        return merged, info, self.diagnostics

    # ── the amendment's clauses ──

    def _add(self, label: Optional[str], clause: A.Clause) -> None:
        self.additions.setdefault(label, []).append(clause)

    def _value(self, label: Optional[str], clause: Value) -> bool:
        old = self.old_values.get(clause.name)
        if old is None:
            self.diagnostics.append(diag("YB611", clause.span, hints=did_you_mean(clause.name, self.old_values),
                                         earlier=self.earlier_file, name=clause.name))
            return False  # left out: most often a misspelt name, which nothing else reads
        old_label, old_clause = old
        if clause.name in self.written:  # the amendment gives the name two values
            first = self.written[clause.name]
            self.diagnostics.append(diag("YB202", clause.span, related=[first], name=clause.name, other=first))
            return False
        self.written[clause.name] = clause.span
        mismatch = _shape_mismatch(old_clause, clause)
        if mismatch is not None:
            self.diagnostics.append(diag("YB612", clause.span, related=[old_clause.span], name=clause.name,
                                         old=mismatch[0], new=mismatch[1]))
            return False  # the earlier value stays, so nothing downstream fails for this one mistake
        self.replaced.add(clause.name)
        self.changed.append(clause.name)
        if old_label == label:
            self.in_place[clause.name] = clause
        else:
            self._add(label, clause)
        return True

    def _region(self, clause: A.RegionDecl) -> None:
        mine = next((c for _, c in _clauses(self.earlier) if isinstance(c, A.RegionDecl)), None)
        if mine is not None and mine.code != clause.code:
            self.diagnostics.append(diag("YB614", clause.span, related=[mine.span],
                                         what=word("amend.other_region", code=clause.code, earlier=mine.code)))

    def _own(self, cls) -> Optional[A.Clause]:
        return next((c for _, c in _clauses(self.amendment) if isinstance(c, cls)), None)

    def _earlier_header(self) -> dict:
        found: dict = {}
        for _, c in _clauses(self.earlier):
            if isinstance(c, A.TitleDecl):
                found.setdefault(A.TitleDecl, c.text)
            elif isinstance(c, A.EffectiveDecl):
                found.setdefault(A.EffectiveDecl, c.start)
        return found

    def _dates(self) -> None:
        mine = self._own(A.EffectiveDecl)
        if mine is None:
            self.diagnostics.append(diag("YB615", amends_decl(self.amendment).span))
            return
        theirs = next((c for _, c in _clauses(self.earlier) if isinstance(c, A.EffectiveDecl)), None)
        if theirs is None:
            return
        ends_before = theirs.end is not None and theirs.end < mine.start
        starts_after = mine.end is not None and mine.end < theirs.start
        if not (ends_before or starts_after):
            end = theirs.end.isoformat() if theirs.end else word("version.open_end")
            self.diagnostics.append(diag("YB613", mine.span, related=[theirs.span], start=mine.start.isoformat(),
                                         earlier=self.earlier_file, interval=f"{theirs.start.isoformat()} 至 {end}"))

    # ── the merged file ──

    def _items(self) -> Iterator[Union[A.Clause, A.Article]]:
        seen: set[Optional[str]] = set()
        for item in self.earlier.items:
            if isinstance(item, A.Article):
                label = label_of(item)
                seen.add(label)
                clauses = (*self._kept(item.clauses), *self.additions.get(label, ()))
                title = self.titles.get(label, (None, item.title))[1] or item.title
                yield attrs.evolve(item, clauses=clauses, title=title)
            else:
                yield from self._kept((item,))
        yield from self.additions.get(None, ())
        for label, (article, _) in self.titles.items():
            if label not in seen:
                yield attrs.evolve(article, clauses=tuple(self.additions.get(label, ())))

    def _kept(self, clauses: Iterable[A.Clause]) -> Iterator[A.Clause]:
        for clause in clauses:
            if isinstance(clause, _HEADER) and type(clause) in self.header_kinds:
                continue
            if isinstance(clause, _VALUES) and clause.name in self.replaced:
                if clause.name in self.in_place:
                    yield self.in_place[clause.name]
                continue
            if isinstance(clause, A.Example) and clause.inherited is None:
                yield attrs.evolve(clause, inherited=self.earlier_file)
            else:
                yield clause


# ── whether a changed value keeps its type ──

_BASE_WORDS = {A.BaseType.MONEY: "金额", A.BaseType.RATE: "比例", A.BaseType.COUNT: "次数", A.BaseType.DATE: "日期",
               A.BaseType.BOOL: "布尔", A.BaseType.FLAG: "标志"}
_LITERAL_WORDS = {A.MoneyLit: "金额", A.RateLit: "比例", A.CountLit: "次数", A.DateLit: "日期", A.BoolLit: "布尔"}


def _shape_mismatch(old: Value, new: Value) -> Optional[tuple[str, str]]:
    """(old, new) in words when the two plainly differ in kind, unit or table dimensions; None when they agree or
    when one side's type is only known after checking (a formula: the check pass then holds it to its uses)."""
    old_dims, new_dims = _dims(old), _dims(new)
    if old_dims != new_dims:
        return _shape_word(old_dims, _value_type(old)), _shape_word(new_dims, _value_type(new))
    before, after = _value_type(old), _value_type(new)
    if before is not None and after is not None and before != after:
        return _shape_word(old_dims, before), _shape_word(new_dims, after)
    return None


def _dims(clause: Value) -> Optional[tuple[str, ...]]:
    return tuple(d.name for d in clause.dims) if isinstance(clause, A.TableDef) else None


def _shape_word(dims: Optional[tuple[str, ...]], kind: Optional[str]) -> str:
    if dims is None:
        return kind or word("amend.value")
    return word("amend.table", dims=" × ".join(dims), kind=kind or word("amend.value"))


def _value_type(clause: Value) -> Optional[str]:
    declared = getattr(clause, "type", None)
    if declared is not None:
        return _BASE_WORDS.get(declared.base) or declared.vocabulary
    if isinstance(clause, A.Definition):
        return _expr_type(clause.expr)
    if isinstance(clause, A.TableDef):
        cells = [_expr_type(c) for c in table_cells(clause.body)]
        return next((c for c in cells if c is not None), None)
    return None  # an open value without a declared type


def _expr_type(expr) -> Optional[str]:
    if isinstance(expr, A.Bands):
        return "金额"
    if isinstance(expr, A.ByYear):
        return next((t for t in (_expr_type(y.cell) for y in expr.years) if t is not None), None)
    if isinstance(expr, A.Unary) and expr.op is A.UnaryOp.NEG:
        return _expr_type(expr.operand)
    return _LITERAL_WORDS.get(type(expr))


def _kind_word(clause: A.Clause) -> str:
    key = f"amend.kind.{type(clause).__name__}"
    return word(key if key in WORDS else "amend.kind.other")

"""The symbol table the resolve pass builds and the check and lower passes read.

Package-private: ``resolve.resolve`` is the entry point that makes a ``Program``. Records are frozen;
the indexes a later pass needs are built once, when the record is made, never filled in afterwards.
"""

from __future__ import annotations

import datetime as _dt
import enum
from typing import Iterator, Mapping, Optional, Union

import attrs

from . import ast as A
from ..runtime.values import UNLISTED  # the member a code an open list lacks reads as: the IR's and the runtime's name

frozen = attrs.frozen(kw_only=True)


# ───────────────────────────── name bindings ─────────────────────────────


class SymbolKind(enum.Enum):
    INPUT = "input"
    COUNTER = "counter"
    DEFINITION = "definition"  # a formula, a table, an open value, or a model parameter's value


@frozen
class ValueBinding:
    """A name that reads a value: an input, a counter (its value before the encounter) or a definition."""

    name: str
    kind: SymbolKind


@frozen
class SelfBinding:
    """Inside an exception, the target's own name: the value before this exception applies."""

    target: str


@frozen
class MemberBinding:
    """A vocabulary member (or alias). Several candidates when the name belongs to several vocabularies:
    the checker picks the one whose vocabulary the other operand has."""

    candidates: tuple[tuple[str, str], ...]  # (vocabulary, canonical member), in vocabulary order


Binding = Union[ValueBinding, SelfBinding, MemberBinding]


# ───────────────────────────── symbols ─────────────────────────────


@frozen
class Header:
    source: str
    region_name: Optional[str]
    region_code: Optional[str]
    title: Optional[str]
    doc_number: Optional[str]
    basis: Optional[str]
    effective_start: Optional[_dt.date]
    effective_end: Optional[_dt.date]
    effective_article: Optional[str]
    effective_span: Optional[A.Span]
    applies: Optional[A.AppliesDecl] = None  # 适用: whom the regulation covers
    applies_article: Optional[str] = None


@frozen
class Vocabulary:
    name: str
    english: Optional[str]
    field: Optional[str]
    members: tuple[A.Member, ...]
    aliases: tuple[tuple[str, str], ...]  # (alias, canonical member), in source order
    span: A.Span
    open: bool = False  # the regulation leaves the members open (待定)
    open_reason: Optional[str] = None
    article: Optional[str] = None
    optional: bool = False  # 字段 … 可缺: its input may be absent
    unlisted: bool = False  # a 其余 line: a code no member has is accepted as the member UNLISTED

    @property
    def member_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)

    @property
    def key_names(self) -> tuple[str, ...]:
        """The members a table over this vocabulary is keyed by: the listed ones, then UNLISTED if open."""
        return self.member_names + ((UNLISTED,) if self.unlisted else ())

    def canonical(self, name: str) -> Optional[str]:
        """The member ``name`` denotes in this vocabulary (through an alias), or None."""
        if name in self.member_names:
            return name
        return dict(self.aliases).get(name)


@frozen
class Input:
    name: str
    type: A.TypeRef
    field: str
    optional: bool
    span: A.Span
    text: Optional[str] = None  # 名为 "…": the flag or disease as the contract writes it, when no name can

    @property
    def ir_name(self) -> str:
        """The name the IR and the runtime know the input by: its contract text when it has one."""
        return self.text or self.name

    @property
    def person_level(self) -> bool:
        return self.field.startswith("person.")


class DefKind(enum.Enum):
    FORMULA = "formula"
    TABLE = "table"
    OPEN = "open"


@frozen
class DefinitionSym:
    name: str
    kind: DefKind
    node: Union[A.Definition, A.TableDef, A.OpenDecl]
    declared: Optional[A.TypeRef]  # the clause's own type, else the model parameter's
    article: Optional[str]
    notes: tuple[str, ...]
    in_city: bool
    dims: tuple[str, ...]  # a table's dimensions as vocabulary names; () for other kinds
    dims_ok: bool  # False when a dimension did not name a vocabulary (already reported)
    keys: tuple[str, ...] = ()  # per dimension, the input the table is read at: the vocabulary's own, or the one
    # input declared of that vocabulary when it has no field (``输入 病种：单病种 字段 …``)

    @property
    def span(self) -> A.Span:
        return self.node.span

    def key_of(self, dim: str) -> str:
        """The input a table is read at along ``dim`` (a vocabulary name)."""
        return dict(zip(self.dims, self.keys)).get(dim, dim)


@frozen
class ExceptionSym:
    node: A.ExceptionDef
    article: Optional[str]
    order: int  # position among all exceptions, for ties in priority
    notes: tuple[str, ...] = ()  # interpretations written right after this exception: shown when it applies


@frozen
class UpdateSym:
    node: A.CounterUpdate
    article: Optional[str]


@frozen
class CounterSym:
    node: A.CounterDecl
    article: Optional[str]
    update: Optional[UpdateSym]  # None: the counter keeps its value

    @property
    def name(self) -> str:
        return self.node.name


@frozen
class ExclusionSym:
    node: A.Exclusion
    article: Optional[str]


@frozen
class OutputSym:
    node: A.OutputDecl
    article: Optional[str]


@frozen
class ContractSym:
    """A ``接口`` line: one output field of the settlement contract."""

    node: A.ContractField
    article: Optional[str]


@frozen
class InterpretationSym:
    node: A.Interpretation
    article: Optional[str]
    subject: Optional[str]


@frozen
class ExampleSym:
    node: A.Example
    article: Optional[str]


@frozen
class ArticleSym:
    """An article or section of the city's file: its label as the IR cites it, and whether the drafter
    declared it not applicable (不涉及) to settlement and contributions."""

    label: str
    title: Optional[str]
    not_applicable: Optional[str]  # the reason, or None
    span: A.Span


Symbol = Union[Input, CounterSym, DefinitionSym]


@frozen
class Program:
    """Everything the city regulation and the modules it uses declare, with every name bound."""

    city: str
    files: tuple[str, ...]  # modules first (in the order they are used), the city last
    header: Header
    vocabularies: tuple[Vocabulary, ...]
    inputs: tuple[Input, ...]
    params: Mapping[str, A.ParamDecl]
    definitions: tuple[DefinitionSym, ...]
    exceptions: Mapping[str, tuple[ExceptionSym, ...]]
    counters: tuple[CounterSym, ...]
    exclusions: tuple[ExclusionSym, ...]
    outputs: tuple[OutputSym, ...]
    contract: tuple[ContractSym, ...]  # the declared settlement outputs, in the contract's order (may be empty)
    interpretations: tuple[InterpretationSym, ...]
    examples: tuple[ExampleSym, ...]
    articles: tuple[ArticleSym, ...]  # the city file's own, in source order
    bindings: Mapping[A.NameRef, Binding]
    _symbols: dict = attrs.field(init=False, factory=dict, eq=False, repr=False)
    _vocabs: dict = attrs.field(init=False, factory=dict, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # Indexes built once at construction; the record stays immutable afterwards.
        for sym in (*self.inputs, *self.counters, *self.definitions):
            self._symbols.setdefault(sym.name, sym)
        for v in self.vocabularies:
            self._vocabs.setdefault(v.name, v)
            if v.english:
                self._vocabs.setdefault(v.english, v)

    def symbol(self, name: str) -> Optional[Symbol]:
        return self._symbols.get(name)

    def definition(self, name: str) -> Optional[DefinitionSym]:
        sym = self._symbols.get(name)
        return sym if isinstance(sym, DefinitionSym) else None

    def vocabulary(self, name: str) -> Optional[Vocabulary]:
        """A vocabulary by its name or its English name."""
        return self._vocabs.get(name)


# ───────────────────────────── walking expressions ─────────────────────────────


def children(e: A.Expr) -> tuple[A.Expr, ...]:
    """The sub-expressions of ``e`` (an InSet's members are names, not expressions)."""
    if isinstance(e, A.Binary):
        return (e.left, e.right)
    if isinstance(e, A.Unary):
        return (e.operand,)
    if isinstance(e, A.InSet):
        return (e.value,)
    if isinstance(e, A.IfExpr):
        return (e.cond, e.then, e.otherwise)
    if isinstance(e, A.Call):
        return e.args
    if isinstance(e, A.Lookup):
        return tuple(key for _, key in e.overrides)
    if isinstance(e, A.Bands):
        return (e.amount,) if e.start is None else (e.amount, e.start)
    if isinstance(e, A.BandRatio):
        return (e.target,)
    if isinstance(e, A.ByYear):
        return (e.date, *(y.cell for y in e.years if not isinstance(y.cell, (A.OpenCell, A.NotApplicableCell))))
    return ()


def walk(e: A.Expr) -> Iterator[A.Expr]:
    """``e`` and all its sub-expressions, depth first, in source order."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def table_cells(body) -> Iterator[A.Cell]:
    """Every cell written in a table body (a cell list, or rows of cell lists)."""
    lists = [row.cells for row in body] if isinstance(body, tuple) else [body]
    for cells in lists:
        if isinstance(cells, A.PositionalCells):
            yield from cells.cells
        else:
            yield from (entry.cell for entry in cells.entries)


_DIGITS = "零一二三四五六七八九"


def article_label(number: int) -> str:
    """``30`` → ``第三十条``: one spelling for an article however the file wrote it."""
    return f"第{chinese_numeral(number)}条"


def label_of(article: A.Article) -> str:
    """How the IR cites ``article``: ``第三十条`` for ``article 30``, a section by its own label."""
    return article_label(article.number) if article.number is not None else article.label


def chinese_numeral(n: int) -> str:
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    for unit, size in (("千", 1000), ("百", 100)):
        if n >= size:
            head, rest = divmod(n, size)
            return _DIGITS[head] + unit + _below(rest, size // 10)
    raise ValueError(n)  # unreachable: n >= 100 is covered by 百 or 千 above


def _below(rest: int, next_size: int) -> str:
    if rest == 0:
        return ""
    # 一百一十 rather than 一百十: inside a larger number the tens digit is always spoken.
    spoken = ("一" if 10 <= rest < 20 else "") + chinese_numeral(rest)
    return ("零" if rest < next_size else "") + spoken

"""The abstract syntax tree: frozen attrs records, each with its source span.

The build pass (``build.py``) produces these from the Lark parse tree and does nothing else: no name
lookup, no unit checks. Later passes read them and collect diagnostics. Nodes are never mutated and
never half-built; a pass that needs more information returns new records of its own.
"""

from __future__ import annotations

import datetime as _dt
import enum
from decimal import Decimal
from typing import Optional, Union

import attrs

frozen = attrs.frozen(kw_only=True)


@frozen
class Span:
    """A position in a rule file: 1-based line and column of the first and last character."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


# ───────────────────────────── types and enums ─────────────────────────────


class BaseType(enum.Enum):
    MONEY = "money"  # 金额
    RATE = "rate"  # 比例
    COUNT = "count"  # 次数
    DATE = "date"  # 日期
    BOOL = "bool"  # 布尔
    FLAG = "flag"  # 标志: a boolean read from a flags list


@frozen
class TypeRef:
    """A type written in the source: a base type keyword, or the name of a vocabulary."""

    base: Optional[BaseType]  # None when ``vocabulary`` names the type
    vocabulary: Optional[str]
    span: Span


class Period(enum.Enum):
    YEAR = "year"  # 每年: resets on 1 January (a calendar year, as the regulations define 年度)
    QUARTER = "quarter"  # 每季
    CASE = "case"  # 每案: never resets within one case


class BinaryOp(enum.Enum):
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    AND = "and"
    OR = "or"


class UnaryOp(enum.Enum):
    NEG = "neg"
    NOT = "not"
    KNOWN = "known"  # 有 X: whether the optional input X was given


class Func(enum.Enum):
    MIN = "min"  # 最小
    MAX = "max"  # 最大
    ROUND = "round"  # 四舍五入: half-up to the fen
    CLAMP = "clamp"  # 介于(x, lo, hi)
    COUNT_OF = "count_of"  # 个数(a, b, …): how many of the conditions hold


# ───────────────────────────── expressions ─────────────────────────────


@frozen
class MoneyLit:
    yuan: Decimal  # 200元 → 200; 20万元 → 200000
    span: Span


@frozen
class RateLit:
    value: Decimal  # 85% → 0.85
    span: Span


@frozen
class NumberLit:
    """A bare number: a count, or money in yuan where the context wants money."""

    value: Decimal
    span: Span


@frozen
class CountLit:
    value: int  # 2次
    span: Span


@frozen
class DateLit:
    value: _dt.date
    span: Span


@frozen
class BoolLit:
    value: bool
    span: Span


@frozen
class UnlistedLit:
    """``其余`` as an example's value: a code the input's open vocabulary does not list."""

    span: Span


@frozen
class NameRef:
    name: str
    span: Span


@frozen
class Band:
    """``1万元 至 5万元：85%``, or the last one open above: ``5万元 以上：90%``."""

    low: MoneyLit
    high: Optional[MoneyLit]  # None: 以上
    rate: RateLit
    span: Span


@frozen
class Bands:
    """``分段 金额 [自 起点]`` and its bands: the sum over the bands of rate × the part of ``amount`` that lies in
    the band (and above ``start``, when given). Stands only as the whole value of a definition."""

    amount: "Expr"
    start: Optional["Expr"]
    bands: tuple[Band, ...]
    span: Span


@frozen
class BandRatio:
    """``比例(大病分段支付额)``: the effective ratio of a definition written 分段 — its value ÷ the part of the
    amount the bands cover above the start; the first band's rate when that part is nothing."""

    target: NameRef
    span: Span


@frozen
class YearValue:
    """``2023：90000元`` in a value by year; the cell may be 待定 or 不适用."""

    year: int  # 0 on a dated line
    cell: "Cell"
    span: Span
    start: Optional[_dt.date] = None  # ``2023-07-01：…``: in force from this date until the next line's


@frozen
class ByYear:
    """``按年度 日期`` and its years: the value of the year ``date`` falls in; a year not listed is open (待定)
    for that year only. Stands only as the whole value of a definition."""

    date: "Expr"
    years: tuple[YearValue, ...]
    span: Span


@frozen
class ArticleRef(NameRef):
    """``按第三十一条`` / ``同第三十一条 住院支付比例``: the value that article of the same file defines (the one it
    defines, or the one named after the reference). ``name`` is the text as written; the resolve pass binds it."""

    article: int  # 31; 0 when the numeral was malformed (YB104 reported)
    named: Optional[str]  # 住院支付比例 in ``按第三十一条 住院支付比例``; None when only the article is written


@frozen
class Lookup:
    """``住院支付比例[医院等级=三级]``: a table read with some of its keys fixed."""

    name: str
    overrides: tuple[tuple[str, "Expr"], ...]  # (dimension vocabulary name, key expression)
    span: Span


@frozen
class Binary:
    op: BinaryOp
    left: "Expr"
    right: "Expr"
    span: Span


@frozen
class Unary:
    op: UnaryOp
    operand: "Expr"
    span: Span


@frozen
class InSet:
    """``医疗类别 属于 {普通住院, 外伤住院}``"""

    value: "Expr"
    members: tuple[NameRef, ...]
    span: Span


@frozen
class IfExpr:
    cond: "Expr"
    then: "Expr"
    otherwise: "Expr"
    span: Span


@frozen
class Call:
    func: Func
    args: tuple["Expr", ...]
    span: Span


Expr = Union[
    MoneyLit, RateLit, NumberLit, CountLit, DateLit, BoolLit, NameRef, ArticleRef, Lookup, Binary, Unary, InSet, IfExpr,
    Call, Bands, ByYear, UnlistedLit, BandRatio
]


# ───────────────────────────── tables ─────────────────────────────


@frozen
class OpenCell:
    """``待定`` in a table: the regulation does not give this value."""

    span: Span


@frozen
class NotApplicableCell:
    """``不适用``: this combination never needs a value (for example, it is excluded)."""

    span: Span


Cell = Union[MoneyLit, RateLit, NumberLit, CountLit, BoolLit, NameRef, OpenCell, NotApplicableCell]


@frozen
class PositionalCells:
    """``200元 / 500元 / 800元``: one cell per member, in the vocabulary's declared order."""

    cells: tuple[Cell, ...]
    span: Span


@frozen
class KeyedEntry:
    key: Optional[str]  # a member name; None means 其余 (every member not named)
    cell: Cell
    span: Span


@frozen
class KeyedCells:
    """``一级 80%，二级 70%，其余 不适用``"""

    entries: tuple[KeyedEntry, ...]
    span: Span


CellList = Union[PositionalCells, KeyedCells]


@frozen
class TableRow:
    """One row of a two-dimensional table: ``职工：95% / 90% / 85% / 待定``."""

    key: str
    cells: CellList
    span: Span


# ───────────────────────────── clauses ─────────────────────────────


@frozen
class Member:
    name: str
    code: str
    span: Span


@frozen
class VocabularyDecl:
    """``词表 医院等级 (level) 字段 encounter.dedc_hosp_lv：`` then one member per line."""

    name: str
    english: Optional[str]
    field: Optional[str]
    members: tuple[Member, ...]
    span: Span
    open: bool = False  # ``词表 … 待定 "理由"``: the regulation names no members (any name is taken as given)
    open_reason: Optional[str] = None
    optional: bool = False  # ``字段 … 可缺``: the field may be absent from an encounter (its input is optional)
    unlisted: tuple[Span, ...] = ()  # each ``其余`` line: the list is open, a code it lacks is the member 其余


@frozen
class AliasDecl:
    """``社区 按 一级``: another name for a vocabulary member."""

    alias: str
    target: str
    span: Span


@frozen
class InputDecl:
    """``输入 甲类费用：金额 字段 encounter.fees.01 [可缺]``"""

    name: str
    type: TypeRef
    field: str
    optional: bool
    span: Span
    text: Optional[str] = None  # ``输入 高血压病3级 名为 "高血压病（3级）"：…``: the contract's own spelling


@frozen
class ParamDecl:
    """``参数 统筹支付比例：比例``: a value the model needs and a city must give (or declare 待定)."""

    name: str
    type: TypeRef
    span: Span


@frozen
class Definition:
    """``[定义] 名称 [：类型] = 表达式``"""

    name: str
    type: Optional[TypeRef]
    expr: Expr
    span: Span


@frozen
class TableDef:
    """``起付标准 按 医院等级 200/500/800`` or a two-dimensional block ``按 险种 × 医院等级：``."""

    name: str
    dims: tuple[NameRef, ...]  # vocabulary names, or their English aliases
    body: Union[CellList, tuple[TableRow, ...]]  # a CellList for one dimension, rows for two
    span: Span


@frozen
class OpenDecl:
    """``名称 [：类型] 待定 ["理由"]``"""

    name: str
    type: Optional[TypeRef]
    reason: Optional[str]
    span: Span
    not_applicable: bool = False  # ``名称 不适用 "理由"``: never needed here (e.g. a model parameter this city lacks)


@frozen
class ExceptionDef:
    """``例外 名称 = 表达式 当 条件 [优先级 N]``. In ``expr`` the target's own name means the value
    before this exception applies."""

    target: str
    expr: Expr
    condition: Expr
    priority: Optional[int]
    span: Span


@frozen
class CounterDecl:
    """``计数器 本年计入住院次数：次数 每年 [接收 "admissions"]``"""

    name: str
    type: TypeRef
    period: Period
    cuminfo: Optional[str]
    span: Span


@frozen
class CounterUpdate:
    """``更新 名称 = 表达式 [不予支付 则 表达式]``: the counter's value after this encounter; ``on_exclusion``
    its value after an excluded one (None: an excluded encounter leaves it unchanged)."""

    name: str
    expr: Expr
    span: Span
    on_exclusion: Optional[Expr] = None


@frozen
class Exclusion:
    """``不予支付 "理由" 当 条件``"""

    reason: str
    condition: Expr
    span: Span


@frozen
class OutputDecl:
    """``输出 hifp_pay = 统筹基金支付``"""

    field: str
    expr: Expr
    span: Span


@frozen
class ContractField:
    """``接口 hifp_pay：金额 "统筹基金支出" 基金``: one output field of the settlement contract, in the
    contract's order. ``role`` "fund" (counted in fund_pay_sumamt) or "limit" (reported in setldetail);
    ``optional``: a rule need not output it (it is then 0); ``on_exclusion``: its value on an excluded
    encounter, "keep" (the rules' output) or a name, None for 0."""

    field: str
    type: str  # "money" or "rate"
    label: str
    role: Optional[str]
    optional: bool
    on_exclusion: Union[None, str, NameRef]
    span: Span


@frozen
class Interpretation:
    """``解释 [名称] "…"``: the reading chosen where the text allows two; ``名称`` names the value it
    explains (else the nearest clause above it in the same article that gives a name a value)."""

    text: str
    span: Span
    subject: Optional[str] = None


@frozen
class NotApplicableDecl:
    """``不涉及 "理由"``: the article states numbers, but nothing in it is settlement or contribution
    (for example a 30-day deadline for answering a complaint). Allowed only inside an article."""

    reason: str
    span: Span


@frozen
class Assignment:
    """In an example: ``甲类费用=1000元``, or a bare flag name (``value`` is None)."""

    name: str
    value: Optional[Expr]
    span: Span


@frozen
class PersonLine:
    assignments: tuple[Assignment, ...]
    span: Span


@frozen
class EncounterLine:
    assignments: tuple[Assignment, ...]
    span: Span


@frozen
class ValueExpectation:
    name: str
    value: Expr
    span: Span


@frozen
class ExcludedExpectation:
    span: Span


@frozen
class ErrorExpectation:
    code: Optional[str]
    span: Span
    subject: Optional[str] = None  # ``错误 YR01（住院支付比例）``: the value whose absence must be the cause


Expectation = Union[ValueExpectation, ExcludedExpectation, ErrorExpectation]


@frozen
class ExpectLine:
    """``期望 …``: what the encounter on the line before must give."""

    expectations: tuple[Expectation, ...]
    span: Span


ExampleLine = Union[PersonLine, EncounterLine, ExpectLine]


@frozen
class Example:
    title: str
    lines: tuple[ExampleLine, ...]
    span: Span
    inherited: Optional[str] = None  # the earlier version's file, for an example an amendment keeps (amend.py)


# ───────────────────────────── header ─────────────────────────────


@frozen
class RegionDecl:
    name: str  # 东营市
    code: str  # 370500
    span: Span


@frozen
class TitleDecl:
    text: str
    span: Span


@frozen
class DocNumberDecl:
    text: str  # 文号
    span: Span


@frozen
class EffectiveDecl:
    start: _dt.date
    end: Optional[_dt.date]
    span: Span


@frozen
class AppliesDecl:
    """``适用 险种 居民``: the regulation covers only these members of a vocabulary."""

    vocabulary: str
    members: tuple[str, ...]
    span: Span


@frozen
class BasisDecl:
    """``依据 "…"``: the earlier or provincial document this one builds on."""

    text: str
    span: Span


@frozen
class AmendsDecl:
    """``修订 "…"``: this version is the earlier one (named by its 标题, or by its file when the text ends in
    ``.yb``) with the values this file gives changed; the amend pass (``amend.py``) writes it out whole."""

    target: str
    span: Span


@frozen
class ModuleDecl:
    """``模块 名称``: this file is a shared module (vocabulary, model), not a city's regulation."""

    name: str
    span: Span


@frozen
class UseDecl:
    """``采用 名称``: bring in a shared module's declarations."""

    name: str
    span: Span


class Direction(enum.Enum):
    NONINCREASING = "nonincreasing"  # 不增
    NONDECREASING = "nondecreasing"  # 不减


@frozen
class ProvinceParamDecl:
    """``省级参数 住院支付比例：比例 "说明"``: a name the province compares cities by; a city binds its own
    table or definition of that name to it (the matrix's rows, the invariants' operands)."""

    name: str
    type: TypeRef
    label: Optional[str]
    span: Span


@frozen
class MonotoneInvariant:
    """``不变式 "…"：住院支付比例 按 医院等级（一级、二级、三级） 不增``: along the members in this order, each
    city's cells never rise (不增) or never fall (不减), the other dimensions held fixed."""

    title: str
    table: str
    dimension: str
    order: tuple[str, ...]
    direction: Direction
    span: Span


@frozen
class TableInvariant:
    """``不变式 "…"：住院起付标准 < 统筹基金年度限额``: a comparison over province parameters, held for every
    combination of the dimensions its operands leave free, on each city's table cells."""

    title: str
    relation: "Expr"
    span: Span


@frozen
class ClaimInvariant:
    """``不变式 "…"：每次结算 统筹支付比例 ≤ 100%``: a comparison over the settlement's outputs, held on every
    settled claim."""

    title: str
    relation: "Expr"
    span: Span


@frozen
class MetamorphicInvariant:
    """``不变式 "…"：每次结算 个人负担总额 随 甲类费用 不减``: settle a claim again with a higher input; the
    outcome never falls (不减) or never rises (不增)."""

    title: str
    outcome: NameRef
    input: NameRef
    direction: Direction
    span: Span


Invariant = Union[MonotoneInvariant, TableInvariant, ClaimInvariant, MetamorphicInvariant]


Clause = Union[
    ProvinceParamDecl,
    MonotoneInvariant,
    TableInvariant,
    ClaimInvariant,
    MetamorphicInvariant,
    VocabularyDecl,
    AliasDecl,
    InputDecl,
    ParamDecl,
    Definition,
    TableDef,
    OpenDecl,
    ExceptionDef,
    CounterDecl,
    CounterUpdate,
    Exclusion,
    OutputDecl,
    ContractField,
    Interpretation,
    NotApplicableDecl,
    Example,
    RegionDecl,
    TitleDecl,
    DocNumberDecl,
    EffectiveDecl,
    AppliesDecl,
    BasisDecl,
    AmendsDecl,
    ModuleDecl,
    UseDecl,
]


@frozen
class Article:
    """``第三十条【住院起付标准】`` or ``条目 "二（二）1"【明确筹资标准】``, and the clauses under it."""

    number: Optional[int]  # None for a section (条目), which has a label and no number
    label: str  # as written, e.g. 第三十条 or article 30; a section's quoted text, e.g. 二（二）1
    title: Optional[str]
    clauses: tuple[Clause, ...]
    span: Span


@frozen
class RuleFile:
    path: str
    items: tuple[Union[Clause, Article], ...]
    span: Span

"""The build pass: lark parse tree → AST (``compiler/ast.py``).

Entry point: ``build_ast(tree, file)``. The transformer only builds nodes: no name lookups and no unit
checks. Each grammar alias has one method here, and each method makes one kind of AST node. A value the
builder cannot read (a malformed article numeral, a date that does not exist, a priority that is not a
whole number) is never raised inside the transformer, where lark would wrap it in ``VisitError``: the
builder records a diagnostic and puts a placeholder in the node.

Spans: lines and columns are 1-based; ``end_col`` is one past the last character, as the renderer in
``diagnostics.py`` reads it. A node's span runs from its first token to its last, without the line break
or indentation after it (see ``parse._not_layout``).
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Optional

from lark import Token, Tree
from lark.visitors import Transformer_NonRecursive, v_args

from . import ast as A
from .diagnostics import Diagnostic, diag
from .numerals import parse_chinese_numeral

_BASE_TYPES = {
    "T_MONEY": A.BaseType.MONEY,
    "T_RATE": A.BaseType.RATE,
    "T_COUNT": A.BaseType.COUNT,
    "T_DATE": A.BaseType.DATE,
    "T_BOOL": A.BaseType.BOOL,
    "T_FLAG": A.BaseType.FLAG,
}
_PERIODS = {"PER_YEAR": A.Period.YEAR, "PER_QUARTER": A.Period.QUARTER, "PER_CASE": A.Period.CASE}
_FUNCS = {"MIN": A.Func.MIN, "MAX": A.Func.MAX, "ROUND": A.Func.ROUND, "CLAMP": A.Func.CLAMP, "COUNT_OF": A.Func.COUNT_OF}
_MAX_DIGITS = 100
# A date that cannot be read becomes this placeholder (its diagnostic stops compilation).
PLACEHOLDER_DATE = _dt.date(1, 1, 1)


def build_ast(tree: Tree, file: str) -> tuple[A.RuleFile, list[Diagnostic]]:
    """Build the AST of a whole file from its parse tree (as ``parse.parse`` returns it)."""
    builder = _Builder(file)
    rule_file = builder.transform(tree)
    return rule_file, sorted(builder.diagnostics, key=lambda d: (d.span.line, d.span.col) if d.span else (0, 0))


def canonical(value: Decimal) -> Decimal:
    """The shortest exact form: ``200`` not ``2E+2``, ``0.1`` not ``0.10``, ``0`` not ``-0``.

    Done on the digit tuple, because Decimal arithmetic (``normalize``, ``*``, unary ``-``) rounds to
    the context's 28 digits, and a literal may be longer than that.
    """
    sign, digits, exponent = value.as_tuple()
    digits = list(digits)
    if not any(digits):
        return Decimal(0)
    while exponent < 0 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    if exponent > 0:
        digits += [0] * exponent
        exponent = 0
    return Decimal((sign, tuple(digits), exponent))


def _shift(value: Decimal, places: int) -> Decimal:
    """``value`` × 10^places, exactly."""
    sign, digits, exponent = value.as_tuple()
    return canonical(Decimal((sign, digits, exponent + places)))


def _string(token: Token) -> str:
    """The text between the quotes; in the ASCII form ``\\"`` and ``\\\\`` are escapes."""
    body = str(token)[1:-1]
    if str(token).startswith('"'):
        out, chars = [], iter(body)
        for ch in chars:
            out.append(next(chars, "\\") if ch == "\\" else ch)
        body = "".join(out)
    return body


_DIRECTIONS = {"NONINCREASING": A.Direction.NONINCREASING, "NONDECREASING": A.Direction.NONDECREASING}


@v_args(meta=True)
class _Builder(Transformer_NonRecursive):
    def __init__(self, file: str) -> None:
        super().__init__(visit_tokens=False)
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    # ── helpers ──

    def _span(self, meta) -> A.Span:
        if getattr(meta, "empty", True):
            return A.Span(file=self.file, line=1, col=1, end_line=1, end_col=1)
        return A.Span(file=self.file, line=meta.line, col=meta.column, end_line=meta.end_line, end_col=meta.end_column)

    def _tspan(self, token: Token) -> A.Span:
        return A.Span(file=self.file, line=token.line, col=token.column, end_line=token.end_line, end_col=token.end_column)

    def _join(self, first: A.Span, last: A.Span) -> A.Span:
        return A.Span(file=self.file, line=first.line, col=first.col, end_line=last.end_line, end_col=last.end_col)

    def _name_ref(self, token: Token) -> A.NameRef:
        return A.NameRef(name=str(token), span=self._tspan(token))

    def _date(self, token: Token) -> _dt.date:
        try:
            year, month, day = (int(part) for part in str(token).split("-"))
            return _dt.date(year, month, day)
        except ValueError:
            self.diagnostics.append(diag("YB105", self._tspan(token), text=str(token)))
            return PLACEHOLDER_DATE

    # ── file and articles ──

    def start(self, meta, children):
        return A.RuleFile(path=self.file, items=tuple(children), span=self._span(meta))

    def article(self, meta, children):
        label, title, *clauses = children
        title_text = str(title)[1:-1].strip() if title is not None else None
        if label.type == "STRING":  # 条目 "二（二）1": a section, cited by its label
            number, label_text = None, _string(label).strip()
        else:
            number, label_text = self._article_number(label), str(label)
        return A.Article(number=number, label=label_text, title=title_text, clauses=tuple(clauses),
                         span=self._span(meta))

    def _article_number(self, label: Token) -> int:
        text = str(label)
        if text.startswith("第"):
            number = parse_chinese_numeral(text[1:-1])
        else:
            number = self._int(label, text.split()[-1]) if len(text.split()[-1]) <= _MAX_DIGITS else None
        if not number:  # None (malformed) or 0: articles count from 第一条
            self.diagnostics.append(diag("YB104", self._tspan(label), label=text))
            return 0
        return number

    # ── header ──

    def region(self, meta, children):
        name, code = children
        code_text = _string(code) if code.type == "STRING" else str(code)
        return A.RegionDecl(name=str(name), code=code_text, span=self._span(meta))

    def title_decl(self, meta, children):
        return A.TitleDecl(text=_string(children[0]), span=self._span(meta))

    def docno(self, meta, children):
        return A.DocNumberDecl(text=_string(children[0]), span=self._span(meta))

    def basis(self, meta, children):
        return A.BasisDecl(text=_string(children[0]), span=self._span(meta))

    def amends(self, meta, children):
        return A.AmendsDecl(target=_string(children[0]), span=self._span(meta))

    def module(self, meta, children):
        return A.ModuleDecl(name=str(children[0]), span=self._span(meta))

    def use(self, meta, children):
        return A.UseDecl(name=str(children[0]), span=self._span(meta))

    def effective(self, meta, children):
        start, end = children
        return A.EffectiveDecl(start=self._date(start), end=self._date(end) if end is not None else None,
                               span=self._span(meta))

    # ── declarations ──

    def vocabulary(self, meta, children):
        name, english, field, optional, *lines = children
        members = tuple(m for m in lines if isinstance(m, A.Member))
        unlisted = tuple(m for m in lines if isinstance(m, A.Span))
        return A.VocabularyDecl(name=str(name), english=str(english) if english is not None else None,
                                field=str(field) if field is not None else None, members=members,
                                optional=optional is not None, unlisted=unlisted, span=self._span(meta))

    def unlisted(self, meta, children):
        return self._span(meta)  # only where the line is: the vocabulary records that its list is open

    def open_vocabulary(self, meta, children):
        name, english, field, reason = children
        return A.VocabularyDecl(name=str(name), english=str(english) if english is not None else None,
                                field=str(field) if field is not None else None, members=(), open=True,
                                open_reason=_string(reason) if reason is not None else None, span=self._span(meta))

    def member(self, meta, children):
        name, code = children
        code_text = _string(code) if code.type == "STRING" else str(code)
        return A.Member(name=str(name), code=code_text, span=self._span(meta))

    def alias(self, meta, children):
        alias, target = children
        return A.AliasDecl(alias=str(alias), target=str(target), span=self._span(meta))

    def input(self, meta, children):
        name, text, type_ref, field, optional = children
        return A.InputDecl(name=str(name), type=type_ref, field=str(field), optional=optional is not None,
                           text=_string(text) if text is not None else None, span=self._span(meta))

    def param(self, meta, children):
        name, type_ref = children
        return A.ParamDecl(name=str(name), type=type_ref, span=self._span(meta))

    def counter(self, meta, children):
        name, type_ref, period, cuminfo = children
        return A.CounterDecl(name=str(name), type=type_ref, period=_PERIODS[period.type],
                             cuminfo=_string(cuminfo) if cuminfo is not None else None, span=self._span(meta))

    def base_type(self, meta, children):
        return A.TypeRef(base=_BASE_TYPES[children[0].type], vocabulary=None, span=self._span(meta))

    def vocabulary_type(self, meta, children):
        return A.TypeRef(base=None, vocabulary=str(children[0]), span=self._span(meta))

    # ── province parameters and invariants ──

    def province_param(self, meta, children):
        name, type_ref, label = children
        return A.ProvinceParamDecl(name=str(name), type=type_ref, label=_string(label) if label is not None else None,
                                   span=self._span(meta))

    def monotone_invariant(self, meta, children):
        title, table, dimension, *order, direction = children
        return A.MonotoneInvariant(title=_string(title), table=str(table), dimension=str(dimension),
                                   order=tuple(str(m) for m in order), direction=_DIRECTIONS[direction.type],
                                   span=self._span(meta))

    def table_invariant(self, meta, children):
        title, relation = children
        return A.TableInvariant(title=_string(title), relation=relation, span=self._span(meta))

    def claim_invariant(self, meta, children):
        title, relation = children
        return A.ClaimInvariant(title=_string(title), relation=relation, span=self._span(meta))

    def metamorphic_invariant(self, meta, children):
        title, outcome, input_name, direction = children
        return A.MetamorphicInvariant(title=_string(title), outcome=self._name_ref(outcome),
                                      input=self._name_ref(input_name), direction=_DIRECTIONS[direction.type],
                                      span=self._span(meta))

    # ── values ──

    def definition(self, meta, children):
        name, type_ref, expr = children
        return A.Definition(name=str(name), type=type_ref, expr=expr, span=self._span(meta))

    def band_definition(self, meta, children):
        name, type_ref, amount, start, *bands = children
        span = self._span(meta)
        expr = A.Bands(amount=amount, start=start, bands=tuple(bands), span=span)
        return A.Definition(name=str(name), type=type_ref, expr=expr, span=span)

    def year_definition(self, meta, children):
        name, type_ref, date, *years = children
        span = self._span(meta)
        expr = A.ByYear(date=date, years=tuple(years), span=span)
        return A.Definition(name=str(name), type=type_ref, expr=expr, span=span)

    def year_line(self, meta, children):
        year, cell = children
        return A.YearValue(year=self._int(year, str(year)) if str(year).isdigit() else 0, cell=cell, span=self._span(meta))

    def date_line(self, meta, children):
        start, cell = children
        return A.YearValue(year=0, cell=cell, span=self._span(meta), start=self._date(start))

    def band(self, meta, children):
        low, high, rate = children
        return A.Band(low=self._money_lit(low), high=self._money_lit(high), rate=self._rate_lit(rate),
                      span=self._span(meta))

    def open_band(self, meta, children):
        low, rate = children
        return A.Band(low=self._money_lit(low), high=None, rate=self._rate_lit(rate), span=self._span(meta))

    def _money_lit(self, token: Token) -> A.MoneyLit:
        return A.MoneyLit(yuan=_money(token), span=self._tspan(token))

    def _rate_lit(self, token: Token) -> A.RateLit:
        return A.RateLit(value=_rate(token), span=self._tspan(token))

    def open_decl(self, meta, children):
        name, type_ref, reason = children
        return A.OpenDecl(name=str(name), type=type_ref, reason=_string(reason) if reason is not None else None,
                          span=self._span(meta))

    def na_decl(self, meta, children):
        name, type_ref, reason = children
        return A.OpenDecl(name=str(name), type=type_ref, reason=_string(reason) if reason is not None else None,
                          not_applicable=True, span=self._span(meta))

    def exception(self, meta, children):
        target, expr, condition, priority = children
        return A.ExceptionDef(target=str(target), expr=expr, condition=condition,
                              priority=self._priority(priority) if priority is not None else None,
                              span=self._span(meta))

    def _priority(self, token: Token) -> Optional[int]:
        whole, _, fraction = str(token).partition(".")
        if fraction.strip("0"):
            self.diagnostics.append(diag("YB101", self._tspan(token), found=f"「{token}」", expected="整数的优先级"))
            return None
        return self._int(token, whole)

    def _int(self, token: Token, digits: str) -> int:
        """Python refuses int() of more than 4300 digits; no rule needs a number that long."""
        if len(digits) > _MAX_DIGITS:
            self.diagnostics.append(diag("YB101", self._tspan(token), found=f"「{digits[:10]}…」", expected="位数较少的整数"))
            return 0
        return int(digits)

    def update(self, meta, children):
        name, expr, on_exclusion = children
        return A.CounterUpdate(name=str(name), expr=expr, on_exclusion=on_exclusion, span=self._span(meta))

    def exclusion(self, meta, children):
        reason, condition = children
        return A.Exclusion(reason=_string(reason), condition=condition, span=self._span(meta))

    def output(self, meta, children):
        field, expr = children
        return A.OutputDecl(field=str(field), expr=expr, span=self._span(meta))

    def contract_field(self, meta, children):
        field, type_, label, role, optional, on_exclusion = children
        return A.ContractField(field=str(field), type="rate" if type_.type == "T_RATE" else "money",
                               label=_string(label), role=None if role is None else role.type.lower(),
                               optional=optional is not None,
                               on_exclusion=None if on_exclusion is None else
                               ("keep" if on_exclusion.type == "KEEP" else
                                A.NameRef(name=str(on_exclusion), span=self._tspan(on_exclusion))),
                               span=self._span(meta))

    def applies(self, meta, children):
        vocabulary, *members = children
        return A.AppliesDecl(vocabulary=str(vocabulary), members=tuple(str(m) for m in members), span=self._span(meta))

    def interpretation(self, meta, children):
        subject, text = children
        return A.Interpretation(text=_string(text), subject=str(subject) if subject is not None else None,
                                span=self._span(meta))

    def not_applicable(self, meta, children):
        return A.NotApplicableDecl(reason=_string(children[0]), span=self._span(meta))

    # ── tables ──

    def table_inline(self, meta, children):
        name, dim, cells = children
        return A.TableDef(name=str(name), dims=(self._name_ref(dim),), body=cells, span=self._span(meta))

    def table_block(self, meta, children):
        name, dim, *entries = children
        body = A.KeyedCells(entries=tuple(entries), span=self._join(entries[0].span, entries[-1].span))
        return A.TableDef(name=str(name), dims=(self._name_ref(dim),), body=body, span=self._span(meta))

    def table_grid(self, meta, children):
        name, *rest = children
        dims = tuple(self._name_ref(t) for t in rest if isinstance(t, Token))
        rows = tuple(r for r in rest if isinstance(r, A.TableRow))
        return A.TableDef(name=str(name), dims=dims, body=rows, span=self._span(meta))

    def positional(self, meta, children):
        return A.PositionalCells(cells=tuple(children), span=self._span(meta))

    def keyed(self, meta, children):
        return A.KeyedCells(entries=tuple(children), span=self._span(meta))

    def keyed_entry(self, meta, children):
        key, cell = children
        return A.KeyedEntry(key=None if key.type == "OTHERS" else str(key), cell=cell, span=self._span(meta))

    def row(self, meta, children):
        key, cells = children
        return A.TableRow(key=str(key), cells=cells, span=self._span(meta))

    def unlisted_value(self, meta, children):
        return A.UnlistedLit(span=self._span(meta))

    def open_cell(self, meta, children):
        return A.OpenCell(span=self._span(meta))

    def na_cell(self, meta, children):
        return A.NotApplicableCell(span=self._span(meta))

    # ── literals ──

    def money(self, meta, children):
        return A.MoneyLit(yuan=_money(children[0]), span=self._span(meta))

    def neg_money(self, meta, children):
        return A.MoneyLit(yuan=_money(children[0]).copy_negate(), span=self._span(meta))

    def rate(self, meta, children):
        return A.RateLit(value=_rate(children[0]), span=self._span(meta))

    def neg_rate(self, meta, children):
        return A.RateLit(value=_rate(children[0]).copy_negate(), span=self._span(meta))

    def number(self, meta, children):
        return A.NumberLit(value=_number(children[0]), span=self._span(meta))

    def neg_number(self, meta, children):
        return A.NumberLit(value=_number(children[0]).copy_negate(), span=self._span(meta))

    def count(self, meta, children):
        token = children[0]
        return A.CountLit(value=self._int(token, str(token).rstrip("次天 \t")), span=self._span(meta))

    def date(self, meta, children):
        return A.DateLit(value=self._date(children[0]), span=self._span(meta))

    def boolean(self, meta, children):
        return A.BoolLit(value=children[0].type == "TRUE", span=self._span(meta))

    def name_ref(self, meta, children):
        return A.NameRef(name=str(children[0]), span=self._span(meta))

    def article_ref(self, meta, children):
        token, named = children
        number = parse_chinese_numeral(str(token)[2:-1])
        if not number:
            self.diagnostics.append(diag("YB104", self._tspan(token), label=str(token)[1:]))
        text = str(token) if named is None else f"{token} {named}"
        return A.ArticleRef(name=text, span=self._span(meta), article=number or 0,
                            named=None if named is None else str(named))

    # ── expressions ──

    def _binary(op):  # noqa: N805 - a method factory used in the class body
        def method(self, meta, children):
            left, right = children
            return A.Binary(op=op, left=left, right=right, span=self._span(meta))

        return method

    add = _binary(A.BinaryOp.ADD)
    sub = _binary(A.BinaryOp.SUB)
    mul = _binary(A.BinaryOp.MUL)
    div = _binary(A.BinaryOp.DIV)
    eq = _binary(A.BinaryOp.EQ)
    ne = _binary(A.BinaryOp.NE)
    lt = _binary(A.BinaryOp.LT)
    le = _binary(A.BinaryOp.LE)
    gt = _binary(A.BinaryOp.GT)
    ge = _binary(A.BinaryOp.GE)
    and_ = _binary(A.BinaryOp.AND)
    or_ = _binary(A.BinaryOp.OR)
    del _binary

    def neg(self, meta, children):
        return A.Unary(op=A.UnaryOp.NEG, operand=children[0], span=self._span(meta))

    def not_(self, meta, children):
        return A.Unary(op=A.UnaryOp.NOT, operand=children[0], span=self._span(meta))

    def band_ratio(self, meta, children):
        return A.BandRatio(target=self._name_ref(children[1]), span=self._span(meta))

    def known(self, meta, children):
        return A.Unary(op=A.UnaryOp.KNOWN, operand=self._name_ref(children[0]), span=self._span(meta))

    def in_set(self, meta, children):
        value, *members = children
        return A.InSet(value=value, members=tuple(self._name_ref(m) for m in members), span=self._span(meta))

    def if_expr(self, meta, children):
        cond, then, otherwise = children
        return A.IfExpr(cond=cond, then=then, otherwise=otherwise, span=self._span(meta))

    def call(self, meta, children):
        func, *args = children
        return A.Call(func=_FUNCS[func.type], args=tuple(args), span=self._span(meta))

    def lookup(self, meta, children):
        name, *overrides = children
        return A.Lookup(name=str(name), overrides=tuple(overrides), span=self._span(meta))

    def override(self, meta, children):
        dimension, key = children
        return (str(dimension), key)

    # ── examples ──

    def example(self, meta, children):
        title, *lines = children
        return A.Example(title=_string(title), lines=tuple(lines), span=self._span(meta))

    def person_line(self, meta, children):
        return A.PersonLine(assignments=tuple(children), span=self._span(meta))

    def encounter_line(self, meta, children):
        return A.EncounterLine(assignments=tuple(children), span=self._span(meta))

    def expect_line(self, meta, children):
        return A.ExpectLine(expectations=tuple(children), span=self._span(meta))

    def assignment(self, meta, children):
        name, value = children
        return A.Assignment(name=str(name), value=value, span=self._span(meta))

    def flag_assignment(self, meta, children):
        return A.Assignment(name=str(children[0]), value=None, span=self._span(meta))

    def value_expectation(self, meta, children):
        name, value = children
        return A.ValueExpectation(name=str(name), value=value, span=self._span(meta))

    def excluded_expectation(self, meta, children):
        return A.ExcludedExpectation(span=self._span(meta))

    def error_expectation(self, meta, children):
        code, subject = children
        return A.ErrorExpectation(code=str(code) if code is not None else None,
                                  subject=str(subject) if subject is not None else None, span=self._span(meta))


def _number(token: Token) -> Decimal:
    return canonical(Decimal(str(token)))


def _money(token: Token) -> Decimal:
    """``200元`` → 200; ``1.5万元`` → 15000; ``200 元`` → 200."""
    text = str(token).replace(" ", "").replace("\t", "").rstrip("元")
    if text.endswith("万"):
        return _shift(Decimal(text[:-1]), 4)
    return canonical(Decimal(text))


def _rate(token: Token) -> Decimal:
    """``85%`` → 0.85, exactly."""
    text = str(token).replace(" ", "").replace("\t", "").rstrip("%％")
    return _shift(Decimal(text), -2)

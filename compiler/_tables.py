"""Table checks for the check pass: dimensions, completeness, cell types. Package-private.

A table is expanded to one cell per combination of members, in the members' declaration order, so the
lowering never has to think about positional lists, ``其余`` or rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional, Union

import attrs

from . import ast as A
from ._program import DefinitionSym, Vocabulary, table_cells
from ._types import ANY, BOOL, COUNT, MONEY, NUMBER, RATE, Ty, Typer, Unit, rate_text
from .diagnostics import word
from ..runtime.values import UNLISTED


@attrs.frozen
class TableCell:
    key: tuple[str, ...]  # one canonical member per dimension
    cell: A.Cell
    span: A.Span


@attrs.frozen
class ExpandedTable:
    name: str
    dims: tuple[str, ...]
    type: Ty
    cells: tuple[TableCell, ...]  # complete (when the table has no errors) and sorted


_LITERAL_TYPES = {A.MoneyLit: MONEY, A.RateLit: RATE, A.CountLit: COUNT, A.BoolLit: BOOL}


def table_type(typer: Typer, body, declared: Optional[Ty]) -> Ty:
    """The declared (or model parameter's) type, else the type of the first cell that shows one."""
    if declared is not None and declared.unit is not Unit.ANY:
        return declared
    cells = list(table_cells(body))
    for cell in cells:
        if type(cell) in _LITERAL_TYPES:
            return _LITERAL_TYPES[type(cell)]
    for cell in cells:
        if isinstance(cell, A.NameRef):
            t = typer.infer(cell)
            if t.unit not in (Unit.ANY, Unit.NUMBER):
                return Ty(Unit.MONEY) if t.unit is Unit.EXACT else t
    # Only bare numbers: the unit comes from the table's uses (see check._Checker.settle_name).
    return NUMBER if any(isinstance(c, A.NumberLit) for c in cells) else ANY


class TableChecker:
    def __init__(self, typer: Typer) -> None:
        self.typer = typer
        self.program = typer.program

    def check(self, sym: DefinitionSym, declared: Optional[Ty]) -> ExpandedTable:
        node: A.TableDef = sym.node
        ty = table_type(self.typer, node.body, declared)
        for cell in table_cells(node.body):
            self._cell(cell, ty, sym.name)
        cells = self._expand(sym) if sym.dims_ok else ()
        return ExpandedTable(name=sym.name, dims=sym.dims, type=ty, cells=tuple(cells))

    def _cell(self, cell: A.Cell, ty: Ty, name: str) -> None:
        if isinstance(cell, (A.OpenCell, A.NotApplicableCell)):
            return
        if ty.unit is Unit.NUMBER:
            self.typer.infer(cell)  # bare numbers: settled when a use fixes the table's unit
            return
        self.typer.conform(cell, self.typer.infer(cell), ty, name, "where.definition")
        if isinstance(cell, A.RateLit) and not (0 <= cell.value <= 1):
            self.typer.report("YB308", cell.span, text=rate_text(cell.value))

    def _expand(self, sym: DefinitionSym) -> list[TableCell]:
        node: A.TableDef = sym.node
        vocabs = [self.program.vocabulary(d) for d in sym.dims]
        if len(vocabs) not in (1, 2):
            self.typer.report("YB405", node.span, name=sym.name, count=len(vocabs))
            return []
        if len(vocabs) == 1:
            line = self._line(node.body, vocabs[0], sym.name, node.span) if not isinstance(node.body, tuple) else {}
            return [TableCell(key=(m,), cell=c, span=s) for m, (c, s) in line.items()]
        rows = node.body if isinstance(node.body, tuple) else ()
        return self._grid(rows, vocabs, sym.name, node.span)

    def _grid(self, rows: tuple[A.TableRow, ...], vocabs: list[Vocabulary], name: str, span: A.Span) -> list[TableCell]:
        first, second = vocabs
        found: dict[str, dict] = {}
        for row in rows:
            member = self._key(row.key, first, name, row.span, found)
            if member is not None:
                found[member] = self._line(row.cells, second, name, row.span)
        self._missing(first, found, name, span)
        if first.unlisted and found:  # no row can be keyed 其余: a code the list lacks is 不适用 in every column
            found[UNLISTED] = {m: (A.NotApplicableCell(span=span), span) for m in second.key_names}
        return [
            TableCell(key=(m1, m2), cell=c, span=s)
            for m1 in first.key_names if m1 in found
            for m2, (c, s) in found[m1].items()
        ]

    def _line(self, cells: Union[A.PositionalCells, A.KeyedCells], vocab: Vocabulary, name: str, span: A.Span) -> dict:
        """One dimension's cells, keyed by member in declaration order."""
        if isinstance(cells, A.PositionalCells):
            return self._positional(cells, vocab, name)
        found: dict[str, tuple] = {}
        rest = None
        for entry in cells.entries:
            if entry.key is None:
                if rest is not None:
                    self.typer.report("YB403", entry.span, name=name, member=word("table.others"))
                rest = rest or entry
                continue
            member = self._key(entry.key, vocab, name, entry.span, found)
            if member is not None:
                found[member] = (entry.cell, entry.cell.span)
        if rest is None:
            self._missing(vocab, found, name, span)
        line = {m: found.get(m) or (rest.cell, rest.cell.span) for m in vocab.member_names if m in found or rest}
        return _with_unlisted(line, vocab, rest, span)

    def _positional(self, cells: A.PositionalCells, vocab: Vocabulary, name: str) -> dict:
        members = vocab.member_names
        if len(cells.cells) != len(members):
            self.typer.report("YB404", cells.span, name=name, given=len(cells.cells), dimension=vocab.name, expected=len(members))
            return {}
        return _with_unlisted({m: (c, c.span) for m, c in zip(members, cells.cells)}, vocab, None, cells.span)

    def _key(self, key: str, vocab: Vocabulary, name: str, span: A.Span, found: dict) -> Optional[str]:
        member = vocab.canonical(key)
        if member is None:
            self.typer.report("YB402", span, name=name, dimension=vocab.name, member=key)
        elif member in found:
            self.typer.report("YB403", span, name=name, member=key)
            return None
        return member

    def _missing(self, vocab: Vocabulary, found: dict, name: str, span: A.Span) -> None:
        missing = [m for m in vocab.member_names if m not in found]
        if missing:
            sep = word("list.sep")
            self.typer.report("YB401", span, name=name, missing=sep.join(missing), dimension=vocab.name)



def _with_unlisted(line: dict, vocab: Vocabulary, rest: Optional[A.KeyedEntry], span: A.Span) -> dict:
    """The cell a code an open list lacks reads (docs/language.md section 17): the line's 其余 value, else
    不适用, so that such a code is an error for that encounter only, and only where the table is needed."""
    if not vocab.unlisted or not line:
        return line
    line[UNLISTED] = (rest.cell, rest.cell.span) if rest is not None else (A.NotApplicableCell(span=span), span)
    return line

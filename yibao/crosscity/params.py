"""How one city binds a province parameter: its table or definition of that name, read from the IR.

Serves the matrix and the static invariants alike (one IR walk for both)."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any, Optional

import attrs


@attrs.frozen
class Cell:
    key: dict  # dimension → member ({} for a single value)
    expr: dict  # the IR expression: a literal, {"open"…}, {"na"…} or a formula
    article: Optional[str]
    at: Optional[str]

    @property
    def literal(self) -> Any:
        """The cell as an exact number (fen for money, Fraction for a rate, int for a count), else None."""
        e = self.expr
        if "money" in e:
            return e["money"]
        if "rate" in e:
            return Fraction(e["rate"])
        if "count" in e:
            return e["count"]
        return None

    @property
    def kind(self) -> str:
        if self.literal is not None:
            return "value"
        if "open" in self.expr:
            return "open"
        if "na" in self.expr:
            return "na"
        return "formula"


@attrs.frozen
class Binding:
    name: str
    dims: tuple[str, ...]
    cells: tuple[Cell, ...]
    article: Optional[str]
    exceptions: tuple[str, ...]  # the articles of the exceptions (例外) that can replace the value

    def cell(self, assignment: dict) -> Optional[Cell]:
        wanted = {d: assignment[d] for d in self.dims}
        return next((c for c in self.cells if c.key == wanted), None)


def binding(ir: dict, name: str) -> Optional[Binding]:
    """The city's table or definition called ``name`` (settlement first, then contribution), or None."""
    for section in (ir, ir.get("contribution") or {}):
        for table in section.get("tables", []):
            if table["name"] == name:
                dims = tuple(table["dims"])
                cells = tuple(Cell(key=dict(zip(dims, c["key"])), expr=c["value"], article=table["article"], at=c["at"])
                              for c in table["cells"])
                exceptions = _exceptions(section, name)
                return Binding(name=name, dims=dims, cells=cells, article=table["article"], exceptions=exceptions)
    for section in (ir, ir.get("contribution") or {}):
        for definition in section.get("definitions", []):
            if definition["name"] == name:
                default = definition["default"]
                if default["expr"].get("op") == "lookup":
                    continue  # the table's own reading; the table itself was not found above
                cell = Cell(key={}, expr=default["expr"], article=default["article"], at=default["at"])
                return Binding(name=name, dims=(), cells=(cell,), article=default["article"],
                               exceptions=_articles(definition))
    return None


def _exceptions(section: dict, name: str) -> tuple[str, ...]:
    return next((_articles(d) for d in section.get("definitions", []) if d["name"] == name), ())


def _articles(definition: dict) -> tuple[str, ...]:
    return tuple(e["article"] or "—" for e in definition["exceptions"])


def members(ir: dict, vocabulary: str) -> list[str]:
    return next(([m["name"] for m in v["members"]] for v in ir["vocabularies"] if v["name"] == vocabulary), [])


def assignments(ir: dict, dims: list[str]) -> list[dict]:
    """Every combination of members over ``dims``, in vocabulary order."""
    return [dict(zip(dims, combo)) for combo in itertools.product(*(members(ir, d) for d in dims))]

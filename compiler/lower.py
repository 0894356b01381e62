"""Lower: a checked program → the IR document of docs/ir.md, and its canonical form and hash.

Entry point: ``lower(checked, root_relative) -> dict``. Every list is in an order the rules fix
(declaration order, topological order, or the vocabularies' member order), never in set or hash
order, so the same rules always give byte-identical IR. ``canonical_json`` and ``with_sha256``
implement the canonical serialisation and the content hash.
"""

from __future__ import annotations

import hashlib
import json
from typing import Callable, Optional

from . import ast as A
from ._contribution import split_contribution
from ._lower_expr import ExprLowerer, decimal_text, ir_name, line_label, type_json
from ._graph import definition_exprs, refs, root_exprs
from ._program import ArticleSym, CounterSym, DefinitionSym, DefKind, ExampleSym
from .amend import Amendment
from ._tables import TableCell
from .check import CheckedProgram
from .diagnostics import word
from .semantic import HASH_KEYS, semantic_sha256

FORMAT = "yibao-ir/1"

__all__ = ["lower", "canonical_json", "with_sha256", "FORMAT"]


def lower(checked: CheckedProgram, root_relative: Callable[[str], str], amendment: Optional[Amendment] = None) -> dict:
    """The IR document (without ``sha256``; see ``with_sha256``). ``root_relative`` maps a span's
    file name to the name the IR shows (relative to the regulations root). An amended version (``amendment``,
    from the amend pass) is lowered whole, as any version, with ``regulation.amends`` saying what it changed."""
    return split_contribution(_Lowerer(checked, root_relative, amendment).document())


def _dumps(ir: dict) -> bytes:
    return json.dumps(ir, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def canonical_json(ir: dict) -> bytes:
    """Sorted keys, no spaces, UTF-8, a final newline: the one serialisation of an IR document."""
    return _dumps(ir) + b"\n"


def with_sha256(ir: dict) -> dict:
    """``ir`` with ``sha256``: the hex SHA-256 of the canonical form of everything but the two hashes, without
    the final newline (docs/ir.md pins the hashed bytes exactly); and ``semantic_sha256``, the hash of its
    meaning apart from source positions (compiler/semantic.py)."""
    body = {k: v for k, v in ir.items() if k not in HASH_KEYS}
    return {**body, "sha256": hashlib.sha256(_dumps(body)).hexdigest(), "semantic_sha256": semantic_sha256(body)}


_INIT = {"money": {"money": 0}, "count": {"count": 0}, "bool": {"bool": False}, "rate": {"rate": "0"}}


class _Lowerer:
    def __init__(self, checked: CheckedProgram, root_relative: Callable[[str], str],
                 amendment: Optional[Amendment] = None) -> None:
        self.amendment = amendment
        self.checked = checked
        self.program = checked.program
        self.root_relative = root_relative
        self.x = ExprLowerer(checked)

    def at(self, span: A.Span) -> str:
        return f"{self.root_relative(span.file)}:{span.line}:{span.col}"

    def document(self) -> dict:
        doc = self._document()
        bands = self._bands()
        if bands:  # only a regulation with bands has the key, so the others' IR is unchanged
            doc["bands"] = bands
        if self.program.contract:  # only rules that declare the contract (接口) carry it
            doc["contract"] = [self._contract_field(c) for c in self.program.contract]
        return doc

    def _contract_field(self, c) -> dict:
        """One ``接口`` line: the field, its type and label, its role, whether a rule may leave it out, and
        what an excluded encounter reports for it (``excluded``: "zero", "keep" the output, or "value")."""
        n = c.node
        entry = {"field": n.field, "type": n.type, "label": n.label, "role": n.role, "optional": n.optional,
                 "excluded": "zero" if n.on_exclusion is None else "keep" if n.on_exclusion == "keep" else "value",
                 "article": c.article, "at": self.at(n.span)}
        if entry["excluded"] == "value":
            entry["excluded_value"] = self.x.expr(n.on_exclusion)
        return entry

    def _bands(self) -> list[dict]:
        """Each definition written ``分段 …``: its bands as written, with its article and place."""
        found = []
        for sym in self._live():
            if sym.kind is DefKind.FORMULA and isinstance(sym.node.expr, A.Bands):
                entry = self.x.bands_json(sym.name, sym.node.expr)
                found.append({**entry, "article": sym.article, "at": self.at(sym.node.span)})
        return found

    def _document(self) -> dict:
        return {
            "format": FORMAT,
            "regulation": self._regulation(),
            "vocabularies": [self._vocabulary(v) for v in self.program.vocabularies],
            "inputs": [self._input(i) for i in self.program.inputs if i.name in self.checked.reachable],
            "tables": [self._table(s) for s in self._live() if s.kind is DefKind.TABLE],
            "counters": [self._counter(c) for c in self.program.counters],
            "definitions": [self._definition(self.program.definition(n)) for n in self.checked.order if n in self.checked.reachable],
            "exclusions": [self._exclusion(x) for x in self.program.exclusions],
            "outputs": [self._output(o, t) for o, t in zip(self.program.outputs, self.checked.output_types)],
            "open_values": self._open_values(),
            "interpretations": [self._interpretation(i) for i in self.program.interpretations],
            "examples": [self._example(e) for e in self.program.examples],
            "articles": [self._article(a) for a in self.program.articles],
        }

    def _live(self) -> list[DefinitionSym]:
        return [s for s in self.program.definitions if s.name in self.checked.reachable]

    # ── header, vocabularies, inputs ──

    def _regulation(self) -> dict:
        h = self.program.header
        reg = {
            "region_code": h.region_code, "region_name": h.region_name, "title": h.title,
            "doc_number": h.doc_number, "basis": h.basis,
            "effective": [_iso(h.effective_start), _iso(h.effective_end)],
            "effective_article": h.effective_article, "source": self.root_relative(self.program.city),
        }
        if h.applies is not None:
            vocabulary = self.program.vocabulary(h.applies.vocabulary)
            reg["applies_to"] = {"vocabulary": vocabulary.name, "field": vocabulary.field,
                                 "members": [m for m in vocabulary.member_names if m in h.applies.members],
                                 "article": h.applies_article}
        if self.amendment is not None:
            a = self.amendment
            reg["amends"] = {"source": self.root_relative(a.earlier), "title": a.earlier_title, "changes": list(a.changed)}
        return reg

    def _vocabulary(self, v) -> dict:
        lowered = {
            "name": v.name, "english": v.english, "field": v.field,
            "members": [{"name": m.name, "code": m.code} for m in v.members],
            "aliases": dict(v.aliases), "at": self.at(v.span),
        }
        if v.open:
            lowered["open"] = self._open_vocabulary_reason(v)
        if v.unlisted:
            lowered["unlisted"] = True
        return lowered

    def _open_vocabulary_reason(self, v) -> str:
        return v.open_reason or word("open.reason", article=v.article or word("no_article"))

    def _input(self, i) -> dict:
        t = type_json(self.checked.types[i.name])
        return {"name": i.ir_name, "type": t, "field": i.field, "optional": i.optional, "at": self.at(i.span)}

    # ── tables, counters, definitions ──

    def _table(self, sym: DefinitionSym) -> dict:
        table = self.checked.tables[sym.name]
        return {
            "name": sym.name, "type": type_json(table.type), "dims": list(table.dims),
            "cells": [self._cell(sym, c) for c in table.cells], "article": sym.article, "at": self.at(sym.span),
        }

    def _cell(self, sym: DefinitionSym, c: TableCell) -> dict:
        name = cell_name(sym.name, c.key)
        if isinstance(c.cell, A.OpenCell):
            value = {"open": name, "reason": self._cell_reason(sym, name), "article": sym.article}
        elif isinstance(c.cell, A.NotApplicableCell):
            value = {"na": name}
        else:
            value = self.x.expr(c.cell)
        return {"key": list(c.key), "value": value, "at": self.at(c.span)}

    def _cell_reason(self, sym: DefinitionSym, name: str) -> str:
        # A table's 待定 cell has no reason of its own; the interpretation next to the table gives one.
        return "；".join(sym.notes) or word("open.cell_reason", article=sym.article or word("no_article"), name=name)

    def _open_reason(self, sym: DefinitionSym) -> str:
        return sym.node.reason or "；".join(sym.notes) or word("open.reason", article=sym.article or word("no_article"))

    def _counter(self, c: CounterSym) -> dict:
        t = type_json(self.checked.types[c.name])
        lowered = {
            "name": c.name, "type": t, "period": c.node.period.value, "init": _INIT.get(t) if isinstance(t, str) else None,
            "cuminfo": c.node.cuminfo, "update": self.x.expr(c.update.node.expr) if c.update else None,
            "article": c.article, "at": self.at(c.node.span),
        }
        if c.update is not None and c.update.node.on_exclusion is not None:  # only then: other IR unchanged
            lowered["excluded_update"] = self.x.expr(c.update.node.on_exclusion)
        return lowered

    def _definition(self, sym: DefinitionSym) -> dict:
        exceptions = sorted(self.program.exceptions.get(sym.name, ()), key=lambda e: (e.node.priority or 0, e.order))
        return {
            "name": sym.name, "type": type_json(self.checked.types[sym.name]),
            "default": {"expr": self._default(sym), "article": sym.article, "at": self.at(sym.span)},
            "exceptions": [self._exception(e) for e in exceptions],
            "notes": list(sym.notes),
        }

    def _default(self, sym: DefinitionSym) -> dict:
        if sym.kind is DefKind.TABLE:
            return {"op": "lookup", "table": sym.name, "args": [{"ref": sym.key_of(d)} for d in sym.dims]}
        if sym.kind is DefKind.OPEN and sym.node.not_applicable:
            return {"na": sym.name}
        if sym.kind is DefKind.OPEN:
            return {"open": sym.name, "reason": self._open_reason(sym), "article": sym.article}
        if isinstance(sym.node.expr, A.ByYear):
            return self.x.by_year(sym.name, sym.article, sym.node.expr)
        return self.x.expr(sym.node.expr)

    def _exception(self, e) -> dict:
        lowered = {
            "when": self.x.expr(e.node.condition), "expr": self.x.expr(e.node.expr),
            "priority": e.node.priority or 0, "article": e.article, "at": self.at(e.node.span),
        }
        if e.notes:
            lowered["notes"] = list(e.notes)
        return lowered

    # ── exclusions, outputs, open values, interpretations ──

    def _exclusion(self, x) -> dict:
        return {"when": self.x.expr(x.node.condition), "reason": x.node.reason, "article": x.article, "at": self.at(x.node.span)}

    def _output(self, o, t) -> dict:
        return {"field": o.node.field, "type": type_json(t), "expr": self.x.expr(o.node.expr), "article": o.article, "at": self.at(o.node.span)}

    def _open_values(self) -> list[dict]:
        """Every open declaration and every 待定 table cell, reachable or not: ``yibao check`` lists them all."""
        found = []
        for sym in self.program.definitions:
            if sym.kind is DefKind.OPEN and not sym.node.not_applicable:
                found.append(self._open_value(sym.name, self._open_reason(sym), sym.article, sym.span))
            elif sym.kind is DefKind.TABLE:
                found += [
                    self._open_value(cell_name(sym.name, c.key), self._cell_reason(sym, cell_name(sym.name, c.key)), sym.article, c.span)
                    for c in self.checked.tables[sym.name].cells
                    if isinstance(c.cell, A.OpenCell)
                ]
            elif sym.kind is DefKind.FORMULA and isinstance(sym.node.expr, A.ByYear):
                found += [self._open_value(f"{sym.name}[{line_label(y)}]", word("open.year", article=sym.article or "",
                                                                                 name=sym.name, year=line_label(y)),
                                           sym.article, y.span)
                          for y in sym.node.expr.years if isinstance(y.cell, A.OpenCell)]
        found += [self._open_value(v.name, self._open_vocabulary_reason(v), v.article, v.span)
                  for v in self.program.vocabularies if v.open]
        return found

    def _open_value(self, name: str, reason: str, article: Optional[str], span: A.Span) -> dict:
        return {"name": name, "reason": reason, "article": article, "at": self.at(span)}

    def _article(self, a: ArticleSym) -> dict:
        return {"label": a.label, "title": a.title, "at": self.at(a.span), "not_applicable": a.not_applicable}

    def _interpretation(self, i) -> dict:
        return {"text": i.node.text, "article": i.article, "subject": i.subject, "at": self.at(i.node.span)}

    # ── examples ──

    def _example(self, ex: ExampleSym) -> dict:
        person: dict = {}
        encounters: list[dict] = []
        for line in ex.node.lines:
            if isinstance(line, A.PersonLine):
                person.update(self._assignments(line))
            elif isinstance(line, A.EncounterLine):
                encounters.append(self._encounter(line))
            else:
                self._expect(encounters[-1]["expect"], line)
        lowered = {"title": ex.node.title, "article": ex.article, "at": self.at(ex.node.span), "person": person,
                   "encounters": encounters}
        if ex.node.inherited is not None and self.amendment is not None:
            lowered["inherited"] = self.root_relative(ex.node.inherited)
            lowered["date"] = _iso(self._inherited_date(ex.node))
        return lowered

    def _inherited_date(self, example: A.Example):
        """Where an example the amendment keeps is checked (docs/language.md section 20). It held for the version it
        was written in, from that version's start; it holds for each later version in the chain that changes no
        value it reads, so it is dated at the start of the last such version, where the version in force settles
        it. An example that reads a value this amendment changed stays with the earlier text it states."""
        versions = self.amendment.versions
        first = next((i for i, v in enumerate(versions) if v.file == example.inherited), 0)
        reads = self._reads(example)
        date = versions[first].start
        for later in versions[first + 1:]:
            if reads & set(later.changed):
                break
            date = later.start
        return date

    def _reads(self, example: A.Example) -> set[str]:
        """Every name the example's expectations depend on: definitions through what they read, and a counter
        through its update (an expectation in a later encounter reads the counter an earlier one updated)."""
        expectations = [e for line in example.lines if isinstance(line, A.ExpectLine) for e in line.expectations]
        pending = [e.name for e in expectations if isinstance(e, A.ValueExpectation)]
        if any(not isinstance(e, A.ValueExpectation) for e in expectations):  # 不予支付 / 错误: what settles at all
            pending += [n for _, n in refs(self.program, root_exprs(self.program))]
        updates = {c.name: c.update.node.expr for c in self.program.counters if c.update is not None}
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            sym = self.program.definition(name)
            exprs = definition_exprs(self.program, sym) if sym is not None else [updates[name]] if name in updates else []
            pending += [n for _, n in refs(self.program, exprs)]
        return seen

    def _assignments(self, line) -> dict:
        return {ir_name(self.program, a.name): self.x.literal(a.value) if a.value is not None else {"bool": True}
                for a in line.assignments}

    def _encounter(self, line: A.EncounterLine) -> dict:
        expect = {"values": {}, "excluded": False, "error": None}
        return {"inputs": self._assignments(line), "expect": expect, "at": self.at(line.span)}

    def _expect(self, expect: dict, line: A.ExpectLine) -> None:
        for e in line.expectations:
            if isinstance(e, A.ValueExpectation):
                expect["values"][e.name] = self.x.literal(e.value)
            elif isinstance(e, A.ExcludedExpectation):
                expect["excluded"] = True
            else:
                expect["error"] = e.code or "*"
                if e.subject:
                    expect["error_subject"] = e.subject


def cell_name(table: str, key: tuple[str, ...]) -> str:
    """``住院起付标准[未定级]``, ``门诊支付比例[居民,一级]``: how a single cell is named in the IR."""
    return f"{table}[{','.join(key)}]"


def _iso(value) -> Optional[str]:
    return value.isoformat() if value is not None else None


__all__ += ["cell_name", "decimal_text"]

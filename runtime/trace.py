"""The trace of one settled encounter: every definition, table cell and counter its results depended on.

It is computed after evaluation, from the values already in the environment, so settling with
``trace=False`` pays nothing for it. The walk follows only what the evaluation actually used: the
branch an ``if`` took, the ``and``/``or`` operands looked at before the answer was known, the cell a
``lookup`` hit, and for a definition only the rule that supplied its value (an applied exception, or
the default when none applied) plus the exception conditions that were decisive.

It evaluates nothing itself: every decision is read from what the evaluator recorded
(``Evaluation.decided``). Only for an evaluator that keeps no record — the closures, which are the
specification — or a node the record lacks (the outputs an excluded encounter still reports, which the
closures compute) does it ask the node's closure, which gives the same value by definition. The
exception fold is replayed with ``evaluator.fold`` on those values.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from .codegen import NOT_DECIDED
from .evaluator import fold
from .expr import CNode
from .values import Sentinel, format_value

LEAVES = ("lit", "open", "na")
SLOTS = ("ref", "self")


def build_trace(program: Any, env: list, roots: list[CNode], decided: Optional[Callable] = None) -> list[dict]:
    """The trace items for ``roots``. ``decided``: the evaluator's record (``Evaluation.decided``), or None."""
    walker = _Walker(program, list(env), decided)
    for node in roots:
        walker.node(node)
    return walker.items


class _Walker:
    def __init__(self, program: Any, env: list, decided: Optional[Callable]) -> None:
        self.program = program
        self.env = env
        self.decided = decided
        self.items: list[dict] = []
        self.seen: set = set()
        self.self_used = False

    def value(self, n: CNode) -> Any:
        """The value the evaluation gave ``n`` (with the slot of a definition being folded holding the
        value so far, as it did when the exception was evaluated)."""
        kind = n.kind
        if kind in LEAVES:
            return n.data
        if kind in SLOTS:
            return self.env[self.program.slot_of[n.name]]
        if self.decided is not None:
            v = self.decided(n)
            if v is not NOT_DECIDED:
                return v
        return n.fn(self.env)

    # ── expressions ──

    def node(self, n: CNode) -> None:
        kind = n.kind
        if kind == "ref":
            self.ref(n.name)
        elif kind == "self":
            self.self_used = True  # the value so far: the caller walks the lower levels of the fold
        elif kind == "if":
            cond = self.value(n.args[0])
            self.node(n.args[0])
            if cond is True:
                self.node(n.args[1])
            elif cond is False:
                self.node(n.args[2])
        elif kind in ("and", "or"):
            decisive = kind == "or"
            last = n.args[-1]
            for arg in n.args:
                self.node(arg)
                if arg is not last and self.value(arg) is decisive:
                    break
        elif kind == "lookup":
            key = self.lookup_key(n)
            if key is not None:
                self.cell(n.table, key)
        elif kind not in LEAVES:
            last = n.args[-1] if n.args else None
            for arg in n.args:
                self.node(arg)
                if arg is not last and self.value(arg).__class__ is Sentinel:
                    break  # the operation stopped at its leftmost sentinel

    def lookup_key(self, n: CNode) -> Optional[tuple]:
        key = []
        for arg in n.args:
            value = self.value(arg)
            self.node(arg)
            if value.__class__ is Sentinel:
                return None
            key.append(value)
        return tuple(key)

    def ref(self, name: str) -> None:
        kind = self.program.kind_of[name]
        if kind == "definition":
            self.definition(self.program.definition_of[name])
        elif kind == "counter":
            self.counter(self.program.counter_of[name])

    # ── items ──

    def counter(self, c: Any) -> None:
        if ("counter", c.name) in self.seen:
            return
        self.seen.add(("counter", c.name))
        self.items.append(_item(c.name, format_value(self.env[c.slot], c.type), c.article, c.at))

    def cell(self, table: Any, key: tuple, merged: bool = False) -> Optional[str]:
        """Walk a table cell; add it as an item unless a same-named definition stands for it."""
        mark = ("cell", table.name, key)
        at = table.cell_at.get(key) or table.at
        if mark in self.seen:
            return at
        self.seen.add(mark)
        node = table.cell_nodes[key]
        self.node(node)
        if not merged:
            value = self.value(node)
            self.items.append(_item(table.name, format_value(value, table.type), table.article, at))
        return at

    def definition(self, d: Any) -> None:
        if ("def", d.name) in self.seen:
            return
        self.seen.add(("def", d.name))
        final = self.env[d.slot]
        supplier, source = self.fold(d)
        self.env[d.slot] = final
        item = _item(d.name, format_value(final, d.type), supplier.article, source)
        notes = [*d.notes, *supplier.notes] if supplier is not d.default else d.notes
        if notes:
            item["note"] = _join_notes(notes)
        self.items.append(item)

    def fold(self, d: Any) -> tuple:
        """Replay the exception fold and walk what decided the value, top-down: the conditions of the
        exceptions above the one that applied, that exception's expression, and lower levels only when
        a self-reference ("the value so far") makes them matter. Returns (supplier rule, source)."""
        env, slot = self.env, d.slot

        def hold(value):
            env[slot] = value
        _, _, levels = fold(self.value(d.default.expr), d.exceptions, lambda e: self.value(e.when),
                            lambda e: self.value(e.expr), hold)
        supplier = source = None
        for i in range(len(d.exceptions) - 1, -1, -1):
            before, cond = levels[i]
            rule = d.exceptions[i]
            env[slot] = before
            needs_lower, _ = self.walk_rule(d, rule.when)
            if cond is False:
                continue
            rule_source = rule.at
            if cond is True:
                used, rule_source = self.walk_rule(d, rule.expr, rule.at)
                needs_lower |= used
            if supplier is None:
                supplier, source = rule, rule_source
            if not needs_lower:
                return supplier, source
        _, default_source = self.walk_rule(d, d.default.expr, d.default.at)
        if supplier is None:
            return d.default, default_source
        return supplier, source

    def walk_rule(self, d: Any, expr: CNode, at: Optional[str] = None) -> tuple:
        """Walk one part of a definition's rule; (whether it read the value so far, its source).
        A table definition's value is the cell itself: one trace item, placed at the cell."""
        saved, self.self_used = self.self_used, False
        source = at
        if expr.kind == "lookup" and expr.name == d.name:
            key = self.lookup_key(expr)
            if key is not None:
                source = self.cell(expr.table, key, merged=True) or at
        else:
            self.node(expr)
        used, self.self_used = self.self_used, saved
        return used, source


def _item(name: str, value: str, article: Optional[str], source: Optional[str]) -> dict:
    return {"name": name, "value": value, "article": article, "source": source}


def _join_notes(notes: list[str]) -> str:
    text = ""
    for note in notes:
        if text and not text.endswith(("。", "；", "！", "？")):
            text += "；"
        text += note
    return text

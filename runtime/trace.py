"""The trace of one settled encounter: every definition, table cell and counter its results depended on.

It is computed after evaluation, from the values already in the environment, so settling with
``trace=False`` pays nothing for it. The walk follows only what the evaluation actually used: the
branch an ``if`` took, the ``and``/``or`` operands looked at before the answer was known, the cell a
``lookup`` hit, and for a definition only the rule that supplied its value (an applied exception, or
the default when none applied) plus the exception conditions that were decisive.
"""

from __future__ import annotations

from typing import Any, Optional

from .expr import CNode
from .values import Sentinel, format_value

LEAVES = ("lit", "open", "na")


def build_trace(program: Any, env: list, roots: list[CNode]) -> list[dict]:
    walker = _Walker(program, list(env))
    for node in roots:
        walker.node(node)
    return walker.items


class _Walker:
    def __init__(self, program: Any, env: list) -> None:
        self.program = program
        self.env = env
        self.items: list[dict] = []
        self.seen: set = set()
        self.self_used = False

    # ── expressions ──

    def node(self, n: CNode) -> None:
        kind = n.kind
        if kind == "ref":
            self.ref(n.name)
        elif kind == "self":
            self.self_used = True  # the value so far: the caller walks the lower levels of the fold
        elif kind == "if":
            cond = n.args[0].fn(self.env)
            self.node(n.args[0])
            if cond is True:
                self.node(n.args[1])
            elif cond is False:
                self.node(n.args[2])
        elif kind in ("and", "or"):
            decisive = kind == "or"
            for arg in n.args:
                value = arg.fn(self.env)
                self.node(arg)
                if value is decisive:
                    break
        elif kind == "lookup":
            key = self.lookup_key(n)
            if key is not None:
                self.cell(n.table, key)
        elif kind not in LEAVES:
            for arg in n.args:
                self.node(arg)
                if arg.fn(self.env).__class__ is Sentinel:
                    break  # the operation stopped at its leftmost sentinel

    def lookup_key(self, n: CNode) -> Optional[tuple]:
        key = []
        for arg in n.args:
            value = arg.fn(self.env)
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
            value = node.fn(self.env)
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
        levels = []
        value = d.default.expr.fn(env)
        for e in d.exceptions:
            env[slot] = value
            cond = e.when.fn(env)
            levels.append((value, cond))
            if cond is True:
                value = e.expr.fn(env)
            elif cond is not False:
                value = cond  # unknown whether it applies: so is the value
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

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

The walk takes the same path whenever the decisions it reads are the same: the conditions of ``if``,
``and``/``or`` and exceptions, the keys of lookups, and which operands are sentinels. So for an evaluator
whose record offers a memo (the generated one), each path is walked once and kept as a plan: the items
in order, each with where its value is (a slot, a record entry or a constant). Later encounters with
the same decisions only fill the plan's values in (``_Memo``).
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Callable, Optional

from .evaluator import NOT_DECIDED, fold, reads
from .expr import CNode
from .values import Sentinel, format_value

LEAVES = ("lit", "open", "na")
SLOTS = ("ref", "self")


def build_trace(program: Any, env: list, roots: list[CNode], decided: Any = None) -> list[dict]:
    """The trace items for ``roots``. ``decided``: the evaluator's record (``Evaluation.decided``), or None."""
    memo = _Memo.of(program, decided)
    key = memo.key(env, decided.values, roots) if memo is not None else None
    plan = memo.plans.get(key) if key is not None else None
    if plan is not None:
        if plan.__class__ is list:  # walked once already: now that the path recurs, made into code
            plan = memo.plans[key] = _plan_function(plan)
        return plan(env, decided.values)
    walker = _Walker(program, list(env), decided, key is not None)
    for node in roots:
        walker.node(node)
    if walker.plan is not None and len(memo.plans) < _Memo.LIMIT:
        memo.plans[key] = walker.plan
    return walker.items


ENV, RECORD, CONSTANT = 0, 1, 2  # where a planned item's value is


def _plan_function(plan: list) -> Callable[[list, list], list]:
    """A plan as one generated function ``(env, record) -> items``: a single list display of the items, each
    value fetched from its slot or record entry and written as ``format_value`` writes it (fen, counts,
    names and flags inline, anything else through it). Names, articles, sources, notes and types are
    constants bound in the function's globals, never source text; it runs without builtins."""
    namespace: dict = {"FV": format_value, "I": int, "S": str, "__builtins__": {}}
    items = []
    for i, (name, where, k, type_, article, source, note) in enumerate(plan):
        namespace.update({f"N{i}": name, f"A{i}": article, f"P{i}": source, f"T{i}": type_, f"O{i}": note})
        if where == ENV:
            get = f"E[{int(k)}]"
        elif where == RECORD:
            get = f"R[{int(k)}]"
        else:
            namespace[f"C{i}"] = k
            get = f"C{i}"
        if type_ == "money":
            value = (f"(('%d.%02d' % (v // 100, v % 100) if v else '0.00') if (v := {get}).__class__ is I and v >= 0 "
                     f"else FV(v, T{i}))")
        elif type_ == "bool":
            value = f"('true' if (v := {get}) is True else 'false' if v is False else FV(v, T{i}))"
        elif type_ == "rate":
            value = f"FV({get}, T{i})"
        else:  # a count, a date, a member name
            value = f"('%d' % v if (v := {get}).__class__ is I and v >= 0 else v if v.__class__ is S else FV(v, T{i}))"
        items.append(f"{{'name': N{i}, 'value': {value}, 'article': A{i}, 'source': P{i}"
                     + ("}" if note is None else f", 'note': O{i}}}"))
    source = "def replay(E, R):\n    return [\n        " + ",\n        ".join(items) + "]\n"
    exec(compile(source, f"<yibao trace plan: {len(plan)} items>", "exec"), namespace)
    return namespace["replay"]


class _Memo:
    """The trace plans of one program under one recording layout, by the decisions that choose the path.

    Built once per recording evaluator (``decided.home``). The decisions are read at fixed places: the
    record entries and slots of every condition, ``and``/``or`` operand and lookup key (their values),
    and of every operand a strict operation checks for a sentinel (their classes). A self-reference ("the
    value so far") in such a place stands for the values its fold can hold there: its default's and its
    exceptions'. A program where such a place is a node the record lacks gets no memo (every trace is
    walked)."""

    LIMIT = 1024  # paths kept per program; beyond, traces are walked

    def __init__(self, program: Any, index: dict) -> None:
        control: list[CNode] = []
        strict: list[CNode] = []
        roots = [d.default.expr for d in program.definitions]
        for d in program.definitions:
            for e in d.exceptions:
                roots += [e.when, e.expr]
                control.append(e.when)
        roots += [cell for table in program.tables.values() for cell in table.cell_nodes.values()]
        roots += [x.when for x in program.exclusions] + [o.expr for o in program.outputs]
        for n in reads(*roots):
            if n.kind == "if":
                control.append(n.args[0])
            elif n.kind in ("and", "or"):
                control += n.args[:-1]
            elif n.kind == "lookup":
                control += n.args
            elif n.kind not in LEAVES and n.kind not in SLOTS:
                strict += n.args[:-1]
        self.usable = True
        self.folded = {id(n): d for d in program.definitions for e in d.exceptions for n in reads(e.when, e.expr)
                       if n.kind == "self"}
        self.control = self._getters(control, program, index)
        self.strict = self._getters(strict, program, index)
        self.plans: dict = {}

    def _getters(self, nodes: list, program: Any, index: dict) -> tuple:
        record, slots = [], []
        nodes = list(nodes)
        for n in nodes:
            if n.kind in LEAVES:
                continue
            if n.kind == "ref":
                slots.append(program.slot_of[n.name])
            elif n.kind == "self":
                d = self.folded.get(id(n))
                if d is None:
                    self.usable = False
                else:  # the values the slot holds during the fold (each a place of its own)
                    nodes += [x for x in [d.default.expr, *(e.expr for e in d.exceptions)] if x not in nodes]
            elif id(n) not in index:
                self.usable = False
            else:
                record.append(index[id(n)])
        return _tuple_getter(sorted(set(record))), _tuple_getter(sorted(set(slots)))

    @classmethod
    def of(cls, program: Any, decided: Any) -> Optional["_Memo"]:
        home = getattr(decided, "home", None)
        if home is None:
            return None
        memo = home.trace_memo
        if memo is None:
            memo = home.trace_memo = cls(program, decided.index)
        return memo if memo.usable else None

    def key(self, env: list, values: list, roots: list) -> tuple:
        (control_record, control_slots), (strict_record, strict_slots) = self.control, self.strict
        decisions = control_record(values) + control_slots(env)
        # classes too: 1 == True, yet only True is a condition that holds
        return (tuple(map(id, roots)), decisions, tuple(map(type, decisions)),
                tuple(map(type, strict_record(values))), tuple(map(type, strict_slots(env))))


def _tuple_getter(indices: list) -> Callable[[list], tuple]:
    if not indices:
        return lambda values: ()
    if len(indices) == 1:
        k = indices[0]
        return lambda values: (values[k],)
    return itemgetter(*indices)


class _Walker:
    def __init__(self, program: Any, env: list, decided: Any, planning: bool = False) -> None:
        self.program = program
        self.env = env
        self.decided = decided.get if decided is not None else None
        self.index = decided.index if planning else None
        self.items: list[dict] = []
        self.plan: Optional[list] = [] if planning else None  # the items as a plan (see _Memo)
        self.seen: set = set()
        self.self_used = False

    def add(self, name: str, value: Any, where: Any, type_: Any, article: Optional[str], source: Optional[str],
            notes: Any = ()) -> None:
        """One item; ``where`` is (ENV, slot), or the node whose value it is (for a plan)."""
        item = _item(name, format_value(value, type_), article, source)
        note = _join_notes(notes) if notes else None
        if note is not None:
            item["note"] = note
        self.items.append(item)
        if self.plan is not None:
            place = self.place(where)
            if place is None:
                self.plan = None
            else:
                self.plan.append((name, *place, type_, article, source, note))

    def place(self, where: Any) -> Optional[tuple]:
        if isinstance(where, tuple):
            return where
        kind = where.kind
        if kind in LEAVES:
            return CONSTANT, where.data
        if kind == "ref":
            return ENV, self.program.slot_of[where.name]
        k = self.index.get(id(where))
        return None if k is None or kind == "self" else (RECORD, k)

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
        self.plan = None  # a value from the closures: this path is not the record's alone, keep no plan
        return n.fn(self.env)

    def value_in(self, n: CNode, env: list) -> Any:
        """``value`` as ``evaluator.fold`` asks for it (the walker's env is the one the fold holds values in)."""
        return self.value(n)

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
        self.add(c.name, self.env[c.slot], (ENV, c.slot), c.type, c.article, c.at)

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
            self.add(table.name, self.value(node), node, table.type, table.article, at)
        return at

    def definition(self, d: Any) -> None:
        if ("def", d.name) in self.seen:
            return
        self.seen.add(("def", d.name))
        final = self.env[d.slot]
        supplier, source = self.fold(d)
        self.env[d.slot] = final
        notes = [*d.notes, *supplier.notes] if supplier is not d.default else d.notes
        self.add(d.name, final, (ENV, d.slot), d.type, supplier.article, source, notes)

    def fold(self, d: Any) -> tuple:
        """Replay the exception fold and walk what decided the value, top-down: the conditions of the
        exceptions above the one that applied, that exception's expression, and lower levels only when
        a self-reference ("the value so far") makes them matter. Returns (supplier rule, source)."""
        env, slot = self.env, d.slot
        levels: list = []
        fold(self.value(d.default.expr), d.exceptions, env, slot, self.value_in, levels)
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

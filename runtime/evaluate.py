"""The per-encounter evaluator: an IR compiled once into slots and closures, then run per encounter.

The environment of one encounter is a flat list: input values, then counter values (before the
encounter), then definition values, each at a slot fixed at load. Evaluation follows docs/ir.md
"Semantics" step by step: definitions in IR order (each folding its exceptions), exclusions in order,
outputs, counter updates. Nothing is decided by Python iteration order over sets or dicts.
"""

from __future__ import annotations

from typing import Any, Optional

from .codegen import generate
from .expr import CNode, Scope, compile_expr, literal_value
from .ir import IRError, need
from .values import Sentinel

SCALAR_TYPES = ("money", "rate", "count", "date", "bool")
PERIODS = ("year", "quarter", "case")


class Vocab:
    def __init__(self, raw: dict, where: str) -> None:
        self.name = need(raw, "name", str, where)
        self.field = raw.get("field")
        members = need(raw, "members", list, where)
        self.members = [need(m, "name", str, f"{where}.members") for m in members]
        self.code_to_member = {}
        for m in members:
            code = m.get("code")
            if code is not None:
                self.code_to_member[str(code)] = m["name"]
        self.aliases = dict(raw.get("aliases") or {})
        self.at = raw.get("at")
        self.open = raw.get("open")  # the reason, when the regulation leaves the members open (待定)


class Rule:
    """The default of a definition or one of its exceptions."""

    def __init__(self, expr: CNode, when: Optional[CNode], article: Optional[str], at: Optional[str],
                 notes: tuple = ()) -> None:
        self.expr = expr
        self.when = when
        self.article = article
        self.at = at
        self.notes = notes  # an exception's own interpretations (the default's are the definition's)


class Definition:
    def __init__(self, name: str, type_: Any, slot: int, default: Rule, exceptions: list, notes: list) -> None:
        self.name = name
        self.type = type_
        self.slot = slot
        self.default = default
        self.exceptions = exceptions
        self.notes = notes


class Table:
    def __init__(self, name: str, type_: Any, dims: list, article: Optional[str], at: Optional[str]) -> None:
        self.name = name
        self.type = type_
        self.dims = dims
        self.article = article
        self.at = at
        self.cell_nodes: dict = {}
        self.cell_fns: dict = {}
        self.cell_at: dict = {}
        self.refs: frozenset = frozenset()


class Counter:
    def __init__(self, raw: dict, slot: int, init: Any) -> None:
        self.name = raw["name"]
        self.type = raw.get("type")
        self.period = raw["period"]
        self.init = init
        self.cuminfo = raw.get("cuminfo")
        self.article = raw.get("article")
        self.at = raw.get("at")
        self.slot = slot
        self.update: Optional[CNode] = None


class Exclusion:
    def __init__(self, when: CNode, reason: str, article: Optional[str], at: Optional[str]) -> None:
        self.when = when
        self.reason = reason
        self.article = article
        self.at = at


class Output:
    def __init__(self, field: str, type_: Any, expr: CNode, at: Optional[str]) -> None:
        self.field = field
        self.type = type_
        self.expr = expr
        self.at = at


class InputSpec:
    def __init__(self, name: str, type_: Any, field: Optional[str], optional: bool, at: Optional[str], slot: int,
                 implicit: bool = False) -> None:
        self.name = name
        self.type = type_
        self.field = field
        self.optional = optional
        self.at = at
        self.slot = slot
        self.implicit = implicit  # a vocabulary's field the IR did not list among its inputs


class Evaluation:
    """What one encounter's evaluation produced; ``error`` is the sentinel that made it unsettleable."""

    __slots__ = ("env", "excluded", "checked", "outputs", "counters_after", "error", "error_at")

    def __init__(self, env: Optional[list], checked: int = 0, outputs: Optional[dict] = None,
                 counters_after: Optional[list] = None, error: Optional[Sentinel] = None,
                 error_at: Optional[str] = None) -> None:
        self.env = env
        self.excluded: Optional[Exclusion] = None
        self.checked = checked    # how many exclusions were evaluated
        self.outputs: dict = {} if outputs is None else outputs
        self.counters_after = counters_after
        self.error = error
        self.error_at = error_at


class Program:
    """One IR, compiled. ``evaluate`` is the only thing done per encounter.

    Expressions are compiled to closures (``expr.py``): they are the specification, and the trace walks
    them. Unless ``fast`` is false, the definitions, exclusions, outputs and counter updates are also
    generated as one Python function (``codegen.py``), which ``evaluate`` runs instead."""

    def __init__(self, doc: dict, fast: bool = True) -> None:
        self.slot_of: dict[str, int] = {}
        self.kind_of: dict[str, str] = {}
        self.open_values = {o.get("name"): o for o in doc["open_values"] if isinstance(o, dict)}
        self.vocabs = self._vocabularies(doc["vocabularies"])
        self.inputs = self._inputs(doc["inputs"])
        self.counters = self._counter_slots(doc["counters"])
        self.definitions: list[Definition] = []
        self.tables: dict[str, Table] = {}
        self._declare_definitions(doc["definitions"])
        all_defs = frozenset(d["name"] for d in doc["definitions"])
        self._tables(doc["tables"], all_defs)
        self._definitions(doc["definitions"])
        everything = Scope(self, all_defs, None)
        self._counter_updates(doc["counters"], everything)
        self.exclusions = [self._exclusion(e, i, everything) for i, e in enumerate(doc["exclusions"])]
        self.outputs = [self._output(o, i, everything) for i, o in enumerate(doc["outputs"])]
        self.output_of = {o.field: o for o in self.outputs}
        self.definition_of = {d.name: d for d in self.definitions}
        self.counter_of = {c.name: c for c in self.counters}
        self.input_of = {i.name: i for i in self.inputs}
        self._blank = [None] * len(self.definitions)
        self._steps = [_step(d) for d in self.definitions]
        self._output_fields = tuple(o.field for o in self.outputs)
        # what CounterBook and normalise_counters read per encounter, without attribute look-ups
        self.counter_specs = tuple((c.name, c.period, c.init, c.cuminfo) for c in self.counters)
        self.counter_names = tuple(c.name for c in self.counters)
        self.counter_periods = tuple(c.period for c in self.counters)
        self.money_counters = tuple((i, c) for i, c in enumerate(self.counters) if c.type == "money")
        self.fast = generate(self) if fast else None
        self.fallbacks = 0  # encounters the generated function handed back to the closures

    # ── loading ──

    def member(self, vocab: Any, member: Any, where: str) -> str:
        v = self.vocabs.get(vocab)
        if v is None:
            raise IRError(f"{where}: 未知词表「{vocab}」")
        if member not in v.members:
            raise IRError(f"{where}: 「{member}」不是词表「{vocab}」的成员")
        return member

    def _vocabularies(self, raw: list) -> dict[str, Vocab]:
        vocabs = {}
        for i, item in enumerate(raw):
            v = Vocab(item, f"vocabularies[{i}]")
            vocabs[v.name] = v
        return vocabs

    def _claim(self, name: str, kind: str, where: str) -> int:
        if name in self.slot_of:
            raise IRError(f"{where}: 名称「{name}」重复（已是 {self.kind_of[name]}）")
        self.slot_of[name] = len(self.slot_of)
        self.kind_of[name] = kind
        return self.slot_of[name]

    def _inputs(self, raw: list) -> list[InputSpec]:
        specs = []
        for i, item in enumerate(raw):
            where = f"inputs[{i}]"
            name = need(item, "name", str, where)
            type_ = _check_type(item.get("type"), self, where)
            field = item.get("field")
            slot = self._claim(name, "input", where)
            specs.append(InputSpec(name, type_, field, bool(item.get("optional", False)), item.get("at"), slot))
        listed = {s.name for s in specs}
        for v in self.vocabs.values():  # docs/ir.md: a vocabulary with a field declares an input
            if v.field and v.name not in listed and v.name not in self.slot_of:
                slot = self._claim(v.name, "input", f"vocabularies({v.name})")
                specs.append(InputSpec(v.name, {"enum": v.name}, v.field, True, v.at, slot, implicit=True))
        return specs

    def _counter_slots(self, raw: list) -> list[Counter]:
        counters = []
        for i, item in enumerate(raw):
            where = f"counters[{i}]"
            name = need(item, "name", str, where)
            if item.get("period") not in PERIODS:
                raise IRError(f"{where}.period: 应为 year/quarter/case，得到 {item.get('period')!r}")
            init = literal_value(need(item, "init", dict, where), self, f"{where}.init")
            counters.append(Counter(item, self._claim(name, "counter", where), init))
        return counters

    def _declare_definitions(self, raw: list) -> None:
        for i, item in enumerate(raw):
            self._claim(need(item, "name", str, f"definitions[{i}]"), "definition", f"definitions[{i}]")

    def _tables(self, raw: list, all_defs: frozenset) -> None:
        for i, item in enumerate(raw):
            where = f"tables[{i}]"
            name = need(item, "name", str, where)
            dims = need(item, "dims", list, where)
            for d in dims:
                if d not in self.vocabs:
                    raise IRError(f"{where}.dims: 未知词表「{d}」")
            table = Table(name, item.get("type"), dims, item.get("article"), item.get("at"))
            self.tables[name] = table
            self._cells(table, need(item, "cells", list, where), all_defs, where)

    def _cells(self, table: Table, cells: list, all_defs: frozenset, where: str) -> None:
        refs: set = set()
        for j, cell in enumerate(cells):
            cw = f"{where}.cells[{j}]"
            key = tuple(need(cell, "key", list, cw))
            if len(key) != len(table.dims):
                raise IRError(f"{cw}.key: 应有 {len(table.dims)} 个成员")
            for dim, member in zip(table.dims, key):
                self.member(dim, member, f"{cw}.key")
            if key in table.cell_nodes:
                raise IRError(f"{cw}.key: 单元格 {list(key)} 重复")
            scope = Scope(self, all_defs, table.article, owner=table.name, key=key)
            node = compile_expr(need(cell, "value", dict, cw), scope, f"{cw}.value")
            table.cell_nodes[key] = node
            table.cell_fns[key] = node.fn
            table.cell_at[key] = cell.get("at")
            refs |= _definition_refs(node, self)
        missing = [k for k in _all_keys(table.dims, self.vocabs) if k not in table.cell_nodes]
        if missing:
            raise IRError(f"{where}: 表「{table.name}」缺少单元格 {list(missing[0])}（IR 的表必须完整）")
        table.refs = frozenset(refs)

    def _definitions(self, raw: list) -> None:
        visible: set = set()
        for i, item in enumerate(raw):
            where = f"definitions[{i}]({item['name']})"
            name = item["name"]
            default = need(item, "default", dict, where)
            d_article = default.get("article")
            rule = Rule(compile_expr(need(default, "expr", dict, f"{where}.default"), Scope(self, frozenset(visible), d_article),
                             f"{where}.default.expr"), None, d_article, default.get("at"))
            exceptions = []
            _check_priorities(item.get("exceptions") or [], where)
            for j, exc in enumerate(item.get("exceptions") or []):
                ew = f"{where}.exceptions[{j}]"
                scope = Scope(self, frozenset(visible), exc.get("article"), self_name=name)
                exceptions.append(Rule(compile_expr(need(exc, "expr", dict, ew), scope, f"{ew}.expr"),
                                       compile_expr(need(exc, "when", dict, ew), scope, f"{ew}.when"),
                                       exc.get("article"), exc.get("at"),
                                       tuple(n for n in (exc.get("notes") or []) if isinstance(n, str))))
            notes = [n for n in (item.get("notes") or []) if isinstance(n, str)]
            self.definitions.append(Definition(name, item.get("type"), self.slot_of[name], rule, exceptions, notes))
            visible.add(name)

    def _counter_updates(self, raw: list, scope: Scope) -> None:
        for counter, item in zip(self.counters, raw):
            if item.get("update") is not None:
                counter.update = compile_expr(item["update"], scope, f"counters({counter.name}).update")

    def _exclusion(self, item: dict, i: int, scope: Scope) -> Exclusion:
        where = f"exclusions[{i}]"
        when = compile_expr(need(item, "when", dict, where), scope, f"{where}.when")
        return Exclusion(when, item.get("reason") or "", item.get("article"), item.get("at"))

    def _output(self, item: dict, i: int, scope: Scope) -> Output:
        where = f"outputs[{i}]"
        field = need(item, "field", str, where)
        return Output(field, item.get("type"), compile_expr(need(item, "expr", dict, where), scope, f"{where}.expr"),
                      item.get("at"))

    # ── evaluation ──

    def run_definitions(self, inputs: list, counters: list) -> list:
        env = inputs + counters + self._blank
        # one flat loop rather than a closure per definition: the common, exception-free definition
        # costs a single call of its compiled expression
        for slot, default, fold, article in self._steps:
            v = default(env)
            if fold is not None:
                v = fold(env, v)
            elif v.__class__ is Sentinel and v.article is None:
                v = v.with_article(article)  # a missing input: cite the clause that needed it
            env[slot] = v
        return env

    def evaluate(self, inputs: list, counters: list, excluded_fields: tuple = (), need_env: bool = True,
                 trusted: bool = False) -> Evaluation:
        """docs/ir.md steps 2–5 for one encounter. ``counters`` are the values before it. Without
        ``need_env`` the result's ``env`` may be None (it is kept when the encounter is excluded).
        ``trusted``: the inputs come from the case readers and the counters from a CounterBook, so no
        sentinel sits where the generated code assumes none (it need not check)."""
        if self.fast is not None:
            try:
                answer = self.fast(inputs, counters, need_env, not trusted)
            except Exception:  # only malformed values raise there: the closures then decide, exception and all
                answer = None
            if answer is not None:
                return self._from_fast(answer, excluded_fields)
            self.fallbacks += 1
        return self.evaluate_reference(inputs, counters, excluded_fields)

    def _from_fast(self, answer: tuple, excluded_fields: tuple) -> Evaluation:
        """The generated function's (kind, checked, outputs, counters after, error, error_at, env), where
        kind is 0 settled, 1 excluded by exclusion number ``checked``, 2 error."""
        kind, checked, outputs, after, error, error_at, env = answer
        if kind == 1:
            result = Evaluation(env, checked)
            result.excluded = self.exclusions[checked - 1]
            return self._outputs(result, [self.output_of[f] for f in excluded_fields if f in self.output_of])
        named = None if outputs is None else dict(zip(self._output_fields, outputs))
        return Evaluation(env, checked, named, after, error, error_at)

    def evaluate_reference(self, inputs: list, counters: list, excluded_fields: tuple = ()) -> Evaluation:
        """``evaluate`` on the closures alone: the specification the generated function is tested against."""
        result = Evaluation(self.run_definitions(inputs, counters))
        env = result.env
        for exclusion in self.exclusions:
            result.checked += 1
            held = exclusion.when.fn(env)
            if held is True:
                result.excluded = exclusion
                return self._outputs(result, [self.output_of[f] for f in excluded_fields if f in self.output_of])
            if held is not False:
                result.error, result.error_at = held, f"不予支付条件（{exclusion.article or exclusion.at}）"
                return result
        self._outputs(result, self.outputs)
        if result.error is None:
            self._updates(result)
        return result

    def _outputs(self, result: Evaluation, outputs: list) -> Evaluation:
        env = result.env
        for out in outputs:
            value = out.expr.fn(env)
            if value.__class__ is Sentinel:
                result.error, result.error_at = value, out.field
                return result
            result.outputs[out.field] = value
        return result

    def _updates(self, result: Evaluation) -> None:
        env = result.env
        after = []
        for counter in self.counters:
            if counter.update is None:
                after.append(env[counter.slot])
                continue
            value = counter.update.fn(env)
            if value.__class__ is Sentinel:
                result.error, result.error_at = value, f"计数器 {counter.name}"
                return
            after.append(value)
        result.counters_after = after


def _step(d: Definition) -> tuple:
    """(slot, default, fold or None, article): how ``run_definitions`` evaluates one definition.

    The fold is docs/ir.md's ``v = default; for e in exceptions: if when: v = expr``, with the slot
    holding ``v`` so far so that a self-reference inside an exception reads it."""
    slot, article = d.slot, d.default.article
    exceptions = [(e.when.fn, e.expr.fn, e.article) for e in d.exceptions]
    if not exceptions:
        return slot, d.default.expr.fn, None, article

    def fold(env, v):
        art = article
        env[slot] = v
        for when, expr, e_article in exceptions:
            c = when(env)
            if c is True:
                v = expr(env)
                art = e_article
            elif c is not False:
                v = c  # unknown whether this exception applies: so is the value
                art = e_article
            else:
                continue
            env[slot] = v
        if v.__class__ is Sentinel and v.article is None:
            v = v.with_article(art)
        return v
    return slot, d.default.expr.fn, fold, article


def _check_priorities(exceptions: list, where: str) -> None:
    """The fold applies exceptions in list order, so that order must be ascending priority."""
    priorities = [e.get("priority") for e in exceptions if isinstance(e, dict) and isinstance(e.get("priority"), int)]
    if priorities != sorted(priorities):
        raise IRError(f"{where}.exceptions: 例外须按优先级升序排列，得到 {priorities}")


def _check_type(type_: Any, program: Program, where: str) -> Any:
    if type_ in SCALAR_TYPES:
        return type_
    if isinstance(type_, dict) and set(type_) == {"enum"} and type_["enum"] in program.vocabs:
        return type_
    raise IRError(f"{where}.type: 未知类型 {type_!r}")


def _definition_refs(node: CNode, program: Program) -> set:
    found = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.kind == "ref" and program.kind_of.get(n.name) == "definition":
            found.add(n.name)
        stack.extend(n.args)
    return found


def _all_keys(dims: list, vocabs: dict) -> list:
    keys = [()]
    for dim in dims:
        keys = [k + (m,) for k in keys for m in vocabs[dim].members]
    return keys

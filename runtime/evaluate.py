"""The loaded program (``Program``) and its reference evaluator (``ClosureEvaluator``).

``Program`` is the frozen core every evaluator runs: the IR compiled once into slots, vocabularies,
tables, counters, definitions with their exceptions, exclusions and outputs, each record built whole
here and never changed after. Expressions are closures (``expr.py``). Evaluators plug in through
``evaluator.Evaluator`` (see that module for the seam and the table of evaluators).

The environment of one encounter is a flat list: input values, then counter values (before the
encounter), then definition values, each at a slot fixed at load. Evaluation follows docs/ir.md
"Semantics" step by step: definitions in IR order (each folding its exceptions), exclusions in order,
outputs, counter updates. Nothing is decided by Python iteration order over sets or dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from . import messages as M
from .codegen import GeneratedEvaluator
from .evaluator import Evaluation, closure_value, evaluate_with, fold, reads
from .expr import CNode, Scope, compile_expr, literal_value
from .ir import IRError, need
from .values import UNLISTED, Sentinel, holds_no_date, no_date

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
        # an open list of codes (其余): a code no member has reads as the member UNLISTED, listed last
        self.unlisted = bool(raw.get("unlisted"))
        if self.unlisted:
            if UNLISTED in self.members:
                raise IRError(M.text('ir.unlisted_member_named_others', where=where, member=UNLISTED))
            self.members.append(UNLISTED)


@dataclass(frozen=True)
class Rule:
    """The default of a definition or one of its exceptions. ``notes``: an exception's own interpretations
    (the default's are the definition's)."""

    expr: CNode
    when: Optional[CNode]
    article: Optional[str]
    at: Optional[str]
    notes: tuple = ()


@dataclass(frozen=True)
class Definition:
    name: str
    type: Any
    slot: int
    default: Rule
    exceptions: tuple
    notes: tuple


@dataclass(frozen=True)
class Table:
    name: str
    type: Any
    dims: tuple
    article: Optional[str]
    at: Optional[str]
    cell_nodes: dict  # key tuple → CNode
    cell_fns: dict    # key tuple → the node's closure
    cell_at: dict     # key tuple → source position
    refs: frozenset   # the definitions the cells read


@dataclass(frozen=True)
class Counter:
    name: str
    type: Any
    period: str
    init: Any
    cuminfo: Optional[str]
    article: Optional[str]
    at: Optional[str]
    slot: int
    update: Optional[CNode]
    excluded_update: Optional[CNode] = None  # its value after an excluded encounter (None: unchanged)


@dataclass(frozen=True)
class Exclusion:
    when: CNode
    reason: str
    article: Optional[str]
    at: Optional[str]


@dataclass(frozen=True)
class Output:
    field: str
    type: Any
    expr: CNode
    at: Optional[str]


@dataclass(frozen=True)
class ContractField:
    """One field of the settlement contract as the rules declare it (IR ``contract``, a ``接口`` line)."""

    field: str
    type: str                # "money" or "rate"
    label: str
    role: Optional[str]      # "fund" (in fund_pay_sumamt), "limit" (setldetail's crt_payb_lmt_amt) or None
    optional: bool           # a rule may leave it out: it is then 0
    excluded: str            # on an excluded encounter: "zero", "keep" (the output) or "value"
    at: Optional[str]


@dataclass(frozen=True)
class ContractView:
    """What the settlement reads from the declared contract, each list in the contract's order. Built once
    per program by ``Program.contract_view``; an IR without ``contract`` has an empty one (it cannot settle)."""

    fields: tuple            # ContractField records
    setlinfo: tuple          # the setlinfo fields (all but the limit)
    ratios: tuple            # setlinfo fields that are rates (4 decimals)
    money: tuple             # setlinfo fields that are amounts
    funds: tuple             # the fund columns fund_pay_sumamt adds up
    optional: tuple          # fields a rule may leave out
    limit: Optional[str]     # setldetail's crt_payb_lmt_amt, if declared
    labels: dict             # field → Chinese label
    kept: tuple              # setlinfo fields an excluded encounter still reports (not 0)
    on_exclusion: dict       # field in ``kept`` → the Output evaluated for it on an excluded encounter


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: Any
    field: Optional[str]
    optional: bool
    at: Optional[str]
    slot: int
    implicit: bool = False  # a vocabulary's field the IR did not list among its inputs


class Program:
    """One IR, compiled: the loaded-program core. ``evaluate`` is the only thing done per encounter.

    ``reference`` is the closure evaluator, the specification; ``fast`` the generated one (None with
    ``fast=False``, or when the rules are too deep for generated code). ``evaluate`` asks ``fast`` and,
    when it declines an encounter, the closures."""

    def __init__(self, doc: dict, fast: bool = True) -> None:
        self.slot_of: dict[str, int] = {}
        self.kind_of: dict[str, str] = {}
        self.open_values = {o.get("name"): o for o in doc["open_values"] if isinstance(o, dict)}
        self.vocabs = self._vocabularies(doc["vocabularies"])
        self.inputs = tuple(self._inputs(doc["inputs"]))
        counter_slots = self._counter_slots(doc["counters"])
        self._declare_definitions(doc["definitions"])
        all_defs = frozenset(d["name"] for d in doc["definitions"])
        self.tables: dict[str, Table] = {}
        for i, item in enumerate(doc["tables"]):
            table = self._table(item, f"tables[{i}]", all_defs)
            self.tables[table.name] = table
        self.definitions = tuple(self._definitions(doc["definitions"]))
        everything = Scope(self, all_defs, None)
        self.counters = tuple(self._counter(item, slot, init, everything) for item, slot, init in counter_slots)
        self.exclusions = tuple(self._exclusion(e, i, everything) for i, e in enumerate(doc["exclusions"]))
        self.outputs = tuple(self._output(o, i, everything) for i, o in enumerate(doc["outputs"]))
        self.output_of = {o.field: o for o in self.outputs}
        self.contract = self.contract_view(doc.get("contract") or [], everything)
        self.definition_of = {d.name: d for d in self.definitions}
        self.counter_of = {c.name: c for c in self.counters}
        self.input_of = {i.name: i for i in self.inputs}
        # what CounterBook and normalise_counters read per encounter, without attribute look-ups
        self.counter_specs = tuple((c.name, c.period, c.init, c.cuminfo) for c in self.counters)
        self.counter_names = tuple(c.name for c in self.counters)
        self.counter_inits = tuple(c.init for c in self.counters)
        self.counter_periods = tuple(c.period for c in self.counters)
        self.money_counters = tuple((i, c) for i, c in enumerate(self.counters) if c.type == "money")
        # an excluded encounter changes a counter only through its ``不予支付 则`` update (none: no counter)
        self.counts_excluded = any(c.excluded_update is not None for c in self.counters)
        self.reference = ClosureEvaluator(self)
        self.fast = GeneratedEvaluator.build(self) if fast else None
        self.fallbacks = 0  # encounters the generated function handed back to the closures

    # ── loading ──

    def member(self, vocab: Any, member: Any, where: str) -> str:
        v = self.vocabs.get(vocab)
        if v is None:
            raise IRError(M.text('ir.unknown_vocabulary', where=where, vocab=vocab))
        if member not in v.members:
            raise IRError(M.text('ir.not_a_member', where=where, member=member, vocab=vocab))
        return member

    def _vocabularies(self, raw: list) -> dict[str, Vocab]:
        vocabs = {}
        for i, item in enumerate(raw):
            v = Vocab(item, f"vocabularies[{i}]")
            vocabs[v.name] = v
        return vocabs

    def _claim(self, name: str, kind: str, where: str) -> int:
        if name in self.slot_of:
            raise IRError(M.text('ir.duplicate_name', where=where, name=name, item=self.kind_of[name]))
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

    def _counter_slots(self, raw: list) -> list[tuple]:
        """(raw counter, slot, init) for each counter: its slot is claimed now, its record built once the
        definitions its update reads are compiled."""
        claimed = []
        for i, item in enumerate(raw):
            where = f"counters[{i}]"
            name = need(item, "name", str, where)
            if item.get("period") not in PERIODS:
                raise IRError(M.text('ir.unknown_period', where=where, value=item.get('period')))
            if item.get("init") is None and item.get("type") == "date":  # a date counter starts with no date
                init = no_date(name, item.get("cuminfo"), item.get("article"))
            else:
                init = literal_value(need(item, "init", dict, where), self, f"{where}.init")
            claimed.append((item, self._claim(name, "counter", where), init))
        return claimed

    def _counter(self, item: dict, slot: int, init: Any, scope: Scope) -> Counter:
        name = item["name"]
        update = excluded_update = None
        if item.get("update") is not None:
            update = compile_expr(item["update"], scope, f"counters({name}).update")
        if item.get("excluded_update") is not None:
            excluded_update = compile_expr(item["excluded_update"], scope, f"counters({name}).excluded_update")
        return Counter(name, item.get("type"), item["period"], init, item.get("cuminfo"), item.get("article"),
                       item.get("at"), slot, update, excluded_update)

    def _declare_definitions(self, raw: list) -> None:
        for i, item in enumerate(raw):
            self._claim(need(item, "name", str, f"definitions[{i}]"), "definition", f"definitions[{i}]")

    def _table(self, item: dict, where: str, all_defs: frozenset) -> Table:
        name = need(item, "name", str, where)
        dims = need(item, "dims", list, where)
        for d in dims:
            if d not in self.vocabs:
                raise IRError(M.text('ir.table_unknown_dimension', where=where, d=d))
        article = item.get("article")
        nodes: dict = {}
        cell_at: dict = {}
        refs: set = set()
        for j, cell in enumerate(need(item, "cells", list, where)):
            cw = f"{where}.cells[{j}]"
            key = tuple(need(cell, "key", list, cw))
            if len(key) != len(dims):
                raise IRError(M.text('ir.cell_key_length', cw=cw, len=len(dims)))
            for dim, member in zip(dims, key):
                self.member(dim, member, f"{cw}.key")
            if key in nodes:
                raise IRError(M.text('ir.duplicate_cell', cw=cw, list=list(key)))
            scope = Scope(self, all_defs, article, owner=name, key=key)
            node = compile_expr(need(cell, "value", dict, cw), scope, f"{cw}.value")
            nodes[key] = node
            cell_at[key] = cell.get("at")
            refs |= _definition_refs(node, self)
        missing = [k for k in _all_keys(dims, self.vocabs) if k not in nodes]
        if missing:
            raise IRError(M.text('ir.table_incomplete', where=where, name=name, list=list(missing[0])))
        return Table(name, item.get("type"), tuple(dims), article, item.get("at"), nodes,
                     {key: node.fn for key, node in nodes.items()}, cell_at, frozenset(refs))

    def _definitions(self, raw: list) -> list[Definition]:
        definitions = []
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
            notes = tuple(n for n in (item.get("notes") or []) if isinstance(n, str))
            definitions.append(Definition(name, item.get("type"), self.slot_of[name], rule, tuple(exceptions), notes))
            visible.add(name)
        return definitions

    def _exclusion(self, item: dict, i: int, scope: Scope) -> Exclusion:
        where = f"exclusions[{i}]"
        when = compile_expr(need(item, "when", dict, where), scope, f"{where}.when")
        return Exclusion(when, item.get("reason") or "", item.get("article"), item.get("at"))

    def _output(self, item: dict, i: int, scope: Scope) -> Output:
        where = f"outputs[{i}]"
        field = need(item, "field", str, where)
        return Output(field, item.get("type"), compile_expr(need(item, "expr", dict, where), scope, f"{where}.expr"),
                      item.get("at"))

    def contract_view(self, raw: list, scope: Scope) -> ContractView:
        """The one place the declared contract (IR ``contract``) becomes the runtime's view of it: which
        fields setlinfo has and in what order, which are rates, funds, optional, the limit, and what an
        excluded encounter reports (a kept output, or the declared value compiled like any output)."""
        fields, on_exclusion = [], {}
        for i, item in enumerate(raw):
            where = f"contract[{i}]"
            f = ContractField(item["field"], item["type"], item["label"], item.get("role"), item["optional"],
                              item["excluded"], item.get("at"))
            if any(g.field == f.field for g in fields):
                raise IRError(M.text('ir.contract_field_twice', where=where, field=f.field))
            fields.append(f)
            if f.excluded == "keep" and f.field in self.output_of:
                on_exclusion[f.field] = self.output_of[f.field]
            elif f.excluded == "value":
                if "excluded_value" not in item:
                    raise IRError(M.text('ir.contract_excluded_value_missing', where=where))
                expr = compile_expr(item["excluded_value"], scope, f"{where}.excluded_value")
                on_exclusion[f.field] = Output(f.field, f.type, expr, f.at)
        setlinfo = tuple(f.field for f in fields if f.role != "limit")
        ratios = tuple(f.field for f in fields if f.role != "limit" and f.type == "rate")
        return ContractView(
            fields=tuple(fields), setlinfo=setlinfo, ratios=ratios,
            money=tuple(f for f in setlinfo if f not in ratios),
            funds=tuple(f.field for f in fields if f.role == "fund"),
            optional=tuple(f.field for f in fields if f.optional),
            limit=next((f.field for f in fields if f.role == "limit"), None),
            labels={f.field: f.label for f in fields},
            kept=tuple(f for f in setlinfo if f in on_exclusion), on_exclusion=on_exclusion)

    # ── evaluation ──

    def run_definitions(self, inputs: list, counters: list) -> list:
        return self.reference.run_definitions(inputs, counters)

    def evaluate(self, inputs: list, counters: list, excluded_fields: tuple = (), need_env: bool = True,
                 trusted: bool = False, record: bool = False) -> Evaluation:
        """docs/ir.md steps 2–5 for one encounter. ``counters`` are the values before it. Without
        ``need_env`` the result's ``env`` may be None (it is kept when the encounter is excluded).
        ``trusted``: the inputs come from the case readers and the counters from a CounterBook, so no
        sentinel sits where the generated code assumes none (it need not check). ``record``: keep what
        the evaluator decided, for the trace (``Evaluation.decided``)."""
        answer, declined = evaluate_with(self.fast, self.reference, inputs, counters, excluded_fields, need_env,
                                         trusted, record)
        if declined:
            self.fallbacks += 1
        return answer

    def evaluate_reference(self, inputs: list, counters: list, excluded_fields: tuple = ()) -> Evaluation:
        """``evaluate`` on the closures alone: the specification the generated function is tested against."""
        return self.reference.evaluate(inputs, counters, excluded_fields, True, False, False)

    def outputs_into(self, result: Evaluation, outputs: list) -> Evaluation:
        """Evaluate ``outputs`` on the closures into ``result``, stopping at the first sentinel."""
        env = result.env
        for out in outputs:
            value = out.expr.fn(env)
            if value.__class__ is Sentinel:
                result.error, result.error_at = value, out.field
                return result
            result.outputs[out.field] = value
        return result

    def finish_excluded(self, result: Evaluation, excluded_fields: tuple) -> Evaluation:
        """An excluded encounter after its exclusion held (docs/ir.md step 3), for every evaluator: the outputs
        the contract keeps (``excluded_fields``), then, when some counter has a ``不予支付 则`` update, every
        counter's value after it (the others unchanged); on the closures, as the trace reads them."""
        self.outputs_into(result, self.excluded_outputs(excluded_fields))
        if result.error is None and self.counts_excluded:
            updates_into(result, self.counters, excluded=True)
        return result

    def excluded_outputs(self, excluded_fields: tuple) -> list:
        """What an excluded encounter evaluates for each of ``excluded_fields`` (the contract's ``kept``): the
        output itself, or the value the contract declares for it."""
        on_exclusion = self.contract.on_exclusion
        return [on_exclusion[f] for f in excluded_fields if f in on_exclusion]


class ClosureEvaluator:
    """The specification: every IR node a closure (``expr.py``), evaluated in docs/ir.md's order. It keeps
    no record: the trace of its evaluation asks the same closures (``Evaluation.decided`` is None)."""

    name = "closures"

    def __init__(self, program: Program) -> None:
        self.program = program
        self._blank = [None] * len(program.definitions)
        self._steps = [_step(d) for d in program.definitions]

    def run_definitions(self, inputs: list, counters: list) -> list:
        env = inputs + counters + self._blank
        # one flat loop rather than a closure per definition: the common, exception-free definition
        # costs a single call of its compiled expression
        for slot, default, fold_in, article in self._steps:
            v = default(env)
            if fold_in is not None:
                v = fold_in(env, v)
            elif v.__class__ is Sentinel and v.article is None:
                v = v.with_article(article)  # a missing input: cite the clause that needed it
            env[slot] = v
        return env

    def evaluate(self, inputs: list, counters: list, excluded_fields: tuple = (), need_env: bool = True,
                 trusted: bool = False, record: bool = False) -> Evaluation:
        program = self.program
        result = Evaluation(self.run_definitions(inputs, counters))
        env = result.env
        for exclusion in program.exclusions:
            result.checked += 1
            held = exclusion.when.fn(env)
            if held is True:
                result.excluded = exclusion
                return program.finish_excluded(result, excluded_fields)
            if held is not False:
                result.error, result.error_at = held, M.exclusion_at(exclusion)
                return result
        program.outputs_into(result, program.outputs)
        if result.error is None:
            updates_into(result, program.counters, excluded=False)
        return result


def updates_into(result: Evaluation, counters: tuple, excluded: bool) -> None:
    """docs/ir.md step 5 on the closures: every counter's value after the encounter into ``result`` (a counter
    without an update keeps its value), or the first sentinel as the error. ``excluded``: after an excluded
    encounter, by the counters' ``不予支付 则`` updates."""
    env = result.env
    after = []
    for counter in counters:
        update = counter.excluded_update if excluded else counter.update
        if update is None:
            after.append(env[counter.slot])
            continue
        value = update.fn(env)
        if value.__class__ is Sentinel and not (counter.type == "date" and holds_no_date(value, counter.name)):
            result.error, result.error_at = value, M.counter_at(counter.name)
            return
        after.append(value)
    result.counters_after = after


def _step(d: Definition) -> tuple:
    """(slot, default, fold or None, article): how ``run_definitions`` evaluates one definition.

    The fold is ``evaluator.fold``, with the slot holding the value so far so that a self-reference
    inside an exception reads it; the value's article is that of the rule that supplied it."""
    slot, article = d.slot, d.default.article
    exceptions = d.exceptions
    if not exceptions:
        return slot, d.default.expr.fn, None, article
    articles = [e.article for e in exceptions]

    def fold_in(env, v):
        v, supplier = fold(v, exceptions, env, slot, closure_value)
        env[slot] = v
        if v.__class__ is Sentinel and v.article is None:
            v = v.with_article(article if supplier < 0 else articles[supplier])
        return v
    return slot, d.default.expr.fn, fold_in, article


def _check_priorities(exceptions: list, where: str) -> None:
    """The fold applies exceptions in list order, so that order must be ascending priority."""
    priorities = [e.get("priority") for e in exceptions if isinstance(e, dict) and isinstance(e.get("priority"), int)]
    if priorities != sorted(priorities):
        raise IRError(M.text('ir.exceptions_out_of_order', where=where, priorities=priorities))


def _check_type(type_: Any, program: Program, where: str) -> Any:
    if type_ in SCALAR_TYPES:
        return type_
    if isinstance(type_, dict) and set(type_) == {"enum"} and type_["enum"] in program.vocabs:
        return type_
    raise IRError(M.text('ir.unknown_type', where=where, type_=type_))


def _definition_refs(node: CNode, program: Program) -> set:
    return {n.name for n in reads(node) if n.kind == "ref" and program.kind_of.get(n.name) == "definition"}


def _all_keys(dims: list, vocabs: dict) -> list:
    keys = [()]
    for dim in dims:
        keys = [k + (m,) for k in keys for m in vocabs[dim].members]
    return keys

"""The embedding API: ``Regulation`` (one loaded IR) and ``Engine`` (settles cases in the contract's shape).

Load once, settle many: an IR is parsed, checked and compiled into closures when its ``Regulation`` is
built, and from those into one generated Python function (runtime/codegen.py) and one generated input
reader (runtime/inputs.py); ``Engine.settle`` only validates the case and runs them. ``fast=False``
keeps to the closures, which are the specification the generated code is tested against.

    engine = Engine([load(path="dongying-2018.ir.json")])
    result = engine.settle(load_case_text(text, "case.json"))
    print(dumps_output(result.output)); sys.exit(result.status)
"""

from __future__ import annotations

import datetime as _dt
import os
from fractions import Fraction
from typing import Any, Iterable, Optional, Union

from . import contract as C
from . import messages as M
from .casegen import make_case_reader
from .case import FEE_FIELDS, CaseError, CaseText, Problems, check_keys, load_case_text, parse_cuminfo, parse_encounters, parse_person
from .evaluate import Program
from .inputs import Absent, NotCovered, make_input_reader, make_readers, read_inputs
from .ir import CannotSettle, IRError, load_ir
from .jsonout import dumps_output
from .outputgen import make_output_builders
from .regions import RegionIndex
from .limits import RULE_FAULTS
from .trace import build_trace
from .values import amount_decimals, as_whole_fen, format_money, format_percent, money_decimal

__all__ = ["Regulation", "Engine", "SettleResult", "load", "dumps_output", "load_case_text", "CaseError", "IRError"]

class Regulation:
    """One compiled regulation (one IR document)."""

    def __init__(self, doc: dict, *, fast: bool = True) -> None:
        self.ir = doc
        self.fast = fast  # generated code (rules, input and case readers, output builder), else the definitions only
        self.program = Program(doc, fast)
        self.readers = make_readers(self.program)
        readers = self.readers
        self.read_inputs = (make_input_reader(self.program, readers) if fast
                            else lambda person, enc: read_inputs(readers, person, enc))
        reg = doc["regulation"]
        try:
            start = _dt.date.fromisoformat(reg["effective"][0])
            end = _dt.date.fromisoformat(reg["effective"][1]) if reg["effective"][1] else None
        except ValueError:
            raise IRError(M.text('ir.bad_effective_date', item=reg['effective'])) from None
        self._effective = (start, end)
        self.block_parts = (reg["title"], start.isoformat(), end.isoformat() if end else None, doc["sha256"])
        self.scope = _scope(doc)
        self.contribution = None  # its ContributionProgram, compiled on first use (contribute.py)
        # setlinfo and setldetail of a settled encounter (runtime/outputgen.py); None: the general path only,
        # which is also the one that refuses an IR whose contract cannot settle (settlement_problem)
        # (by field name; by position, as the generated evaluator answers, for Engine's plain lane)
        self.build_output, self.build_output_values = (make_output_builders(self.program)
                                                       if fast and self.settlement_problem() is None else (None, None))

    def out_of_scope(self, person: Any, enc: Any) -> Optional[dict]:
        """The YR05 error when the regulation's 适用 clause leaves this person or encounter out, else None."""
        if self.scope is None:
            return None
        field, codes, vocab, members, article = self.scope
        values = person.values if field.startswith("person.") else enc.values
        code = values.get(field)
        if code is None or code in codes:
            return None
        return M.out_of_scope(vocab, str(code), members, article, self.title)

    @classmethod
    def from_ir(cls, ir: Union[dict, str, bytes, os.PathLike, None] = None, *, text: Union[str, bytes, None] = None,
                path: Union[str, os.PathLike, None] = None, verify: bool = True, fast: bool = True) -> "Regulation":
        """From exactly one of: ``ir`` (an IR dict, JSON text or bytes, or a ``pathlib.Path``), ``text=`` (JSON
        text) or ``path=`` (a file; a plain string is a path only when passed as ``path=``). ``verify`` checks
        the sha256 (docs/ir.md); without ``fast`` the rules run on the reference closures only, and inputs
        are read by the closure readers (for differential tests and benchmarks)."""
        return cls(load_ir(ir, text=text, path=path, verify=verify), fast=fast)

    region_code = property(lambda self: self.ir["regulation"]["region_code"])
    region_name = property(lambda self: self.ir["regulation"]["region_name"])
    title = property(lambda self: self.ir["regulation"]["title"])
    effective_article = property(lambda self: self.ir["regulation"].get("effective_article"))
    source = property(lambda self: self.ir["regulation"].get("source"))
    sha256 = property(lambda self: self.ir["sha256"])
    effective = property(lambda self: self._effective, doc="(start, end or None) as dates; end is inclusive")

    def covers(self, date: _dt.date) -> bool:
        start, end = self._effective
        return start <= date and (end is None or date <= end)

    def settlement_problem(self) -> Optional[str]:
        """Why this IR cannot settle claims under the contract it declares (none, a missing output, an
        output of another type), or None."""
        contract, outputs = self.program.contract, self.program.output_of
        if not contract.setlinfo:
            return M.no_contract(self.title)
        for f in contract.fields:
            if f.field not in outputs and not f.optional:
                return M.missing_output(self.title, f.field)
            out = outputs.get(f.field)
            if out is not None and out.type not in (None, f.type):
                return M.output_type(self.title, f.field, f.type, out.type)
        for field in C.READ_BY_SETTLEMENT:
            if field not in contract.setlinfo:
                return M.missing_output(self.title, field)
        return None

    def __repr__(self) -> str:
        start, end = self._effective
        return f"Regulation({self.region_code} {self.title} {start}..{end or ''})"


def load(source: Union[dict, str, bytes, os.PathLike, None] = None, *, text: Union[str, bytes, None] = None,
         path: Union[str, os.PathLike, None] = None, verify: bool = True, fast: bool = True) -> Regulation:
    """Load one IR as a Regulation; the sources are those of ``Regulation.from_ir``."""
    return Regulation.from_ir(source, text=text, path=path, verify=verify, fast=fast)


class ContractOutput(dict):
    """The contract's output object: a plain dict to every consumer, which also remembers the
    regulations that produced it, so ``explain(result.output)`` can cite their articles."""

    regulations: dict = {}

    def __reduce__(self):  # pickles and copies as the plain dict it is (compiled rules do not travel)
        return (dict, (dict(self),))


class SettleResult:
    """``output`` is the contract's JSON object (amounts as Decimal); ``status`` 0 or 1 (any error)."""

    def __init__(self, output: dict, status: int, fees: Optional[list] = None, encounters: Optional[list] = None) -> None:
        self.output = output
        self.status = status
        self._fees = fees
        self._encounters = encounters  # read into fees only when asked (explain asks; most callers never do)

    @property
    def fees(self) -> list:
        """Per encounter: {"01": fen, "02": fen, "03": fen, "overlmt": fen} (for explain)."""
        if self._fees is None:
            self._fees = [_fees_of(enc) for enc in self._encounters or ()]
        return self._fees


class PreparedCase:
    """A validated case: region code, person, encounters, cuminfo and one plan per encounter
    ((encounter, regulation or None, input list or an error dict), see ``Engine._plan``)."""

    __slots__ = ("code", "person", "encounters", "cuminfo", "plans")

    def __init__(self, code: str, person: Any, encounters: list, cuminfo: dict, plans: list) -> None:
        self.code = code
        self.person = person
        self.encounters = encounters
        self.cuminfo = cuminfo
        self.plans = plans


class Engine:
    """Settles cases against a set of regulations (several per region, picked by date)."""

    def __init__(self, regulations: Iterable[Regulation]) -> None:
        regulations = list(regulations)
        for reg in regulations:
            problem = reg.settlement_problem()
            if problem:
                raise CannotSettle(problem)
        self._index = RegionIndex(regulations, _itself, _program, "规定", "结算日期")
        self._by_region = self._index.by_region
        self._schemas = self._index.schemas
        self._names = self._index.names  # region code → name (batch code reads the regions through ``regions``)
        # per region, the generated reader of a plain valid case (runtime/casegen.py); the general one decides the rest
        self._case_readers = {code: make_case_reader(schema) for code, schema in self._schemas.items()
                              if all(reg.fast for reg in self._by_region[code])}
        # what every output remembers (for explain), built once rather than per case
        self._produced_by = {code: {reg.sha256: reg for reg in group} for code, group in self._by_region.items()}
        # per region whose every version runs generated code end to end, its plain lanes (``_settle_plain``)
        self._lanes = {code: tuple(_Lane(reg) for reg in self._by_region[code]) for code in self._case_readers
                       if all(reg.program.fast is not None and reg.build_output is not None
                              for reg in self._by_region[code])}

    @property
    def regions(self) -> RegionIndex:
        """The loaded regions, for evaluators that read a case's fields themselves (the columnar batch path):
        ``by_region`` (code → its regulations by start date), ``schemas`` (code → the fields it reads),
        ``names`` (code → city name), ``region(case, given, problems)`` and ``in_force(code, date)``.
        Read it, never change it."""
        return self._index

    def regulations(self, region: Optional[str] = None) -> list[Regulation]:
        if region is None:
            return [r for code in sorted(self._by_region) for r in self._by_region[code]]
        return list(self._by_region.get(region, []))

    def accepted_cuminfo(self, region: str) -> list[str]:
        """The cuminfo keys a region's regulations accept (the contract lets the engine name them)."""
        return sorted(self._schemas[region].cuminfo) if region in self._schemas else []

    def settle(self, case: dict, *, region: Optional[str] = None, trace: bool = True,
               name: Optional[str] = None) -> SettleResult:
        """Settle one person's encounters. Raises CaseError when the case cannot be used at all."""
        if not trace:
            plain = self._settle_plain(case, region)
            if plain is not None:
                return plain
        return self._settle_general(case, region, trace, name)

    def _settle_general(self, case: Any, region: Optional[str], trace: bool, name: Optional[str]) -> SettleResult:
        """``settle`` by its definition: prepare, each encounter planned and settled, the result."""
        prepared = self.prepare(case, region=region, name=name)
        book = CounterBook(prepared.cuminfo, {}, prepared.encounters[0].date)
        rows = [self._run(plan, prepared.person, book, trace) for plan in prepared.plans]
        return self.result(prepared, rows)

    def prepare(self, case: dict, *, region: Optional[str] = None, name: Optional[str] = None) -> "PreparedCase":
        """Validate a case and plan each encounter (regulation by date, inputs read), without evaluating
        anything: what every evaluator (per-claim, columnar) starts from. Raises CaseError."""
        name = name or getattr(case, "source_name", "<case>")
        problems = Problems(name)
        read = self._quick_reader(case, region)
        parts = None if read is None else read(case)
        if parts is not None:  # a plain valid case, read by the region's generated reader
            code = region if region is not None else case["region"]
            person, encounters, cuminfo = parts
            plans = [self._plan(code, person, enc, problems) for enc in encounters]
            problems.check()
            return PreparedCase(code, person, encounters, cuminfo, plans)
        if not isinstance(case, dict):
            raise CaseError(name, [("$", M.text('case.settle_not_object'))])
        check_keys(case, _TOP_FIELDS, "", problems, _TOP_FIELD_SET)
        code = self._index.region(case, region, problems)
        if code is None:
            problems.check()
        schema = self._schemas[code]
        person = parse_person(case.get("person"), schema, problems)
        encounters = parse_encounters(case.get("encounters"), schema, problems)
        cuminfo = parse_cuminfo(case.get("cuminfo"), schema, problems)
        problems.check()
        plans = [self._plan(code, person, enc, problems) for enc in encounters]
        problems.check()
        return PreparedCase(code, person, encounters, cuminfo, plans)

    def _quick_reader(self, case: Any, region: Optional[str]) -> Any:
        """The generated reader of the region a case names by its own loaded code, when the case's top level
        holds nothing else the general reader would question; else None."""
        if case.__class__ is not CaseText and case.__class__ is not dict or not case.keys() <= _TOP_FIELD_SET:
            return None
        given = region if region is not None else case.get("region")
        if given.__class__ is not str or given != given.strip():
            return None
        return self._case_readers.get(given)

    def _settle_plain(self, case: Any, region: Optional[str]) -> Optional[SettleResult]:
        """``settle(case, trace=False)`` for the common case, in one straight run over the region's generated
        functions: a plain valid case (the generated case reader), each encounter in force under one loaded
        version and in its scope, every input present and covered, no exclusion, no error, the outputs in
        the generated builder's plain shape. Anything else answers None at once, before any side effect,
        and ``settle`` then takes the general path (prepare, _plan, settle_encounter), which is the
        definition and the one that words every error; tests/test_runtime_settle_plain.py compares the two."""
        if case.__class__ is not CaseText and case.__class__ is not dict or not case.keys() <= _TOP_FIELD_SET:
            return None
        code = region if region is not None else case.get("region")
        lanes = self._lanes.get(code) if code.__class__ is str else None
        if lanes is None:  # not a loaded code as given (or a region without lanes): the general path
            return None
        parts = self._case_readers[code](case)
        if parts is None:
            return None
        person, encounters, cuminfo = parts
        insutype = person.insutype
        book = None if len(encounters) == 1 else CounterBook(cuminfo, {}, encounters[0].date)
        rows = []
        for enc in encounters:
            date = enc.date
            for lane in lanes:
                if lane.start <= date and (lane.end is None or date <= lane.end):
                    break
            else:
                return None  # no version in force: the general path words the YR04 error
            try:
                if lane.scoped and lane.reg.out_of_scope(person, enc) is not None:
                    return None
                inputs = lane.read_inputs(person, enc)
                if book is None:  # the person's only encounter: counters at init, or as cuminfo carries them in
                    counters = lane.counters_from(cuminfo) if cuminfo else list(lane.inits)
                else:
                    counters = book.before(lane.program, date)
                kind, _, outs, after, _, _, _ = lane.function(inputs, counters, False, False)
                if kind != 0:
                    return None  # an exclusion or an error: the general path reports it
                built = lane.build_output(outs, insutype)
                if built is None:
                    return None
                for i in lane.money_counters:  # whole fen as an int, else normalise_counters on the general path
                    if after[i].__class__ is not int:
                        return None
            except Exception:  # an input absent or not covered, a malformed value: the general path decides
                return None
            if book is not None:
                book.commit(lane.program, date, after)
            title, start, end, sha256 = lane.block_parts
            rows.append({"mdtrt_id": enc.mdtrt_id, "regulation": {"title": title, "effective": [start, end],
                         "ir_sha256": sha256}, "setlinfo": built[0], "setldetail": built[1]})
        output = ContractOutput(region=code, encounters=rows)
        output.regulations = self._produced_by[code]
        return SettleResult(output, 0, encounters=encounters)

    def result(self, prepared: "PreparedCase", rows: list) -> SettleResult:
        """The contract output of a prepared case's encounter rows."""
        status = 0
        for row in rows:
            if "error" in row:
                status = 1
                break
        output = ContractOutput(region=prepared.code, encounters=rows)
        output.regulations = self._produced_by[prepared.code]
        return SettleResult(output, status, encounters=prepared.encounters)

    # ── steps ──

    def _plan(self, code: str, person: Any, enc: Any, problems: Problems) -> tuple:
        """(encounter, regulation, inputs or an error dict) — regulation chosen by the encounter's date."""
        reg = self._index.in_force(code, enc.date)
        if isinstance(reg, dict):
            return enc, None, reg
        outside = reg.out_of_scope(person, enc)
        if outside is not None:
            return enc, reg, outside
        try:
            return enc, reg, reg.read_inputs(person, enc)
        except Absent as exc:
            scope, _, key = exc.field.partition(".")
            path = f"person.{key}" if scope == "person" else f"{enc.path}.{key}"
            label = C.LABELS.get(key) or self._schemas[code].labels.get(exc.field, exc.input_name)
            problems.add(path, M.missing_field(path, key, label, exc.input_name, reg.title))
        except NotCovered as exc:
            return enc, reg, M.not_covered(exc.field, exc.code, exc.vocab, reg.title)
        return enc, reg, None

    def _run(self, plan: tuple, person: Any, book: "CounterBook", trace: bool) -> dict:
        enc, reg, inputs = plan
        if reg is None or isinstance(inputs, dict):
            return {"mdtrt_id": enc.mdtrt_id, "error": inputs}
        try:
            return settle_encounter(reg, person, enc, inputs, book, trace)
        except RULE_FAULTS as exc:  # a bug, or an IR whose units the compiler never checked, must not sink the batch
            return {"mdtrt_id": enc.mdtrt_id, "error": M.internal(f"{type(exc).__name__}: {exc}")}


class _Lane:
    """What ``Engine._settle_plain`` needs of one fast regulation, bound once at load."""

    __slots__ = ("reg", "program", "start", "end", "scoped", "read_inputs", "function", "build_output",
                 "block_parts", "inits", "cums", "money_counters")

    def __init__(self, reg: Regulation) -> None:
        program = reg.program
        self.reg, self.program = reg, program
        self.start, self.end = reg.effective
        self.scoped = reg.scope is not None
        # the generated reader without its fallback: an absent or uncovered input raises, and the lane declines
        self.read_inputs = getattr(reg.read_inputs, "inline", reg.read_inputs)
        self.function = program.fast.function  # (inputs, counters, need_env, check) -> the generated answer
        self.build_output = reg.build_output_values  # the outputs as ``function`` answers them
        self.block_parts = reg.block_parts
        self.inits = program.counter_inits
        self.cums = tuple((cum, init) for _, _, init, cum in program.counter_specs)
        self.money_counters = tuple(i for i, _ in program.money_counters)

    def counters_from(self, cuminfo: dict) -> list:
        """A fresh CounterBook's ``before`` for the person's first encounter: cuminfo replaces ``init``."""
        return [cuminfo[cum] if cum and cum in cuminfo else init for cum, init in self.cums]


def _scope(doc: dict) -> Optional[tuple]:
    """(field, covered codes, vocabulary, covered members, article) from ``regulation.applies_to``."""
    applies = doc["regulation"].get("applies_to")
    if not applies:
        return None
    vocab = next((v for v in doc["vocabularies"] if v["name"] == applies["vocabulary"]), None)
    if vocab is None or not vocab.get("field"):
        raise IRError(M.text('ir.scope_vocabulary_without_field', item=applies['vocabulary']))
    codes = frozenset(m["code"] for m in vocab["members"] if m["name"] in applies["members"])
    return vocab["field"], codes, vocab["name"], list(applies["members"]), applies.get("article")


def _itself(reg: Regulation) -> Regulation:
    return reg


def _program(reg: Regulation) -> Any:
    return reg.program


def _fees_of(enc: Any) -> dict:
    values = enc.values
    fees = {key: values.get(field, 0) for key, field, _ in FEE_FIELDS}
    fees["overlmt"] = values.get("encounter.overlmt_selfpay", 0)
    return fees


_TOP_FIELDS = list(C.TOP_FIELDS)
_TOP_FIELD_SET = frozenset(C.TOP_FIELDS)


# ── counters across encounters ────────────────────────────────────────────────────────────────


def _period_keys(date: _dt.date) -> dict:
    """The period a date falls in, per counter period: a counter resets when its key changes. Kept by date
    (the same few hundred days recur in every batch); callers only read the dict."""
    keys = _PERIOD_KEYS.get(date)
    if keys is None:
        keys = {"year": (date.year,), "quarter": (date.year, (date.month - 1) // 3), "case": ()}
        if len(_PERIOD_KEYS) < 4096:
            _PERIOD_KEYS[date] = keys
    return keys


_PERIOD_KEYS: dict = {}


class CounterBook:
    """One person's counters, by name, carried across encounters in the order given.

    Keyed by name rather than by regulation, so when the regulation in force changes between two
    encounters the counters continue (the year's admissions do not restart because a new version
    took effect). Each value remembers its period; a value from another year/quarter resets to
    ``init`` before use. ``cuminfo`` (or an example's starting values) replaces ``init`` only in the
    period of the person's first encounter."""

    def __init__(self, cuminfo: dict, start: dict, first_date: _dt.date) -> None:
        self.cuminfo = cuminfo
        self.start = start
        self.first_keys = _period_keys(first_date)
        self.keys: dict[str, tuple] = {}   # counter name → the period its value belongs to
        self.values: dict[str, Any] = {}   # counter name → value
        self._ready: Optional[tuple] = None  # (program, date) of the last ``before``: its keys are in place

    def before(self, program: Any, date: _dt.date) -> list:
        keys = _period_keys(date)
        held_keys, held_values = self.keys, self.values
        first, start, cuminfo = self.first_keys, self.start, self.cuminfo
        if not held_keys and not start and not cuminfo and keys == first:
            # a fresh book in the first period with nothing carried in: every counter at its init (the loop
            # below would say so counter by counter)
            names = program.counter_names
            values = list(program.counter_inits)
            held_keys.update(zip(names, map(keys.__getitem__, program.counter_periods)))
            held_values.update(zip(names, values))
            self._ready = (program, date)
            return values
        values = []
        for name, period, init, cum in program.counter_specs:  # one flat loop: this runs for every encounter
            key = keys[period]
            held = held_keys.get(name)
            if held == key:
                values.append(held_values[name])
                continue
            if held is not None or key != first[period]:
                value = init  # a new year or quarter, or a counter first met after the first period
            elif name in start:
                value = start[name]
            elif cum and cum in cuminfo:
                value = cuminfo[cum]
            else:
                value = init
            held_keys[name] = key
            held_values[name] = value
            values.append(value)
        self._ready = (program, date)
        return values

    def commit(self, program: Any, date: _dt.date, after: list) -> None:
        names = program.counter_names
        ready = self._ready
        if ready is None or ready[0] is not program or ready[1] != date:
            keys = _period_keys(date)
            self.keys.update(zip(names, [keys[period] for period in program.counter_periods]))
        self.values.update(zip(names, after))  # after ``before`` on the same date, the keys are in place


def normalise_counters(program: Any, after: list) -> Optional[str]:
    """Money counters must hold whole fen (docs/ir.md: rounded before a counter); fix the int type."""
    for i, c in program.money_counters:
        value = after[i]
        if value.__class__ is not int:
            whole = as_whole_fen(value)
            if whole is None:
                return M.counter_not_whole_fen(c.name, value)
            after[i] = whole
    return None


# ── one encounter ─────────────────────────────────────────────────────────────────────────────


def settle_encounter(reg: Regulation, person: Any, enc: Any, inputs: list, book: CounterBook, trace: bool) -> dict:
    program = reg.program
    counters = book.before(program, enc.date)
    contract = program.contract
    ev = program.evaluate(inputs, counters, contract.kept, need_env=trace, trusted=True, record=trace)
    if ev.error is not None:
        return {"mdtrt_id": enc.mdtrt_id, "error": M.from_sentinel(ev.error, ev.error_at)}
    built = None
    if ev.excluded is None and reg.build_output is not None:
        built = reg.build_output(ev.outputs, person.insutype)  # the plain case, generated; None: see below
    if built is not None:
        setlinfo, setldetail = built
        problem = normalise_counters(program, ev.counters_after)
    else:  # the general path: the definition, and the one that names what is wrong
        amounts, problem = _setlinfo_fen(ev, contract)
        if problem is None and ev.counters_after is not None:  # an excluded encounter has none unless it counts
            problem = normalise_counters(program, ev.counters_after)
    if problem is not None:
        return {"mdtrt_id": enc.mdtrt_id, "error": M.internal(problem)}
    if ev.counters_after is not None:
        book.commit(program, enc.date, ev.counters_after)
    if built is None:
        setlinfo = amount_decimals(amounts, contract.ratios)
        setldetail = _setldetail(amounts, setlinfo, person.insutype, _limit(program, ev), ev, contract.ratios)
    row: dict = {"mdtrt_id": enc.mdtrt_id, "regulation": _regulation_block(reg), "setlinfo": setlinfo,
                 "setldetail": setldetail}
    if ev.excluded is not None:
        row["excluded"] = {"article": ev.excluded.article, "reason": ev.excluded.reason}
    if trace:
        row["trace"] = build_trace(program, ev.env, _trace_roots(program, ev), ev.decided)
    return row


def _regulation_block(reg: Regulation) -> dict:
    title, start, end, sha256 = reg.block_parts
    return {"title": title, "effective": [start, end], "ir_sha256": sha256}  # new objects: the caller may change them


def _setlinfo_fen(ev: Any, contract: Any) -> tuple:
    """setlinfo as fen (ratio as Fraction), in the declared contract's order, with the contract's invariants
    checked; (values, problem)."""
    out = ev.outputs
    if ev.excluded is not None:
        # docs/ir.md step 3: an excluded encounter pays nothing and the person bears the whole fee; the
        # fields the contract keeps report their declared value
        values = dict.fromkeys(contract.setlinfo, 0)
        for f in contract.kept:
            values[f] = out.get(f, 0)
        values["psn_part_amt"] = values["medfee_sumamt"]
    else:
        values = {f: out.get(f, 0) for f in contract.setlinfo}
    lowest = 0
    for f in contract.money:  # one pass: whole fen, and the lowest amount for the sign check
        value = values[f]
        if value.__class__ is not int:
            value = as_whole_fen(value)
            if value is None:
                return values, M.output_not_whole_fen(f, values[f])
            values[f] = value
        if value < lowest:
            lowest = value
    return values, _violation(values, lowest < 0, contract)


def _violation(v: dict, money_negative: bool, contract: Any) -> Optional[str]:
    if money_negative or _negative_ratio(v, contract.ratios):
        negative = [f for f in contract.setlinfo if v[f] < 0]
        return M.negative_amounts(", ".join(f"{f}={v[f]}" for f in negative))
    funds = 0
    for f in contract.funds:
        funds += v[f]
    if v["fund_pay_sumamt"] != funds:
        return M.funds_do_not_add_up(format_money(v["fund_pay_sumamt"]), format_money(funds))
    if v["medfee_sumamt"] != v["fund_pay_sumamt"] + v["psn_part_amt"]:
        return M.fee_does_not_add_up(format_money(v["medfee_sumamt"]), format_money(v["fund_pay_sumamt"]),
                                     format_money(v["psn_part_amt"]))
    account = v.get("acct_pay")
    if account is not None and "psn_cash_pay" in v and v["psn_part_amt"] != account + v["psn_cash_pay"]:
        return M.account_does_not_add_up(format_money(v["psn_part_amt"]), format_money(account),
                                         format_money(v["psn_cash_pay"]))
    return None


def _negative_ratio(v: dict, ratios: tuple) -> bool:
    for f in ratios:
        ratio = v[f]
        # a Fraction's denominator is positive: its numerator has its sign (and Fraction's own < is slow)
        if (ratio.numerator if ratio.__class__ is Fraction else ratio) < 0:
            return True
    return False


def _limit(program: Any, ev: Any) -> Optional[int]:
    """crt_payb_lmt_amt for the basic fund row, when the IR gives it and it is known."""
    field = program.contract.limit
    out = program.output_of.get(field) if field else None
    if out is None:
        return None
    value = ev.outputs.get(field) if ev.excluded is None else out.expr.fn(ev.env)
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        return None  # an excluded encounter reports the limit only when it is known
    return as_whole_fen(value)


def _setldetail(v: dict, setlinfo: dict, insutype: Optional[str], limit: Optional[int], ev: Any,
                ratios: tuple) -> list[dict]:
    """The fund rows; amounts are the setlinfo's own Decimal objects (immutable, so sharing them is safe)."""
    code, name = C.basic_fund(insutype or "")
    scope = setlinfo["inscp_scp_amt"]
    rows = [_detail_row(code, name, setlinfo["hifp_pay"], scope, money_decimal(limit) if limit is not None else None,
                        _basic_account(v, setlinfo, ev, ratios))]
    for field, (fund_code, fund_name) in C.OTHER_FUNDS.items():
        if v.get(field, 0) != 0:
            rows.append(_detail_row(fund_code, fund_name, setlinfo[field], scope, None,
                                    M.template("detail.other_fund").format(fund_name, setlinfo[field])))
    return rows


def _detail_row(code: str, name: str, amount: Any, scope: Any, limit: Any, info: str) -> dict:
    return dict(zip(C.DETAIL_FIELDS, (code, name, amount, scope, limit, info)))


def _basic_account(v: dict, setlinfo: dict, ev: Any, ratios: tuple) -> str:
    """One line for the slip: how the basic fund's payment came about. Amounts are written as their setlinfo
    Decimals print (the same text as format_money, for a fraction of the cost)."""
    if ev.excluded is not None:
        return M.template("detail.excluded").format(ev.excluded.article or "", ev.excluded.reason, setlinfo["medfee_sumamt"])
    return M.template("detail.basic_fund").format(*[format_percent(v[f]) if f in ratios else setlinfo[f]
                                                for f in C.BASIC_ACCOUNT])


def _trace_roots(program: Any, ev: Any) -> list:
    roots = [e.when for e in program.exclusions[:ev.checked]]
    if ev.excluded is not None:
        return roots + [o.expr for o in program.excluded_outputs(program.contract.kept)]
    return roots + [o.expr for o in program.outputs]

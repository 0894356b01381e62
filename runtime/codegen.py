"""The fast evaluator: one Python function generated from a compiled ``Program`` and ``compile()``d once.

Why: the closure evaluator (``evaluate.py`` with ``expr.py``) pays a Python call per IR node, about 20 µs
an encounter on the 东营 rules. Here every definition becomes a few statements over local variables of
one function. The closure evaluator stays the specification: this module walks the very ``CNode`` trees
it compiled and mirrors it operation by operation (the same Python operation on the same operand
values, the same helpers for rounding and division, the same sentinel objects), and
tests/test_runtime_codegen.py compares the two byte for byte.

Two liberties, both invisible in results:

- A sentinel check is left out where the value cannot be a sentinel. Inputs that a case can never leave
  absent (neither ``optional`` nor an implicit vocabulary input) and counters are taken to be plain
  values. Unless the caller vouches for that (``Program.evaluate(..., trusted=True)``: settlement reads
  its inputs with the case readers and its counters from a CounterBook), the function checks it on
  entry and answers None when it does not hold; the caller then uses the closures.
- A strict operation evaluates all its operands before it looks for the leftmost sentinel, where the
  closures stop at it; so do ``and``/``or`` whose operands cannot be sentinels. Operations are pure, so
  this costs time only in those cases. Only malformed values can make an operation raise; the caller
  then reruns the encounter on the closures, so that even the exception is theirs.

With ``record`` (the trace is wanted) a second function is generated, once, that also stores the value of
every operation it evaluates in a list (``R[k] = …``): the trace then reads what this function decided
(the branch taken, the cell looked up, the exception that applied) instead of evaluating again.

Nothing from the IR becomes code: slots are named s0, s1 …, temporaries t1 …, constants K0 … (bound
in the function's globals); only ints, bools, None and strings are written, with ``repr()``.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Optional

from . import messages as M
from .evaluator import NOT_DECIDED, Evaluation
from .expr import CNode, date_add, date_diff, date_sub, divide, half_up_product, half_up_quotient
from .values import Sentinel, holds_no_date, round_half_up

FUNCTION = "evaluate_encounter"
MAX_DEPTH = 80  # the tokenizer refuses 100 levels of indentation; deeper rules keep the closures
CONSTANT_CELLS = ("lit", "open", "na")
COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
ARITH = {"add": "+", "sub": "-", "mul": "*"}
DATES = {"date_diff": ("_dd", False), "date_add": ("_da", True), "date_sub": ("_ds", True)}  # helper, may give a sentinel
PICK = {"min": "<", "max": ">"}  # builtin min/max keep the first extreme: x replaces it only if strictly beyond


class NotGenerated(Exception):
    """These rules stay on the closures: nested deeper than generated code may be, or an operation this
    generator does not know (the loader refuses those, but a guess must never be generated)."""


class Val:
    """A generated value: a local name or a literal; whether it may be a sentinel, and whether that
    sentinel may still lack an article (a definition then cites its own)."""

    __slots__ = ("code", "ms", "msn")

    def __init__(self, code: str, ms: bool = False, msn: bool = False) -> None:
        self.code = code
        self.ms = ms
        self.msn = msn


UNRECORDED = ("lit", "open", "na", "ref", "self")  # values the trace knows without a record


class GeneratedEvaluator:
    """The fast path (``evaluator.Evaluator``): the generated function, and on demand its recording twin."""

    name = "generated"

    def __init__(self, program: Any, function: Callable) -> None:
        self.program = program
        self.function = function
        self._recording: Optional[tuple] = None  # (function, node id → record index), built on first use
        self.trace_memo: Any = None  # the trace's plans for this record layout (trace.py keeps them here)
        self._output_fields = tuple(o.field for o in program.outputs)

    @classmethod
    def build(cls, program: Any) -> Optional["GeneratedEvaluator"]:
        function = generate(program)
        return None if function is None else cls(program, function)

    def evaluate(self, inputs: list, counters: list, excluded_fields: tuple = (), need_env: bool = True,
                 trusted: bool = False, record: bool = False) -> Optional[Evaluation]:
        decided = None
        try:
            if record:
                function, index = self._recorder()
                values = [NOT_DECIDED] * len(index)
                answer = function(inputs, counters, True, not trusted, values)
                decided = _Record(index, values, self)
            else:
                answer = self.function(inputs, counters, need_env, not trusted)
        except Exception:  # only malformed values raise there: the closures then decide, exception and all
            return None
        if answer is None:
            return None
        return self._evaluation(answer, excluded_fields, decided)

    def _recorder(self) -> tuple:
        if self._recording is None:
            gen = _Gen(self.program, record=True)
            gen.function()
            source = "\n".join(gen.lines) + "\n"
            code = _compile(source, f"<yibao generated, recording: {len(self.program.definitions)} definitions>")
            exec(code, gen.namespace)  # as in ``generate``
            self._recording = (gen.namespace[FUNCTION], gen.recorded)
        return self._recording

    def _evaluation(self, answer: tuple, excluded_fields: tuple, decided: Any) -> Evaluation:
        """The generated function's (kind, checked, outputs, counters after, error, error_at, env), where
        kind is 0 settled, 1 excluded by exclusion number ``checked``, 2 error."""
        kind, checked, outputs, after, error, error_at, env = answer
        program = self.program
        if kind == 1:
            result = Evaluation(env, checked, decided=decided)
            result.excluded = program.exclusions[checked - 1]
            # the few outputs an excluded encounter still reports: on the closures (the trace asks them too)
            return program.finish_excluded(result, excluded_fields)
        named = None if outputs is None else dict(zip(self._output_fields, outputs))
        return Evaluation(env, checked, named, after, error, error_at, decided)


class _Record:
    """What the recording function decided: ``get(node)`` → its value, or NOT_DECIDED. ``home`` (the
    evaluator) keeps what the trace learns about this record layout."""

    __slots__ = ("index", "values", "home")

    def __init__(self, index: dict, values: list, home: Any) -> None:
        self.index = index
        self.values = values
        self.home = home

    def get(self, node: CNode) -> Any:
        k = self.index.get(id(node))
        return NOT_DECIDED if k is None else self.values[k]


def generate(program: Any) -> Optional[Callable]:
    """The generated function ``(inputs, counters, want_env, guard) -> tuple or None`` for ``program``, or None
    when its rules are too deeply nested for generated code. See ``GeneratedEvaluator._evaluation`` for the tuple."""
    try:
        source, namespace = generate_source(program)
        code = _compile(source, f"<yibao generated: {len(program.definitions)} definitions>")
    except (NotGenerated, RecursionError, SyntaxError, MemoryError):
        return None
    exec(code, namespace)  # the source holds only generated names and repr() literals (see the module doc)
    return namespace[FUNCTION]


def _compile(source: str, name: str) -> Any:
    """compile() without its SyntaxWarning for ``1 is True``: an IR whose condition is a literal number gets
    exactly that test (False, as the closures decide), and an embedder's stderr is not the place to say so."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile(source, name, "exec")


def generate_source(program: Any) -> tuple[str, dict]:
    gen = _Gen(program)
    gen.function()
    return "\n".join(gen.lines) + "\n", gen.namespace


def plain_inputs(program: Any) -> list:
    """The input specs a case always supplies as plain values (so the code omits their sentinel checks)."""
    return [spec for spec in program.inputs if not (spec.optional or spec.implicit)]


class _Gen:
    def __init__(self, program: Any, record: bool = False) -> None:
        self.program = program
        self.record = record
        self.recorded: dict[int, int] = {}  # id(node) → index in the record list (the program keeps the nodes)
        self.lines: list[str] = []
        self.depth = 0
        self.temps = 0
        self.namespace: dict = {"S": Sentinel, "_hp": half_up_product, "_hq": half_up_quotient, "_dv": divide,
                                "_rh": round_half_up, "_dd": date_diff, "_da": date_add, "_ds": date_sub,
                                "__builtins__": {}}
        self.constant_names: dict[int, str] = {}
        self.slot_val: dict[int, Val] = {}
        self.self_val: Optional[Val] = None
        self.pending: Optional[str] = None  # the target the next ``strict`` assigns to (see ``expr``)

    # ── writing ──

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def block(self, header: str) -> None:
        self.emit(header)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise NotGenerated(header)

    def end(self) -> None:
        self.depth -= 1

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def const(self, value: Any) -> str:
        if value is None or value.__class__ in (bool, str):
            return repr(value)
        if value.__class__ is int:
            return repr(value) if value >= 0 else f"({value!r})"
        name = self.constant_names.get(id(value))
        if name is None:  # the namespace keeps the object alive, so its id stays unique
            name = f"K{len(self.constant_names)}"
            self.constant_names[id(value)] = name
            self.namespace[name] = value
        return name

    # ── the function ──

    def function(self) -> None:
        p = self.program
        self.block(f"def {FUNCTION}(i, c, w, g{', R' if self.record else ''}):")
        inputs = [f"s{spec.slot}" for spec in p.inputs]
        counters = [f"s{counter.slot}" for counter in p.counters]
        self.emit(f"[{', '.join(inputs)}] = i")
        self.emit(f"[{', '.join(counters)}] = c")
        plain = {spec.slot for spec in plain_inputs(p)}
        dated = {counter.slot for counter in p.counters if counter.type == "date"}  # may hold "no date" yet
        assumed = [f"s{spec.slot}" for spec in p.inputs if spec.slot in plain] + \
            [f"s{counter.slot}" for counter in p.counters if counter.slot not in dated]
        if assumed:
            self.emit(f"if g and ({' or '.join(f'{name}.__class__ is S' for name in assumed)}): return None")
        for spec in p.inputs:
            maybe = spec.slot not in plain
            self.slot_val[spec.slot] = Val(f"s{spec.slot}", maybe, maybe)
        for counter in p.counters:
            maybe = counter.slot in dated
            self.slot_val[counter.slot] = Val(f"s{counter.slot}", maybe, maybe)
        for d in p.definitions:
            self.definition(d)
        env = "[" + ", ".join(f"s{slot}" for slot in range(len(p.slot_of))) + "]"
        self.exclusions(env)
        self.outputs_and_updates(f"({env} if w else None)")
        self.end()

    def definition(self, d: Any) -> None:
        """``run_definitions`` for one definition: the default, the exception fold, the article."""
        target = f"s{d.slot}"
        v = self.expr(d.default.expr, target)  # a default never reads its own definition
        if v.code != target:
            self.emit(f"{target} = {v.code}")
        ms, msn = v.ms, v.msn
        articles = [d.default.article] + [e.article for e in d.exceptions]
        track = len(set(articles)) > 1
        art = f"a{d.slot}"
        if track:
            self.emit(f"{art} = {self.const(d.default.article)}")
        for e in d.exceptions:
            self.self_val = Val(target, ms, msn)
            when = self.expr(e.when)
            self.block(f"if {when.code} is True:")
            x = self.expr(e.expr)
            self.emit(f"{target} = {x.code}")
            if track:
                self.emit(f"{art} = {self.const(e.article)}")
            self.end()
            self.block(f"elif {when.code} is not False:")  # unknown whether it applies: so is the value
            self.emit(f"{target} = {when.code}")
            if track:
                self.emit(f"{art} = {self.const(e.article)}")
            self.end()
            ms, msn = ms or x.ms or when.ms, msn or x.msn or when.msn
        self.self_val = None
        if msn and (track or d.default.article is not None):  # a missing input or a division by zero cites the
            cite = art if track else self.const(d.default.article)  # clause that needed it (citing None changes nothing)
            self.emit(f"if {target}.__class__ is S and {target}.article is None: {target} = {target}.with_article({cite})")
        self.slot_val[d.slot] = Val(target, ms, msn and None in articles)

    def exclusions(self, env: str) -> None:
        for k, exclusion in enumerate(self.program.exclusions, start=1):
            held = self.expr(exclusion.when)
            self.emit(f"if {held.code} is True: return (1, {k}, None, None, None, None, {env})")
            where = self.const(M.exclusion_at(exclusion))
            self.emit(f"if {held.code} is not False: return (2, {k}, None, None, {held.code}, {where}, "
                      f"({env} if w else None))")

    def outputs_and_updates(self, env: str) -> None:
        p = self.program
        checked = len(p.exclusions)
        outs: list[str] = []
        for out in p.outputs:
            v = self.expr(out.expr)
            if v.ms:
                self.emit(f"if {v.code}.__class__ is S: return (2, {checked}, ({''.join(o + ', ' for o in outs)}), "
                          f"None, {v.code}, {self.const(out.field)}, {env})")
            outs.append(v.code)
        outs_tuple = f"({''.join(o + ', ' for o in outs)})"
        after = []
        for counter in p.counters:
            if counter.update is None:
                after.append(f"s{counter.slot}")
                continue
            v = self.expr(counter.update)
            if v.ms:
                kept = f" and not {self.const(holds_no_date)}({v.code}, {self.const(counter.name)})" \
                    if counter.type == "date" else ""
                self.emit(f"if {v.code}.__class__ is S{kept}: return (2, {checked}, {outs_tuple}, None, {v.code}, "
                          f"{self.const(M.counter_at(counter.name))}, {env})")
            after.append(v.code)
        self.emit(f"return (0, {checked}, {outs_tuple}, [{', '.join(after)}], None, None, {env})")

    # ── expressions ──

    def expr(self, n: CNode, target: Optional[str] = None) -> Val:
        """Emit ``n``; its value is a name or literal. ``target`` names the variable an operation's result
        goes to (a definition's own slot: no copy), and must not be read by ``n`` itself."""
        v = self.node(n, target)
        if self.record and n.kind not in UNRECORDED:
            k = self.recorded.setdefault(id(n), len(self.recorded))
            self.emit(f"R[{k}] = {v.code}")
        return v

    def node(self, n: CNode, target: Optional[str]) -> Val:
        kind = n.kind
        if kind == "lit":
            return Val(self.const(n.data))
        if kind in ("open", "na"):
            return Val(self.const(n.data), True, n.data.article is None)
        if kind == "ref":
            return self.slot_val[self.program.slot_of[n.name]]
        if kind == "self":
            return self.self_val
        if kind == "if":
            return self.if_(n, target)
        if kind in ("and", "or"):
            return self.kleene(n, kind == "or", target)
        if kind == "lookup":
            return self.lookup(n, target)
        if kind == "known":
            return self.known(n, target)
        return self.strict_op(n, target)

    def known(self, n: CNode, target: Optional[str]) -> Val:
        """``有 X`` never propagates a sentinel: it asks whether the optional input X is the missing one."""
        arg = self.expr(n.args[0])
        if not arg.ms:
            return Val("True")
        target = target or self.temp()
        self.assign(target, f"not ({arg.code}.__class__ is S and {arg.code}.kind == 'missing')")
        return Val(target)

    def strict(self, vals: list[Val], body: Callable[[str], tuple], produced: tuple = (False, False)) -> Val:
        """``body(target)`` emits the operation on known operands; before it, the operands that may be
        sentinels are tested in order, the leftmost one becoming the result. ``produced`` (or what the
        body returns) says whether the operation itself may give a sentinel."""
        target, self.pending = self.pending or self.temp(), None
        checks = [v for v in vals if v.ms]
        if not checks:
            ms, msn = body(target) or produced
            return Val(target, ms, msn)
        for k, v in enumerate(checks):
            self.emit(f"{'if' if k == 0 else 'elif'} {v.code}.__class__ is S: {target} = {v.code}")
        self.block("else:")
        ms, msn = body(target) or produced
        self.end()
        return Val(target, True, msn or any(v.msn for v in checks))

    def assign(self, target: str, code: str) -> None:
        self.emit(f"{target} = {code}")

    def strict_op(self, n: CNode, target: Optional[str]) -> Val:
        kind, args = n.kind, n.args
        if kind == "round" and args[0].kind in ("mul", "div") and len(args[0].args) == 2:
            inner = [self.expr(a) for a in args[0].args]  # fused as the closures fuse it
            self.pending = target
            a, b = (v.code for v in inner)
            if args[0].kind == "mul":
                return self.strict(inner, lambda t: self.assign(t, f"_hp({a}, {b})"))
            return self.strict(inner, lambda t: self.assign(t, f"_hq({a}, {b})"), (True, True))
        vals = [self.expr(a) for a in args]
        codes = [v.code for v in vals]
        self.pending = target  # taken by ``strict`` once the operands are out of the way
        if kind in ARITH:
            return self.strict(vals, lambda t: self.assign(t, f" {ARITH[kind]} ".join(codes)))
        if kind in COMPARE:
            return self.strict(vals, lambda t: self.assign(t, f"{codes[0]} {COMPARE[kind]} {codes[1]}"))
        if kind in PICK:
            return self.strict(vals, lambda t: self.pick(t, codes, PICK[kind]))
        if kind == "clamp":
            return self.strict(vals, lambda t: self.clamp(t, codes))
        if kind == "count_of":  # 0 + (a is True) + …: an int, as the closures count
            return self.strict(vals, lambda t: self.assign(t, " + ".join(["0"] + [f"({c} is True)" for c in codes])))
        if kind in DATES:  # the closures' own helpers, so that both compute alike
            helper, sentinel = DATES[kind]
            return self.strict(vals, lambda t: self.assign(t, f"{helper}({codes[0]}, {codes[1]})"), (sentinel, sentinel))
        if kind == "div":
            return self.strict(vals, lambda t: self.assign(t, f"_dv({codes[0]}, {codes[1]})"), (True, True))
        unary = {"neg": "-{}", "not": "not {}", "round": "_rh({})"}
        if kind in unary:
            return self.strict(vals, lambda t: self.assign(t, unary[kind].format(codes[0])))
        if kind == "in":
            return self.strict(vals, lambda t: self.assign(t, f"{codes[0]} in {self.const(n.data)}"))
        raise NotGenerated(f"unknown operation {kind!r}")

    def pick(self, target: str, codes: list[str], beyond: str) -> None:
        self.assign(target, codes[0])
        for code in codes[1:]:
            self.assign(target, f"{code} if {code} {beyond} {target} else {target}")

    def clamp(self, target: str, codes: list[str]) -> None:
        """min(max(x, lo), hi), as the closures compute it."""
        self.pick(target, codes[:2], ">")
        self.pick(target, [target, codes[2]], "<")

    def if_(self, n: CNode, target: Optional[str]) -> Val:
        cond = self.expr(n.args[0])
        target = target or self.temp()
        self.block(f"if {cond.code} is True:")
        then = self.expr(n.args[1])
        self.assign(target, then.code)
        self.end()
        self.block(f"elif {cond.code} is False:")
        other = self.expr(n.args[2])
        self.assign(target, other.code)
        self.end()
        self.emit(f"else: {target} = {cond.code}")  # a sentinel condition chooses no branch
        return Val(target, cond.ms or then.ms or other.ms, cond.msn or then.msn or other.msn)

    def kleene(self, n: CNode, decisive: bool, target: Optional[str]) -> Val:
        """``and`` (decided by False) / ``or`` (decided by True); otherwise the first sentinel, if any."""
        word, other = repr(decisive), repr(not decisive)
        parts = [self.capture(a) for a in n.args]
        target = target or self.temp()
        if not any(v.ms for _, v in parts):
            for lines, _ in parts:
                self.lines += lines
            test = " is True or " if decisive else " is not False and "
            self.assign(target, test.join(v.code for _, v in parts) + (" is True" if decisive else " is not False"))
            return Val(target)
        unknown = self.temp()
        self.assign(target, word)
        self.assign(unknown, "None")
        base = self.depth
        for k, (lines, v) in enumerate(parts):  # each operand only while the answer is still open
            self.place(lines, k)
            self.block(f"if {v.code} is not {word}:")
            if v.ms:
                self.emit(f"if {unknown} is None and {v.code}.__class__ is S: {unknown} = {v.code}")
        self.assign(target, f"{other} if {unknown} is None else {unknown}")
        self.depth = base
        return Val(target, True, any(v.msn for _, v in parts))

    def capture(self, n: CNode) -> tuple[list[str], Val]:
        """Generate ``n`` aside, at the current depth, to be placed later (perhaps further in)."""
        saved, self.lines = self.lines, []
        try:
            v = self.expr(n)
        finally:
            captured, self.lines = self.lines, saved
        return captured, v

    def place(self, lines: list[str], extra: int) -> None:
        shift = "    " * extra
        for line in lines:
            if (len(line) - len(line.lstrip(" "))) // 4 + extra > MAX_DEPTH:
                raise NotGenerated(line)
            self.lines.append(shift + line)

    def lookup(self, n: CNode, target: Optional[str]) -> Val:
        keys = [self.expr(a) for a in n.args]
        self.pending = target
        cells = n.table.cell_nodes
        if all(cell.kind in CONSTANT_CELLS for cell in cells.values()):
            single = len(keys) == 1
            mapping = {(key[0] if single else key): cell.data for key, cell in cells.items()}
            sentinels = [v for v in mapping.values() if v.__class__ is Sentinel]
            index = keys[0].code if single else ", ".join(k.code for k in keys)
            table = self.const(mapping)
            return self.strict(keys, lambda t: self.assign(t, f"{table}[{index}]"),
                               (bool(sentinels), any(s.article is None for s in sentinels)))
        return self.strict(keys, lambda t: self.cell_chain(t, keys, cells))

    def cell_chain(self, target: str, keys: list[Val], cells: dict) -> tuple:
        """Cells that are expressions: only the cell the key names is evaluated, as in the closures."""
        key = "(" + "".join(k.code + ", " for k in keys) + ")"
        ms = msn = False
        for k, (cell_key, cell) in enumerate(cells.items()):
            self.block(f"{'if' if k == 0 else 'elif'} {key} == {self.const(cell_key)}:")
            v = self.expr(cell)
            self.assign(target, v.code)
            self.end()
            ms, msn = ms or v.ms, msn or v.msn
        self.emit(f"else: {target} = {self.const({})}[{key}]")  # the closures' KeyError, for the fallback
        return ms, msn

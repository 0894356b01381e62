"""The seam between the loaded program (``evaluate.Program``) and the evaluators that run it.

A ``Program`` is built once from the IR and never changes: slots, vocabularies, tables, counters,
definitions with their exceptions, exclusions and outputs. An evaluator takes that program and, per
encounter, an input list and the counters before it, and answers an ``Evaluation``. Three evaluators
are meant to plug in here, none of them knowing the others:

| evaluator | module | role |
|---|---|---|
| closures | ``evaluate.ClosureEvaluator`` | the specification: one closure per IR node (``expr.py``) |
| generated | ``codegen.GeneratedEvaluator`` | the fast path: one Python function per regulation |
| columnar | ``columnar.ColumnarEvaluator`` | many encounters at once, one column per slot (a ``BatchEvaluator``) |

An evaluator answers ``None`` when it declines an encounter (a malformed value, rules it cannot run);
the program then asks the closures, which always answer (``evaluate_with``; ``evaluate_rows`` for a
``BatchEvaluator``). A new evaluator is built from the ``Program`` alone (``Evaluator(program)``) and
needs nothing from the other two. What an evaluator decided is kept in the
``Evaluation`` (``decided``: the value it gave each IR node it evaluated), so that the trace reads the
decisions instead of evaluating anything again.

Also defined here, once, for every evaluator and the trace: the exception fold (``fold``) and what an
expression reads (``reads``).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional, Protocol, runtime_checkable

from .values import Sentinel

NOT_DECIDED = object()  # what a record answers for a node the evaluator did not evaluate (a branch not taken)


class Evaluation:
    """What one encounter's evaluation produced; ``error`` is the sentinel that made it unsettleable.

    ``decided`` is the evaluator's record: ``decided.get(node)`` is the value it gave an IR node
    (``expr.CNode``), or ``NOT_DECIDED``; it is None when the evaluator keeps no record (the trace then
    asks the closures, which are the specification). A record laid out as a list (``values``) with a
    fixed ``index`` (node id → position) and a ``home`` object with a ``trace_memo`` attribute also lets
    the trace keep plans (trace.py); the generated evaluator's does."""

    __slots__ = ("env", "excluded", "checked", "outputs", "counters_after", "error", "error_at", "decided")

    def __init__(self, env: Optional[list], checked: int = 0, outputs: Optional[dict] = None,
                 counters_after: Optional[list] = None, error: Optional[Sentinel] = None,
                 error_at: Optional[str] = None, decided: Any = None) -> None:
        self.env = env
        self.excluded: Any = None  # the Exclusion that held, if one did
        self.checked = checked    # how many exclusions were evaluated
        self.outputs: dict = {} if outputs is None else outputs
        self.counters_after = counters_after
        self.error = error
        self.error_at = error_at
        self.decided = decided


@runtime_checkable
class Evaluator(Protocol):
    """What the program asks of an evaluator. ``record``: keep what was decided (``Evaluation.decided``)
    for the trace; ``need_env``: the caller wants the environment back; ``trusted``: the inputs come from
    the case readers and the counters from a CounterBook (no sentinel where a case never leaves one)."""

    name: str

    def evaluate(self, inputs: list, counters: list, excluded_fields: tuple, need_env: bool, trusted: bool,
                 record: bool) -> Optional[Evaluation]:
        ...


@runtime_checkable
class BatchEvaluator(Protocol):
    """An evaluator of many encounters at once (the columnar one): one answer per (inputs, counters) row,
    in order, each an ``Evaluation`` or None where it declines (that row then goes to the closures).
    Rows are independent: counters carried across a person's encounters are the caller's business."""

    name: str

    def evaluate_many(self, rows: list, excluded_fields: tuple, need_env: bool, trusted: bool,
                      record: bool) -> list:
        ...


def evaluate_with(evaluator: Optional[Evaluator], reference: Evaluator, inputs: list, counters: list,
                  excluded_fields: tuple = (), need_env: bool = True, trusted: bool = False,
                  record: bool = False) -> tuple:
    """(Evaluation, whether ``evaluator`` declined): ``evaluator``'s answer, or the reference's when it
    declines (or is None). How every evaluator is asked, so that declining means the same everywhere."""
    if evaluator is not None:
        answer = evaluator.evaluate(inputs, counters, excluded_fields, need_env, trusted, record)
        if answer is not None:
            return answer, False
    return reference.evaluate(inputs, counters, excluded_fields, True, trusted, record), evaluator is not None


def evaluate_rows(evaluator: BatchEvaluator, reference: Evaluator, rows: list, excluded_fields: tuple = (),
                  need_env: bool = True, trusted: bool = False, record: bool = False) -> list:
    """``evaluate_with`` for a batch: the batch evaluator's answers, the reference's for the rows it declines."""
    answers = evaluator.evaluate_many(rows, excluded_fields, need_env, trusted, record)
    return [answer if answer is not None else
            reference.evaluate(inputs, counters, excluded_fields, True, trusted, record)
            for answer, (inputs, counters) in zip(answers, rows)]


def fold(value: Any, exceptions: Any, env: list, slot: int, value_of: Callable[[Any, list], Any],
         levels: Optional[list] = None) -> tuple:
    """docs/ir.md's exception fold: ``v = default; for e in exceptions (ascending priority): if when: v = expr``.

    ``env[slot]`` holds the value so far while each exception is looked at, so that a self-reference in
    it reads that value. ``value_of(node, env)`` is a node's value (the closure's, or what an evaluator
    recorded). A condition that is neither True nor False (a sentinel) leaves it unknown whether the
    exception applies, and so the value: it becomes that sentinel. Returns (value, index of the last
    exception that supplied it, or -1); ``levels``, if given, gets the (value before, condition) of each
    exception (the trace walks them)."""
    supplier = -1
    for index, exception in enumerate(exceptions):
        env[slot] = value
        c = value_of(exception.when, env)
        if levels is not None:
            levels.append((value, c))
        if c is True:
            value = value_of(exception.expr, env)
            supplier = index
        elif c is not False:
            value = c
            supplier = index
    return value, supplier


def closure_value(node: Any, env: list) -> Any:
    """``value_of`` for the closures (the specification)."""
    return node.fn(env)


def reads(*roots: Any) -> Iterator[Any]:
    """Every node of the expressions, breadth first, left to right (table cells are not entered: a
    lookup reads its table). The one walk over "what does this expression read"."""
    queue = list(roots)
    i = 0
    while i < len(queue):
        n = queue[i]
        i += 1
        yield n
        queue.extend(n.args)


def names_read(*roots: Any) -> list:
    """The names (``ref``) the expressions read, in order of first reading."""
    found: dict = {}
    for n in reads(*roots):
        if n.kind == "ref":
            found.setdefault(n.name, None)
    return list(found)

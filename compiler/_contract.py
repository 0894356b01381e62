"""The settlement contract's outputs as the rules declare them (``接口 …`` lines), checked against the
``输出`` clauses that give them (part of the resolve pass).

The contract is declared once, in the Shandong settlement model (regulations/shandong/settlement-model.yb),
not in Python: the IR carries it (``contract``) and the runtime reads the output list from there. A program
whose files declare no ``接口`` (a test fixture that adopts only the vocabulary) has no contract: its outputs
are not checked here, and ``settle`` refuses it (it can still run its examples).
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional

from . import ast as A
from ._program import ContractSym, OutputSym
from .diagnostics import did_you_mean

__all__ = ["contract_fields", "fund_total_problems"]


def contract_fields(placed: Iterable, outputs: tuple[OutputSym, ...], report: Callable[..., None]) -> tuple[ContractSym, ...]:
    """The declared contract fields in the order written; YB202 for a field declared twice, YB240 for an
    output the contract does not declare (with a did-you-mean), YB241 for a required field no rule gives."""
    declared: dict[str, ContractSym] = {}
    for p in placed:
        c = p.clause
        if not isinstance(c, A.ContractField):
            continue
        old = declared.get(c.field)
        if old is not None:
            report("YB202", c.span, related=[old.node.span], name=c.field, other=old.node.span)
        else:
            declared[c.field] = ContractSym(node=c, article=p.article)
    if not declared:
        return ()
    given = {o.node.field for o in outputs}
    for o in outputs:
        field = o.node.field
        if field not in declared and not field.startswith("contribution."):  # the contribution contract's own
            report("YB240", o.node.span, hints=did_you_mean(field, declared), name=field)
    for sym in declared.values():
        if not sym.node.optional and sym.node.field not in given:
            report("YB241", sym.node.span, name=sym.node.field, label=sym.node.label)
    return tuple(declared.values())


# ── the fund total ───────────────────────────────────────────────────────────────────────────

FUND_TOTAL = "fund_pay_sumamt"


def fund_total_problems(program, report: Callable[..., None]) -> None:
    """YB242 when ``fund_pay_sumamt`` is written as a plain sum whose addends are not the outputs of the fields
    declared ``基金``: the runtime would refuse every such encounter (YR90, funds do not add up), so the
    mismatch is said at the 接口 line of the total. Only checked where both sides are plain sums of names
    (``+`` of definitions without exceptions, 0元 dropped): anything else is the runtime's to check."""
    contract = {c.node.field: c for c in program.contract}
    outputs = {o.node.field: o.node.expr for o in program.outputs}
    if FUND_TOTAL not in contract or FUND_TOTAL not in outputs:
        return
    total = _addends(program, outputs[FUND_TOTAL])
    funds: list = []
    for field, c in contract.items():
        if c.node.role == "fund" and field in outputs:
            part = _addends(program, outputs[field])
            if part is None:
                return
            funds += part
    if total is None or sorted(total) == sorted(funds):
        return
    missing = sorted(set(total) - set(funds)) or sorted(set(funds) - set(total))
    report("YB242", contract[FUND_TOTAL].node.span, names="、".join(missing))


def _addends(program, expr) -> Optional[list]:
    """The names a plain sum adds up (through definitions that are themselves plain sums), or None."""
    if isinstance(expr, A.MoneyLit) and expr.yuan == 0:
        return []
    if isinstance(expr, A.Binary) and expr.op is A.BinaryOp.ADD:
        left, right = _addends(program, expr.left), _addends(program, expr.right)
        return None if left is None or right is None else left + right
    if not isinstance(expr, A.NameRef):
        return None
    binding = program.bindings.get(expr)
    name = getattr(binding, "name", None)
    if name is None:
        return None
    sym = program.definition(name)
    if sym is None or not isinstance(sym.node, A.Definition):
        return [name]
    if program.exceptions.get(name):
        # a sum with exceptions may stand for its addends or not: not comparable
        return None if _is_sum(sym.node.expr) else [name]
    return _addends(program, sym.node.expr) if _is_sum(sym.node.expr) else [name]


def _is_sum(expr) -> bool:
    return isinstance(expr, A.NameRef) or (isinstance(expr, A.Binary) and expr.op is A.BinaryOp.ADD)

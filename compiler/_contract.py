"""The settlement contract's outputs as the rules declare them (``接口 …`` lines), checked against the
``输出`` clauses that give them (part of the resolve pass).

The contract is declared once, in the Shandong settlement model (regulations/shandong/settlement-model.yb),
not in Python: the IR carries it (``contract``) and the runtime reads the output list from there. A program
whose files declare no ``接口`` (a test fixture that adopts only the vocabulary) has no contract: its outputs
are not checked here, and ``settle`` refuses it (it can still run its examples).
"""

from __future__ import annotations

from typing import Callable, Iterable

from . import ast as A
from ._program import ContractSym, OutputSym
from .diagnostics import did_you_mean

__all__ = ["contract_fields"]


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

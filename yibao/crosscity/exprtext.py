"""An IR expression written back in the rule language's own notation (``1000元``, ``85%``, ``若 … 则 … 否则 …``).

The one renderer of IR values as text: the matrix's cells (matrix.py) and the semantic diff's old and new values
(yibao/change/semantic.py) both go through ``expr_text``; money totals through ``money_text(fen, cents=True)``.
"""

from __future__ import annotations

from decimal import Decimal

_INFIX = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">",
          "ge": "≥", "and": "且", "or": "或", "date_diff": "−", "date_add": "+", "date_sub": "−"}
_CALLS = {"min": "最小", "max": "最大", "round": "四舍五入", "clamp": "介于", "count_of": "个数"}


def money_text(fen: int, cents: bool = False) -> str:
    """``1000元`` as the rule language writes it; with ``cents`` always to the fen (``1000.00元``), for totals."""
    sign = "−" if fen < 0 else ""
    yuan, part = divmod(abs(fen), 100)
    return f"{sign}{yuan}元" if part == 0 and not cents else f"{sign}{yuan}.{part:02d}元"


def rate_text(rate: str) -> str:
    percent = (Decimal(rate) * 100).normalize()
    return f"{percent:f}%"


def expr_text(e: dict) -> str:
    if "money" in e:
        return money_text(e["money"])
    if "rate" in e:
        return rate_text(e["rate"])
    if "count" in e:
        return str(e["count"])
    if "bool" in e:
        return "真" if e["bool"] else "假"
    if "date" in e:
        return e["date"]
    if "enum" in e:
        return e["member"]
    if "ref" in e:
        return e["ref"]
    if "open" in e:
        return "待定"
    if "na" in e:
        return "不适用"
    return _op_text(e)


def _op_text(e: dict) -> str:
    op, args = e.get("op"), [_operand(a) for a in e.get("args", ())]
    if op in _INFIX and len(args) == 2:
        return f"({args[0]} {_INFIX[op]} {args[1]})"
    if op == "if":
        return f"若 {expr_text(e['args'][0])} 则 {expr_text(e['args'][1])} 否则 {expr_text(e['args'][2])}"
    if op == "not":
        return f"非 {args[0]}"
    if op == "neg":
        return f"−{args[0]}"
    if op == "in":
        return f"{args[0]} 属于 {{{', '.join(e.get('members', ()))}}}"
    if op == "lookup":
        return f"{e.get('table')}[{', '.join(args)}]"
    if op == "known":
        return f"有 {args[0]}"
    return f"{_CALLS.get(op, op)}({', '.join(args)})"  # min, max, …; an unknown operation still shows its operands


def _operand(e: dict) -> str:
    # 若 … 则 … 否则 … reaches to the end of the expression, so inside another operation it needs its parentheses
    text = expr_text(e)
    return f"({text})" if e.get("op") == "if" else text

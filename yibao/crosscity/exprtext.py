"""An IR expression written back in the rule language's own notation, for the matrix's formula cells."""

from __future__ import annotations

from decimal import Decimal

_INFIX = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">",
          "ge": "≥", "and": "且", "or": "或", "date_diff": "−", "date_add": "+", "date_sub": "−"}
_CALLS = {"min": "最小", "max": "最大", "round": "四舍五入", "clamp": "介于", "count_of": "个数"}


def money_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}元" if cents == 0 else f"{sign}{yuan}.{cents:02d}元"


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
    op, args = e["op"], [expr_text(a) for a in e.get("args", [])]
    if op in _INFIX:
        return f"({args[0]} {_INFIX[op]} {args[1]})"
    if op in _CALLS:
        return f"{_CALLS[op]}({', '.join(args)})"
    if op == "if":
        return f"若 {args[0]} 则 {args[1]} 否则 {args[2]}"
    if op == "not":
        return f"非 {args[0]}"
    if op == "neg":
        return f"−{args[0]}"
    if op == "in":
        return f"{args[0]} 属于 {{{', '.join(e['members'])}}}"
    if op == "lookup":
        return f"{e['table']}[{', '.join(args)}]"
    if op == "known":
        return f"有 {args[0]}"
    return op

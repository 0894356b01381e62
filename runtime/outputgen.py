"""The per-regulation output builder: one generated function that turns a settled encounter's outputs into
its ``setlinfo`` and ``setldetail``, checked as the contract asks.

Why: the general path in settle.py (``_setlinfo_fen``, ``_setlinfo_json``, ``_setldetail``) loops over the
contract's fields, looks each one up, checks its type and builds its Decimal, about 6 µs an encounter.
Here the same work is one straight run of statements over local variables, fixed once per regulation: which
outputs the IR gives (a fund it leaves out is the literal 0), which field is a ratio, which funds add up.

The general path stays the definition. The generated function only takes the plain case: every amount an
``int`` of fen in range, the ratio an ``int`` or ``Fraction``, nothing negative, the sums adding up. For
anything else (a Fraction amount, a broken invariant) it answers None and settle.py takes the general path,
which then gives the same result or the same YR90 error. tests/test_runtime_outputgen.py compares the two.

Nothing from the IR becomes code: field names enter the source only as ``repr()`` literals (dict keys and
look-ups), values are locals v0 …, d0 …, constants K0 … bound in the function's globals, and the function
runs without builtins. The field list comes from ``contract.output_shape``, the one place that names it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from . import contract as C
from . import messages as M
from .values import _BASIS_POINT, _CENT, _EXACT_LIMIT, _MULTIPLY, _ZERO, as_whole_fen, format_percent, money_decimal

FUNCTION = "build_output"
BY_POSITION = "build_output_values"


def make_output_builders(program: Any) -> tuple:
    """(``build(outputs, insutype)``, ``build_values(values, insutype)``): the builder, taking the outputs by
    field name, and the same builder taking them as the generated evaluator gives them, one value per
    ``program.outputs`` in order (the per-claim lane: no dict of outputs is built)."""
    source, namespace = generate_source(program)
    exec(compile(source, f"<yibao output builder: {len(program.outputs)} outputs>", "exec"), namespace)
    return namespace[FUNCTION], namespace[BY_POSITION]


def crt_limit(value: Any) -> Any:
    """crt_payb_lmt_amt as written: the limit's Decimal when it is a whole number of fen, else None (as
    settle.py's ``_limit``: an unknown limit is not reported)."""
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        return None
    whole = as_whole_fen(value)
    return None if whole is None else money_decimal(whole)


class _Source:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict = {"F": Fraction, "I": int, "_m": _MULTIPLY, "_c": _CENT, "_bp": _BASIS_POINT, "_z": _ZERO,
                                "_pc": format_percent, "_lim": crt_limit, "S": str, "__builtins__": {}}

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def const(self, value: Any) -> str:
        name = f"K{sum(1 for key in self.namespace if key.startswith('K'))}"
        self.namespace[name] = value
        return name


def generate_source(program: Any) -> tuple[str, dict]:
    shape = C.output_shape(program)
    given = program.output_of
    out = _Source()
    local = {field: f"v{k}" for k, field in enumerate(shape.setlinfo)}
    decimal = {field: f"d{k}" for k, field in enumerate(shape.setlinfo)}
    money = [f for f in shape.setlinfo if f not in shape.ratios]
    present = [f for f in shape.setlinfo if f in given]
    position = {o.field: k for k, o in enumerate(program.outputs)}
    for field in shape.setlinfo:  # a fund the IR leaves out pays 0 (docs/contract.md)
        out.emit(f"{local[field]} = o[{position[field]}]" if field in given else f"{local[field]} = 0")
    checked = [f for f in money if f in present]
    limit = out.const(_EXACT_LIMIT)
    if checked:  # anything but an int of fen in range goes to the general path
        out.emit("if " + " or ".join(f"{local[f]}.__class__ is not I" for f in checked) + ": return None")
        out.emit("if " + " or ".join(f"{local[f]} < 0 or {local[f]} >= {limit}" for f in checked) + ": return None")
    for field in shape.ratios:
        v = local[field]
        out.emit(f"if {v}.__class__ is F: n{v}, q{v} = {v}.numerator, {v}.denominator")
        out.emit(f"elif {v}.__class__ is I: n{v}, q{v} = {v}, 1")
        out.emit("else: return None")
        out.emit(f"if n{v} < 0: return None")
    funds = " + ".join(local[f] for f in shape.funds if f in present) or "0"
    total, person = local["fund_pay_sumamt"], local["psn_part_amt"]
    out.emit(f"if {total} != {funds} or {local['medfee_sumamt']} != {total} + {person}: return None")
    if "acct_pay" in local and "psn_cash_pay" in local:  # the account step: psn_part_amt = acct_pay + psn_cash_pay
        out.emit(f"if {person} != {local['acct_pay']} + {local['psn_cash_pay']}: return None")
    for field in shape.setlinfo:
        v, d = local[field], decimal[field]
        if field in shape.ratios:  # values.rate_decimal for a ratio that is not negative
            out.emit(f"{d} = _m((20000 * n{v} + q{v}) // (2 * q{v}), _bp)")
        elif field in present:
            out.emit(f"{d} = _m({v}, _c) if {v} else _z")
        else:
            out.emit(f"{d} = _z")
    out.emit("s = {" + ", ".join(f"{field!r}: {decimal[field]}" for field in shape.setlinfo) + "}")
    if shape.limit in given:  # crt_limit's Decimal, inline for an int of fen in range
        out.emit(f"L = o[{position[shape.limit]}]")
        out.emit(f"L = _m(L, _c) if L.__class__ is I and 0 <= L < {limit} else _lim(L)")
    else:
        out.emit("L = None")
    out.emit(f"b = {out.const(C.BASIC_FUND)}.get(t) or {out.const(C.basic_fund(''))}")
    # an amount cited as its str: the text str.format would give (a Decimal of whole fen prints the same
    # either way), without Decimal.__format__, which costs three times as much
    cited = [(_percent(local[f]) if f in shape.ratios else f"S({decimal[f]})") for f in shape.basic_account]
    account = out.const(M.template("detail.basic_fund").format)
    scope, paid = decimal[shape.scope], decimal[shape.basic_pay]
    info = f"{account}({', '.join(cited)})"
    out.emit(f"r = [{_row('b[0]', 'b[1]', paid, scope, 'L', info)}]")
    other = out.const(M.template("detail.other_fund").format)
    for field, (code, name) in shape.other_funds.items():
        if field in present:
            k_code, k_name = out.const(code), out.const(name)
            info = f"{other}({k_name}, S({decimal[field]}))"
            out.emit(f"if {local[field]}: r.append({_row(k_code, k_name, decimal[field], scope, 'None', info)})")
    out.emit("return s, r")
    read = set(shape.setlinfo) | {shape.limit}  # by name: the fields the builder reads, None for the others
    values = ", ".join(f"o[{o.field!r}]" if o.field in read else "None" for o in program.outputs)
    return (f"def {BY_POSITION}(o, t):\n" + "\n".join(out.lines) + "\n\n"
            f"def {FUNCTION}(o, t):\n    return {BY_POSITION}(({values}{',' if len(program.outputs) == 1 else ''}), t)\n",
            out.namespace)


def _percent(v: str) -> str:
    """format_percent of a ratio that is not negative, with its whole-percent case inline (the commonest)."""
    return f"(S(n{v} * 100 // q{v}) + '%' if n{v} * 100 % q{v} == 0 else _pc({v}))"


def _row(code: str, name: str, amount: str, scope: str, limit: str, info: str) -> str:
    """One setldetail row's dict display, in the contract's key order (settle.py's ``_detail_row``)."""
    values = (code, name, amount, scope, limit, info)
    return "{" + ", ".join(f"{key!r}: {value}" for key, value in zip(C.DETAIL_FIELDS, values)) + "}"

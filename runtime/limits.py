"""The runtime's documented limits (docs/limits.md) and the cheap checks that enforce them before any
expensive work.

Every limit here exists because something past it costs far more than its size suggests: a Decimal
like ``1e999999999`` is 11 characters but has a billion digits once converted; JSON nested a thousand
deep exhausts the interpreter's stack inside ``json.loads``; an expression nested a thousand deep does
the same in the evaluator. So each is checked on the raw input, in time linear in its length, and past
it the input is refused with a message naming the limit, never a hang or a traceback.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Optional

from . import messages as M

# ── amounts (case JSON) ───────────────────────────────────────────────────────────────────────
# The largest amount a case may carry, in yuan: 999 999 999 999.99 (just under 10^12 yuan). No
# encounter's fees nor any monthly wage comes near it, and below it every product with a rate stays a
# small exact fraction.
MAX_AMOUNT_YUAN_DIGITS = 12
MAX_AMOUNT_FEN = 10 ** (MAX_AMOUNT_YUAN_DIGITS + 2) - 1
MAX_AMOUNT_TEXT = "999999999999.99"
# digits after the point that are accepted at all (10.500 is 10.50; more trailing zeros than this is noise)
MAX_DECIMAL_PLACES = 20
# the largest count (cuminfo counts, count-typed extension fields)
MAX_COUNT = 10 ** 9

# ── case documents ────────────────────────────────────────────────────────────────────────────
MAX_CASE_BYTES = 16 * 1024 * 1024   # one case file or stdin
MAX_CASE_DEPTH = 32                 # JSON nesting of a case (the contract needs 4)
MAX_JSON_INT_DIGITS = 40            # a JSON integer literal in a case; longer is refused before int()

# What evaluating a loaded IR can raise when its expressions mix units or shapes the compiler never emits
# (an embedder's IR passes the schema, runtime/schema.py, but is not type-checked): the encounter gets
# YR90, the other encounters and cases go on.
RULE_FAULTS = (ArithmeticError, AttributeError, IndexError, KeyError, TypeError, ValueError, RecursionError)

# ── IR documents ──────────────────────────────────────────────────────────────────────────────
MAX_IR_BYTES = 64 * 1024 * 1024
MAX_IR_EXPR_DEPTH = 200   # nesting of expression nodes; the compiler refuses deeper rules (YB106)
MAX_IR_DEPTH = 2 * MAX_IR_EXPR_DEPTH + 16   # JSON nesting of a whole IR document
MAX_IR_INT_DIGITS = 30    # an integer literal in IR (fen, counts, priorities)


def amount_problem_decimal(value: Decimal) -> Optional[str]:
    """Why a finite JSON number (read as Decimal) cannot be an amount, judged on its exponent and digit
    count alone, before it is ever expanded; None when it is in range."""
    sign, digits, exponent = value.as_tuple()
    if len(digits) > MAX_AMOUNT_YUAN_DIGITS + MAX_DECIMAL_PLACES + 1 or exponent < -MAX_DECIMAL_PLACES:
        return _too_many_digits()
    if any(digits) and value.adjusted() >= MAX_AMOUNT_YUAN_DIGITS:
        return _out_of_range()
    return None


def _too_many_digits() -> str:
    return M.text('amount.too_many_digits', digits=MAX_AMOUNT_YUAN_DIGITS)


def _out_of_range() -> str:
    return M.text('amount.out_of_range', max=MAX_AMOUNT_TEXT)


def amount_problem_text(text: str) -> Optional[str]:
    """The same for an amount given as a string or an integer's decimal text."""
    whole, _, places = text.lstrip("-").partition(".")
    if len(places) > MAX_DECIMAL_PLACES:
        return _too_many_digits()
    if len(whole.lstrip("0")) > MAX_AMOUNT_YUAN_DIGITS:
        return _out_of_range()
    return None


def amount_problem_fen(fen: int) -> Optional[str]:
    return _out_of_range() if fen > MAX_AMOUNT_FEN else None


def json_depth_problem(text: str, limit: int) -> Optional[tuple[int, int, str]]:
    """Where JSON ``text`` first nests deeper than ``limit`` (line, column, message), or None.

    One linear pass that skips string contents, so ``json.loads`` (which recurses on the C stack and
    raises RecursionError past about a thousand levels) never sees a document deeper than the limit.
    Malformed JSON is left to ``json.loads`` to report.
    """
    if text.count("[") + text.count("{") <= limit:
        return None  # the usual document: too few brackets to nest that deep, no scan needed
    depth = 0
    line, line_start = 1, 0
    for i, ch in _outside_strings(text):
        if ch == "[" or ch == "{":
            depth += 1
            if depth > limit:
                return line, i - line_start + 1, M.text('json.too_deep', limit=limit)
        elif ch == "]" or ch == "}":
            depth -= 1
        elif ch == "\n":
            line, line_start = line + 1, i + 1
    return None


def long_integer_problem(text: str, limit: int) -> Optional[str]:
    """A JSON integer literal longer than ``limit`` digits (Python refuses to convert 4,300 digits and
    slows down well before), found by a linear scan outside strings; None when there is none."""
    if not re.search("[0-9]{%d}" % (limit + 1), text):
        return None  # the usual document: no run of digits that long anywhere, not even in a string
    run = 0
    for _, ch in _outside_strings(text):
        if "0" <= ch <= "9":
            run += 1
            if run > limit:
                return M.text('json.long_number', limit=limit)
        else:
            run = 0  # a string's opening quote ends a run too
    return None


def _outside_strings(text: str):
    """(index, character) of every character of JSON ``text`` that is not inside a string literal, the
    opening quote of each string included: what both scanners above need, with the escapes handled once."""
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        yield i, ch


def shown_path(path: str, keep: int = 60) -> str:
    """A JSON path short enough for a message: its first and last ``keep`` characters around an ellipsis."""
    return path if len(path) <= 2 * keep + 1 else f"{path[:keep]}…{path[-keep:]}"

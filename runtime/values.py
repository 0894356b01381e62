"""Exact values: fen, rates, half-up rounding, dates, and the sentinels of docs/ir.md.

Money is an ``int`` of fen; exact money (a product before its ``round`` node) and rates are
``fractions.Fraction``. Nothing here ever touches binary floating point: Python's built-in rounding
rounds half to even and a float cannot even hold 0.85, so neither may decide a fen.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Context, Decimal
from fractions import Fraction
from typing import Any, Optional, Union

from . import limits
from . import messages as M

Number = Union[int, Fraction]

_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_DATE_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME_TEXT = re.compile(r"([0-2][0-9]):([0-5][0-9]):([0-5][0-9])")


# ── rounding ──────────────────────────────────────────────────────────────────────────────────


def round_half_up(x: Number) -> int:
    """四舍五入 to a whole number, half away from zero for negatives: 858.5 → 859, −858.5 → −859."""
    if isinstance(x, int):
        return x
    return half_up_ratio(x.numerator, x.denominator)  # a Fraction's denominator is > 0


def half_up_ratio(n: int, d: int) -> int:
    """n / d (d > 0) 四舍五入 to a whole number, in integers only."""
    if n >= 0:
        return (2 * n + d) // (2 * d)
    return -((-2 * n + d) // (2 * d))


def as_whole_fen(x: Number) -> Optional[int]:
    """The int value of an exact amount when it is a whole number of fen, else None."""
    if isinstance(x, int):
        return x
    return x.numerator if x.denominator == 1 else None


# ── formatting (exact text, never through float) ──────────────────────────────────────────────


def format_money(fen: int) -> str:
    """7820 yuan as 782000 fen → "7820.00"."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


# a private context: the caller's decimal context (precision, traps) must not touch our amounts
_EXACT = Context(prec=60)
_EXACT_LIMIT = 10**58
_ZERO = Decimal("0.00")
_CENT = Decimal("0.01")
_BASIS_POINT = Decimal("0.0001")
_MULTIPLY = _EXACT.multiply  # bound once: the call is half the cost of Decimal(fen).scaleb(-2, _EXACT)


def money_decimal(fen: int) -> Decimal:
    """The contract's JSON amount: a Decimal with exactly two places (7820.00), exact."""
    if fen == 0:
        return _ZERO  # the commonest amount; Decimal is immutable, so one instance serves all
    if -_EXACT_LIMIT < fen < _EXACT_LIMIT:
        return _MULTIPLY(fen, _CENT)  # exact: fen × 0.01 has far fewer digits than the context holds
    return Decimal(format_money(fen))


def amount_decimals(amounts: dict, ratios: tuple) -> dict:
    """``money_decimal`` of each amount (``rate_decimal`` for the fields in ``ratios``), in the same order.
    One plain loop with the usual case inline: this builds every settled encounter's setlinfo."""
    out = {}
    for field, x in amounts.items():
        if field in ratios:
            out[field] = rate_decimal(x)
        elif x.__class__ is int and -_EXACT_LIMIT < x < _EXACT_LIMIT:
            out[field] = _MULTIPLY(x, _CENT) if x else _ZERO
        else:
            out[field] = money_decimal(x)
    return out


def _parts(x: Union[Number, Decimal]) -> tuple[int, int]:
    if x.__class__ is Fraction:  # the usual rate
        return x.numerator, x.denominator
    if isinstance(x, int):
        return x, 1
    if isinstance(x, Decimal):
        return x.as_integer_ratio()
    return x.numerator, x.denominator


def format_rate4(rate: Number) -> str:
    """A ratio with four decimals (the contract's ``pool_prop_selfpay``): 0.85 → "0.8500"."""
    n, d = _parts(rate)
    q = round_half_up(Fraction(n * 10000, d)) if n < 0 else (2 * n * 10000 + d) // (2 * d)
    sign = "-" if q < 0 else ""
    q = abs(q)
    return f"{sign}{q // 10000}.{q % 10000:04d}"


def rate_decimal(rate: Number) -> Decimal:
    n, d = _parts(rate)
    if n >= 0:
        return _MULTIPLY((2 * n * 10000 + d) // (2 * d), _BASIS_POINT)
    return Decimal(format_rate4(rate))


def exact_decimal_text(x: Number, min_places: int = 0, max_places: int = 12) -> Optional[str]:
    """``x`` as exact decimal text with at least ``min_places`` decimals, or None if it does not terminate."""
    n, d = _parts(x) if x.__class__ is Fraction or x.__class__ is int else _parts(Fraction(x))
    for places in range(min_places, max_places + 1):  # in ints: Fraction arithmetic costs a Python call per step
        q, rest = divmod(n * 10**places, d)
        if rest == 0:
            sign = "-" if q < 0 else ""
            q = abs(q)
            if places == 0:
                return f"{sign}{q}"
            return f"{sign}{q // 10**places}.{q % 10**places:0{places}d}"
    return None


def format_exact_money(x: Number) -> str:
    """Money for display: whole fen as "800.00"; exact (unrounded) money as its exact yuan text."""
    whole = as_whole_fen(x)
    if whole is not None:
        return format_money(whole)
    text = exact_decimal_text(Fraction(x) / 100, 2)
    return text if text is not None else f"{Fraction(x) / 100}"


def format_rate(x: Number) -> str:
    """A rate for display: four decimals when exact (like pool_prop_selfpay), else all it needs."""
    text = exact_decimal_text(x, 4)
    return text if text is not None else str(Fraction(x))


def format_percent(x: Number) -> str:
    """0.85 → "85%", 0.755 → "75.5%" (for the Chinese slip)."""
    n, d = _parts(x)
    if n >= 0 and (n * 100) % d == 0:
        return f"{n * 100 // d}%"
    exact = Fraction(n, d) * 100
    text = exact_decimal_text(exact)
    return f"{text if text is not None else format_rate4(exact)}%"


# ── parsing ───────────────────────────────────────────────────────────────────────────────────


def parse_rate_text(text: str) -> Fraction:
    """An IR rate literal ("0.85") to an exact Fraction. ValueError when it is not plain decimal text."""
    if not isinstance(text, str) or not _DECIMAL_TEXT.fullmatch(text):
        raise ValueError(M.text('rate.not_decimal_text', text=text))
    return Fraction(text)


def yuan_to_fen(value: object) -> int:
    """A contract amount in yuan (JSON number read as Decimal or int, numeric string, or "") to fen.

    Raises ValueError with a Chinese reason. More than two decimals is an error unless the extra
    digits are zeros (10.500 is 10.50 yuan; 10.505 is not an amount).
    """
    cls = value.__class__
    if cls is str:  # the common forms, "7820" and "7820.5" / "7820.50", without the regex and Decimal below
        whole, dot, cents = value.partition(".")
        if (len(whole) <= limits.MAX_AMOUNT_YUAN_DIGITS and value.isascii() and whole.isdigit()
                and (not dot or (cents.isdigit() and len(cents) <= 2))):
            return int(whole) * 100 + (int(cents) * (10 if len(cents) == 1 else 1) if dot else 0)
    elif cls is int and 0 <= value <= limits.MAX_AMOUNT_FEN // 100:
        return value * 100
    elif cls is Decimal and value.is_finite() and -6 < value.adjusted() < limits.MAX_AMOUNT_YUAN_DIGITS:
        n, d = value.as_integer_ratio()  # exact, whatever the decimal context; small: the exponent is bounded
        if n >= 0 and (n * 100) % d == 0:
            return n * 100 // d
    if isinstance(value, bool) or value is None:
        raise ValueError(M.text('amount.not_amount'))
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0
        if not _DECIMAL_TEXT.fullmatch(text):
            raise ValueError(M.text('amount.not_amount_text', value=value[:40]))
        _refuse(limits.amount_problem_text(text))
        n, d = Decimal(text).as_integer_ratio()
    elif isinstance(value, int):
        _refuse(limits.amount_problem_fen(value * 100) if value >= 0 else None)
        n, d = value, 1
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(M.text('amount.not_finite', value=value))
        _refuse(limits.amount_problem_decimal(value))  # before as_integer_ratio, which expands 1e999999999
        n, d = value.as_integer_ratio()  # exact, whatever the decimal context
    else:
        raise ValueError(M.text('amount.float'))
    if n < 0:
        raise ValueError(M.text('amount.negative', value=value))
    fen, rest = divmod(n * 100, d)
    if rest:
        raise ValueError(M.text('amount.beyond_fen', value=value))
    _refuse(limits.amount_problem_fen(fen))
    return fen


def _refuse(problem: Optional[str]) -> None:
    if problem is not None:
        raise ValueError(problem)


def parse_count(value: object) -> int:
    """A non-negative whole count (JSON integer, integral Decimal or numeric string)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(M.text('count.not_count'))
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value.strip()) or len(value) > 40:
            raise ValueError(M.text('count.not_integer_text', value=value[:40]))
        value = Fraction(value.strip())
    elif isinstance(value, Decimal):
        if not value.is_finite() or not -40 < value.adjusted() < 40:
            raise ValueError(M.text('count.not_integer', value=value))
        value = Fraction(value)
    if isinstance(value, Fraction):
        if value.denominator != 1:
            raise ValueError(M.text('count.fraction', value=value))
        value = value.numerator
    if not isinstance(value, int):
        raise ValueError(M.text('count.not_count'))
    if value < 0:
        raise ValueError(M.text('count.negative', value=value))
    if value > limits.MAX_COUNT:
        raise ValueError(M.text('count.out_of_range', max=limits.MAX_COUNT))
    return value


def parse_date(text: object) -> _dt.date:
    """``yyyy-MM-dd`` exactly. ValueError (Chinese) otherwise."""
    if text.__class__ is str and _DATE_TEXT.fullmatch(text):
        try:  # the shape is exactly yyyy-MM-dd here, where fromisoformat reads what the groups below do
            return _dt.date.fromisoformat(text)
        except ValueError:
            pass  # a day that does not exist: the message below
    if not isinstance(text, str):
        raise ValueError(M.text('date.not_text'))
    m = _DATE_TEXT.fullmatch(text)
    if not m:
        raise ValueError(M.text('date.bad_format', text=text))
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(M.text('date.no_such_day', text=text)) from None


def parse_setl_time(text: object) -> _dt.date:
    """``yyyy-MM-dd`` or ``yyyy-MM-dd HH:mm:ss``; only the date matters to the rules."""
    if not isinstance(text, str):
        raise ValueError(M.text('setl_time.not_text'))
    day, _, clock = text.partition(" ")
    try:
        date = parse_date(day)
    except ValueError as exc:
        raise ValueError(M.text('setl_time.bad_date', text=text, exc=exc)) from None
    if clock and (not _TIME_TEXT.fullmatch(clock) or int(clock[:2]) > 23):
        raise ValueError(M.text('setl_time.bad_clock', text=text))
    if " " in text and not clock:
        raise ValueError(M.text('setl_time.bad_clock', text=text))
    return date


def full_years(birth: _dt.date, on: _dt.date) -> int:
    """周岁: whole years from ``birth`` to ``on`` (a 29 Feb birthday counts on 1 Mar in other years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# ── sentinels ─────────────────────────────────────────────────────────────────────────────────


# The member that a code an open vocabulary (docs/ir.md, "unlisted") does not list reads as. It is the keyword
# 其余, which no member can be named, so it equals no listed member and a table keyed by it gives its 其余 cell.
UNLISTED = "其余"


class Sentinel:
    """A value that is not a number: ``open`` (待定), ``na`` (不适用), ``missing`` (absent optional
    input) or ``divzero`` (a division by zero somewhere nothing may need). It propagates through every
    operation and turns into an encounter error only where a result actually needs it."""

    __slots__ = ("kind", "name", "article", "reason", "field")

    def __init__(self, kind: str, name: str, article: Optional[str] = None, reason: Optional[str] = None,
                 field: Optional[str] = None) -> None:
        self.kind = kind
        self.name = name
        self.article = article
        self.reason = reason
        self.field = field

    def with_article(self, article: Optional[str]) -> "Sentinel":
        return Sentinel(self.kind, self.name, article, self.reason, self.field)

    def __repr__(self) -> str:  # for test failure messages only
        return f"Sentinel({self.kind}, {self.name!r}, {self.article!r})"


def no_date(counter: str, cuminfo: Optional[str], article: Optional[str]) -> Sentinel:
    """What a date counter holds before any encounter gave it a date (docs/ir.md, counters): the ``missing``
    sentinel named after the counter (no field; ``reason`` is the cuminfo key that could carry it in), so ``有``
    is false for it and a rule that needs the date stops there."""
    return Sentinel("missing", counter, article, reason=cuminfo, field=None)


def holds_no_date(value: Any, counter: str) -> bool:
    """Whether a date counter's update gave the counter's own "no date yet": kept, not an error."""
    return value.__class__ is Sentinel and value.kind == "missing" and value.name == counter


SENTINEL_LABEL = {"open": "待定", "na": "不适用", "missing": "缺失", "divzero": "除数为零", "range": "日期超出范围"}


def format_value(value: object, type_: object) -> str:
    """A value as trace text, by its IR type: money "800.00", rate "0.8500", count "2", bool "true"."""
    if isinstance(value, Sentinel):
        return SENTINEL_LABEL.get(value.kind, value.kind)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if type_ == "money":
        return format_exact_money(value)
    if type_ == "rate":
        return format_rate(value)
    return str(value)

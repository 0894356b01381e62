"""Exact money: half-up rounding to the fen, formatting without float, parsing yuan amounts."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.runtime.values import (format_exact_money, format_money, format_percent, format_rate4, full_years,
                                  money_decimal, parse_date, parse_setl_time, round_half_up, yuan_to_fen)


def test_half_fen_rounds_up_where_float_rounds_down():
    # 10.10 yuan × 85% = 8.585 yuan = 858.5 fen → 四舍五入 859 fen (8.59 yuan)
    exact = Fraction(1010) * Fraction("0.85")
    assert exact == Fraction(1717, 2)
    assert round_half_up(exact) == 859
    # what a float implementation pays: 8.585 is 8.58499999… in binary, and round() goes down
    assert round(10.10 * 0.85, 2) == 8.58
    # and Python's round() on the exact value rounds half to even, also the wrong way here
    assert round(Fraction(1717, 2)) == 858


@pytest.mark.parametrize("value, expected", [
    (Fraction(1, 2), 1), (Fraction(3, 2), 2), (Fraction(5, 2), 3), (Fraction(-1, 2), -1), (Fraction(-5, 2), -3),
    (Fraction(49, 100), 0), (Fraction(-149, 100), -1), (Fraction(151, 100), 2), (7, 7), (Fraction(10, 1), 10),
])
def test_round_half_up_away_from_zero(value, expected):
    assert round_half_up(value) == expected


@given(st.integers(-10**12, 10**12), st.integers(1, 10**6))
def test_round_half_up_is_floor_of_x_plus_half_for_non_negative(n, d):
    x = Fraction(abs(n), d)
    assert round_half_up(x) == (x + Fraction(1, 2)).__floor__()
    assert round_half_up(-x) == -round_half_up(x)


def test_formatting_is_exact_text():
    assert format_money(782000) == "7820.00"
    assert format_money(5) == "0.05"
    assert format_money(0) == "0.00"
    assert str(money_decimal(12345678901234567)) == "123456789012345.67"  # beyond float's precision
    assert format_rate4(Fraction("0.85")) == "0.8500"
    assert format_rate4(Fraction(1, 3)) == "0.3333"
    assert format_exact_money(Fraction(1717, 2)) == "8.585"
    assert format_percent(Fraction("0.755")) == "75.5%"


@pytest.mark.parametrize("value, fen", [
    (Decimal("10000.00"), 1000000), (10000, 1000000), ("500.00", 50000), ("", 0), ("0.05", 5),
    (Decimal("10.500"), 1050), ("7", 700), (Decimal("9800.30"), 980030),
])
def test_yuan_to_fen_accepts_contract_amounts(value, fen):
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize("value", [Decimal("10.505"), "-5", Decimal("-0.01"), "1e3", "abc", True, None, 1.5, [1]])
def test_yuan_to_fen_refuses_bad_amounts(value):
    with pytest.raises(ValueError):
        yuan_to_fen(value)


def test_dates_and_full_years():
    assert parse_setl_time("2019-05-10 09:30:00") == parse_date("2019-05-10")
    for bad in ("2019-13-01", "2019-5-10", "2019-05-10T09:30:00", "2019-05-10 25:00:00", "2019-02-30"):
        with pytest.raises(ValueError):
            parse_setl_time(bad)
    birth = parse_date("1975-06-01")
    assert full_years(birth, parse_date("2019-05-31")) == 43
    assert full_years(birth, parse_date("2019-06-01")) == 44

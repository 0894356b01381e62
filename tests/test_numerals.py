"""Chinese article numerals: the standard forms are read, everything else is refused."""

from __future__ import annotations

import itertools

import pytest

from yibao.compiler.numerals import parse_chinese_numeral

_DIGITS = "零一二三四五六七八九"


def _spell(n: int) -> str:
    """The standard spelling of 1 ≤ n ≤ 9999, written independently of the parser under test."""
    places = [(1000, "千"), (100, "百"), (10, "十"), (1, "")]
    parts, pending_zero, started = [], False, False
    for value, unit in places:
        digit = n // value % 10
        if digit == 0:
            pending_zero = started
            continue
        if pending_zero and started:
            parts.append("零")
        parts.append(_DIGITS[digit] + unit)
        started, pending_zero = True, False
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text


@pytest.mark.parametrize(
    "text, value",
    [
        ("一", 1),
        ("九", 9),
        ("十", 10),
        ("十一", 11),
        ("二十", 20),
        ("二十八", 28),
        ("三十", 30),
        ("三十九", 39),
        ("七十二", 72),
        ("九十九", 99),
        ("一百", 100),
        ("一百零一", 101),
        ("一百零五", 105),
        ("一百一十", 110),
        ("一百二十", 120),
        ("一百〇五", 105),
        ("二百三十四", 234),
        ("一千", 1000),
        ("一千零一", 1001),
        ("一千零五十", 1050),
        ("一千一百", 1100),
        ("九千九百九十九", 9999),
    ],
)
def test_standard_forms(text, value):
    assert parse_chinese_numeral(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "十十",
        "二二",
        "百一",
        "百",
        "千",
        "一十",  # written 十
        "一十二",  # written 十二
        "一百十",  # written 一百一十
        "一百五",  # colloquial 150
        "一千五",
        "两百",
        "两",
        "一百零",
        "零五",
        "一百零零五",
        "二十零",
        "一百零十",  # no place skipped before 十
        "一千零十",  # written 一千零一十
        "一千一百零",
        "十百",
        "一百一百",
        "三十条",
        "3",
        "万",
    ],
)
def test_malformed_forms_are_refused(text):
    assert parse_chinese_numeral(text) is None


def test_zero_alone():
    assert parse_chinese_numeral("零") == 0
    assert parse_chinese_numeral("〇") == 0


def test_every_number_up_to_9999_reads_back_from_its_standard_spelling():
    for n in range(1, 10000):
        assert parse_chinese_numeral(_spell(n)) == n, _spell(n)


def test_each_number_has_exactly_one_accepted_spelling():
    alphabet = "零一二三九十百千"
    seen: dict[int, str] = {}
    for length in range(1, 6):
        for chars in itertools.product(alphabet, repeat=length):
            text = "".join(chars)
            value = parse_chinese_numeral(text)
            if value is None or value == 0:
                continue
            assert value not in seen, (text, seen.get(value))
            seen[value] = text
            assert _spell(value) == text

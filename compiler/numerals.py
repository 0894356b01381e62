"""Chinese numerals as laws number their articles: 十, 十一, 二十, 三十九, 一百, 一百零五, 一百二十, 一千零一.

Only the standard written forms are read, so that every number has exactly one spelling:

- a leading 十 stands for 一十 (十一 = 11); elsewhere the 一 is written (一百一十 = 110, not 一百十);
- a skipped place is marked by one 零 (or 〇) before the next digit (一百零五 = 105, 一千零五十 = 1050),
  and there is no 零 where no place is skipped, nor a trailing one;
- 两 and the colloquial dropped unit (一百五 for 150) are not standard in law texts, so they are rejected.
"""

from __future__ import annotations

from typing import Optional

_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZEROS = frozenset("零〇")


def parse_chinese_numeral(text: str) -> Optional[int]:
    """The value of ``text``, or None when it is not a standard numeral. A lone 零 or 〇 is 0."""
    if text in _ZEROS:
        return 0
    groups = _groups(text)
    if groups is None:
        return None
    total, previous_unit = 0, 10_000
    for digit, unit, zero_before in groups:
        skipped = previous_unit != 10_000 and unit * 10 < previous_unit
        if unit >= previous_unit or zero_before != skipped:
            return None
        total += digit * unit
        previous_unit = unit
    return total


def _groups(text: str) -> Optional[list[tuple[int, int, bool]]]:
    """``一百零五`` → [(1, 100, False), (5, 1, True)]: digit, place, and whether a 零 came before it."""
    groups: list[tuple[int, int, bool]] = []
    i, zero = 0, False
    while i < len(text):
        ch = text[i]
        if ch in _ZEROS:
            if zero or not groups:
                return None
            zero, i = True, i + 1
            continue
        if ch == "十" and i == 0:
            groups.append((1, 10, False))
            i += 1
            continue
        if ch not in _DIGITS:
            return None
        unit = 1
        if i + 1 < len(text) and text[i + 1] in _UNITS:
            unit = _UNITS[text[i + 1]]
            i += 1
        elif i + 1 < len(text):
            return None  # two digits in a row (二二) or a digit before 零/两/…
        if unit == 10 and not groups and _DIGITS[ch] == 1:
            return None  # 一十二 is written 十二
        groups.append((_DIGITS[ch], unit, zero))
        zero, i = False, i + 1
    if zero or not groups:
        return None  # a trailing 零 (一百零), or nothing at all
    return groups

"""Writing the contract's JSON: amounts as numbers with exactly two decimals, the ratio with four.

Amounts in an output dict are ``decimal.Decimal`` values already quantised (``Decimal("7820.00")``), so
writing them is just their text. Keys keep the order they were built in, which is the contract's; the
same object always gives the same bytes. Small all-scalar objects go on one line to keep traces short.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

INLINE_KEYS = 6


def dumps_output(obj: Any) -> str:
    """The output object as JSON text (UTF-8 characters, not escapes), ending with a newline."""
    parts: list[str] = []
    _write(obj, "", parts)
    parts.append("\n")
    return "".join(parts)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, Decimal)) or (
        isinstance(value, list) and all(_scalar(v) and not isinstance(v, list) for v in value))


def _write(value: Any, indent: str, out: list[str]) -> None:
    if isinstance(value, dict):
        _write_object(value, indent, out)
    elif isinstance(value, list):
        _write_array(value, indent, out)
    else:
        out.append(_atom(value))


def _write_object(obj: dict, indent: str, out: list[str]) -> None:
    if not obj:
        out.append("{}")
        return
    if len(obj) <= INLINE_KEYS and all(_scalar(v) for v in obj.values()):
        out.append("{" + ", ".join(f"{_key(k)}: {_inline(v)}" for k, v in obj.items()) + "}")
        return
    inner = indent + "  "
    out.append("{\n")
    for i, (key, value) in enumerate(obj.items()):
        out.append(f"{inner}{_key(key)}: ")
        _write(value, inner, out)
        out.append(",\n" if i < len(obj) - 1 else "\n")
    out.append(indent + "}")


def _write_array(items: list, indent: str, out: list[str]) -> None:
    if not items:
        out.append("[]")
        return
    if all(_scalar(v) and not isinstance(v, list) for v in items):
        out.append(_inline(items))
        return
    inner = indent + "  "
    out.append("[\n")
    for i, value in enumerate(items):
        out.append(inner)
        _write(value, inner, out)
        out.append(",\n" if i < len(items) - 1 else "\n")
    out.append(indent + "]")


def _inline(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_atom(v) for v in value) + "]"
    return _atom(value)


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"JSON 对象的键必须是字符串：{key!r}")
    return json.dumps(key, ensure_ascii=False)


def _atom(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"不能写出非有限数 {value}")
        text = str(value)
        if "E" in text or "e" in text:
            text = format(value, "f")
        return text
    # floats and Fractions must never reach the contract's JSON
    raise TypeError(f"输出中不允许 {type(value).__name__} 类型的值：{value!r}")

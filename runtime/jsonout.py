"""Writing the contract's JSON: amounts as numbers with exactly two decimals, the ratio with four.

Amounts in an output dict are ``decimal.Decimal`` values already quantised (``Decimal("7820.00")``), so
writing them is just their text. Keys keep the order they were built in, which is the contract's; the
same object always gives the same bytes. Small all-scalar objects go on one line to keep traces short.

Speed: a settled encounter with its trace is some 35 small one-line objects. A list of such objects whose
values are all strings, ints, booleans or null (the trace) is written by the standard library's C encoder
in one call, with the separators this format uses, and only split into lines here; anything else (an
amount, a nested value, a key that is not a string) goes through the writer below, which defines the
format. Key texts are kept once written: the same few dozen keys recur in every output.
"""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import chain
from typing import Any

from . import messages as M

INLINE_KEYS = 6
_PLAIN = frozenset({str, int, bool, type(None)})  # what the C encoder writes exactly as ``_atom`` does
_ROW_BREAK = "}, {"


def _not_plain(value: Any) -> Any:
    raise TypeError(value)


_encode_plain = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), check_circular=False,
                                 default=_not_plain).encode
_encode_string = json.encoder.encode_basestring  # the C function json.dumps(..., ensure_ascii=False) uses
_KEY_TEXT: dict = {}
_LAYOUTS: dict = {}  # (keys, indent) → the text before each value of an amounts object
_DECIMAL_ONLY = {Decimal}
_PLAIN_NUMBER = frozenset("0123456789.-")


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
    if len(obj) <= INLINE_KEYS:
        text = _inline_object(obj)
        if text is not None:
            out.append(text)
            return
    inner = indent + "  "
    text = _amounts_object(obj, indent)
    if text is not None:
        out.append(text)
        return
    out.append("{\n")
    last = len(obj) - 1
    keys, atoms = _KEY_TEXT.get, _ATOMS.get
    for i, (key, value) in enumerate(obj.items()):
        write = atoms(value.__class__)
        if write is not None:  # the common case, an amount or a code: no recursion
            out.append(inner + (keys(key) or _key(key)) + write(value) + (",\n" if i < last else "\n"))
            continue
        out.append(inner + (keys(key) or _key(key)))
        _write(value, inner, out)
        out.append(",\n" if i < last else "\n")
    out.append(indent + "}")


def _amounts_object(obj: dict, indent: str) -> Any:
    """A many-line object of amounts only (a setlinfo), in one join; None for anything else. The keys'
    part of the text is kept by shape; each amount is its ``str``, which is ``_decimal``'s text unless it
    has an exponent or is not finite (then a letter shows, and the general writer takes over)."""
    values = obj.values()
    if set(map(type, values)) != _DECIMAL_ONLY:
        return None
    texts = list(map(str, values))
    if not _PLAIN_NUMBER.issuperset("".join(texts)):
        return None
    shape = (tuple(obj), indent)
    prefixes = _LAYOUTS.get(shape)
    if prefixes is None:
        if not all(key.__class__ is str for key in shape[0]) or len(_LAYOUTS) >= 256:
            return None
        inner = indent + "  "
        prefixes = _LAYOUTS[shape] = [("{\n" if i == 0 else ",\n") + inner + _key(key) for i, key in enumerate(shape[0])]
    return "".join(map(str.__add__, prefixes, texts)) + "\n" + indent + "}"


def _inline_object(obj: dict) -> Any:
    """The one-line text of an object whose values are all scalars, else None."""
    parts = []
    keys, atoms = _KEY_TEXT.get, _ATOMS.get
    for key, value in obj.items():
        write = atoms(value.__class__)
        if write is None:
            if value.__class__ is dict or not _scalar(value):
                return None
            write = _inline
        parts.append((keys(key) or _key(key)) + write(value))
    return "{" + ", ".join(parts) + "}"


def _write_array(items: list, indent: str, out: list[str]) -> None:
    if not items:
        out.append("[]")
        return
    if all(_scalar(v) and not isinstance(v, list) for v in items):
        out.append(_inline(items))
        return
    inner = indent + "  "
    rows = _plain_rows(items)
    if rows is not None:
        out.append("[\n" + inner + (",\n" + inner).join(rows) + "\n" + indent + "]")
        return
    out.append("[\n")
    for i, value in enumerate(items):
        out.append(inner)
        _write(value, inner, out)
        out.append(",\n" if i < len(items) - 1 else "\n")
    out.append(indent + "]")


def _plain_rows(items: list) -> Any:
    """Each item's one-line text, when every item is a small object of plain values with string keys
    (so the C encoder writes exactly what ``_write_object`` would); otherwise None."""
    try:
        values = set(map(type, chain.from_iterable(map(dict.values, items))))
    except TypeError:  # an item is not an object
        return None
    if not values <= _PLAIN or max(map(len, items)) > INLINE_KEYS or \
            not set(map(type, chain.from_iterable(items))) <= {str}:
        return None
    rows = _encode_plain(items)[1:-1].split(_ROW_BREAK)
    if len(rows) != len(items):  # a string held "}, {" itself: split where the items are, the slow way
        return None
    if len(rows) > 1:
        rows = [rows[0] + "}"] + ["{" + row + "}" for row in rows[1:-1]] + ["{" + rows[-1]]
    return rows


def _inline(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_atom(v) for v in value) + "]"
    return _atom(value)


def _key(key: Any) -> str:
    """The key's text with its ``: ``."""
    text = _KEY_TEXT.get(key) if key.__class__ is str else None
    if text is None:
        if not isinstance(key, str):
            raise TypeError(M.text('jsonout.key.1', key=key))
        text = _encode_string(key) + ": "
        if key.__class__ is str and len(_KEY_TEXT) < 4096:
            _KEY_TEXT[key] = text
    return text


def _atom(value: Any) -> str:
    cls = value.__class__
    if cls is Decimal:
        return _decimal(value)
    if cls is str:
        return _encode_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _encode_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    # floats and Fractions must never reach the contract's JSON
    raise TypeError(M.text('jsonout.atom.1', __name__=type(value).__name__, value=value))


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(M.text('jsonout.decimal.1', value=value))
    text = str(value)
    if "E" in text or "e" in text:
        text = format(value, "f")
    return text


# exact classes whose text needs no further look (subclasses take the slow road through ``_atom``)
_ATOMS = {Decimal: _decimal, str: _encode_string, int: int.__repr__, type(None): lambda v: "null",
          bool: lambda v: "true" if v else "false"}

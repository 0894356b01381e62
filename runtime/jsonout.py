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
_LAYOUTS: dict = {}  # (keys, indent, inline) → (template,), see ``_layout``
_DECIMAL_ONLY = {Decimal}
_DICT_ONLY = {dict}
_ATOM_CLASSES = frozenset({Decimal, str, int, bool, type(None)})  # exactly these: a subclass takes ``_atom``


def dumps_output(obj: Any) -> str:
    """The output object as JSON text (UTF-8 characters, not escapes), ending with a newline."""
    return _text(obj, "") + "\n"


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, Decimal)) or (
        isinstance(value, list) and all(_scalar(v) and not isinstance(v, list) for v in value))


def _text(value: Any, indent: str) -> str:
    """The text of any value: the format's definition, with a short road for the exact classes settle builds."""
    write = _ATOMS.get(value.__class__)
    if write is not None:
        return write(value)
    if isinstance(value, dict):
        return _object_text(value, indent)
    if isinstance(value, list):
        return _array_text(value, indent)
    return _atom(value)


def _object_text(obj: dict, indent: str) -> str:
    """One line when it has at most INLINE_KEYS values, all scalars; otherwise a key per line."""
    if not obj:
        return "{}"
    classes = set(map(type, obj.values()))
    inline = len(obj) <= INLINE_KEYS
    if classes <= _ATOM_CLASSES:  # only atoms: one join over the texts, the keys' part kept by shape
        text = _atoms_object(obj, indent, inline, classes)
        if text is not None:
            return text
    elif inline and dict not in classes:
        text = _inline_object(obj)
        if text is not None:
            return text
    inner = indent + "  "
    layout = _layout(obj, indent, False)
    if layout is None:  # a key that is not a string (``_key`` refuses it, in document order)
        parts = []
        for i, (key, value) in enumerate(obj.items()):
            parts.append(("{\n" if i == 0 else ",\n") + inner + _key(key) + _text(value, inner))
        return "".join(parts) + "\n" + indent + "}"
    atoms = _ATOMS
    return layout[0] % tuple([atoms[value.__class__](value) if value.__class__ in atoms else _text(value, inner)
                              for value in obj.values()])


def _layout(obj: dict, indent: str, inline: bool) -> Any:
    """(template,) for an object of this shape (keys, indent, one line or not): the text with a ``%s`` for
    each value, kept once built. None when a key is not a string."""
    shape = (tuple(obj), indent, inline)
    layout = _LAYOUTS.get(shape)
    if layout is None:
        if not all(key.__class__ is str for key in shape[0]):
            return None
        if inline:
            parts = [("{" if i == 0 else ", ") + _key(key) for i, key in enumerate(shape[0])] + ["}"]
        else:
            parts = [("{\n" if i == 0 else ",\n") + indent + "  " + _key(key) for i, key in enumerate(shape[0])]
            parts.append("\n" + indent + "}")
        layout = ("%s".join(part.replace("%", "%%") for part in parts),)
        if len(_LAYOUTS) < 1024:
            _LAYOUTS[shape] = layout
    return layout


def _atoms_object(obj: dict, indent: str, inline: bool, classes: set) -> Any:
    """An object whose values are all atoms, on one line (``inline``) or one per line, in one ``%``; None
    when its keys are not all strings (the general writer then says so). Amounts are their ``str``, which
    is ``_decimal``'s text unless the Decimal has an exponent or is not finite: then something other than
    digits, ``.`` and ``-`` shows, and ``_decimal`` writes or refuses each amount."""
    layout = _layout(obj, indent, inline)
    if layout is None:
        return None
    template = layout[0]
    if classes == _DECIMAL_ONLY:
        texts = tuple(map(str, obj.values()))
        if "".join(texts).replace(".", "").replace("-", "").isdigit():  # all plain: no exponent, all finite
            return template % texts
        return template % tuple(map(_decimal, obj.values()))
    atoms = _ATOMS
    return template % tuple([atoms[value.__class__](value) for value in obj.values()])


def _inline_object(obj: dict) -> Any:
    """The one-line text of an object whose values are all scalars (atoms or lists of atoms), else None."""
    parts = []
    keys, atoms = _KEY_TEXT.get, _ATOMS.get
    for key, value in obj.items():
        write = atoms(value.__class__)
        if write is None:
            if value.__class__ is list:
                kinds = set(map(type, value))
                if not kinds <= _ATOM_CLASSES and (dict in kinds or list in kinds or not _scalar(value)):
                    return None
            elif value.__class__ is dict or not _scalar(value):
                return None
            write = _inline
        parts.append((keys(key) or _key(key)) + write(value))
    return "{" + ", ".join(parts) + "}"


def _array_text(items: list, indent: str) -> str:
    if not items:
        return "[]"
    classes = set(map(type, items))
    if classes <= _ATOM_CLASSES or (dict not in classes and all(_scalar(v) and not isinstance(v, list) for v in items)):
        return _inline(items)
    inner = indent + "  "
    rows = _plain_rows(items) if classes == _DICT_ONLY else None
    if rows is None:
        rows = [_text(value, inner) for value in items]
    return "[\n" + inner + (",\n" + inner).join(rows) + "\n" + indent + "]"


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
            raise TypeError(M.text('output.key_not_text', key=key))
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
    raise TypeError(M.text('output.value_type', __name__=type(value).__name__, value=value))


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(M.text('output.not_finite', value=value))
    text = str(value)
    if "E" in text or "e" in text:
        text = format(value, "f")
    return text


# exact classes whose text needs no further look (subclasses take the slow road through ``_atom``)
_ATOMS = {Decimal: _decimal, str: _encode_string, int: int.__repr__, type(None): lambda v: "null",
          bool: lambda v: "true" if v else "false"}

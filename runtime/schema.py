"""The IR's schema (docs/ir.md, section "Schema") and its checker, run at load time before anything
else reads the document.

An embedder may load IR from anywhere, so the document is checked for shape and JSON types first:
every record's required keys, the JSON type of every value, the shape of every expression node, and
the nesting limit of runtime/limits.py. A refusal is an ``IRError`` naming the JSON path inside the
document (``$.definitions[3].exceptions[0].priority``) and what was expected. What the schema cannot
say (a ref to an undefined name, a table that is not complete, priorities out of order) is checked
when the expressions are compiled (``expr.py``, ``evaluate.py``), also as ``IRError``.

The checker walks with an explicit stack, not recursion, so a hostile document cannot exhaust the
interpreter's stack here; past ``MAX_IR_EXPR_DEPTH`` nested expressions it stops with its own error.
Keys the schema does not name are allowed (additive extensions of the format); the values of named
keys must have the named types.
"""

from __future__ import annotations

import re
from typing import Any

from . import messages as M
from .ir import IRError
from .limits import MAX_IR_EXPR_DEPTH, shown_path

# ── the schema, as data ───────────────────────────────────────────────────────────────────────
# A spec is one of: a name from _SCALARS; ("list", spec); ("map", spec) (an object with any string keys);
# ("record", required, optional) with dicts key → spec; ("nullable", spec); ("one_of", values).

STR, INT, BOOL, DATE, EXPR, TYPE = "str", "int", "bool", "date", "expr", "type"
OPT_STR = ("nullable", STR)


def _record(required: dict, optional: dict = None) -> tuple:
    return ("record", required, optional or {})


_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
SCALAR_TYPES = ("money", "rate", "count", "date", "bool")
PERIODS = ("year", "quarter", "case")

VOCABULARY = _record({"name": STR, "members": ("list", _record({"name": STR}, {"code": OPT_STR}))},
                     {"english": OPT_STR, "field": OPT_STR, "aliases": ("map", STR), "at": OPT_STR, "open": OPT_STR,
                      "unlisted": BOOL})
INPUT = _record({"name": STR, "type": TYPE, "field": STR}, {"optional": BOOL, "at": OPT_STR})
CELL = _record({"key": ("list", STR), "value": EXPR}, {"at": OPT_STR})
TABLE = _record({"name": STR, "type": TYPE, "dims": ("list", STR), "cells": ("list", CELL)},
                {"article": OPT_STR, "at": OPT_STR})
COUNTER = _record({"name": STR, "type": TYPE, "period": ("one_of", PERIODS), "init": ("nullable", EXPR)},
                  {"cuminfo": OPT_STR, "update": ("nullable", EXPR), "excluded_update": EXPR, "article": OPT_STR, "at": OPT_STR})
EXCEPTION = _record({"when": EXPR, "expr": EXPR, "priority": INT},
                    {"article": OPT_STR, "at": OPT_STR, "notes": ("list", STR)})
DEFINITION = _record({"name": STR, "type": TYPE,
                      "default": _record({"expr": EXPR}, {"article": OPT_STR, "at": OPT_STR}),
                      "exceptions": ("list", EXCEPTION)},
                     {"notes": ("list", STR)})
EXCLUSION = _record({"when": EXPR}, {"reason": OPT_STR, "article": OPT_STR, "at": OPT_STR})
OUTPUT = _record({"field": STR, "type": TYPE, "expr": EXPR}, {"article": OPT_STR, "at": OPT_STR})
CONTRACT_FIELD = _record({"field": STR, "type": ("one_of", ("money", "rate")), "label": STR,
                          "role": ("nullable", ("one_of", ("fund", "limit"))), "optional": BOOL,
                          "excluded": ("one_of", ("zero", "keep", "value"))},
                         {"excluded_value": EXPR, "article": OPT_STR, "at": OPT_STR})
OPEN_VALUE = _record({"name": STR}, {"reason": OPT_STR, "article": OPT_STR, "at": OPT_STR})
INTERPRETATION = _record({"text": STR}, {"article": OPT_STR, "subject": OPT_STR, "at": OPT_STR})
EXPECT = _record({}, {"values": ("map", EXPR), "excluded": ("nullable", BOOL), "error": OPT_STR,
                      "error_subject": OPT_STR})
ENCOUNTER = _record({"inputs": ("map", EXPR)}, {"expect": EXPECT, "at": OPT_STR})
EXAMPLE = _record({"encounters": ("list", ENCOUNTER)},
                  {"title": OPT_STR, "article": OPT_STR, "at": OPT_STR, "person": ("map", EXPR),
                   "inherited": OPT_STR, "date": ("nullable", DATE)})
ARTICLE = _record({"label": STR}, {"title": OPT_STR, "at": OPT_STR, "not_applicable": OPT_STR})
REGULATION = _record(
    {"region_code": STR, "region_name": STR, "title": OPT_STR, "effective": ("pair", DATE, ("nullable", DATE))},
    {"doc_number": OPT_STR, "basis": OPT_STR, "effective_article": OPT_STR, "source": OPT_STR,
     "amends": _record({"source": STR, "changes": ("list", STR)}, {"title": OPT_STR}),
     "applies_to": ("nullable", _record({"vocabulary": STR, "field": STR, "members": ("list", STR)},
                                        {"article": OPT_STR}))})
BAND = _record({"low": INT, "high": ("nullable", INT), "rate": STR})
BANDS = _record({"name": STR, "amount": EXPR, "bands": ("list", BAND), "ratio": ("one_of", ("effective",))},
                {"from": ("nullable", EXPR), "article": OPT_STR, "at": OPT_STR})
CONTRIBUTION = _record({}, {"inputs": ("list", INPUT), "tables": ("list", TABLE), "definitions": ("list", DEFINITION),
                            "outputs": ("list", OUTPUT), "examples": ("list", EXAMPLE)})
DOCUMENT = _record(
    {"format": STR, "sha256": STR, "regulation": REGULATION, "vocabularies": ("list", VOCABULARY),
     "inputs": ("list", INPUT), "tables": ("list", TABLE), "counters": ("list", COUNTER),
     "definitions": ("list", DEFINITION), "exclusions": ("list", EXCLUSION), "outputs": ("list", OUTPUT),
     "open_values": ("list", OPEN_VALUE), "interpretations": ("list", INTERPRETATION),
     "examples": ("list", EXAMPLE)},
    {"articles": ("list", ARTICLE), "contribution": CONTRIBUTION, "semantic_sha256": STR, "bands": ("list", BANDS),
     "contract": ("list", CONTRACT_FIELD)})

# Expression nodes: the key that names the shape → the other keys it has (spec), docs/ir.md "Expressions".
LITERALS = {"money": INT, "count": INT, "bool": BOOL, "rate": STR, "date": DATE}
EXPR_SHAPES = {
    **{key: ({key: spec}, {}) for key, spec in LITERALS.items()},
    "enum": ({"enum": STR, "member": STR}, {}),
    "ref": ({"ref": STR}, {}),
    "open": ({"open": STR}, {"reason": OPT_STR, "article": OPT_STR}),
    "na": ({"na": STR}, {"article": OPT_STR}),
    "op": ({"op": STR, "args": ("list", EXPR)}, {"members": ("list", STR), "table": STR}),
}
SHAPE_KEYS = tuple(EXPR_SHAPES)

_JSON_NAMES = {str: "字符串", int: "整数", bool: "布尔值", list: "列表", dict: "对象", type(None): "null", float: "浮点数"}


# ── the checker ───────────────────────────────────────────────────────────────────────────────


def check_schema(doc: Any) -> None:
    """Raise ``IRError`` at the first place where ``doc`` departs from the schema; return None if it fits."""
    stack: list[tuple[Any, Any, str, int]] = [(doc, DOCUMENT, "$", 0)]
    while stack:
        value, spec, path, depth = stack.pop()
        _check_one(value, spec, path, depth, stack)


def _check_one(value: Any, spec: Any, path: str, depth: int, stack: list) -> None:
    if isinstance(spec, str):
        if spec == EXPR:
            _expression(value, path, depth, stack)
        elif spec == TYPE:
            _ir_type(value, path)
        else:
            _scalar(value, spec, path)
        return
    kind = spec[0]
    if kind == "nullable":
        if value is not None:
            stack.append((value, spec[1], path, depth))
    elif kind == "one_of":
        if not (isinstance(value, str) and value in spec[1]):
            _refuse(path, f"应为 {' / '.join(spec[1])} 之一", value)
    elif kind == "list":
        if not isinstance(value, list):
            _refuse(path, "应为列表", value)
        for i in range(len(value) - 1, -1, -1):  # reversed, so the first bad item is the one reported
            stack.append((value[i], spec[1], f"{path}[{i}]", depth))
    elif kind == "pair":
        if not (isinstance(value, list) and len(value) == 2):
            _refuse(path, "应为两项的列表", value)
        stack.append((value[1], spec[2], f"{path}[1]", depth))
        stack.append((value[0], spec[1], f"{path}[0]", depth))
    elif kind == "map":
        if not isinstance(value, dict):
            _refuse(path, "应为对象", value)
        for key in reversed(list(value)):
            stack.append((value[key], spec[1], f"{path}.{key}", depth))
    else:
        _fields(value, spec[1], spec[2], path, depth, stack)


def _fields(value: Any, required: dict, optional: dict, path: str, depth: int, stack: list) -> None:
    if not isinstance(value, dict):
        _refuse(path, "应为对象", value)
    for key in required:
        if key not in value:
            raise IRError(M.text('schema.missing', path=path, key=key))
    named = [(k, s) for k, s in (*required.items(), *optional.items()) if k in value]
    for key, spec in reversed(named):
        stack.append((value[key], spec, f"{path}.{key}", depth))


def _expression(node: Any, path: str, depth: int, stack: list) -> None:
    if depth >= MAX_IR_EXPR_DEPTH:
        raise IRError(M.text('ir.expression_too_deep', path=shown_path(path), limit=MAX_IR_EXPR_DEPTH))
    if not isinstance(node, dict):
        _refuse(path, "表达式应为 JSON 对象", node)
    shapes = [k for k in SHAPE_KEYS if k in node]
    if len(shapes) != 1:
        raise IRError(M.text('schema.shape', path=path, keys=", ".join(sorted(map(str, node)))))
    required, optional = EXPR_SHAPES[shapes[0]]
    _fields(node, required, optional, path, depth + 1, stack)


def _ir_type(value: Any, path: str) -> None:
    if isinstance(value, str) and value in SCALAR_TYPES:
        return
    if isinstance(value, dict) and list(value) == ["enum"] and isinstance(value["enum"], str):
        return
    _refuse(path, f"类型应为 {' / '.join(SCALAR_TYPES)} 或 {{\"enum\": 词表名}}", value)


def _scalar(value: Any, spec: str, path: str) -> None:
    if spec == STR:
        ok = isinstance(value, str)
        if ok and _SURROGATE.search(value):  # no UTF-8 output or hash could hold it
            raise IRError(M.text('schema.lone_surrogate', path=path))
    elif spec == INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif spec == BOOL:
        ok = isinstance(value, bool)
    elif spec == DATE:
        ok = isinstance(value, str) and _DATE_TEXT.fullmatch(value) is not None
    else:  # pragma: no cover - a spec the table above does not use
        raise AssertionError(spec)
    if not ok:
        _refuse(path, {STR: "应为字符串", INT: "应为整数", BOOL: "应为 true 或 false", DATE: "应为日期 YYYY-MM-DD"}[spec], value)


def _refuse(path: str, expected: str, value: Any) -> None:
    raise IRError(M.text('schema.expected', path=path, expected=expected, found=_describe(value)))


def _describe(value: Any) -> str:
    kind = _JSON_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**40:
        return f"{kind}（{value.bit_length()} 位二进制）"
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = repr(value) if isinstance(value, str) else str(value)
        return f"{kind} {text[:40]}{'…' if len(text) > 40 else ''}"
    return kind

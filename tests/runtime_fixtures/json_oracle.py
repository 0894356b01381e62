"""The contract's JSON format as first written (runtime/jsonout.py before it was made fast): one value at a
time, ``json.dumps`` for every key and string. The oracle of tests/test_runtime_jsonout.py and the baseline
of benchmarks/bench_w3.py's dumps_output figure."""

from __future__ import annotations

import json
from decimal import Decimal


def oracle(obj) -> str:
    def scalar(v):
        return v is None or isinstance(v, (str, int, Decimal)) or (
            isinstance(v, list) and all(scalar(x) and not isinstance(x, list) for x in v))

    def atom(v):
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, int):
            return str(v)
        if isinstance(v, Decimal):
            if not v.is_finite():
                raise ValueError("not finite")
            return format(v, "f")
        raise TypeError(type(v).__name__)

    def inline(v):
        return "[" + ", ".join(atom(x) for x in v) + "]" if isinstance(v, list) else atom(v)

    def key(k):
        if not isinstance(k, str):
            raise TypeError("key")
        return json.dumps(k, ensure_ascii=False)

    def write(v, indent):
        inner = indent + "  "
        if isinstance(v, dict):
            if not v:
                return "{}"
            if len(v) <= 6 and all(scalar(x) for x in v.values()):
                return "{" + ", ".join(f"{key(k)}: {inline(x)}" for k, x in v.items()) + "}"
            return "{\n" + ",\n".join(f"{inner}{key(k)}: {write(x, inner)}" for k, x in v.items()) + "\n" + indent + "}"
        if isinstance(v, list):
            if not v:
                return "[]"
            if all(scalar(x) and not isinstance(x, list) for x in v):
                return inline(v)
            return "[\n" + ",\n".join(inner + write(x, inner) for x in v) + "\n" + indent + "]"
        return atom(v)

    return write(obj, "") + "\n"

"""Cases as one JSON line each: amounts (integer fen or exact Decimal) as JSON numbers, never floats."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


class Fen(int):
    """An amount in fen, written as a JSON number with two decimals."""


def dumps_case(value: Any) -> str:
    if isinstance(value, Fen):
        sign = "-" if value < 0 else ""
        return f"{sign}{abs(int(value)) // 100}.{abs(int(value)) % 100:02d}"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{dumps_case(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps_case(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)

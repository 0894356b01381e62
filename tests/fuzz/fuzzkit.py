"""What the fuzzers share: the bundled inputs they start from, a work budget, and the invariants.

The budget counts Python function calls (``sys.settrace`` on call events only), not seconds: the same
input always costs the same, so a "hang" is a deterministic failure on any machine, never a flaky
timing. The limits of docs/limits.md keep the C-level work per call small (no 1e999999999 is ever
expanded), so counting calls bounds the work.

Counts of the inputs each fuzzer tried are kept in ``TRIED`` and printed at the end of the session
(``pytest tests/fuzz -s``); ``YIBAO_FUZZ_SCALE=10`` multiplies every example count for a longer run.
"""

from __future__ import annotations

import collections
import functools
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REGULATIONS = ROOT / "regulations"
CITY_FILES = ("dongying/dongying-2018.yb", "jining/jining-2017.yb", "linyi/linyi-2019.yb", "yantai/yantai-2023.yb")
SCALE = max(1, int(os.environ.get("YIBAO_FUZZ_SCALE", "1")))
TRIED: "collections.Counter[str]" = collections.Counter()

CALL_BUDGET = 3_000_000  # Python calls per input: settling the example case takes about 2% of it


# CI runs one fixed, reproducible sample (a red CI is then a regression, never the luck of the draw); a
# developer's run draws new inputs each time, which is how new defects are found (YIBAO_FUZZ_SCALE for more).
DERANDOMIZE = os.environ.get("CI") == "true"


def examples(n: int) -> int:
    return n * SCALE


class OverBudget(AssertionError):
    """An input made yibao do more work than any input of its size should."""


@contextmanager
def call_budget(limit: int = CALL_BUDGET):
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += 1
        if calls > limit:
            sys.settrace(None)
            raise OverBudget(f"more than {limit} Python calls for one input")
        return None  # no line events: only calls are counted

    previous = sys.gettrace()
    sys.settrace(count)
    try:
        yield
    finally:
        sys.settrace(previous)


@functools.lru_cache(maxsize=None)
def compiled(city: str = "dongying/dongying-2018.yb") -> dict:
    from yibao.compiler.driver import compile_path

    result = compile_path(REGULATIONS / city)
    assert result.ir is not None, result.diagnostics
    return result.ir


@functools.lru_cache(maxsize=None)
def all_compiled() -> tuple:
    from yibao.compiler.driver import compile_all

    return tuple(compile_all())


def settlement_case() -> dict:
    return json.loads((ROOT / "examples" / "dongying-case.json").read_text(encoding="utf-8"))


CONTRIBUTION_CASE = {
    "region": "370500", "date": "2020-06-01", "avg_wage": "6000.00",
    "person": {"psn_no": "P9", "insutype": "310", "psn_type": "1101", "brdy": "1980-01-01", "gend": "1",
               "employer_type": "企业", "wage": "5000.00", "pension": "0"},
}


def assert_complete_json(text: str) -> dict:
    """stdout of an exit-0/1 run: one complete JSON object, nothing after it, writable as UTF-8."""
    text.encode("utf-8")  # strict: a lone surrogate from a \udc00 escape would fail when written
    doc = json.loads(text)
    assert isinstance(doc, dict)
    return doc


def no_internal_error(output: dict) -> None:
    """No encounter of a settled case ended in YR90: the rules that the compiler accepted ran."""
    errors = [output.get("error")] + [e.get("error") for e in output.get("encounters", ()) if isinstance(e, dict)]
    codes = [e.get("code") for e in errors if isinstance(e, dict)]
    assert "YR90" not in codes, output


def report() -> str:
    return "fuzz inputs tried: " + ", ".join(f"{kind} {n}" for kind, n in sorted(TRIED.items()))

"""The cost of ``yibao diff``'s impact run against settling the same claims once, measured in the same run.

Run on demand (not a test):

    python benchmarks/bench_diff.py [--persons N]

东营's regulation and a copy with the 三级 deductible at 1000元 (第三十条) are compiled once; a ``synth`` set of
N persons (seed 1) is read once. Figures, per encounter, with ``time.perf_counter_ns``:

- ``settle once, no trace``: one version, ``Engine.settle(case, trace=False)`` (the baseline);
- ``settle once, trace``: the same with the trace the cause is read from;
- ``impact``: ``yibao.change.impact.impact`` (both versions, compared; the persons whose outcome changed
  settled again with traces for the causes; groups);
- ``semantic diff``: ``semantic_changes`` on the two IRs (per call, not per encounter).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from yibao.change.diff import vocabulary_names  # noqa: E402
from yibao.change.impact import impact  # noqa: E402
from yibao.change.semantic import semantic_changes  # noqa: E402
from yibao.compiler.driver import compile_path  # noqa: E402
from yibao.crosscity.compare import read_claims  # noqa: E402
from yibao.crosscity.synth import synthesize  # noqa: E402
from yibao.runtime import Engine, Regulation  # noqa: E402

DEDUCTIBLE = "住院起付标准 按 医院等级 200元 / 500元 / 800元 / 待定"


def versions() -> tuple[dict, dict]:
    old = compile_path(ROOT / "regulations" / "dongying" / "dongying-2018.yb").ir
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "regs"
        shutil.copytree(ROOT / "regulations", root, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        city = root / "dongying" / "dongying-2018.yb"
        city.write_text(city.read_text(encoding="utf-8").replace(DEDUCTIBLE, DEDUCTIBLE.replace("800元", "1000元")),
                        encoding="utf-8")
        new = compile_path(city, root=root).ir
    return old, new


def timed(fn) -> int:
    start = time.perf_counter_ns()
    fn()
    return time.perf_counter_ns() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1000)
    args = parser.parse_args()
    old, new = versions()
    claims, bad = read_claims(synthesize([old], args.persons, 1), "synth")
    encounters = sum(len(case["encounters"]) for _, case in claims)
    old_engine, new_engine = Engine([Regulation.from_ir(old)]), Engine([Regulation.from_ir(new)])
    changes = semantic_changes(old, new)
    baseline = timed(lambda: [old_engine.settle(case, trace=False) for _, case in claims])
    traced = timed(lambda: [old_engine.settle(case, trace=True) for _, case in claims])
    measured = timed(lambda: impact(old_engine, new_engine, claims, bad, changes, vocabulary_names([old, new])))
    semantic = timed(lambda: semantic_changes(old, new))
    print(f"{args.persons} persons, {encounters} encounters")
    for label, total in (("settle once, no trace", baseline), ("settle once, trace", traced), ("impact", measured)):
        print(f"  {label:<22} {total / encounters / 1000:8.1f} µs/encounter  ×{total / baseline:5.2f}")
    print(f"  semantic diff          {semantic / 1e6:8.1f} ms per call")


if __name__ == "__main__":
    sys.exit(main())

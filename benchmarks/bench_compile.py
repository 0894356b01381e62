"""Compile time for the 东营 rule file (run on demand: python benchmarks/bench_compile.py).

Baseline, measured in the same run: lark parsing of the same three files alone. The ratio shows what the
passes after parsing (build, resolve, check, lower, canonical JSON and hash) cost on top of it.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from yibao.compiler.driver import compile_path
from yibao.compiler.parse import parse

ROOT = Path(__file__).resolve().parents[1] / "regulations"
CITY = ROOT / "dongying" / "dongying-2018.yb"
FILES = [CITY, ROOT / "shandong" / "settlement-model.yb", ROOT / "shandong" / "vocabulary.yb"]


def best_of(fn, repeat: int = 7, number: int = 5) -> float:
    """Median over ``repeat`` rounds of the mean seconds per call; the median resists a noisy neighbour."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


def main() -> None:
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in FILES]
    compile_path(CITY)  # warm caches (grammar load) so both figures measure steady state
    parse_only = best_of(lambda: [parse(text, name) for name, text in texts])
    full = best_of(lambda: compile_path(CITY))
    print(f"parse only (baseline): {parse_only * 1e3:8.2f} ms")
    print(f"full compile 东营:      {full * 1e3:8.2f} ms")
    print(f"ratio full / parse:    {full / parse_only:8.2f}x")


if __name__ == "__main__":
    main()

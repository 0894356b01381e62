"""Single-claim settlement latency: the runtime against a hand-written plain-Python 东营 rule.

Run on demand (not a test):

    /tmp/venv/bin/python benchmarks/bench_settle.py [--iterations N] [--hand-written-ir]

Two Engines are built once from the same IR, from regulations/dongying/dongying-2018.yb when the
compiler is available (``yibao.compiler.driver.compile_path``), else from the hand-written IR in
tests/runtime_fixtures: the default one, whose rules run as generated Python (runtime/codegen.py),
and a reference one loaded with ``fast=False``, whose rules run on the closures that are their
specification. All figures come from the same run, per claim, with ``time.perf_counter_ns``:

- ``plain``: the 东营 inpatient rule written by hand (deductible 800 at 三级, 85%, fen, half-up);
- ``Engine.settle(case, trace=False)``: the whole embedding call (validation, evaluation, contract output);
- ``Engine.settle(case, trace=True)``: the same with the trace (read from the generated code's record);
- evaluation alone, on an already-read input list: ``Program.evaluate`` as settle calls it, and
  ``Program.evaluate_reference`` (the closures);
- ``Engine.settle(case, trace=False)`` on the reference Engine, for comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from yibao.runtime import Engine, Regulation, load_case_text  # noqa: E402

CASE = """{"region": "370500",
 "person": {"psn_no": "P1", "insutype": "310", "psn_type": "1101", "brdy": "1975-06-01", "gend": "1", "flags": []},
 "encounters": [{"mdtrt_id": "E1", "med_type": "21", "setl_time": "2019-03-10", "dedc_hosp_lv": "3",
                 "fees": {"01": 10000.00, "02": 0, "03": 0}, "overlmt_selfpay": 0, "flags": []}]}"""
EXCLUDED_KEPT = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay")  # what settle asks an excluded encounter for


def plain_dongying_inpatient(fee_fen: int) -> tuple[int, int, int]:
    """东营 第三十条/第三十一条 by hand: 职工 三级 住院, 起付 800元, 85%, 四舍五入 to the fen."""
    deductible = min(80000, fee_fen)
    above = fee_fen - deductible
    fund = (above * 85 * 2 + 100) // 200  # × 0.85, half-up, in integers
    return deductible, fund, fee_fen - fund


def load_ir(hand_written: bool) -> tuple[dict, str]:
    if not hand_written:
        try:
            from yibao.compiler.driver import compile_path
        except ImportError:
            pass
        else:
            result = compile_path(str(ROOT / "regulations" / "dongying" / "dongying-2018.yb"))
            if result.ir is not None:
                return result.ir, "compiled regulations/dongying/dongying-2018.yb"
    from runtime_fixtures.mini_ir import dongying_ir
    return dongying_ir(), "hand-written IR (tests/runtime_fixtures/mini_ir.py)"


def per_call_ns(fn, iterations: int, batches: int = 20) -> float:
    """The least disturbed of ``batches`` batches, per call: short batches, so that a moment of
    contention on a shared machine spoils one batch rather than the figure."""
    size = max(iterations // batches, 1)
    best = float("inf")
    for _ in range(batches):
        start = time.perf_counter_ns()
        for _ in range(size):
            fn()
        best = min(best, (time.perf_counter_ns() - start) / size)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--hand-written-ir", action="store_true", help="use the hand-written IR even if the compiler is available")
    args = parser.parse_args()

    ir, origin = load_ir(args.hand_written_ir)
    engine = Engine([Regulation.from_ir(ir)])
    reference = Engine([Regulation.from_ir(ir, fast=False)])
    case = load_case_text(CASE, "bench.json")
    for e in (engine, reference):
        info = e.settle(case, trace=False).output["encounters"][0]["setlinfo"]
        assert (str(info["act_pay_dedc"]), str(info["hifp_pay"])) == ("800.00", "7820.00"), info
    assert plain_dongying_inpatient(1000000) == (80000, 782000, 218000)

    (reg,) = engine.regulations("370500")
    program = reg.program
    assert program.fast is not None, "the rules did not compile to Python"
    from yibao.runtime.case import Problems, parse_encounters, parse_person
    schema = engine.regions.schemas["370500"]  # the fields a region reads, to time evaluation alone
    problems = Problems("bench")
    person = parse_person(case["person"], schema, problems)
    (enc,) = parse_encounters(case["encounters"], schema, problems)
    inputs = reg.read_inputs(person, enc)
    counters = [c.init for c in program.counters]

    n = args.iterations
    plain = per_call_ns(lambda: plain_dongying_inpatient(1000000), n * 10)
    rows = [
        ("Engine.settle(trace=False)", per_call_ns(lambda: engine.settle(case, trace=False), n)),
        ("Engine.settle(trace=True)", per_call_ns(lambda: engine.settle(case, trace=True), max(n // 4, 1))),
        ("Program.evaluate (generated)",
         per_call_ns(lambda: program.evaluate(inputs, counters, EXCLUDED_KEPT, need_env=False, trusted=True), n)),
        ("Program.evaluate_reference", per_call_ns(lambda: program.evaluate_reference(inputs, counters, EXCLUDED_KEPT), n)),
        ("reference Engine.settle(trace=False)", per_call_ns(lambda: reference.settle(case, trace=False), n)),
    ]
    assert program.fallbacks == 0, "the generated code handed encounters back to the closures"

    print(f"engine: {origin}; {len(program.definitions)} definitions, {len(program.tables)} tables, "
          f"{len(program.counters)} counters; Python {sys.version.split()[0]}")
    print(f"{'plain Python 东营 rule':38s} {plain / 1000:9.3f} µs/claim")
    for label, ns in rows:
        print(f"{label:38s} {ns / 1000:9.2f} µs/claim   {ns / plain:6.0f}× plain")


if __name__ == "__main__":
    main()

"""Single-claim settlement latency: the runtime against a hand-written plain-Python 东营 rule.

Run on demand (not a test):

    /tmp/venv/bin/python benchmarks/bench_settle.py [--iterations N] [--hand-written-ir]

The Engine is built once, from regulations/dongying/dongying-2018.yb when the compiler is available
(``yibao.compiler.driver.compile_path``), else from the hand-written IR in tests/runtime_fixtures.
Three things are timed per claim with ``time.perf_counter_ns``:

- ``Engine.settle(case, trace=False)``: the whole embedding call (validation, evaluation, contract output);
- ``Program.evaluate``: the rule evaluation alone, on an already-read input list;
- ``plain``: the same 东营 inpatient rule written by hand (deductible 800 at 三级, 85%, fen, half-up).
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


def plain_dongying_inpatient(fee_fen: int) -> tuple[int, int, int]:
    """东营 第三十条/第三十一条 by hand: 职工 三级 住院, 起付 800元, 85%, 四舍五入 to the fen."""
    deductible = min(80000, fee_fen)
    above = fee_fen - deductible
    fund = (above * 85 * 2 + 100) // 200  # × 0.85, half-up, in integers
    return deductible, fund, fee_fen - fund


def build_engine(hand_written: bool) -> tuple[Engine, str]:
    if not hand_written:
        try:
            from yibao.compiler.driver import compile_path
        except ImportError:
            pass
        else:
            result = compile_path(str(ROOT / "regulations" / "dongying" / "dongying-2018.yb"))
            if result.ir is not None:
                return Engine([Regulation.from_ir(result.ir)]), "compiled regulations/dongying/dongying-2018.yb"
    from runtime_fixtures.mini_ir import dongying_ir
    return Engine([Regulation.from_ir(dongying_ir())]), "hand-written IR (tests/runtime_fixtures/mini_ir.py)"


def per_call_ns(fn, iterations: int, repeats: int = 5) -> float:
    """Best median-of-batch time per call: the least disturbed of ``repeats`` batches."""
    batches = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(iterations):
            fn()
        batches.append((time.perf_counter_ns() - start) / iterations)
    return min(batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--hand-written-ir", action="store_true", help="use the hand-written IR even if the compiler is available")
    args = parser.parse_args()

    engine, origin = build_engine(args.hand_written_ir)
    case = load_case_text(CASE, "bench.json")
    result = engine.settle(case, trace=False)
    info = result.output["encounters"][0]["setlinfo"]
    assert (str(info["act_pay_dedc"]), str(info["hifp_pay"])) == ("800.00", "7820.00"), info
    assert plain_dongying_inpatient(1000000) == (80000, 782000, 218000)

    (reg,) = engine.regulations("370500")
    program = reg.program
    from yibao.runtime.case import Problems, parse_encounters, parse_person, read_inputs
    schema = engine._schemas["370500"]  # benchmark only: reach past the API to time evaluation alone
    problems = Problems("bench")
    person = parse_person(case["person"], schema, problems)
    (enc,) = parse_encounters(case["encounters"], schema, problems)
    inputs = read_inputs(reg.readers, person, enc)
    counters = [c.init for c in program.counters]

    settle_ns = per_call_ns(lambda: engine.settle(case, trace=False), args.iterations)
    traced_ns = per_call_ns(lambda: engine.settle(case, trace=True), max(args.iterations // 4, 1))
    eval_ns = per_call_ns(lambda: program.evaluate(inputs, counters), args.iterations)
    plain_ns = per_call_ns(lambda: plain_dongying_inpatient(1000000), args.iterations * 10)

    print(f"engine: {origin}; {len(program.definitions)} definitions, {len(program.tables)} tables, "
          f"{len(program.counters)} counters; Python {sys.version.split()[0]}")
    print(f"Engine.settle(trace=False)   {settle_ns / 1000:9.2f} µs/claim   ({settle_ns / plain_ns:8.0f}× plain)")
    print(f"Engine.settle(trace=True)    {traced_ns / 1000:9.2f} µs/claim")
    print(f"Program.evaluate only        {eval_ns / 1000:9.2f} µs/claim   ({eval_ns / plain_ns:8.0f}× plain)")
    print(f"plain Python 东营 rule        {plain_ns / 1000:9.3f} µs/claim")
    print(f"ratio settle / plain = {settle_ns / plain_ns:.1f}; evaluate / plain = {eval_ns / plain_ns:.1f}")


if __name__ == "__main__":
    main()

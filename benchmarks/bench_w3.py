"""W3: per-claim latency on one 东营 三级 inpatient encounter, and the CLI's wall time (issue 6).

Run on demand (not a test), from the project root:

    python benchmarks/bench_w3.py [--iterations N] [--cli-runs N]

Every figure comes from this one run, per claim, with ``time.perf_counter_ns`` (the least disturbed of
several short batches), and every ratio is against a baseline measured in the same run:

- ``hand-written``: the same 东营 inpatient rule written by hand in plain Python, counters in local
  variables (第三十条 deductible by level with the admission counter and the transfer rule, 第三十一条 ratio
  and 乙类先行自付, the merged annual limit of 第二十九条 with its counter) — checked against the engine;
- ``Engine.settle`` on an already-loaded case, ``trace=False`` and ``trace=True``;
- text in → JSON text out through the public API (``load_case_text`` → ``Engine.settle`` → ``dumps_output``),
  trace off and on;
- ``dumps_output`` alone on the settled output, trace off and on, against the writer as first written
  (tests/runtime_fixtures/json_oracle.py: one ``json.dumps`` per key and string; target 5× faster);
- where ``Engine.settle(trace=False)`` spends its time: each step of its plain lane on its own (reading the
  case and the inputs, counters, evaluation, output building), the lane whole (what is left is glue), and
  the general path the lane stands in for, so that a miss can be traced to its step;
- the CLI: ``yibao settle examples/dongying-case.json`` with a warm IR cache, against
  ``python -c "import yibao.runtime"`` (best of ``--cli-runs`` wall times each).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from yibao.runtime import Engine, Regulation, dumps_output, load_case_text  # noqa: E402

from bench_settle import per_call_ns  # noqa: E402  (the least disturbed batch, as bench_settle measures it)
from runtime_fixtures.json_oracle import oracle as first_writer  # noqa: E402  (bench_settle put tests/ on the path)

CASE = """{"region": "370500",
 "person": {"psn_no": "P1", "insutype": "310", "psn_type": "1101", "brdy": "1975-06-01", "gend": "1", "flags": []},
 "encounters": [{"mdtrt_id": "E1", "med_type": "21", "setl_time": "2019-03-10", "dedc_hosp_lv": "3",
                 "fees": {"01": 10000.00, "02": 0, "03": 0}, "overlmt_selfpay": 0, "flags": []}]}"""
TARGETS = {"settle_off_us": 10.0, "settle_off_vs_hand": 3.0, "settle_on_vs_off": 2.0, "text_json_us": 30.0,
           "cli_vs_import": 3.0, "dumps_speedup": 5.0}

# 东营 第三十条/第三十一条/第二十九条, as numbers in fen and percent: by 险种 (职工 310, 居民 390) and level (1 2 3)
DEDUCTIBLE = {"1": 20000, "2": 50000, "3": 80000}
POOL_PERCENT = {("310", "1"): 95, ("310", "2"): 90, ("310", "3"): 85, ("390", "1"): 90, ("390", "2"): 75, ("390", "3"): 60}
B_SELF_PERCENT = {"310": 10, "390": 20}
ANNUAL_LIMIT = {"310": 20_000_000, "390": 16_000_000}


def half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def hand_written(insutype: str, level: str, fee_a: int, fee_b: int, fee_c: int, transfer: bool,
                 admissions: int, last_dedc: int, last_exempt: bool, pooled_paid: int) -> tuple:
    """One 东营 inpatient encounter by hand; returns the setlinfo amounts in fen and the counters after."""
    medfee = fee_a + fee_b + fee_c
    preself = 0 if fee_b == 0 else half_up(fee_b * B_SELF_PERCENT[insutype], 100)
    inscp = medfee - fee_c - preself
    standard = DEDUCTIBLE[level]
    exempt = admissions >= 2
    this_dedc = 0 if exempt else standard
    due = (0 if last_exempt else max(standard - last_dedc, 0)) if transfer else this_dedc
    dedc = min(due, inscp)
    percent = POOL_PERCENT[insutype, level]
    by_ratio = half_up((inscp - dedc) * percent, 100)
    fund = min(by_ratio, max(ANNUAL_LIMIT[insutype] - pooled_paid, 0))
    counted = not transfer and inscp >= this_dedc
    after = (admissions + counted, max(standard, last_dedc) if transfer else this_dedc,
             last_exempt if transfer else exempt, pooled_paid + fund)
    return (medfee, fee_c, preself, inscp, dedc, fund, percent, fund, medfee - fund), after


def compiled_dongying() -> dict:
    from yibao.compiler.driver import compile_path

    result = compile_path(str(ROOT / "regulations" / "dongying" / "dongying-2018.yb"))
    assert result.ir is not None, result.diagnostics
    return result.ir


def check_hand_written(engine: Engine) -> None:
    """The hand-written rule gives the engine's amounts on the benchmark case and a few others."""
    from decimal import Decimal

    cases = [("310", "3", 1_000_000, 0, 0), ("390", "2", 300_000, 100_000, 50_000), ("310", "1", 100_000, 5, 0)]
    for insutype, level, a, b, c in cases:
        text = CASE.replace('"insutype": "310"', f'"insutype": "{insutype}"').replace(
            '"dedc_hosp_lv": "3"', f'"dedc_hosp_lv": "{level}"').replace(
            '"fees": {"01": 10000.00, "02": 0, "03": 0}', f'"fees": {{"01": {a / 100:.2f}, "02": {b / 100:.2f}, "03": {c / 100:.2f}}}')
        info = engine.settle(load_case_text(text, "check.json"), trace=False).output["encounters"][0]["setlinfo"]
        (medfee, fulamt, preself, inscp, dedc, fund, percent, funds, person), _ = hand_written(
            insutype, level, a, b, c, False, 0, 0, False, 0)
        fen = {k: int(v * 100) for k, v in info.items() if isinstance(v, Decimal) and k != "pool_prop_selfpay"}
        assert (fen["medfee_sumamt"], fen["fulamt_ownpay_amt"], fen["preselfpay_amt"], fen["inscp_scp_amt"],
                fen["act_pay_dedc"], fen["hifp_pay"], fen["fund_pay_sumamt"], fen["psn_part_amt"]) == \
               (medfee, fulamt, preself, inscp, dedc, fund, funds, person), (insutype, level, info)
        assert info["pool_prop_selfpay"] == Decimal(percent) / 100


def cli_seconds(runs: int) -> tuple[float, float]:
    """Best wall time of ``yibao settle`` (warm cache) and of ``python -c "import yibao.runtime"``."""
    script = shutil.which("yibao", path=str(Path(sys.executable).parent))
    settle = [script] if script else [sys.executable, "-m", "yibao"]
    settle += ["settle", str(ROOT / "examples" / "dongying-case.json")]
    env = dict(os.environ, YIBAO_CACHE_DIR=tempfile.mkdtemp(prefix="yibao-bench-cache-"))
    first = subprocess.run(settle, capture_output=True, env=env)  # fills the cache
    assert first.returncode == 0, first.stderr.decode()

    def best(command: list) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, env=env, check=True)
            times.append(time.perf_counter() - start)
        return min(times)
    result = best(settle), best([sys.executable, "-c", "import yibao.runtime"])
    shutil.rmtree(env["YIBAO_CACHE_DIR"], ignore_errors=True)
    return result


def settle_steps(engine: Engine, reg: Regulation, case: dict, n: int) -> list:
    """Each step of ``Engine.settle(trace=False)``'s plain lane timed alone, as settle.py runs it, and the
    general path it stands in for (benchmark only: reaches past the API)."""
    code = case["region"]
    (lane,) = engine._lanes[code]
    read_case = engine._case_readers[code]
    person, encounters, _ = read_case(case)
    enc = encounters[0]
    inputs = lane.read_inputs(person, enc)
    counters = list(lane.inits)
    outs = lane.function(inputs, counters, False, False)[2]
    return [
        ("generated case reader", per_call_ns(lambda: read_case(case), n)),
        ("generated input reader", per_call_ns(lambda: lane.read_inputs(person, enc), n)),
        ("counters before (at init)", per_call_ns(lambda: list(lane.inits), n)),
        ("generated evaluation", per_call_ns(lambda: lane.function(inputs, list(counters), False, False), n)),
        ("generated output builder (by position)", per_call_ns(lambda: lane.build_output(outs, person.insutype), n)),
        ("the plain lane, whole (_settle_plain)", per_call_ns(lambda: engine._settle_plain(case, None), n)),
        ("the general path it stands in for", per_call_ns(lambda: engine._settle_general(case, None, False, None), n)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--cli-runs", type=int, default=10)
    args = parser.parse_args()

    engine = Engine([Regulation.from_ir(compiled_dongying())])
    check_hand_written(engine)
    case = load_case_text(CASE, "bench.json")
    n = args.iterations
    hand = per_call_ns(lambda: hand_written("310", "3", 1_000_000, 0, 0, False, 0, 0, False, 0), n)
    off = per_call_ns(lambda: engine.settle(case, trace=False), n)
    on = per_call_ns(lambda: engine.settle(case, trace=True), max(n // 4, 1))
    text_off = per_call_ns(lambda: dumps_output(engine.settle(load_case_text(CASE, "bench.json"), trace=False).output), n)
    text_on = per_call_ns(lambda: dumps_output(engine.settle(load_case_text(CASE, "bench.json"), trace=True).output),
                          max(n // 4, 1))
    (reg,) = engine.regulations()
    assert reg.program.fallbacks == 0, "the generated code handed encounters back to the closures"
    plain_out, traced_out = engine.settle(case, trace=False).output, engine.settle(case, trace=True).output
    assert dumps_output(plain_out) == first_writer(plain_out) and dumps_output(traced_out) == first_writer(traced_out)
    writes = [(label, per_call_ns(lambda: first_writer(out), max(n // 4, 1)), per_call_ns(lambda: dumps_output(out), n))
              for label, out in (("trace off", plain_out), ("trace on", traced_out))]
    steps = settle_steps(engine, reg, case, n)
    cli, bare = cli_seconds(args.cli_runs)

    print(f"W3: one 东营 三级 inpatient encounter; Python {sys.version.split()[0]}; {len(reg.program.definitions)} definitions")
    rows = [
        ("hand-written Python (counters in locals)", hand, ""),
        ("Engine.settle(trace=False)", off, f"{off / hand:5.1f}× hand-written   (target ≤ {TARGETS['settle_off_us']:.0f} µs, "
                                            f"≤ {TARGETS['settle_off_vs_hand']:.0f}×)"),
        ("Engine.settle(trace=True)", on, f"{on / off:5.1f}× trace off      (target ≤ {TARGETS['settle_on_vs_off']:.0f}×)"),
        ("text → JSON text, trace off", text_off, f"{text_off / hand:5.1f}× hand-written   (target ≤ {TARGETS['text_json_us']:.0f} µs)"),
        ("text → JSON text, trace on", text_on, f"{text_on / text_off:5.1f}× text→JSON trace off"),
    ]
    for label, ns, ratio in rows:
        print(f"  {label:42s} {ns / 1000:9.2f} µs   {ratio}")
    print("dumps_output on the settled output, against the writer as first written:")
    for label, before, now in writes:
        print(f"  {label:42s} {now / 1000:9.2f} µs   {before / now:5.1f}× faster than {before / 1000:.2f} µs "
              f"(target ≥ {TARGETS['dumps_speedup']:.0f}×)")
    print("Engine.settle(trace=False), step by step (each on its own; together they run colder than alone):")
    for label, ns in steps:
        print(f"  {label:42s} {ns / 1000:9.2f} µs")
    glue = steps[-2][1] - sum(ns for _, ns in steps[:-2])
    print(f"  {'  the lane less its steps (glue)':42s} {glue / 1000:9.2f} µs")
    print(f"CLI (warm IR cache, best of {args.cli_runs}):")
    bare_label = 'python -c "import yibao.runtime"'
    print(f"  {bare_label:42s} {bare * 1000:9.1f} ms")
    print(f"  {'yibao settle examples/dongying-case.json':42s} {cli * 1000:9.1f} ms   {cli / bare:5.1f}× import "
          f"(target ≤ {TARGETS['cli_vs_import']:.0f}×)")


if __name__ == "__main__":
    main()

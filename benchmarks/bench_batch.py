"""Batch settlement benchmarks (issue 7). Run on demand, never in the test suite:

    python benchmarks/bench_batch.py w1 [--claims 2000000]
    python benchmarks/bench_batch.py w2 [--encounters 300000]
    python benchmarks/bench_batch.py scaling [--sizes 300000,1000000,3000000]
    python benchmarks/bench_batch.py all

W1 is a stateless rule (benchmarks/w1/w1-stateless.yb, a benchmark rule, not a regulation) over generated
claims: yibao's columnar evaluator against hand-written numpy int64 fen, OpenFisca (the ``bench`` extra,
when installed) and a pure-Python loop, in the same run; every variant must give the same total to the fen.

W2 is a deterministic 东营 city-year written to Parquet and settled end to end by ``yibao settle --batch``
(Parquet in, Parquet out), in a child process so that its peak RSS is its own. ``scaling`` repeats W2 at
several sizes and prints time, rate and peak RSS for each.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
W1_RULE = ROOT / "benchmarks" / "w1" / "w1-stateless.yb"


# ── W1 ────────────────────────────────────────────────────────────────────────────────────────


def w1_claims(n: int, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    return {"insutype": rng.integers(0, 2, n),            # 0 职工, 1 居民
            "level": rng.integers(0, 3, n),               # 0 一级, 1 二级, 2 三级
            "a": rng.integers(0, 30_000_000, n, dtype=np.int64),   # 甲类 fen
            "b": rng.integers(0, 5_000_000, n, dtype=np.int64)}    # 乙类 fen


def w1_numpy(c: dict) -> np.ndarray:
    """The W1 rule by hand in int64 fen: the limit a columnar evaluator can reach."""
    deductible = np.array([20_000, 50_000, 80_000], np.int64)[c["level"]]
    selfpay_pct = np.array([10, 20], np.int64)[c["insutype"]]
    pre = (2 * c["b"] * selfpay_pct + 100) // 200                      # 四舍五入(乙类 × 10%/20%)
    scope = c["a"] + c["b"] - pre
    paid_ded = np.minimum(deductible, scope)
    ratio_pct = np.array([[95, 90, 85], [90, 75, 60]], np.int64)[c["insutype"], c["level"]]
    fund = (2 * (scope - paid_ded) * ratio_pct + 100) // 200            # 四舍五入((范围内 − 起付) × 比例)
    return np.minimum(fund, np.array([20_000_000, 16_000_000], np.int64)[c["insutype"]])


def w1_python(c: dict) -> int:
    """The W1 rule as a plain Python loop over claims, in integer fen."""
    total = 0
    deductible = (20_000, 50_000, 80_000)
    ratio = ((95, 90, 85), (90, 75, 60))
    cap = (20_000_000, 16_000_000)
    for ins, lv, a, b in zip(c["insutype"].tolist(), c["level"].tolist(), c["a"].tolist(), c["b"].tolist()):
        pre = (2 * b * (10, 20)[ins] + 100) // 200
        scope = a + b - pre
        fund = (2 * (scope - min(deductible[lv], scope)) * ratio[ins][lv] + 100) // 200
        total += min(fund, cap[ins])
    return total


def w1_openfisca():
    """The W1 rule as an OpenFisca tax-benefit system (``bench`` extra), in integer fen: variables are int32
    (every stored amount fits), products are formed in int64 inside the formulas. None when not installed."""
    try:
        from openfisca_core.entities import build_entity
        from openfisca_core.periods import DateUnit
        from openfisca_core.simulations import SimulationBuilder
        from openfisca_core.taxbenefitsystems import TaxBenefitSystem
        from openfisca_core.variables import Variable
    except ImportError:
        return None
    claim_entity = build_entity(key="claim", plural="claims", label="claim", is_person=True)

    def variable(name, formula=None):
        attrs = {"value_type": int, "entity": claim_entity, "definition_period": DateUnit.YEAR, "label": name}
        if formula is not None:
            attrs["formula"] = formula
        return type(name, (Variable,), attrs)

    def preselfpay(claim, period):
        pct = np.where(claim("insutype", period) == 0, 10, 20)
        return (2 * claim("fee_b", period).astype(np.int64) * pct + 100) // 200

    def scope(claim, period):
        return claim("fee_a", period).astype(np.int64) + claim("fee_b", period) - claim("preselfpay", period)

    def hifp_pay(claim, period):
        ins, lv = claim("insutype", period), claim("level", period)
        s = claim("scope", period).astype(np.int64)
        paid_ded = np.minimum(np.array([20_000, 50_000, 80_000], np.int64)[lv], s)
        ratio = np.array([[95, 90, 85], [90, 75, 60]], np.int64)[ins, lv]
        return np.minimum((2 * (s - paid_ded) * ratio + 100) // 200, np.where(ins == 0, 20_000_000, 16_000_000))

    system = TaxBenefitSystem([claim_entity])
    for name, formula in (("insutype", None), ("level", None), ("fee_a", None), ("fee_b", None),
                          ("preselfpay", preselfpay), ("scope", scope), ("hifp_pay", hifp_pay)):
        system.add_variable(variable(name, formula))

    def run(c: dict) -> np.ndarray:
        simulation = SimulationBuilder().build_default_simulation(system, len(c["a"]))
        for name, key in (("insutype", "insutype"), ("level", "level"), ("fee_a", "a"), ("fee_b", "b")):
            simulation.set_input(name, "2024", c[key])
        return simulation.calculate("hifp_pay", "2024").astype(np.int64)
    return run


def w1_yibao():
    """The W1 rule file compiled and loaded; returns a function claims → fund column (int64 fen)."""
    sys.path.insert(0, str(ROOT))
    from yibao.compiler.driver import compile_path
    from yibao.runtime import Regulation
    from yibao.runtime.columnar import Col, ColumnarEvaluator

    result = compile_path(W1_RULE, root=ROOT / "regulations")
    if result.ir is None:
        raise SystemExit(f"{W1_RULE}: 编译失败 {result.diagnostics}")
    evaluator = ColumnarEvaluator(Regulation.from_ir(result.ir))
    program = evaluator.program
    ids = evaluator.compiler.name_id
    insutype_ids = np.array([ids["职工"], ids["居民"]], np.int64)
    level_ids = np.array([ids["一级"], ids["二级"], ids["三级"]], np.int64)

    def run(c: dict) -> np.ndarray:
        columns = {"险种": Col("enum", insutype_ids[c["insutype"]]), "医院等级": Col("enum", level_ids[c["level"]]),
                   "甲类费用": Col("num", c["a"]), "乙类费用": Col("num", c["b"])}
        unused = Col("enum", np.zeros(len(c["a"]), np.int64))  # the vocabularies' implicit inputs W1 never reads
        inputs = [columns.get(spec.name, unused) for spec in program.inputs]
        out = evaluator.evaluate(inputs, [], len(c["a"]))
        col = out.outputs["hifp_pay"]
        assert col.s is None or not col.s.any()
        return np.asarray(col.n, np.int64)
    return run


def best_of(runs: int, fn, *args):
    """(seconds, result) of the fastest of ``runs`` calls: the machine is shared, the minimum is the signal."""
    best = None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn(*args)
        seconds = time.perf_counter() - t
        best = seconds if best is None else min(best, seconds)
    return best, result


def bench_w1(n: int) -> None:
    claims = w1_claims(n)
    yibao = w1_yibao()
    yibao(w1_claims(1000))  # warm up (first-use imports)
    rows = []
    seconds, hand = best_of(3, w1_numpy, claims)
    rows.append(("hand-written numpy int64", seconds, int(hand.sum())))
    seconds, ours = best_of(3, yibao, claims)
    rows.append(("yibao columnar (IR)", seconds, int(ours.sum())))
    openfisca = w1_openfisca()
    if openfisca is not None:
        seconds, theirs = best_of(3, openfisca, claims)
        assert (theirs == hand).all(), "OpenFisca differs from hand-written numpy"
        rows.append(("OpenFisca (integer fen)", seconds, int(theirs.sum())))
    sample = min(n, 300_000)
    part = {k: v[:sample] for k, v in claims.items()}
    seconds, py_total = best_of(1, w1_python, part)
    py_seconds = seconds * n / sample
    assert py_total == int(hand[:sample].sum()), "pure Python differs from numpy"
    rows.append((f"pure-Python loop (timed on {sample:,}, scaled)", py_seconds, None))
    python_row = len(rows) - 1
    assert (ours == hand).all(), "yibao columnar differs from hand-written numpy"
    print(f"W1: stateless rule, {n:,} claims (same generated data for all)")
    base = rows[0][1]
    for name, seconds, total in rows:
        total_text = f"{total / 100:,.2f} 元" if total is not None else f"(sample total {py_total / 100:,.2f} 元 = numpy's)"
        print(f"  {name:45s} {seconds:8.3f} s  {n / seconds / 1e6:8.2f} M claims/s  "
              f"{base / seconds:6.2f}× numpy  total {total_text}")
    print(f"  yibao / pure Python: {rows[python_row][1] / rows[1][1]:.1f}×; " + (
        f"yibao / OpenFisca: {rows[2][1] / rows[1][1]:.1f}×" if openfisca is not None
        else "OpenFisca: not installed (pip install -e '.[bench]')"))


# ── W2 ────────────────────────────────────────────────────────────────────────────────────────


def w2_file(path: Path, encounters: int, seed: int = 2018) -> int:
    """A deterministic 东营 city-year: persons with 1–6 encounters in 2019, sorted by person and time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    per = rng.integers(1, 7, encounters)  # encounters per person (cut to the total below)
    counts = per[np.cumsum(per) <= encounters]
    if counts.sum() < encounters:
        counts = np.append(counts, encounters - counts.sum())
    persons = len(counts)
    person = np.repeat(np.arange(persons), counts)
    k = np.concatenate([np.arange(c) for c in counts])
    n = len(person)
    insutype = rng.integers(0, 2, persons)[person]
    day = np.minimum(k * 60 + rng.integers(0, 50, n), 364)
    dates = (np.datetime64("2019-01-01") + day.astype("timedelta64[D]")).astype(str)
    med = np.array(["11", "14", "21", "21", "21", "22"])[rng.integers(0, 6, n)]
    fen = lambda hi: rng.integers(0, hi, n)  # noqa: E731
    yuan = lambda f: np.char.add(np.char.add((f // 100).astype(str), "."), np.char.zfill((f % 100).astype(str), 2))  # noqa: E731
    flags = np.array([[], [], [], [], ["转院"], ["急诊"], ["非定点"]], dtype=object)[rng.integers(0, 7, n)]
    table = pa.table({
        "region": pa.array(np.full(n, "370500")),
        "psn_no": pa.array(np.char.add("P", person.astype(str))),
        "insutype": pa.array(np.where(insutype == 0, "310", "390")),
        "psn_type": pa.array(np.where(insutype == 0, "1101", "1501")),
        "brdy": pa.array(np.full(n, "1970-01-01")), "gend": pa.array(np.full(n, "1")),
        "mdtrt_id": pa.array(np.char.add("E", np.arange(n).astype(str))),
        "med_type": pa.array(med), "setl_time": pa.array(dates),
        "dedc_hosp_lv": pa.array(np.array(["1", "2", "3"])[rng.integers(0, 3, n)]),
        "fee_01": pa.array(yuan(fen(5_000_000))), "fee_02": pa.array(yuan(fen(500_000))),
        "fee_03": pa.array(yuan(fen(100_000))),
        "flags": pa.array(list(flags), pa.list_(pa.string())),
    })
    pq.write_table(table, path, row_group_size=100_000)  # a reader holds one row group at a time
    return persons


def run_w2(source: Path, target: Path) -> dict:
    """``yibao settle --batch`` in a child process: wall time, that child's own peak RSS (os.wait4), output."""
    import os
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "yibao", "settle", "--batch", str(source), "--out", str(target)],
                                stdout=out, stderr=err, cwd=ROOT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in (0, 1):
        raise SystemExit(stderr)
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "summary": stdout.strip()}


def generate_in_child(source: Path, encounters: int) -> int:
    """The W2 file, written by a child process, so that this process stays small (a child forked from it
    starts with its pages, which would count in the child's peak RSS)."""
    proc = subprocess.run([sys.executable, __file__, "generate", "--encounters", str(encounters), "--path", str(source)],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout.strip())


def bench_w2(encounters: int, folder: Path) -> dict:
    source, target = folder / f"w2-{encounters}.parquet", folder / f"w2-{encounters}-out.parquet"
    persons = generate_in_child(source, encounters)
    result = run_w2(source, target)
    result.update(encounters=encounters, persons=persons)
    return result


def per_claim_baseline(source: Path, target: Path, rows: int = 20_000) -> dict:
    """Engine.settle (the per-claim path) on the file's first persons, about ``rows`` rows: its rate, and
    row-for-row agreement of every setlinfo field and error with the batch output."""
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT))
    from yibao.compiler.driver import compile_all
    from yibao.runtime import Engine, Regulation, dumps_output, load_case_text
    from yibao.runtime import contract as C

    engine = Engine([Regulation.from_ir(r.ir) for r in compile_all()])
    inp = pq.read_table(source).slice(0, rows).to_pylist()
    out = pq.read_table(target).slice(0, rows).to_pylist()
    last = inp[-1]["psn_no"]
    while len(inp) > 1 and inp[-1]["psn_no"] == last:
        inp.pop()  # whole persons only: the last one may go on past the slice
    cases, start = [], 0
    for i in range(1, len(inp) + 1):
        if i == len(inp) or inp[i]["psn_no"] != inp[start]["psn_no"]:
            group = inp[start:i]
            first = group[0]
            cases.append((start, {"region": first["region"],
                                  "person": {k: first[k] for k in ("psn_no", "insutype", "psn_type", "brdy", "gend")},
                                  "encounters": [{"mdtrt_id": r["mdtrt_id"], "med_type": r["med_type"],
                                                  "setl_time": r["setl_time"], "dedc_hosp_lv": r["dedc_hosp_lv"],
                                                  "fees": {"01": r["fee_01"], "02": r["fee_02"], "03": r["fee_03"]},
                                                  "flags": r["flags"]} for r in group]}))
            start = i
    texts = [(at, json.dumps(case, ensure_ascii=False)) for at, case in cases]
    t = time.perf_counter()
    outputs = [(at, engine.settle(load_case_text(text, "case"), trace=False).output) for at, text in texts]
    seconds = time.perf_counter() - t
    from decimal import Decimal
    disagree = 0
    for at, output in outputs:
        for k, enc in enumerate(json.loads(dumps_output(output), parse_float=Decimal)["encounters"]):
            got = out[at + k]
            if "error" in enc:
                disagree += got["error_code"] != enc["error"]["code"]
            else:
                disagree += any(got[f"setl_{f}" if f"setl_{f}" in got else f] != enc["setlinfo"][f]
                                for f in enc["setlinfo"])
    return {"rows": len(inp), "seconds": seconds, "disagree": disagree}


def bench_scaling(sizes: list, folder: Path) -> None:
    print("W2 scaling: 东营 city-year, yibao settle --batch Parquet → Parquet (a child process each; its own peak RSS)")
    print(f"  {'encounters':>11s} {'persons':>9s} {'seconds':>8s} {'enc/s':>10s} {'peak RSS MB':>12s}")
    for n in sizes:
        r = bench_w2(n, folder)
        print(f"  {n:>11,} {r['persons']:>9,} {r['seconds']:>8.1f} {n / r['seconds']:>10,.0f} {r['peak_mb']:>12.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["w1", "w2", "scaling", "all", "generate"])
    parser.add_argument("--path", help="generate: where to write the W2 file")
    parser.add_argument("--claims", type=int, default=2_000_000)
    parser.add_argument("--encounters", type=int, default=300_000)
    parser.add_argument("--sizes", default="300000,1000000")
    args = parser.parse_args()
    if args.what == "generate":
        print(w2_file(Path(args.path), args.encounters))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.what in ("w1", "all"):
            bench_w1(args.claims)
        if args.what in ("w2", "all"):
            r = bench_w2(args.encounters, folder)
            print(f"W2: {r['encounters']:,} encounters, {r['persons']:,} persons: {r['seconds']:.1f} s "
                  f"({r['encounters'] / r['seconds']:,.0f} enc/s), peak RSS {r['peak_mb']:.0f} MB")
            print("  " + r["summary"].replace("\n", "\n  "))
            base = per_claim_baseline(folder / f"w2-{args.encounters}.parquet", folder / f"w2-{args.encounters}-out.parquet")
            rate = base["rows"] / base["seconds"]
            print(f"  per-claim Engine.settle on the first {base['rows']:,} rows: {rate:,.0f} enc/s in process; "
                  f"yibao --batch end to end is {args.encounters / r['seconds'] / rate:.1f}× that; "
                  f"rows that disagree: {base['disagree']}")
            print("  hand-written numpy + pyarrow 东营: not written (see README); target 5M enc/s not met")
        if args.what in ("scaling", "all"):
            bench_scaling([int(s) for s in args.sizes.split(",")], folder)
    print(json.dumps({"python": sys.version.split()[0], "numpy": np.__version__}))


if __name__ == "__main__":
    main()

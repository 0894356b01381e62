"""``yibao settle --batch``: a Parquet file with 1,000 deliberately malformed rows among good ones.

Every good row equals per-claim settlement (``Engine.settle`` of that person's case without the bad rows)
exactly; every bad row keeps its place with YR10 and the column it is wrong in; the totals and the very
bytes are the same with and without Dask, for several chunk (partition) sizes, and when a Dask worker is
killed mid-run. Files that cannot be used at all exit 2 naming the file and column; an interrupted run
leaves no output.
"""

from __future__ import annotations

import json
import os
import random
import signal
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from yibao import batch  # noqa: E402
from yibao.cli import main  # noqa: E402
from yibao.runtime import Engine, Regulation, dumps_output, load_case_text  # noqa: E402
from yibao.runtime import contract as C  # noqa: E402

EXAMPLE = Path("examples/batch/dongying-encounters.csv")
BAD_KINDS = ("unknown_code", "negative", "not_a_number", "missing_field", "bad_date", "person_disagrees")


@pytest.fixture(scope="module")
def engine() -> Engine:
    from yibao.compiler.driver import compile_all

    return Engine([Regulation.from_ir(r.ir) for r in compile_all()])


def _good_row(rng: random.Random, p: int, k: int, insutype: str, flags: list) -> dict:
    return {"region": "370500", "psn_no": f"P{p:05d}", "insutype": insutype,
            "psn_type": "1101" if insutype == "310" else "1501", "brdy": "1968-05-01", "gend": "2",
            "person_flags": flags,
            # the personal account's balance (第十九条), the same on every row of the person, absent for a third
            "acct_balc": None if p % 3 == 0 else f"{(p * 389) % 6000}.00",
            "cuminfo_hifp_pay_pooled": f"{rng.randint(0, 15_000_000) / 100:.2f}" if k == 0 else None,
            "mdtrt_id": f"P{p}E{k}", "med_type": rng.choice(["11", "14", "21", "21", "22"]),
            "setl_time": f"2019-{1 + k:02d}-{rng.randint(1, 28):02d}", "dedc_hosp_lv": rng.choice("123"),
            "fee_01": f"{rng.randint(0, 6_000_000) / 100:.2f}", "fee_02": f"{rng.randint(0, 500_000) / 100:.2f}",
            "fee_03": f"{rng.randint(0, 100_000) / 100:.2f}", "overlmt_selfpay": None,
            "flags": rng.choice([[], [], ["转院"], ["急诊"], ["非定点"]])}


def _spoil(row: dict, kind: str) -> tuple[dict, str]:
    """A malformed copy of a row and the column its error must name."""
    row = dict(row)
    if kind == "unknown_code":
        row["med_type"] = "99"
        return row, "med_type"
    if kind == "negative":
        row["fee_01"] = "-12.50"
        return row, "fee_01"
    if kind == "not_a_number":
        row["fee_02"] = "十二元"
        return row, "fee_02"
    if kind == "missing_field":
        row["med_type"] = None
        return row, "med_type"
    if kind == "bad_date":
        row["setl_time"] = "2019-02-30"
        return row, "setl_time"
    row["insutype"] = "390" if row["insutype"] == "310" else "310"
    return row, "insutype"


def make_file(path: Path, persons: int = 700, bad: int = 1000, seed: int = 7) -> tuple[list, dict]:
    """Rows of ``persons`` 东营 people; ``bad`` of them malformed (never a person's first row, so the
    person's fields come from a good row). Returns the rows and {row number: expected column}."""
    rng = random.Random(seed)
    rows, spoiled = [], {}
    for p in range(persons):
        insutype = rng.choice(["310", "390"])
        flags = rng.choice([[], ["大额医疗补助"], ["公务员医疗补助"]]) if insutype == "310" else []
        for k in range(rng.randint(2, 8)):
            rows.append(_good_row(rng, p, k, insutype, flags))
    candidates = [i for i in range(1, len(rows)) if rows[i]["psn_no"] == rows[i - 1]["psn_no"]]
    for i in sorted(rng.sample(candidates, bad)):
        rows[i], spoiled[i] = _spoil(rows[i], BAD_KINDS[i % len(BAD_KINDS)])
    pq.write_table(pa.Table.from_pylist(rows), path)
    return rows, spoiled


def per_claim_rows(engine: Engine, rows: list, spoiled: dict) -> dict:
    """Row number → the per-claim output of that encounter, each person settled without the bad rows."""
    expected, by_person = {}, {}
    for i, row in enumerate(rows):
        if i not in spoiled:
            by_person.setdefault(row["psn_no"], []).append(i)
    for numbers in by_person.values():
        first = rows[numbers[0]]
        case = {"region": first["region"],
                "person": {"psn_no": first["psn_no"], "insutype": first["insutype"], "psn_type": first["psn_type"],
                           "brdy": first["brdy"], "gend": first["gend"], "flags": first["person_flags"]},
                "cuminfo": {"hifp_pay_pooled": first["cuminfo_hifp_pay_pooled"]},
                "encounters": [{"mdtrt_id": rows[i]["mdtrt_id"], "med_type": rows[i]["med_type"],
                                "setl_time": rows[i]["setl_time"], "dedc_hosp_lv": rows[i]["dedc_hosp_lv"],
                                "fees": {"01": rows[i]["fee_01"], "02": rows[i]["fee_02"], "03": rows[i]["fee_03"]},
                                "flags": rows[i]["flags"]} for i in numbers]}
        if first.get("acct_balc") is not None:
            case["person"]["acct_balc"] = first["acct_balc"]
        output = engine.settle(load_case_text(json.dumps(case, ensure_ascii=False), "case.json"), trace=False).output
        out_rows = json.loads(dumps_output(output), parse_float=Decimal)["encounters"]
        expected.update(zip(numbers, out_rows))
    return expected


def settle_file(engine: Engine, source: Path, target: Path, **options) -> list:
    batch.run_batch(engine, source, target, **options)
    return pq.read_table(target).to_pylist()


@pytest.fixture(scope="module")
def malformed(tmp_path_factory, engine):
    folder = tmp_path_factory.mktemp("batch")
    source = folder / "claims.parquet"
    rows, spoiled = make_file(source)
    target = folder / "settled.parquet"
    out = settle_file(engine, source, target, chunk_rows=500)
    return folder, source, target, rows, spoiled, out


def test_every_good_row_is_settled_exactly_as_per_claim_and_every_bad_row_says_why(engine, malformed):
    _, _, _, rows, spoiled, out = malformed
    assert len(out) == len(rows) and len(spoiled) == 1000
    assert [r["mdtrt_id"] for r in out] == [r["mdtrt_id"] for r in rows]  # every row, in input order
    expected = per_claim_rows(engine, rows, spoiled)
    settled = 0
    for i, got in enumerate(out):
        if i in spoiled:
            assert got["error_code"] == "YR10", (i, got)
            assert got["error"].startswith(spoiled[i]), (i, spoiled[i], got["error"])
            assert got["hifp_pay"] is None
            continue
        want = expected[i]
        if "error" in want:
            assert (got["error_code"], got["error"]) == (want["error"]["code"], want["error"]["message"])
            continue
        settled += 1
        assert got["error_code"] is None
        for field in want["setlinfo"]:  # every field the contract declares, the account's included
            assert got[field if field != "overlmt_selfpay" else "setl_overlmt_selfpay"] == want["setlinfo"][field], (i, field)
        assert got["ir_sha256"] == want["regulation"]["ir_sha256"]
        assert got["excluded"] == (want.get("excluded") or {}).get("article")
    assert settled > 1500


def test_totals_and_bytes_are_the_same_with_dask_for_every_partition_size(engine, malformed):
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client, LocalCluster

    from yibao.batch_dask import DaskSettle

    folder, source, target, *_ = malformed
    single = target.read_bytes()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for chunk_rows in (97, 1000):
            path = folder / f"dask-{chunk_rows}.parquet"
            with DaskSettle(engine, None, cluster.scheduler_address) as settle:
                dask_summary = batch.run_batch(engine, source, path, chunk_rows=chunk_rows, settle=settle)
            assert path.read_bytes() == single
        local_summary = batch.run_batch(engine, source, folder / "again.parquet", chunk_rows=333)
        assert (folder / "again.parquet").read_bytes() == single
        assert (dask_summary.fund, dask_summary.patient, dask_summary.errors) == \
               (local_summary.fund, local_summary.patient, local_summary.errors)

        # a worker killed mid-run: Dask runs its tasks again elsewhere and the output is the same
        with Client(cluster.scheduler_address) as client:
            pids = list(client.run(os.getpid).values())
        killed = []

        def kill_one(rows_done):
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
        path = folder / "killed.parquet"
        with DaskSettle(engine, None, cluster.scheduler_address, in_flight=6) as settle:
            batch.run_batch(engine, source, path, chunk_rows=60, settle=settle, progress=kill_one)
        assert killed and path.read_bytes() == single


# ── the command line ──

def test_cli_example_csv_settles_the_article_31_case_and_reports_bad_rows(tmp_path):
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["settle", "--batch", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 1, result.output  # some rows are malformed on purpose
    import csv
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 11
    # 第三十条/第三十一条: (10000 − 800) × 85% = 7820.00
    assert (rows[0]["hifp_pay"], rows[0]["act_pay_dedc"], rows[0]["pool_prop_selfpay"]) == ("7820.00", "800.00", "0.8500")
    assert [r["error_code"] for r in rows[7:10]] == ["YR10"] * 3
    assert rows[10]["excluded"] == "第三十八条" and rows[10]["psn_part_amt"] == "5000.00"
    assert "行数 rows: 11" in result.output and "YR10 3" in result.output


def test_jsonl_of_whole_contract_cases_is_read_too(tmp_path, engine):
    case = json.loads(Path("examples/dongying-case.json").read_text(encoding="utf-8"))
    source = tmp_path / "cases.jsonl"
    source.write_text(json.dumps(case, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    batch.run_batch(engine, source, out)
    got = [json.loads(line, parse_float=Decimal) for line in out.read_text(encoding="utf-8").splitlines()]
    want = json.loads(dumps_output(engine.settle(load_case_text(json.dumps(case), "c"), trace=False).output),
                      parse_float=Decimal)["encounters"]
    assert [g["mdtrt_id"] for g in got] == [w["mdtrt_id"] for w in want]
    for g, w in zip(got, want):
        assert g["hifp_pay"] == w["setlinfo"]["hifp_pay"] and g["psn_part_amt"] == w["setlinfo"]["psn_part_amt"]


def test_a_region_given_on_the_command_line_is_checked_against_the_loaded_ones(tmp_path):
    """`settle --batch --region`: a loaded region settles; an unknown one is a clear error naming the loaded
    regions (the check once read an Engine attribute that did not exist)."""
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["settle", "--batch", str(EXAMPLE), "--out", str(out), "--region", "370500"])
    assert result.exit_code == 1, result.output  # the example's malformed rows, as without --region
    assert "行数 rows: 11" in result.output
    result = CliRunner().invoke(main, ["settle", "--batch", str(EXAMPLE), "--out", str(out), "--region", "999999"])
    assert result.exit_code == 2 and "999999" in result.output and "370500" in result.output, result.output


@pytest.mark.parametrize("content, expected", [
    (None, "文件不存在"),
    (b"this is not parquet", "无法读取 parquet"),
    ("missing_column", "缺少必需的列 med_type"),
])
def test_unusable_files_exit_2_naming_the_file_and_column(tmp_path, content, expected):
    source = tmp_path / "in.parquet"
    if content == "missing_column":
        pq.write_table(pa.table({"region": ["370500"], "psn_no": ["P"], "insutype": ["310"], "mdtrt_id": ["E"],
                                 "setl_time": ["2019-01-01"]}), source)
    elif content is not None:
        source.write_bytes(content)
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(main, ["settle", "--batch", str(source), "--out", str(out)])
    assert result.exit_code == 2
    assert str(source) in result.output and expected in result.output
    assert not out.exists() and list(tmp_path.glob(".out.parquet.*")) == []


def test_an_interrupted_run_leaves_no_output(engine, malformed, tmp_path):
    _, source, *_ = malformed
    out = tmp_path / "out.parquet"

    def interrupt(rows_done):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        batch.run_batch(engine, source, out, chunk_rows=200, progress=interrupt)
    assert list(tmp_path.iterdir()) == []


# ── the column fast path (yibao/batch_columns.py) against the per-person path ──

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from test_columnar import build_case, person  # noqa: E402


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(person, min_size=1, max_size=6), st.sampled_from(["parquet", "csv"]))
def test_the_column_fast_path_writes_the_same_bytes_as_the_per_person_path(engine, tmp_path, persons, fmt):
    rows = []
    for n, p in enumerate(persons):
        case = build_case(engine, p, n)
        if p["in_scope"]:  # mostly what the fast path reads itself (no certified diseases, no hosp_lv)
            case["person"]["chronic"] = []
            for enc in case["encounters"]:
                if "hosp_lv" in enc:
                    enc["dedc_hosp_lv"] = C.HOSP_LV_TO_DEDC[enc.pop("hosp_lv")]
        encs = case["encounters"]
        if p["ext"] % 5 == 0 and len(encs) > 1 and encs[0]["setl_time"] != encs[-1]["setl_time"]:
            encs[0]["setl_time"], encs[-1]["setl_time"] = encs[-1]["setl_time"], encs[0]["setl_time"]  # out of order
        rows += batch._case_rows(case)
    source = tmp_path / f"in.{fmt}"
    table = batch._text_table(rows)
    if fmt == "parquet":
        pq.write_table(table, source)
    else:
        import pyarrow.csv as pcsv
        pcsv.write_csv(batch._csv_ready(table), source)
    fast, slow = tmp_path / f"fast.{fmt}", tmp_path / f"slow.{fmt}"
    batch.run_batch(engine, source, fast, chunk_rows=7)
    batch.run_batch(engine, source, slow, chunk_rows=7, fast=False)
    assert fast.read_bytes() == slow.read_bytes()


def test_a_person_whose_rows_are_not_together_gets_yr10_on_the_later_rows_only(engine, tmp_path):
    rng = random.Random(3)
    rows = [_good_row(rng, p, k, "310", []) for p in (1, 2) for k in range(2)]
    again = _good_row(rng, 1, 5, "310", [])  # P00001 once more, after P00002
    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows + [again]), source)
    for chunk_rows in (1, 100):  # across chunks and within one
        out = settle_file(engine, source, tmp_path / f"out-{chunk_rows}.parquet", chunk_rows=chunk_rows)
        assert [r["error_code"] for r in out[:4]] != ["YR10"] * 4
        assert all(r["error_code"] != "YR10" for r in out[:4])
        assert out[4]["error_code"] == "YR10" and out[4]["error"].startswith("psn_no")


def test_region_for_the_whole_file_by_code_or_city_name(engine, tmp_path):
    """``--region`` instead of a region column: by code or by city name (东营), and an unknown one exits 2."""
    rng = random.Random(5)
    rows = [{k: v for k, v in _good_row(rng, p, 0, "310", []).items() if k != "region"} for p in range(3)]
    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    by_code = settle_file(engine, source, tmp_path / "code.parquet", region="370500")
    by_name = settle_file(engine, source, tmp_path / "name.parquet", region="东营")
    assert by_code == by_name and all(r["ir_sha256"] for r in by_code)
    with pytest.raises(batch.BatchError, match="--region"):
        batch.run_batch(engine, source, tmp_path / "x.parquet", region="999999")


def test_setldetail_column_holds_the_per_claim_fund_lines(engine, malformed, tmp_path):
    """``--setldetail``: each settled row's fund lines (basic fund with its limit and 结算说明, other funds
    that paid) are exactly ``yibao settle``'s setldetail for that encounter; bad rows have none."""
    _, source, _, rows, spoiled, _ = malformed
    out = settle_file(engine, source, tmp_path / "detail.parquet", chunk_rows=500, detail=True)
    expected = per_claim_rows(engine, rows, spoiled)
    checked = excluded = 0
    for i, got in enumerate(out):
        want = expected.get(i)
        if want is None or "error" in want:
            assert got["setldetail"] is None
            continue
        assert json.loads(got["setldetail"], parse_float=Decimal) == want["setldetail"], i
        checked += 1
        excluded += "excluded" in want
    assert checked > 1500 and excluded > 0
    # the same column through the per-person path, and in JSON Lines
    slow = tmp_path / "slow.jsonl"
    batch.run_batch(engine, source, slow, chunk_rows=500, detail=True, fast=False)
    lines = [json.loads(line, parse_float=Decimal) for line in slow.read_text(encoding="utf-8").splitlines()]
    assert [line["setldetail"] for line in lines] == [
        None if r["setldetail"] is None else json.loads(r["setldetail"], parse_float=Decimal) for r in out]


def test_arrow_date_columns_take_the_column_path_and_settle_as_text_dates_do(engine, tmp_path):
    """setl_time and brdy as Parquet dates (date32) are read straight from the columns, with the same bytes
    as the per-person path, which reads them as yyyy-MM-dd text."""
    import datetime as _dt

    from yibao.batch_columns import settle_plain
    rng = random.Random(11)
    rows = [_good_row(rng, p, k, "310" if p % 2 else "390", []) for p in range(40) for k in range(3)]
    table = pa.Table.from_pylist(rows)
    for name in ("setl_time", "brdy"):
        dates = [None if v is None else _dt.date.fromisoformat(v[:10]) for v in table.column(name).to_pylist()]
        table = table.set_column(table.column_names.index(name), name, pa.array(dates, pa.date32()))
    source = tmp_path / "dates.parquet"
    pq.write_table(table, source)
    fast, slow = tmp_path / "fast.parquet", tmp_path / "slow.parquet"
    batch.run_batch(engine, source, fast)
    batch.run_batch(engine, source, slow, fast=False)
    assert fast.read_bytes() == slow.read_bytes()
    chunk = next(batch.read_chunks(source, "parquet", 1000, None))
    done = settle_plain(chunk, engine, None, {}, batch.ChunkResult(chunk.table.num_rows, *batch.setlinfo_columns(engine)), lambda *a: None)
    assert done.all()
    assert sum(r["error_code"] is None for r in pq.read_table(fast).to_pylist()) > 100


@pytest.mark.parametrize("fee", [10**13, "1000000000000.00", "999999999999.99"])
def test_amounts_beyond_the_documented_range_are_refused_as_per_claim(engine, tmp_path, fee):
    """docs/limits.md: an amount is at most 999999999999.99 元. The column fast path read up to 15 digits, so an
    integer or text fee of 10^12 元 and more settled in batch while ``yibao settle`` refused it."""
    row = dict(_good_row(random.Random(7), 1, 0, "310", []), fee_01=fee)
    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([row]), source)
    (out,) = settle_file(engine, source, tmp_path / "out.parquet")
    if fee == "999999999999.99":  # the largest amount there is still settles
        assert out["error_code"] is None, out["error"]
    else:
        assert out["error_code"] == "YR10" and out["error"] == "fee_01: 甲类费用：金额超出范围（最大 999999999999.99 元）"

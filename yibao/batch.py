"""Batch settlement: a file of encounters (Parquet, CSV or JSON Lines) in, the same rows with their settlement out.

The row layout is in docs/batch.md. The pipeline:

    read (chunks whose edges fall between persons) → rows to contract cases (``Engine.prepare`` validates,
    so a malformed row gets the same message as a malformed case, but only that row fails)
    → columnar evaluation in waves (runtime/columnar.py) → output columns → atomic write.

Every input row comes out, in input order; a row that cannot be settled carries ``error_code`` and ``error``.
pyarrow and numpy come from the optional ``batch`` extra.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from yibao.runtime import CaseError
from yibao.runtime import contract as C
from yibao.runtime import messages as M
from yibao.runtime.columnar import Col, half_up, numpy, settle_prepared

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
REQUIRED = ("psn_no", "insutype", "mdtrt_id", "med_type", "setl_time")
PERSON_COLUMNS = {"psn_no": "psn_no", "insutype": "insutype", "psn_type": "psn_type", "brdy": "brdy", "gend": "gend",
                  "person_flags": "flags", "chronic": "chronic"}
ENCOUNTER_COLUMNS = {"mdtrt_id": "mdtrt_id", "med_type": "med_type", "setl_time": "setl_time",
                     "dedc_hosp_lv": "dedc_hosp_lv", "hosp_lv": "hosp_lv", "overlmt_selfpay": "overlmt_selfpay",
                     "flags": "flags"}
FEE_COLUMNS = {f"fee_{key}": key for key in C.FEE_CLASSES}
LIST_COLUMNS = ("person_flags", "chronic", "flags")
STATUS_COLUMNS = ("ir_sha256", "excluded", "error_code", "error")
DEFAULT_CHUNK_ROWS = 50_000
ROW_GROUP_ROWS = 65_536  # fixed, so that the bytes do not depend on how the rows were chunked or partitioned
BAD_ROW = "YR10"


class BatchError(Exception):
    """The file cannot be used at all (exit status 2): the message names the file and the column."""


def pyarrow():
    try:
        import pyarrow as pa
    except ImportError:  # the optional extra is not installed
        raise BatchError("批量结算需要 pyarrow 和 numpy：pip install 'yibao[batch]'") from None
    return pa


def _compute():
    import pyarrow.compute as pc
    return pc


def file_format(path: Path, given: Optional[str]) -> str:
    if given:
        return given
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BatchError(f"{path}: 无法从扩展名判断格式（{'、'.join(sorted(FORMATS))}）；请用 --format parquet|csv|jsonl")
    return fmt


# ── reading: chunks of rows, edges between persons ────────────────────────────────────────────


class Chunk:
    """Consecutive input rows: ``rows`` as Python dicts (what settlement reads), ``table`` the same rows as
    Arrow (what the output carries through), ``start`` the first row's number in the file."""

    def __init__(self, table: Any, start: int) -> None:
        self.table = table
        self.start = start
        self.repeated: frozenset = frozenset()  # rows of a person met again after other persons' rows (mark_repeats)
        self._rows: Optional[list] = None

    @property
    def rows(self) -> list:
        """Every row as a dict of Python values (built once, only where a row is read one by one)."""
        if self._rows is None:
            self._rows = self.table.to_pylist()
        return self._rows

    def rows_at(self, indices: list) -> dict:
        """Some rows as dicts, by row number."""
        if self._rows is not None or len(indices) == self.table.num_rows:
            return dict(zip(indices, (self.rows[i] for i in indices)))
        return dict(zip(indices, self.table.take(indices).to_pylist()))

    def __getstate__(self):  # to a Dask worker: the Arrow table travels, not the Python rows
        return {"table": self.table, "start": self.start, "repeated": self.repeated, "_rows": None}

    def __setstate__(self, state):
        self.__dict__.update(state)


class SeenPersons:
    """Every psn_no met so far, exactly, in little memory: sorted blocks of UTF-8 bytes, merged like a binary
    counter (a block is merged with the previous one while it is not smaller), so a look-up searches few
    blocks and the set costs about the bytes of the ids rather than a Python object each."""

    def __init__(self) -> None:
        self.blocks: list = []

    def member(self, ids) -> Any:
        """Which of ``ids`` (a bytes array) were added before."""
        np = numpy()
        found = np.zeros(len(ids), bool)
        for block in self.blocks:
            at = np.searchsorted(block, ids)
            at[at == len(block)] = 0
            found |= block[at] == ids if len(block) else False
        return found

    def add(self, ids) -> None:
        np = numpy()
        block = np.unique(ids)
        while self.blocks and len(self.blocks[-1]) <= 2 * len(block):
            block = np.union1d(self.blocks.pop(), block)
        self.blocks.append(block)


def mark_repeats(chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """Input must keep each person's rows together; a psn_no met again after another person's rows is
    marked, and those rows become errors. Done where the file is read, so it holds across chunks and workers."""
    np = numpy()
    seen = SeenPersons()
    for chunk in chunks:
        pa, pc = pyarrow(), _compute()
        column = chunk.table.column("psn_no")
        text = pc.cast(column, pa.string()).fill_null("")
        psn = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
        start = np.ones(len(psn), bool)
        start[1:] = psn[1:] != psn[:-1]
        runs = np.flatnonzero(start)  # where each run of one person's rows starts
        # as UTF-8 bytes; the trailing byte keeps an empty id distinct (numpy drops trailing NULs of bytes)
        tagged = pc.binary_join_element_wise(pa.array(psn[runs], pa.string()), pa.scalar("\x01"), "")
        ids = np.asarray(pc.cast(tagged, pa.binary()).to_numpy(zero_copy_only=False)).astype("S")
        _, first_at, inverse = np.unique(ids, return_index=True, return_inverse=True)
        again = seen.member(ids) | (np.arange(len(ids)) != first_at[inverse])  # met before, or earlier in this chunk
        seen.add(ids)
        ends = np.append(runs[1:], len(psn))
        chunk.repeated = frozenset(r for k in np.flatnonzero(again) for r in range(runs[k], ends[k]))
        yield chunk


def read_chunks(path: Path, fmt: str, chunk_rows: int, region: Optional[str]) -> Iterator[Chunk]:
    """Chunks of about ``chunk_rows`` rows that never split a person's consecutive rows."""
    pa = pyarrow()
    carry = None
    start = 0
    for table in _tables(path, fmt, chunk_rows):
        _check_columns(path, table.column_names, region)
        if carry is not None:
            table = pa.concat_tables([carry, table.cast(carry.schema) if table.schema != carry.schema else table])
        psn = table.column("psn_no").to_pylist()
        cut = len(psn)
        while cut > 0 and psn[cut - 1] == psn[-1]:
            cut -= 1
        if cut == 0:  # one person so far: keep reading
            carry = table.take(list(range(table.num_rows)))
            continue
        yield _chunk(table.slice(0, cut), start)
        start += cut
        # a copy (take), not a slice: a slice would keep the whole chunk's buffers alive, and through the
        # next concatenation every chunk before it, so memory would grow with the file
        carry = table.take(list(range(cut, table.num_rows)))
    if carry is not None and carry.num_rows:
        yield _chunk(carry, start)


def _chunk(table: Any, start: int) -> Chunk:
    return Chunk(table, start)


def _check_columns(path: Path, names: list, region: Optional[str]) -> None:
    missing = [c for c in REQUIRED + (() if region else ("region",)) if c not in names]
    if missing:
        also = "（或给 --region）" if "region" in missing else ""
        raise BatchError(f"{path}: 缺少必需的列 {'、'.join(missing)}{also}")


def _tables(path: Path, fmt: str, chunk_rows: int) -> Iterator[Any]:
    pa = pyarrow()
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq
            handle = pq.ParquetFile(path)
            for batch in handle.iter_batches(batch_size=chunk_rows):
                yield pa.Table.from_batches([batch])
        elif fmt == "csv":
            yield from _csv_tables(path, chunk_rows)
        elif fmt == "jsonl":
            yield from _jsonl_tables(path, chunk_rows)
        else:
            raise BatchError(f"{path}: 未知格式 {fmt!r}（parquet、csv、jsonl）")
    except (OSError, pa.ArrowException) as exc:
        raise BatchError(f"{path}: 无法读取 {fmt} 文件：{exc}") from None


def _csv_tables(path: Path, chunk_rows: int) -> Iterator[Any]:
    """Every CSV column as text (codes keep their leading zeros); list columns are ';'-joined."""
    import csv

    import pyarrow.csv as pcsv
    pa = pyarrow()
    with open(path, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise BatchError(f"{path}: CSV 文件为空或没有表头")
    convert = pcsv.ConvertOptions(column_types={name: pa.string() for name in header}, strings_can_be_null=True,
                                  null_values=[""])
    reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=1 << 22), convert_options=convert)
    for batch in reader:
        table = pa.Table.from_batches([batch])
        for name in LIST_COLUMNS:
            if name in table.column_names:
                i = table.column_names.index(name)
                split = [None if v is None else [x for x in v.split(";") if x] for v in table.column(name).to_pylist()]
                table = table.set_column(i, name, pa.array(split, pa.list_(pa.string())))
        yield table


def _jsonl_tables(path: Path, chunk_rows: int) -> Iterator[Any]:
    """JSON Lines of flat rows, or of whole contract cases (one person a line), read exactly (Decimal)."""
    rows: list = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line, parse_float=Decimal)
            except json.JSONDecodeError as exc:
                raise BatchError(f"{path}: 第 {number} 行不是合法的 JSON：{exc.msg}") from None
            if not isinstance(obj, dict):
                raise BatchError(f"{path}: 第 {number} 行应为 JSON 对象")
            rows.extend(_case_rows(obj) if "encounters" in obj else [obj])
            if len(rows) >= chunk_rows:
                yield _text_table(rows)
                rows = []
    if rows:
        yield _text_table(rows)


def _case_rows(case: dict) -> list:
    """A contract case as flat rows: person fields on every row, cuminfo on the first."""
    person = case.get("person") if isinstance(case.get("person"), dict) else {}
    base = {("person_flags" if k == "flags" else k): v for k, v in person.items()}
    if "region" in case:
        base["region"] = case["region"]
    rows = []
    encounters = case.get("encounters") if isinstance(case.get("encounters"), list) else []
    for i, enc in enumerate(encounters):
        row = dict(base)
        for k, v in (enc.items() if isinstance(enc, dict) else ()):
            if k == "fees" and isinstance(v, dict):
                row.update({f"fee_{key}": amount for key, amount in v.items()})
            else:
                row[k] = v
        if i == 0 and isinstance(case.get("cuminfo"), dict):
            row.update({f"cuminfo_{k}": v for k, v in case["cuminfo"].items()})
        rows.append(row)
    return rows


def _text_table(rows: list) -> Any:
    """Rows of JSON values as an Arrow table of text (lists as lists of text): one type per column, whatever
    each row held, so a malformed value is that row's error, not the file's."""
    pa = pyarrow()
    names: list = []
    for row in rows:
        for k in row:
            if k not in names:
                names.append(k)
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if name in LIST_COLUMNS:
            columns[name] = pa.array([v if isinstance(v, list) and all(isinstance(x, str) for x in v) else
                                      (None if v is None else [json.dumps(v, ensure_ascii=False, default=str)])
                                      for v in values], pa.list_(pa.string()))
        else:
            columns[name] = pa.array([None if v is None else (v if isinstance(v, str) else _json_text(v))
                                      for v in values], pa.string())
    return pa.table(columns)


def _json_text(value: Any) -> str:
    return str(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else \
        json.dumps(value, ensure_ascii=False, default=str)


# ── rows → contract cases ─────────────────────────────────────────────────────────────────────


def _value(v: Any) -> Any:
    """An Arrow cell as the contract's JSON value: dates as text, floats by their shortest decimal text
    (a float column is read as written, never through binary arithmetic)."""
    if isinstance(v, float):
        return Decimal(repr(v)) if v == v and v not in (float("inf"), float("-inf")) else str(v)
    if isinstance(v, _dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, _dt.date):
        return v.isoformat()
    return v


def _list_value(name: str, value: Any) -> Any:
    """A list column's cell: a list, or (in any format) one ';'-joined string."""
    if name in LIST_COLUMNS and isinstance(value, str):
        return [x for x in value.split(";") if x]
    return _value(value)


def _person_key(row: dict, names: tuple) -> tuple:
    return tuple(repr(row.get(n)) for n in names)


def row_column(path: str) -> str:
    """A problem's JSON path in a one-person case → the batch column it came from."""
    scope, _, rest = path.partition(".")
    if scope.startswith("encounters["):
        if rest.startswith("fees."):
            return f"fee_{rest[5:]}"
        return rest or "encounter"
    if scope == "person":
        return "person_flags" if rest == "flags" else (rest or "person")
    if scope == "cuminfo":
        return f"cuminfo_{rest}" if rest else "cuminfo"
    return scope or "row"


def bad_row(message: str) -> dict:
    return M.error(BAD_ROW, message, None)


class Person:
    """One person's consecutive rows: row numbers within the chunk, the case built from them, row errors."""

    def __init__(self, rows: list) -> None:
        self.rows = rows
        self.errors: dict = {}   # chunk row → error dict
        self.prepared = None
        self.kept: list = []     # chunk rows that made it into the prepared case, in order


def build_persons(chunk: Chunk, engine: Any, region: Optional[str], schema_keys: dict,
                  indices: Optional[list] = None) -> list:
    """Group the chunk's consecutive rows (``indices``, default all) by psn_no, and prepare each person's case;
    rows that cannot be used get their error (the rest of the person still settles)."""
    indices = list(range(chunk.table.num_rows)) if indices is None else indices
    rows = chunk.rows_at(indices)
    persons, current = [], None
    for i in indices:
        psn = rows[i].get("psn_no")
        if current is None or rows[current.rows[0]].get("psn_no") != psn:
            current = Person([])
            persons.append(current)
        current.rows.append(i)
    for person in persons:
        first = rows[person.rows[0]]
        psn = first.get("psn_no")
        if person.rows[0] in chunk.repeated:  # this person's earlier rows were settled already
            for i in person.rows:
                person.errors[i] = bad_row(f"psn_no: 人员 {psn!r} 的行不连续：输入须按人员分组（同一人的就诊相邻、按时间顺序）")
            continue
        _prepare(person, rows, chunk.start, engine, region, schema_keys)
    return persons


def _prepare(person: Person, rows: dict, start: int, engine: Any, region: Optional[str], schema_keys: dict) -> None:
    first = rows[person.rows[0]]
    person_names = tuple(n for n in first if n in schema_keys["person"] or n == "region")
    key = _person_key(first, person_names)
    usable = []
    for i in person.rows:
        other = rows[i]
        if _person_key(other, person_names) != key or any(n in other and other[n] is not None and n not in first
                                                          for n in schema_keys["person"]):
            differs = [n for n in schema_keys["person"] | {"region"} if repr(other.get(n)) != repr(first.get(n))]
            person.errors[i] = bad_row(f"{'、'.join(sorted(differs))}: 与人员 {first.get('psn_no')!r} 第一行的人员字段不一致")
        else:
            usable.append(i)
    while usable:
        case = _case(rows, usable, region, schema_keys)
        try:
            person.prepared = engine.prepare(case, region=region, name=f"第 {start + usable[0] + 1} 行起")
            person.kept = usable
            return
        except CaseError as exc:
            usable = _drop_bad_rows(person, usable, exc)
    person.prepared = None


def _case(rows: dict, usable: list, region: Optional[str], keys: dict) -> dict:
    first = rows[usable[0]]
    person = {}
    for column, key in PERSON_COLUMNS.items():
        if first.get(column) is not None:
            person[key] = _list_value(column, first[column])
    encounters, cuminfo = [], {}
    for name, value in first.items():
        if name.startswith("cuminfo_") and value is not None:
            cuminfo[name[8:]] = _value(value)
    for i in usable:
        row = rows[i]
        enc, fees = {}, {}
        for name, value in row.items():
            if value is None:
                continue
            if name in ENCOUNTER_COLUMNS:
                enc[ENCOUNTER_COLUMNS[name]] = _list_value(name, value)
            elif name in FEE_COLUMNS:
                fees[FEE_COLUMNS[name]] = _value(value)
            elif name in keys["encounter_ext"]:
                enc[name] = _value(value)
        enc["fees"] = fees
        encounters.append(enc)
    for name in keys["person_ext"]:
        if first.get(name) is not None:
            person[name] = _value(first[name])
    case = {"person": person, "encounters": encounters}
    if cuminfo:
        case["cuminfo"] = cuminfo
    if region is None and first.get("region") is not None:
        case["region"] = str(_value(first["region"]))
    return case


def _drop_bad_rows(person: Person, usable: list, exc: CaseError) -> list:
    """Give each problem to its row; a problem of the person (or region, cuminfo) to every row."""
    by_row: dict = {}
    everyone = []
    for path, message in exc.problems:
        text = f"{row_column(path)}: {message}"
        if path.startswith("encounters["):
            index = int(path[len("encounters["):path.index("]")])
            by_row.setdefault(usable[index], []).append(text)
        else:
            everyone.append(text)
    if everyone or not by_row:
        for i in usable:
            person.errors[i] = bad_row("；".join(everyone + by_row.get(i, [])) or str(exc))
        return []
    for i, texts in by_row.items():
        person.errors[i] = bad_row("；".join(texts))
    return [i for i in usable if i not in by_row]


# ── settling a chunk: output columns ──────────────────────────────────────────────────────────


class ChunkResult:
    """Output columns of one chunk, in its row order: fen (int64) per setlinfo money field, the ratio in
    basis points, and text columns; plus counts for the summary."""

    def __init__(self, size: int, setlinfo: tuple, ratios: tuple) -> None:
        np = numpy()
        self.size = size
        self.setlinfo, self.ratios = setlinfo, ratios  # the output columns, as the rules' contract declares them
        self.fen = {f: np.zeros(size, np.int64) for f in setlinfo if f not in ratios}
        self.basis_points = {f: np.zeros(size, np.int64) for f in ratios}
        self.valid = np.zeros(size, bool)
        self.sha = [None] * size
        self.excluded = [None] * size
        self.code = [None] * size
        self.message = [None] * size
        self.persons = 0


def settle_chunk(chunk: Chunk, engine: Any, region: Optional[str], evaluators: dict, fast: bool = True) -> ChunkResult:
    """Settle one chunk: plain persons straight from the columns (yibao/batch_columns.py), the others person by
    person through ``Engine.prepare`` (``fast=False``: every person that way)."""
    np = numpy()
    size = chunk.table.num_rows
    out = ChunkResult(size, *setlinfo_columns(engine))
    done = np.zeros(size, bool)
    if fast:
        from yibao.batch_columns import settle_plain
        done = settle_plain(chunk, engine, region, evaluators, out, _scatter)
    rest = np.flatnonzero(~done).tolist()
    persons = build_persons(chunk, engine, region, _schema_keys(engine), rest) if rest else []
    psn = chunk.table.column("psn_no").to_pylist()
    out.persons = 1 + sum(1 for a, b in zip(psn, psn[1:]) if a != b) if size else 0
    for person in persons:
        for i, err in person.errors.items():
            out.code[i], out.message[i] = err["code"], err["message"]
    ready = [p for p in persons if p.prepared is not None]
    outcomes, _ = settle_prepared([p.prepared for p in ready], evaluators)
    groups: dict = {}
    for person, per in zip(ready, outcomes):
        for row, outcome in zip(person.kept, per):
            if isinstance(outcome, dict):
                out.code[row], out.message[row] = outcome["code"], outcome["message"]
            else:
                settled, i = outcome
                groups.setdefault(id(settled), (settled, [], []))
                groups[id(settled)][1].append(i)
                groups[id(settled)][2].append(row)
    for settled, at, rows in groups.values():
        _scatter(out, settled, np.array(at, np.int64), np.array(rows, np.int64))
    return out


def _scatter(out: ChunkResult, settled: Any, at: Any, rows: Any) -> None:
    """One wave group's setlinfo into the chunk's columns; its errors and exclusions as text."""
    from yibao.runtime.columnar import ERROR, EXCLUDED
    np = numpy()
    result = settled.result
    status = result.status[at]
    bad = (status == ERROR) | np.array([int(i) in result.internal for i in at], bool)
    good_at, good_rows = at[~bad], rows[~bad]
    for f in out.fen:
        if f in settled.setlinfo:
            out.fen[f][good_rows] = np.asarray(settled.setlinfo[f], np.int64)[good_at]
    for f in out.basis_points:
        ratio = settled.setlinfo.get(f)
        if ratio is not None:
            scaled = Col("num", ratio.n[good_at] * 10000, None if ratio.d is None else ratio.d[good_at])
            out.basis_points[f][good_rows] = np.asarray(half_up(scaled), np.int64)
    out.valid[good_rows] = True
    sha = settled.evaluator.regulation.sha256
    program = settled.evaluator.program
    for i, row in zip(at.tolist(), rows.tolist()):
        if i in result.internal:
            err = M.internal(result.internal[i])
            out.code[row], out.message[row] = err["code"], err["message"]
        elif result.status[i] == ERROR:
            err = M.from_sentinel(settled.evaluator.sentinels.items[int(result.error_id[i])], result.error_at[i])
            out.code[row], out.message[row] = err["code"], err["message"]
        else:
            out.sha[row] = sha
            if result.status[i] == EXCLUDED:
                out.excluded[row] = program.exclusions[int(result.exclusion[i])].article or ""


def _schema_keys(engine: Any) -> dict:
    """Column names that are person fields (contract and every region's extensions)."""
    person, encounter = set(PERSON_COLUMNS), set()
    for schema in engine._schemas.values():
        person |= {k for k, _ in schema.person_extensions}
        encounter |= {k for k, _ in schema.encounter_extensions}
    return {"person": frozenset(person), "person_ext": frozenset(person - set(PERSON_COLUMNS)),
            "encounter_ext": frozenset(encounter)}


# ── writing ───────────────────────────────────────────────────────────────────────────────────


def _decimal_array(values: Any, scale: int, valid: Any) -> Any:
    """int64 unscaled values (fen, basis points) as an exact Arrow decimal128 column, nulls where not valid."""
    pa = pyarrow()
    np = numpy()
    wide = np.empty((len(values), 2), np.int64)
    wide[:, 0] = values
    wide[:, 1] = values >> 63  # the sign, extended to 128 bits
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    return pa.Array.from_buffers(pa.decimal128(18, scale), len(values), [bitmap, pa.py_buffer(wide.tobytes())])


def _text(values: Any, scale: int, valid: Any) -> list:
    unit = 10 ** scale
    out = []
    for v, ok in zip(values.tolist(), valid.tolist()):
        if not ok:
            out.append(None)
        else:
            sign = "-" if v < 0 else ""
            v = abs(v)
            out.append(f"{sign}{v // unit}.{v % unit:0{scale}d}")
    return out


def output_name(name: str, inputs: set) -> str:
    """An output column's name: the contract's, or ``setl_`` + it where an input column has that name
    (``overlmt_selfpay`` is both an input and a setlinfo field): input columns are never overwritten."""
    return f"setl_{name}" if name in inputs else name


def setlinfo_columns(engine: Any) -> tuple:
    """(setlinfo fields, ratio fields) for the output columns: those the loaded regulations' contracts declare,
    in their order (the union, when regions differ)."""
    fields: dict = {}
    ratios: dict = {}
    for reg in engine.regulations():
        fields.update(dict.fromkeys(reg.program.contract.setlinfo))
        ratios.update(dict.fromkeys(reg.program.contract.ratios))
    return tuple(fields), tuple(ratios)


def output_columns(result: ChunkResult, as_text: bool) -> dict:
    columns = {}
    for f in result.setlinfo:
        values, scale = (result.basis_points[f], 4) if f in result.ratios else (result.fen[f], 2)
        columns[f] = _text(values, scale, result.valid) if as_text else _decimal_array(values, scale, result.valid)
    columns["ir_sha256"] = result.sha
    columns["excluded"] = result.excluded
    columns["error_code"] = result.code
    columns["error"] = result.message
    return columns


class AtomicOutput:
    """The output file, written to a temporary file beside it and renamed into place only when complete:
    an interrupted run leaves no output (and no temporary file)."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.fmt = fmt
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        self.writer = None
        self.handle = None
        self.pending: list = []
        self.pending_rows = 0

    def write(self, chunk: Chunk, result: ChunkResult) -> None:
        pa = pyarrow()
        columns = output_columns(result, as_text=self.fmt != "parquet")
        if self.fmt == "jsonl":
            self._jsonl(chunk, columns)
            return
        table = chunk.table
        inputs = set(table.column_names)
        for name in (*result.setlinfo, *STATUS_COLUMNS):
            values = columns[name]
            table = table.append_column(output_name(name, inputs),
                                        values if hasattr(values, "type") else pa.array(values, pa.string()))
        if self.fmt == "csv":
            table = _csv_ready(table)
        self.pending.append(table)
        self.pending_rows += table.num_rows
        self._flush(final=False)

    def _flush(self, final: bool) -> None:
        pa = pyarrow()
        if not self.pending:
            return
        if self.pending_rows < ROW_GROUP_ROWS and not final:
            return
        table = pa.concat_tables(self.pending)
        cut = table.num_rows if final else table.num_rows - table.num_rows % ROW_GROUP_ROWS
        head, rest = table.slice(0, cut), table.slice(cut)
        self.pending = [rest] if rest.num_rows else []
        self.pending_rows = rest.num_rows
        if self.writer is None:
            if self.fmt == "parquet":
                import pyarrow.parquet as pq
                self.writer = pq.ParquetWriter(self.tmp, head.schema)
            else:
                import pyarrow.csv as pcsv
                self.writer = pcsv.CSVWriter(self.tmp, head.schema)
        if head.num_rows:
            head = head.combine_chunks()  # the same bytes however the rows arrived
            if self.fmt == "parquet":
                self.writer.write_table(head, row_group_size=ROW_GROUP_ROWS)
            else:
                self.writer.write_table(head)

    def _jsonl(self, chunk: Chunk, columns: dict) -> None:
        if self.handle is None:
            self.handle = open(self.tmp, "w", encoding="utf-8", newline="\n")
        amounts = set(columns) - set(STATUS_COLUMNS)
        for i, row in enumerate(chunk.rows):
            record = {k: _jsonable(v) for k, v in row.items()}
            inputs = set(record)
            parts = [json.dumps(record, ensure_ascii=False, default=str)[:-1]]
            for name, values in columns.items():
                value = values[i]
                # amounts as JSON numbers with their two (ratio: four) decimals, exactly as text
                text = "null" if value is None else (value if name in amounts else json.dumps(value, ensure_ascii=False))
                parts.append(f"{json.dumps(output_name(name, inputs), ensure_ascii=False)}: {text}")
            self.handle.write(", ".join(parts).replace("{, ", "{", 1) + "}\n")

    def commit(self) -> None:
        self._flush(final=True)
        if self.writer is not None:
            self.writer.close()
        if self.handle is not None:
            self.handle.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            if self.writer is not None:
                self.writer.close()
            if self.handle is not None:
                self.handle.close()
        finally:
            Path(self.tmp).unlink(missing_ok=True)


def _csv_ready(table: Any) -> Any:
    """List columns back to ';'-joined text for CSV."""
    pa = pyarrow()
    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type):
            joined = [None if v is None else ";".join(str(x) for x in v) for v in table.column(i).to_pylist()]
            table = table.set_column(i, field.name, pa.array(joined, pa.string()))
    return table


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    return _value(v)


# ── the run ───────────────────────────────────────────────────────────────────────────────────


class Summary:
    def __init__(self) -> None:
        self.rows = 0
        self.persons = 0
        self.settled = 0
        self.excluded = 0
        self.errors: Counter = Counter()
        self.fund = 0
        self.patient = 0
        self.seconds = 0.0

    def add(self, result: ChunkResult) -> None:
        self.rows += result.size
        self.persons += result.persons
        self.excluded += sum(1 for x in result.excluded if x is not None)
        self.settled += int(result.valid.sum())
        self.errors.update(c for c in result.code if c is not None)
        self.fund += int(result.fen["fund_pay_sumamt"][result.valid].sum())
        self.patient += int(result.fen["psn_part_amt"][result.valid].sum())

    def lines(self) -> list:
        from yibao.runtime.values import format_money
        rate = self.rows / self.seconds if self.seconds else 0
        errors = "、".join(f"{code} {n}" for code, n in sorted(self.errors.items())) or "无"
        return [f"行数 rows: {self.rows}    人数 persons: {self.persons}",
                f"已结算 settled: {self.settled}（其中不予支付 excluded: {self.excluded}）    错误 errors: {sum(self.errors.values())}",
                f"错误按代码 errors by code: {errors}",
                f"基金支付合计 fund: {format_money(self.fund)} 元    个人负担合计 patient: {format_money(self.patient)} 元",
                f"用时 time: {self.seconds:.2f} s（{rate:,.0f} 行/秒）"]


def run_batch(engine: Any, source: Path, target: Path, *, fmt_in: Optional[str] = None, fmt_out: Optional[str] = None,
              region: Optional[str] = None, chunk_rows: int = DEFAULT_CHUNK_ROWS,
              settle: Optional[Callable] = None, progress: Optional[Callable] = None, fast: bool = True) -> Summary:
    """Settle ``source`` into ``target``. ``settle(chunk) → ChunkResult`` may run elsewhere (Dask); results are
    written in input order. Raises BatchError when the file cannot be used."""
    pyarrow()
    started = time.perf_counter()
    if not source.exists():
        raise BatchError(f"{source}: 文件不存在")
    fmt_in = file_format(source, fmt_in)
    fmt_out = file_format(target, fmt_out)
    if region is not None:
        _check_region(engine, region)
    evaluators: dict = {}
    summary = Summary()
    local = settle or (lambda chunk: settle_chunk(chunk, engine, region, evaluators, fast))
    output = AtomicOutput(target, fmt_out)
    try:
        for chunk, result in local_or_mapped(mark_repeats(read_chunks(source, fmt_in, chunk_rows, region)), local):
            output.write(chunk, result)
            summary.add(result)
            if progress is not None:
                progress(summary.rows)
        if summary.rows == 0:
            raise BatchError(f"{source}: 没有数据行")
        output.commit()
    except BaseException:
        output.abort()
        raise
    summary.seconds = time.perf_counter() - started
    return summary


def local_or_mapped(chunks: Iterator[Chunk], settle: Callable) -> Iterator[tuple]:
    """(chunk, result) in input order. A ``settle`` with ``map_chunks`` (the Dask runner) gets the whole
    stream, to keep several chunks in flight; a plain function is called chunk by chunk."""
    mapper = getattr(settle, "map_chunks", None)
    if mapper is not None:
        yield from mapper(chunks)
        return
    for chunk in chunks:
        yield chunk, settle(chunk)


def _check_region(engine: Any, region: str) -> None:
    from yibao.runtime.case import Problems, find_region
    problems = Problems("--region")
    if find_region(region, True, engine._by_region, engine._names, problems) is None:
        raise BatchError("；".join(message for _, message in problems.items))

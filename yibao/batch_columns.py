"""The fast path of batch settlement: a chunk's plain persons read straight from Arrow columns into input
columns, without a Python object per row.

"Plain" is decided by simple column predicates that imply the per-person path (``batch._prepare`` →
``Engine.prepare`` → the input readers of runtime/inputs.py) would accept the person without a single
problem and read exactly these values: every code one the contract and the regulation know, every amount
plain decimal text (or a non-negative integer), every date a real ``yyyy-MM-dd``, the person's fields the
same on all rows, rows in time order, a regulation in force and in scope, every required input present.
Anything else, and every row of that person, goes to the per-person path, which is the definition (and
writes the error messages). tests/test_batch.py checks that both paths give the same bytes.
"""

from __future__ import annotations

import sys
from typing import Any, Optional

from yibao.runtime import contract as C
from yibao.runtime import limits
from yibao.runtime.columnar import Col, CounterState, numpy, run_wave
from yibao.runtime.values import Sentinel

_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal(): Arrow's date32 counts days from it
# what the fast path reads itself; anything longer, or over the runtime's limits (docs/limits.md), goes to the
# per-row path, which refuses it with the per-claim error
_AMOUNT = rf"^[0-9]{{1,{limits.MAX_AMOUNT_YUAN_DIGITS}}}(\.[0-9]{{1,2}})?$"
_COUNT = rf"^[0-9]{{1,{len(str(limits.MAX_COUNT))}}}$"
_MAX_WHOLE_YUAN = limits.MAX_AMOUNT_FEN // 100
_DATE = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$"
_SETL_TIME = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}( ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])?$"


def _pc():
    import pyarrow.compute as pc
    return pc


class Codes:
    """A text column dictionary-encoded: per row an ``index`` into ``names`` (its distinct values), −1 where
    null. A check of a code runs once per distinct value and reaches the rows by a gather, so no row's text
    is ever a Python object."""

    __slots__ = ("index", "_names", "_dictionary")

    def __init__(self, index, names: Optional[list], dictionary: Any = None) -> None:
        self.index = index
        self._names = names
        self._dictionary = dictionary  # the Arrow dictionary, turned into ``names`` only when a check needs them

    @classmethod
    def of(cls, column) -> "Codes":
        import pyarrow as pa
        np = numpy()
        encoded = _pc().dictionary_encode(column.cast(pa.string()).combine_chunks())
        index = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
        return cls(index, None, encoded.dictionary)

    @property
    def dictionary(self):
        """The distinct values as an Arrow text array (position = id)."""
        import pyarrow as pa
        return self._dictionary if self._dictionary is not None else pa.array(self.names, pa.string())

    @property
    def names(self) -> list:
        if self._names is None:
            self._names = self._dictionary.to_pylist()
        return self._names

    @classmethod
    def absent(cls, n: int) -> "Codes":
        return cls(numpy().full(n, -1, numpy().int64), [])

    @classmethod
    def constant(cls, n: int, value: str) -> "Codes":
        return cls(numpy().zeros(n, numpy().int64), [value])

    @property
    def present(self):
        return self.index >= 0

    def lut(self, value_of, missing=False, dtype=bool):
        """``value_of(name)`` per row, through the distinct values (``missing`` where null)."""
        return numpy().array([value_of(name) for name in self.names] + [missing], dtype)[self.index]

    def isin(self, allowed):
        """Per row: the value is one of ``allowed`` (never where null)."""
        return self.lut(lambda name: name in allowed)

    def equals(self, value: str):
        return self.isin((value,))

    def __getitem__(self, rows) -> "Codes":
        return Codes(self.index[rows], self._names, self._dictionary)


class Numbers:
    """An optional number column (an extension field): int64 values and where they are present."""

    __slots__ = ("values", "present")

    def __init__(self, values, present) -> None:
        self.values = values
        self.present = present

    def __getitem__(self, rows) -> "Numbers":
        return Numbers(self.values[rows], self.present[rows])


def _comparable(values):
    """What ``same_as_first`` compares: a row's value, absent included, as one array."""
    if isinstance(values, Codes):
        return values.index
    if isinstance(values, Numbers):
        return numpy().where(values.present, values.values, -1)
    return values


class Columns:
    """One chunk's columns as numpy, with a ``plain`` mask that every reader narrows."""

    def __init__(self, table: Any) -> None:
        np = numpy()
        self.table = table
        self.n = table.num_rows
        self.plain = np.ones(self.n, bool)

    def has(self, name: str) -> bool:
        return name in self.table.column_names

    def present(self, name: str):
        np = numpy()
        if not self.has(name):
            return np.zeros(self.n, bool)
        return ~numpy().asarray(self.table.column(name).is_null().to_numpy(zero_copy_only=False), bool)

    def is_text(self, name: str) -> bool:
        import pyarrow as pa
        t = self.table.schema.field(name).type
        return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)

    def text(self, name: str):
        """The column as an object array of str (None for null); a non-text column makes non-null rows not plain."""
        np = numpy()
        if not self.has(name):
            return np.full(self.n, None, dtype=object)
        if not self.is_text(name):
            self.plain &= ~self.present(name)
            return np.full(self.n, None, dtype=object)
        return np.asarray(self.table.column(name).to_numpy(zero_copy_only=False), dtype=object)

    def matches(self, name: str, pattern: str):
        np = numpy()
        import pyarrow as pa
        if not self.has(name) or not self.is_text(name) or pa.types.is_null(self.table.schema.field(name).type):
            return np.zeros(self.n, bool)
        found = _pc().match_substring_regex(self.table.column(name), pattern)
        return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), bool)

    def codes(self, name: str) -> Codes:
        """A text column as Codes (absent or null: −1); a non-text column makes non-null rows not plain."""
        if not self.has(name):
            return Codes.absent(self.n)
        if not self.is_text(name):
            self.plain &= ~self.present(name)
            return Codes.absent(self.n)
        return Codes.of(self.table.column(name))

    def code(self, name: str, allowed, required: bool = False) -> Codes:
        """A code column; a value outside ``allowed`` is not plain (nor an absent one, when ``required``)."""
        values = self.codes(name)
        present = values.present
        self.plain &= (values.isin(allowed) | ~present) & (present | (not required))
        return values

    def nonempty(self, name: str):
        """Per row: present and not the empty text."""
        np = numpy()
        if not self.has(name) or not self.is_text(name):
            return np.zeros(self.n, bool)
        import pyarrow as pa
        column = self.table.column(name).cast(pa.string())
        return np.asarray(_pc().not_equal(column, "").fill_null(False).to_numpy(zero_copy_only=False), bool)

    def is_text_or_absent(self, name: str) -> bool:
        return not self.has(name) or self.is_text(name)

    def amount(self, name: str):
        """Fen per row (0 where absent); text must be plain decimal with at most two places, integers ≥ 0."""
        np = numpy()
        import pyarrow as pa
        if not self.has(name):
            return np.zeros(self.n, np.int64)
        col = self.table.column(name)
        present = self.present(name)
        t = col.type
        if pa.types.is_integer(t):
            v = np.asarray(col.fill_null(0).to_numpy(zero_copy_only=False), np.int64)
            ok = (v >= 0) & (v <= _MAX_WHOLE_YUAN)
            self.plain &= ok
            return np.where(ok, v, 0) * 100
        if not self.is_text(name):
            self.plain &= ~present
            return np.zeros(self.n, np.int64)
        ok = self.matches(name, _AMOUNT)
        self.plain &= ok | ~present
        # text that matched is exact decimal with ≤ 15 + 2 digits: Arrow's decimal cast reads it exactly, and
        # the unscaled value (fen) is the low 64 bits of each 128-bit value (|fen| < 10**17 < 2**63)
        pc = _pc()
        fen = pc.cast(pc.if_else(pa.array(ok), col, pa.scalar("0")), pa.decimal128(17, 2)).combine_chunks()
        if sys.byteorder != "little":  # Arrow keeps the machine's byte order; the word trick needs the low word first
            return np.array([0 if v is None else int(v * 100) for v in fen.to_pylist()], np.int64)
        words = np.frombuffer(fen.buffers()[1], np.int64)
        return np.array(words[2 * fen.offset::2][:len(fen)], np.int64)

    def count(self, name: str):
        np = numpy()
        import pyarrow as pa
        if not self.has(name):
            return np.zeros(self.n, np.int64)
        col = self.table.column(name)
        present = self.present(name)
        if pa.types.is_integer(col.type):
            v = np.asarray(col.fill_null(0).to_numpy(zero_copy_only=False), np.int64)
        else:
            ok = self.matches(name, _COUNT)
            self.plain &= ok | ~present
            pc = _pc()
            v = np.asarray(pc.cast(pc.if_else(pa.array(ok), col, pa.scalar("0")), pa.int64()).to_numpy(
                zero_copy_only=False), np.int64)
        self.plain &= (v >= 0) & (v <= limits.MAX_COUNT)  # the per-claim reader's range (values.parse_count)
        return v

    def date(self, name: str, pattern: str, required: bool):
        """Ordinals per row (0 where absent) and the present mask; a date that does not exist is not plain.
        Parsed once per distinct text (a year has 365 dates however many rows), then gathered."""
        np = numpy()
        present = self.present(name)
        if not self.has(name):
            self.plain &= not required
            return np.zeros(self.n, np.int64), present
        import pyarrow as pa
        kind = self.table.schema.field(name).type
        if pa.types.is_date32(kind) or pa.types.is_date64(kind):  # Arrow dates: days since 1970-01-01
            days = self.table.column(name).cast(pa.date32()).cast(pa.int32()).fill_null(0)
            ordinal = np.asarray(days.to_numpy(zero_copy_only=False), np.int64) + _EPOCH_ORDINAL
            year, _ = _year_month(ordinal)
            ok = present & (year >= 1000)  # four-digit years, as the text pattern asks
            self.plain &= (ok | ~present) & (present | (not required))
            return np.where(ok, ordinal, 0), ok
        if not self.is_text(name):
            self.plain &= ~present
            return np.zeros(self.n, np.int64), np.zeros(self.n, bool)
        codes = Codes.of(self.table.column(name))
        ok, real, ordinal = (np.append(a, fill)[codes.index] for a, fill in zip(
            _parse_dates(codes.dictionary, pattern), (False, False, 0)))
        self.plain &= (ok | ~present) & (present | (not required))
        self.plain &= real | ~ok
        return ordinal, present & ok

    def names(self, name: str) -> "Names":
        """A list column (or ';'-joined text) of names, flattened; a null inside a list is not plain."""
        np = numpy()
        import pyarrow as pa
        pc = _pc()
        if not self.has(name):
            return Names(Codes.absent(0), np.zeros(0, np.int64), Codes.absent(self.n), self.n)
        col = self.table.column(name)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type) or pa.types.is_null(col.type):
            col = pc.split_pattern(col.cast(pa.string()), ";")
        elif not (pa.types.is_list(col.type) and (pa.types.is_string(col.type.value_type)
                                                  or pa.types.is_null(col.type.value_type))):
            self.plain &= ~self.present(name)
            return Names(Codes.absent(0), np.zeros(0, np.int64), Codes.absent(self.n), self.n)
        col = col.cast(pa.list_(pa.string()))  # list<null> (every list empty) included
        flat = Codes.of(pc.list_flatten(col))
        parents = np.asarray(pc.list_parent_indices(col).to_numpy(zero_copy_only=False), np.int64)
        keep = ~flat.equals("")  # "a;;b" names a and b
        self.plain[parents[~flat.present]] = False
        return Names(flat[keep], parents[keep], Codes.of(pc.binary_join(col, "\x1f")), self.n)


def _parse_dates(text, pattern: str) -> tuple:
    """(matches ``pattern``, is a real day, ordinal) per value of an Arrow text array."""
    np = numpy()
    import pyarrow as pa
    pc = _pc()
    ok = np.asarray(pc.match_substring_regex(text, pattern).fill_null(False).to_numpy(zero_copy_only=False), bool)
    text = pc.if_else(pa.array(ok), text, pa.scalar("2000-01-01"))

    def part(start: int, stop: int):
        piece = pc.cast(pc.utf8_slice_codeunits(text, start, stop), pa.int64())
        return np.asarray(piece.to_numpy(zero_copy_only=False), np.int64)
    year, month, day = part(0, 4), part(5, 7), part(8, 10)
    # the day must exist (2019-02-30 does not): count days from the month's first, never roll over
    good_month = (month >= 1) & (month <= 12)
    first = ((year - 1970) * 12 + np.where(good_month, month, 1) - 1).astype("datetime64[M]")
    length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    real = good_month & (day >= 1) & (day <= length)
    ordinal = (first.astype("datetime64[D]").astype(np.int64) + np.where(real, day, 1) - 1) + _EPOCH_ORDINAL
    return ok, real, ordinal


class Names:
    """A flattened list column: the names (Codes), the row each came from, and each row's list as one text
    (to compare)."""

    def __init__(self, flat, parents, joined, n: int) -> None:
        self.flat = flat
        self.parents = parents
        self.joined = joined
        self.n = n
        self._masks: dict = {}

    def nonempty(self):
        np = numpy()
        out = np.zeros(self.n, bool)
        out[self.parents] = True
        return out

    def has(self, name: str):
        """Per row: is ``name`` in the row's list (built once per name)."""
        np = numpy()
        if name not in self._masks:
            mask = np.zeros(self.n, bool)
            mask[self.parents[self.flat.equals(name)]] = True
            self._masks[name] = mask
        return self._masks[name]

    def unknown(self, code, known_by_region: dict):
        """Per row: a name that the row's region does not know."""
        np = numpy()
        out = np.zeros(self.n, bool)
        if len(self.parents) == 0:
            return out
        regions = code[self.parents]
        bad = np.ones(len(self.parents), bool)
        for region, known in known_by_region.items():
            mine = regions.equals(region)
            bad[mine] = ~self.flat[mine].isin(known)
        out[self.parents[bad]] = True
        return out


def settle_plain(chunk: Any, engine: Any, region: Optional[str], evaluators: dict, out: Any, scatter: Any):
    """Settle the chunk's plain persons into ``out``; returns the mask of the rows done."""
    np = numpy()
    cols = Columns(chunk.table)
    n = cols.n
    if n == 0 or not cols.has("psn_no") or not cols.is_text("psn_no"):
        return np.zeros(n, bool)
    psn = cols.codes("psn_no").index
    cols.plain &= psn >= 0
    if chunk.repeated:
        cols.plain[np.fromiter(chunk.repeated, np.int64)] = False
    start = np.ones(n, bool)
    start[1:] = psn[1:] != psn[:-1]
    person = np.cumsum(start) - 1
    starts = np.flatnonzero(start)
    k = np.arange(n) - starts[person]

    def same_as_first(values):
        values = _comparable(values)
        return np.asarray(values == values[starts[person]], bool)

    schemas = engine.regions.schemas
    code = _region_codes(cols, engine, region)
    # the person's fields: codes valid, and the same on every row
    insutype = cols.code("insutype", C.INSUTYPE, required=True)
    psn_type = cols.code("psn_type", C.PSN_TYPE)
    gend = cols.code("gend", C.GEND)
    brdy, has_brdy = cols.date("brdy", _DATE, required=False)
    for values in (insutype, psn_type, gend, cols.codes("brdy") if cols.is_text_or_absent("brdy") else brdy):
        cols.plain &= same_as_first(values)
    cols.plain &= ~cols.names("chronic").nonempty()  # certified diseases: the per-person path reads them
    if cols.has("region"):
        cols.plain &= same_as_first(cols.codes("region"))
    # the encounter's fields
    cols.plain &= cols.nonempty("mdtrt_id")
    med = cols.code("med_type", C.MED_TYPE, required=True)
    level = cols.code("dedc_hosp_lv", C.DEDC_HOSP_LV)
    cols.plain &= ~cols.present("hosp_lv")
    date, _ = cols.date("setl_time", _SETL_TIME, required=True)
    later = np.ones(n, bool)
    later[1:] = start[1:] | (date[1:] >= date[:-1])
    cols.plain &= later
    cols.plain &= _once_per_person(cols, psn)
    fees = {f"encounter.fees.{key}": cols.amount(f"fee_{key}") for key in C.FEE_CLASSES}
    fees["encounter.overlmt_selfpay"] = cols.amount("overlmt_selfpay")
    person_flags = cols.names("person_flags")
    cols.plain &= same_as_first(person_flags.joined)
    enc_flags = cols.names("flags")
    # a flag that the person's region does not know is an input error
    cols.plain &= ~person_flags.unknown(code, {c: s.flags["person.flags"] for c, s in schemas.items()})
    cols.plain &= ~enc_flags.unknown(code, {c: s.flags["encounter.flags"] for c, s in schemas.items()})
    values = {"person.insutype": insutype, "person.psn_type": psn_type, "person.gend": gend,
              "encounter.med_type": med, "encounter.dedc_hosp_lv": level, **fees}
    typed, cuminfo = _extensions_and_cuminfo(cols, engine, code, same_as_first, starts)
    values.update(typed)
    year, month = _year_month(date)
    regs = _regulations(cols, engine, code, date, values)
    # the persons whose every row is plain
    whole = np.logical_and.reduceat(cols.plain, starts)
    done = whole[person] & (regs >= 0)
    whole = np.logical_and.reduceat(done, starts)
    done = whole[person]
    if not done.any():
        return done
    all_regs = [r for group in engine.regions.by_region.values() for r in group]
    people_index = np.cumsum(whole) - 1  # plain persons numbered 0..
    state = CounterState(year[starts][whole], month[starts][whole],
                         {key: (given[whole], value[whole]) for key, (given, value) in cuminfo.items()})
    ctx = {"values": values, "brdy": brdy, "has_brdy": has_brdy, "date": date, "person_flags": person_flags,
           "enc_flags": enc_flags}
    inputs_of = {}
    for r, reg in enumerate(all_regs):
        rows = np.flatnonzero(done & (regs == r))
        if len(rows) == 0:
            continue
        evaluator = evaluators.get(reg.sha256)
        if evaluator is None:
            from yibao.runtime.columnar import ColumnarEvaluator
            evaluator = evaluators[reg.sha256] = ColumnarEvaluator(reg)
        cols_for, ok = _inputs(evaluator, rows, ctx)
        if not ok.all():  # a required input absent or a code not covered: the per-person path says which
            bad_people = np.unique(person[rows[~ok]])
            done &= ~np.isin(person, bad_people)
        inputs_of[r] = (evaluator, rows, cols_for)
    if not done.any():
        return done
    for wave in range(int(k[done].max()) + 1):
        for r, (evaluator, rows, cols_for) in inputs_of.items():
            pick = done[rows] & (k[rows] == wave)
            if not pick.any():
                continue
            where = np.flatnonzero(pick)
            sel = rows[where]
            inputs = [_take(c, where) for c in cols_for]
            settled = run_wave(evaluator, state, people_index[person[sel]], inputs, year[sel], month[sel])
            scatter(out, settled, np.arange(len(sel)), sel)
    return done


def _once_per_person(cols: Columns, psn):
    """Per row: no other row of the chunk has the same (psn_no, mdtrt_id)."""
    np = numpy()
    if not cols.has("mdtrt_id") or not cols.is_text("mdtrt_id"):
        return np.zeros(cols.n, bool)
    mdtrt = cols.codes("mdtrt_id").index
    # both as dense ids: one int64 key per row
    pair = psn * (int(mdtrt.max(initial=0)) + 2) + (mdtrt + 1)
    _, inverse, counts = np.unique(pair, return_inverse=True, return_counts=True)
    return counts[inverse] == 1


def _take(c: Col, where) -> Col:
    return Col(c.kind, c.n[where], None if c.d is None else c.d[where], None if c.s is None else c.s[where])


def _year_month(ordinals):
    np = numpy()
    days = (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return year, month


def _region_codes(cols: Columns, engine: Any, region: Optional[str]):
    """Each row's region code; only a loaded region's own code is plain (names go the per-person way)."""
    np = numpy()
    if region is not None:
        from yibao.runtime.case import Problems
        code = engine.regions.region({}, region, Problems("--region"))
        return Codes.constant(cols.n, code)
    return cols.code("region", engine.regions.by_region, required=True)


def _regulations(cols: Columns, engine: Any, code, date, values: dict):
    """Index (into every loaded regulation) of the one in force on each row's date and in scope, or −1."""
    np = numpy()
    out = np.full(cols.n, -1, np.int64)
    r = 0
    for region, group in engine.regions.by_region.items():
        mine = code.equals(region)
        for reg in group:
            start, end = reg.effective
            covers = mine & (date >= start.toordinal()) & ((date <= end.toordinal()) if end else True) & (out == -1)
            out[covers] = r
            if reg.scope is not None:
                field, codes, _, _, _ = reg.scope
                scoped = values.get(field)
                if not isinstance(scoped, Codes):  # a scope on a field the fast path does not read as a code
                    out[covers] = -2
                else:
                    inside = ~scoped.present | scoped.isin(codes)
                    out[covers & ~inside] = -2
            r += 1
    return np.where(out == -2, -1, out)


def _extensions_and_cuminfo(cols: Columns, engine: Any, code, same_as_first, starts) -> tuple:
    """Extension fields (money, count or code) by contract field, and cuminfo as (given, value) per person.
    A field or key that the row's region does not know is left to the per-person path (it is an error)."""
    np = numpy()
    regions = list(engine.regions.schemas.items())
    typed = {}
    kinds: dict = {}
    for schema in engine.regions.schemas.values():
        for field, type_ in schema.extensions.items():
            kinds.setdefault(field, (type_, schema.enum_codes.get(field, set())))
    for field, (type_, codes) in kinds.items():
        scope, key = field.split(".", 1)
        if not cols.has(key):  # absent on every row
            typed[field] = Codes.absent(cols.n) if isinstance(type_, dict) else Numbers(
                np.zeros(cols.n, np.int64), np.zeros(cols.n, bool))
            continue
        present = cols.present(key)
        if type_ == "money":
            value = cols.amount(key)
        elif type_ == "count":
            value = cols.count(key)
        elif isinstance(type_, dict):
            value = cols.code(key, codes)
        else:
            cols.plain &= ~present
            continue
        for region_code, schema in regions:
            mine = code.equals(region_code) & present
            if field not in schema.extensions:
                cols.plain &= ~mine
            elif isinstance(type_, dict):
                allowed = schema.enum_codes.get(field, set())
                cols.plain &= ~(mine & ~value.isin(allowed))
        if not isinstance(value, Codes):
            value = Numbers(value, present)
        if scope == "person":
            cols.plain &= same_as_first(value)
        typed[field] = value
    cum_types: dict = {}
    for schema in engine.regions.schemas.values():
        cum_types.update(schema.cuminfo)
    cuminfo = {}
    for name in cols.table.column_names:
        if not name.startswith("cuminfo_"):
            continue
        key = name[len("cuminfo_"):]
        present = cols.present(name)
        type_ = cum_types.get(key)
        if type_ == "money":
            value = cols.amount(name)
        elif type_ == "count":
            value = cols.count(name)
        else:  # unknown key or a bool: the per-person path decides
            first_only = np.zeros(cols.n, bool)
            first_only[starts] = True
            cols.plain &= ~(present & first_only)
            continue
        first_only = np.zeros(cols.n, bool)
        first_only[starts] = True
        for region_code, schema in regions:
            if key not in schema.cuminfo:
                cols.plain &= ~(code.equals(region_code) & present & first_only)
        cuminfo[key] = (present[starts], value[starts])
    return typed, cuminfo


def _inputs(evaluator: Any, rows, ctx: dict) -> tuple:
    """One column per IR input for ``rows`` (as runtime/inputs.py reads them), and the rows that could be read."""
    np = numpy()
    program = evaluator.program
    ok = np.ones(len(rows), bool)
    out = []
    ids = evaluator.compiler.name_id
    for spec in program.inputs:
        field = spec.field or ""
        if field in ("person.flags", "encounter.flags"):
            out.append(Col("bool", _flag_mask(ctx, field, spec.name)[rows]))
            continue
        if field == "person.chronic":
            out.append(Col("bool", np.zeros(len(rows), bool)))
            continue
        if field == "person.age":
            brdy, has = ctx["brdy"][rows], ctx["has_brdy"][rows]
            age = _full_years(np.where(has, brdy, ctx["date"][rows]), ctx["date"][rows])
            out.append(_absent_or(evaluator, spec, Col("num", age), ~has, ok, "person.brdy"))
            continue
        raw = ctx["date"][rows] if field == "encounter.setl_time" else ctx["values"].get(field)
        if raw is None:  # a field the fast path does not read: the per-person path reads it
            ok[:] = False
            out.append(Col("num", np.zeros(len(rows), np.int64)))
            continue
        raw = raw[rows] if field != "encounter.setl_time" else raw
        if field == "encounter.setl_time":
            out.append(Col("date", raw))
            continue
        if isinstance(spec.type, dict) != isinstance(raw, Codes):  # a code read as a number, or the reverse
            ok[:] = False
            out.append(Col("num", np.zeros(len(rows), np.int64)))
            continue
        if isinstance(spec.type, dict):
            members = program.vocabs[spec.type["enum"]].code_to_member
            absent = ~raw.present
            covered = raw.lut(lambda code: code in members)
            strict = not spec.implicit or field == "person.insutype"
            if strict:
                ok &= covered | absent
                uncovered = np.zeros(len(rows), bool)
            else:
                uncovered = ~covered & ~absent
            col = Col("enum", raw.lut(lambda code: ids[members[code]] if code in members else 0, 0, np.int64))
            col = _absent_or(evaluator, spec, col, absent, ok, field)
            if uncovered.any():
                sid = evaluator.sentinels.id_of(Sentinel("missing", spec.name, None, field=field))
                col.s = np.where(uncovered, sid, col.s if col.s is not None else 0).astype(np.int32)
            out.append(col)
            continue
        if spec.type not in ("money", "count"):
            ok[:] = False
            out.append(Col("num", np.zeros(len(rows), np.int64)))
            continue
        if isinstance(raw, Numbers):
            values, absent = raw.values, ~raw.present
        else:  # fees: always there (0 where the column is absent)
            values, absent = raw, np.zeros(len(rows), bool)
        out.append(_absent_or(evaluator, spec, Col("num", values), absent, ok, field))
    return out, ok


def _flag_mask(ctx: dict, field: str, name: str):
    """Per row whether ``name`` is among the row's flags, built once per chunk and flag."""
    cache = ctx.setdefault("flag_masks", {})
    if (field, name) not in cache:
        names = ctx["person_flags"] if field == "person.flags" else ctx["enc_flags"]
        cache[(field, name)] = names.has(name)
    return cache[(field, name)]


def _absent_or(evaluator: Any, spec: Any, col: Col, absent, ok, field: str) -> Col:
    """Where the input is absent: the missing sentinel when it is optional, else the row is not plain."""
    np = numpy()
    if not absent.any():
        return col
    if not spec.optional:
        ok &= ~absent
        return col
    sid = evaluator.sentinels.id_of(Sentinel("missing", spec.name, None, field=field))
    col.s = np.where(absent, sid, 0).astype(np.int32)
    return col


def _full_years(birth, on):
    """周岁 per row (values.full_years): whole years from ``birth`` to ``on``, both ordinals."""
    np = numpy()
    b = (birth - _EPOCH_ORDINAL).astype("datetime64[D]")
    d = (on - _EPOCH_ORDINAL).astype("datetime64[D]")
    by, dy = b.astype("datetime64[Y]").astype(np.int64), d.astype("datetime64[Y]").astype(np.int64)
    bm = b.astype("datetime64[M]").astype(np.int64) % 12
    dm = d.astype("datetime64[M]").astype(np.int64) % 12
    bd = (b - b.astype("datetime64[M]")).astype(np.int64)
    dd = (d - d.astype("datetime64[M]")).astype(np.int64)
    before = (dm < bm) | ((dm == bm) & (dd < bd))
    return dy - by - before.astype(np.int64)

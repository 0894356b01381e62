"""The columnar evaluator: one IR run over arrays of encounters at once (numpy, imported only here).

The per-claim path (``evaluate.py``, ``codegen.py``) is the specification; this evaluator reproduces it value
for value, error for error:

- a column (``Col``) holds one value per row: numbers as an exact rational ``n / d`` of int64 arrays
  (``d`` None means whole numbers: fen, counts), or of Python-int object arrays where a bound check says
  int64 could overflow; booleans; enum members as their index in the vocabulary; dates as ordinals;
- ``s`` holds a sentinel id per row (0 none; ids index a ``Sentinels`` registry of ``values.Sentinel``), so
  one row's open/不适用/missing/divzero value never touches another row;
- every IR node is compiled from the closures' own ``CNode`` tree (``expr.py``): tables become gathers,
  ``if`` and exceptions masked selects, ``round`` the same integer half-up as ``values.half_up_ratio``.

``ColumnarEvaluator(regulation).evaluate(inputs, counters)`` is docs/ir.md steps 2–5 for many encounters;
``settle_prepared`` runs whole persons in waves (wave k = every person's k-th encounter, which sees the
counters after wave k−1) and returns rows in the contract's shape (``setlinfo``, ``excluded``, ``error``).
The core runtime never imports this module, so it still needs only the standard library.
"""

from __future__ import annotations

import datetime as _dt
from fractions import Fraction
from typing import Any, Optional

from . import messages as M
from .values import Sentinel, amount_decimals, holds_no_date

_np = None


def numpy():
    """numpy, imported on first use: the per-claim runtime never needs it."""
    global _np
    if _np is None:
        import numpy as np  # the optional ``batch`` extra
        _np = np
    return _np


# int64 is used only where a bound proves |result| < 2**62; otherwise Python ints in object arrays
_BOUND = 1 << 62


def _maxabs(a) -> int:
    if a.size == 0:
        return 0
    if a.dtype == object:
        return max(abs(int(x)) for x in a)
    if a.dtype == bool:
        return 1
    return max(int(a.max()), -int(a.min()))


def _obj(a):
    return a if a.dtype == object else a.astype(object)


def _mul(a, b):
    if a.dtype != object and b.dtype != object and _maxabs(a) * _maxabs(b) < _BOUND:
        return a * b
    return _obj(a) * _obj(b)


def _add(a, b, sign: int = 1):
    if a.dtype != object and b.dtype != object and _maxabs(a) + _maxabs(b) < _BOUND:
        return a + b if sign > 0 else a - b
    return _obj(a) + _obj(b) if sign > 0 else _obj(a) - _obj(b)


def _int64_if_small(a):
    """Back to int64 when an object array's values fit again (after a reduction, say)."""
    if a.dtype == object and _maxabs(a) < _BOUND:
        return a.astype(numpy().int64)
    return a


class Col:
    """One value per row. ``kind``: num / bool / enum / date. ``d`` None: whole numbers. ``s`` None: no sentinel."""

    __slots__ = ("kind", "n", "d", "s")

    def __init__(self, kind: str, n: Any, d: Any = None, s: Any = None) -> None:
        self.kind = kind
        self.n = n
        self.d = d
        self.s = s


class Sentinels:
    """Sentinel ids ↔ ``values.Sentinel`` objects (id 0 is "no sentinel")."""

    def __init__(self) -> None:
        self.items: list = [None]
        self._ids: dict = {}
        self._luts: dict = {}  # article → the with_article map over the ids known when it was built

    def id_of(self, s: Sentinel) -> int:
        key = (s.kind, s.name, s.article, s.reason, s.field)
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.items)
            self.items.append(s)
        return found

    def with_article(self, ids, article: Optional[str]):
        """``Sentinel.with_article`` on every row whose sentinel has no article yet."""
        np = numpy()
        if article is None:
            return ids
        size = len(self.items)
        cached = self._luts.get(article)
        if cached is None or len(cached) < size:
            lut = np.arange(size, dtype=np.int32)
            for i in range(1, size):
                s = self.items[i]
                if s.article is None:
                    lut[i] = self.id_of(s.with_article(article))
            self._luts[article] = cached = lut
        return cached[ids]

    def missing_mask(self, ids):
        np = numpy()
        lut = np.array([False] + [s.kind == "missing" for s in self.items[1:]], dtype=bool)
        return lut[ids]

    def no_date_mask(self, ids, counter: str):
        """Rows whose sentinel is the date counter's own "no date yet" (``values.holds_no_date``)."""
        np = numpy()
        lut = np.array([False] + [holds_no_date(s, counter) for s in self.items[1:]], dtype=bool)
        return lut[ids]


def _first_sentinel(cols: list):
    """The leftmost sentinel of each row among ``cols`` (None when none has any)."""
    np = numpy()
    out = None
    for c in cols:
        if c.s is None:
            continue
        out = c.s.copy() if out is None else np.where(out != 0, out, c.s)
    return out


def _pick(cond, a: Optional[Any], b: Optional[Any], size: int):
    np = numpy()
    if a is None and b is None:
        return None
    a = np.zeros(size, np.int32) if a is None else a
    b = np.zeros(size, np.int32) if b is None else b
    return np.where(cond, a, b)


# ── exact numbers ─────────────────────────────────────────────────────────────────────────────


def _den(c: Col, size: int):
    return numpy().ones(size, numpy().int64) if c.d is None else c.d


def _reduce(n, d):
    """d None when every denominator is 1. Not reduced to lowest terms: rounding and comparison do not need
    it, and the bound checks keep a growing numerator exact (a gcd pass costs more than it saves)."""
    if d is None:
        return n, None
    if d.dtype != object and (d == 1).all():
        return n, None
    return _int64_if_small(n), d


def num_add(a: Col, b: Col, size: int, sign: int = 1) -> Col:
    if a.d is None and b.d is None:
        return Col("num", _add(a.n, b.n, sign))
    if a.d is None:  # whole + n/d = (whole·d + n) / d
        return Col("num", _add(_mul(a.n, b.d), b.n, sign), b.d)
    if b.d is None:
        return Col("num", _add(a.n, _mul(b.n, a.d), sign), a.d)
    n = _add(_mul(a.n, b.d), _mul(b.n, a.d), sign)
    return Col("num", *_reduce(n, _mul(a.d, b.d)))


def num_mul(a: Col, b: Col, size: int) -> Col:
    n = _mul(a.n, b.n)
    if a.d is None and b.d is None:
        return Col("num", n)
    if a.d is None or b.d is None:
        return Col("num", n, b.d if a.d is None else a.d)
    return Col("num", *_reduce(n, _mul(a.d, b.d)))


def num_cmp(a: Col, b: Col, size: int):
    """(lhs, rhs) integer arrays whose comparison is the comparison of a and b (denominators are > 0)."""
    if a.d is None and b.d is None:
        return a.n, b.n
    if a.d is None:
        return _mul(a.n, b.d), b.n
    if b.d is None:
        return a.n, _mul(b.n, a.d)
    return _mul(a.n, b.d), _mul(b.n, a.d)


def half_up(c: Col):
    """``values.half_up_ratio`` on every row: 四舍五入 to whole fen, half away from zero."""
    np = numpy()
    if c.d is None:
        return c.n
    n, d = c.n, c.d
    if n.dtype != object and d.dtype != object and int(n.min(initial=0)) >= 0 \
            and 2 * int(n.max(initial=0)) + int(d.max(initial=0)) < _BOUND:
        # the usual case: nothing negative, no overflow (checked just above); one denominator for every
        # row (a rate literal or table) divides by a scalar, several times faster than by an array
        if len(d) and (d == d[0]).all():
            d0 = int(d[0])
            return (2 * n + d0) // (2 * d0)
        return (2 * n + d) // (2 * d)
    negative = n < 0
    mag = np.where(negative, -n, n) if n.dtype != object else np.array([abs(x) for x in n], dtype=object)
    twice_d = _add(d, d)
    q = _add(_add(mag, mag), d) // twice_d
    q = np.where(negative, -q, q)
    return _int64_if_small(q) if q.dtype == object else q


def fraction_at(c: Col, i: int):
    """Row ``i`` as the per-claim path's Python value (int or Fraction)."""
    n = int(c.n[i])
    if c.d is None:
        return n
    d = int(c.d[i])
    return n if d == 1 else Fraction(n, d)


# ── compiling CNodes to column functions ──────────────────────────────────────────────────────


class _Env:
    """One evaluation: the columns by slot, the row count and the sentinel registry."""

    __slots__ = ("cols", "size", "sentinels")

    def __init__(self, cols: list, size: int, sentinels: Sentinels) -> None:
        self.cols = cols
        self.size = size
        self.sentinels = sentinels


class ColumnCompiler:
    """Turns a program's CNode trees into functions env → Col, once per regulation."""

    def __init__(self, program: Any) -> None:
        self.program = program
        # enum values are compared by member name in the per-claim path, so a column holds one id per name
        self.name_id: dict = {}
        for v in program.vocabs.values():
            for m in v.members:
                self.name_id.setdefault(m, len(self.name_id))

    def compile(self, node: Any):
        method = getattr(self, f"_c_{_METHOD.get(node.kind, node.kind)}", None)
        if method is None:
            return self._op(node)
        return method(node)

    # leaves

    def _c_lit(self, node: Any):
        value, shape = node.data, node.name
        np = numpy()
        if shape == "bool":
            return lambda env: Col("bool", np.full(env.size, value, dtype=bool))
        if shape == "date":
            return lambda env: Col("date", np.full(env.size, value.toordinal(), dtype=np.int64))
        if shape == "enum":
            code = self._enum_code(value)
            return lambda env: Col("enum", np.full(env.size, code, dtype=np.int64))
        if isinstance(value, Fraction):
            n, d = value.numerator, value.denominator
            if d == 1:
                return lambda env: Col("num", np.full(env.size, n, dtype=np.int64))
            return lambda env: Col("num", np.full(env.size, n, dtype=np.int64), np.full(env.size, d, dtype=np.int64))
        return lambda env: Col("num", np.full(env.size, value, dtype=np.int64))

    def _enum_code(self, member: str) -> int:
        return self.name_id[member]

    def _c_ref(self, node: Any):
        slot = self.program.slot_of[node.name]
        return lambda env: env.cols[slot]

    _c_self = _c_ref

    def _sentinel_leaf(self, node: Any):
        np = numpy()
        value = node.data

        def f(env):
            sid = env.sentinels.id_of(value)
            return Col("num", np.zeros(env.size, np.int64), None, np.full(env.size, sid, np.int32))
        return f

    _c_open = _sentinel_leaf
    _c_na = _sentinel_leaf

    # structure

    def _c_lookup(self, node: Any):
        np = numpy()
        table = node.table
        keys = [self.compile(a) for a in node.args]
        vocabs = [self.program.vocabs[d].members for d in table.dims]
        strides, acc = [], 1
        for members in reversed(vocabs):
            strides.insert(0, acc)
            acc *= len(members)
        # per dimension: name id → the member's position in that dimension's vocabulary
        local = []
        for members in vocabs:
            lut = np.zeros(len(self.name_id), np.int64)
            for i, m in enumerate(members):
                lut[self.name_id[m]] = i
            local.append(lut)
        cells = [None] * acc
        for key, cell in table.cell_nodes.items():
            flat = sum(members.index(m) * s for members, m, s in zip(vocabs, key, strides))
            cells[flat] = self.compile(cell)

        literal = [table.cell_nodes[key] for key in sorted(table.cell_nodes, key=lambda k: sum(
            members.index(m) * s for members, m, s in zip(vocabs, k, strides)))]
        gather = all(c.kind in ("lit", "open", "na") for c in literal) and all(
            c.kind != "lit" or c.name in ("money", "rate", "count") for c in literal)
        cache: dict = {}

        def f(env):
            kcols = [k(env) for k in keys]
            flat = None
            for kc, lut, stride in zip(kcols, local, strides):
                term = lut[kc.n] if stride == 1 else lut[kc.n] * stride
                flat = term if flat is None else flat + term
            key_s = _first_sentinel(kcols)
            if key_s is not None:
                flat = np.where(key_s != 0, 0, flat)
            if gather:  # every cell a number or a sentinel: one gather per array
                if "n" not in cache:
                    cache.update(_cell_arrays(literal, env.sentinels))
                out = Col("num", cache["n"][flat], None if cache["d"] is None else cache["d"][flat],
                          None if cache["s"] is None else cache["s"][flat])
                if key_s is not None:
                    out.s = np.where(key_s != 0, key_s, out.s if out.s is not None else 0)
                return out
            present = [int(i) for i in np.unique(flat)]
            picked = [cells[i](env) for i in present]
            out = _select([flat == i for i in present], picked, env.size)
            if key_s is not None:
                out.s = np.where(key_s != 0, key_s, out.s if out.s is not None else 0)
            return out
        return f

    def _c_in(self, node: Any):
        np = numpy()
        arg = self.compile(node.args[0])
        lut = np.zeros(len(self.name_id), bool)
        for m in node.data:
            lut[self.name_id[m]] = True

        def f(env):
            a = arg(env)
            return Col("bool", lut[a.n], None, a.s)
        return f

    def _c_known(self, node: Any):
        np = numpy()
        arg = self.compile(node.args[0])

        def f(env):
            a = arg(env)
            if a.s is None:
                return Col("bool", np.ones(env.size, bool))
            return Col("bool", ~((a.s != 0) & env.sentinels.missing_mask(a.s)))
        return f

    def _c_if(self, node: Any):
        np = numpy()
        fc, ft, fe = (self.compile(a) for a in node.args)

        def f(env):
            c, t, e = fc(env), ft(env), fe(env)
            out = _select([c.n], [t], env.size, e)
            if c.s is not None:
                out.s = np.where(c.s != 0, c.s, out.s if out.s is not None else 0)
            return out
        return f

    def _c_and(self, node: Any):
        return self._kleene(node, decisive=False)

    def _c_or(self, node: Any):
        return self._kleene(node, decisive=True)

    def _kleene(self, node: Any, decisive: bool):
        np = numpy()
        fns = [self.compile(a) for a in node.args]

        def f(env):
            cols = [fn(env) for fn in fns]
            decided = np.zeros(env.size, bool)
            for c in cols:
                known = c.n == decisive
                decided |= known if c.s is None else (known & (c.s == 0))
            s = _first_sentinel(cols)
            value = np.where(decided, decisive, not decisive)
            if s is not None:
                s = np.where(decided, 0, s)
            return Col("bool", value, None, s)
        return f

    def _c_count_of(self, node: Any):
        np = numpy()
        fns = [self.compile(a) for a in node.args]

        def f(env):
            cols = [fn(env) for fn in fns]
            total = np.zeros(env.size, np.int64)
            for c in cols:
                total = total + c.n.astype(np.int64)
            return Col("num", total, None, _first_sentinel(cols))
        return f

    def _c_half_up(self, node: Any):  # the IR's round node
        arg = self.compile(node.args[0])

        def f(env):
            a = arg(env)
            return Col("num", half_up(a), None, a.s)
        return f

    def _op(self, node: Any):
        fns = [self.compile(a) for a in node.args]
        apply = _OPS.get(node.kind)
        if apply is None:
            raise ValueError(f"列式求值不支持运算 {node.kind!r}")

        np = numpy()

        def f(env):
            cols = [fn(env) for fn in fns]
            out = apply(cols, env)
            s = _first_sentinel(cols)
            if s is not None:
                out.s = s if out.s is None else np.where(s != 0, s, out.s)
            return out
        return f


_METHOD = {"round": "half_up"}


def _lcm(a: int, b: int) -> int:
    x, y = a, b
    while y:
        x, y = y, x % y
    return a // x * b


def _cell_arrays(cells: list, sentinels: Sentinels) -> dict:
    """A table of literal cells as arrays over its flat index: numerators, denominators, sentinel ids."""
    np = numpy()
    values = [Fraction(c.data) if c.kind == "lit" else Fraction(0) for c in cells]
    ids = [sentinels.id_of(c.data) if c.kind != "lit" else 0 for c in cells]
    dens = [v.denominator for v in values]
    # every cell over one common denominator (17/20 and 9/10 as 17/20 and 18/20): the same values, and
    # rows then share a denominator, so rounding divides by a scalar
    common = 1
    for den in dens:
        common = _lcm(common, den)
    if common > 10**9:
        n = np.array([v.numerator for v in values], dtype=object)
        d = _int64_if_small(np.array(dens, dtype=object))
    else:
        n = np.array([v.numerator * (common // v.denominator) for v in values], dtype=object)
        d = np.full(len(values), common, np.int64)
    return {"n": _int64_if_small(n) if len(n) else np.zeros(0, np.int64),
            "d": None if common == 1 else d,
            "s": np.array(ids, np.int32) if any(ids) else None}


def _select(conds: list, cols: list, size: int, default: Optional[Col] = None) -> Col:
    """Row-wise: the first col whose cond holds, else ``default`` (or the last col)."""
    if default is None:
        default, cols, conds = cols[-1], cols[:-1], conds[:-1]
    out = Col(default.kind, default.n, default.d, default.s)
    for cond, c in reversed(list(zip(conds, cols))):
        out = _where(cond, c, out, size)
    return out


def _where(cond, a: Col, b: Col, size: int) -> Col:
    np = numpy()
    if a.d is None and b.d is None:
        d = None
    else:
        d = np.where(cond, _den(a, size), _den(b, size))
    n = np.where(cond, a.n, b.n)
    if n.dtype == object:
        n = _int64_if_small(n)
    return Col(a.kind if a.kind == b.kind else "num", n, d, _pick(cond, a.s, b.s, size))


def _fold(combine):
    def apply(cols, env):
        acc = cols[0]
        for c in cols[1:]:
            acc = combine(acc, c, env.size)
        return Col(acc.kind, acc.n, acc.d)
    return apply


def _sub(cols, env):
    return num_add(cols[0], cols[1], env.size, -1)


def _neg(cols, env):
    a = cols[0]
    return Col("num", -a.n if a.n.dtype != object else numpy().array([-x for x in a.n], dtype=object), a.d)


def _div(cols, env):
    np = numpy()
    a, b = cols
    size = env.size
    zero = b.n == 0
    n = _mul(a.n, _den(b, size))
    d = _mul(_den(a, size), b.n)
    d = np.where(zero, 1, d)
    negative = d < 0
    n, d = np.where(negative, -n, n), np.where(negative, -d, d)
    n, d = _reduce(n, d if d.dtype != object else d)
    out = Col("num", n, d)
    if zero.any():
        sid = env.sentinels.id_of(Sentinel("divzero", "除数为零"))
        out.s = np.where(zero, sid, 0).astype(np.int32)
    return out


def _date_diff(cols, env):
    """Days between two date columns (ordinals), a whole count."""
    a, b = cols
    return Col("num", a.n - b.n)


def _date_shift(sign: int):
    """``date_add`` / ``date_sub``: the ordinal moved by the count; outside the calendar (after 9999-12-31)
    the range sentinel, as the closures give it."""
    def apply(cols, env):
        import datetime as _dt

        np = numpy()
        a, days = cols
        n = a.n + sign * days.n.astype(np.int64)
        outside = (n < 1) | (n > _dt.date.max.toordinal())
        out = Col("date", np.where(outside, 1, n))
        if outside.any():
            sid = env.sentinels.id_of(Sentinel("range", "日期超出范围"))
            out.s = np.where(outside, sid, 0).astype(np.int32)
        return out
    return apply


def _compare(test):
    def apply(cols, env):
        a, b = cols
        if a.kind == "num":
            lhs, rhs = num_cmp(a, b, env.size)
        else:
            lhs, rhs = a.n, b.n
        return Col("bool", numpy().asarray(test(lhs, rhs), dtype=bool))
    return apply


def _extreme(lower: bool):
    def apply(cols, env):
        acc = cols[0]
        for c in cols[1:]:
            lhs, rhs = num_cmp(c, acc, env.size) if acc.kind == "num" else (c.n, acc.n)
            take = (lhs < rhs) if lower else (lhs > rhs)
            acc = _where(numpy().asarray(take, dtype=bool), c, acc, env.size)
        return Col(acc.kind, acc.n, acc.d)
    return apply


def _clamp(cols, env):
    x, lo, hi = cols
    return _extreme(True)([_extreme(False)([x, lo], env), hi], env)


def _not(cols, env):
    return Col("bool", ~cols[0].n)


_OPS = {
    "add": _fold(num_add), "sub": _sub, "mul": _fold(num_mul), "div": _div, "neg": _neg,
    "eq": _compare(lambda a, b: a == b), "ne": _compare(lambda a, b: a != b),
    "lt": _compare(lambda a, b: a < b), "le": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b), "ge": _compare(lambda a, b: a >= b),
    "min": _extreme(True), "max": _extreme(False), "clamp": _clamp, "not": _not,
    "date_diff": _date_diff, "date_add": _date_shift(1), "date_sub": _date_shift(-1),
}


# ── one regulation over many encounters ───────────────────────────────────────────────────────

SETTLED, EXCLUDED, ERROR = 0, 1, 2


class ColumnResult:
    """docs/ir.md steps 2–5 for ``size`` encounters: ``status`` per row (SETTLED / EXCLUDED / ERROR), the
    exclusion index and the error (sentinel id, where) of each row, the output and counter columns."""

    def __init__(self, size: int) -> None:
        np = numpy()
        self.size = size
        self.status = np.zeros(size, np.int8)
        self.exclusion = np.full(size, -1, np.int64)
        self.error_id = np.zeros(size, np.int32)
        self.error_at: list = [None] * size
        self.internal: dict = {}   # row → YR90 detail (a broken invariant)
        self.outputs: dict = {}
        self.counters_after: list = []

    def fail(self, rows, ids, where: str) -> None:
        np = numpy()
        for i in np.flatnonzero(rows):
            self.error_at[i] = where
        self.error_id = np.where(rows, ids, self.error_id).astype(np.int32)
        self.status = np.where(rows, ERROR, self.status).astype(np.int8)


class ColumnarEvaluator:
    """One regulation's IR compiled to column functions. ``evaluate(inputs, counters)`` takes one column
    per input slot and per counter (values before the encounter) and gives a ``ColumnResult``."""

    def __init__(self, regulation: Any) -> None:
        self.regulation = regulation
        program = self.program = regulation.program
        compiler = self.compiler = ColumnCompiler(program)
        self.sentinels = Sentinels()
        self.steps = []
        for d in program.definitions:
            exceptions = [(compiler.compile(e.when), compiler.compile(e.expr)) for e in d.exceptions]
            articles = [d.default.article] + [e.article for e in d.exceptions]
            self.steps.append((d.slot, compiler.compile(d.default.expr), exceptions, articles))
        self.exclusions = [(compiler.compile(e.when), f"不予支付条件（{e.article or e.at}）") for e in program.exclusions]
        self.outputs = [(o.field, compiler.compile(o.expr)) for o in program.outputs]
        contract = self.contract = program.contract
        self.kept = list(contract.kept)
        # a kept field whose excluded value is not its output: that value, for the excluded rows
        self.excluded_values = [(f, compiler.compile(o.expr)) for f, o in contract.on_exclusion.items()
                                if o is not program.output_of.get(f)]
        self.updates = [(c.slot, None if c.update is None else compiler.compile(c.update), f"计数器 {c.name}",
                         c.name if c.type == "date" else None,
                         None if c.excluded_update is None else compiler.compile(c.excluded_update))
                        for c in program.counters]
        self.width = len(program.slot_of)

    # columns from the per-claim path's Python values (the input readers' lists, counter values)

    def column(self, values: list, type_: Any) -> Col:
        """One slot's values (ints, Fractions, bools, dates, member names, Sentinels) as a column."""
        np = numpy()
        size = len(values)
        s = None
        if any(v.__class__ is Sentinel for v in values):
            s = np.array([self.sentinels.id_of(v) if v.__class__ is Sentinel else 0 for v in values], np.int32)
            values = [None if v.__class__ is Sentinel else v for v in values]
        if type_ == "bool" or any(v.__class__ is bool for v in values):  # flags and chronic diseases read as bools
            return Col("bool", np.array([bool(v) for v in values], bool), None, s)
        if isinstance(type_, dict):
            ids = self.compiler.name_id
            return Col("enum", np.array([0 if v is None else ids[v] for v in values], np.int64), None, s)
        if type_ == "date":
            return Col("date", np.array([0 if v is None else v.toordinal() for v in values], np.int64), None, s)
        if any(v.__class__ is Fraction for v in values):
            fr = [Fraction(0) if v is None else Fraction(v) for v in values]
            n = _int64_if_small(np.array([f.numerator for f in fr], dtype=object))
            d = _int64_if_small(np.array([f.denominator for f in fr], dtype=object))
            return Col("num", *_reduce(n, d), s)
        ints = [0 if v is None else v for v in values]
        try:
            n = np.array(ints, np.int64).reshape(size)
        except OverflowError:  # beyond int64: exact Python ints
            return Col("num", np.array(ints, dtype=object), None, s)
        return Col("num", n if _maxabs(n) < _BOUND else n.astype(object), None, s)

    # evaluation

    def evaluate(self, inputs: list, counters: list, size: int) -> ColumnResult:
        np = numpy()
        env = _Env(list(inputs) + list(counters) + [None] * (self.width - len(inputs) - len(counters)), size,
                   self.sentinels)
        for slot, default, exceptions, articles in self.steps:
            env.cols[slot] = self._definition(env, slot, default, exceptions, articles)
        result = ColumnResult(size)
        active = np.ones(size, bool)
        for i, (when, where) in enumerate(self.exclusions):
            held = when(env)
            unknown = active & (held.s != 0) if held.s is not None else np.zeros(size, bool)
            holds = active & held.n & ~unknown
            result.fail(unknown, held.s if held.s is not None else 0, where)
            result.exclusion = np.where(holds, i, result.exclusion)
            result.status = np.where(holds, EXCLUDED, result.status).astype(np.int8)
            active &= ~(unknown | holds)
        excluded = result.status == EXCLUDED
        for field, fn in self.outputs:
            result.outputs[field] = fn(env)
        if self.excluded_values and excluded.any():
            for field, fn in self.excluded_values:
                result.outputs[field] = _where(excluded, fn(env), result.outputs[field], size)
        # the first output with a sentinel is the error: in output order for a settled row, in the
        # contract's kept order for an excluded one (which needs only those)
        for rows, fields in ((active, [f for f, _ in self.outputs]), (excluded, self.kept)):
            for field in fields:
                col = result.outputs[field]
                if col.s is not None:
                    result.fail(rows & (col.s != 0) & (result.status != ERROR), col.s, field)
        settled = result.status == SETTLED
        after = []
        for slot, update, where, dated, on_exclusion in self.updates:
            col = env.cols[slot] if update is None else update(env)
            if col.s is not None:
                kept = self.sentinels.no_date_mask(col.s, dated) if dated else False  # a date counter may stay empty
                result.fail(settled & (col.s != 0) & ~kept & (result.status != ERROR), col.s, where)
            if on_exclusion is not None:  # an excluded row's value after it (docs/ir.md step 3)
                excluded = result.status == EXCLUDED
                other = on_exclusion(env)
                if other.s is not None:
                    kept = self.sentinels.no_date_mask(other.s, dated) if dated else False
                    result.fail(excluded & (other.s != 0) & ~kept, other.s, where)
                col = _where(excluded, other, col, size)
            elif self.program.counts_excluded and col is not env.cols[slot]:
                col = _where(result.status == EXCLUDED, env.cols[slot], col, size)
            after.append(col)
        result.counters_after = after
        return result

    def _definition(self, env: _Env, slot: int, default: Any, exceptions: list, articles: list) -> Col:
        """The fold ``v = default; for e in exceptions: if when: v = expr`` as masked selects; a sentinel
        left without an article cites the rule that supplied it (as ``evaluate._step`` does)."""
        np = numpy()
        v = default(env)
        if not exceptions:
            if v.s is not None:
                v = Col(v.kind, v.n, v.d, env.sentinels.with_article(v.s, articles[0]))
            return v
        size = env.size
        source = np.zeros(size, np.int8)
        for j, (when, expr) in enumerate(exceptions, start=1):
            env.cols[slot] = v
            c = when(env)
            e = expr(env)
            unknown = (c.s != 0) if c.s is not None else np.zeros(size, bool)
            take = c.n & ~unknown
            v = _where(take, e, v, size)
            if unknown.any():
                v.s = np.where(unknown, c.s, v.s if v.s is not None else 0).astype(np.int32)
            source = np.where(take | unknown, j, source).astype(np.int8)
        if v.s is not None:
            s = v.s.copy()
            for j, article in enumerate(articles):
                rows = (source == j) & (s != 0)
                if rows.any():
                    s[rows] = env.sentinels.with_article(s[rows], article)
            v = Col(v.kind, v.n, v.d, s)
        return v

    # the contract's per-encounter checks (runtime/settle.py settle_encounter)

    def setlinfo_fen(self, result: ColumnResult) -> dict:
        """setlinfo as int64 fen columns (the ratio as a rational Col), excluded rows per docs/ir.md step 3;
        rows whose amounts break the contract's invariants get their YR90 detail in ``result.internal``."""
        np = numpy()
        size = result.size
        zero = np.zeros(size, np.int64)
        excluded = result.status == EXCLUDED
        out, ok = {}, result.status != ERROR
        contract = self.contract
        for f in contract.setlinfo:
            col = result.outputs.get(f)
            if f in contract.ratios:
                ratio = col or Col("num", zero)
                out[f] = Col("num", np.where(excluded, 0, ratio.n), None if ratio.d is None else np.where(excluded, 1, ratio.d))
                continue
            if col is None:
                out[f] = zero
                continue
            whole = col.n if col.d is None else np.where(col.d == 1, col.n, 0)
            broken = ok & (np.zeros(size, bool) if col.d is None else (col.d != 1))
            if f not in contract.kept:
                whole = np.where(excluded, 0, whole)
                broken &= ~excluded
            self._internal(result, broken)
            out[f] = _int64_if_small(whole) if whole.dtype == object else whole
        out["psn_part_amt"] = np.where(excluded, out["medfee_sumamt"], out["psn_part_amt"])
        funds = sum(out[f] for f in contract.funds)
        broken = (np.any([out[f] < 0 for f in contract.money], axis=0)
                  | np.any([out[f].n < 0 for f in contract.ratios] or [np.zeros(size, bool)], axis=0)
                  | (out["fund_pay_sumamt"] != funds)
                  | (out["medfee_sumamt"] != out["fund_pay_sumamt"] + out["psn_part_amt"]))
        if "acct_pay" in out and "psn_cash_pay" in out:
            broken |= out["psn_part_amt"] != out["acct_pay"] + out["psn_cash_pay"]
        self._internal(result, ok & broken)
        return out

    def _internal(self, result: ColumnResult, rows) -> None:
        """The per-claim path's own message for each broken row (rare: a rule-set bug), from ``settle``."""
        from .settle import _setlinfo_fen
        np = numpy()
        for i in np.flatnonzero(rows):
            if int(i) in result.internal:
                continue

            class _Ev:  # the two attributes _setlinfo_fen reads
                outputs = {f: fraction_at(c, i) for f, c in result.outputs.items() if c.s is None or c.s[i] == 0}
                excluded = self.program.exclusions[result.exclusion[i]] if result.status[i] == EXCLUDED else None
            _, problem = _setlinfo_fen(_Ev, self.contract)
            result.internal[int(i)] = problem or "输出违反结算不变式"


# ── persons in waves ──────────────────────────────────────────────────────────────────────────


def _period_key(period: str, year, month):
    """The period a date falls in, as one int (``settle._period_keys``): a counter resets when it changes."""
    if period == "year":
        return year
    if period == "quarter":
        return year * 4 + (month - 1) // 3
    return numpy().zeros(len(year), numpy().int64)


def _counter_int(value: Any) -> int:
    """A counter value as CounterState holds it: fen, counts, bools as 0/1, dates as day ordinals, and a
    date counter's "no date yet" as 0 (no date has ordinal 0)."""
    if value.__class__ is Sentinel:
        return 0
    if isinstance(value, _dt.date):
        return value.toordinal()
    return int(value)


class CounterState:
    """Every person's counters, by name (as ``settle.CounterBook``: a value remembers its period, and
    cuminfo replaces init only in the period of the person's first encounter)."""

    def __init__(self, first_year, first_month, cuminfo: dict) -> None:
        """``first_year``/``first_month``: each person's first encounter; ``cuminfo``: key → (given, values),
        two arrays over persons (money in fen, counts, bools as 0/1)."""
        self.size = len(first_year)
        self.first = {p: _period_key(p, first_year, first_month) for p in ("year", "quarter", "case")}
        self.cuminfo = cuminfo
        self.keys: dict = {}
        self.values: dict = {}
        self.no_date: dict = {}  # date counter → its "no date yet" sentinel (held as ordinal 0)

    @classmethod
    def of_cases(cls, cases: list) -> "CounterState":
        """From prepared cases (``Engine.prepare``)."""
        np = numpy()
        first = [c.encounters[0].date for c in cases]
        keys = sorted({key for c in cases for key in c.cuminfo})
        cuminfo = {key: (np.array([key in c.cuminfo for c in cases], bool),
                         np.array([_counter_int(c.cuminfo.get(key, 0)) for c in cases], np.int64)) for key in keys}
        return cls(np.array([d.year for d in first], np.int64), np.array([d.month for d in first], np.int64), cuminfo)

    def _slot(self, name: str, init: Any):
        np = numpy()
        if name not in self.keys:
            self.keys[name] = np.full(self.size, -1, np.int64)
            self.values[name] = np.full(self.size, _counter_int(init), np.int64)
            if init.__class__ is Sentinel:
                self.no_date[name] = init
        return self.keys[name], self.values[name]

    def before(self, program: Any, people, year, month, sentinels: Optional[Sentinels] = None) -> tuple:
        """Counter columns before these encounters (one per person in ``people``) and their period keys. A
        date counter is held as day ordinals, 0 for "no date yet": its sentinel in the column, by the id it has
        in ``sentinels``, the evaluator's registry (which a program with a date counter must pass)."""
        np = numpy()
        cols, keys = [], []
        for name, period, init, cum in program.counter_specs:
            held_keys, held_values = self._slot(name, init)
            key = _period_key(period, year, month)
            held = held_keys[people]
            value = np.where(held == key, held_values[people], _counter_int(init))
            if cum and cum in self.cuminfo:
                given, seeded = self.cuminfo[cum]
                fresh = given[people] & (held == -1) & (key == self.first[period][people])
                value = np.where(fresh, seeded[people], value)
            if init.__class__ is Sentinel:
                if sentinels is None:
                    raise ValueError(f"date counter {name}: CounterState.before needs the evaluator's sentinels")
                s = np.where(value == 0, sentinels.id_of(init), 0).astype(np.int32)
                cols.append(Col("date", value, None, s))
            else:
                cols.append(Col("bool", value.astype(bool)) if isinstance(init, bool) else Col("num", value))
            keys.append(key)
        return cols, keys

    def commit(self, program: Any, people, keys: list, after: list, rows) -> None:
        np = numpy()
        for (name, _, _, _), key, col in zip(program.counter_specs, keys, after):
            self.keys[name][people[rows]] = key[rows]
            value = col.n
            if name in self.no_date and col.s is not None:  # a date counter still without a date: 0
                value = np.where(col.s != 0, 0, value)
            self.values[name][people[rows]] = value[rows].astype(np.int64)

    def of(self, person: int) -> dict:
        """One person's counters after the run: name → value (as CounterBook.values holds them)."""
        found = {}
        for name, v in self.values.items():
            if self.keys[name][person] == -1:
                continue
            if name in self.no_date:
                found[name] = _dt.date.fromordinal(int(v[person])) if v[person] else self.no_date[name]
            else:
                found[name] = bool(v[person]) if isinstance(v[person], numpy().bool_) else int(v[person])
        return found


class Settled:
    """A wave's evaluated encounters of one regulation: rows ``index`` (into the batch), their result and setlinfo."""

    def __init__(self, evaluator: ColumnarEvaluator, index, result: ColumnResult, setlinfo: dict) -> None:
        self.evaluator = evaluator
        self.index = index
        self.result = result
        self.setlinfo = setlinfo


def settle_prepared(cases: list, evaluators: dict) -> tuple:
    """Settle prepared cases (``Engine.prepare``) in waves: wave k holds every case's k-th encounter and
    sees the counters after wave k−1. ``evaluators`` maps a regulation's sha256 to its ColumnarEvaluator
    (missing ones are built). Returns (per case a list of per-encounter outcomes, CounterState); an outcome
    is an error dict or (Settled, position)."""
    np = numpy()
    state = CounterState.of_cases(cases)
    outcomes = [[None] * len(c.plans) for c in cases]
    longest = max((len(c.plans) for c in cases), default=0)
    for k in range(longest):
        groups: dict = {}
        for p, case in enumerate(cases):
            if k < len(case.plans):
                enc, reg, inputs = case.plans[k]
                if reg is None or isinstance(inputs, dict):
                    outcomes[p][k] = inputs
                else:
                    groups.setdefault(reg.sha256, (reg, []))[1].append(p)
        for sha, (reg, people) in groups.items():
            evaluator = evaluators.get(sha)
            if evaluator is None:
                evaluator = evaluators[sha] = ColumnarEvaluator(reg)
            people = np.array(people, np.int64)
            plans = [cases[p].plans[k] for p in people]
            inputs = [evaluator.column([inp[j] for _, _, inp in plans], spec.type)
                      for j, spec in enumerate(evaluator.program.inputs)]
            year = np.array([enc.date.year for enc, _, _ in plans], np.int64)
            month = np.array([enc.date.month for enc, _, _ in plans], np.int64)
            settled = run_wave(evaluator, state, people, inputs, year, month)
            for i, p in enumerate(people):
                outcomes[p][k] = (settled, i)
    return outcomes, state


def run_wave(evaluator: ColumnarEvaluator, state: CounterState, people, inputs: list, year, month) -> Settled:
    """One wave of one regulation: ``people[i]``'s next encounter has input columns ``inputs`` (one per IR
    input, row i) and date (year, month); counters are read from and committed to ``state``."""
    np = numpy()
    program = evaluator.program
    size = len(people)
    counters, keys = state.before(program, people, year, month, evaluator.sentinels)
    result = evaluator.evaluate(inputs, counters, size)
    setlinfo = evaluator.setlinfo_fen(result)
    settled = (result.status == SETTLED)
    if program.counts_excluded:  # its excluded rows change counters too (their ``不予支付 则`` updates)
        settled |= result.status == EXCLUDED
    for i, c in enumerate(program.counters):  # money counters hold whole fen (settle.normalise_counters)
        col = result.counters_after[i]
        if c.type == "money" and col.d is not None:
            for r in np.flatnonzero(settled & (col.d != 1)):
                if int(r) not in result.internal and result.status[r] != ERROR:
                    result.internal[int(r)] = f"计数器「{c.name}」的更新值不是整分：{fraction_at(col, r)}"
    ok = settled.copy()
    for r in result.internal:
        ok[r] = False
    state.commit(program, people, keys, result.counters_after, ok)
    return Settled(evaluator, np.arange(size), result, setlinfo)


def outcome_row(outcome: Any, enc: Any) -> dict:
    """One encounter's output in the contract's shape (setlinfo, regulation, excluded or error; no trace)."""
    if isinstance(outcome, dict):
        return {"mdtrt_id": enc.mdtrt_id, "error": outcome}
    settled, i = outcome
    result = settled.result
    if i in result.internal:
        return {"mdtrt_id": enc.mdtrt_id, "error": M.internal(result.internal[i])}
    if result.status[i] == ERROR:
        sentinel = settled.evaluator.sentinels.items[int(result.error_id[i])]
        return {"mdtrt_id": enc.mdtrt_id, "error": M.from_sentinel(sentinel, result.error_at[i])}
    values = {f: (fraction_at(c, i) if isinstance(c, Col) else int(c[i])) for f, c in settled.setlinfo.items()}
    reg = settled.evaluator.regulation
    title, start, end, sha256 = reg.block_parts
    row = {"mdtrt_id": enc.mdtrt_id, "regulation": {"title": title, "effective": [start, end], "ir_sha256": sha256},
           "setlinfo": amount_decimals(values, settled.evaluator.contract.ratios)}
    if result.status[i] == EXCLUDED:
        exclusion = settled.evaluator.program.exclusions[int(result.exclusion[i])]
        row["excluded"] = {"article": exclusion.article, "reason": exclusion.reason}
    return row


class ColumnarEngine:
    """``Engine.settle``'s interface on the columnar evaluator: the same validation (``Engine.prepare``),
    the encounters evaluated in columns. Rows carry setlinfo, regulation, excluded and error (no trace or
    setldetail)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.evaluators: dict = {}

    def settle(self, case: dict, *, region: Optional[str] = None, trace: bool = False, name: Optional[str] = None):
        return self.settle_many([self.engine.prepare(case, region=region, name=name)])[0]

    def settle_many(self, prepared: list) -> list:
        outcomes, _ = settle_prepared(prepared, self.evaluators)
        return [self.engine.result(case, [outcome_row(o, enc) for o, enc in zip(per, case.encounters)])
                for case, per in zip(prepared, outcomes)]

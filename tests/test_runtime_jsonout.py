"""The contract's JSON writer (runtime/jsonout.py) against the plain recursive writer it replaced.

The oracle below is the writer's format as first written (one value at a time, ``json.dumps`` for every
string): a small object of scalars on one line, everything else one key or item per line, amounts as
their plain decimal text. The fast writer keeps templates by shape and writes the trace through the C
encoder; on any value Hypothesis builds (amounts with exponents, strings holding ``%``, letters and
``}, {``, nested objects, lists, None, booleans) it must give the same text, or refuse with the same error.
"""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.runtime import dumps_output


def oracle(obj) -> str:
    def scalar(v):
        return v is None or isinstance(v, (str, int, Decimal)) or (
            isinstance(v, list) and all(scalar(x) and not isinstance(x, list) for x in v))

    def atom(v):
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, int):
            return str(v)
        if isinstance(v, Decimal):
            if not v.is_finite():
                raise ValueError("not finite")
            return format(v, "f")
        raise TypeError(type(v).__name__)

    def inline(v):
        return "[" + ", ".join(atom(x) for x in v) + "]" if isinstance(v, list) else atom(v)

    def key(k):
        if not isinstance(k, str):
            raise TypeError("key")
        return json.dumps(k, ensure_ascii=False)

    def write(v, indent):
        inner = indent + "  "
        if isinstance(v, dict):
            if not v:
                return "{}"
            if len(v) <= 6 and all(scalar(x) for x in v.values()):
                return "{" + ", ".join(f"{key(k)}: {inline(x)}" for k, x in v.items()) + "}"
            return "{\n" + ",\n".join(f"{inner}{key(k)}: {write(x, inner)}" for k, x in v.items()) + "\n" + indent + "}"
        if isinstance(v, list):
            if not v:
                return "[]"
            if all(scalar(x) and not isinstance(x, list) for x in v):
                return inline(v)
            return "[\n" + ",\n".join(inner + write(x, inner) for x in v) + "\n" + indent + "]"
        return atom(v)

    return write(obj, "") + "\n"


amounts = st.one_of(st.integers(-10**6, 10**8).map(lambda fen: Decimal(fen).scaleb(-2)),
                    st.sampled_from([Decimal("1E+2"), Decimal("1e-7"), Decimal("0.8500"), Decimal("-0.00")]))
texts = st.one_of(st.text(max_size=6), st.sampled_from(["%s", "%%", "}, {", "E", "NaN", "Infinity", "统筹基金"]))
atoms = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), texts, amounts)
keys = st.one_of(texts, st.sampled_from(["medfee_sumamt", "hifp_pay", "crt_payb_lmt_amt", "E%"]))
values = st.recursive(atoms, lambda inner: st.one_of(st.lists(inner, max_size=8),
                                                     st.dictionaries(keys, inner, max_size=16)), max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_writer_gives_the_oracles_text(value):
    assert dumps_output(value) == oracle(value)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, amounts, min_size=7, max_size=16))
def test_an_object_of_amounts_only_is_written_as_the_oracle_writes_it(value):
    assert dumps_output({"setlinfo": value}) == oracle({"setlinfo": value})


def test_what_cannot_be_written_is_refused_alike():
    for bad in ({"a": Decimal("NaN")}, {"a": 0.5}, {1: "x"}, {"a": [Decimal("Infinity")]},
                {f"k{i}": Decimal("sNaN") if i == 7 else Decimal(i) for i in range(9)}):
        errors = []
        for writer in (dumps_output, oracle):
            try:
                writer(bad)
            except (TypeError, ValueError) as exc:
                errors.append(type(exc))
        assert len(errors) == 2 and errors[0] is errors[1], bad

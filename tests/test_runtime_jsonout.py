"""The contract's JSON writer (runtime/jsonout.py) against the plain recursive writer it replaced.

The oracle (tests/runtime_fixtures/json_oracle.py) is the writer's format as first written (one value at a time, ``json.dumps`` for every
string): a small object of scalars on one line, everything else one key or item per line, amounts as
their plain decimal text. The fast writer keeps templates by shape and writes the trace through the C
encoder; on any value Hypothesis builds (amounts with exponents, strings holding ``%``, letters and
``}, {``, nested objects, lists, None, booleans) it must give the same text, or refuse with the same error.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from runtime_fixtures.json_oracle import oracle
from yibao.runtime import dumps_output


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

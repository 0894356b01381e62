"""Hostile IR (issue 11): schema-valid and schema-invalid documents, as an embedder might load them.

Schema-valid inputs keep every JSON type of docs/ir.md but change meaning: a literal of another unit, a
ref to another name, another operator, a priority, an article; with the sha256 recomputed, so they
reach the compiler of expressions. Schema-invalid inputs put a value of the wrong JSON type somewhere,
drop a key, nest deeply, or damage the text. Invariants:
- loading gives a ``Regulation`` or an ``IRError`` naming a place (never another exception);
- a refusal by the schema names the JSON path (``$.…``) inside the document;
- a loaded regulation settles and contributes a case into output or a ``CaseError``, with no other
  exception; all within the call budget.
"""

from __future__ import annotations

import copy
import json

import fuzzkit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.runtime import CaseError, ContributionEngine, Engine, IRError, Regulation, dumps_output, load_case_text
from yibao.runtime.ir import compute_sha256

SETTINGS = settings(max_examples=fuzzkit.examples(150), deadline=None, database=None, derandomize=fuzzkit.DERANDOMIZE,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
OPS = ["add", "sub", "mul", "div", "neg", "min", "max", "clamp", "round", "eq", "ne", "lt", "le", "gt", "ge",
       "and", "or", "not", "count_of", "known", "if", "in", "lookup", "__import__", "eval"]


@pytest.fixture(scope="module")
def base() -> dict:
    return fuzzkit.compiled()


def _nodes(doc):
    """(parent, key) of every value in the document, iteratively."""
    out, stack = [], [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            out.append((node, key))
            stack.append(value)
    return out


def _expressions(doc):
    return [(p, k) for p, k in _nodes(doc) if isinstance(p[k], dict) and
            any(shape in p[k] for shape in ("op", "ref", "money", "rate", "count", "bool", "date", "enum", "open", "na"))]


def _names(doc):
    return sorted({item["name"] for key in ("inputs", "definitions", "counters", "tables") for item in doc[key]})


literal = st.one_of(
    st.integers(-10**20, 10**20).map(lambda n: {"money": n}),
    st.integers(-10**6, 10**6).map(lambda n: {"count": n}),
    st.sampled_from(["0", "1", "0.85", "-3", "1e5", "0.3333", " 1"]).map(lambda r: {"rate": r}),
    st.booleans().map(lambda b: {"bool": b}),
    st.sampled_from(["2018-04-01", "2019-02-30", "x"]).map(lambda d: {"date": d}),
)


@st.composite
def valid_mutant(draw, base: dict) -> dict:
    """Every JSON type as the schema says; the meaning changed."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["literal", "ref", "op", "priority", "text", "swap"]))
        exprs = _expressions(doc)
        parent, key = draw(st.sampled_from(exprs))
        if kind == "literal":
            parent[key] = draw(literal)
        elif kind == "ref":
            parent[key] = {"ref": draw(st.sampled_from(_names(doc) + ["不存在", ""]))}
        elif kind == "op":
            args = [draw(literal) for _ in range(draw(st.integers(0, 4)))]
            parent[key] = {"op": draw(st.sampled_from(OPS)), "args": args}
        elif kind == "priority":
            excs = [e for d in doc["definitions"] for e in d["exceptions"]]
            if excs:
                draw(st.sampled_from(excs))["priority"] = draw(st.integers(-10**9, 10**9))
        elif kind == "text":
            items = [x for key_ in ("definitions", "outputs", "exclusions", "inputs") for x in doc[key_]]
            item = draw(st.sampled_from(items))
            field = draw(st.sampled_from([k for k, v in item.items() if isinstance(v, str)]))
            item[field] = draw(st.text(max_size=20))
        else:
            section = draw(st.sampled_from(["definitions", "inputs", "outputs", "counters"]))
            if len(doc[section]) > 1:
                i, j = draw(st.integers(0, len(doc[section]) - 1)), draw(st.integers(0, len(doc[section]) - 1))
                doc[section][i], doc[section][j] = doc[section][j], doc[section][i]
    doc["sha256"] = compute_sha256(doc)
    return doc


wrong = st.one_of(st.none(), st.booleans(), st.integers(-10**40, 10**40), st.text(max_size=10),
                  st.just([]), st.just({}), st.just([1, "a"]), st.just({"op": "add"}), st.just({"ref": 1}))


@st.composite
def invalid_mutant(draw, base: dict):
    """A value of the wrong JSON type, a dropped key, deep nesting; as a dict or as (damaged) text."""
    doc = copy.deepcopy(base)
    parent, key = draw(st.sampled_from(_nodes(doc)))
    action = draw(st.sampled_from(["wrong", "drop", "deep", "float"]))
    if action == "drop" and isinstance(parent, dict):
        del parent[key]
    elif action == "deep":
        node = {"money": 1}
        for _ in range(draw(st.integers(150, 700))):
            node = {"op": "add", "args": [node, {"money": 1}]}
        parent[key] = node
    elif action == "float":
        parent[key] = 0.5
    else:
        parent[key] = draw(wrong)
    if draw(st.booleans()):
        doc["sha256"] = "0" * 64
        return doc, False
    try:
        text = json.dumps(doc, ensure_ascii=False)
    except (RecursionError, ValueError):  # too deep for json.dumps itself: the dict it is
        return doc, False
    damage = draw(st.sampled_from(["none", "truncate", "byte", "bom"]))
    data = text.encode("utf-8")
    if damage == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == "byte":
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1:]
    elif damage == "bom":
        data = b"\xef\xbb\xbf" + data
    return data, True


def load_and_run(source, *, verify: bool) -> None:
    with fuzzkit.call_budget():
        try:
            regulation = Regulation.from_ir(source, verify=verify)
        except IRError as exc:
            assert str(exc)
            return
        for build, case in ((Engine, fuzzkit.settlement_case()), (ContributionEngine, fuzzkit.CONTRIBUTION_CASE)):
            try:
                engine = build([regulation])
            except IRError:
                continue
            run = engine.settle if build is Engine else engine.contribute
            try:
                result = run(load_case_text(json.dumps(case), "fuzz.json"))
            except CaseError:
                continue
            fuzzkit.assert_complete_json(dumps_output(result.output))


@SETTINGS
@given(data=st.data())
def test_schema_valid_hostile_ir_loads_or_is_refused(base, data):
    fuzzkit.TRIED["IR, schema-valid"] += 1
    load_and_run(data.draw(valid_mutant(base)), verify=True)


@SETTINGS
@given(data=st.data())
def test_schema_invalid_ir_is_an_ir_error(base, data):
    source, _ = data.draw(invalid_mutant(base))
    fuzzkit.TRIED["IR, schema-invalid"] += 1
    with fuzzkit.call_budget():
        try:  # a mutation may land on a key the schema leaves free, or give a value of the right type
            Regulation.from_ir(source, verify=not isinstance(source, dict))
        except IRError as exc:
            fuzzkit.TRIED["IR, schema-invalid, refused"] += 1
            assert str(exc)


def test_a_schema_refusal_names_the_json_path(base):
    doc = copy.deepcopy(base)
    doc["definitions"][3]["exceptions"] = [{"when": {"bool": True}, "expr": {"money": 1}, "priority": "1"}]
    with pytest.raises(IRError, match=r"^\$\.definitions\[3\]\.exceptions\[0\]\.priority: 应为整数，得到 字符串 '1'"):
        Regulation.from_ir(doc, verify=False)
    doc = copy.deepcopy(base)
    doc["regulation"]["title"] = 7
    with pytest.raises(IRError, match=r"^\$\.regulation\.title: 应为字符串，得到 整数 7"):
        Regulation.from_ir(doc, verify=False)

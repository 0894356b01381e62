"""The generated evaluator (runtime/codegen.py) against the closure evaluator it mirrors, byte for byte.

- random well-typed rules (sentinels, Kleene logic, 有 (known), exceptions with self-reference, division by zero,
  tables with open, 不适用 and expression cells): every value of ``Program.evaluate`` equals
  ``Program.evaluate_reference``, down to the sentinel's kind, name, article, reason and field;
- the 东营 rules compiled from regulations/: Hypothesis cases (settled, excluded, open values, missing
  optional input, outside the validity period, malformed) give the same output bytes, exit status and
  case errors with and without the generated code, traced and untraced;
- the hand-written fixtures (tests/runtime_fixtures), the IR's worked examples and the city's case file;
- the generated source names nothing from the IR, and rules too deep for it keep the closures.
"""

from __future__ import annotations

import io
import json
import tokenize
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime_fixtures.cases import case, stay
from runtime_fixtures.mini_ir import (add, and_, dongying_ir, enum, eq, exception, if_, in_, inp, lookup, mn, mx, na,
                                      not_, op, open_, or_, ref, sub, table, tiny_ir)
from yibao.compiler.driver import compile_all, compile_path
from yibao.runtime import CaseError, Engine, Regulation, dumps_output, load_case_text
from yibao.testing import run_examples
from yibao.runtime.codegen import generate_source
from yibao.runtime.values import Sentinel

ROOT = Path(__file__).resolve().parents[1]
DONGYING = ROOT / "regulations" / "dongying" / "dongying-2018.yb"
CASES = ROOT / "regulations" / "dongying" / "dongying-2018.cases.yaml"
LEVELS = ("一级", "二级", "三级", "未定级")


def canon(value):
    """A value with everything that can reach an output or a trace: type, and a sentinel's fields."""
    if value.__class__ is Sentinel:
        return ("sentinel", value.kind, value.name, value.article, value.reason, value.field)
    return (type(value).__name__, value)


def outcome(program, method, inputs, counters, excluded_fields):
    try:
        ev = method(inputs, counters, excluded_fields)
    except Exception as exc:  # malformed values: both must fail alike
        return ("raised", type(exc).__name__, str(exc))
    return (ev.checked, ev.excluded and program.exclusions.index(ev.excluded),
            {k: canon(v) for k, v in ev.outputs.items()}, ev.counters_after and [canon(v) for v in ev.counters_after],
            ev.error and canon(ev.error), ev.error_at, [canon(v) for v in ev.env])


# ── random rules ──────────────────────────────────────────────────────────────────────────────

RULE_INPUTS = [inp("金额", "money", "encounter.fees.01"), inp("乙额", "money", "encounter.fees.02"),
               inp("基数", "money", "person.annual_base", optional=True), inp("甲", "bool", "encounter.flags"),
               inp("乙", "bool", "encounter.flags"), inp("医院等级", {"enum": "医院等级"}, "encounter.dedc_hosp_lv")]
ARTICLES = (None, "第一条", "第二条")


def rule_tables():
    o = open_("标准", "另行制定")
    return [table("标准", "money", ["医院等级"], [(("一级",), {"money": 20000}), (("二级",), ref("金额")),
                                                  (("三级",), o), (("未定级",), na("标准"))], "第三条"),
            table("比例", "rate", ["医院等级"], [(("一级",), {"rate": "0.85"}), (("二级",), {"rate": "0"}),
                                                 (("三级",), {"rate": "1"}), (("未定级",), open_("比例", "按省规定"))], "第四条")]


def rule_counters():
    return [{"name": "已付", "type": "money", "period": "year", "init": {"money": 0}, "cuminfo": None,
             "update": add(ref("已付"), ref("金额")), "article": "第五条", "at": "t.yb:1:1"},
            {"name": "次数", "type": "count", "period": "year", "init": {"count": 0}, "cuminfo": None,
             "update": None, "article": "第五条", "at": "t.yb:1:1"}]


MONEY_OPS = ("add", "add3", "sub", "neg", "round_mul", "mul", "round_div", "div", "round", "min", "max", "clamp", "if", "lookup")
RATE_OPS = ("sub", "add", "div", "mul", "if", "lookup")
BOOL_OPS = ("compare_money", "compare_rate", "and", "or", "not", "if", "in", "eq_member", "known")
COMPARE = ("eq", "ne", "lt", "le", "gt", "ge")


class Choices:
    """Decisions read from one drawn list of integers: far cheaper for Hypothesis than a strategy per
    node, and it still shrinks (towards zeros, which mean leaves and first options)."""

    def __init__(self, numbers: list[int]) -> None:
        self.numbers = numbers
        self.at = 0

    def __call__(self, n: int) -> int:
        value = self.numbers[self.at] % n if self.at < len(self.numbers) else 0
        self.at += 1
        return value

    def pick(self, options):
        return options[self(len(options))]


def expression(ch: Choices, kind: str, names: dict, depth: int) -> dict:
    """A well-typed IR expression of ``kind`` (money / rate / bool / level) over ``names``."""
    sub_ = lambda k: expression(ch, k, names, depth - 1)
    some = lambda k: [sub_(k) for _ in range(1 + ch(3))]
    if depth <= 0 or ch(4) == 0:
        return ch.pick(LEAVES[kind] + [ref(n) for n in names[kind]])
    if kind == "money":
        o = ch.pick(MONEY_OPS)
        if o in ("add", "sub"):
            return op(o, sub_("money"), sub_("money"))
        if o in ("neg", "round"):
            return op(o, sub_("money"))
        if o == "add3":
            return add(sub_("money"), sub_("money"), sub_("money"))
        if o in ("mul", "div"):
            return op(o, sub_("money"), sub_("rate"))
        if o in ("round_mul", "round_div"):
            return op("round", op(o[6:], sub_("money"), sub_("rate")))
        if o in ("min", "max"):
            return op(o, *some("money"))
        if o == "clamp":
            return op("clamp", sub_("money"), sub_("money"), sub_("money"))
        if o == "if":
            return if_(sub_("bool"), sub_("money"), sub_("money"))
        return lookup("标准", sub_("level"))
    if kind == "rate":
        o = ch.pick(RATE_OPS)
        if o == "if":
            return if_(sub_("bool"), sub_("rate"), sub_("rate"))
        if o == "lookup":
            return lookup("比例", sub_("level"))
        return op(o, sub_("rate"), sub_("rate"))
    if kind == "bool":
        o = ch.pick(BOOL_OPS)
        if o.startswith("compare"):
            k = o[8:]
            return op(ch.pick(COMPARE), sub_(k), sub_(k))
        if o in ("and", "or"):
            return op(o, *some("bool"))
        if o == "not":
            return not_(sub_("bool"))
        if o == "if":
            return if_(sub_("bool"), sub_("bool"), sub_("bool"))
        if o == "in":
            return in_(sub_("level"), *LEVELS[ch(4):][:1 + ch(3)])
        if o == "known":  # 有 X: whether an input (the optional 基数, or one always given) is present
            return op("known", ref(ch.pick(["基数", "金额"])))
        return eq(sub_("level"), enum("医院等级", ch.pick(LEVELS)))
    return if_(sub_("bool"), sub_("level"), sub_("level"))


LEAVES = {
    "money": [{"money": 0}, {"money": 1}, {"money": -250}, {"money": 20000}, {"money": 99999},
              open_("待定额", "另行制定"), na("不适用额")],
    "rate": [{"rate": t} for t in ("0", "0.1", "0.85", "1", "0.333")] + [open_("待定率", "按省规定")],
    "bool": [{"bool": True}, {"bool": False}, open_("待定否", "另行制定")],
    "level": [enum("医院等级", m) for m in LEVELS],
}


@st.composite
def rules(draw):
    ch = Choices(list(draw(st.binary(min_size=40, max_size=600))))
    names = {"money": ["金额", "乙额", "基数", "已付"], "rate": [], "bool": ["甲", "乙"], "level": ["医院等级"]}
    definitions = []
    for i in range(1 + ch(8)):
        kind = ch.pick(["money", "money", "rate", "bool", "level"])
        name = f"定义{i}"
        default = expression(ch, kind, names, 3)
        own = dict(names, **{kind: names[kind] + [name]})  # inside an exception, its own name is the value so far
        exceptions = [exception(expression(ch, "bool", own, 2), expression(ch, kind, own, 2), p, ch.pick(ARTICLES))
                      for p in range(ch(3))]
        type_ = {"enum": "医院等级"} if kind == "level" else kind
        definitions.append({"name": name, "type": type_, "notes": [],
                            "default": {"expr": default, "article": ch.pick(ARTICLES), "at": f"t.yb:{i}:1"},
                            "exceptions": [dict(e, at=f"t.yb:{i}:2") for e in exceptions]})
        names[kind].append(name)
    exclusions = [{"when": expression(ch, "bool", names, 2), "reason": "不予支付", "article": "第六条", "at": "t.yb:9:1"}
                  for _ in range(ch(3))]
    fields = ["medfee_sumamt", "hifp_pay", "pool_prop_selfpay", "oth_pay"]
    outputs = [{"field": f, "type": "rate" if f == "pool_prop_selfpay" else "money",
                "expr": expression(ch, "rate" if f == "pool_prop_selfpay" else "money", names, 2), "at": "t.yb:9:2"}
               for f in fields[:ch(5)]]
    return tiny_ir(definitions, RULE_INPUTS, rule_tables(), rule_counters(), exclusions, outputs)


values = st.fixed_dictionaries({
    "金额": st.integers(0, 100000), "乙额": st.sampled_from([0, 1, 99999]),
    "基数": st.one_of(st.none(), st.integers(0, 100000)), "甲": st.booleans(), "乙": st.booleans(),
    "医院等级": st.sampled_from(LEVELS), "已付": st.integers(0, 50000),
})


def rule_inputs(program, v: dict) -> list:
    return [Sentinel("missing", s.name, field=s.field) if v.get(s.name) is None else v[s.name] for s in program.inputs]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rules(), values, st.permutations(["medfee_sumamt", "hifp_pay", "oth_pay", "fulamt_ownpay_amt"]))
def test_generated_code_equals_the_closures_on_random_rules(doc, v, excluded_fields):
    program = Regulation.from_ir(doc).program
    assert program.fast is not None
    inputs, counters = rule_inputs(program, v), [v["已付"], 0]
    fast = outcome(program, program.evaluate, inputs, counters, tuple(excluded_fields))
    reference = outcome(program, program.evaluate_reference, inputs, counters, tuple(excluded_fields))
    assert fast == reference
    assert program.fallbacks == 0


def test_ties_keep_the_first_extreme_as_builtin_min_and_max_do():
    exact = op("mul", ref("金额"), {"rate": "1"})  # equal to 金额, but a Fraction
    cases = [mn(exact, ref("金额")), mn(ref("金额"), exact), mx(exact, ref("金额")), mx(ref("金额"), exact, ref("金额")),
             op("clamp", exact, ref("金额"), ref("金额")), op("clamp", ref("金额"), exact, exact)]
    defs = [{"name": f"值{i}", "type": "money", "notes": [], "exceptions": [],
             "default": {"expr": e, "article": None, "at": "t.yb:1:1"}} for i, e in enumerate(cases)]
    program = Regulation.from_ir(tiny_ir(defs, RULE_INPUTS, rule_tables(), rule_counters())).program
    inputs = rule_inputs(program, {"金额": 700, "乙额": 0, "甲": True, "乙": False, "医院等级": "一级"})
    fast = outcome(program, program.evaluate, inputs, [0, 0], ())
    assert fast == outcome(program, program.evaluate_reference, inputs, [0, 0], ())
    assert [v[0] for v in fast[-1][-len(cases):]] == ["Fraction", "int", "Fraction", "int", "Fraction", "int"]


def test_a_sentinel_where_the_code_assumes_none_hands_the_encounter_to_the_closures():
    doc = tiny_ir([{"name": "值", "type": "bool", "notes": [], "exceptions": [],
                    "default": {"expr": eq(ref("医院等级"), enum("医院等级", "一级")), "article": "第一条", "at": "t.yb:1:1"}}],
                  RULE_INPUTS, rule_tables(), rule_counters())
    program = Regulation.from_ir(doc).program
    inputs = rule_inputs(program, {"金额": 1, "乙额": 0, "甲": True, "乙": False, "医院等级": None})
    fast = outcome(program, program.evaluate, inputs, [0, 0], ())
    assert program.fallbacks == 1  # the missing level reached a slot the code treats as always present
    assert fast == outcome(program, program.evaluate_reference, inputs, [0, 0], ())
    assert fast[-1][-1][0] == "sentinel"  # the closures' answer: the sentinel, not "false"


def test_rules_too_deep_for_generated_code_keep_the_closures():
    deep = {"money": 1}
    for _ in range(120):
        deep = if_(ref("甲"), deep, {"money": 0})
    doc = tiny_ir([{"name": "深", "type": "money", "notes": [], "exceptions": [],
                    "default": {"expr": deep, "article": None, "at": "t.yb:1:1"}}], RULE_INPUTS, rule_tables(), rule_counters())
    program = Regulation.from_ir(doc).program
    assert program.fast is None
    ev = program.evaluate(rule_inputs(program, {"金额": 1, "乙额": 0, "甲": True, "乙": False, "医院等级": "一级"}), [0, 0])
    assert ev.env[program.slot_of["深"]] == 1


def test_generated_source_names_nothing_from_the_ir():
    program = Regulation.from_ir(dongying_ir()).program
    source, namespace = generate_source(program)
    allowed = {"def", "return", "if", "elif", "else", "is", "not", "and", "or", "in", "None", "True", "False",
               "S", "_hp", "_hq", "_dv", "_rh", "i", "c", "w", "g", "article", "with_article", "__class__",
               "evaluate_encounter"}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME:
            assert token.string in allowed or (token.string[0] in "stKa" and token.string[1:].isdigit()), token
    assert namespace["__builtins__"] == {}  # and the function can reach no builtin either


# ── the 东营 rules, through the embedding API ─────────────────────────────────────────────────


@pytest.fixture(scope="module")
def engines() -> tuple[Engine, Engine]:
    result = compile_path(str(DONGYING))
    assert result.ir is not None, result.diagnostics
    return (Engine([Regulation.from_ir(result.ir)]), Engine([Regulation.from_ir(result.ir, fast=False)]))


def settle_both(engines, text: str, name: str = "case.json") -> list:
    """[(status or "CaseError", bytes)] for the fast and the reference engine, traced and untraced."""
    answers = []
    for engine in engines:
        for trace in (False, True):
            try:
                result = engine.settle(load_case_text(text, name), trace=trace)
            except CaseError as exc:
                answers.append(("CaseError", str(exc)))
            else:
                answers.append((result.status, dumps_output(result.output)))
    return answers


def assert_same(engines, text: str) -> list:
    programs = [reg.program for reg in engines[0].regulations()]
    fallbacks = [program.fallbacks for program in programs]  # examples may have used the closures before
    fast_plain, fast_traced, ref_plain, ref_traced = settle_both(engines, text)
    assert fast_plain == ref_plain
    assert fast_traced == ref_traced
    assert all(program.fast is not None for program in programs)
    assert [program.fallbacks for program in programs] == fallbacks  # the generated code settled every encounter
    return [fast_plain, fast_traced]


fen = st.integers(0, 30_000_000)
amount = st.one_of(fen.map(lambda f: f"{f // 100}.{f % 100:02d}"), st.integers(0, 300_000), st.just("0"))
encounter = st.fixed_dictionaries(
    {"med_type": st.sampled_from(["11", "14", "21", "22", "23", "24", "51", "52"]),
     "fees": st.dictionaries(st.sampled_from(["01", "02", "03"]), amount, max_size=3),
     "gap": st.integers(0, 120), "clock": st.booleans()},
    optional={"dedc_hosp_lv": st.sampled_from(["1", "2", "3", "9"]), "hosp_lv": st.sampled_from(["01", "06", "09", "11"]),
              "overlmt_selfpay": amount,
              "flags": st.lists(st.sampled_from(["转院", "急诊", "非定点", "异地就医", "转诊", "转诊备案", "异地备案", "中医医疗机构"]),
                                unique=True, max_size=4)})
person = st.fixed_dictionaries(
    {"insutype": st.sampled_from(["310", "390"]), "psn_type": st.sampled_from(["1101", "1501", "1201"]),
     "gend": st.sampled_from(["1", "2"]),
     "flags": st.lists(st.sampled_from(["大额医疗补助", "公务员医疗补助", "扶贫对象"]), unique=True, max_size=2)},
    optional={"brdy": st.sampled_from(["1970-01-01", "1988-02-29"]), "annual_base": amount,
              "acct_balc": amount})  # the personal account (第十九条), carried across the encounters
cuminfo = st.dictionaries(st.sampled_from(["hifp_pay_pooled", "hifp_pay_outpatient", "hifob_pay", "cvlserv_selfpay",
                                           "chronic_dedc_quarter", "outpatient_dedc"]), amount, max_size=4)


def build_case(p: dict, encounters: list, start: str, cum: dict, admissions: int) -> str:
    import datetime as dt
    day = dt.date.fromisoformat(start)
    rows = []
    for i, e in enumerate(encounters):
        day += dt.timedelta(days=e["gap"])
        row = {k: v for k, v in e.items() if k not in ("gap", "clock")}
        if "dedc_hosp_lv" not in row and "hosp_lv" not in row:
            row["dedc_hosp_lv"] = "3"
        row.update(mdtrt_id=f"E{i + 1}", setl_time=day.isoformat() + (" 08:30:00" if e["clock"] else ""))
        rows.append(row)
    doc = {"region": "370500", "person": dict(p, psn_no="P"), "encounters": rows}
    if cum or admissions:
        doc["cuminfo"] = dict(cum, **({"admissions": admissions} if admissions else {}))
    return json.dumps(doc, ensure_ascii=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person, st.lists(encounter, min_size=1, max_size=6), st.sampled_from(["2018-03-20", "2019-01-01", "2022-11-01"]),
       cuminfo, st.integers(0, 3))
def test_dongying_settles_to_the_same_bytes_with_and_without_generated_code(engines, p, encounters, start, cum, admissions):
    assert_same(engines, build_case(p, encounters, start, cum, admissions))


DELETE = "<delete>"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person, st.lists(encounter, min_size=1, max_size=3), st.sampled_from([
    ("person", "insutype", 310), ("person", "annual_base", "1.005"), ("person", "colour", "red"),
    ("encounter", "med_type", "99"), ("encounter", "setl_time", "2019-02-30"), ("encounter", "fees", {"04": 1}),
    ("encounter", "overlmt_selfpay", "-1"), ("encounter", "flags", ["外星人"]), ("case", "region", "370600"),
    ("encounter", "dedc_hosp_lv", DELETE)]))
def test_malformed_cases_fail_alike(engines, p, encounters, damage):
    doc = json.loads(build_case(p, encounters, "2019-01-01", {}, 0))
    scope, key, value = damage
    target = doc if scope == "case" else doc["person"] if scope == "person" else doc["encounters"][-1]
    target[key] = value
    if value is DELETE:  # a required input the case lacks: the readers' Absent, through the generated reader
        del target[key]
        target.pop("hosp_lv", None)
    answers = assert_same(engines, json.dumps(doc, ensure_ascii=False))
    assert answers[0][0] == "CaseError"


def test_encounter_errors_and_exclusions_are_covered(engines):
    """The cases above reach every error path; these pin one of each, so a change in the strategies cannot hide them."""
    cases = [
        case(stay("E1", "9", a="1000")),                                    # 未定级: open cell (YR01)
        case(stay("E1", "3", a="1000", flags=["非定点"])),                   # excluded (第三十八条)
        case(stay("E1", "3", a="1000"), flags=["公务员医疗补助"]),           # annual_base absent (YR03)
        case(stay("E1", "1", a="100", med_type="11"), insutype="390"),     # resident outpatient ratio open
        case(stay("E1", "2", a="100", med_type="52")),                      # 生育: open deductible
        case(stay("E1", "3", a="100", date="2030-01-01")),                 # no regulation in force (YR04)
    ]
    codes = []
    for doc in cases:
        plain, _ = assert_same(engines, json.dumps(doc, ensure_ascii=False))
        out = json.loads(plain[1])
        codes.append(out["encounters"][0].get("error", {}).get("code") or ("excluded" if "excluded" in out["encounters"][0] else "ok"))
    assert codes == ["YR01", "excluded", "YR03", "YR01", "YR01", "YR04"]


def test_the_city_case_file_settles_alike(engines):
    for item in yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]:
        doc = dict(item["input"], region="370500")
        assert_same(engines, json.dumps(doc, ensure_ascii=False, default=str))


@pytest.fixture(scope="module")
def cities() -> dict:
    """Every city under regulations/: (fast engine, reference engine, its case file) by region code."""
    found = {}
    for result in compile_all(ROOT / "regulations"):
        assert result.ir is not None, result.diagnostics
        region = result.ir["regulation"]["region_code"]
        cases = sorted(result.file.parent.glob("*.cases.yaml"))
        found[region] = (Engine([Regulation.from_ir(result.ir)]), Engine([Regulation.from_ir(result.ir, fast=False)]), cases)
    return found


def test_every_city_settles_its_case_files_and_examples_alike(cities):
    assert len(cities) >= 4
    for region, (fast, reference, case_files) in cities.items():
        for path in case_files:
            for item in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
                doc = dict(item["input"], region=region)
                assert_same((fast, reference), json.dumps(doc, ensure_ascii=False, default=str))
        (a,), (b,) = fast.regulations(), reference.regulations()
        assert [(r.title, r.passed, r.describe_failures()) for r in run_examples(a)] == \
               [(r.title, r.passed, r.describe_failures()) for r in run_examples(b)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person, st.lists(encounter, min_size=1, max_size=4), st.sampled_from(["2018-06-01", "2019-12-20", "2024-03-01"]),
       cuminfo, st.integers(0, 3))
def test_every_city_settles_random_cases_alike(cities, p, encounters, start, cum, admissions):
    for region, (fast, reference, _) in cities.items():
        doc = json.loads(build_case(p, encounters, start, {}, 0))
        accepted = set(fast.accepted_cuminfo(region))
        doc["cuminfo"] = {k: v for k, v in dict(cum, admissions=admissions).items() if k in accepted}
        assert_same((fast, reference), json.dumps(dict(doc, region=region), ensure_ascii=False))


def test_worked_examples_run_alike(engines):
    (fast,), (reference,) = (e.regulations() for e in engines)
    mini_fast, mini_reference = Regulation.from_ir(dongying_ir()), Regulation.from_ir(dongying_ir(), fast=False)
    for a, b in ((fast, reference), (mini_fast, mini_reference)):
        assert [(r.title, r.passed, r.describe_failures()) for r in run_examples(a)] == \
               [(r.title, r.passed, r.describe_failures()) for r in run_examples(b)]


def test_hand_written_fixture_settles_alike():
    engines = (Engine([Regulation.from_ir(dongying_ir())]), Engine([Regulation.from_ir(dongying_ir(), fast=False)]))
    docs = [case(stay("E1", "3", a="10000")), case(stay("E1", "2", a="2000"), stay("E2", "2", a="2000"), stay("E3", "1", a="1000")),
            case(stay("E1", "3", a="10000", flags=["转院"]), insutype="390"), case(stay("E1", "9", a="10")),
            case(stay("E1", "2", a="300", b="200", c="50", med_type="14", flags=["异地就医", "转诊"]), flags=["大额医疗补助"])]
    for doc in docs:
        assert_same(engines, json.dumps(doc, ensure_ascii=False))


def test_the_fast_trace_reads_what_the_generated_code_decided_and_evaluates_nothing(engines):
    """The trace of a settled encounter comes from the recording function alone: with every operation's
    closure made to fail, the fast engine still traces the 东营 inpatient case exactly as the closures do."""
    from yibao.runtime.evaluator import reads

    text = build_case({"insutype": "310", "psn_type": "1101", "gend": "1", "flags": []},
                      [{"med_type": "21", "fees": {"01": "10000.00", "02": "3000.00"}, "gap": 0, "clock": False,
                        "flags": ["转院"]}], "2019-03-01", {}, 1)
    expected = dumps_output(engines[1].settle(load_case_text(text, "c.json"), trace=True).output)
    fresh = Engine([Regulation.from_ir(compile_path(str(DONGYING)).ir)])
    (program,) = [reg.program for reg in fresh.regulations()]

    def fail(env):
        raise AssertionError("the trace evaluated a node")
    roots = [d.default.expr for d in program.definitions] + [n for d in program.definitions for e in d.exceptions
                                                             for n in (e.when, e.expr)]
    roots += [t for table in program.tables.values() for t in table.cell_nodes.values()]
    roots += [o.expr for o in program.outputs] + [x.when for x in program.exclusions]
    for node in reads(*roots):
        if node.kind not in ("lit", "open", "na"):
            node.fn = fail  # what the closures already compiled keeps the old one; only a direct call fails
    result = fresh.settle(load_case_text(text, "c.json"), trace=True)
    assert dumps_output(result.output) == expected
    assert '"name": "住院起付标准"' in expected and program.fallbacks == 0


def test_a_trace_path_is_walked_once_and_replayed_with_each_encounters_values(engines):
    """Two encounters deciding alike share one plan; the replayed trace still carries the second one's
    values, exactly as the closures trace it."""
    def text(fee):
        return build_case({"insutype": "310", "psn_type": "1101", "gend": "1", "flags": []},
                          [{"med_type": "21", "fees": {"01": fee}, "gap": 0, "clock": False}], "2019-03-01", {}, 0)
    fresh = Engine([Regulation.from_ir(compile_path(str(DONGYING)).ir)])
    (program,) = [reg.program for reg in fresh.regulations()]
    first = dumps_output(fresh.settle(load_case_text(text("10000.00"), "a.json"), trace=True).output)
    memo = program.fast.trace_memo
    assert memo.usable and len(memo.plans) == 1
    second = fresh.settle(load_case_text(text("20000.00"), "b.json"), trace=True)
    assert len(memo.plans) == 1  # the same path: replayed, not walked
    expected = engines[1].settle(load_case_text(text("20000.00"), "b.json"), trace=True)
    assert dumps_output(second.output) == dumps_output(expected.output) != first
    assert {"name": "起付线以上金额", "value": "19200.00", "article": None,
            "source": "shandong/settlement-model.yb:40:1"} in second.output["encounters"][0]["trace"]


DATE_INPUTS = [inp("入院", "date", "encounter.begndate", optional=True), inp("出院", "date", "encounter.enddate", optional=True),
               inp("天数", "count", "encounter.days")]


def _date_rules() -> dict:
    exprs = {"住院天数": ("count", op("date_diff", ref("出院"), ref("入院"))),
             "复查截止": ("date", op("date_add", ref("出院"), ref("天数"))),
             "前推": ("date", op("date_sub", ref("入院"), ref("天数"))),
             "超长": ("bool", op("gt", op("date_diff", ref("出院"), ref("入院")), {"count": 90}))}
    defs = [{"name": n, "type": t, "notes": [], "exceptions": [], "default": {"expr": e, "article": "第一条", "at": "t.yb:1:1"}}
            for n, (t, e) in exprs.items()]
    return tiny_ir(defs, DATE_INPUTS)


@pytest.mark.parametrize("admit, discharge, days", [
    ("2020-02-20", "2020-03-01", 30),   # across a leap February: 10 days; 2020-03-31; 2020-01-21
    ("2020-03-01", "2020-02-20", -5),   # discharge before admission: −10 days; a negative count moves the other way
    (None, "2020-03-01", 1),            # admission missing: the day count is the missing sentinel
    ("9999-12-01", "9999-12-31", 1),    # one day past the calendar's end: the range sentinel (YR06)
])
def test_date_operations_agree_in_both_evaluators(admit, discharge, days):
    import datetime as dt
    program = Regulation.from_ir(_date_rules()).program
    values = {"入院": admit and dt.date.fromisoformat(admit), "出院": dt.date.fromisoformat(discharge), "天数": days}
    inputs = rule_inputs(program, values)
    fast = outcome(program, program.evaluate, inputs, [], ())
    assert fast == outcome(program, program.evaluate_reference, inputs, [], ())
    env = program.evaluate_reference(inputs, [], ()).env
    got = {n: env[program.slot_of[n]] for n in ("住院天数", "复查截止", "前推", "超长")}
    if admit == "2020-02-20":
        assert got == {"住院天数": 10, "复查截止": dt.date(2020, 3, 31), "前推": dt.date(2020, 1, 21), "超长": False}
    elif admit == "2020-03-01":
        assert got["住院天数"] == -10 and got["复查截止"] == dt.date(2020, 2, 15) and got["前推"] == dt.date(2020, 3, 6)
    elif admit is None:
        assert got["住院天数"].kind == "missing" and got["复查截止"] == dt.date(2020, 3, 2)
    else:
        assert got["住院天数"] == 30 and got["复查截止"].kind == "range" and got["前推"] == dt.date(9999, 11, 30)


def test_a_trace_plan_made_into_code_holds_its_texts_as_constants_only():
    """trace._plan_function: names, articles, sources and notes never become source text."""
    from yibao.runtime.trace import CONSTANT, ENV, RECORD, _plan_function

    hostile = "x'}]; import os; ['"
    plan = [(hostile, ENV, 0, "money", hostile, hostile, hostile), ("乙", RECORD, 1, "bool", None, None, None),
            ("丙", CONSTANT, Sentinel("open", "丙", "第一条"), "rate", "第一条", "t.yb:1:1", None)]
    replay = _plan_function(plan)
    assert replay.__globals__["__builtins__"] == {}
    assert "import" not in replay.__code__.co_names and "os" not in replay.__code__.co_names
    assert replay([123456], [None, True]) == [
        {"name": hostile, "value": "1234.56", "article": hostile, "source": hostile, "note": hostile},
        {"name": "乙", "value": "true", "article": None, "source": None},
        {"name": "丙", "value": "待定", "article": "第一条", "source": "t.yb:1:1"}]


def test_a_literal_number_as_a_condition_compiles_without_a_warning():
    """An embedder's IR may test a literal (the schema allows it; the compiler never writes it): the generated
    ``if 5 is True`` decides as the closures do, and Python's SyntaxWarning about it is not printed."""
    import warnings

    doc = tiny_ir([{"name": "值", "type": "money", "notes": [], "exceptions": [],
                    "default": {"expr": if_({"count": 5}, {"money": 1}, {"money": 0}), "article": None, "at": "t.yb:1:1"}}],
                  RULE_INPUTS, rule_tables(), rule_counters())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        program = Regulation.from_ir(doc).program
        program.fast.evaluate(rule_inputs(program, {"金额": 1, "乙额": 0, "甲": True, "乙": False, "医院等级": "一级"}),
                              [0, 0], record=True)
    assert program.fast is not None

"""Hand-written ``yibao-ir/1`` documents for the runtime's tests and benchmark (docs/ir.md shapes).

``dongying_ir()`` is a compact but complete lowering of regulations/shandong/settlement-model.yb with
regulations/dongying/dongying-2018.yb: the same definitions, tables, counters, exclusions and outputs
the compiler emits, written by hand so the runtime can be tested before the compiler exists.
"""

from __future__ import annotations

import copy
import hashlib
import json

SRC = "dongying/mini.yb"


def with_sha(doc: dict) -> dict:
    """Set ``sha256`` as docs/ir.md pins it: over the sorted-key, no-space UTF-8 JSON of the rest
    (no trailing newline in the hashed bytes)."""
    body = {k: v for k, v in doc.items() if k != "sha256"}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    doc = dict(doc)
    doc["sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return doc


# ── node helpers ──

def ref(name): return {"ref": name}
def money(yuan): return {"money": round_yuan(yuan)}
def rate(text): return {"rate": text}
def count(n): return {"count": n}
def boolean(b): return {"bool": b}
def enum(vocab, member): return {"enum": vocab, "member": member}
def op(name, *args): return {"op": name, "args": list(args)}
def if_(c, t, e): return op("if", c, t, e)
def in_(e, *members): return {"op": "in", "args": [e], "members": list(members)}
def lookup(table, *keys): return {"op": "lookup", "table": table, "args": list(keys)}
def open_(name, reason): return {"open": name, "reason": reason}
def na(name): return {"na": name}
def add(*a): return op("add", *a)
def sub(a, b): return op("sub", a, b)
def mul(a, b): return op("mul", a, b)
def rnd(a): return op("round", a)
def mx(*a): return op("max", *a)
def mn(*a): return op("min", *a)
def and_(*a): return op("and", *a)
def or_(*a): return op("or", *a)
def not_(a): return op("not", a)
def eq(a, b): return op("eq", a, b)


def round_yuan(yuan) -> int:
    from decimal import Decimal
    fen = Decimal(str(yuan)) * 100
    assert fen == fen.to_integral_value()
    return int(fen)


_line = [0]


def at() -> str:
    _line[0] += 1
    return f"{SRC}:{_line[0]}:5"


def definition(name, type_, expr, article, exceptions=(), notes=()):
    return {"name": name, "type": type_, "default": {"expr": expr, "article": article, "at": at()},
            "exceptions": [dict(e, at=at()) for e in exceptions], "notes": list(notes)}


def exception(when, expr, priority, article):
    return {"when": when, "expr": expr, "priority": priority, "article": article}


def table(name, type_, dims, rows, article):
    return {"name": name, "type": type_, "dims": dims, "article": article, "at": at(),
            "cells": [{"key": list(k), "value": v, "at": at()} for k, v in rows]}


def counter(name, type_, period, init, article, update, cuminfo=None):
    return {"name": name, "type": type_, "period": period, "init": init, "cuminfo": cuminfo, "update": update,
            "article": article, "at": at()}


def inp(name, type_, field, optional=False):
    return {"name": name, "type": type_, "field": field, "optional": optional, "at": at()}


LEVELS = ("一级", "二级", "三级", "未定级")
INPATIENT = ("普通住院", "外伤住院", "转外诊治住院", "急诊转住院")


def vocabularies():
    return [
        {"name": "险种", "english": "insutype", "field": "person.insutype",
         "members": [{"name": "职工", "code": "310"}, {"name": "居民", "code": "390"}], "aliases": {}, "at": at()},
        {"name": "医疗类别", "english": "med_type", "field": "encounter.med_type",
         "members": [{"name": n, "code": c} for n, c in [("普通门诊", "11"), ("门诊慢特病", "14"), ("普通住院", "21"),
                                                           ("外伤住院", "22"), ("转外诊治住院", "23"), ("急诊转住院", "24"),
                                                           ("生育门诊", "51"), ("生育住院", "52")]],
         "aliases": {}, "at": at()},
        {"name": "医院等级", "english": "level", "field": "encounter.dedc_hosp_lv",
         "members": [{"name": n, "code": c} for n, c in zip(LEVELS, ("1", "2", "3", "9"))],
         "aliases": {"社区": "一级"}, "at": at()},
    ]


def inputs():
    flags_p = ["大额医疗补助", "公务员医疗补助"]
    flags_e = ["转院", "转诊", "转诊备案", "异地就医", "异地备案", "急诊", "非定点"]
    return ([inp("甲类费用", "money", "encounter.fees.01"), inp("乙类费用", "money", "encounter.fees.02"),
             inp("丙类费用", "money", "encounter.fees.03"), inp("超限价费用", "money", "encounter.overlmt_selfpay"),
             inp("险种", {"enum": "险种"}, "person.insutype"), inp("医疗类别", {"enum": "医疗类别"}, "encounter.med_type"),
             inp("医院等级", {"enum": "医院等级"}, "encounter.dedc_hosp_lv")]
            + [inp(f, "bool", "person.flags") for f in flags_p]
            + [inp(f, "bool", "encounter.flags") for f in flags_e]
            + [inp("本人年缴费基数", "money", "person.annual_base", optional=True)])


def tables():
    by_level = lambda vals: [((lv,), v) for lv, v in zip(LEVELS, vals)]
    two = lambda rows: [((ins, lv), v) for ins, vals in rows for lv, v in zip(LEVELS, vals)]
    o = lambda name: open_(name, "本条未规定")
    return [
        table("住院起付标准", "money", ["医院等级"], by_level([money(200), money(500), money(800), o("住院起付标准")]), "第三十条"),
        table("住院支付比例", "rate", ["险种", "医院等级"], two([
            ("职工", [rate("0.95"), rate("0.9"), rate("0.85"), o("住院支付比例")]),
            ("居民", [rate("0.9"), rate("0.75"), rate("0.6"), o("住院支付比例")])]), "第三十一条"),
        table("住院乙类先行自付比例", "rate", ["险种"], [(("职工",), rate("0.1")), (("居民",), rate("0.2"))], "第三十一条"),
        table("门诊支付比例", "rate", ["险种", "医院等级"], two([
            ("职工", [rate("0.8"), rate("0.7"), na("门诊支付比例"), na("门诊支付比例")]),
            ("居民", [o("门诊支付比例"), na("门诊支付比例"), na("门诊支付比例"), na("门诊支付比例")])]), "第三十三条"),
        table("门诊乙类先行自付比例", "rate", ["险种"], [(("职工",), rate("0.1")), (("居民",), o("门诊乙类先行自付比例"))], "第三十三条"),
        table("门诊起付标准", "money", ["险种"], [(("职工",), money(400)), (("居民",), money(0))], "第三十三条"),
        table("普通门诊年度限额", "money", ["险种"], [(("职工",), money(1000)), (("居民",), money(200))], "第三十三条"),
        table("统筹基金年度限额", "money", ["险种"], [(("职工",), money(200000)), (("居民",), money(160000))], "第二十八条"),
    ]


def counters():
    plus_if = lambda name, cond, value: add(ref(name), if_(cond, value, money(0)))
    return [
        counter("本年合并限额已付", "money", "year", {"money": 0}, None,
                plus_if("本年合并限额已付", ref("计入合并限额"), ref("统筹基金支付")), "hifp_pay_pooled"),
        counter("本年普通门诊已付", "money", "year", {"money": 0}, None,
                plus_if("本年普通门诊已付", ref("是普通门诊"), ref("统筹基金支付")), "hifp_pay_outpatient"),
        counter("本年大额已付", "money", "year", {"money": 0}, None, add(ref("本年大额已付"), ref("大额补助支付")), "hifob_pay"),
        counter("本年范围内自负累计", "money", "year", {"money": 0}, None,
                plus_if("本年范围内自负累计", ref("享受公务员补助"), ref("范围内个人自负")), "cvlserv_selfpay"),
        counter("本年计入住院次数", "count", "year", {"count": 0}, "第三十条",
                add(ref("本年计入住院次数"), if_(ref("计入住院次数"), count(1), count(0))), "admissions"),
        counter("上次住院起付标准", "money", "case", {"money": 0}, "第三十条",
                if_(and_(ref("是住院"), ref("转院")), mx(ref("住院起付标准"), ref("上次住院起付标准")),
                    if_(ref("是住院"), ref("本次住院起付标准"), ref("上次住院起付标准")))),
        counter("上次住院免起付", "bool", "case", {"bool": False}, "第三十条",
                if_(and_(ref("是住院"), not_(ref("转院"))), ref("本次住院免起付"), ref("上次住院免起付"))),
        counter("本季慢病起付已付", "money", "quarter", {"money": 0}, "第三十二条",
                plus_if("本季慢病起付已付", ref("是门诊慢特病"), ref("实际起付线")), "chronic_dedc_quarter"),
        counter("本年门诊起付已付", "money", "year", {"money": 0}, "第三十三条",
                plus_if("本年门诊起付已付", ref("是普通门诊"), ref("实际起付线")), "outpatient_dedc"),
    ]


TRANSFER_NOTE = "转院读作同一次住院的延续：由低级别转往高级别只补计两级起付标准之差，转往同级或低级别不再计；转院不另计住院次数。"


def definitions():
    d = definition
    tertiary = lookup("住院支付比例", ref("险种"), enum("医院等级", "三级"))
    return [
        d("是住院", "bool", in_(ref("医疗类别"), *INPATIENT), None),
        d("是普通门诊", "bool", eq(ref("医疗类别"), enum("医疗类别", "普通门诊")), None),
        d("是门诊慢特病", "bool", eq(ref("医疗类别"), enum("医疗类别", "门诊慢特病")), None),
        d("医疗费总额", "money", add(add(add(ref("甲类费用"), ref("乙类费用")), ref("丙类费用")), ref("超限价费用")), None),
        d("全自费金额", "money", ref("丙类费用"), None),
        d("住院乙类先行自付比例", "rate", lookup("住院乙类先行自付比例", ref("险种")), "第三十一条"),
        d("门诊乙类先行自付比例", "rate", lookup("门诊乙类先行自付比例", ref("险种")), "第三十三条"),
        d("乙类先行自付比例", "rate", if_(ref("是普通门诊"), ref("门诊乙类先行自付比例"), ref("住院乙类先行自付比例")), "第三十一条"),
        d("先行自付金额", "money", if_(eq(ref("乙类费用"), money(0)), money(0), rnd(mul(ref("乙类费用"), ref("乙类先行自付比例")))), None),
        d("政策范围内金额", "money", sub(sub(sub(ref("医疗费总额"), ref("全自费金额")), ref("超限价费用")), ref("先行自付金额")), None),
        d("住院起付标准", "money", lookup("住院起付标准", ref("医院等级")), "第三十条",
          notes=["未定级医疗机构的起付标准本条未规定，列为待定。"]),
        d("本次住院免起付", "bool", op("ge", ref("本年计入住院次数"), count(2)), "第三十条"),
        d("本次住院起付标准", "money", if_(ref("本次住院免起付"), money(0), ref("住院起付标准")), "第三十条"),
        d("住院应付起付线", "money", ref("本次住院起付标准"), "第三十条",
          exceptions=[exception(ref("转院"), if_(ref("上次住院免起付"), money(0),
                                                 mx(sub(ref("住院起付标准"), ref("上次住院起付标准")), money(0))), 1, "第三十条")],
          notes=[TRANSFER_NOTE]),
        d("慢病季度起付标准", "money", money(150), "第三十二条"),
        d("慢病应付起付线", "money", mx(sub(ref("慢病季度起付标准"), ref("本季慢病起付已付")), money(0)), "第三十二条"),
        d("门诊起付标准", "money", lookup("门诊起付标准", ref("险种")), "第三十三条"),
        d("门诊应付起付线", "money", mx(sub(ref("门诊起付标准"), ref("本年门诊起付已付")), money(0)), "第三十三条"),
        d("生育应付起付线", "money", open_("生育应付起付线", "计划生育相关住院费用「由统筹基金按规定支付」，本办法未定起付标准和比例"), "第四十条"),
        d("应付起付线", "money", if_(ref("是住院"), ref("住院应付起付线"),
                                     if_(ref("是门诊慢特病"), ref("慢病应付起付线"), ref("门诊应付起付线"))), "第三十条",
          exceptions=[exception(in_(ref("医疗类别"), "生育门诊", "生育住院"), ref("生育应付起付线"), 1, "第四十条")]),
        d("实际起付线", "money", mn(ref("应付起付线"), ref("政策范围内金额")), None),
        d("起付线以上金额", "money", sub(ref("政策范围内金额"), ref("实际起付线")), None),
        d("住院支付比例", "rate", lookup("住院支付比例", ref("险种"), ref("医院等级")), "第三十一条"),
        d("门诊支付比例", "rate", lookup("门诊支付比例", ref("险种"), ref("医院等级")), "第三十三条"),
        d("转外就医", "bool", and_(ref("异地就医"), ref("转诊"), or_(ref("是住院"), ref("是门诊慢特病"))), "第三十九条"),
        d("统筹支付比例", "rate", if_(ref("是普通门诊"), ref("门诊支付比例"), ref("住院支付比例")), "第三十一条",
          exceptions=[exception(and_(ref("转外就医"), ref("转诊备案")), sub(tertiary, rate("0.1")), 1, "第三十九条"),
                      exception(and_(ref("转外就医"), not_(ref("转诊备案"))), sub(tertiary, rate("0.2")), 1, "第三十九条")]),
        d("按比例应付", "money", rnd(mul(ref("起付线以上金额"), ref("统筹支付比例"))), None),
        d("统筹基金年度限额", "money", lookup("统筹基金年度限额", ref("险种")), "第二十八条"),
        d("计入合并限额", "bool", or_(ref("是住院"), ref("是门诊慢特病"), and_(eq(ref("险种"), enum("险种", "职工")), ref("是普通门诊"))), "第二十八条"),
        d("普通门诊年度限额", "money", lookup("普通门诊年度限额", ref("险种")), "第三十三条"),
        d("合并限额剩余", "money", mx(sub(ref("统筹基金年度限额"), ref("本年合并限额已付")), money(0)), None),
        d("合并限额可用", "money", if_(ref("计入合并限额"), ref("合并限额剩余"), ref("按比例应付")), None),
        d("普通门诊限额可用", "money", if_(ref("是普通门诊"), mx(sub(ref("普通门诊年度限额"), ref("本年普通门诊已付")), money(0)),
                                          ref("按比例应付")), None),
        d("统筹基金支付", "money", mn(ref("按比例应付"), ref("合并限额可用"), ref("普通门诊限额可用")), None),
        d("合并限额截去", "bool", and_(ref("计入合并限额"), op("lt", ref("合并限额可用"), ref("按比例应付"))), None),
        d("超限额费用", "money", if_(ref("合并限额截去"),
                                     mx(sub(ref("起付线以上金额"), rnd(op("div", ref("合并限额可用"), ref("统筹支付比例")))), money(0)),
                                     money(0)), None),
        d("享受大额补助", "bool", and_(eq(ref("险种"), enum("险种", "职工")), ref("大额医疗补助")), "第三十四条"),
        d("大额支付比例", "rate", rate("0.95"), "第三十四条"),
        d("大额年度限额", "money", money(300000), "第三十六条"),
        d("大额补助支付", "money", if_(and_(ref("享受大额补助"), op("gt", ref("超限额费用"), money(0))),
                                       mn(rnd(mul(ref("超限额费用"), ref("大额支付比例"))),
                                          mx(sub(ref("大额年度限额"), ref("本年大额已付")), money(0))), money(0)), None),
        d("享受公务员补助", "bool", and_(eq(ref("险种"), enum("险种", "职工")), ref("公务员医疗补助")), "第三十七条"),
        d("公务员补助自负门槛", "money", rnd(mul(ref("本人年缴费基数"), rate("0.1"))), "第三十七条"),
        d("公务员补助比例", "rate", rate("0.95"), "第三十七条"),
        d("范围内个人自负", "money", sub(sub(add(ref("甲类费用"), ref("乙类费用")), ref("统筹基金支付")), ref("大额补助支付")), None),
        d("超门槛自负", "money", mx(sub(add(ref("本年范围内自负累计"), ref("范围内个人自负")),
                                         mx(ref("公务员补助自负门槛"), ref("本年范围内自负累计"))), money(0)), None),
        d("公务员补助支付", "money", if_(and_(ref("享受公务员补助"), op("gt", ref("范围内个人自负"), money(0))),
                                         rnd(mul(ref("超门槛自负"), ref("公务员补助比例"))), money(0)), None),
        d("大病保险支付", "money", money(0), "第三十五条"),
        d("基金支付合计", "money", add(add(add(ref("统筹基金支付"), ref("大额补助支付")), ref("公务员补助支付")), ref("大病保险支付")), None),
        d("个人负担总额", "money", sub(ref("医疗费总额"), ref("基金支付合计")), None),
        d("计入住院次数", "bool", and_(ref("是住院"), not_(ref("转院")), op("ge", ref("政策范围内金额"), ref("本次住院起付标准"))), "第三十条"),
        d("异地急诊住院", "bool", and_(ref("异地就医"), ref("急诊"), ref("是住院")), "第三十九条"),
        d("异地长期居住", "bool", and_(ref("异地就医"), ref("异地备案"), or_(ref("是住院"), ref("是门诊慢特病"))), "第三十九条"),
    ]


def exclusions():
    ex = lambda when, reason, article: {"when": when, "reason": reason, "article": article, "at": at()}
    return [
        ex(and_(ref("是普通门诊"), eq(ref("险种"), enum("险种", "职工")), in_(ref("医院等级"), "三级", "未定级")),
           "职工普通门诊统筹限于签约的一、二级定点医疗机构", "第三十三条"),
        ex(and_(ref("是普通门诊"), eq(ref("险种"), enum("险种", "居民")), op("ne", ref("医院等级"), enum("医院等级", "一级"))),
           "居民普通门诊统筹限于参保地一级及以下定点医疗机构", "第三十三条"),
        ex(and_(ref("非定点"), not_(ref("急诊"))), "在非定点医疗机构就诊（因急危重症、抢救的除外）", "第三十八条"),
        ex(and_(ref("异地就医"), not_(ref("转外就医")), not_(ref("异地急诊住院")), not_(ref("异地长期居住"))),
           "本市行政区域外就医不属第三十九条所列情形", "第三十九条"),
    ]


OUTPUTS = [("medfee_sumamt", "医疗费总额"), ("fulamt_ownpay_amt", "全自费金额"), ("overlmt_selfpay", "超限价费用"),
           ("preselfpay_amt", "先行自付金额"), ("inscp_scp_amt", "政策范围内金额"), ("act_pay_dedc", "实际起付线"),
           ("hifp_pay", "统筹基金支付"), ("pool_prop_selfpay", "统筹支付比例"), ("cvlserv_pay", "公务员补助支付"),
           ("hifmi_pay", "大病保险支付"), ("hifob_pay", "大额补助支付"), ("maf_pay", None), ("oth_pay", None),
           ("fund_pay_sumamt", "基金支付合计"), ("psn_part_amt", "个人负担总额"), ("crt_payb_lmt_amt", "合并限额剩余")]


def outputs():
    return [{"field": f, "type": "rate" if f == "pool_prop_selfpay" else "money",
             "expr": ref(name) if name else money(0), "at": at()} for f, name in OUTPUTS]


FUNDS = ("hifp_pay", "cvlserv_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")
KEPT = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay")


def contract():
    """The contract as the model declared it before the personal account (``接口`` lines): 15 setlinfo fields
    and the limit. Hand-built, like the rest of this IR: the runtime must take its output list from here."""
    return [{"field": f, "type": "rate" if f == "pool_prop_selfpay" else "money", "label": f,
             "role": "limit" if f == "crt_payb_lmt_amt" else "fund" if f in FUNDS else None,
             "optional": f in ("maf_pay", "oth_pay", "crt_payb_lmt_amt"),
             "excluded": "keep" if f in KEPT else "zero", "at": at()} for f, _ in OUTPUTS]


def examples():
    e = lambda member: enum("医疗类别", member)
    lv = lambda member: enum("医院等级", member)
    worker = {"险种": enum("险种", "职工")}
    stay = lambda level, fee, **more: dict({"医疗类别": e("普通住院"), "医院等级": lv(level), "甲类费用": money(fee)}, **more)
    expect = lambda values=None, excluded=False, error=None: {"values": values or {}, "excluded": excluded, "error": error}
    return [
        {"title": "职工三级医院住院一万元", "article": "第三十一条", "at": at(), "person": worker,
         "encounters": [{"inputs": stay("三级", 10000), "at": at(),
                         "expect": expect({"实际起付线": money(800), "统筹基金支付": money(7820), "个人负担总额": money(2180)})}]},
        {"title": "第三次住院不设起付标准", "article": "第三十条", "at": at(), "person": worker,
         "encounters": [{"inputs": stay("二级", 2000), "at": at(), "expect": expect({"实际起付线": money(500)})},
                        {"inputs": stay("二级", 2000), "at": at(), "expect": expect({"实际起付线": money(500)})},
                        {"inputs": stay("二级", 2000), "at": at(), "expect": expect({"实际起付线": money(0), "统筹基金支付": money(1800)})}]},
        {"title": "职工门诊慢性病，同一季度第二次就诊只补足起付标准", "article": "第三十二条", "at": at(), "person": worker,
         "encounters": [
             {"inputs": {"医疗类别": e("门诊慢特病"), "医院等级": lv("二级"), "甲类费用": money(100), "结算日期": {"date": "2019-01-10"}},
              "at": at(), "expect": expect({"实际起付线": money(100)})},
             {"inputs": {"医疗类别": e("门诊慢特病"), "医院等级": lv("二级"), "甲类费用": money(400), "结算日期": {"date": "2019-02-10"}},
              "at": at(), "expect": expect({"实际起付线": money(50), "统筹基金支付": money(315)})},
             {"inputs": {"医疗类别": e("门诊慢特病"), "医院等级": lv("二级"), "甲类费用": money(400), "结算日期": {"date": "2019-04-10"}},
              "at": at(), "expect": expect({"实际起付线": money(150), "统筹基金支付": money(225)})}]},
        {"title": "已用去合并限额", "article": "第二十八条", "at": at(),
         "person": dict(worker, 本年合并限额已付=money(199000)),
         "encounters": [{"inputs": stay("三级", 10000), "at": at(), "expect": expect({"按比例应付": money(7820), "统筹基金支付": money(1000)})}]},
        {"title": "职工三级医院普通门诊不予支付", "article": "第三十三条", "at": at(), "person": worker,
         "encounters": [{"inputs": {"医疗类别": e("普通门诊"), "医院等级": lv("三级"), "甲类费用": money(200)}, "at": at(),
                         "expect": expect(excluded=True)}]},
        {"title": "居民普通门诊比例待定", "article": "第三十三条", "at": at(), "person": {"险种": enum("险种", "居民")},
         "encounters": [{"inputs": {"医疗类别": e("普通门诊"), "医院等级": lv("一级"), "甲类费用": money(100)}, "at": at(),
                         "expect": expect(error="YR01")}]},
        {"title": "有效期届满后的就诊不按本办法结算", "article": "第七十二条", "at": at(), "person": worker,
         "encounters": [{"inputs": stay("三级", 1000, 结算日期={"date": "2023-01-01"}), "at": at(),
                         "expect": expect(error="YR04")}]},
    ]


def dongying_ir(**overrides) -> dict:
    """The compact 东营 IR with its sha256; ``overrides`` replace top-level sections (for variants)."""
    _line[0] = 0
    doc = {
        "format": "yibao-ir/1",
        "regulation": {"region_code": "370500", "region_name": "东营市", "title": "东营市社会医疗保险办法",
                       "doc_number": None, "basis": None, "effective": ["2018-04-01", "2022-12-31"],
                       "effective_article": "第七十二条", "source": SRC},
        "vocabularies": vocabularies(), "inputs": inputs(), "tables": tables(), "counters": counters(),
        "definitions": definitions(), "exclusions": exclusions(), "outputs": outputs(), "contract": contract(),
        "open_values": [{"name": "住院起付标准[未定级]", "reason": "本条未规定", "article": "第三十条", "at": at()},
                        {"name": "生育应付起付线", "reason": "本办法未定", "article": "第四十条", "at": at()}],
        "interpretations": [{"text": TRANSFER_NOTE, "article": "第三十条", "subject": "住院应付起付线", "at": at()}],
        "examples": examples(),
    }
    doc.update(copy.deepcopy(overrides))
    return with_sha(doc)


def tiny_ir(definitions_=(), inputs_=(), tables_=(), counters_=(), exclusions_=(), outputs_=(), vocabularies_=None,
            examples_=(), effective=("2019-01-01", None), region=("370500", "东营市"), title="测试规定",
            contract_=None) -> dict:
    """A small IR for unit tests of the evaluator; sections default to empty, vocabularies to 东营's."""
    _line[0] = 1000
    doc = {
        "format": "yibao-ir/1",
        "regulation": {"region_code": region[0], "region_name": region[1], "title": title, "doc_number": None,
                       "basis": None, "effective": list(effective), "effective_article": "第一条", "source": SRC},
        "vocabularies": vocabularies() if vocabularies_ is None else vocabularies_,
        "inputs": list(inputs_), "tables": list(tables_), "counters": list(counters_),
        "definitions": list(definitions_), "exclusions": list(exclusions_), "outputs": list(outputs_),
        "open_values": [], "interpretations": [], "examples": list(examples_),
        "contract": contract() if contract_ is None else list(contract_),
    }
    return with_sha(doc)

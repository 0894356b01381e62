"""The settlement contract's fixed vocabulary (docs/contract.md): code tables, field names, funds,
regions. Everything here is the national platform's, not a regulation's; a regulation's IR maps these
codes to its own member names through its vocabularies."""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

INSUTYPE = {"310": "职工基本医疗保险", "390": "城乡居民基本医疗保险"}

PSN_TYPE = {
    "1101": "职工在职", "1102": "公务员在职", "1103": "灵活就业人员在职",
    "1201": "职工退休", "1202": "公务员退休", "1203": "灵活就业人员退休",
    "1401": "新生儿", "1402": "学龄前儿童", "1403": "中小学生", "1404": "大学生", "1405": "未成年(未入学)",
    "1501": "普通居民(成年)", "16": "居民(老年)",
}

MED_TYPE = {
    "11": "普通门诊", "14": "门诊慢特病", "21": "普通住院", "22": "外伤住院", "23": "转外诊治住院",
    "24": "急诊转住院", "51": "生育门诊", "52": "生育住院",
}

DEDC_HOSP_LV = {"1": "一级及以下", "2": "二级", "3": "三级", "9": "未定级"}

# hosp_lv (医院等级, 01–11) → the deductible level it implies
HOSP_LV_TO_DEDC = {"01": "3", "02": "3", "03": "3", "04": "3", "05": "2", "06": "2", "07": "2",
                   "08": "1", "09": "1", "10": "1", "11": "9"}

GEND = {"1": "男", "2": "女"}

# field → (Chinese label, code table); hosp_lv is read into encounter.dedc_hosp_lv
CODE_FIELDS = {
    "person.insutype": ("险种类型", INSUTYPE),
    "person.psn_type": ("人员类别", PSN_TYPE),
    "person.gend": ("性别", GEND),
    "encounter.med_type": ("医疗类别", MED_TYPE),
    "encounter.dedc_hosp_lv": ("起付线医院等级", DEDC_HOSP_LV),
}

FEE_CLASSES = {"01": "甲类", "02": "乙类", "03": "丙类"}

PERSON_FLAGS = ("扶贫对象", "低保对象", "特困人员", "重度残疾人", "公务员医疗补助", "大额医疗补助")
ENCOUNTER_FLAGS = ("中医医疗机构", "纯中医疗法", "基本药物", "转院", "转诊", "转诊备案", "异地就医", "异地备案",
                   "急诊", "无责任人意外伤害", "顺产", "剖宫产", "非定点")

TOP_FIELDS = ("region", "person", "encounters", "cuminfo")
PERSON_FIELDS = ("psn_no", "insutype", "psn_type", "brdy", "gend", "flags", "chronic")
ENCOUNTER_FIELDS = ("mdtrt_id", "med_type", "setl_time", "dedc_hosp_lv", "hosp_lv", "fees", "overlmt_selfpay", "flags")

LABELS = {
    "region": "参保地区", "person": "参保人", "encounters": "就诊列表", "cuminfo": "累计信息",
    "psn_no": "人员编号", "insutype": "险种类型", "psn_type": "人员类别", "brdy": "出生日期", "gend": "性别",
    "flags": "标志", "chronic": "门诊慢性病", "mdtrt_id": "就诊ID", "med_type": "医疗类别", "setl_time": "结算时间",
    "dedc_hosp_lv": "起付线医院等级", "hosp_lv": "医院等级", "fees": "费用", "overlmt_selfpay": "超限价自付金额",
    "fees.01": "甲类费用", "fees.02": "乙类费用", "fees.03": "丙类费用",
}

# The setlinfo fields, their order, types, funds and labels are not here: the rules declare them (``接口``
# lines in regulations/shandong/settlement-model.yb) and the runtime reads them from the IR
# (``Program.contract_view``). What stays is the platform's fund codes for setldetail, and the fields the
# runtime's own arithmetic and slip read by name (the invariants of docs/contract.md, the basic fund's row):
# a declared contract without one of them cannot settle.
READ_BY_SETTLEMENT = ("medfee_sumamt", "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "pool_prop_selfpay",
                      "fund_pay_sumamt", "psn_part_amt")

# one setldetail row, in the contract's order
DETAIL_FIELDS = ("fund_pay_type", "fund_pay_type_name", "fund_payamt", "inscp_scp_amt", "crt_payb_lmt_amt", "setl_proc_info")

BASIC_FUND = {"310": ("310100", "职工基本医疗保险统筹基金"), "390": ("390100", "城乡居民基本医疗保险统筹基金")}
OTHER_FUNDS = {
    "cvlserv_pay": ("320100", "公务员医疗补助基金"),
    "hifmi_pay": ("390200", "城乡居民大病保险资金"),
    "hifob_pay": ("330100", "职工大额医疗费用补助基金"),
    "maf_pay": ("610100", "医疗救助基金"),
    "oth_pay": ("999999", "其他基金"),
}

class OutputShape(NamedTuple):
    """The contract's output fields, as every writer of setlinfo and setldetail reads them: the
    per-regulation builder (runtime/outputgen.py) and the general path (runtime/settle.py)."""

    setlinfo: tuple        # setlinfo in the contract's order
    ratios: tuple          # the fields among them that are ratios, not amounts
    funds: tuple           # the fund payments that add up to fund_pay_sumamt
    optional: tuple        # fund fields an IR may leave out (0)
    limit: str             # the basic fund row's crt_payb_lmt_amt, when the IR gives it
    other_funds: dict      # field → (fund_pay_type, name) of the rows after the basic fund's
    basic_account: tuple   # the setlinfo fields the basic row's setl_proc_info cites, in its order
    basic_pay: str         # the basic fund row's payment
    scope: str             # every fund row's inscp_scp_amt


# the setlinfo fields the basic fund row's setl_proc_info cites, in its order (messages "detail.basic_fund")
BASIC_ACCOUNT = ("medfee_sumamt", "inscp_scp_amt", "act_pay_dedc", "pool_prop_selfpay", "hifp_pay")


def output_shape(program: Any) -> OutputShape:
    """The output fields of ``program``'s settlements, from the contract its rules declare
    (``Program.contract``, the ``接口`` lines): the one place the writers of setlinfo and setldetail read."""
    view = program.contract
    return OutputShape(view.setlinfo, view.ratios, view.funds, view.optional, view.limit,
                       {f: fund for f, fund in OTHER_FUNDS.items() if f in view.setlinfo},
                       BASIC_ACCOUNT, "hifp_pay", "inscp_scp_amt")


def basic_fund(insutype: str) -> tuple[str, str]:
    """The basic fund's (fund_pay_type, name) for a 险种; unknown 险种 fall back to the employee fund."""
    return BASIC_FUND.get(insutype, BASIC_FUND["310"])


def region_code(text: str, names: dict[str, str]) -> Optional[str]:
    """A region given as a 6-digit code or a city name (with or without 市) → its code, or None.

    ``names`` are the regions the loaded regulations name (code → name, from their 地区 line): the region
    table is the rule files', so a new city's name is known as soon as its rules are loaded."""
    if text in names:
        return text
    want = text[:-1] if text.endswith("市") else text
    for code in sorted(names):
        name = names[code]
        if want == (name[:-1] if name.endswith("市") else name):
            return code
    return None


def region_name(code: str, names: dict[str, str]) -> str:
    return names.get(code, code)

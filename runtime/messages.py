"""The runtime's message catalogue: every per-encounter error code and its Chinese message (codes are
stable), and in one table (``TEXT``, keyed by what each message says: ``case.unknown_code``,
``amount.out_of_range``, ``ir.sha256_mismatch``) the text of ``CaseError`` problems, of ``IRError``, of the
value errors and of the refusals of hostile input, with the internal-error details.

| code | meaning |
|------|---------|
| YR01 | a value the result needs is open (待定) in the regulation |
| YR02 | a table cell the result needs is marked 不适用 |
| YR03 | an optional input the result needs is absent from the case |
| YR04 | no regulation of the region is in force on the encounter's date |
| YR05 | the regulation does not cover the person's 险种 (or another code it has no member for) |
| YR06 | the result needs a division whose divisor is zero |
| YR10 | batch settlement: the row cannot be used (malformed value, missing field, person fields that disagree) |
| YR90 | internal error: the rules gave a result that breaks the contract's invariants |
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # values.py reads this catalogue: no import cycle at run time
    from .values import Sentinel

CODES = {
    "YR01": "规定中待定的值",
    "YR02": "不适用的表格单元",
    "YR03": "缺少结算所需的可选输入",
    "YR04": "结算日期没有施行中的规定",
    "YR05": "规定不涵盖该险种（或代码）",
    "YR06": "计算中除数为零",
    "YR10": "批量结算的输入行不合法",
    "YR90": "内部错误",
}


def error(code: str, message: str, article: Optional[str]) -> dict:
    return {"code": code, "message": message, "article": article}


def _cite(article: Optional[str]) -> str:
    return f"（{article}）" if article else ""


def _where(at: Optional[str]) -> str:
    return f"，计算 {at} 时用到" if at else ""


def from_sentinel(s: Sentinel, at: Optional[str]) -> dict:
    """The encounter error for a sentinel that reached a result."""
    if s.kind == "open":
        reason = f"：{s.reason.rstrip('。')}" if s.reason else "：规定未给出这个值"  # the sentence goes on after it
        return named(error("YR01", f"「{s.name}」待定{_cite(s.article)}{reason}。本次结算需要它{_where(at)}，无法结算", s.article),
                     s.name)
    if s.kind == "na":
        return named(error("YR02", f"「{s.name}」不适用{_cite(s.article)}：规定对这种情形没有这个值，本次结算却需要它{_where(at)}",
                           s.article), s.name)
    if s.kind == "missing" and s.field is None:  # a date counter no encounter has given a date yet
        carried = f"（可在 cuminfo.{s.reason} 中带入）" if s.reason else ""
        return named(error("YR03", f"「{s.name}」还没有日期{_cite(s.article)}：本人此前的就诊没有给它日期{carried}，"
                                   f"本次结算却需要它{_where(at)}", s.article), s.name)
    if s.kind == "missing":
        field = s.field or s.name
        return named(error("YR03", f"缺少输入 {field}（{s.name}）：本次结算需要它{_cite(s.article)}{_where(at)}；请在案例中给出 {field}",
                           s.article), s.name)
    if s.kind == "divzero":
        return error("YR06", f"计算中除数为零{_cite(s.article)}{_where(at)}，无法结算", s.article)
    if s.kind == "range":
        return error("YR06", f"计算出的日期超出日历范围（9999 年以后）{_cite(s.article)}{_where(at)}，无法结算", s.article)
    return internal(f"未知的哨兵值 {s.kind}")


def named(err: dict, name: str) -> dict:
    """Name the open, 不适用 or missing value behind an error, so callers and tests need not parse the message."""
    err["name"] = name
    return err


def no_regulation(date: _dt.date, region: str, regulations: list, what: str = "结算日期") -> dict:
    listed = "；".join(f"{r.title} 施行 {r.effective[0]} 至 {r.effective[1] or '—'}" for r in regulations) or "无"
    nearest = _nearest(date, regulations)
    return error("YR04", f"{what} {date.isoformat()} 没有施行中的{region}规定（已载入：{listed}）",
                 nearest.effective_article if nearest else None)


def _nearest(date: _dt.date, regulations: list) -> Any:
    def distance(r: Any) -> int:
        start, end = r.effective
        if date < start:
            return (start - date).days
        return (date - end).days if end else 0
    return min(regulations, key=lambda r: (distance(r), r.effective[0])) if regulations else None


def not_covered(field: str, code: str, vocab: str, title: str) -> dict:
    return error("YR05", f"《{title}》的词表「{vocab}」没有代码 {code}（{field}）：该规定不涵盖这一{vocab}，无法按它结算", None)


def out_of_scope(vocab: str, code: str, covered: list[str], article: Optional[str], title: str) -> dict:
    return error("YR05", f"《{title}》只适用于{vocab}「{'、'.join(covered)}」{_cite(article)}，"
                         f"代码 {code} 不在其内，无法按它结算", article)


def internal(detail: str) -> dict:
    return error("YR90", f"内部错误：{detail}。结果未输出，请把案例和规则报告给维护者", None)


def missing_field(path: str, key: str, label: str, input_name: str, title: str) -> str:
    also = "（也可给 hosp_lv）" if key == "dedc_hosp_lv" else ""
    return f"缺少必填字段 {key}（{label}）{also}：《{title}》的输入「{input_name}」需要它"


def versions_overlap(region_code: str, earlier: str, later: str) -> str:
    return f"{region_code} 的两部规定施行期间重叠：《{earlier}》与《{later}》"


def case_problem(name: str, path: str, message: str) -> str:
    """One line of a CaseError: the file, the JSON path (if any) and what was expected."""
    return f"{name}: {path}: {message}" if path else f"{name}: {message}"


def json_position(line: int, column: int) -> str:
    return f"第 {line} 行第 {column} 列"


def exclusion_at(exclusion: Any) -> str:
    """Where an unknown exclusion condition stopped an encounter (``error_at``)."""
    return f"不予支付条件（{exclusion.article or exclusion.at}）"


def counter_at(name: str) -> str:
    return f"计数器 {name}"


def missing_output(title: str, field: str) -> str:
    return f"《{title}》的 IR 缺少结算输出 {field}"


def no_contract(title: str) -> str:
    return f"《{title}》的 IR 没有声明结算接口（contract，规则中的「接口」行），不能结算"


def account_does_not_add_up(person: str, account: str, cash: str) -> str:
    return f"psn_part_amt {person} ≠ acct_pay {account} + psn_cash_pay {cash}"


def output_type(title: str, field: str, want: str, got: Any) -> str:
    return f"《{title}》的输出 {field} 应为 {want}，IR 中为 {got}"


def counter_not_whole_fen(name: str, value: Any) -> str:
    return f"计数器「{name}」的更新值不是整分：{value}"


def output_type_mismatch(field: str, want: Any, value: Any) -> str:
    return f"输出 {field} 应为 {want}，得到 {value!r}"


def output_not_whole_fen(field: str, value: Any, what: str = "输出") -> str:
    return f"{what} {field} 不是整分（IR 在输出前缺少四舍五入）：{value}"


def negative_amounts(pairs: str) -> str:
    return f"金额为负：{pairs}"


def funds_do_not_add_up(total: str, funds: str) -> str:
    return f"fund_pay_sumamt {total} ≠ 各基金之和 {funds}"


def fee_does_not_add_up(medfee: str, funds: str, person: str) -> str:
    return f"medfee_sumamt {medfee} ≠ fund_pay_sumamt {funds} + psn_part_amt {person}"


def contribution_input_needed(path: str, label: str, title: str, where: str, output: str, name: str) -> str:
    return (f"缺少 {path}（{label}）：《{title}》{where}计算 {output} 时需要它（规定中的「{name}」）；"
            f"请在案例中给出 {path}")


# ── the text of every other runtime message: CaseError problems, IRError, value errors, refusals ──────────
# Keyed by what the message says (area.meaning), one catalogue for all; fields as str.format fields. The
# refusals of hostile input (docs/limits.md) take their numbers from runtime/limits.py, so the text and the
# limit cannot drift.
TEXT = {
    'amount.beyond_fen': '金额最多两位小数（精确到分）：{value}',
    'amount.float': '应为金额（数字或数字字符串）；浮点数请以 JSON 文本传入',
    'amount.negative': '金额不能为负：{value}',
    'amount.not_amount': '应为金额（数字或数字字符串）',
    'amount.not_amount_text': '不是金额：{value!r}',
    'amount.not_finite': '不是有限的金额：{value}',
    'amount.out_of_range': '金额超出范围（最大 {max} 元）',
    'amount.too_many_digits': '金额位数过多（最多 {digits} 位整数、两位小数）',
    'case.bad_amount': '{label}：{exc}',
    'case.bad_brdy': '出生日期：{exc}',
    'case.bad_cuminfo_value': '累计信息「{key}」：{exc}',
    'case.bad_extension': '{label}（{field}）：{exc}',
    'case.bad_json': '不是合法的 JSON：{msg}',
    'case.bad_overlmt_selfpay': '超限价自付金额：{exc}',
    'case.bad_setl_time': '结算时间：{exc}',
    'case.chronic_name_empty': '门诊慢性病病种应为非空字符串，得到 {got}',
    'case.chronic_not_declared': '本地区规定没有声明门诊慢性病病种，不能给出 chronic：{listed}',
    'case.chronic_not_list': '门诊慢性病病种应为字符串列表，得到 {got}',
    'case.code_not_text': '{label}应为字符串代码{hint}',
    'case.cuminfo_not_object': 'cuminfo 应为对象，得到 {got}',
    'case.cuminfo_type_not_carried': '计数器类型 {type_} 不能经 cuminfo 带入',
    'case.duplicate_key': 'JSON 对象中键「{key}」重复出现',
    'case.duplicate_mdtrt_id': '就诊ID {mdtrt_id!r} 与 encounters[{item}] 重复',
    'case.encounter_field_missing': '缺少必填字段 {key}（{label}）',
    'case.encounter_not_object': '就诊应为对象，得到 {got}',
    'case.encounters_empty': 'encounters 应为非空列表（按时间顺序的就诊）',
    'case.encounters_missing': '缺少必填字段 encounters（就诊列表）',
    'case.encounters_out_of_order': '就诊须按时间顺序给出：结算日期早于前一次就诊（计数器按顺序累计）',
    'case.fees_not_object': '费用应为对象（按收费项目等级 01/02/03），得到 {got}',
    'case.insutype_missing': '缺少必填字段 insutype（险种类型）：结算需要它来确定基本医疗保险统筹基金',
    'case.json_constant': 'JSON 中不允许 {token}',
    'case.lone_surrogate': '案例文本含有不成对的 UTF-16 代理项，不是合法的 UTF-8 文本',
    'case.long_number': '{problem}：金额最大 {max_amount} 元，计数最大 {max_count}',
    'case.mdtrt_id_not_text': '就诊ID应为非空字符串，得到 {got}',
    'case.name_not_text': '{what}应为字符串，得到 {got}',
    'case.names_not_list': '{what}应为字符串列表，得到 {got}',
    'case.not_object': '结算案例应为 JSON 对象，得到 {got}',
    'case.not_text': '结算案例应为文本（str），得到 {kind}',
    'case.person_missing': '缺少必填字段 person（参保人）',
    'case.person_not_object': 'person 应为对象，得到 {got}',
    'case.psn_no_not_text': '人员编号应为字符串，得到 {got}',
    'case.region_missing': '缺少参保地区 region（区划代码或城市名）；已载入{rules}的地区：{listed}',
    'case.region_not_text': '参保地区应为字符串（如 "370500" 或 "东营"），得到 {given!r}；已载入{rules}的地区：{listed}',
    'case.region_unknown': '{what}：{given!r}；已载入{rules}的地区：{listed}',
    'case.settle_not_object': '结算案例应为 JSON 对象',
    'case.too_large': '案例过大（{size} 个字符，上限 {limit}）',
    'case.unknown_code': '未知的{label}代码 {value!r}；应为：{known}',
    'case.unknown_cuminfo_key': '未知的累计信息键「{key}」；本地区规定接收：{value}',
    'case.unknown_fee_class': '未知的收费项目等级「{key}」；应为 01 甲类、02 乙类、03 丙类',
    'case.unknown_field': '未知字段「{key}」；此处可用的字段：{listed}',
    'case.unknown_hosp_lv': '未知的医院等级代码 {value!r}；应为 01–04 三级、05–07 二级、08–10 一级、11 无等级（字符串）',
    'case.unknown_name': '未知的{what}「{item}」：本地区规定不认识它；可用的{what}：{listed}',
    'contribution.bad_date': '{value}：{exc}',
    'contribution.case_not_object': '缴费案例应为 JSON 对象',
    'contribution.date_missing': '缺少必填字段 date（缴费日期 yyyy-MM-dd）：它决定施行中的规定版本',
    'contribution.insutype_disagrees': '险种类型 {insutype} 与人员类别 {psn_type}（{item}）不符：该人员类别的险种类型应为 {want}（{item2}）',
    'contribution.ir_not_list': 'IR 的 contribution.{key} 应为列表',
    'contribution.ir_not_object': 'IR 的 contribution 应为对象',
    'contribution.output_missing': '《{title}》的 IR 缺少缴费输出 {field}',
    'contribution.output_not_money': '《{title}》的缴费输出 {field} 应为 money，IR 中为 {type}',
    'contribution.person_not_object': 'person 应为对象',
    'contribution.psn_no_not_text': '人员编号应为字符串',
    'contribution.unknown_employer_type': '未知的单位类型 {value!r}；应为：{listed}（灵活就业人员不填）',
    'count.fraction': '应为整数：{value}',
    'count.negative': '不能为负：{value}',
    'count.not_count': '应为非负整数',
    'count.not_integer': '不是整数：{value}',
    'count.not_integer_text': '不是整数：{value!r}',
    'count.out_of_range': '超出范围（最大 {max}）',
    'date.bad_format': '日期格式应为 yyyy-MM-dd：{text!r}',
    'date.no_such_day': '不存在的日期：{text!r}',
    'date.not_text': '应为日期字符串 yyyy-MM-dd',
    'detail.basic_fund': '医疗费 {} 元，政策范围内 {} 元，起付线 {} 元，统筹基金按 {} 支付 {} 元',
    'detail.excluded': '不予支付（{}）：{}；医疗费 {} 元由个人负担',
    'detail.other_fund': '{}支付 {} 元',
    'ir.ambiguous_string': '无法把字符串 {shown} 当作 IR：它不是 JSON 文本；要读取文件请用 path=（不会猜测字符串是路径）',
    'ir.bad_date_literal': '{where}: 日期应为 YYYY-MM-DD：{item!r}',
    'ir.bad_effective_date': 'regulation.effective 的日期不合法：{item}',
    'ir.bad_json': 'IR 不是合法的 JSON（第 {lineno} 行第 {colno} 列）：{msg}',
    'ir.bad_literal': '{where}: {exc}',
    'ir.bool_not_bool': '{where}: bool 应为 true/false',
    'ir.cell_key_length': '{cw}.key: 应有 {len} 个成员',
    'ir.cell_reads_later_name': '{where}: 表「{name}」的单元格引用了此处尚未定义的「{item}」',
    'ir.contract_excluded_value_missing': '{where}：excluded 为 value 时须有 excluded_value',
    'ir.contract_field_twice': '{where}：接口字段 {field} 重复',
    'ir.count_not_integer': '{where}: count 应为整数：{v!r}',
    'ir.duplicate_cell': '{cw}.key: 单元格 {list} 重复',
    'ir.duplicate_name': '{where}: 名称「{name}」重复（已是 {item}）',
    'ir.effective_shape': 'IR 的 regulation.effective 应为 [开始日期, 结束日期或 null]',
    'ir.exceptions_out_of_order': '{where}.exceptions: 例外须按优先级升序排列，得到 {priorities}',
    'ir.expression_not_object': '{where}: 表达式应为 JSON 对象，得到 {__name__}',
    'ir.expression_too_deep': '{path}: 表达式嵌套超过 {limit} 层（docs/limits.md）',
    'ir.field_missing': '{where}: 缺少 {key}',
    'ir.field_type': '{where}.{key}: 类型不对（{__name__}）',
    'ir.float_in_text': 'IR 中不允许浮点数（金额用分的整数，比例用十进制字符串）：{text}',
    'ir.float_value': '{path}: IR 中不允许浮点数：{node!r}',
    'ir.in_needs_members': '{where}: in 需要 members 名称列表',
    'ir.input_field_scope': '输入「{name}」的字段 {field!r} 不是 person.* 或 encounter.*',
    'ir.json_constant': 'IR 中不允许 {text}',
    'ir.key_not_text': '{path}: 键必须是字符串：{key!r}',
    'ir.known_needs_input': '{where}: known 只能作用于输入的 ref',
    'ir.lone_surrogate': 'IR 含有不成对的 UTF-16 代理项，不是合法的 UTF-8 文本：{near!r}…',
    'ir.long_number': 'IR：{problem}',
    'ir.lookup_key_count': '{where}: 表「{name}」有 {len} 个维度，查找给了 {len2} 个键',
    'ir.lookup_unknown_table': '{where}: 查找了未定义的表「{name}」',
    'ir.money_not_fen': '{where}: money 应为分的整数：{v!r}',
    'ir.name_defined_later': '{where}: 「{name}」在此处尚未定义（definitions 须按拓扑顺序排列）',
    'ir.not_a_member': '{where}: 「{member}」不是词表「{vocab}」的成员',
    'ir.not_object': 'IR 顶层必须是 JSON 对象',
    'ir.not_utf8': 'IR 不是 UTF-8：{exc}',
    'ir.one_source': '读取 IR 须给出且只给出一个来源：IR 对象、text=（JSON 文本）或 path=（文件路径）',
    'ir.op_arity': '{where}: 运算 {op} 需要 {item} 个参数，得到 {len} 个',
    'ir.op_too_few_args': '{where}: 运算 {op} 至少需要 {item} 个参数',
    'ir.op_without_args': '{where}: 运算 {op!r} 缺少 args 列表',
    'ir.path_kind': 'path= 应为非空的文件路径，得到 {path!r}',
    'ir.regulation_field_missing': 'IR 的 regulation 缺少 {key}',
    'ir.regulation_not_object': 'IR 的 regulation 应为对象',
    'ir.scope_vocabulary_without_field': 'regulation.applies_to 指向没有字段的词表 {item!r}',
    'ir.section_not_list': 'IR 的 {key} 应为列表',
    'ir.sentinel_name': '{where}: {shape} 应为名称字符串',
    'ir.sha256_mismatch': 'IR 的 sha256 与内容不符（应为 {actual}，文件中为 {stated}）：IR 被改动过',
    'ir.sha256_missing': 'IR 缺少 sha256',
    'ir.source_kind': '无法从 {kind} 读取 IR',
    'ir.table_incomplete': '{where}: 表「{name}」缺少单元格 {list}（IR 的表必须完整）',
    'ir.table_unknown_dimension': '{where}.dims: 未知词表「{d}」',
    'ir.text_kind': 'text= 应为 JSON 文本（str 或 bytes），得到 {kind}',
    'ir.too_deep': '{path}: IR 嵌套超过 {limit} 层（docs/limits.md）',
    'ir.too_deep_at': 'IR 第 {line} 行第 {col} 列：{problem}（docs/limits.md）',
    'ir.too_large': 'IR 过大（{size}，上限 {limit}）',
    'ir.top_fields_missing': 'IR 缺少顶层字段：{listed}',
    'ir.unknown_name': '{where}: 引用了未定义的名称「{name}」',
    'ir.unknown_node': '{where}: 无法识别的表达式节点（键：{listed}）',
    'ir.unknown_op': '{where}: 未知运算 {op!r}',
    'ir.unknown_period': '{where}.period: 应为 year/quarter/case，得到 {value!r}',
    'ir.unknown_type': '{where}.type: 未知类型 {type_!r}',
    'ir.unknown_vocabulary': '{where}: 未知词表「{vocab}」',
    'ir.unlisted_member_named_others': '{where}: 开放的词表（unlisted）不能另有名为「{member}」的成员：未列出的代码读作它',
    'ir.unreadable': '无法读取 IR 文件 {path}：{reason}',
    'ir.unsupported_format': '不支持的 IR 格式 {value!r}，应为 {FORMAT!r}',
    'json.long_number': 'JSON 中的数字超过 {limit} 位',
    'json.too_deep': 'JSON 嵌套超过 {limit} 层',
    'output.key_not_text': 'JSON 对象的键必须是字符串：{key!r}',
    'output.not_finite': '不能写出非有限数 {value}',
    'output.value_type': '输出中不允许 {__name__} 类型的值：{value!r}',
    'rate.not_decimal_text': 'not a decimal rate string: {text!r}',
    'schema.expected': '{path}: {expected}，得到 {found}',
    'schema.lone_surrogate': '{path}: 字符串含有不成对的 UTF-16 代理项，不是合法的文本',
    'schema.missing': '{path}: 缺少字段 {key}',
    'schema.shape': '{path}: 无法识别的表达式节点（键：{keys}）',
    'setl_time.bad_clock': '时间格式应为 HH:mm:ss：{text!r}',
    'setl_time.bad_date': '应为 yyyy-MM-dd 或 yyyy-MM-dd HH:mm:ss：{text!r}（{exc}）',
    'setl_time.not_text': '应为 yyyy-MM-dd 或 yyyy-MM-dd HH:mm:ss',
    'string.lone_surrogate': '字符串含有不成对的 UTF-16 代理项（\\ud800–\\udfff），不是合法的文本',
    'value.not_bool': '应为 true 或 false',
    'value.not_rate': '应为比例',
}


def template(key: str) -> str:
    """The catalogue's text ``key`` unfilled, for a caller that fills it positionally many times."""
    return TEXT[key]


def text(key: str, /, **fields: object) -> str:
    """The catalogue's message ``key`` with its fields filled in."""
    return TEXT[key].format(**fields)

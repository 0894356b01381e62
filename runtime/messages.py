"""The runtime's message catalogue: every per-encounter error code and its Chinese message (codes are
stable), the text of ``CaseError`` problems and of ``IRError`` (``TEXT``, by the place that raises it),
and the internal-error details. (``ir.read_ir``'s two file messages stay with it for now.)

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
        reason = f"：{s.reason}" if s.reason else "：规定未给出这个值"
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


# ── the text of every other runtime message: CaseError problems, IRError, value errors ──────────────
# Keyed by module.function.n where it is raised; fields as str.format fields (same text as the f-strings were).
TEXT = {
    'case.check_keys.1': '未知字段「{key}」；此处可用的字段：{listed}',
    'case.encounter_codes.1': '未知的医院等级代码 {value!r}；应为 01–04 三级、05–07 二级、08–10 一级、11 无等级（字符串）',
    'case.fees.1': '费用应为对象（按收费项目等级 01/02/03），得到 {got}',
    'case.fees.2': '未知的收费项目等级「{key}」；应为 01 甲类、02 乙类、03 丙类',
    'case.fees.3': '超限价自付金额：{exc}',
    'case.fees.4': '{label}：{exc}',
    'case.find_region.1': '缺少参保地区 region（区划代码或城市名）；已载入{rules}的地区：{listed}',
    'case.find_region.2': '参保地区应为字符串（如 "370500" 或 "东营"），得到 {given!r}；已载入{rules}的地区：{listed}',
    'case.find_region.3': '{what}：{given!r}；已载入{rules}的地区：{listed}',
    'case.load_case_text.1': '结算案例应为 JSON 对象，得到 {got}',
    'case.load_case_text.2': '不是合法的 JSON：{msg}',
    'case.no_constant.1': 'JSON 中不允许 {token}',
    'case.no_duplicates.1': 'JSON 对象中键「{key}」重复出现',
    'case.open_names.1': '门诊慢性病病种应为字符串列表，得到 {got}',
    'case.open_names.2': '门诊慢性病病种应为非空字符串，得到 {got}',
    'case.parse_chronic.1': '本地区规定没有声明门诊慢性病病种，不能给出 chronic：{listed}',
    'case.parse_code.1': '未知的{label}代码 {value!r}；应为：{known}',
    'case.parse_code.2': '{label}应为字符串代码{hint}',
    'case.parse_cuminfo.1': 'cuminfo 应为对象，得到 {got}',
    'case.parse_cuminfo.2': '未知的累计信息键「{key}」；本地区规定接收：{value}',
    'case.parse_cuminfo.3': '累计信息「{key}」：{exc}',
    'case.parse_cuminfo.4': '计数器类型 {type_} 不能经 cuminfo 带入',
    'case.parse_cuminfo.5': '应为 true 或 false',
    'case.parse_encounter.1': '就诊应为对象，得到 {got}',
    'case.parse_encounter.2': '就诊ID应为非空字符串，得到 {got}',
    'case.parse_encounter.3': '缺少必填字段 {key}（{label}）',
    'case.parse_encounter.4': '结算时间：{exc}',
    'case.parse_encounters.1': '缺少必填字段 encounters（就诊列表）',
    'case.parse_encounters.2': 'encounters 应为非空列表（按时间顺序的就诊）',
    'case.parse_encounters.3': '就诊ID {mdtrt_id!r} 与 encounters[{item}] 重复',
    'case.parse_encounters.4': '就诊须按时间顺序给出：结算日期早于前一次就诊（计数器按顺序累计）',
    'case.parse_extension.1': '{label}（{field}）：{exc}',
    'case.parse_extension.2': '应为比例',
    'case.parse_names.1': '{what}应为字符串列表，得到 {got}',
    'case.parse_names.2': '{what}应为字符串，得到 {got}',
    'case.parse_names.3': '未知的{what}「{item}」：本地区规定不认识它；可用的{what}：{listed}',
    'case.parse_person.1': '缺少必填字段 person（参保人）',
    'case.parse_person.2': 'person 应为对象，得到 {got}',
    'case.parse_person.3': '人员编号应为字符串，得到 {got}',
    'case.parse_person.4': '缺少必填字段 insutype（险种类型）：结算需要它来确定基本医疗保险统筹基金',
    'case.parse_person.5': '出生日期：{exc}',
    'contribute.check_outputs.1': '《{title}》的 IR 缺少缴费输出 {field}',
    'contribute.check_outputs.2': '《{title}》的缴费输出 {field} 应为 money，IR 中为 {type}',
    'contribute.contribute.1': '缴费案例应为 JSON 对象',
    'contribute.init.1': 'IR 的 contribution 应为对象',
    'contribute.init.2': 'IR 的 contribution.{key} 应为列表',
    'contribution_case.consistent.1': '险种类型 {insutype} 与人员类别 {psn_type}（{item}）不符：该人员类别的险种类型应为 {want}（{item2}）',
    'contribution_case.date.1': '{value}：{exc}',
    'contribution_case.employer_type.1': '未知的单位类型 {value!r}；应为：{listed}（灵活就业人员不填）',
    'contribution_case.parse_contribution_case.1': '缺少必填字段 date（缴费日期 yyyy-MM-dd）：它决定施行中的规定版本',
    'contribution_case.person.2': 'person 应为对象',
    'contribution_case.person.3': '人员编号应为字符串',
    'evaluate.check_priorities.1': '{where}.exceptions: 例外须按优先级升序排列，得到 {priorities}',
    'evaluate.check_type.1': '{where}.type: 未知类型 {type_!r}',
    'evaluate.claim.1': '{where}: 名称「{name}」重复（已是 {item}）',
    'evaluate.counter_slots.1': '{where}.period: 应为 year/quarter/case，得到 {value!r}',
    'evaluate.member.1': '{where}: 未知词表「{vocab}」',
    'evaluate.member.2': '{where}: 「{member}」不是词表「{vocab}」的成员',
    'evaluate.vocab.unlisted': '{where}: 开放的词表（unlisted）不能另有名为「{member}」的成员：未列出的代码读作它',
    'evaluate.table.1': '{where}: 表「{name}」缺少单元格 {list}（IR 的表必须完整）',
    'evaluate.table.2': '{where}.dims: 未知词表「{d}」',
    'evaluate.table.3': '{cw}.key: 应有 {len} 个成员',
    'evaluate.table.4': '{cw}.key: 单元格 {list} 重复',
    'expr.compile_expr.1': '{where}: 表达式应为 JSON 对象，得到 {__name__}',
    'expr.compile_expr.2': '{where}: 无法识别的表达式节点（键：{listed}）',
    'expr.compile_in.1': '{where}: in 需要 members 名称列表',
    'expr.compile_lookup.1': '{where}: 查找了未定义的表「{name}」',
    'expr.compile_lookup.2': '{where}: 表「{name}」有 {len} 个维度，查找给了 {len2} 个键',
    'expr.compile_lookup.3': '{where}: 表「{name}」的单元格引用了此处尚未定义的「{item}」',
    'expr.compile_op.1': '{where}: 运算 {op!r} 缺少 args 列表',
    'expr.compile_op.2': '{where}: 运算 {op} 需要 {item} 个参数，得到 {len} 个',
    'expr.compile_op.3': '{where}: 运算 {op} 至少需要 {item} 个参数',
    'expr.compile_op.4': '{where}: 未知运算 {op!r}',
    'expr.compile_op.5': '{where}: known 只能作用于输入的 ref',
    'expr.compile_ref.1': '{where}: 引用了未定义的名称「{name}」',
    'expr.compile_ref.2': '{where}: 「{name}」在此处尚未定义（definitions 须按拓扑顺序排列）',
    'expr.compile_sentinel.1': '{where}: {shape} 应为名称字符串',
    'expr.literal_value.1': '{where}: money 应为分的整数：{v!r}',
    'expr.literal_value.2': '{where}: count 应为整数：{v!r}',
    'expr.literal_value.3': '{where}: bool 应为 true/false',
    'expr.literal_value.4': '{where}: {exc}',
    'expr.literal_value.5': '{where}: 日期应为 YYYY-MM-DD：{item!r}',
    'inputs.reader.1': '输入「{name}」的字段 {field!r} 不是 person.* 或 encounter.*',
    'ir.check_outline.1': '不支持的 IR 格式 {value!r}，应为 {FORMAT!r}',
    'ir.check_outline.2': 'IR 缺少顶层字段：{listed}',
    'ir.check_outline.3': 'IR 的 regulation 应为对象',
    'ir.check_outline.4': 'IR 的 regulation.effective 应为 [开始日期, 结束日期或 null]',
    'ir.check_outline.5': 'IR 的 {key} 应为列表',
    'ir.check_outline.6': 'IR 的 regulation 缺少 {key}',
    'ir.need.1': '{where}: 缺少 {key}',
    'ir.need.2': '{where}.{key}: 类型不对（{__name__}）',
    'ir.no_constant.1': 'IR 中不允许 {text}',
    'ir.parse_ir_text.1': 'IR 顶层必须是 JSON 对象',
    'ir.parse_ir_text.2': 'IR 不是合法的 JSON（第 {lineno} 行第 {colno} 列）：{msg}',
    'ir.parse_ir_text.3': 'IR 不是 UTF-8：{exc}',
    'ir.refuse_floating_point.1': 'IR 中不允许浮点数（金额用分的整数，比例用十进制字符串）：{text}',
    'ir.reject_floats.1': '{path}: IR 中不允许浮点数：{node!r}',
    'ir.reject_floats.2': '{path}: 键必须是字符串：{key!r}',
    'ir.verify_sha256.1': 'IR 缺少 sha256',
    'ir.verify_sha256.2': 'IR 的 sha256 与内容不符（应为 {actual}，文件中为 {stated}）：IR 被改动过',
    'jsonout.atom.1': '输出中不允许 {__name__} 类型的值：{value!r}',
    'jsonout.decimal.1': '不能写出非有限数 {value}',
    'jsonout.key.1': 'JSON 对象的键必须是字符串：{key!r}',
    'evaluate.contract.1': '{where}：接口字段 {field} 重复',
    'evaluate.contract.2': '{where}：excluded 为 value 时须有 excluded_value',
    'settle.init.1': 'regulation.effective 的日期不合法：{item}',
    'settle.scope.1': 'regulation.applies_to 指向没有字段的词表 {item!r}',
    'settle.settle.1': '结算案例应为 JSON 对象',
    'values.parse_count.1': '应为非负整数',
    'values.parse_count.3': '不能为负：{value}',
    'values.parse_count.4': '不是整数：{value!r}',
    'values.parse_count.5': '应为整数：{value}',
    'values.parse_count.6': '不是整数：{value}',
    'values.parse_date.1': '应为日期字符串 yyyy-MM-dd',
    'values.parse_date.2': '日期格式应为 yyyy-MM-dd：{text!r}',
    'values.parse_date.3': '不存在的日期：{text!r}',
    'values.parse_rate_text.1': 'not a decimal rate string: {text!r}',
    'values.parse_setl_time.1': '应为 yyyy-MM-dd 或 yyyy-MM-dd HH:mm:ss',
    'values.parse_setl_time.2': '时间格式应为 HH:mm:ss：{text!r}',
    'values.parse_setl_time.4': '应为 yyyy-MM-dd 或 yyyy-MM-dd HH:mm:ss：{text!r}（{exc}）',
    'values.yuan_to_fen.1': '应为金额（数字或数字字符串）',
    'values.yuan_to_fen.2': '金额不能为负：{value}',
    'values.yuan_to_fen.3': '金额最多两位小数（精确到分）：{value}',
    'values.yuan_to_fen.4': '不是金额：{value!r}',
    'values.yuan_to_fen.5': '应为金额（数字或数字字符串）；浮点数请以 JSON 文本传入',
    'values.yuan_to_fen.6': '不是有限的金额：{value}',
}


def text(key: str, /, **fields: object) -> str:
    """The catalogue's message ``key`` with its fields filled in."""
    return TEXT[key].format(**fields)
# ── refusals of hostile input (docs/limits.md): case, IR and CLI text, by key ─────────────────
# Filled with str.format; the numbers come from runtime/limits.py so the text and the limit cannot drift.

LIMIT_TEXT = {
    "amount.range": "金额超出范围（最大 {max} 元）",
    "amount.digits": "金额位数过多（最多 {digits} 位整数、两位小数）",
    "count.range": "超出范围（最大 {max}）",
    "json.depth": "JSON 嵌套超过 {limit} 层",
    "json.digits": "JSON 中的数字超过 {limit} 位",
    "case.long_number": "{problem}：金额最大 {max_amount} 元，计数最大 {max_count}",
    "case.not_text": "结算案例应为文本（str），得到 {kind}",
    "case.too_large": "案例过大（{size} 个字符，上限 {limit}）",
    "case.surrogate_text": "案例文本含有不成对的 UTF-16 代理项，不是合法的 UTF-8 文本",
    "string.surrogate": "字符串含有不成对的 UTF-16 代理项（\\ud800–\\udfff），不是合法的文本",
    "ir.too_large": "IR 过大（{size}，上限 {limit}）",
    "ir.depth_text": "IR 第 {line} 行第 {col} 列：{problem}（docs/limits.md）",
    "ir.depth": "{path}: IR 嵌套超过 {limit} 层（docs/limits.md）",
    "ir.expr_depth": "{path}: 表达式嵌套超过 {limit} 层（docs/limits.md）",
    "ir.long_number": "IR：{problem}",
    "ir.surrogate": "IR 含有不成对的 UTF-16 代理项，不是合法的 UTF-8 文本：{near!r}…",
    "ir.one_source": "读取 IR 须给出且只给出一个来源：IR 对象、text=（JSON 文本）或 path=（文件路径）",
    "ir.text_kind": "text= 应为 JSON 文本（str 或 bytes），得到 {kind}",
    "ir.path_kind": "path= 应为非空的文件路径，得到 {path!r}",
    "ir.ambiguous": "无法把字符串 {shown} 当作 IR：它不是 JSON 文本；要读取文件请用 path=（不会猜测字符串是路径）",
    "ir.unreadable": "无法读取 IR 文件 {path}：{reason}",
    "ir.source_kind": "无法从 {kind} 读取 IR",
    "schema.expected": "{path}: {expected}，得到 {found}",
    "schema.missing": "{path}: 缺少字段 {key}",
    "schema.shape": "{path}: 无法识别的表达式节点（键：{keys}）",
    "schema.surrogate": "{path}: 字符串含有不成对的 UTF-16 代理项，不是合法的文本",
}


def limit_text(which: str, /, **fields: Any) -> str:
    return LIMIT_TEXT[which].format(**fields)

"""Diagnostics: records, the message catalogue, and rendering.

All user-facing compiler message text lives here, keyed by a stable code. A pass never raises on a
user mistake: it returns Diagnostic records, and the driver reports them all, sorted by position.
A ``CompilerBug`` is raised only for an internal inconsistency, never for bad input.
"""

from __future__ import annotations

import enum
import functools
import json
from typing import Callable, Iterable, Optional, Sequence

import attrs

from .ast import Span


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class CompilerBug(Exception):
    """An internal inconsistency in the compiler. Never used for a mistake in a rule file."""


# code → (severity, Chinese message template, English summary). Templates use str.format fields.
MESSAGES: dict[str, tuple[Severity, str, str]] = {
    # 1xx: reading the text
    "YB101": (Severity.ERROR, "此处不应出现 {found}；应为 {expected}", "syntax error"),
    "YB102": (Severity.ERROR, "无法识别的字符 {found}", "unexpected character"),
    "YB103": (Severity.ERROR, "缩进不一致：本行的缩进与上文任何一层都不对齐", "inconsistent indentation"),
    "YB104": (Severity.ERROR, "条号 {label} 不是有效的中文数字", "invalid article numeral"),
    "YB105": (Severity.ERROR, "日期 {text} 无效", "invalid date"),
    "YB106": (Severity.ERROR, "文件不是有效的 UTF-8 文本：{detail}", "file is not UTF-8"),
    "YB107": (Severity.ERROR, "文件意外结束；应为 {expected}", "unexpected end of file"),
    "YB108": (Severity.ERROR, "嵌套过深：超过 {limit} 层（见 docs/limits.md）；请把表达式拆成几个有名字的定义", "nesting too deep"),
    "YB109": (Severity.ERROR, "规则文件过大：{what}，上限 {limit}（见 docs/limits.md）", "rule file too large"),
    # 2xx: names and structure
    "YB201": (Severity.ERROR, "未知的名称 {name}", "unknown name"),
    "YB202": (Severity.ERROR, "{name} 重复定义；前一处定义在 {other}", "duplicate definition"),
    "YB203": (Severity.ERROR, "{label} 重复出现；前一处在 {other}", "duplicate article"),
    "YB204": (Severity.ERROR, "未知的词表成员 {name}（词表 {vocabulary}）", "unknown vocabulary member"),
    "YB205": (Severity.ERROR, "{name} 同时是多个词表的成员（{vocabularies}），请写成 词表.成员", "ambiguous member"),
    "YB206": (Severity.ERROR, "找不到模块 {name}", "unknown module"),
    "YB207": (Severity.ERROR, "模型要求的参数 {name} 未给出，也未声明为待定", "parameter not given"),
    "YB208": (Severity.ERROR, "{name} 不是计数器，不能更新", "update of a non-counter"),
    "YB209": (Severity.ERROR, "计数器 {name} 更新了多次；前一处在 {other}", "counter updated twice"),
    "YB210": (Severity.ERROR, "{name} 不是词表", "not a vocabulary"),
    "YB211": (Severity.ERROR, "例外的目标 {name} 没有一般规定", "exception without a default"),
    "YB212": (Severity.ERROR, "缺少{what}（{keyword}）", "missing header"),
    "YB213": (Severity.ERROR, "示例中的 {name} 不是输入或计数器", "example assigns a non-input"),
    "YB214": (Severity.ERROR, "示例的{line}行不能给 {name} 赋值（它是{kind}的输入）", "example line kind"),
    "YB215": (Severity.ERROR, "「期望」之前没有「就诊」", "expectation without encounter"),
    "YB216": (Severity.ERROR, "未知的接口字段 {name}", "unknown contract field"),
    "YB217": (Severity.WARNING, "{name} 已定义但未被使用", "unused definition"),
    "YB218": (Severity.ERROR, "示例中 {name} 的值须是字面量（金额、比例、次数、日期、真假或词表成员）", "example value not a literal"),
    "YB219": (Severity.ERROR, "「不涉及」只能写在条文（第…条或条目）之内", "not_applicable outside an article"),
    "YB220": (Severity.ERROR, "条目的标签不能为空", "empty section label"),
    "YB221": (Severity.ERROR, "缴费的例子用到了结算的值（{settlement}）：结算与缴费须分成两个例子（缴费值：{contribution}）", "example mixes settlement and contribution"),
    "YB226": (Severity.ERROR, "引用的 {label} 在本文件中不存在", "reference to a missing article"),
    "YB227": (Severity.ERROR, "{label} 没有定义 {name}；该条定义的是：{defined}", "name not defined by the cited article"),
    "YB228": (Severity.ERROR, "{label} 定义了多个值（{defined}），请在引用后写明哪一个，如 按{label} {first}",
              "article reference is ambiguous"),
    "YB229": (Severity.ERROR, "{label} 没有定义任何值，无从引用", "cited article defines no value"),
    "YB240": (Severity.ERROR, "接口没有输出字段 {name}", "output not in the contract"),
    "YB241": (Severity.ERROR, "接口要求的输出 {name}（{label}）没有规则给出（输出 {name} = …），也未声明为可缺", "contract output not given"),
    "YB242": (Severity.ERROR, "fund_pay_sumamt 的加项与声明为「基金」的输出不一致（{names}）：结算时基金之和对不上", "fund total differs from the fund fields"),
    "YB230": (Severity.ERROR, "计数器 {name} 是{type}，没有初值：计数器须是金额、次数、比例、布尔或日期（尚不支持词表成员）",
              "counter without a zero"),
    # 3xx: units and types
    "YB301": (Severity.ERROR, "单位不符：{left} {op} {right}", "unit mismatch"),
    "YB302": (Severity.ERROR, "{name} 声明为{declared}，但表达式是{actual}", "declared type differs"),
    "YB303": (Severity.ERROR, "金额与比例的乘积须先「四舍五入」到分，才能作为{where}", "unrounded money"),
    "YB304": (Severity.ERROR, "条件须为布尔值，此处是{actual}", "condition not boolean"),
    "YB305": (Severity.ERROR, "{func} 的参数个数不对：应为 {expected}", "wrong argument count"),
    "YB306": (Severity.ERROR, "金额 {text} 不是整分", "money not whole fen"),
    "YB307": (Severity.ERROR, "比例须写成百分数（如 85%），此处是 {text}", "rate without percent"),
    "YB308": (Severity.ERROR, "比例 {text} 超出 0%–100%", "rate out of range"),
    "YB309": (Severity.ERROR, "四舍五入只用于金额，此处是{actual}", "rounding a non-money value"),
    "YB310": (Severity.ERROR, "无法推断待定值 {name} 的类型，请写明类型（如 {name}：金额 待定）", "open value without a type"),
    "YB311": (Severity.ERROR, "次数 {text} 须为整数", "count not whole"),
    "YB312": (Severity.ERROR, "「有」只用于声明为「可缺」的输入和日期计数器，{name} 不是", "known on a required value"),
    # 4xx: tables
    "YB401": (Severity.ERROR, "表 {name} 缺少成员 {missing}（按 {dimension}）", "table misses a member"),
    "YB402": (Severity.ERROR, "表 {name} 的 {dimension} 没有成员 {member}", "table has an unknown member"),
    "YB403": (Severity.ERROR, "表 {name} 中 {member} 出现了两次", "table member twice"),
    "YB404": (Severity.ERROR, "表 {name} 有 {given} 个值，但 {dimension} 有 {expected} 个成员", "table cell count"),
    "YB405": (Severity.ERROR, "表 {name} 按 {count} 个维度，本语言支持一或两个维度", "table dimensions"),
    "YB406": (Severity.ERROR, "{name} 不是表，不能按 [{dimension}=…] 取值", "lookup on a non-table"),
    "YB407": (Severity.ERROR, "表 {name} 不按 {dimension} 分列（它按 {dims}）", "lookup on a dimension the table lacks"),
    "YB408": (Severity.ERROR, "表 {name} 按 {dimension} 分列，但词表 {dimension} 没有字段，也没有恰好一个该词表类型的输入（现有：{inputs}），取不到本次就诊的值", "table dimension without a field"),
    "YB420": (Severity.ERROR, "词表 {name} 写了两次「其余」：一行「其余」就接受未列出的代码", "其余 twice in a vocabulary"),
    "YB421": (Severity.ERROR, "词表 {name} 的「其余」只用于代码，{field} 是名称的清单：名称的清单未列全时写「待定」",
              "其余 on a list of names"),
    "YB422": (Severity.ERROR, "{name}=其余：{vocabulary} 不是开放的代码表（词表里没有「其余」一行），例子只能给它列出的成员",
              "其余 for a vocabulary that lists all its codes"),
    "YB423": (Severity.ERROR, "比例({name})：{name} 不是写成「分段」的定义，没有实际支付比例", "比例 of a value that is not banded"),
    "YB410": (Severity.ERROR, "分段 {low} 至 {high}：上限须高于下限", "band edges out of order"),
    "YB411": (Severity.ERROR, "分段之间有空缺：{low} 至 {high} 没有比例", "gap between bands"),
    "YB412": (Severity.ERROR, "分段重叠：这一段从 {low} 起，上一段到 {high} 才止", "overlapping bands"),
    "YB413": (Severity.ERROR, "{low} 以上 须是最后一段", "open band not last"),
    "YB414": (Severity.ERROR, "{year} 须晚于上一行的 {previous}：按年度的各行由早到晚、不重复（年份在 1–9998 之间），全写年份或全写日期",
              "years out of order"),
    # 5xx: definitions, exceptions, counters
    "YB501": (Severity.ERROR, "定义循环：{cycle}", "definition cycle"),
    "YB502": (Severity.ERROR, "{name} 的两条例外（{first} 与 {second}）优先级相同且条件可能同时成立", "conflicting exceptions"),
    # 6xx: versions
    "YB601": (Severity.ERROR, "施行期间 {start} 至 {end} 无效：结束早于开始", "bad validity interval"),
    "YB602": (Severity.ERROR, "{region} 的两个规定施行期间重叠：{first} 与 {second}", "overlapping versions"),
    # 61x: amendments (修订, compiler/amend.py)
    "YB610": (Severity.ERROR, "修订的对象 {target} 不存在：没有这个文件，也没有标题为它的规定（可修订的：{known}）", "amendment of a missing regulation"),
    "YB611": (Severity.ERROR, "被修订的 {earlier} 没有定义 {name}：修订只能改写原有的值", "amendment changes an undefined name"),
    "YB612": (Severity.ERROR, "{name} 原为{old}，修订后为{new}：修订只能改值，不能改类型、单位或表的维度", "amended value of another type"),
    "YB613": (Severity.ERROR, "修订自 {start} 施行，与被修订的 {earlier}（{interval}）重叠：原规定须在修订施行前终止", "amendment overlaps the earlier version"),
    "YB614": (Severity.ERROR, "修订只能写改动的值（定义、表、待定值）、例子、解释和文件头，不能写{what}", "clause not allowed in an amendment"),
    "YB615": (Severity.ERROR, "修订须写明施行日期（施行 …）：从哪天起按修订后的值结算", "amendment without an effective date"),
    # 8xx: province parameters and invariants (regulations/shandong/invariants.yb, yibao check)
    "YB801": (Severity.ERROR, "不变式「{title}」用到的 {name} 没有任何城市声明（没有城市的规则文件有这个名称的表或定义）", "invariant names a parameter no city declares"),
    "YB802": (Severity.ERROR, "不变式「{title}」用到的 {name} 不是省级参数；请先写「省级参数 {name}：类型」", "not a province parameter"),
    "YB803": (Severity.ERROR, "「每次结算」的不变式「{title}」只能用结算输出的名称，{name} 不是", "not a settlement output"),
    "YB804": (Severity.ERROR, "不变式「{title}」中「随」后的 {name} 应为就诊的金额输入（如 甲类费用）", "not a money input"),
    "YB805": (Severity.ERROR, "不变式「{title}」的 {dimension} 没有成员 {member}（没有城市的词表有它）", "unknown member in an invariant"),
    "YB806": (Severity.ERROR, "不变式「{title}」只能比较参数、字面量及其加减：{what}", "unsupported invariant expression"),
    "YB807": (Severity.ERROR, "不变式「{title}」重复；前一处在 {other}", "duplicate invariant"),
    "YB809": (Severity.WARNING, "省级参数和不变式只能写在省级文件（声明「模块」、不被城市采用的文件）中；此处的不会被检查", "province clause in a city file"),
    "YB808": (Severity.WARNING, "省级参数 {name} 声明为{declared}，但{city}的 {name} 是{actual}", "province parameter type differs in a city"),
    # 7xx: coverage of the regulation's own text (yibao check)
    "YB701": (Severity.WARNING, "{label} 在条文原文中找不到：条号或条目的标签是否写错？", "article not in the source text"),
    # 9xx: what the runtime itself refuses (compiler/admit.py)
    "YB901": (Severity.ERROR, "运行时无法执行这份规则：{detail}", "the runtime refuses the compiled rules"),
}


# Words the passes put into messages and into the IR (type names, operators, default reasons), kept here
# with the templates so that every piece of user-facing text lives in one module.
WORDS: dict[str, str] = {
    "module.note": "{path} 是共用模块，不单独编译；已经由采用它的城市文件检查：{users}",
    "module.no_users": "（没有城市文件采用它）",
    "type.money": "金额",
    "type.exact": "未取整的金额",
    "type.rate": "比例",
    "type.count": "次数",
    "type.date": "日期",
    "type.bool": "真假值",
    "type.enum": "词表 {vocabulary} 的成员",
    "type.number": "不带单位的数",
    "type.any": "未知类型",
    "op.add": "+",
    "op.sub": "−",
    "op.mul": "×",
    "op.div": "÷",
    "op.eq": "=",
    "op.ne": "≠",
    "op.lt": "<",
    "op.le": "≤",
    "op.gt": ">",
    "op.ge": "≥",
    "op.and": "且",
    "op.or": "或",
    "op.in": "属于",
    "op.if": "若…则…否则",
    "op.min": "最小",
    "op.count_of": "个数",
    "op.max": "最大",
    "op.clamp": "介于",
    "op.round": "四舍五入",
    "op.members": "词表成员",
    "header.region": "地区与区划代码",
    "header.region.keyword": "地区",
    "header.effective": "施行日期",
    "header.effective.keyword": "施行",
    "where.output": "输出",
    "where.update": "计数器的更新值",
    "where.definition": "金额的定义值",
    "where.exception": "例外的值",
    "args.at_least_two": "至少 2 个",
    "args.three": "3 个",
    "args.one": "1 个",
    "args.at_least_one": "至少 1 个",
    "line.person": "人员",
    "line.encounter": "就诊",
    "kind.counter": "计数器",
    "cycle.step": "{name}（{article}）",
    "cycle.arrow": " → ",
    "list.sep": "、",
    "check.module_repeated": "  （另有 {count} 条共用模块中的诊断，已随前面使用该模块的规定报告）",
    "op.bands": "分段的对象须是金额",
    "op.bands_actual": "而此处是",
    "op.by_year": "按年度的依据须是日期",
    "open.year": "{article}未规定 {name} {year}的值",
    "open.before": "{article}未规定 {name} {year}年以前的值",
    "open.after": "{article}未规定 {name} {year}年以后的值",
    "open.before_date": "{article}未规定 {name} 在 {year} 以前的值",
    "table.others": "其余",
    "none": "无",
    "no_article": "共用模型",
    "open.cell_reason": "{article}未规定 {name} 的值",
    "open.reason": "{article}未规定此值",
    "version.interval": "{source}（{start} 至 {end}）",
    "version.open_end": "今",
    "coverage.summary": "覆盖：{total} 条含数字，编码 {encoded}，待定 {open}，不涉及 {na}，缺 {missing}",
    "coverage.encoded": "✓ {label}",
    "coverage.open": "○ {label}  待定",
    "coverage.not_applicable": "– {label}  不涉及：{reason}",
    "coverage.missing": "✗ {label}  缺：{text}",
    "coverage.no_source": "覆盖：没有条文原文 {name}，未检查",
    "amend.value": "值",
    "amend.more": " 等 {count} 个",
    "amend.none": "无",
    "amend.table": "按 {dims} 的{kind}表",
    "amend.other_region": "另一地区（{code}；被修订的规定是 {earlier}）",
    "amend.kind.InputDecl": "输入",
    "amend.kind.ParamDecl": "参数",
    "amend.kind.ExceptionDef": "例外",
    "amend.kind.CounterDecl": "计数器",
    "amend.kind.CounterUpdate": "计数器的更新",
    "amend.kind.Exclusion": "不予支付",
    "amend.kind.OutputDecl": "输出",
    "amend.kind.UseDecl": "采用（模块沿用被修订的规定）",
    "amend.kind.VocabularyDecl": "词表",
    "amend.kind.AliasDecl": "别名",
    "amend.kind.ModuleDecl": "模块",
    "amend.kind.AppliesDecl": "适用范围",
    "amend.kind.other": "这一条款",
    "amend.changes": "修订 {earlier}：改动 {count} 项",
}


def word(key: str, **fields) -> str:
    """A word or phrase from ``WORDS``, with its fields filled."""
    try:
        return WORDS[key].format(**fields)
    except KeyError as exc:
        raise CompilerBug(f"unknown word {key}") from exc


@attrs.frozen
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Optional[Span]
    hints: tuple[str, ...] = ()
    related: tuple[Span, ...] = ()

    @property
    def summary(self) -> str:
        return MESSAGES[self.code][2]


def diag(code: str, span: Optional[Span], hints: Sequence[str] = (), related: Sequence[Span] = (), **fields) -> Diagnostic:
    """Make a diagnostic from the catalogue; ``fields`` fill the message template."""
    try:
        severity, template, _ = MESSAGES[code]
    except KeyError as exc:
        raise CompilerBug(f"unknown diagnostic code {code}") from exc
    return Diagnostic(code, severity, template.format(**fields), span, tuple(hints), tuple(related))


def did_you_mean(name: str, candidates: Iterable[str], limit: int = 3) -> tuple[str, ...]:
    """Names close to ``name``, for a hint. Character-level similarity works for Chinese names too."""
    import difflib

    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=limit, cutoff=0.5)
    return tuple(f"是否想写 {c}？(did you mean {c}?)" for c in close)


def sort_key(d: Diagnostic) -> tuple:
    s = d.span
    return (s.file, s.line, s.col, d.code) if s else ("", 0, 0, d.code)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def render(d: Diagnostic, sources: dict[str, str]) -> str:
    """``file:line:col: error[YB201]: message``, the source line, and a caret under the span."""
    kind = "错误" if d.severity is Severity.ERROR else "警告"
    head = f"{d.span}: {kind}[{d.code}]: {d.message} ({d.summary})" if d.span else f"{kind}[{d.code}]: {d.message}"
    lines = [head]
    if d.span is not None:
        text = sources.get(d.span.file)
        if text is not None:
            src_lines = _split_lines(text)
            if 1 <= d.span.line <= len(src_lines):
                line = src_lines[d.span.line - 1]
                number = f"{d.span.line:>4}"
                lines.append(f"  {number} | {line}")
                lines.append("  " + " " * len(number) + " | " + _caret_padding(line, d.span.col) + _carets(d.span, line))
    for r in d.related:
        lines.append(f"  另见 {r}")
    for h in d.hints:
        lines.append(f"  提示: {h}")
    return "\n".join(lines)


@functools.lru_cache(maxsize=16)
def _split_lines(text: str) -> list[str]:
    """The source's lines, split once per source however many diagnostics it has (rendering stays linear).
    Keyed by the text itself: a str caches its hash, and the same object compares equal at once."""
    return text.splitlines()


def _display_width(text: str) -> int:
    """Columns a terminal gives ``text``: CJK and full-width characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _caret_padding(line: str, col: int) -> str:
    return " " * _display_width(line[: col - 1])


def _carets(span: Span, line: str) -> str:
    end = span.end_col if span.end_line == span.line else len(line) + 1
    covered = line[span.col - 1 : max(end - 1, span.col)]
    return "^" * max(_display_width(covered), 1)


# ───────────────────────────── machine-readable forms (docs/diagnostics.md) ─────────────────────────────

# The keys of ``record``, in order; docs/diagnostics.md lists them and tests/test_diagnostic_docs.py checks it.
RECORD_KEYS = ("code", "severity", "message", "summary", "file", "line", "column", "end", "hints", "related")


def _same(file: str) -> str:
    return file


def record(d: Diagnostic, file_of: Callable[[str], str] = _same) -> dict:
    """One diagnostic as plain JSON data. Lines and columns are 1-based and count code points; ``end`` is
    the position just after the last character. ``file_of`` maps a span's file to the path to show."""
    s = d.span
    return {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "summary": d.summary,
        "file": file_of(s.file) if s else None,
        "line": s.line if s else None,
        "column": s.col if s else None,
        "end": {"line": s.end_line, "column": s.end_col} if s else None,
        "hints": list(d.hints),
        "related": [{"file": file_of(r.file), "line": r.line, "column": r.col} for r in d.related],
    }


def render_json(d: Diagnostic, file_of: Callable[[str], str] = _same) -> str:
    """``record`` as one line of JSON (JSON Lines: one object per diagnostic)."""
    return json.dumps(record(d, file_of), ensure_ascii=False, separators=(",", ":"))


def render_github(d: Diagnostic, file_of: Callable[[str], str] = _same) -> str:
    """A GitHub Actions workflow command: ``::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message``."""
    s = d.span
    props = [("file", file_of(s.file)), ("line", s.line), ("col", s.col), ("endLine", s.end_line),
             ("endColumn", s.end_col)] if s else []
    props.append(("title", f"{d.code} {d.summary}"))
    body = "\n".join((d.message, *(f"提示: {h}" for h in d.hints)))
    fields = ",".join(f"{key}={_github_escape(str(value), property=True)}" for key, value in props)
    return f"::{d.severity.value} {fields}::{_github_escape(body, property=False)}"


def _github_escape(text: str, property: bool) -> str:
    """GitHub's escaping for workflow commands: %, CR and LF always; ``:`` and ``,`` inside a property."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text

"""The report page: one self-contained HTML file (inline CSS and SVG, no script, no network).

Entry point: ``render_report(panels, matrix, outcomes, files, diff=None) -> str``. Chinese text is set in "Noto Sans CJK SC", the font
Debian's ``fonts-noto-cjk`` installs, so a browser without network renders the same page everywhere.
"""

from __future__ import annotations

from html import escape
from typing import Optional

from yibao.change.summary import cause_text, signed_yuan
from yibao.crosscity.exprtext import money_text
from yibao.crosscity.invariants import Outcome, outcome_text, violation_lines
from yibao.crosscity.matrix import cell_text, key_text

from .curves import Panel
from .svg import PALETTE, diverging_bars, histogram, line_chart

__all__ = ["render_report", "FONT"]

FONT = "Noto Sans CJK SC"
STYLE = f"""
body {{ font-family: "{FONT}", "Noto Sans CJK", sans-serif; margin: 24px; color: #222; max-width: 1240px; }}
h1 {{ font-size: 24px; }} h2 {{ font-size: 19px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 28px; }}
svg {{ font-family: "{FONT}", sans-serif; background: #fff; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 12px; }}
table {{ border-collapse: collapse; margin: 8px 0; font-size: 13px; }}
th, td {{ border: 1px solid #bbb; padding: 3px 8px; text-align: left; }}
th {{ background: #f0f0f0; }} td:first-child, td:nth-child(2) {{ white-space: nowrap; }} td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.note {{ color: #666; font-size: 13px; }}
td.open {{ background: #fff4d6; }} td.na {{ background: #eee; color: #555; }} td.out_of_force {{ color: #888; }}
td.outcome[data-status="违反"] {{ background: #fbdada; }} td.outcome[data-status="豁免"] {{ background: #e6eefc; }}
"""


def render_report(panels: list[Panel], matrix: dict, outcomes: list[Outcome], files: list[str],
                  diff: Optional[dict] = None) -> str:
    """``matrix`` is ``build_matrix``'s, ``outcomes`` ``check_cities``' over the province ``files``."""
    body = ["<h1>yibao 医保规则报告</h1>",
            '<p class="note">本页为静态页面，图表均为内嵌 SVG，不需要网络。金额单位：元。</p>',
            _curves_section(panels), _matrix_section(matrix), _invariants_section(outcomes, files, [r["code"] for r in matrix["regions"]])]
    if diff is not None:
        body.append(_diff_section(diff))
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>yibao 医保规则报告</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


def _matrix_section(matrix: dict) -> str:
    """``yibao matrix`` as a table: every cell as the text table shows it, so each value cites its article and
    an open value says 待定, an inapplicable one 不适用."""
    parts = ['<h2 id="matrix">参数矩阵：省级参数逐市对照</h2>',
             f'<p class="note">{escape(matrix["date"] or "各市现行规定")}；行来自省级参数文件，每格注明所依条文；'
             "—：该市没有此项参数；待定：条文未定；不适用：条文规定不适用。</p>"]
    if not matrix["rows"]:
        parts.append("<p>规则根目录下没有省级参数，或没有城市给出其中任何一项。</p>")
        return "\n".join(parts)
    codes = [r["code"] for r in matrix["regions"]]
    head = "".join(f"<th>{escape(r['name'])}</th>" for r in matrix["regions"])
    rows = []
    for row in matrix["rows"]:
        cells = "".join(_matrix_cell(row["cells"][code], cell_text(row["cells"][code])) for code in codes)
        rows.append(f"<tr><td>{escape(row['label'])}</td><td>{escape(key_text(row['key']))}</td>{cells}</tr>")
    parts.append(f'<table class="matrix"><tr><th>参数</th><th>分项</th>{head}</tr>' + "".join(rows) + "</table>")
    return "\n".join(parts)


def _matrix_cell(cell: dict, text: str) -> str:
    reason = f' title="{escape(cell["reason"])}"' if cell.get("reason") else ""
    return f'<td class="cell {cell["status"]}" data-status="{cell["status"]}"{reason}>{escape(text)}</td>'


def _invariants_section(outcomes: list[Outcome], files: list[str], order: list[str]) -> str:
    """``yibao check``'s province invariants: one row per invariant, one column per city, then every violation."""
    parts = ['<h2 id="invariants">省级不变式</h2>']
    if not outcomes:
        parts.append("<p>规则根目录下没有省级不变式。</p>")
        return "\n".join(parts)
    parts.append(f'<p class="note">{escape("、".join(files))}；括号内为比较过的表格单元或结算次数。'
                 "✓ 通过 ✗ 违反 ◇ 豁免 – 不适用（该市没有此项参数） ○ 未检查。</p>")
    # the cities in the matrix's order, so a column is the same city in both tables
    cities = sorted(dict.fromkeys((o.region, o.city) for o in outcomes),
                    key=lambda c: order.index(c[0]) if c[0] in order else len(order))
    by_title: dict[str, list] = {}
    for o in outcomes:
        by_title.setdefault(o.invariant["title"], []).append(o)
    rows = []
    for title, group in by_title.items():
        cells = "".join(_invariant_cell([o for o in group if o.region == region]) for region, _ in cities)
        rows.append(f"<tr><td>{escape(title)}</td><td>{escape(group[0].invariant['at'])}</td>{cells}</tr>")
    head = "".join(f"<th>{escape(city)}</th>" for _, city in cities)
    parts.append(f'<table class="invariants"><tr><th>不变式</th><th>位置</th>{head}</tr>' + "".join(rows) + "</table>")
    violations = [v for o in outcomes for v in o.violations]
    if violations:
        parts.append('<h3>违反与豁免</h3><ul class="violations">' + "".join(
            "<li>" + "<br>".join(escape(line) for line in violation_lines(v)) + "</li>" for v in violations) + "</ul>")
    return "\n".join(parts)


def _invariant_cell(outcomes: list[Outcome]) -> str:
    # a region with several versions in the rules root has one outcome per version, one line each
    text = "<br>".join(escape(outcome_text(o)) for o in outcomes)
    status = "违反" if any(o.status == "违反" for o in outcomes) else outcomes[0].status if outcomes else ""
    return f'<td class="outcome" data-status="{status}">{text or "—"}</td>'


def _curves_section(panels: list[Panel]) -> str:
    cities = sorted({line.city for panel in panels for line in panel.lines})
    colours = {city: PALETTE[i % len(PALETTE)] for i, city in enumerate(cities)}
    x_max = max((x for p in panels for line in p.lines for x, _ in line.points), default=100)
    parts = ['<h2 id="curves">支付曲线：普通住院的统筹基金支付与总费用</h2>',
             '<p class="note">每个点都是一次真实结算：参保人本年第一次普通住院，全部为甲类费用，按各市施行中的规定。'
             "横轴为平方根刻度，以便同时看到起付标准和最高支付限额。</p>"]
    for insutype in dict.fromkeys(p.insutype for p in panels):
        row = [p for p in panels if p.insutype == insutype]
        y_max = max((y for p in row for line in p.lines for _, y in line.points), default=100)
        charts = [line_chart(f"{insutype} · {p.level}医院", [(line.city, colours[line.city], line.points)
                                                             for line in p.lines], x_max, y_max,
                             "总费用（元）", "统筹基金支付（元）") for p in row]
        parts.append(f'<h3>{escape(insutype)}</h3>\n<div class="charts">' + "\n".join(charts) + "</div>")
    missing = {(p.insutype, line.city): line.problem for p in panels for line in p.lines if line.problem}
    if missing:
        parts.append('<table class="not-drawn"><tr><th>险种</th><th>城市</th><th>未画出的原因</th></tr>'
                     + "".join(f"<tr><td>{escape(i)}</td><td>{escape(c)}</td><td>{escape(r)}</td></tr>"
                               for (i, c), r in missing.items()) + "</table>")
    return "\n".join(parts)


def _diff_section(diff: dict) -> str:
    parts = [f'<h2 id="diff">变更：{escape(diff["old"])} → {escape(diff["new"])}</h2>']
    changes = [(r, c) for r in diff["regulations"] for c in r["changes"]]
    if not diff["changed"]:
        parts.append("<p>规则含义没有变化。</p>")
        return "\n".join(parts)
    parts.append('<table class="changes"><tr><th>地区</th><th>条文</th><th>类别</th><th>名称</th><th>变化</th>'
                 "<th>原值</th><th>新值</th></tr>" + "".join(
                     f"<tr><td>{escape(r['region_name'])}</td><td>{escape(c['article'] or '—')}</td>"
                     f"<td>{escape(c['kind'])}</td><td>{escape(c['name'])}</td><td>{c['action']}</td>"
                     f"<td>{escape(c['old'] or '—')}</td><td>{escape(c['new'] or '—')}</td></tr>" for r, c in changes)
                 + "</table>")
    impact = diff.get("impact")
    if impact:
        parts.append(_impact(impact))
    return "\n".join(parts)


def _impact(impact: dict) -> str:
    t = impact["totals"]
    parts = [f"<p>{t['encounters']} 次就诊中 <b>{t['changed']}</b> 次结果改变。</p>",
             '<table class="totals"><tr><th></th><th>原版本</th><th>新版本</th><th>变化</th></tr>'
             f"<tr><td>基金支付合计</td><td class=num>{money_text(t['old_fund'], True)}</td>"
             f"<td class=num>{money_text(t['new_fund'], True)}</td><td class=num>{signed_yuan(t['fund_change'])}</td></tr>"
             f"<tr><td>个人负担合计</td><td class=num>{money_text(t['old_patient'], True)}</td>"
             f"<td class=num>{money_text(t['new_patient'], True)}</td><td class=num>{signed_yuan(t['patient_change'])}</td></tr>"
             "</table>"]
    charts = [histogram("每次改变的就诊：基金支付变化", [r["fund_change"] for r in impact["changed"]
                                                  if r["fund_change"] is not None], "基金支付变化（元）")]
    for label, groups in impact["groups"].items():
        rows = [(g["name"], g["winners"], g["losers"]) for g in groups if g["changed"]]
        if rows:
            charts.append(diverging_bars(f"按{label}：受益与受损的就诊", rows))
    parts.append('<div class="charts">' + "\n".join(charts) + "</div>")
    parts.append('<h3>按变化所在条文</h3><table class="by-article"><tr><th>条文</th><th>值</th><th>改变的就诊</th>'
                 "<th>基金变化</th><th>个人变化</th><th>受益</th><th>受损</th></tr>" + "".join(
                     f"<tr><td>{escape(a['article'])}</td><td>{escape('、'.join(n for n in a['names'] if n))}</td>"
                     f"<td class=num>{a['changed']}</td><td class=num>{signed_yuan(a['fund_change'])}</td>"
                     f"<td class=num>{signed_yuan(a['patient_change'])}</td><td class=num>{a['winners']}</td>"
                     f"<td class=num>{a['losers']}</td></tr>" for a in impact["by_article"]) + "</table>")
    parts.append('<h3>变化最大的就诊</h3><table class="largest"><tr><th>行</th><th>人员</th><th>就诊</th>'
                 "<th>基金 原</th><th>基金 新</th><th>原因</th></tr>" + "".join(
                     f"<tr><td class=num>{r['line']}</td><td>{escape(str(r['psn_no']))}</td><td>{escape(str(r['mdtrt_id']))}</td>"
                     f"<td class=num>{_fund(r['old'])}</td><td class=num>{_fund(r['new'])}</td>"
                     f"<td>{escape(cause_text(r['cause']))}</td></tr>" for r in impact["largest"][:15]) + "</table>")
    if impact["bad_lines"]:
        parts.append("<h3>无法使用的案例行</h3><ul>" + "".join(
            f"<li>第 {b['line']} 行：{escape(b['reason'])}</li>" for b in impact["bad_lines"]) + "</ul>")
    return "\n".join(parts)


def _fund(side: dict) -> str:
    return money_text(side["fund"], True) if side["fund"] is not None else f"错误 {escape(str(side['error']))}"

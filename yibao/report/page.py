"""The report page: one self-contained HTML file (inline CSS and SVG, no script, no network).

Entry point: ``render_report(panels, diff=None) -> str``. Chinese text is set in "Noto Sans CJK SC", the font
Debian's ``fonts-noto-cjk`` installs, so a browser without network renders the same page everywhere.
"""

from __future__ import annotations

from html import escape
from typing import Optional

from yibao.change.summary import cause_text, signed_yuan
from yibao.change.semantic import yuan

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
"""


def render_report(panels: list[Panel], diff: Optional[dict] = None) -> str:
    body = ["<h1>yibao 医保规则报告</h1>",
            '<p class="note">本页为静态页面，图表均为内嵌 SVG，不需要网络。金额单位：元。</p>',
            _matrix_section(), _curves_section(panels), _invariants_section()]
    if diff is not None:
        body.append(_diff_section(diff))
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>yibao 医保规则报告</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


def _matrix_section() -> str:
    # The province parameter matrix (yibao matrix) is being built on another branch; until it is merged the
    # report says so rather than showing a second, home-made matrix.
    return ('<h2 id="matrix">参数矩阵</h2>\n<p class="note">省级参数矩阵（yibao matrix）尚未合入本版本，'
            "本节暂缺。</p>")


def _invariants_section() -> str:
    return ('<h2 id="invariants">省级不变式</h2>\n<p class="note">省级不变式的检查结果（yibao check）尚未合入本版本，'
            "本节暂缺。</p>")


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
             f"<tr><td>基金支付合计</td><td class=num>{yuan(t['old_fund'], True)}</td>"
             f"<td class=num>{yuan(t['new_fund'], True)}</td><td class=num>{signed_yuan(t['fund_change'])}</td></tr>"
             f"<tr><td>个人负担合计</td><td class=num>{yuan(t['old_patient'], True)}</td>"
             f"<td class=num>{yuan(t['new_patient'], True)}</td><td class=num>{signed_yuan(t['patient_change'])}</td></tr>"
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
    return yuan(side["fund"], True) if side["fund"] is not None else f"错误 {escape(str(side['error']))}"

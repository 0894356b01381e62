"""The diff as a person reads it: Markdown, so a CI job can post it to a pull request unchanged.

Entry point: ``summary_markdown(result) -> str`` over the dict ``diff_sides`` returns.
"""

from __future__ import annotations

from typing import Optional

from yibao.crosscity.exprtext import money_text

__all__ = ["summary_markdown", "signed_yuan"]

SHOWN_CLAIMS = 10


def signed_yuan(fen: Optional[int]) -> str:
    if fen is None:
        return "—"
    return ("+" if fen > 0 else "") + money_text(fen, cents=True)


def summary_markdown(result: dict) -> str:
    lines = [f"## yibao diff `{result['old']}` → `{result['new']}`"]
    if not result["changed"]:
        lines += ["", "规则含义没有变化（no change in meaning）。"]
        return "\n".join(lines) + "\n"
    for version in result["added"]:
        lines.append(f"- 新增规定：{version['title']}（{version['source']}）")
    for version in result["removed"]:
        lines.append(f"- 删除规定：{version['title']}（{version['source']}）")
    for regulation in result["regulations"]:
        lines += _regulation(regulation)
    if result["new_open_values"]:
        lines += ["", f"**新出现的待定值**：{'、'.join(result['new_open_values'])}"]
    if result.get("impact"):
        lines += _impact(result["impact"], result.get("claims") or {})
    return "\n".join(lines) + "\n"


def _regulation(regulation: dict) -> list[str]:
    if not regulation["changes"]:
        return []
    lines = ["", f"### {regulation['region_name']}：{regulation['title']}（{len(regulation['changes'])} 处变化）", "",
             "| 条文 | 类别 | 名称 | 变化 | 原值 | 新值 |", "|---|---|---|---|---|---|"]
    for c in regulation["changes"]:
        lines.append(f"| {c['article'] or '—'} | {c['kind']} | {_cell(c['name'])} | {c['action']} | "
                     f"{_cell(c['old'])} | {_cell(c['new'])} |")
    return lines


def _cell(text: Optional[str], limit: int = 80) -> str:
    if text is None:
        return "—"
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _impact(impact: dict, claims: dict) -> list[str]:
    t = impact["totals"]
    source = f"文件 {claims['file']}" if "file" in claims else (
        f"synth 生成的 {claims['synth']['persons']} 人（种子 {claims['synth']['seed']}）" if "synth" in claims else "")
    lines = ["", "### 对案例的影响", "",
             f"案例：{source}，{t['encounters']} 次就诊，其中 **{t['changed']}** 次结果改变"
             + (f"（{t['errors_changed']} 次错误状态改变）" if t["errors_changed"] else "") + "。", "",
             *([f"新版本的施行期与原版本不同：{'、'.join(claims['redated'])} 按在这些案例的日期施行来结算，与原版本比较。", ""]
               if claims.get("redated") else []),
             "| | 原版本 | 新版本 | 变化 |", "|---|---|---|---|",
             f"| 基金支付合计 | {money_text(t['old_fund'], True)} | {money_text(t['new_fund'], True)} | {signed_yuan(t['fund_change'])} |",
             f"| 个人负担合计 | {money_text(t['old_patient'], True)} | {money_text(t['new_patient'], True)} | {signed_yuan(t['patient_change'])} |"]
    if impact["by_article"]:
        lines += ["", "按变化所在条文：", "", "| 条文 | 值 | 改变的就诊 | 基金变化 | 个人变化 | 受益 | 受损 |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {a['article']} | {'、'.join(n for n in a['names'] if n)} | {a['changed']} | "
                  f"{signed_yuan(a['fund_change'])} | {signed_yuan(a['patient_change'])} | {a['winners']} | {a['losers']} |"
                  for a in impact["by_article"]]
    for label, groups in impact["groups"].items():
        moved = [g for g in groups if g["changed"]]
        if moved:
            lines += ["", f"按{label}：", "", f"| {label} | 就诊 | 改变 | 受益 | 受损 | 基金变化 | 个人变化 |",
                      "|---|---|---|---|---|---|---|"]
            lines += [f"| {g['name']} | {g['encounters']} | {g['changed']} | {g['winners']} | {g['losers']} | "
                      f"{signed_yuan(g['fund_change'])} | {signed_yuan(g['patient_change'])} |" for g in moved]
    if impact["largest"]:
        lines += ["", f"变化最大的就诊（前 {min(SHOWN_CLAIMS, len(impact['largest']))} 次）：", "",
                  "| 行 | 人员 | 就诊 | 基金 原→新 | 原因 |", "|---|---|---|---|---|"]
        lines += [f"| {r['line']} | {r['psn_no']} | {r['mdtrt_id']} | {_money_or_error(r['old'])} → "
                  f"{_money_or_error(r['new'])} | {cause_text(r['cause'])} |" for r in impact["largest"][:SHOWN_CLAIMS]]
    if impact["bad_lines"]:
        lines += ["", f"无法使用的案例行（{len(impact['bad_lines'])}）："]
        lines += [f"- 第 {b['line']} 行：{b['reason']}" for b in impact["bad_lines"]]
    return lines


def _money_or_error(side: dict) -> str:
    return money_text(side["fund"], True) if side["fund"] is not None else f"错误 {side['error']}"


def cause_text(cause: dict) -> str:
    """``第三十条 住院起付标准 800.00 → 1000.00``, with the counter that carried it when it came from earlier."""
    text = f"{cause.get('article') or '（无条文）'} {cause.get('name') or ''} {cause.get('old')} → {cause.get('new')}"
    return text + (f"（经计数器/累计值 {cause['via']}）" if cause.get("via") else "")

"""``yibao diff OLD NEW``: what a rule change changes, in the rules and on a claim set, with CI exit statuses."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Optional

import click

from .common import emit, fail, read_case, refused_ir, rules_root


class FundLimit(click.ParamType):
    """``1%`` (of the old version's total fund pay) or ``100000元`` (an absolute amount, whole fen)."""

    name = "LIMIT"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%|元)\s*", str(value))
        try:
            amount = Decimal(match.group(1)) if match else None
        except InvalidOperation:
            amount = None
        if amount is None or (match.group(2) == "元" and amount * 100 != (amount * 100).to_integral_value()):
            self.fail(f"{value!r}：应为百分比（如 1%）或金额（如 100000元，最多两位小数）", param, ctx)
        return ("percent", amount) if match.group(2) == "%" else ("fen", int(amount * 100))


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--claims", "claims_file", help="案例文件（JSON Lines）；缺省为 synth 为改变的地区生成的案例")
@click.option("--persons", type=click.IntRange(min=1), default=None, help="不给 --claims 时 synth 生成的人数（缺省 500）")
@click.option("--seed", type=int, default=1, show_default=True, help="不给 --claims 时 synth 的随机种子")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--fail-on-change", is_flag=True, help="规则含义有任何变化时退出状态为 1")
@click.option("--max-fund-change", type=FundLimit(), help="基金支付合计变化超过此值（1% 或 100000元）时退出状态为 1")
@click.option("--fail-on-new-open", is_flag=True, help="新版本有原版本没有的待定值时退出状态为 1")
@click.option("--rules", type=click.Path(file_okay=False), help="共享模块的目录，当 OLD/NEW 旁边没有时使用")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="结果写入文件（原子写入）")
def diff_command(old: str, new: str, claims_file: Optional[str], persons: Optional[int], seed: int, as_json: bool,
                 fail_on_change: bool, max_fund_change: Optional[tuple], fail_on_new_open: bool, rules: Optional[str],
                 output: Optional[Path]) -> None:
    """比较两个版本的规则（文件、目录或 git 修订:路径，如 HEAD~1:regulations/dongying）：逐条列出含义的变化
    （参数、表格单元格、例外、计数器、待定值、解释、施行期，各注条文和新旧值），并在案例集上结算两版，给出
    改变的就诊、基金和个人负担的变化（精确到分）、按险种/医院等级/医疗类别的受益与受损、按条文的汇总，
    以及每次改变的原因。

    退出状态：0 通过；1 违反 --fail-on-change/--max-fund-change/--fail-on-new-open，或有无法使用的案例行；
    2 某一边不存在、不能编译或两边不是同一地区。
    """
    from yibao.change.summary import summary_markdown

    result = run_diff(old, new, claims_file, persons, seed, rules)
    failures = policy_failures(result, fail_on_change, max_fund_change, fail_on_new_open)
    result["policy"] = {"failed": failures}
    emit(json.dumps(result, ensure_ascii=False, indent=2) + "\n" if as_json else
         summary_markdown(result) + "".join(f"\n**不通过**：{f}\n" for f in failures), output)
    bad_lines = (result.get("impact") or {}).get("bad_lines")
    raise click.exceptions.Exit(1 if failures or bad_lines else 0)


def run_diff(old: str, new: str, claims_file: Optional[str], persons: Optional[int], seed: int,
             rules: Optional[str]) -> dict:
    """The diff's result, or exit 2 naming the side (or the claims file) that cannot be used."""
    from yibao.change.diff import DEFAULT_PERSONS, DiffError, diff_sides
    from yibao.change.sides import SideError, load_side
    from yibao.runtime import IRError

    modules = rules_root(rules)
    claims = read_case(claims_file) if claims_file else None
    try:
        return diff_sides(load_side("OLD", old, modules), load_side("NEW", new, modules), claims,
                          persons or DEFAULT_PERSONS, seed)
    except (SideError, DiffError) as exc:
        raise fail(str(exc))
    except IRError as exc:
        raise fail(refused_ir(exc))


def policy_failures(result: dict, fail_on_change: bool, limit: Optional[tuple], fail_on_new_open: bool) -> list[str]:
    """Each CI policy the change breaks, as a sentence."""
    from yibao.change.summary import signed_yuan

    failures = []
    if fail_on_change and result["changed"]:
        failures.append("--fail-on-change：规则含义有变化")
    if fail_on_new_open and result["new_open_values"]:
        failures.append(f"--fail-on-new-open：新出现的待定值 {'、'.join(result['new_open_values'])}")
    totals = (result.get("impact") or {}).get("totals")
    if limit is not None and totals is not None:
        change, old = totals["fund_change"], totals["old_fund"]
        kind, amount = limit
        over = abs(change) * 100 > amount * old if kind == "percent" else abs(change) > amount
        if kind == "percent" and old == 0:
            over = change != 0
        if over:
            shown = f"{amount}%" if kind == "percent" else signed_yuan(amount)
            failures.append(f"--max-fund-change {shown}：基金支付合计变化 {signed_yuan(change)}（原 {signed_yuan(old)}）")
    return failures

"""``yibao report --out DIR [--diff OLD NEW]``: a static HTML page for a person to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from .common import compile_regulations, fail, province_of, write_atomically
from .diff import run_diff


@click.command("report")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="输出目录（写入 index.html）")
@click.option("--diff", "sides", nargs=2, metavar="OLD NEW", help="同时画出两个版本之间的变更及其影响（同 yibao diff）")
@click.option("--claims", "claims_file", help="--diff 所用的案例文件（JSON Lines）；缺省为 synth 生成的案例")
@click.option("--persons", type=click.IntRange(min=1), default=None, help="--diff 不给 --claims 时 synth 生成的人数（缺省 500）")
@click.option("--seed", type=int, default=1, show_default=True, help="synth 的随机种子")
@click.option("--invariant-persons", "checked", type=click.IntRange(min=0), default=100, show_default=True,
              help="每个城市用 synth 生成的参保人数，用于「每次结算」的省级不变式（同 yibao check --claims；0 不做动态检查）")
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
def report_command(out: Path, sides: Optional[tuple[str, str]], claims_file: Optional[str], persons: Optional[int],
                   seed: int, checked: int, rules: Optional[str]) -> None:
    """写出静态 HTML 报告 DIR/index.html（内嵌 SVG，不需要网络）：各市普通住院的支付曲线（按险种和医院等级），
    省级参数矩阵（同 yibao matrix，每格注明条文），省级不变式的检查结果（同 yibao check，违反照实列出）；
    给 --diff 时再加上规则变更及其对案例的影响（变化分布、按组的受益与受损）。

    退出状态：0 已写出（有不变式违反时也是 0，违反写在报告里）；2 规则、省级参数文件或参数不可用。
    """
    from yibao.crosscity.invariants import check_cities
    from yibao.crosscity.matrix import build_matrix
    from yibao.crosscity.regions import regions_of
    from yibao.report.curves import payout_curves
    from yibao.report.page import render_report

    diff = run_diff(sides[0], sides[1], claims_file, persons, seed, rules) if sides else None
    irs = [r.ir for r in compile_regulations(rules)]
    province = province_of(rules, irs)
    matrix = build_matrix(province.doc, regions_of(irs))
    outcomes = check_cities(province.doc, irs, checked, seed)
    page = render_report(payout_curves(irs), matrix, outcomes, province.files, diff)
    target = out / "index.html"
    try:
        write_atomically(target, page)
    except OSError as exc:
        raise fail(f"{target}: 无法写入报告（cannot write the report）：{exc.strerror or exc}")
    click.echo(str(target))

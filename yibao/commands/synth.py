"""``yibao synth``: generated person-years for one region, in the contract's JSON Lines."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from .common import compile_regulations, emit, fail


@click.command("synth")
@click.option("--region", required=True, help="参保地区划代码或城市名")
@click.option("--persons", type=click.IntRange(min=1), default=100, show_default=True, help="生成的参保人数")
@click.option("--seed", type=int, default=1, show_default=True, help="随机种子：同一种子生成同样的字节")
@click.option("--year", type=click.IntRange(min=1900, max=9999), help="就诊年份（缺省为最新规定施行的第一个整年）")
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
@click.option("--out", "output", type=click.Path(dir_okay=False, path_type=Path), help="写入文件（原子写入）")
def synth_command(region: str, persons: int, seed: int, year: Optional[int], rules: Optional[str],
                  output: Optional[Path]) -> None:
    """按地区规则文件声明的词表、标志、输入和施行期，确定性地生成参保人年度就诊案例（JSON Lines）。"""
    from yibao.crosscity.regions import RegionError, regions_of, resolve_region
    from yibao.crosscity.synth import SynthError, synthesize

    by_code = regions_of(r.ir for r in compile_regulations(rules))
    try:
        text = synthesize(by_code[resolve_region(region, by_code)], persons, seed, year)
    except (RegionError, SynthError) as exc:
        raise fail(f"--region/--year: {exc}")
    emit(text, output)

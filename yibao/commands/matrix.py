"""``yibao matrix``: the named province parameters side by side, by city."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import click

from .common import compile_regulations, emit, fail, province_of


@click.command("matrix")
@click.option("--date", "date_text", help="取各市在此日施行的规定（缺省为各市最新的规定）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--csv", "as_csv", is_flag=True, help="输出 CSV")
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="结果写入文件（原子写入）")
def matrix_command(date_text: Optional[str], as_json: bool, as_csv: bool, rules: Optional[str],
                   output: Optional[Path]) -> None:
    """按省级参数逐市并列各项参数，每格注明条文；待定、不适用照实写出。

    行来自 regulations/shandong/parameters.yb 的「省级参数」；某市没有同名的表或定义时该格为 —。
    """
    from yibao.crosscity.compare import CompareError, parse_date
    from yibao.crosscity.matrix import build_matrix, matrix_csv, matrix_text
    from yibao.crosscity.regions import regions_of

    if as_json and as_csv:
        raise fail("--json 与 --csv 只能选一个")
    try:
        date = parse_date(date_text)
    except CompareError as exc:
        raise fail(f"--date: {exc}")
    irs = [r.ir for r in compile_regulations(rules)]
    province = province_of(rules, irs)
    matrix = build_matrix(province.doc, regions_of(irs), date)
    rendered = (json.dumps(matrix, ensure_ascii=False, indent=2) + "\n" if as_json
                else matrix_csv(matrix) if as_csv else matrix_text(matrix))
    emit(rendered, output)

"""``yibao compare``: one case, or a claims file, settled under several cities side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import click

from .common import compile_regulations, emit, fail, loaded, read_case


@click.command("compare")
@click.argument("case_file", metavar="[CASE.json|CLAIMS.jsonl]", required=False)
@click.option("--regions", help="逗号分隔的地区（代码或城市名），缺省为全部已载入的地区")
@click.option("--date", "date_text", help="把案例的就诊日期整体移到此日（首次就诊落在该日，间隔和年龄不变）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--csv", "as_csv", is_flag=True, help="输出 CSV")
@click.option("--persons", type=click.IntRange(min=1), default=50, show_default=True,
              help="不给案例时：由 synth 为第一个地区生成的参保人数")
@click.option("--seed", type=int, default=1, show_default=True, help="不给案例时：synth 的随机种子")
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="结果写入文件（原子写入）")
def compare_command(case_file: Optional[str], regions: Optional[str], date_text: Optional[str], as_json: bool,
                    as_csv: bool, persons: int, seed: int, rules: Optional[str], output: Optional[Path]) -> None:
    """同一参保人和就诊按各市规定结算，逐次就诊并列基金支付、个人负担、起付线、比例和大额，并注明条文。

    CASE 为一个案例（JSON 对象）时逐次就诊列表；为 JSON Lines 时给出各市合计和结果不同的就诊，坏行列出行号和原因。
    不给 CASE 时用 synth 为第一个地区生成的案例。退出状态：0 已比较；1 有坏行；2 参数或输入不可用。
    """
    from yibao.crosscity import compare as C
    from yibao.crosscity.regions import RegionError, regions_of, resolve_regions
    from yibao.runtime import Engine

    if as_json and as_csv:
        raise fail("--json 与 --csv 只能选一个")
    results = compile_regulations(rules)
    by_code = regions_of(r.ir for r in results)
    try:
        codes = resolve_regions(regions, by_code) if regions else list(by_code)
        date = C.parse_date(date_text)
    except (RegionError, C.CompareError) as exc:
        raise fail(f"--regions/--date: {exc}")
    names = {code: group[0]["regulation"]["region_name"] for code, group in by_code.items()}
    engine = loaded((r.ir for r in results), Engine)
    text, name = _claims_text(case_file, by_code, codes, persons, seed)
    single = _single_case(text, name)
    if single is not None:
        compared = C.compare_case(engine, single, codes, names, date)
        rendered = (json.dumps(compared, ensure_ascii=False, indent=2) + "\n" if as_json
                    else C.case_csv(compared) if as_csv else C.case_text(compared))
        emit(rendered, output)
        return
    good, bad = C.read_claims(text, name)
    report = C.compare_claims(engine, good, bad, codes, names, date)
    rendered = (json.dumps(report, ensure_ascii=False, indent=2) + "\n" if as_json
                else C.claims_csv(report) if as_csv else C.claims_text(report))
    emit(rendered, output)
    raise click.exceptions.Exit(1 if report["bad_lines"] else 0)


def _claims_text(case_file: Optional[str], by_code: dict, codes: list[str], persons: int, seed: int) -> tuple[str, str]:
    if case_file is not None:
        return read_case(case_file)
    from yibao.crosscity.synth import synthesize

    return synthesize(by_code[codes[0]], persons, seed), f"synth:{codes[0]}:seed={seed}"


def _single_case(text: str, name: str):
    """The case when the text is one JSON object that is not a one-line claims file, else None."""
    from yibao.runtime import CaseError, load_case_text

    if name.endswith((".jsonl", ".ndjson")) or name.startswith("synth:"):
        return None
    try:
        return load_case_text(text, name)
    except CaseError as exc:
        if len([line for line in text.splitlines() if line.strip()]) > 1:
            return None  # several lines that are not one JSON document: JSON Lines
        raise fail(str(exc))

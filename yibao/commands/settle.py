"""``yibao settle``, ``contribute`` and ``explain``: one case through the runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from .common import RegionRules, emit, fail, read_case


def _case_options(command):
    """The arguments settle and contribute share: the case file and where the rules and the output go."""
    for option in reversed([
        click.argument("case_file", metavar="CASE.json"),
        click.option("--region", help="参保地区划代码或城市名，覆盖 CASE 中的 region"),
        click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）"),
        click.option("--no-trace", is_flag=True, help="不输出 trace"),
        click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="结果写入文件（原子写入）"),
    ]):
        command = option(command)
    return command


@click.command("settle")
@_case_options
def settle_command(case_file: str, region: Optional[str], rules: Optional[str], no_trace: bool, output: Optional[Path]) -> None:
    """按 spec/settlement-io.md 结算 CASE.json（- 为标准输入）。"""
    result = _settle(case_file, region, rules, trace=not no_trace)
    from yibao.runtime import dumps_output

    emit(dumps_output(result.output), output)
    raise click.exceptions.Exit(result.status)


def _settle(case_file: str, region: Optional[str], rules: Optional[str], *, trace: bool):
    from yibao.runtime import CaseError, load_case_text

    text, name = read_case(case_file)
    regions = RegionRules(rules, "settle")
    try:
        case = load_case_text(text, name)
        regions.refuse_if_broken(case, region, name)
        return regions.engine().settle(case, region=region, trace=trace)
    except CaseError as exc:
        raise fail(str(exc))


@click.command("contribute")
@_case_options
def contribute_command(case_file: str, region: Optional[str], rules: Optional[str], no_trace: bool,
                       output: Optional[Path]) -> None:
    """按 spec/settlement-io.md 第 2 节计算 CASE.json 一个月的缴费和个人账户划入（- 为标准输入）。

    退出状态同结算：0 已算出（规定未定的输出为 null，列在 undetermined 中，这不是错误）；1 无法按规定计算
    （缴费日期没有施行中的规定等，输出含 error）；2 输入或规则不可用（stderr 指明字段）。
    """
    from yibao.runtime import CaseError, dumps_output, load_case_text

    text, name = read_case(case_file)
    regions = RegionRules(rules, "contribute")
    try:
        case = load_case_text(text, name)
        regions.refuse_if_broken(case, region, name)
        result = regions.engine().contribute(case, region=region, trace=not no_trace)
    except CaseError as exc:
        raise fail(str(exc))
    emit(dumps_output(result.output), output)
    raise click.exceptions.Exit(result.status)


@click.command("explain")
@click.argument("case_file", metavar="CASE.json")
@click.option("--region", help="参保地区划代码或城市名，覆盖 CASE 中的 region")
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
def explain_command(case_file: str, region: Optional[str], rules: Optional[str]) -> None:
    """打印引用条文的中文结算单。"""
    from yibao.runtime import explain

    result = _settle(case_file, region, rules, trace=True)
    click.echo(explain(result.output))
    raise click.exceptions.Exit(result.status)

"""``yibao settle``, ``contribute`` and ``explain``: one case through the runtime.

The rules come from the IR cache (``irstore``: compiled once, only the case's region loaded) or, with
``--ir FILE`` (repeatable), from precompiled IR files used as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from . import batch
from .common import build_engine, emit, fail, read_case, region_of, regulations

_IR_OPTION = click.option("--ir", "ir_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
                          help="使用预先编译的 IR 文件（可重复）；不编译规则，也不用缓存")


def _case_options(command):
    """The arguments settle and contribute share: the case file and where the rules and the output go."""
    for option in reversed([
        click.argument("case_file", metavar="CASE.json", required=False),
        click.option("--region", help="参保地区划代码或城市名，覆盖 CASE 中的 region"),
        click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）"),
        _IR_OPTION,
        click.option("--no-trace", is_flag=True, help="不输出 trace"),
        click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="结果写入文件（原子写入）"),
    ]):
        command = option(command)
    return command


@click.command("settle")
@_case_options
@batch.batch_options
def settle_command(case_file: Optional[str], region: Optional[str], rules: Optional[str], ir_files: tuple, no_trace: bool,
                   output: Optional[Path], **batch_args) -> None:
    """按 docs/contract.md 结算 CASE.json（- 为标准输入）；或 --batch IN --out OUT 批量结算（docs/batch.md）。"""
    if batch_args["batch_in"] is not None:
        if case_file is not None:
            raise fail(f"{case_file}: --batch 时不接受 CASE.json（二者择一）")
        batch.run(region=region, rules=rules, ir_files=ir_files, **batch_args)
    if case_file is None:
        raise fail("缺少 CASE.json（或用 --batch IN --out OUT 批量结算）")
    _, result = _settle(case_file, region, rules, ir_files, trace=not no_trace)
    from yibao.runtime import dumps_output

    emit(dumps_output(result.output), output)
    raise click.exceptions.Exit(result.status)


def _run(kind, case_file: str, region: Optional[str], rules: Optional[str], ir_files: tuple, **options):
    """(engine, result) of one case through ``Engine.settle`` or ``ContributionEngine.contribute``."""
    from yibao.runtime import CaseError, Engine, load_case_text

    text, name = read_case(case_file)
    which = "settle" if kind is Engine else "contribute"
    engine = build_engine(kind, regulations(rules, ir_files, lambda: region_of(text, name, region), kind=which, name=name),
                          bool(ir_files))
    run = engine.settle if kind is Engine else engine.contribute
    try:
        return engine, run(load_case_text(text, name), region=region, **options)
    except CaseError as exc:
        raise fail(str(exc))


def _settle(case_file: str, region: Optional[str], rules: Optional[str], ir_files: tuple, *, trace: bool):
    from yibao.runtime import Engine

    return _run(Engine, case_file, region, rules, ir_files, trace=trace)


@click.command("contribute")
@_case_options
def contribute_command(case_file: str, region: Optional[str], rules: Optional[str], ir_files: tuple,
                       no_trace: bool, output: Optional[Path]) -> None:
    """按 docs/contract.md 第 2 节计算 CASE.json 一个月的缴费和个人账户划入（- 为标准输入）。

    退出状态同结算：0 已算出（规定未定的输出为 null，列在 undetermined 中，这不是错误）；1 无法按规定计算
    （缴费日期没有施行中的规定等，输出含 error）；2 输入或规则不可用（stderr 指明字段）。
    """
    from yibao.runtime import ContributionEngine, dumps_output

    if case_file is None:
        raise fail("缺少 CASE.json")
    _, result = _run(ContributionEngine, case_file, region, rules, ir_files, trace=not no_trace)
    emit(dumps_output(result.output), output)
    raise click.exceptions.Exit(result.status)


@click.command("explain")
@click.argument("case_file", metavar="CASE.json")
@click.option("--region", help="参保地区划代码或城市名，覆盖 CASE 中的 region")
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
@_IR_OPTION
def explain_command(case_file: str, region: Optional[str], rules: Optional[str], ir_files: tuple) -> None:
    """打印引用条文的中文结算单。"""
    from yibao.runtime import explain

    engine, result = _settle(case_file, region, rules, ir_files, trace=True)
    click.echo(explain(result.output, engine))
    raise click.exceptions.Exit(result.status)

"""``yibao compile`` and ``yibao check``: the rule files themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from yibao.compiler.diagnostics import Severity, has_errors, render

from .common import emit, fail, render_all, rules_root


@click.command("compile")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="IR 输出文件（缺省写到标准输出）")
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
def compile_command(file: str, output: Optional[Path], rules: Optional[str]) -> None:
    """编译规则文件 FILE，输出 IR（JSON）。"""
    from yibao.compiler.driver import compile_path
    from yibao.compiler.lower import canonical_json

    from yibao.compiler.driver import check_module

    if not Path(file).is_file():
        raise fail(f"{file}: 文件不存在 (file not found)")
    module = check_module(file, root=rules_root(rules))
    if module is not None:  # a module has no IR of its own: its users' IR carries it
        _report_module(module, err=True)
        raise fail(f"{file}: 模块不单独编译成 IR；请编译采用它的城市文件 (compile a city file that adopts it)")
    result = compile_path(file, root=rules_root(rules))
    if result.diagnostics:
        click.echo(render_all(result), err=True)
    if result.ir is None or has_errors(result.diagnostics):
        raise click.exceptions.Exit(2)
    emit(canonical_json(result.ir).decode("utf-8"), output)


@click.command("check")
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
@click.option("--strict", is_flag=True, help="条文原文中含数字的条文有未编码的（缺），以状态 1 退出")
def check_command(path: Optional[str], rules: Optional[str], strict: bool) -> None:
    """静态检查：报告全部诊断，列出每个待定值及其条文，并对照条文原文报告覆盖情况。"""
    from yibao.compiler.driver import check_module, compile_all, compile_path

    if path and Path(path).is_file():
        module = check_module(path, root=rules_root(rules))
        if module is not None:
            raise click.exceptions.Exit(_report_module(module))
        results = [compile_path(path, root=rules_root(rules))]
    else:
        results = compile_all(Path(path) if path else rules_root(rules))
    failed, missing = False, 0
    for result in results:
        errors, absent = _report_check(result)
        failed, missing = failed or errors, missing + absent
    raise click.exceptions.Exit(2 if failed else 1 if strict and missing else 0)


def _report_check(result) -> tuple[bool, int]:
    """Print one regulation's check; return whether it has errors and how many articles it misses."""
    from yibao.compiler.coverage import coverage, render_coverage, source_text_beside
    from yibao.compiler.diagnostics import word

    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    if result.diagnostics:
        click.echo(render_all(result))
    if result.ir is None:
        click.echo(f"✗ {result.path}: {len(errors)} 个错误")
        return True, 0
    reg = result.ir["regulation"]
    start, end = reg["effective"]
    click.echo(f"✓ {reg['region_name']}（{reg['region_code']}）{reg['title']}  施行 {start} 至 {end or '—'}  [{reg['source']}]")
    opens = result.ir["open_values"]
    click.echo(f"  待定值 {len(opens)} 项：")
    for item in opens:
        click.echo(f"    {item['article'] or '—'}  {item['name']}：{item['reason']}  ({item['at']})")
    notes = result.ir["interpretations"]
    click.echo(f"  解释 {len(notes)} 项：")
    for note in notes:
        click.echo(f"    {note['article'] or '—'}  {note['text']}")
    source = source_text_beside(result.file) if result.file else None
    if source is None:
        name = f"{Path(result.path).stem}.source.txt"
        click.echo("  " + word("coverage.no_source", name=name))
        return bool(errors), 0
    report = coverage(result.ir, source.read_text(encoding="utf-8"))
    if report.diagnostics:
        click.echo("\n".join(render(d, result.sources) for d in report.diagnostics))
    summary, *lines = render_coverage(report)
    click.echo("  " + summary)
    for line in lines:
        click.echo("    " + line)
    return bool(errors), len(report.missing)


def _report_module(module, err: bool = False) -> int:
    """A module's check: a note that it is one and which city files use it, and its own diagnostics."""
    from yibao.compiler.diagnostics import word

    users = "、".join(r.path for r in module.users) or word("module.no_users")
    click.echo(word("module.note", path=module.path, users=users), err=err)
    if module.diagnostics:
        click.echo("\n".join(render(d, module.sources) for d in module.diagnostics), err=err)
    errors = sum(d.severity is Severity.ERROR for d in module.diagnostics)
    click.echo(f"{'✗' if errors else '✓'} {module.path}: {errors} 个错误", err=err)
    return 2 if errors else 0

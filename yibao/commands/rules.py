"""``yibao compile`` and ``yibao check``: the rule files themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from .common import city_folder, emit, fail, render_all, rules_root


@click.command("compile")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="IR 输出文件（缺省写到标准输出）")
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
def compile_command(file: str, output: Optional[Path], rules: Optional[str]) -> None:
    """编译规则文件 FILE，输出 IR（JSON）。"""
    from yibao.compiler.diagnostics import has_errors
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
@click.option("--format", "form", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="text：供人阅读；json：每条诊断一行 JSON；github：GitHub Actions 注解（见 docs/diagnostics.md）")
@click.option("--claims", "persons", type=click.IntRange(min=0), default=100, show_default=True,
              help="每个城市用 synth 生成的参保人数，用于「每次结算」的省级不变式（0 不做动态检查）")
@click.option("--seed", type=int, default=1, show_default=True, help="synth 的随机种子")
def check_command(path: Optional[str], rules: Optional[str], strict: bool, form: str, persons: int, seed: int) -> None:
    """静态检查：报告全部诊断，列出每个待定值及其条文，对照条文原文报告覆盖情况，并逐市检查省级不变式。

    退出状态：2 规则文件有错误；1 有未豁免的省级不变式违反（或 --strict 时有缺编码的条文）；0 其余。
    """
    from yibao.compiler.driver import check_module, compile_all, compile_path, default_root, discover_regulations

    folder = city_folder(path)
    root = Path(path) if path and not Path(path).is_file() and folder is None else (rules_root(rules) or default_root())
    results = compile_all(root)
    if path and Path(path).is_file():
        module = check_module(path, root=rules_root(rules))
        if module is not None:  # a shared module: checked through the city files that adopt it
            raise click.exceptions.Exit(_report_module(module))
    if folder is not None:  # the folder's cities, against the modules of the rules root
        checked = [compile_path(p, root=root) for p in discover_regulations(folder)]
        mine = {r.path for r in checked}
        context = [r for r in results if r.ir is not None and r.path not in mine]
    elif path and Path(path).is_file():
        single = compile_path(path, root=rules_root(rules))
        others = [r for r in results if r.ir is not None and (single.ir is None or r.path != single.path)]
        checked, context = [single], others
    else:
        checked, context = results, []
    machine = None if form == "text" else _machine_renderer(form, root)
    shown: set = set()  # a shared module's diagnostics, printed with the first version that uses the module
    report = (lambda result: _report_check(result, shown)) if machine is None else _machine_report(machine)
    failed, missing = False, 0
    for result in checked:
        errors, absent = report(result)
        failed, missing = failed or errors, missing + absent
    if failed:
        raise click.exceptions.Exit(2)
    violated = _report_province(root, [r.ir for r in checked], [r.ir for r in context], persons, seed, machine)
    raise click.exceptions.Exit(2 if violated is None else 1 if violated or (strict and missing) else 0)


def _report_province(root: Path, irs: list, context: list, persons: int, seed: int, machine=None) -> Optional[int]:
    """Hold every checked city to the province invariants; the number of unwaived violations (None: the
    province files have errors). ``context`` are the other cities, which only serve to resolve names. With a
    ``machine`` renderer the province's diagnostics go through it and the outcome table goes to stderr, so stdout
    stays one diagnostic per line; there the table is shown only when something is violated."""
    from yibao.compiler.diagnostics import Severity, render
    from yibao.crosscity.invariants import check_cities, render_outcomes, unwaived
    from yibao.crosscity.province import load_province

    province = load_province(root, [*irs, *context])
    for d in province.diagnostics:
        click.echo(render(d, province.sources) if machine is None else machine(d))
    if province.doc is None:
        click.echo(f"✗ 省级不变式：{sum(d.severity is Severity.ERROR for d in province.diagnostics)} 个错误", err=machine is not None)
        return None
    if not province.files:
        return 0
    irs = [ir for ir in irs if _settles(ir, machine)]
    outcomes = check_cities(province.doc, irs, persons, seed)
    violations = len(unwaived(outcomes))
    if machine is None or violations:
        click.echo("\n".join(render_outcomes(outcomes, province.files)), err=machine is not None)
    return violations


def _settles(ir: dict, machine) -> bool:
    """Whether ``ir`` settles claims (it has the settlement model's outputs): only such a regulation is held to the
    province invariants; a file of worked examples only (the language reference's fixtures) is skipped, saying so."""
    from yibao.runtime import Engine, IRError, Regulation

    try:
        Engine([Regulation.from_ir(ir)])
    except IRError as exc:
        click.echo(f"  – 省级不变式不适用于《{ir['regulation']['title']}》：{exc}", err=machine is not None)
        return False
    return True


def _coverage_of(result):
    from yibao.compiler.coverage import coverage_beside

    return coverage_beside(result.ir, result.file)


def _machine_renderer(form: str, root: Path):
    """One diagnostic as a JSON line or a GitHub annotation. A span's file is shown as a path from the
    current directory when it is a file under the rules root."""
    import os

    from yibao.compiler.diagnostics import render_github, render_json

    renderer = render_json if form == "json" else render_github

    def file_of(name: str) -> str:
        on_disk = root / name
        return os.path.relpath(on_disk) if on_disk.is_file() else name

    return lambda d: renderer(d, file_of)


def _machine_report(machine):
    """A reporter printing only diagnostics, one per line, through ``machine``."""
    from yibao.compiler.diagnostics import has_errors

    def report(result) -> tuple[bool, int]:
        cover = _coverage_of(result)
        for d in [*result.diagnostics, *(cover.diagnostics if cover else ())]:
            click.echo(machine(d))
        return has_errors(result.diagnostics) or result.ir is None, len(cover.missing) if cover else 0

    return report


def _new_diagnostics(result, shown: set) -> tuple[list, list]:
    """(to print, already printed): the result's own diagnostics are always new; a module's only once."""
    fresh, repeated = [], []
    for d in result.diagnostics:
        key = (d.code, d.span and (d.span.file, d.span.line, d.span.col), d.message)
        in_module = d.span is not None and d.span.file != result.path
        (repeated if in_module and key in shown else fresh).append(d)
        if in_module:
            shown.add(key)
    return fresh, repeated


def _report_check(result, shown: set) -> tuple[bool, int]:
    """Print one regulation's check; return whether it has errors and how many articles it misses. A
    diagnostic in a shared module is printed once, with the first regulation that uses the module (``shown``)."""
    from yibao.compiler.coverage import render_coverage
    from yibao.compiler.diagnostics import Severity, render, word

    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    fresh, repeated = _new_diagnostics(result, shown)
    if fresh:
        click.echo("\n".join(render(d, result.sources) for d in fresh))
    if repeated:
        click.echo(word("check.module_repeated", count=len(repeated)))
    if result.ir is None:
        click.echo(f"✗ {result.path}: {len(errors)} 个错误")
        return True, 0
    reg = result.ir["regulation"]
    start, end = reg["effective"]
    click.echo(f"✓ {reg['region_name']}（{reg['region_code']}）{reg['title']}  施行 {start} 至 {end or '—'}  [{reg['source']}]")
    _report_amendment(result)
    opens = result.ir["open_values"]
    click.echo(f"  待定值 {len(opens)} 项：")
    for item in opens:
        click.echo(f"    {item['article'] or '—'}  {item['name']}：{item['reason']}  ({item['at']})")
    notes = result.ir["interpretations"]
    click.echo(f"  解释 {len(notes)} 项：")
    for note in notes:
        click.echo(f"    {note['article'] or '—'}  {note['text']}")
    report = _coverage_of(result)
    if report is None:
        name = f"{Path(result.path).stem}.source.txt"
        click.echo("  " + word("coverage.no_source", name=name))
        return bool(errors), 0
    if report.diagnostics:
        click.echo("\n".join(render(d, result.sources) for d in report.diagnostics))
    summary, *lines = render_coverage(report)
    click.echo("  " + summary)
    for line in lines:
        click.echo("    " + line)
    return bool(errors), len(report.missing)


def _report_amendment(result) -> None:
    """What a 修订 changes in the version it amends, element by element, by the comparison ``yibao diff`` makes.
    Examples are left out: the amended version keeps the earlier's (dated anew) and ``yibao test`` runs them."""
    from yibao.change.semantic import semantic_changes, show_value
    from yibao.compiler.diagnostics import word

    if result.amendment is None or result.earlier is None or result.earlier.ir is None:
        return
    changes = [c for c in semantic_changes(result.earlier.ir, result.ir) if not c.kind.endswith("例")]  # 例, 缴费·例
    click.echo("  " + word("amend.changes", earlier=result.amendment.earlier, count=len(changes)))
    for c in changes:
        click.echo(f"    {c.article or '—'}  {c.kind} {c.name} {c.action}：{show_value(c.old) or '—'} → {show_value(c.new) or '—'}")


def _report_module(module, err: bool = False) -> int:
    """A module's check: a note that it is one and which city files use it, and its own diagnostics."""
    from yibao.compiler.diagnostics import Severity, render, word

    users = "、".join(r.path for r in module.users) or word("module.no_users")
    click.echo(word("module.note", path=module.path, users=users), err=err)
    if module.diagnostics:
        click.echo("\n".join(render(d, module.sources) for d in module.diagnostics), err=err)
    errors = sum(d.severity is Severity.ERROR for d in module.diagnostics)
    click.echo(f"{'✗' if errors else '✓'} {module.path}: {errors} 个错误", err=err)
    return 2 if errors else 0

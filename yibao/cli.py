"""The ``yibao`` command line: compile, check, settle, explain, test.

Exit statuses follow the settlement contract: 0 all good; 1 some encounters (or examples) failed but
the output is complete; 2 the input or the rules cannot be used at all (then stdout is empty and stderr
names the file, the place and what was expected).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Optional

import click

from yibao.compiler.diagnostics import Severity, has_errors, render


def _fail(message: str) -> "click.exceptions.Exit":
    click.echo(message, err=True)
    return click.exceptions.Exit(2)


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it into place, so a reader never sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _emit(text: str, output: Optional[Path]) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _write_atomically(output, text)


def _render_all(result) -> str:
    return "\n".join(render(d, result.sources) for d in result.diagnostics)


def _rules_root(rules: Optional[str]) -> Optional[Path]:
    return Path(rules) if rules else None


def _compile_regulations(rules: Optional[str]):
    """Compile every city regulation under the rules root; exit 2 with all diagnostics if any fails."""
    from yibao.compiler.driver import compile_all

    results = compile_all(_rules_root(rules))
    bad = [r for r in results if has_errors(r.diagnostics)]
    if bad:
        raise _fail("\n".join(_render_all(r) for r in bad) + "\n规则文件有错误，无法结算 (rule files have errors)")
    return results


def _loaded(irs, build=list):
    """Load compiled IR into the runtime. The compiler made it, so a refusal here is a compiler bug:
    say so plainly instead of showing a traceback."""
    from yibao.runtime import IRError, Regulation

    try:
        return build([Regulation.from_ir(ir) for ir in irs])
    except IRError as exc:
        raise _fail(f"内部错误（编译器缺陷 compiler bug）：运行时拒绝了编译出的 IR：{exc}")


def _engine(rules: Optional[str]):
    from yibao.runtime import Engine

    return _loaded((r.ir for r in _compile_regulations(rules)), Engine)


def _read_case(case_file: str) -> tuple[str, str]:
    if case_file == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return Path(case_file).read_text(encoding="utf-8"), case_file
    except FileNotFoundError:
        raise _fail(f"{case_file}: 文件不存在 (file not found)")
    except (UnicodeDecodeError, OSError) as exc:
        raise _fail(f"{case_file}: 无法读取：{exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yibao")
def main() -> None:
    """yibao：医保规定的规则语言、编译器和确定性运行时。"""


@main.command("compile")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="IR 输出文件（缺省写到标准输出）")
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
def compile_command(file: str, output: Optional[Path], rules: Optional[str]) -> None:
    """编译规则文件 FILE，输出 IR（JSON）。"""
    from yibao.compiler.driver import compile_path
    from yibao.compiler.lower import canonical_json

    if not Path(file).is_file():
        raise _fail(f"{file}: 文件不存在 (file not found)")
    result = compile_path(file, root=_rules_root(rules))
    if result.diagnostics:
        click.echo(_render_all(result), err=True)
    if result.ir is None or has_errors(result.diagnostics):
        raise click.exceptions.Exit(2)
    _emit(canonical_json(result.ir).decode("utf-8"), output)


@main.command("check")
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
@click.option("--strict", is_flag=True, help="条文原文中含数字的条文有未编码的（缺），以状态 1 退出")
def check_command(path: Optional[str], rules: Optional[str], strict: bool) -> None:
    """静态检查：报告全部诊断，列出每个待定值及其条文，并对照条文原文报告覆盖情况。"""
    from yibao.compiler.driver import compile_all, compile_path

    if path and Path(path).is_file():
        results = [compile_path(path, root=_rules_root(rules))]
    else:
        results = compile_all(Path(path) if path else _rules_root(rules))
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
        click.echo(_render_all(result))
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


@main.command("settle")
@_case_options
def settle_command(case_file: str, region: Optional[str], rules: Optional[str], no_trace: bool, output: Optional[Path]) -> None:
    """按 spec/settlement-io.md 结算 CASE.json（- 为标准输入）。"""
    result = _settle(case_file, region, rules, trace=not no_trace)
    from yibao.runtime import dumps_output

    _emit(dumps_output(result.output), output)
    raise click.exceptions.Exit(result.status)


def _settle(case_file: str, region: Optional[str], rules: Optional[str], *, trace: bool):
    from yibao.runtime import CaseError, load_case_text

    text, name = _read_case(case_file)
    engine = _engine(rules)
    try:
        case = load_case_text(text, name)
        return engine.settle(case, region=region, trace=trace)
    except CaseError as exc:
        raise _fail(str(exc))


@main.command("contribute")
@_case_options
def contribute_command(case_file: str, region: Optional[str], rules: Optional[str], no_trace: bool,
                       output: Optional[Path]) -> None:
    """按 spec/settlement-io.md 第 2 节计算 CASE.json 一个月的缴费和个人账户划入（- 为标准输入）。

    退出状态同结算：0 已算出（规定未定的输出为 null，列在 undetermined 中，这不是错误）；1 无法按规定计算
    （缴费日期没有施行中的规定等，输出含 error）；2 输入或规则不可用（stderr 指明字段）。
    """
    from yibao.runtime import CaseError, ContributionEngine, dumps_output, load_case_text

    text, name = _read_case(case_file)
    engine = _loaded((r.ir for r in _compile_regulations(rules)), ContributionEngine)
    try:
        result = engine.contribute(load_case_text(text, name), region=region, trace=not no_trace)
    except CaseError as exc:
        raise _fail(str(exc))
    _emit(dumps_output(result.output), output)
    raise click.exceptions.Exit(result.status)


@main.command("explain")
@click.argument("case_file", metavar="CASE.json")
@click.option("--region", help="参保地区划代码或城市名，覆盖 CASE 中的 region")
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
def explain_command(case_file: str, region: Optional[str], rules: Optional[str]) -> None:
    """打印引用条文的中文结算单。"""
    from yibao.runtime import explain

    result = _settle(case_file, region, rules, trace=True)
    click.echo(explain(result.output))
    raise click.exceptions.Exit(result.status)


@main.command("test")
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
@click.option("-v", "--verbose", is_flag=True, help="列出每个示例和用例")
def test_command(path: Optional[str], rules: Optional[str], verbose: bool) -> None:
    """运行条文旁的示例和各市的一致性用例（*.cases.yaml），打印城市 × 功能通过矩阵。"""
    from yibao.compiler.driver import compile_all, compile_path

    if path and Path(path).is_file():
        results = [compile_path(path, root=_rules_root(rules))]
    else:
        results = compile_all(Path(path) if path else _rules_root(rules))
    broken = [r for r in results if r.ir is None or has_errors(r.diagnostics)]
    if broken:
        raise _fail("\n".join(_render_all(r) for r in broken))
    matrix = _TestMatrix()
    for result in results:
        _run_city(result, matrix, verbose)
    click.echo(matrix.render())
    click.echo(f"{matrix.passed} passed, {matrix.failed} failed")
    raise click.exceptions.Exit(1 if matrix.failed else 0)


def _run_city(result, matrix: "_TestMatrix", verbose: bool) -> None:
    from yibao.conformance import CaseFileError, case_files_beside, load_case_file, run_case
    from yibao.runtime import Engine, run_examples

    (regulation,) = _loaded([result.ir])
    city = result.ir["regulation"]["region_name"]
    for outcome in run_examples(regulation):
        matrix.add(city, "条文示例", outcome.passed)
        if verbose or not outcome.passed:
            _print_outcome(outcome.passed, f"{outcome.article or ''} {outcome.title}", outcome.at, outcome.describe_failures())
    engine = Engine([regulation])
    for case_file in case_files_beside(result.file) if result.file else ():
        try:
            _, cases = load_case_file(case_file)
        except CaseFileError as exc:
            raise _fail(str(exc))
        for case in cases:
            outcome = run_case(engine, case)
            matrix.add(city, case.feature, outcome.passed)
            if verbose or not outcome.passed:
                _print_outcome(outcome.passed, f"{case.article or ''} {case.name}", case_file.name, outcome.problems)


def _print_outcome(passed: bool, title: str, where: str, problems) -> None:
    click.echo(f"  {'✓' if passed else '✗'} {title}  ({where})")
    for line in problems:
        click.echo(f"      {line}")


class _TestMatrix:
    """Pass counts by feature (rows) and city (columns), in the order first seen."""

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str], list[int]] = {}
        self.cities: list[str] = []
        self.features: list[str] = []
        self.passed = self.failed = 0

    def add(self, city: str, feature: str, passed: bool) -> None:
        if city not in self.cities:
            self.cities.append(city)
        if feature not in self.features:
            self.features.append(feature)
        cell = self.cells.setdefault((feature, city), [0, 0])
        cell[0] += passed
        cell[1] += 1
        self.passed += passed
        self.failed += not passed

    def render(self) -> str:
        width = max([_width(f) for f in self.features] + [4]) + 2
        lines = [_pad("功能 \\ 城市", width) + "".join(_pad(c, 12) for c in self.cities)]
        for feature in self.features:
            row = _pad(feature, width)
            for city in self.cities:
                ok, total = self.cells.get((feature, city), (0, 0))
                mark = "—" if total == 0 else f"{'✓' if ok == total else '✗'} {ok}/{total}"
                row += _pad(mark, 12)
            lines.append(row.rstrip())
        return "\n".join(lines)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 1)


if __name__ == "__main__":  # pragma: no cover
    main()

"""``yibao test``: the worked examples beside the clauses and each city's conformance cases."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from .common import city_folder, fail, loaded, render_all, rules_root


@click.command("test")
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--rules", type=click.Path(file_okay=False), help="规则根目录（缺省为随包的 regulations）")
@click.option("-v", "--verbose", is_flag=True, help="列出每个示例和用例")
def test_command(path: Optional[str], rules: Optional[str], verbose: bool) -> None:
    """运行条文旁的示例和各市的一致性用例（*.cases.yaml），打印城市 × 功能通过矩阵。"""
    from yibao.compiler.diagnostics import has_errors
    from yibao.compiler.driver import check_module, compile_all, compile_path, discover_regulations

    folder = city_folder(path)
    module = check_module(path, root=rules_root(rules)) if path and Path(path).is_file() else None
    if module is not None:  # a shared module is tested through the city files that adopt it
        results = module.users
    elif path and Path(path).is_file():
        results = [compile_path(path, root=rules_root(rules))]
    elif folder is not None:  # the folder's cities, against the modules of the rules root
        results = [compile_path(p, root=rules_root(rules)) for p in discover_regulations(folder)]
    else:
        results = compile_all(Path(path) if path else rules_root(rules))
    broken = [r for r in results if r.ir is None or has_errors(r.diagnostics)]
    for result in broken:  # reported, and the other cities are still tested
        click.echo(render_all(result), err=True)
    matrix = _TestMatrix()
    unusable = 0
    for group in _regions([r for r in results if r not in broken]):
        unusable += not _run_region(group, matrix, verbose)
    click.echo(matrix.render())
    click.echo(f"{matrix.passed} passed, {matrix.failed} failed")
    if broken or unusable:
        click.echo(f"{len(broken) + unusable} 个规则文件未能测试（见上）", err=True)
    raise click.exceptions.Exit(2 if broken or unusable else 1 if matrix.failed else 0)


def _regions(results) -> list[list]:
    """The compiled versions by region, in the order first seen; an amendment brings the version it changes,
    so that every version of the region is loaded together."""
    groups: dict[str, list] = {}
    seen: set[str] = set()
    for result in results:
        chain = [result]
        while chain[-1].earlier is not None and chain[-1].earlier.ir is not None:
            chain.append(chain[-1].earlier)
        for version in reversed(chain):
            if version.path not in seen:
                seen.add(version.path)
                groups.setdefault(version.ir["regulation"]["region_code"], []).append(version)
    return list(groups.values())


def _run_region(group: list, matrix: "_TestMatrix", verbose: bool) -> bool:
    """Every version's worked examples, then the region's case files against all its versions at once (each
    encounter settled by the version in force on its date). False when the versions cannot be loaded together."""
    from yibao.conformance import CaseFileError, case_files_beside, load_case_file, run_case
    from yibao.runtime import Engine, IRError
    from yibao.testing import run_examples

    regulations = loaded([r.ir for r in group])
    city = group[0].ir["regulation"]["region_name"]
    for regulation in regulations:
        others = tuple(r for r in regulations if r is not regulation)
        for outcome in run_examples(regulation, others):
            matrix.add(city, "条文示例", outcome.passed)
            if verbose or not outcome.passed:
                _print_outcome(outcome.passed, f"{outcome.article or ''} {outcome.title}", outcome.at, outcome.describe_failures())
    case_files = list(dict.fromkeys(f for r in group if r.file for f in case_files_beside(r.file)))
    if not case_files:
        return True  # a rule file with worked examples only (a fixture) need not settle whole claims
    try:
        engine = Engine(regulations)
    except IRError as exc:
        click.echo(f"{city}: {exc}", err=True)
        return False
    for case_file in case_files:
        try:
            _, cases = load_case_file(case_file)
        except CaseFileError as exc:
            raise fail(str(exc))
        for case in cases:
            outcome = run_case(engine, case)
            matrix.add(city, case.feature, outcome.passed)
            if verbose or not outcome.passed:
                _print_outcome(outcome.passed, f"{case.article or ''} {case.name}", case_file.name, outcome.problems)
    return True


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

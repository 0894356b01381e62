"""``yibao fmt``: rewrite rule files in the house style (docs/formatting.md), or check that they are."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from .common import write_atomically


@click.command("fmt")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--check", is_flag=True, help="不改文件：有未按格式书写的，打印差异并以状态 1 退出")
def fmt_command(files: tuple[str, ...], check: bool) -> None:
    """按统一格式重写规则文件 FILE…（目录则为其中全部 *.yb；- 为标准输入到标准输出）。

    不能解析的文件不做改动，报告语法错误，以状态 2 退出。"""
    status = 0
    for path in _rule_files(files):
        status = max(status, _format_one(path, check))
    raise click.exceptions.Exit(status)


def _rule_files(files: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for name in files:
        path = Path(name)
        out += [str(p) for p in sorted(path.rglob("*.yb"))] if path.is_dir() else [name]
    return out


def _format_one(name: str, check: bool) -> int:
    """Format or check one file; its exit status (0 formatted, 1 would change under --check, 2 unusable)."""
    from yibao.compiler.diagnostics import render
    from yibao.compiler.format import format_source
    from yibao.compiler.parse import decode

    if name == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            click.echo(f"{name}: 无法读取 (cannot read): {exc.strerror or exc}", err=True)
            return 2
    text, found = decode(data, name)
    result = format_source(text, name) if text is not None else None
    if result is None or not result.ok:
        sources = {name: text if text is not None else data.decode("utf-8", errors="replace")}
        for d in found if result is None else result.diagnostics:
            click.echo(render(d, sources), err=True)
        click.echo(f"{name}: 有语法错误，未格式化 (not formatted: syntax errors)", err=True)
        return 2
    if name == "-":
        click.echo(result.text if not check else "", nl=False)
        return 1 if check and result.text != text else 0
    if result.text == text:
        return 0
    if check:
        diff = difflib.unified_diff(text.splitlines(keepends=True), result.text.splitlines(keepends=True),
                                    fromfile=name, tofile=f"{name} (formatted)")
        click.echo("".join(diff), nl=False)
        return 1
    write_atomically(Path(name), result.text)
    click.echo(f"已格式化 {name} (formatted)", err=True)
    return 0

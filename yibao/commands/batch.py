"""``yibao settle --batch IN --out OUT``: a file of encounters settled in columns (yibao/batch.py), on this
machine or on a Dask cluster (``--dask`` for a LocalCluster, ``--dask tcp://HOST:PORT`` for a scheduler)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from .common import build_engine, fail, regulations

FORMAT_CHOICE = click.Choice(["parquet", "csv", "jsonl"])


def batch_options(command):
    """The options ``yibao settle`` takes for a batch run (CASE.json is then not given)."""
    for option in reversed([
        click.option("--batch", "batch_in", type=click.Path(dir_okay=False, path_type=Path),
                     help="批量结算：输入文件（Parquet、CSV 或 JSON Lines，见 docs/batch.md）"),
        click.option("--out", "batch_out", type=click.Path(dir_okay=False, path_type=Path), help="批量结算的输出文件（原子写入）"),
        click.option("--format", "batch_format", type=FORMAT_CHOICE, help="输入输出格式（缺省按扩展名）"),
        click.option("--dask", "dask", is_flag=False, flag_value="local", default=None, metavar="[tcp://HOST:PORT]",
                     help="在 Dask 上按人员分区运行：不带值为本机 LocalCluster，或给调度器地址"),
        click.option("--chunk-rows", type=click.IntRange(min=1), default=None,
                     help="每块（每个分区）的行数，块边界落在人员之间"),
        click.option("--setldetail", "detail", is_flag=True, default=False,
                     help="另加 setldetail 列：每行的基金支付明细（JSON，同 yibao settle 的 setldetail）"),
    ]):
        command = option(command)
    return command


def run(batch_in: Path, batch_out: Optional[Path], batch_format: Optional[str], region: Optional[str],
        rules: Optional[str], ir_files: tuple, dask: Optional[str], chunk_rows: Optional[int], detail: bool = False) -> None:
    from yibao import batch
    from yibao.runtime import Engine

    if batch_out is None:
        raise fail("--batch 需要 --out OUT（输出文件）")
    # the rows may name any region, so every region is loaded (from the IR cache or --ir)
    engine = build_engine(Engine, regulations(rules, ir_files), bool(ir_files))
    rows = chunk_rows or batch.DEFAULT_CHUNK_ROWS
    try:
        with _progress() as progress:
            if dask:
                from yibao import batch_dask
                with batch_dask.DaskSettle(engine, region, dask, detail=detail) as settle:
                    summary = batch.run_batch(engine, batch_in, batch_out, fmt_in=batch_format, fmt_out=batch_format,
                                              region=region, chunk_rows=rows, settle=settle, progress=progress)
            else:
                summary = batch.run_batch(engine, batch_in, batch_out, fmt_in=batch_format, fmt_out=batch_format,
                                          region=region, chunk_rows=rows, progress=progress, detail=detail)
    except batch.BatchError as exc:
        raise fail(str(exc))
    click.echo("\n".join(summary.lines()))
    raise click.exceptions.Exit(1 if summary.errors else 0)


class _progress:
    """A rich progress bar on a terminal (rows settled so far); nothing when stderr is not one."""

    def __enter__(self):
        self.bar = None
        if sys.stderr.isatty():
            try:
                from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
            except ImportError:
                return None
            self.bar = Progress(SpinnerColumn(), TextColumn("结算中 {task.completed:,} 行"), TimeElapsedColumn(),
                                transient=True)
            self.bar.start()
            self.task = self.bar.add_task("settle", total=None)
            return lambda rows: self.bar.update(self.task, completed=rows)
        return None

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False

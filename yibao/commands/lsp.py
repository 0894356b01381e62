"""``yibao lsp``: the language server over stdio (yibao/lsp/, optional extra ``lsp``)."""

from __future__ import annotations

import click

from .common import fail


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="经标准输入输出通信（缺省即是；供编辑器传入）")
def lsp_command(stdio: bool) -> None:
    """启动语言服务器（LSP，标准输入输出），供编辑器使用：诊断、悬停、跳转、补全、大纲、格式化。"""
    try:
        from yibao.lsp.server import serve
    except ImportError as exc:
        raise fail(f"yibao lsp 需要可选依赖 pygls 2：pip install 'yibao[lsp]' ({exc})")
    serve()

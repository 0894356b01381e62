"""``yibao lsp``: the language server (pygls 2, LSP over stdio).

Entry point: ``serve()``. The features are in ``analysis.py``, which counts code points; this module
converts positions to and from the client's units (UTF-16 unless the client offers another encoding,
through pygls's position codec) and keeps the server alive: a feature that fails on some text answers
with nothing and logs the failure, and diagnostics are computed off the event loop, for the latest
version of a document only, so a burst of keystrokes costs one compile.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
from pathlib import Path
from typing import Callable, Optional, TypeVar

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from yibao.compiler.diagnostics import Diagnostic, Severity
from yibao.lsp.analysis import Analysis, Rules, rules_root_for

log = logging.getLogger("yibao.lsp")
DEBOUNCE_SECONDS = 0.15
_HINT_NAME = re.compile(r"是否想写 (.+?)？")
_KIND = {"keyword": T.CompletionItemKind.Keyword, "name": T.CompletionItemKind.Variable,
         "member": T.CompletionItemKind.EnumMember, "field": T.CompletionItemKind.Field}
R = TypeVar("R")


class YibaoServer(LanguageServer):
    def __init__(self) -> None:
        from yibao import __version__

        super().__init__("yibao", __version__)
        self.rules_override: Optional[Path] = None
        self._rules: dict[Optional[Path], Rules] = {}
        self._pending: dict[str, asyncio.Task] = {}
        self._irs: dict[str, dict] = {}  # uri → the last IR it compiled to, for the types of definitions
        self._analyses: dict[str, tuple] = {}  # uri → ((version, IR id), Analysis)
        self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1)  # one compile at a time

    def rules_for(self, path: Path) -> Rules:
        root = self.rules_override or rules_root_for(path)
        if root not in self._rules:
            self._rules[root] = Rules(root)
        return self._rules[root]

    def document(self, uri: str):
        doc = self.workspace.get_text_document(uri)
        return doc, _path(uri)

    def analysis(self, uri: str) -> tuple[Analysis, object]:
        """The document's analysis, made once per version (a request after a request reuses it)."""
        doc, path = self.document(uri)
        key = (doc.version, id(self._irs.get(uri)))
        cached = self._analyses.get(uri)
        if cached is None or cached[0] != key:
            cached = (key, self.rules_for(path).analyse(doc.source, path, self._irs.get(uri)))
            self._analyses[uri] = cached
        return cached[1], doc

    # ── diagnostics ──

    def schedule(self, uri: str) -> None:
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self._pending[uri] = asyncio.get_running_loop().create_task(self._publish_later(uri))

    async def _publish_later(self, uri: str) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        doc, path = self.document(uri)
        text, version = doc.source, doc.version
        try:
            found, ir = await asyncio.get_running_loop().run_in_executor(
                self._worker, self.rules_for(path).diagnostics, text, path)
        except Exception:  # noqa: BLE001 - a compiler bug must not take the editor's server down
            log.exception("diagnostics failed for %s", uri)
            return
        if ir is not None:
            self._irs[uri] = ir
        doc = self.workspace.get_text_document(uri)
        if doc.version != version:
            return  # a newer edit is on its way
        name = self.rules_for(path).name_of(path)
        lines = doc.lines
        items = [_to_lsp(d, lines, doc) for d in found if d.span is None or d.span.file == name]
        self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=version))


def _path(uri: str) -> Path:
    return Path(to_fs_path(uri) or uri)


def _to_lsp(d: Diagnostic, lines: list[str], doc) -> T.Diagnostic:
    if d.span is None:
        start = end = T.Position(line=0, character=0)
    else:
        start = T.Position(line=d.span.line - 1, character=d.span.col - 1)
        end = T.Position(line=d.span.end_line - 1, character=d.span.end_col - 1)
    client = doc.position_codec.range_to_client_units(lines, T.Range(start=start, end=end))
    return T.Diagnostic(
        range=client, message=d.message + "".join(f"\n提示: {h}" for h in d.hints),
        severity=T.DiagnosticSeverity.Error if d.severity is Severity.ERROR else T.DiagnosticSeverity.Warning,
        code=d.code, source="yibao", data={"renames": [m.group(1) for h in d.hints if (m := _HINT_NAME.search(h))]},
    )


def _safe(default: Callable[[], R]):
    """A feature that fails on some text logs the failure and answers ``default()``: never a dead server."""
    def wrap(fn):
        def run(ls, params):
            try:
                return fn(ls, params)
            except Exception:  # noqa: BLE001 - see above
                log.exception("%s failed", fn.__name__)
                return default()
        run.__name__ = fn.__name__
        return run
    return wrap


server = YibaoServer()


@server.feature(T.INITIALIZE)
def _initialize(ls: YibaoServer, params: T.InitializeParams) -> None:
    options = params.initialization_options
    if isinstance(options, dict) and isinstance(options.get("rules"), str):
        ls.rules_override = Path(options["rules"]).resolve()


@server.feature(T.TEXT_DOCUMENT_DID_OPEN)
def _did_open(ls: YibaoServer, params: T.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
def _did_change(ls: YibaoServer, params: T.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
def _did_close(ls: YibaoServer, params: T.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    pending = ls._pending.pop(uri, None)
    if pending is not None:
        pending.cancel()
    ls._analyses.pop(uri, None)
    ls._irs.pop(uri, None)
    ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _server_position(doc, position: T.Position) -> tuple[int, int]:
    p = doc.position_codec.position_from_client_units(doc.lines, position)
    return p.line, p.character


def _client_range(doc, line: int, col: int, end_line: int, end_col: int) -> T.Range:
    r = T.Range(start=T.Position(line=line, character=col), end=T.Position(line=end_line, character=end_col))
    return doc.position_codec.range_to_client_units(doc.lines, r)


@server.feature(T.TEXT_DOCUMENT_HOVER)
@_safe(lambda: None)
def _hover(ls: YibaoServer, params: T.HoverParams) -> Optional[T.Hover]:
    analysis, doc = ls.analysis(params.text_document.uri)
    line, col = _server_position(doc, params.position)
    text = analysis.hover(line, col)
    if text is None:
        return None
    _, start, end = analysis.word_at(line, col)
    return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=text),
                   range=_client_range(doc, line, start, line, end))


@server.feature(T.TEXT_DOCUMENT_DEFINITION)
@_safe(list)
def _definition(ls: YibaoServer, params: T.DefinitionParams) -> list[T.Location]:
    analysis, doc = ls.analysis(params.text_document.uri)
    line, col = _server_position(doc, params.position)
    out = []
    for loc in analysis.definition(line, col):
        target = ls.workspace.get_text_document(loc.path.resolve().as_uri())  # read from disk unless open
        out.append(T.Location(uri=loc.path.resolve().as_uri(),
                              range=_client_range(target, loc.line, loc.col, loc.end_line, loc.end_col)))
    return out


@server.feature(T.TEXT_DOCUMENT_COMPLETION, T.CompletionOptions(trigger_characters=["{", "｛", " ", "：", ":", "."]))
@_safe(lambda: T.CompletionList(is_incomplete=False, items=[]))
def _completion(ls: YibaoServer, params: T.CompletionParams) -> T.CompletionList:
    analysis, doc = ls.analysis(params.text_document.uri)
    line, col = _server_position(doc, params.position)
    items = [T.CompletionItem(label=c.label, kind=_KIND[c.kind], detail=c.detail or None)
             for c in analysis.completion(line, col)]
    return T.CompletionList(is_incomplete=False, items=items)


@server.feature(T.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@_safe(list)
def _symbols(ls: YibaoServer, params: T.DocumentSymbolParams) -> list[T.DocumentSymbol]:
    analysis, doc = ls.analysis(params.text_document.uri)
    out = []
    for article, last, names in analysis.articles():
        s = article.span
        head = _client_range(doc, s.line - 1, s.col - 1, s.line - 1, s.end_col - 1 if s.end_line == s.line else s.col)
        whole = _client_range(doc, s.line - 1, 0, last, len(analysis.lines[last]) if last < len(analysis.lines) else 0)
        children = [T.DocumentSymbol(name=n.name, detail=n.kind, kind=T.SymbolKind.Variable,
                                     range=_client_range(doc, n.span.line - 1, n.span.col - 1, n.span.end_line - 1, n.span.end_col - 1),
                                     selection_range=_client_range(doc, n.span.line - 1, n.span.col - 1, n.span.end_line - 1, n.span.end_col - 1))
                    for n in names]
        out.append(T.DocumentSymbol(name=article.label + (f"【{article.title}】" if article.title else ""),
                                    kind=T.SymbolKind.Namespace, range=whole, selection_range=head, children=children))
    return out


@server.feature(T.TEXT_DOCUMENT_FORMATTING)
@_safe(list)
def _formatting(ls: YibaoServer, params: T.DocumentFormattingParams) -> list[T.TextEdit]:
    from yibao.compiler.format import format_source

    doc, path = ls.document(params.text_document.uri)
    result = format_source(doc.source, str(path))
    if not result.ok or result.text == doc.source:
        return []
    lines = doc.lines
    end = T.Position(line=len(lines), character=0)
    return [T.TextEdit(range=T.Range(start=T.Position(line=0, character=0), end=end), new_text=result.text)]


@server.feature(T.TEXT_DOCUMENT_CODE_ACTION, T.CodeActionOptions(code_action_kinds=[T.CodeActionKind.QuickFix]))
@_safe(list)
def _code_actions(ls: YibaoServer, params: T.CodeActionParams) -> list[T.CodeAction]:
    uri = params.text_document.uri
    out = []
    for d in params.context.diagnostics:
        renames = d.data.get("renames", []) if isinstance(d.data, dict) else []
        for name in renames:
            edit = T.WorkspaceEdit(changes={uri: [T.TextEdit(range=d.range, new_text=name)]})
            out.append(T.CodeAction(title=f"改为 {name} (rename to {name})", kind=T.CodeActionKind.QuickFix,
                                    diagnostics=[d], edit=edit, is_preferred=len(renames) == 1))
    return out


def serve() -> None:
    logging.basicConfig(level=logging.WARNING)
    server.start_io()

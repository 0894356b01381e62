"""``yibao lsp`` driven by a real LSP client (pygls's ``LanguageClient``) over a subprocess's stdio.

Positions on the wire are UTF-16 code units: the tests put CJK and non-BMP characters (𠀀, U+20000,
two UTF-16 units) before the places they check.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs the optional extra `lsp` (pygls 2)")

from lsprotocol import types as T  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from yibao.compiler.format import format_source  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REGULATIONS = ROOT / "regulations"
DONGYING = REGULATIONS / "dongying" / "dongying-2018.yb"
TIMEOUT = 180  # seconds; generous, since CI shares two cores (the 1 MB file takes a few seconds alone)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class Editor:
    """A client session: the server process, and the diagnostics it has published, by uri."""

    def __init__(self) -> None:
        self.client = LanguageClient("yibao-tests", "1")
        self.published: dict[str, list[T.PublishDiagnosticsParams]] = {}
        self.versions: dict[str, int] = {}
        self._arrived = asyncio.Event()

        @self.client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diagnostics(params: T.PublishDiagnosticsParams) -> None:
            self.published.setdefault(params.uri, []).append(params)
            self._arrived.set()

    async def start(self) -> None:
        await self.client.start_io(sys.executable, "-m", "yibao", "lsp", "--stdio")
        capabilities = T.ClientCapabilities(general=T.GeneralClientCapabilities(
            position_encodings=[T.PositionEncodingKind.Utf16]))
        result = await asyncio.wait_for(self.client.initialize_async(
            T.InitializeParams(capabilities=capabilities, process_id=None, root_uri=ROOT.as_uri())), TIMEOUT)
        self.client.initialized(T.InitializedParams())
        self.initialized = result

    async def stop(self) -> None:
        await asyncio.wait_for(self.client.shutdown_async(None), TIMEOUT)
        self.client.exit(None)
        await asyncio.wait_for(self.client.stop(), TIMEOUT)

    def open(self, path: Path, text: str) -> str:
        uri = path.resolve().as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(T.DidOpenTextDocumentParams(
            text_document=T.TextDocumentItem(uri=uri, language_id="yibao", version=1, text=text)))
        return uri

    def change(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        self.versions[uri] += 1
        change = T.TextDocumentContentChangePartial(
            range=T.Range(start=T.Position(line=start[0], character=start[1]), end=T.Position(line=end[0], character=end[1])),
            text=text)
        self.client.text_document_did_change(T.DidChangeTextDocumentParams(
            text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]), content_changes=[change]))

    async def diagnostics(self, uri: str) -> list[T.Diagnostic]:
        """The diagnostics published for the document's latest version."""
        async def wait():
            while True:
                for params in self.published.get(uri, ()):
                    if params.version == self.versions[uri]:
                        return params.diagnostics
                self._arrived.clear()
                await self._arrived.wait()
        return await asyncio.wait_for(wait(), TIMEOUT)

    def at(self, uri: str, line: int, character: int):
        return dict(text_document=T.TextDocumentIdentifier(uri=uri), position=T.Position(line=line, character=character))


def session(body):
    """Run ``body(editor)`` against a fresh server and shut it down cleanly."""
    async def main():
        editor = Editor()
        await editor.start()
        try:
            return await body(editor)
        finally:
            await editor.stop()
    return asyncio.run(main())


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.split("\n")) if needle in line)


DONGYING_TEXT = DONGYING.read_text(encoding="utf-8")


# ───────────────────────────── initialize, diagnostics, quick fixes ─────────────────────────────


def test_initialize_announces_the_features_and_utf16():
    async def body(editor):
        return editor.initialized
    result = session(body)
    caps = result.capabilities
    assert result.server_info.name == "yibao"
    assert caps.position_encoding in (None, T.PositionEncodingKind.Utf16)
    assert caps.hover_provider and caps.definition_provider and caps.document_formatting_provider
    assert caps.document_symbol_provider and caps.code_action_provider
    assert "{" in caps.completion_provider.trigger_characters


SURROGATES = (
    "地区 东营市 370500\n施行 2020-01-01\n第一条\n"
    "    𠀀费用 = 1元\n"
    "    乙 = 𠀀费用 + 𠀀费\n"
)


def test_did_open_publishes_no_diagnostics_for_a_clean_file_and_utf16_ranges_for_a_broken_one(tmp_path):
    async def body(editor):
        clean = await editor.diagnostics(editor.open(DONGYING, DONGYING_TEXT))
        uri = editor.open(tmp_path / "f.yb", SURROGATES)
        broken = await editor.diagnostics(uri)
        (unknown,) = [d for d in broken if d.code == "YB201"]
        actions = await editor.client.text_document_code_action_async(T.CodeActionParams(
            text_document=T.TextDocumentIdentifier(uri=uri), range=unknown.range,
            context=T.CodeActionContext(diagnostics=[unknown])))
        return clean, uri, unknown, actions

    clean, uri, unknown, actions = session(body)
    assert list(clean) == []
    line = SURROGATES.split("\n")[4]
    start = line.index("𠀀费", line.index("+"))  # 14 code points in, 15 UTF-16 units
    assert (unknown.range.start.line, unknown.range.start.character) == (4, utf16(line[:start])) == (4, 15)
    assert (unknown.range.end.line, unknown.range.end.character) == (4, utf16(line[:start + 2])) == (4, 18)
    assert unknown.message.startswith("未知的名称 𠀀费") and unknown.severity == T.DiagnosticSeverity.Error
    assert "是否想写 𠀀费用" in unknown.message
    (fix,) = actions
    assert fix.kind == T.CodeActionKind.QuickFix
    (edit,) = fix.edit.changes[uri]
    assert (edit.new_text, edit.range) == ("𠀀费用", unknown.range)


# ───────────────────────────── hover ─────────────────────────────


def test_hover_on_the_deductible_shows_article_30s_text_and_the_other_cities_values():
    line = line_of(DONGYING_TEXT, "住院起付标准 按 医院等级")
    column = DONGYING_TEXT.split("\n")[line].index("起付标准")  # inside the name 住院起付标准

    async def body(editor):
        uri = editor.open(DONGYING, DONGYING_TEXT)
        await editor.diagnostics(uri)  # the types come from the compiled IR
        return await editor.client.text_document_hover_async(T.HoverParams(**editor.at(uri, line, column)))

    hover = session(body).contents.value
    assert hover.startswith("**住院起付标准** — 表（金额）")
    assert "住院起付标准 按 医院等级 200元 / 500元 / 800元 / 待定" in hover
    # 东营 第三十条, from the bundled regulation text
    assert "**第三十条**：住院设立统筹基金起付标准。" in hover
    assert "在一、二、三级定点医疗机构就医起付标准分别为200元、500元、800元。" in hover
    # the other cities that set it: 济宁 第十九条 (1000元 at 三级, 500元 unrated), 烟台 二（三）2
    assert "- 济宁市（第十九条）：`住院起付标准 按 医院等级 200元 / 500元 / 1000元 / 500元`" in hover
    assert "- 烟台市（二（三）2）：`住院起付标准 按 医院等级 200元 / 500元 / 800元 / 待定`" in hover
    assert "东营市" not in hover.split("其他城市")[1]


def test_hover_finds_a_name_after_a_non_bmp_character(tmp_path):
    async def body(editor):
        # a declared type (the IR leaves out definitions no output uses, so it has none for these)
        uri = editor.open(tmp_path / "f.yb", SURROGATES.replace(" + 𠀀费\n", " + 1元\n").replace("𠀀费用 = 1元", "𠀀费用：金额 = 1元"))
        assert all(d.severity == T.DiagnosticSeverity.Warning for d in await editor.diagnostics(uri))  # it compiles
        # line 4 `    乙 = 𠀀费用 + 1元`: UTF-16 unit 11 is 用, inside 𠀀费用 (units 8–12 are 𠀀费 of it)
        return await editor.client.text_document_hover_async(T.HoverParams(**editor.at(uri, 4, 11)))

    hover = session(body)
    assert hover.contents.value.startswith("**𠀀费用** — 定义（金额）")
    assert (hover.range.start.character, hover.range.end.character) == (8, 12)


# ───────────────────────────── definition ─────────────────────────────


def test_definition_within_the_file_across_a_module_and_to_the_articles_text():
    lines = DONGYING_TEXT.split("\n")
    use = line_of(DONGYING_TEXT, "定义 本次住院起付标准 =")
    use_col = lines[use].rindex("住院起付标准")
    model = line_of(DONGYING_TEXT, "定义 计入住院次数 = 是住院")
    model_col = lines[model].index("是住院")
    article = line_of(DONGYING_TEXT, "第三十条【")

    async def body(editor):
        uri = editor.open(DONGYING, DONGYING_TEXT)
        ask = editor.client.text_document_definition_async
        return [await ask(T.DefinitionParams(**editor.at(uri, n, c))) for n, c in
                ((use, use_col + 1), (model, model_col), (article, 1))]

    within, module, text = session(body)
    (w,) = within
    assert w.uri == DONGYING.as_uri()
    assert (w.range.start.line, w.range.start.character, w.range.end.character) == (
        line_of(DONGYING_TEXT, "住院起付标准 按 医院等级"), 4, 10)
    (m,) = module
    model_text = (REGULATIONS / "shandong" / "settlement-model.yb").read_text(encoding="utf-8")
    assert m.uri.endswith("/regulations/shandong/settlement-model.yb")
    assert model_text.split("\n")[m.range.start.line][m.range.start.character:].startswith("是住院")
    (t,) = text
    source = (REGULATIONS / "dongying" / "dongying-2018.source.txt").read_text(encoding="utf-8").split("\n")
    assert t.uri.endswith("/dongying-2018.source.txt") and source[t.range.start.line].lstrip().startswith("第三十条")


# ───────────────────────────── completion ─────────────────────────────


def test_completion_in_a_table_row_after_in_and_after_field():
    lines = DONGYING_TEXT.split("\n")
    row = line_of(DONGYING_TEXT, "        职工：95% / 90%")
    colon = lines[row].index("：") + 1
    text = DONGYING_TEXT + "第九十九条\n    输入 某标志：标志 字段 \n    定义 某人 = 人员类别 属于 {\n"
    end = len(text.split("\n")) - 1

    async def body(editor):
        uri = editor.open(DONGYING, text)
        ask = editor.client.text_document_completion_async
        out = []
        for n, c in ((row, 8), (row, colon), (end - 2, utf16(text.split("\n")[end - 2])), (end - 1, utf16(text.split("\n")[end - 1])), (0, 0)):
            result = await ask(T.CompletionParams(**editor.at(uri, n, c)))
            out.append({i.label: i for i in result.items})
        return out

    label, cell, field, members, top = session(body)
    assert {"职工", "居民"} <= set(label) and "一级" not in label  # 险种, the rows' dimension
    assert ["一级", "二级", "三级", "未定级"] == [k for k in cell if k in ("一级", "二级", "三级", "未定级")]
    assert {"person.flags", "encounter.fees.01", "person.insutype", "contribution.avg_wage"} <= set(field)
    assert {"职工在职", "公务员退休", "普通居民"} <= set(members) and "一级" not in members
    assert top["按"].detail == "by" and top["by"].detail == "按" and top["待定"].kind == T.CompletionItemKind.Keyword
    assert top["住院起付标准"].kind == T.CompletionItemKind.Variable and "是住院" in top  # a module's name


# ───────────────────────────── outline and formatting ─────────────────────────────


def test_document_symbols_outline_the_articles():
    async def body(editor):
        uri = editor.open(DONGYING, DONGYING_TEXT)
        return await editor.client.text_document_document_symbol_async(
            T.DocumentSymbolParams(text_document=T.TextDocumentIdentifier(uri=uri)))

    symbols = {s.name: s for s in session(body)}
    article = symbols["第三十条【住院起付标准】"]
    assert article.selection_range.start.line == line_of(DONGYING_TEXT, "第三十条【")
    assert "住院起付标准" in [c.name for c in article.children]
    assert list(symbols)[0] == "第九条【职工基本医疗保险费】"


def test_formatting_goes_through_the_formatter(tmp_path):
    messy = "地区 东营市 370500\n施行 2020-01-01\n第一条\n  𠀀费用=最小( 1元 ,2元)   # 注释\n"

    async def body(editor):
        uri = editor.open(tmp_path / "f.yb", messy)
        return await editor.client.text_document_formatting_async(T.DocumentFormattingParams(
            text_document=T.TextDocumentIdentifier(uri=uri), options=T.FormattingOptions(tab_size=4, insert_spaces=True)))

    (edit,) = session(body)
    assert edit.new_text == format_source(messy, "f.yb").text == (
        "地区 东营市 370500\n施行 2020-01-01\n第一条\n    𠀀费用 = 最小(1元, 2元)  # 注释\n")
    assert (edit.range.start.line, edit.range.start.character) == (0, 0)


# ───────────────────────────── bad input ─────────────────────────────


def test_bad_files_get_diagnostics_and_the_server_stays_alive(tmp_path):
    cases = {
        "empty.yb": "",
        "every-line.yb": "".join(f"第{i}条 = = (\n  ）】 {i}\n" for i in range(200)),
        "big.yb": DONGYING_TEXT * (1_000_000 // len(DONGYING_TEXT.encode("utf-8")) + 1),
        "surrogates.yb": "第一条\n    甲 = \udcff\udc80 + 1元\n",  # what an editor may send for bytes that are not UTF-8
        "missing-module.yb": "地区 东营市 370500\n施行 2020-01-01\n采用 不存在的模块\n第一条\n    甲 = 1元\n",
        "half.yb": "第三十条【住院起付标准\n    住院起付标准 按 医院等级 200元 /",
    }

    async def body(editor):
        found = {}
        for name, text in cases.items():
            uri = editor.open(tmp_path / name, text)
            found[name] = await editor.diagnostics(uri)
            for feature in (editor.client.text_document_hover_async, editor.client.text_document_completion_async):
                await feature((T.HoverParams if "hover" in feature.__name__ else T.CompletionParams)(**editor.at(uri, 1, 3)))
            await editor.client.text_document_document_symbol_async(
                T.DocumentSymbolParams(text_document=T.TextDocumentIdentifier(uri=uri)))
        return found

    found = session(body)
    codes = {name: {d.code for d in ds} for name, ds in found.items()}
    assert "YB212" in codes["empty.yb"]  # no 地区 / 施行: the file is empty, not broken
    assert len(found["every-line.yb"]) >= 100 and codes["every-line.yb"] <= {"YB101", "YB102", "YB103", "YB104", "YB107"}
    assert "YB202" in codes["big.yb"]  # the same articles many times over
    assert codes["surrogates.yb"] and codes["surrogates.yb"] <= {"YB102", "YB101"}
    assert "YB206" in codes["missing-module.yb"]
    assert codes["half.yb"] <= {"YB101", "YB102", "YB107"} and codes["half.yb"]


PIECES = list("按非第条十【】：:，,/×=≠<>+-（）()[]{}\"「」%元次#\n\t ") + [
    "    ", "\n    ", "待定", "不适用", "若 ", " 则 ", "否则", "例 ", "𠀀", "住院起付标准", "1.5", "第三十条"]


def test_a_thousand_random_edits_leave_the_server_alive_with_check_s_diagnostics(tmp_path):
    rules = tmp_path / "regulations"
    shutil.copytree(REGULATIONS, rules, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    path = rules / "dongying" / "dongying-2018.yb"
    rnd = random.Random(20260301)
    text = DONGYING_TEXT

    def position(offset: int) -> tuple[int, int]:
        before = text[:offset]
        line = before.count("\n")
        return line, utf16(before[before.rfind("\n") + 1:])

    async def body(editor):
        nonlocal text
        uri = editor.open(path, text)
        for n in range(1000):
            start = rnd.randrange(len(text) + 1)
            end = min(len(text), start + rnd.choice([0, 0, 1, 2, 5, 20]))
            piece = rnd.choice(PIECES) if rnd.random() < 0.7 else ""
            editor.change(uri, position(start), position(end), piece)
            text = text[:start] + piece + text[end:]
            if n % 100 == 0:
                await asyncio.sleep(0.2)  # let some diagnostics run in the middle of the burst
        final = await editor.diagnostics(uri)
        hover = await editor.client.text_document_hover_async(T.HoverParams(**editor.at(uri, 0, 0)))
        return final, hover

    final, _ = session(body)  # the hover answered: the server is alive
    path.write_text(text, encoding="utf-8")
    check = subprocess.run([sys.executable, "-m", "yibao", "check", "--format", "json", "--rules", str(rules), str(path)],
                           capture_output=True, text=True, cwd=tmp_path)
    name = "dongying/dongying-2018.yb"
    lines = text.split("\n")

    def client_range(r):
        def pos(line, column):  # a place just past the end of a line (a missing token) stays past it
            text = lines[line - 1] if line - 1 < len(lines) else ""
            return line - 1, utf16(text[: column - 1]) + max(0, column - 1 - len(text))
        return (*pos(r["line"], r["column"]), *pos(r["end"]["line"], r["end"]["column"]))

    expected = sorted((r["code"], client_range(r)) for r in map(json.loads, check.stdout.splitlines()) if r["file"].endswith(name))
    got = sorted((d.code, (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)) for d in final)
    assert got == expected and expected


def test_a_message_that_is_not_utf8_is_dropped_and_the_server_answers_the_next(tmp_path):
    # Bytes that are not UTF-8 on the wire (an editor sending a file's raw bytes): pygls cannot decode the
    # message; the server reports it and goes on serving.
    proc = subprocess.Popen([sys.executable, "-m", "yibao", "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=tmp_path)

    def send(body: bytes) -> None:
        proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        proc.stdin.flush()

    def receive() -> dict:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += proc.stdout.read(1)
        length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
        return json.loads(proc.stdout.read(length))

    try:
        send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                         "params": {"capabilities": {}, "processId": None, "rootUri": None}}).encode())
        assert receive()["id"] == 1
        send(b'{"jsonrpc":"2.0","method":"initialized","params":{}}')
        uri = (tmp_path / "x.yb").as_uri().encode()
        send(b'{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"' + uri
             + b'","languageId":"yibao","version":1,"text":"\xff\xfe\xe4\xb8 \xe7\xac\xac"}}}')
        text = "第一条\n    甲 = 1元\n"
        send(json.dumps({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri.decode(), "languageId": "yibao", "version": 2, "text": text}}}).encode())
        send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri.decode()}, "position": {"line": 1, "character": 4}}}).encode())
        answer = next(m for m in iter(receive, None) if m.get("id") == 2)
        assert answer["result"]["contents"]["value"].startswith("**甲** — 定义")
    finally:
        proc.kill()
        proc.wait()


# ───────────────────────────── the analysis, in process ─────────────────────────────


def test_hover_on_a_model_parameter_lists_every_city_with_its_article_and_a_block_table_whole():
    from yibao.lsp.analysis import Rules

    model = REGULATIONS / "shandong" / "settlement-model.yb"
    text = model.read_text(encoding="utf-8")
    line = line_of(text, "参数 统筹支付比例：")
    hover = Rules(REGULATIONS).analyse(text, model).hover(line, 4)
    assert hover.startswith("**统筹支付比例** — 参数（比例）")
    cities = [c for c in ("东营市（第三十一条）", "济宁市（第十七条）", "临沂市（三（三））", "烟台市（二（三）1）") if c in hover]
    assert len(cities) == 4
    # 济宁 第十七条 gives it as a table by 医疗类别: the rows come with the header
    assert re.search(r"统筹支付比例 按 医疗类别：\n      普通门诊：\s*门诊意外伤害支付比例", hover)


def test_a_half_typed_file_still_has_its_names_for_completion():
    from yibao.lsp.analysis import Rules

    text = DONGYING_TEXT.replace("    住院起付标准 按 医院等级", "    住院起付标准 按 医院等级 (\n    定义 半 = 住院", 1)
    analysis = Rules(REGULATIONS).analyse(text, DONGYING)
    line = line_of(text, "    定义 半 = 住院")
    labels = {c.label for c in analysis.completion(line, len(text.split("\n")[line]))}
    assert {"本次住院起付标准", "是住院", "若", "if"} <= labels


def test_the_analysis_answers_at_every_position_of_random_broken_text_without_raising():
    # The server would survive a failing feature (it answers nothing), but the drafter would lose it:
    # hover, definition, completion and the outline must work on whatever text there is.
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from yibao.lsp.analysis import Rules

    rules = Rules(REGULATIONS)
    base = DONGYING_TEXT.split("\n")[200:230]

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 5), st.sampled_from(PIECES + [""])), max_size=12),
           st.integers(0, 10_000), st.integers(0, 200))
    def check(edits, line, column):
        text = "\n".join(base)
        for at, length, piece in edits:
            at %= len(text) + 1
            text = text[:at] + piece + text[at + length:]
        analysis = rules.analyse(text, DONGYING)
        line %= len(analysis.lines)
        column %= len(analysis.lines[line]) + 1
        analysis.hover(line, column)
        analysis.definition(line, column)
        analysis.completion(line, column)
        analysis.articles()

    check()

"""What the language server knows about a rule file: diagnostics, names, hover text, definitions, completions.

Entry point: ``Rules(root)``, one per regulations root, and its ``analyse(text, path)``. Everything here
counts positions as the compiler does, 0-based lines and columns in code points; ``server.py`` converts to
the client's UTF-16. Nothing here raises on a broken file: the parser's error recovery gives a partial
AST for a half-typed file, and a file too broken for that has no names but still has diagnostics.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator, Optional

import attrs

from yibao.compiler import ast as A
from yibao.compiler.build import build_ast
from yibao.compiler.coverage import coverage_beside, source_text_beside, split_units
from yibao.compiler.diagnostics import Diagnostic, word
from yibao.compiler.driver import Session, default_root, discover_regulations
from yibao.compiler.format import is_table_header, read_line
from yibao.compiler.parse import KEYWORDS, parse

# The clause classes that give a name a value, and what a hover calls them.
_KINDS: dict[type, str] = {
    A.InputDecl: "输入", A.ParamDecl: "参数", A.Definition: "定义", A.TableDef: "表", A.OpenDecl: "待定",
    A.CounterDecl: "计数器", A.VocabularyDecl: "词表",
}
_WORD = re.compile(r"[^\W\d]\w*")
_CONTRACT_FIELD = re.compile(r"(?:字段|field)[ \t\u3000]+([\w.]*)$")
_IN_SET = re.compile(r"(?:^|[\s(（])([^\W\d]\w*)[ \t\u3000]+(?:属于|in)[ \t\u3000]*[{｛][^}｝]*$")


@attrs.frozen
class Symbol:
    name: str
    kind: str  # 输入, 参数, 定义, 表, 待定, 计数器, 词表, 成员
    span: A.Span  # its file is relative to the rules root, as the compiler names files
    article: Optional[str]  # the label of the article it is written under
    clause: str  # the clause's source line
    type: Optional[str] = None  # as a drafter reads it (金额, 词表 医院等级 的成员, …)
    vocabulary: Optional[str] = None  # a member's vocabulary; the vocabulary of a vocabulary-typed input


@attrs.frozen
class Location:
    path: Path
    line: int  # 0-based
    col: int
    end_line: int
    end_col: int


@attrs.frozen
class Completion:
    label: str
    kind: str  # keyword, name, member, field
    detail: str = ""


# ───────────────────────────── reading files ─────────────────────────────


@attrs.frozen
class FileIndex:
    """The names a file defines (from its AST, partial when the file has errors), its articles and what it uses."""

    name: str
    text: str
    ast: Optional[A.RuleFile]
    symbols: dict[str, Symbol]
    members: dict[str, tuple[str, ...]]  # vocabulary (and its English name) → member names
    uses: tuple[str, ...]
    module: Optional[str]
    region: Optional[str]
    fields: tuple[str, ...]  # contract fields named after 字段


def index_file(text: str, name: str) -> FileIndex:
    tree, _ = parse(text, name)
    ast = build_ast(tree, name)[0] if tree is not None else None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    symbols: dict[str, Symbol] = {}
    members: dict[str, tuple[str, ...]] = {}
    uses, fields, module, region = [], [], None, None
    for clause, article in _clauses(ast):
        if isinstance(clause, A.UseDecl):
            uses.append(clause.name)
        elif isinstance(clause, A.ModuleDecl):
            module = clause.name
        elif isinstance(clause, A.RegionDecl):
            region = clause.name
        kind = next((k for cls, k in _KINDS.items() if isinstance(clause, cls)), None)
        if kind is None:
            continue
        line = _clause_text(lines, clause.span.line)
        type_ref = getattr(clause, "type", None)
        vocabulary = type_ref.vocabulary if type_ref is not None else None
        symbols.setdefault(clause.name, Symbol(clause.name, kind, _name_span(clause.name, clause.span, lines), article,
                                               line, _type_text(type_ref), vocabulary))
        if getattr(clause, "field", None):
            fields.append(clause.field)
        if isinstance(clause, A.VocabularyDecl):
            names = tuple(m.name for m in clause.members)
            members[clause.name] = names
            if clause.english:
                members[clause.english] = names
            for m in clause.members:
                mline = lines[m.span.line - 1].strip() if 0 < m.span.line <= len(lines) else ""
                symbols.setdefault(m.name, Symbol(m.name, "成员", m.span, article, mline,
                                                  f"词表 {clause.name} 的成员（代码 {m.code}）", clause.name))
    return FileIndex(name, text, ast, symbols, members, tuple(uses), module, region, tuple(fields))


def _clause_text(lines: list[str], line: int, most: int = 12) -> str:
    """The clause on ``line`` (1-based) as written; a clause ending in ``：`` (a block table) with its rows."""
    if not 0 < line <= len(lines):
        return ""
    head = lines[line - 1]
    out = [head.strip()]
    if head.rstrip().endswith((":", "：")):
        depth = len(head) - len(head.lstrip(" \t\u3000"))
        for row in lines[line: line + most]:
            if row.strip() and len(row) - len(row.lstrip(" \t\u3000")) <= depth:
                break
            if row.strip():
                out.append("    " + row.strip())
    return "\n".join(out)


def _name_span(name: str, span: A.Span, lines: list[str]) -> A.Span:
    """Where ``name`` is written in its clause (after a keyword such as 定义 or 输入), else the clause."""
    text = lines[span.line - 1] if 0 < span.line <= len(lines) else ""
    for match in _WORD.finditer(text, span.col - 1):
        if match.group() == name:
            return A.Span(file=span.file, line=span.line, col=match.start() + 1, end_line=span.line, end_col=match.end() + 1)
    return span


def _clauses(ast: Optional[A.RuleFile]) -> Iterator[tuple[object, Optional[str]]]:
    for item in ast.items if ast is not None else ():
        if isinstance(item, A.Article):
            for clause in item.clauses:
                yield clause, item.label
        else:
            yield item, None


def _type_text(type_ref: Optional[A.TypeRef]) -> Optional[str]:
    if type_ref is None:
        return None
    if type_ref.base is not None:
        return word(f"type.{type_ref.base.value}") if type_ref.base.value != "flag" else "标志"
    return word("type.enum", vocabulary=type_ref.vocabulary)


# ───────────────────────────── one regulations root ─────────────────────────────


class Rules:
    """A regulations root: compiles documents against it and indexes its files, rereading a file only
    when it changes on disk (the compiler's ``Session`` is renewed then, so modules are current)."""

    def __init__(self, root: Optional[Path] = None) -> None:
        self.root = Path(root or default_root()).resolve()
        self._session: Optional[Session] = None
        self._stamp: Optional[tuple] = None
        self._indexes: dict[Path, tuple[float, FileIndex]] = {}

    def name_of(self, path: Path) -> str:
        """The file name the compiler gives ``path`` (relative to the root when under it)."""
        try:
            return Path(os.path.abspath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def _files(self) -> list[Path]:
        return sorted(self.root.rglob("*.yb"))

    def session(self) -> Session:
        stamp = tuple((p, _mtime(p)) for p in self._files())
        if self._session is None or stamp != self._stamp:
            self._session, self._stamp = Session(self.root), stamp
        return self._session

    def diagnostics(self, text: str, path: Path) -> tuple[list[Diagnostic], Optional[dict]]:
        """What ``yibao check FILE`` reports for this text at ``path``: the compiler's diagnostics and
        coverage's (YB701), and the IR when it compiles."""
        result = self.session().compile_source(text, self.name_of(path), Path(path).resolve().parent)  # 修订 looks beside it
        report = coverage_beside(result.ir, path)
        return [*result.diagnostics, *(report.diagnostics if report else ())], result.ir

    def index_of(self, path: Path) -> Optional[FileIndex]:
        mtime = _mtime(path)
        cached = self._indexes.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None
        index = index_file(text, self.name_of(path))
        self._indexes[path] = (mtime, index)
        return index

    def modules(self) -> dict[str, FileIndex]:
        out: dict[str, FileIndex] = {}
        for path in self._files():
            index = self.index_of(path)
            if index is not None and index.module and index.module not in out:
                out[index.module] = index
        return out

    def cities(self) -> list[tuple[Path, FileIndex]]:
        return [(p, i) for p in discover_regulations(self.root) if (i := self.index_of(p)) is not None]

    def path_of(self, name: str) -> Path:
        candidate = self.root / name
        return candidate if candidate.is_file() else Path(name)

    def analyse(self, text: str, path: Path, ir: Optional[dict] = None) -> "Analysis":
        own = index_file(text, self.name_of(path))
        modules = self.modules()
        used, queue = [], list(own.uses)
        while queue:  # 采用 is transitive: a model uses the vocabulary
            name = queue.pop(0)
            module = modules.get(name)
            if module is not None and module not in used and module.name != own.name:
                used.append(module)
                queue += module.uses
        return Analysis(self, path, own, tuple(used), ir)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def rules_root_for(path: Path) -> Optional[Path]:
    """The regulations root a rule file belongs to: the bundled one when it lies there, else the nearest
    folder named ``regulations`` above it; None (the bundled root) when there is none."""
    path = Path(os.path.abspath(path))
    bundled = default_root().resolve()
    if bundled in path.parents:
        return bundled
    return next((p for p in path.parents if p.name == "regulations"), None)


# ───────────────────────────── one document ─────────────────────────────


@attrs.frozen
class Analysis:
    rules: Rules
    path: Path
    own: FileIndex
    used: tuple[FileIndex, ...]
    ir: Optional[dict]

    @property
    def lines(self) -> list[str]:
        return self.own.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def scope(self) -> dict[str, Symbol]:
        """Every name the document can use: its own first, then the modules' it uses."""
        out: dict[str, Symbol] = {}
        for index in (self.own, *self.used):
            for name, symbol in index.symbols.items():
                out.setdefault(name, symbol)
        return out

    def members(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for index in (self.own, *self.used):
            for name, names in index.members.items():
                out.setdefault(name, names)
        return out

    def word_at(self, line: int, col: int) -> Optional[tuple[str, int, int]]:
        """The name (or article label) under the cursor: its text and its start and end columns."""
        text = self.lines[line] if 0 <= line < len(self.lines) else ""
        for match in _WORD.finditer(text):
            if match.start() <= col <= match.end():
                return match.group(), match.start(), match.end()
        return None

    # ── hover ──

    def hover(self, line: int, col: int) -> Optional[str]:
        found = self.word_at(line, col)
        if found is None:
            return None
        name = found[0]
        symbol = self.scope().get(name)
        if symbol is None:
            text = self.article_text(name, self.path)
            return f"**{name}**\n\n{text}" if text else None
        parts = [f"**{name}** — {symbol.kind}" + (f"（{self._type_of(symbol)}）" if self._type_of(symbol) else "")]
        parts.append(f"```yibao\n{symbol.clause}\n```")
        if symbol.article:
            source = self.article_text(symbol.article, self.rules.path_of(symbol.span.file))
            parts.append(f"**{symbol.article}**" + (f"：{source}" if source else ""))
        others = self.other_cities(name)
        if others and symbol.kind in ("参数", "定义", "表", "待定"):
            parts.append("其他城市：\n" + "\n".join(_city_line(*other) for other in others))
        return "\n\n".join(parts)

    def _type_of(self, symbol: Symbol) -> Optional[str]:
        if symbol.type:
            return symbol.type
        ir = self.ir or {}
        for definition in (*ir.get("definitions", ()), *ir.get("tables", ())):
            if definition.get("name") == symbol.name and isinstance(definition.get("type"), str):
                kind = definition["type"]
                return word(f"type.{kind}") if f"type.{kind}" in _TYPE_WORDS else kind
        return None

    def article_text(self, label: str, rule_file: Path) -> Optional[str]:
        unit = self._unit(label, rule_file)
        return unit[1].text if unit else None

    def _unit(self, label: str, rule_file: Path):
        source = source_text_beside(rule_file)
        if source is None:
            return None
        units = split_units(source.read_text(encoding="utf-8"))
        unit = next((u for u in units if u.label == label), None)
        return (source, unit) if unit else None

    def other_cities(self, name: str) -> list[tuple[str, Optional[str], str]]:
        """(city, article, clause) for each other city regulation that gives ``name`` a value."""
        out = []
        own = Path(os.path.abspath(self.path))
        for path, index in self.rules.cities():
            symbol = index.symbols.get(name)
            if symbol is not None and Path(os.path.abspath(path)) != own and symbol.kind != "成员":
                out.append((index.region or path.stem, symbol.article, symbol.clause))
        return out

    # ── go to definition ──

    def definition(self, line: int, col: int) -> list[Location]:
        found = self.word_at(line, col)
        if found is None:
            return []
        name = found[0]
        symbol = self.scope().get(name)
        if symbol is not None:
            s = symbol.span
            return [Location(self.rules.path_of(s.file), s.line - 1, s.col - 1, s.end_line - 1, s.end_col - 1)]
        unit = self._unit(name, self.path)  # an article label: its place in the regulation's text
        if unit is not None:
            source, found_unit = unit
            return [Location(source, found_unit.line - 1, 0, found_unit.line - 1, 0)]
        return []

    # ── completion ──

    def completion(self, line: int, col: int) -> list[Completion]:
        text = self.lines[line] if 0 <= line < len(self.lines) else ""
        before = text[:col]
        if _CONTRACT_FIELD.search(before):
            return [Completion(f, "field", "接口字段") for f in self.contract_fields()]
        in_set = _IN_SET.search(before)
        if in_set:
            return self._members_for(in_set.group(1))
        row = self._table_row(line, before)
        if row is not None:
            return row
        return self._keywords() + [Completion(n, "name", f"{s.kind} {s.article or ''}".strip())
                                   for n, s in sorted(self.scope().items())]

    def _members_for(self, subject: str) -> list[Completion]:
        symbol = self.scope().get(subject)
        vocabularies = self.members()
        vocabulary = symbol.vocabulary if symbol is not None and symbol.vocabulary in vocabularies else None
        if vocabulary is None and subject in vocabularies:
            vocabulary = subject
        chosen = {vocabulary: vocabularies[vocabulary]} if vocabulary else vocabularies
        return [Completion(m, "member", f"词表 {v}") for v, names in chosen.items() for m in names]

    def _table_row(self, line: int, before: str) -> Optional[list[Completion]]:
        """In a row under ``X 按 维度 (× 维度)：``: members of the first dimension for the row's label, and
        after its colon the second dimension's (or, for one dimension, 待定 / 不适用 and names)."""
        lines = self.lines
        indent = len(before) - len(before.lstrip(" \t\u3000")) if before.strip() else len(before)
        for number in range(line - 1, -1, -1):
            text = lines[number]
            if not text.strip() or text.lstrip().startswith(("#", "＃")):
                continue
            depth = len(text) - len(text.lstrip(" \t\u3000"))
            if depth >= indent:
                continue
            header = read_line(text)
            if not is_table_header(header.tokens):
                return None
            dims = [t.text for t in header.tokens[2:-1:2]]
            vocabularies = self.members()
            after_label = bool(re.search(r"[:：]", before))
            dim = dims[1] if after_label and len(dims) > 1 else dims[0] if not after_label else None
            if dim is None:
                values = [Completion(w, "keyword", "") for w in (*KEYWORDS["_OPEN"][:1], *KEYWORDS["_NA"][:1])]
                return values + [Completion(n, "name", s.kind) for n, s in sorted(self.scope().items())]
            others = [Completion(w, "keyword", "") for w in KEYWORDS["OTHERS"][:1]]
            return [Completion(m, "member", f"词表 {dim}") for m in vocabularies.get(dim, ())] + others
        return None

    def _keywords(self) -> list[Completion]:
        out = []
        for words in KEYWORDS.values():
            chinese, aliases = words[0], words[1:]
            out.append(Completion(chinese, "keyword", " / ".join(aliases)))
            out += [Completion(alias, "keyword", chinese) for alias in aliases]
        return out

    def contract_fields(self) -> list[str]:
        from yibao.runtime import contract as C

        fields = {*(f"person.{f}" for f in C.PERSON_FIELDS), *(f"encounter.{f}" for f in C.ENCOUNTER_FIELDS),
                  *(f"encounter.fees.{f}" for f in C.FEE_CLASSES)}
        for _, index in self.rules.cities():
            fields.update(index.fields)
        for index in (self.own, *self.used, *self.rules.modules().values()):
            fields.update(index.fields)
        return sorted(fields)

    # ── outline ──

    def articles(self) -> list[tuple[A.Article, int, list[Symbol]]]:
        """Each article, the last line (0-based) of its block, and the names it defines."""
        ast = self.own.ast
        items = [i for i in (ast.items if ast else ()) if isinstance(i, A.Article)]
        out = []
        for n, article in enumerate(items):
            last = (items[n + 1].span.line - 2) if n + 1 < len(items) else len(self.lines) - 1
            names = [s for s in self.own.symbols.values() if s.article == article.label and s.kind != "成员"]
            out.append((article, max(last, article.span.end_line - 1), names))
        return out


def _city_line(city: str, article: Optional[str], clause: str) -> str:
    head = f"- {city}（{article or '—'}）："
    if "\n" not in clause:
        return f"{head}`{clause}`"
    return head + "\n\n  ```yibao\n" + "\n".join("  " + line for line in clause.split("\n")) + "\n  ```"


_TYPE_WORDS = {"type.money", "type.rate", "type.count", "type.date", "type.bool", "type.exact", "type.number"}

"""The driver: read a rule file, find the modules it uses, run every pass, collect every diagnostic.

Entry points: ``compile_path`` (one file), ``compile_text`` (for tests), ``compile_all`` (every city
regulation under a root, plus the check that versions of one region do not overlap) and
``discover_regulations``. Modules are found by scanning ``*.yb`` under the regulations root (by default
the installed ``yibao.regulations`` package); span file names are relative to that root.

A mistake in a rule file is always a diagnostic. An exception escaping a pass is a bug in the compiler,
and is re-raised as ``CompilerBug`` naming the pass and the file.
"""

from __future__ import annotations

import importlib.resources
import itertools
import re
from pathlib import Path
from typing import Callable, Optional, Union

import attrs

from . import ast as A
from ._program import Header
from .admit import admit
from .amend import Amendment, amend, amends_decl
from .build import build_ast
from .check import check
from .diagnostics import CompilerBug, Diagnostic, diag, has_errors, sort_key, word
from .lower import lower, with_sha256
from .parse import parse
from .resolve import resolve

__all__ = ["CompileResult", "ModuleCheck", "Session", "check_module", "compile_path", "compile_text", "compile_all",
           "discover_regulations", "default_root"]

# A file that declares a module (模块 / module at the start of a line) is shared, not a city's regulation.
_MODULE_LINE = re.compile(r"^[ \t\u3000]*(?:模块|module)[ \t\u3000]+\S", re.MULTILINE)


@attrs.frozen(kw_only=True)
class CompileResult:
    path: str  # the file, relative to the regulations root when it lies under it
    ir: Optional[dict]  # None when there are errors
    diagnostics: list[Diagnostic]  # from every pass and every file, sorted by position
    sources: dict[str, str]  # file → text, for rendering
    header: Optional[Header] = None  # the regulation's header, when resolve ran (for version checks)
    file: Optional[Path] = None  # the file on disk, when compiled from one (case files sit beside it)
    amendment: Optional[Amendment] = None  # when the file is a 修订 of an earlier version
    earlier: Optional["CompileResult"] = None  # … that earlier version, compiled (its IR is what the amendment changes)


def default_root() -> Path:
    return Path(str(importlib.resources.files("yibao.regulations")))


def compile_path(path: Union[str, Path], *, root: Optional[Path] = None) -> CompileResult:
    """Compile one rule file with the modules found under ``root``."""
    return _Session(root).compile_file(Path(path))


def compile_text(text: str, file: str = "<text>", root: Optional[Path] = None,
                 directory: Optional[Path] = None) -> CompileResult:
    """Compile rule text that is not in a file (tests, editors); ``directory`` is where a ``修订`` looks first."""
    return _Session(root).compile_source(text, file, directory)


def compile_all(root: Optional[Path] = None) -> list[CompileResult]:
    """Compile every city regulation under ``root``; versions of one region must not overlap (YB602)."""
    session = _Session(root)
    results = [session.compile_file(p) for p in discover_regulations(session.root)]
    return _check_versions(results)


@attrs.frozen(kw_only=True)
class ModuleCheck:
    """A shared module checked through the city files that adopt it (a module is not compiled alone)."""

    path: str                      # the module file, relative to the root
    users: list[CompileResult]     # the city files whose compilation read it
    diagnostics: list[Diagnostic]  # those located in the module itself, once each
    sources: dict[str, str]


def check_module(path: Union[str, Path], *, root: Optional[Path] = None) -> Optional[ModuleCheck]:
    """``path`` checked through its users when it declares a 模块; None when it is a city file."""
    path = Path(path)
    if not _is_module_text(_peek(path)):
        return None
    if root is None:
        bundled = default_root().resolve()
        root = bundled if bundled in path.resolve().parents else path.resolve().parent.parent
    session = _Session(root)
    name = session.display(path)
    own = session._front(_peek(path), name)
    users = [r for r in compile_all(root) if name in r.sources]
    found: dict[tuple, Diagnostic] = {(d.code, d.span, d.message): d for d in own.diagnostics}
    for result in users:
        for d in result.diagnostics:
            if d.span is not None and d.span.file == name:
                found.setdefault((d.code, d.span, d.message), d)
    return ModuleCheck(path=name, users=users, diagnostics=sorted(found.values(), key=sort_key),
                       sources={name: own.text})


def discover_regulations(root: Optional[Path] = None) -> list[Path]:
    """Every city regulation under ``root``: the ``*.yb`` files that do not declare a ``模块``."""
    base = Path(root) if root is not None else default_root()
    return sorted(p for p in base.rglob("*.yb") if not _is_module_text(_peek(p)))


_TITLE_LINE = re.compile(r'^[ \t\u3000]*(?:标题|title)[ \t\u3000]+(?:"((?:[^"\\\n]|\\.)*)"|“([^”\n]*)”|「([^」\n]*)」)',
                         re.MULTILINE)


def _titles(text: str) -> list[str]:
    """The 标题 lines of a rule file, read without parsing it (to find the version a 修订 names)."""
    return [next(g for g in m.groups() if g is not None) for m in _TITLE_LINE.finditer(text)]


def _peek(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def _is_module_text(text: str) -> bool:
    return _MODULE_LINE.search(text) is not None


def _run(stage: str, file: str, fn: Callable, *args):
    """Run one pass; anything it raises is a compiler bug, never the drafter's mistake."""
    try:
        return fn(*args)
    except CompilerBug:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised with context
        raise CompilerBug(f"{stage} pass failed on {file}: {type(exc).__name__}: {exc}") from exc


@attrs.frozen
class _Front:
    """A file after parse and build: its AST (None when the parser gave up) and diagnostics."""

    file: str
    text: str
    ast: Optional[A.RuleFile]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def module_name(self) -> Optional[str]:
        if self.ast is None:
            return None
        return next((i.name for i in self.ast.items if isinstance(i, A.ModuleDecl)), None)


class _Session:
    """One compilation run: the root, and the modules under it (parsed once and shared by every file)."""

    def __init__(self, root: Optional[Path]) -> None:
        self.root = (Path(root) if root is not None else default_root()).resolve()
        self._modules: Optional[dict[str, _Front]] = None
        self._duplicates: dict[str, list[_Front]] = {}
        self._unreadable: list[_Front] = []

    def display(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    # ── one file ──

    def compile_file(self, path: Path) -> CompileResult:
        name = self.display(path)
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return CompileResult(path=name, ir=None, diagnostics=[_not_utf8(name, data, exc)],
                                 sources={name: data.decode("utf-8", errors="replace")}, file=path.resolve())
        return attrs.evolve(self.compile_source(text, name, path.resolve().parent), file=path.resolve())

    def compile_source(self, text: str, name: str, directory: Optional[Path] = None) -> CompileResult:
        return self._compile_text(text, name, directory, ())[0]

    def _compile_text(self, text: str, name: str, directory: Optional[Path],
                      amending: tuple[str, ...]) -> tuple[CompileResult, Optional[A.RuleFile]]:
        """The result and the AST that was compiled (an amendment's: the amended version written out whole)."""
        front = self._front(text, name)
        if front.ast is None or has_errors(front.diagnostics):
            return _result(name, None, front.diagnostics, {name: text}), None
        decl = amends_decl(front.ast)
        if decl is None:
            return self._compile_ast(front), front.ast
        return self._compile_amendment(front, decl, directory, amending)

    # ── amendments (修订) ──

    def _compile_amendment(self, front: _Front, decl: A.AmendsDecl, directory: Optional[Path],
                           amending: tuple[str, ...]) -> tuple[CompileResult, Optional[A.RuleFile]]:
        path = self._find_earlier(decl.target, directory, front.file)
        name = self._earlier_name(path, directory, front.file) if path is not None else None
        if path is None or name in amending or name == front.file:  # missing, or a ring of amendments
            _, _, found = amend(front.ast, None, "", self._amendable(directory, front.file))
            return _result(front.file, None, [*front.diagnostics, *found], {front.file: front.text}), None
        earlier, earlier_ast = self._compile_text(_peek(path), name, path.resolve().parent, (*amending, front.file))
        earlier = attrs.evolve(earlier, file=path.resolve())
        if earlier_ast is None or earlier.ir is None:  # the earlier's own errors come first
            sources = {front.file: front.text, **earlier.sources}
            return attrs.evolve(_result(front.file, None, [*front.diagnostics, *earlier.diagnostics], sources),
                                earlier=earlier), None
        merged, info, found = amend(front.ast, earlier_ast, name, earlier_amendment=earlier.amendment)
        whole = _Front(file=front.file, text=front.text, ast=merged, diagnostics=(*front.diagnostics, *found))
        result = self._compile_ast(whole, amendment=info, extra_sources=earlier.sources)
        return attrs.evolve(result, amendment=info, earlier=earlier), merged

    def _earlier_name(self, path: Path, directory: Optional[Path], own: str) -> str:
        """The earlier file's name in spans and the IR: relative to the root, or beside the amendment's own name
        when both lie outside it (a fixture compiled from its folder)."""
        name = self.display(path)
        if Path(name).is_absolute() and directory is not None and path.resolve().parent == directory.resolve():
            return (Path(own).parent / path.name).as_posix()
        return name

    def _find_earlier(self, target: str, directory: Optional[Path], own: str) -> Optional[Path]:
        """``修订 "x.yb"``: that file beside the amendment (else under the root); ``修订 "标题"``: the rule file with
        that 标题, beside the amendment first, then anywhere under the root."""
        if target.endswith(".yb"):
            for base in (directory, self.root):
                if base is not None and (base / target).is_file():
                    return base / target
            return None
        for path in self._candidates(directory):
            if self.display(path) != own and target in _titles(_peek(path)):
                return path
        return None

    def _candidates(self, directory: Optional[Path]) -> list[Path]:
        near = discover_regulations(directory) if directory is not None and directory.is_dir() else []
        return list(dict.fromkeys([*near, *discover_regulations(self.root)]))

    def _amendable(self, directory: Optional[Path], own: str) -> list[str]:
        """What a 修订 could name, for YB610: the files beside the amendment and their titles."""
        near = discover_regulations(directory) if directory is not None and directory.is_dir() else []
        return [name for p in near if self.display(p) != own for name in (p.name, *_titles(_peek(p)))]

    def _compile_ast(self, front: _Front, amendment: Optional[Amendment] = None,
                     extra_sources: Optional[dict] = None) -> CompileResult:
        modules = {n: m for n, m in self.modules().items() if m.file != front.file}
        program, found = _run("resolve", front.file, resolve, front.ast, {n: m.ast for n, m in modules.items()})
        used = [m for m in modules.values() if m.file in program.files]
        diagnostics = [*front.diagnostics, *found, *self._module_diagnostics(used, found)]
        sources = {front.file: front.text, **{m.file: m.text for m in used}, **self._unreadable_sources(found),
                   **(extra_sources or {})}
        if any(has_errors(m.diagnostics) for m in used):
            return _result(front.file, None, diagnostics, sources, program.header)
        # Check runs even after resolve errors (an unbound name is simply unknown to it), so one run
        # reports every mistake; only lowering needs an error-free program.
        checked, found = _run("check", front.file, check, program)
        diagnostics += found
        if has_errors(diagnostics):
            return _result(front.file, None, diagnostics, sources, program.header)
        ir = with_sha256(_run("lower", front.file, lower, checked, _same_name, amendment))
        refused = _run("admit", front.file, admit, ir, front.file)  # check passes only what the runtime runs
        diagnostics += refused
        return _result(front.file, None if has_errors(refused) else ir, diagnostics, sources, program.header)

    def _front(self, text: str, name: str) -> _Front:
        tree, found = _run("parse", name, parse, text, name)
        if tree is None:
            return _Front(file=name, text=text, ast=None, diagnostics=tuple(found))
        ast, built = _run("build", name, build_ast, tree, name)
        return _Front(file=name, text=text, ast=ast, diagnostics=(*found, *built))

    # ── modules ──

    def modules(self) -> dict[str, _Front]:
        """Module name → the file declaring it, for every module under the root (first by path wins)."""
        if self._modules is None:
            self._modules = {}
            for path in sorted(self.root.rglob("*.yb")):
                self._load_module(path)
        return self._modules

    def _load_module(self, path: Path) -> None:
        text = _peek(path)
        if not _is_module_text(text):
            return
        front = self._front(text, self.display(path))
        name = front.module_name
        if name is None:
            self._unreadable.append(front)
        elif name in self._modules:
            self._duplicates.setdefault(name, []).append(front)
        else:
            self._modules[name] = front

    def _module_diagnostics(self, used: list[_Front], found: list[Diagnostic]) -> list[Diagnostic]:
        """The used modules' own front-end diagnostics, a module name declared twice, and, when a module
        was not found, the syntax errors of module files that could not be read (the likely cause)."""
        out = [d for m in used for d in m.diagnostics]
        for m in used:
            out += [_duplicate_module(m, other) for other in self._duplicates.get(m.module_name, ())]
        if any(d.code == "YB206" for d in found):
            out += [d for m in self._unreadable for d in m.diagnostics]
        return out

    def _unreadable_sources(self, found: list[Diagnostic]) -> dict[str, str]:
        if not any(d.code == "YB206" for d in found):
            return {}
        return {m.file: m.text for m in self._unreadable}


def _same_name(file: str) -> str:
    # Span file names are already relative to the root: the driver names each file that way.
    return file


def _result(path: str, ir, diagnostics, sources, header: Optional[Header] = None) -> CompileResult:
    return CompileResult(path=path, ir=ir, diagnostics=sorted(diagnostics, key=sort_key), sources=sources, header=header)


def _duplicate_module(first: _Front, other: _Front) -> Diagnostic:
    decl = next(i for i in other.ast.items if isinstance(i, A.ModuleDecl))
    first_decl = next(i for i in first.ast.items if isinstance(i, A.ModuleDecl))
    return diag("YB202", decl.span, related=[first_decl.span], name=decl.name, other=first_decl.span)


def _not_utf8(name: str, data: bytes, exc: UnicodeDecodeError) -> Diagnostic:
    before = data[: exc.start]
    line = before.count(b"\n") + 1
    col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
    span = A.Span(file=name, line=line, col=col, end_line=line, end_col=col + 1)
    return diag("YB106", span, detail=f"{exc.reason} (byte {exc.start})")


# ───────────────────────────── versions across files ─────────────────────────────


def _check_versions(results: list[CompileResult]) -> list[CompileResult]:
    """Two regulations of one region whose effective intervals overlap: YB602 on each, citing the other."""
    extra: dict[int, list[Diagnostic]] = {i: [] for i in range(len(results))}
    dated = [(i, r.header) for i, r in enumerate(results) if _dated(r.header)]
    for (i, a), (j, b) in itertools.combinations(dated, 2):
        if _amends(results[i], results[j]) or _amends(results[j], results[i]):
            continue  # an amendment and the version it changes: YB613 already says where they overlap
        if a.region_code == b.region_code and _overlap(a, b):
            extra[i].append(_overlap_diagnostic(a, b))
            extra[j].append(_overlap_diagnostic(b, a))
    return [_with_extra(r, extra[i]) for i, r in enumerate(results)]


def _amends(later: CompileResult, earlier: CompileResult) -> bool:
    return later.amendment is not None and later.amendment.earlier == earlier.path


def _dated(h: Optional[Header]) -> bool:
    return h is not None and h.region_code is not None and h.effective_start is not None


def _overlap(a: Header, b: Header) -> bool:
    # Both ends are inclusive; a missing end means the regulation is still in force.
    a_ends_after_b_starts = a.effective_end is None or a.effective_end >= b.effective_start
    b_ends_after_a_starts = b.effective_end is None or b.effective_end >= a.effective_start
    return a_ends_after_b_starts and b_ends_after_a_starts


def _interval(h: Header) -> str:
    end = h.effective_end.isoformat() if h.effective_end else word("version.open_end")
    return word("version.interval", source=h.source, start=h.effective_start.isoformat(), end=end)


def _overlap_diagnostic(mine: Header, other: Header) -> Diagnostic:
    return diag(
        "YB602", mine.effective_span, related=[other.effective_span],
        region=mine.region_name or mine.region_code, first=_interval(mine), second=_interval(other),
    )


def _with_extra(result: CompileResult, extra: list[Diagnostic]) -> CompileResult:
    if not extra:
        return result
    diagnostics = sorted([*result.diagnostics, *extra], key=sort_key)
    return attrs.evolve(result, ir=None, diagnostics=diagnostics)


# Tools that compile many texts against one root (the language server) keep one session, so the
# modules under the root are read and parsed once, not on every keystroke.
Session = _Session

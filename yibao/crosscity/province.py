"""Finding and compiling the province file(s): every module under the rules root that declares 省级参数 or
不变式, run through the province pass (compiler/invariants.py) against the compiled cities."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

import attrs

from yibao.compiler import ast as A
from yibao.compiler.build import build_ast
from yibao.compiler.diagnostics import Diagnostic, diag, has_errors, sort_key
from yibao.compiler.invariants import compile_province
from yibao.compiler.parse import parse

_PROVINCE_CLAUSES = (A.ProvinceParamDecl, A.MonotoneInvariant, A.TableInvariant, A.ClaimInvariant,
                     A.MetamorphicInvariant)
_KEYWORDS = ("省级参数", "province_parameter", "不变式", "invariant")


@attrs.frozen
class Province:
    doc: Optional[dict]  # {"parameters": […], "invariants": […]}; None when the files have errors
    diagnostics: list[Diagnostic]
    sources: dict[str, str]
    files: list[str]


def load_province(root: Path, irs: Iterable[dict]) -> Province:
    """The province document for the cities ``irs``, from the files under ``root`` that declare it."""
    asts, diagnostics, sources = [], [], {}
    for path in sorted(Path(root).rglob("*.yb")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if not any(word in text for word in _KEYWORDS):
            continue  # cheap: most rule files have nothing for this pass
        name = path.resolve().relative_to(Path(root).resolve()).as_posix()
        tree, found = parse(text, name)
        diagnostics += found
        if tree is None:
            sources[name] = text
            continue
        rule_file, built = build_ast(tree, name)
        diagnostics += built
        clauses = _province_clauses(rule_file)
        if clauses and not any(isinstance(i, A.ModuleDecl) for i in rule_file.items):
            diagnostics += [diag("YB809", c.span) for c in clauses]  # a city's own: the province pass never sees it
            sources[name] = text
        elif clauses:
            asts.append(rule_file)
            sources[name] = text
    doc, found = compile_province(asts, irs)
    diagnostics = sorted([*diagnostics, *found], key=sort_key)
    files = sorted(f.path for f in asts)
    return Province(doc=None if has_errors(diagnostics) else doc, diagnostics=diagnostics, sources=sources, files=files)


def _province_clauses(rule_file: A.RuleFile) -> list:
    found = []
    for item in rule_file.items:
        clauses = item.clauses if isinstance(item, A.Article) else (item,)
        found += [c for c in clauses if isinstance(c, _PROVINCE_CLAUSES)]
    return found

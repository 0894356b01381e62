"""The runtime stands alone: no compiler, no lark, no numpy, no tooling (the example runners live in
yibao.testing), no float or round() on the money path."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[1] / "runtime"


def test_runtime_imports_neither_the_compiler_nor_lark():
    check = ("import yibao.runtime, sys; "
             "assert 'lark' not in sys.modules and not any(m.startswith('yibao.compiler') for m in sys.modules), "
             "sorted(m for m in sys.modules if 'lark' in m or m.startswith('yibao.compiler')); "
             "assert 'numpy' not in sys.modules; "
             "assert not any(m.startswith(('yibao.testing', 'yibao.commands')) for m in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _code_lines(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        yield number, line.split("#", 1)[0]


def test_no_float_or_round_calls_in_runtime_sources():
    # plain substrings, docstrings and comments included: nothing that even looks like a call
    found = [f"{p.name}:{n}: {line.strip()}" for p in sorted(RUNTIME.glob("*.py"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
             if "float(" in line or "round(" in line]
    assert not found, found


# The columnar evaluator (runtime/columnar*.py) may use numpy when it is installed, but only behind an import
# inside a function, which it guards: the core never needs it, and ``import yibao.runtime`` never loads it
# (test_runtime_imports_neither_the_compiler_nor_lark). Nothing else outside the standard library is allowed.
OPTIONAL_LAZY = {"numpy"}


def _imports(tree: ast.AST):
    """(module name, whether the import sits inside a function) for every import in ``tree``."""
    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield child.lineno, alias.name, inside
            elif isinstance(child, ast.ImportFrom) and child.level == 0:
                yield child.lineno, child.module or "", inside
            yield from visit(child, inside)
    yield from visit(tree, False)


def test_runtime_imports_only_the_standard_library():
    for path in sorted(RUNTIME.glob("*.py")):
        for lineno, name, in_function in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            top = name.split(".")[0]
            if top in OPTIONAL_LAZY and in_function and path.name.startswith("columnar"):
                continue
            assert top in sys.stdlib_module_names, f"{path.name}:{lineno}: imports {name}"


def test_an_optional_import_is_allowed_only_lazily_in_the_columnar_evaluator():
    eager = ast.parse("import numpy\n")
    lazy = ast.parse("def f():\n    import numpy\n")
    assert [inside for _, _, inside in _imports(eager)] == [False]
    assert [inside for _, _, inside in _imports(lazy)] == [True]

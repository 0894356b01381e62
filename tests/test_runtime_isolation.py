"""The runtime stands alone: no compiler, no lark, no numpy, no float or round() on the money path."""

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
             "assert 'numpy' not in sys.modules")
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


def test_runtime_imports_only_the_standard_library():
    allowed = {"__future__", "copy", "datetime", "decimal", "fractions", "hashlib", "json", "operator", "os",
               "pathlib", "re", "typing", "unicodedata", "weakref"}
    for path in sorted(RUNTIME.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                # the columnar evaluator alone may use numpy (the optional batch extra), imported on first use
                extra = {"numpy"} if path.name == "columnar.py" else set()
                assert name.split(".")[0] in allowed | extra, f"{path.name}:{node.lineno}: imports {name}"

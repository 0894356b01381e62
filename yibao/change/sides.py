"""The two sides of a diff: a rule file, a folder, or ``REVISION:PATH`` in the current git repository.

Entry point: ``load_side(label, spec, modules_root)`` → ``Side`` (every city regulation under the path, compiled).
A git side is read with ``git archive`` into a temporary folder (the path's top folder, so the shared modules
it adopts come along) and compiled there, exactly as a folder on disk. The shared modules (``采用``) are found
in ``modules_root`` (``--rules``) when given for a side on disk, else under the nearest folder, the path's own or
its parent, that holds a module file, else in the installed regulations.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Optional

import attrs

from yibao.compiler.diagnostics import has_errors, render
from yibao.compiler.driver import CompileResult, _is_module_text, compile_path, discover_regulations

__all__ = ["Side", "SideError", "load_side"]


class SideError(ValueError):
    """A side cannot be used: the message names it (OLD/NEW and what was given) and why."""


@attrs.frozen
class Side:
    label: str  # OLD or NEW
    spec: str  # as given on the command line
    results: tuple[CompileResult, ...]

    @property
    def irs(self) -> list[dict]:
        return [r.ir for r in self.results]

    def named(self) -> str:
        return f"{self.label}（{self.spec}）"


def load_side(label: str, spec: str, modules_root: Optional[Path] = None) -> Side:
    """Compile the side; ``SideError`` when the path or revision does not exist or a rule file has errors."""
    path = Path(spec)
    if path.exists():
        return _compile_side(label, spec, path, modules_root)
    if ":" in spec:
        with tempfile.TemporaryDirectory(prefix="yibao-diff-") as tmp:
            return _compile_side(label, spec, _checkout(label, spec, Path(tmp)), None)
    raise SideError(f"{label}（{spec}）：文件或目录不存在，也不是 修订:路径 形式的 git 修订 (no such file, folder or git revision)")


def _checkout(label: str, spec: str, into: Path) -> Path:
    revision, _, inner = spec.partition(":")
    inner = PurePosixPath(inner.strip("/") or ".")
    top = _git(label, spec, "rev-parse", "--show-toplevel", problem="当前目录不在 git 仓库中 (not in a git repository)")
    _git(label, spec, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}",
         problem=f"git 修订「{revision}」不存在 (no such revision)")
    prefix = _git(label, spec, "rev-parse", "--show-prefix", problem="当前目录不在 git 仓库中").strip()
    # REV:PATH is relative to the repository's top, as git reads it; ./PATH to the current folder
    full = PurePosixPath(prefix) / inner if str(inner).startswith("./") or str(inner) == "." else inner
    _git(label, spec, "cat-file", "-e", f"{revision}:{full}", problem=f"修订「{revision}」中没有路径「{full}」 (no such path)")
    top_folder = full.parts[0] if len(full.parts) > 1 else str(full)
    archive = subprocess.run(["git", "-C", top.strip(), "archive", "--format=tar", revision, "--", top_folder],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        raise SideError(f"{label}（{spec}）：git archive 失败：{archive.stderr.decode('utf-8', 'replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python ≥ 3.12 checks paths itself
        tar.extractall(into, members=[m for m in tar.getmembers() if m.isfile() or m.isdir()], **safe)
    return into / full


def _git(label: str, spec: str, *args: str, problem: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, check=False, text=True)
    except OSError as exc:
        raise SideError(f"{label}（{spec}）：无法运行 git：{exc.strerror or exc}") from None
    if done.returncode != 0:
        raise SideError(f"{label}（{spec}）：{problem}")
    return done.stdout


def _compile_side(label: str, spec: str, path: Path, modules_root: Optional[Path]) -> Side:
    root = modules_root or _modules_root(path)  # --rules, when given, wins over the guess
    files = [path] if path.is_file() else discover_regulations(path)
    if not files:
        raise SideError(f"{label}（{spec}）：其中没有城市规则文件 (no city regulation)")
    results = tuple(compile_path(f, root=root) for f in files)
    bad = [r for r in results if has_errors(r.diagnostics) or r.ir is None]
    if bad:
        shown = "\n".join(render(d, r.sources) for r in bad for d in r.diagnostics)
        raise SideError(f"{shown}\n{label}（{spec}）：规则文件有错误，无法编译 (the {label} side does not compile)")
    return Side(label, spec, results)


def _modules_root(path: Path) -> Optional[Path]:
    """The path's folder or its parent, whichever first holds a shared module (a file declaring 模块)."""
    start = path if path.is_dir() else path.parent
    for folder in (start, start.parent):
        candidates = list(folder.glob("*.yb")) + list(folder.glob("*/*.yb"))
        if any(_is_module_text(c.read_bytes().decode("utf-8", "replace")) for c in candidates):
            return folder
    return None

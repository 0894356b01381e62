"""What the command families share: exit-2 failures, atomic output, compiling and loading the rules.

Exit statuses follow the settlement contract: 0 all good; 1 some encounters (or examples) failed but
the output is complete; 2 the input or the rules cannot be used at all (then stdout is empty and stderr
names the file, the place and what was expected).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Optional

import click


def fail(message: str) -> "click.exceptions.Exit":
    click.echo(message, err=True)
    return click.exceptions.Exit(2)


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it into place, so a reader never sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def emit(text: str, output: Optional[Path]) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomically(output, text)


def render_all(result) -> str:
    from yibao.compiler.diagnostics import render

    return "\n".join(render(d, result.sources) for d in result.diagnostics)


def rules_root(rules: Optional[str]) -> Optional[Path]:
    return Path(rules) if rules else None


def compile_regulations(rules: Optional[str]):
    """Compile every city regulation under the rules root; exit 2 with all diagnostics if any fails."""
    from yibao.compiler.diagnostics import has_errors
    from yibao.compiler.driver import compile_all

    results = compile_all(rules_root(rules))
    bad = [r for r in results if has_errors(r.diagnostics)]
    if bad:
        raise fail("\n".join(render_all(r) for r in bad) + "\n规则文件有错误，无法结算 (rule files have errors)")
    return results


def loaded(irs, build=list):
    """Load compiled IR into the runtime. The compiler made it, so a refusal here is a compiler bug:
    say so plainly instead of showing a traceback."""
    from yibao.runtime import IRError, Regulation

    try:
        return build([Regulation.from_ir(ir) for ir in irs])
    except IRError as exc:
        raise fail(f"内部错误（编译器缺陷 compiler bug）：运行时拒绝了编译出的 IR：{exc}")


def regulations(rules: Optional[str], ir_files: tuple = (), wanted=lambda: None) -> list:
    """The regulations a command runs on: the ``--ir`` files as given, or the compiled rules from the IR
    cache (``irstore``), compiling them only when the cache has no usable entry. From the cache only the
    region ``wanted()`` names is loaded; ``wanted`` is asked only then (after the rules are known to compile)."""
    if ir_files:
        return [_load_ir_file(path) for path in ir_files]
    from .irstore import Entry, Store, damaged, select

    store = Store(rules_root(rules))
    entries = store.entries()
    if entries is not None:
        found = _load_entries(select(entries, wanted()), damaged)
        if found is not None:
            return found
    irs = [r.ir for r in compile_regulations(rules)]
    store.save(irs)
    by_sha = {ir["sha256"]: ir for ir in irs}
    fresh = [Entry(None, ir["regulation"]["region_code"], ir["regulation"]["region_name"], ir["sha256"]) for ir in irs]
    return loaded(by_sha[e.sha256] for e in select(fresh, wanted()))


def _load_entries(entries: list, damaged) -> Optional[list]:
    """The cached regulations, or None (after saying which) when an entry does not hold what its index says."""
    from yibao.runtime import IRError, Regulation

    found = []
    for entry in entries:
        try:
            reg = Regulation.from_ir(Path(entry.path))
        except IRError as exc:
            damaged(entry.path, exc)
            return None
        if reg.sha256 != entry.sha256:
            damaged(entry.path, f"sha256 {reg.sha256} 与索引中的 {entry.sha256} 不符")
            return None
        found.append(reg)
    return found


def _load_ir_file(path: str):
    """One ``--ir`` file; a file that cannot be used (unreadable, malformed, wrong sha256) is exit 2 naming it."""
    from yibao.runtime import IRError, Regulation

    if not Path(path).is_file():
        raise fail(f"{path}: 文件不存在 (file not found)")
    try:
        return Regulation.from_ir(Path(path))
    except IRError as exc:
        raise fail(f"{path}: 无法使用的 IR：{exc}")


def build_engine(kind, regs: list, precompiled: bool):
    """``Engine`` or ``ContributionEngine`` over ``regs``; a set of regulations the runtime refuses (two
    versions overlapping, an output missing) is exit 2: the user's IR files, or a compiler bug."""
    from yibao.runtime import IRError

    try:
        return kind(regs)
    except IRError as exc:
        if precompiled:
            raise fail(f"--ir：这些 IR 不能一起使用：{exc}")
        raise fail(f"内部错误（编译器缺陷 compiler bug）：运行时拒绝了编译出的 IR：{exc}")


def region_of(text: str, name: str, region: Optional[str]):
    """The region a case names (for loading only that region's rules); None when it cannot be read (the
    runtime then reports the case's problems as it always does)."""
    if region is not None:
        return region
    from yibao.runtime import CaseError, load_case_text

    try:
        return load_case_text(text, name).get("region")
    except CaseError:
        return None


def read_case(case_file: str) -> tuple[str, str]:
    if case_file == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return Path(case_file).read_text(encoding="utf-8"), case_file
    except FileNotFoundError:
        raise fail(f"{case_file}: 文件不存在 (file not found)")
    except (UnicodeDecodeError, OSError) as exc:
        raise fail(f"{case_file}: 无法读取：{exc}")

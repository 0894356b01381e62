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

from yibao.compiler.diagnostics import has_errors, render


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
        return
    try:
        write_atomically(output, text)
    except OSError as exc:
        blocked = next((p for p in output.parents if p.exists() and not p.is_dir()), None)
        reason = f"{blocked} 不是目录 (not a directory)" if blocked else exc.strerror or exc
        raise fail(f"{output}: 无法写入输出文件（cannot write the output）：{reason}")


def render_all(result) -> str:
    return "\n".join(render(d, result.sources) for d in result.diagnostics)


def rules_root(rules: Optional[str]) -> Optional[Path]:
    """The ``--rules`` directory; one that does not exist is the user's mistake, named as such."""
    if not rules:
        return None
    root = Path(rules)
    if not root.is_dir():
        raise fail(f"--rules {rules}: 规则根目录不存在 (no such directory)")
    return root


def _compile_every_region(rules: Optional[str]):
    from yibao.compiler.driver import compile_all

    results = compile_all(rules_root(rules))
    if not results:
        raise fail(f"--rules {rules}: 其中没有城市规则文件 (no regulations under the rules root)")
    return results


class RegionRules:
    """The regions whose rules loaded, and for each region that did not, why (its diagnostics or the
    runtime's refusal). One broken city does not take the others down: only its own cases are refused."""

    def __init__(self, rules: Optional[str], kind: str) -> None:
        from yibao.runtime import IRError, Regulation

        self.kind = kind  # "settle" or "contribute": which engine the regions feed
        self.regulations, self.broken, self.unplaced = [], {}, []
        for result in _compile_every_region(rules):
            if result.ir is None or has_errors(result.diagnostics):
                self._mark(result.header.region_code if result.header else None, render_all(result))
                continue
            try:
                regulation = Regulation.from_ir(result.ir)
                problem = self._problem(regulation)
            except IRError as exc:  # the admit pass should have said so: a compiler bug, named as one
                regulation, problem = None, f"内部错误（编译器缺陷 compiler bug）：运行时拒绝了编译出的 IR：{exc}"
            if problem:
                self._mark(result.ir["regulation"]["region_code"], f"{result.path}: {problem}")
            else:
                self.regulations.append(regulation)

    def _problem(self, regulation) -> Optional[str]:
        if self.kind == "settle":
            return regulation.settlement_problem()
        from yibao.runtime import contribution_program

        contribution_program(regulation)  # an IRError here is the region's, not everyone's
        return None

    def _mark(self, region: Optional[str], why: str) -> None:
        if region:
            self.broken.setdefault(region, []).append(why)
        else:
            self.unplaced.append(why)

    def engine(self):
        from yibao.runtime import ContributionEngine, Engine, IRError

        try:
            return (Engine if self.kind == "settle" else ContributionEngine)(self.regulations)
        except IRError as exc:  # versions of one region that overlap: no region can be told apart safely
            raise fail(f"规则无法载入：{exc}")

    def refuse_if_broken(self, case, region: Optional[str], name: str) -> None:
        """Exit 2 naming the region when the case's region is one whose rules did not load."""
        from yibao.runtime import contract as C

        given = region if region is not None else (case.get("region") if isinstance(case, dict) else None)
        names = {r.region_code: r.region_name for r in self.regulations}
        code = C.region_code(given.strip(), names) if isinstance(given, str) else None
        loaded = {r.region_code for r in self.regulations}
        why = self.broken.get(code) if code else None
        if why is None and code not in loaded and self.unplaced:
            why = self.unplaced  # a file too broken to name its region may be the one the case wants
        if why:
            label = f"{code} {C.region_name(code, names)}" if code else repr(given)
            raise fail(f"{name}: 地区 {label} 的规则无法载入，不能计算这个案例 "
                       f"(the rules of this region do not load)：\n" + "\n".join(why))


def loaded(irs, build=list):
    """Load compiled IR into the runtime. The compiler made it, so a refusal here is a compiler bug:
    say so plainly instead of showing a traceback."""
    from yibao.runtime import IRError, Regulation

    try:
        return build([Regulation.from_ir(ir) for ir in irs])
    except IRError as exc:
        raise fail(f"内部错误（编译器缺陷 compiler bug）：运行时拒绝了编译出的 IR：{exc}")


def read_case(case_file: str) -> tuple[str, str]:
    """The case's text, decoded as UTF-8 here (never by the terminal's locale) so that other bytes are
    named as an encoding problem, not as invalid JSON."""
    from yibao.runtime.limits import MAX_CASE_BYTES

    name = "<stdin>" if case_file == "-" else case_file
    try:
        if case_file == "-":
            stream = getattr(sys.stdin, "buffer", None)
            data = stream.read(MAX_CASE_BYTES + 1) if stream is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
        else:
            with open(case_file, "rb") as handle:
                data = handle.read(MAX_CASE_BYTES + 1)
    except FileNotFoundError:
        raise fail(f"{case_file}: 文件不存在 (file not found)")
    except OSError as exc:
        raise fail(f"{case_file}: 无法读取：{exc.strerror or exc}")
    if len(data) > MAX_CASE_BYTES:
        raise fail(f"{name}: 案例过大（超过 {MAX_CASE_BYTES} 字节，见 docs/limits.md）")
    try:
        return data.decode("utf-8"), name
    except UnicodeDecodeError as exc:
        raise fail(f"{name}: 不是 UTF-8 文本（第 {exc.start} 字节 0x{data[exc.start]:02x}）：案例须为 UTF-8 编码的 JSON")

"""What the command families share: exit-2 failures, atomic output, compiling and loading the rules.

Exit statuses follow the settlement contract: 0 all good; 1 some encounters (or examples) failed but
the output is complete; 2 the input or the rules cannot be used at all (then stdout is empty and stderr
names the file, the place and what was expected).
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Optional

import click


def refused_ir(exc: Exception) -> str:
    """What to say when the runtime refuses IR the compiler produced: rules that cannot settle are the
    rules' matter; anything else the admit pass should have caught, so it is named a compiler defect."""
    from yibao.runtime import CannotSettle

    if isinstance(exc, CannotSettle):
        return str(exc)  # it says what the rules lack
    return f"内部错误（编译器缺陷 compiler bug）：运行时拒绝了编译出的 IR：{exc}"


def fail(message: str) -> "click.exceptions.Exit":
    click.echo(message, err=True)
    return click.exceptions.Exit(2)


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it into place, so a reader never sees half.
    The file gets the mode a plain ``open(path, "w")`` would give it (``mkstemp`` makes it 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """An existing file keeps its permissions; a new one gets 0666 less the umask, as open() would."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)  # the only portable way to read it is to set it; put it straight back
        os.umask(umask)
        return 0o666 & ~umask


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
    from yibao.compiler.diagnostics import render

    return "\n".join(render(d, result.sources) for d in result.diagnostics)


def rules_root(rules: Optional[str]) -> Optional[Path]:
    """The ``--rules`` directory; one that does not exist is the user's mistake, named as such."""
    if not rules:
        return None
    root = Path(rules)
    if not root.is_dir():
        raise fail(f"--rules {rules}: 规则根目录不存在 (no such directory)")
    return root


def city_folder(path: Optional[str]) -> Optional[Path]:
    """``path`` when it is a folder of city files that holds none of the modules they use (``regulations/dongying``):
    such a folder is checked against the rules root, not taken for one. None otherwise."""
    from yibao.compiler.driver import discover_regulations

    if not path or not Path(path).is_dir():
        return None
    folder = Path(path)
    every = list(folder.rglob("*.yb"))
    return folder if every and len(discover_regulations(folder)) == len(every) else None


def _compile_every_region(rules: Optional[str]):
    from yibao.compiler.driver import compile_all

    results = compile_all(rules_root(rules))
    if not results:
        raise fail(f"--rules {rules}: 其中没有城市规则文件 (no regulations under the rules root)")
    return results


def compile_regulations(rules: Optional[str]):
    """Compile every city regulation under the rules root; exit 2 with all diagnostics if any fails (for the
    commands that need every city: compare, matrix, synth, report)."""
    from yibao.compiler.diagnostics import has_errors

    results = _compile_every_region(rules)
    bad = [r for r in results if has_errors(r.diagnostics)]
    if bad:
        raise fail("\n".join(render_all(r) for r in bad) + "\n规则文件有错误，无法结算 (rule files have errors)")
    return results


def province_of(rules: Optional[str], irs: list):
    """The province files (省级参数, 不变式) under the rules root, compiled against the cities ``irs``; exit 2
    with their diagnostics if they have errors."""
    from yibao.compiler.diagnostics import render
    from yibao.compiler.driver import default_root
    from yibao.crosscity.province import load_province

    province = load_province(rules_root(rules) or default_root(), irs)
    if province.doc is None:
        raise fail("\n".join(render(d, province.sources) for d in province.diagnostics) + "\n省级参数文件有错误")
    return province


class RegionRules:
    """The regions whose rules loaded, and for each region that did not, why (its diagnostics or the
    runtime's refusal). One broken city does not take the others down: only its own cases are refused."""

    def __init__(self, rules: Optional[str], kind: str) -> None:
        from yibao.compiler.diagnostics import has_errors
        from yibao.runtime import IRError, Regulation

        self.kind = kind  # "settle" or "contribute": which engine the regions feed
        self.regulations, self.broken, self.unplaced = [], {}, []
        self.names: dict = {}  # region code → name, from every rule file's 地区 line, broken ones too
        for result in _compile_every_region(rules):
            if result.header:
                self.names.setdefault(result.header.region_code, result.header.region_name)
            if result.ir is None or has_errors(result.diagnostics):
                self._mark(result.header.region_code if result.header else None, render_all(result))
                continue
            try:
                regulation = Regulation.from_ir(result.ir)
                problem = self._problem(regulation)
            except IRError as exc:  # the admit pass should have said so: a compiler bug, named as one
                regulation, problem = None, refused_ir(exc)
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

    def refuse_if_broken(self, given, name: str) -> None:
        """Exit 2 naming the region when ``given`` (the region a case names) is one whose rules did not load."""
        from yibao.runtime import contract as C

        names = {**self.names, **{r.region_code: r.region_name for r in self.regulations}}
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
        raise fail(refused_ir(exc))


def regulations(rules: Optional[str], ir_files: tuple = (), wanted=lambda: None, *, kind: str = "settle",
                name: str = "") -> list:
    """The regulations a command runs on: the ``--ir`` files as given, or the compiled rules from the IR
    cache (``irstore``), compiling them only when the cache has no usable entry. From the cache only the
    region ``wanted()`` names is loaded; ``wanted`` is asked only then (after the rules are known to compile).

    A region whose rules do not compile or load does not take the others down: the cache is then not
    written (so the next call compiles again, and sees the fix), and only a case of that region (``name``
    in the message) is refused, exit 2."""
    if ir_files:
        return [_load_ir_file(path) for path in ir_files]
    from .irstore import Entry, Store, damaged, select

    store = Store(rules_root(rules))
    entries = store.entries()
    if entries is not None:
        found = _load_entries(select(entries, wanted()), damaged)
        if found is not None:
            return found
    regions = RegionRules(rules, kind)
    if not regions.broken and not regions.unplaced:
        store.save([r.ir for r in regions.regulations])
    given = wanted()
    regions.refuse_if_broken(given, name or "<case>")
    by_sha = {r.sha256: r for r in regions.regulations}
    fresh = [Entry(None, r.region_code, r.region_name, r.sha256) for r in regions.regulations]
    return [by_sha[e.sha256] for e in select(fresh, given)]


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
        raise fail(refused_ir(exc))


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

"""The compiled-IR cache of ``yibao settle``, ``contribute`` and ``explain``: compile the rules once, not per call.

Where: ``$YIBAO_CACHE_DIR`` if set, else the user's cache directory — ``$XDG_CACHE_HOME/yibao`` (by
default ``~/.cache/yibao``) on Linux, ``~/Library/Caches/yibao`` on macOS, ``%LOCALAPPDATA%\\yibao\\Cache``
on Windows. Under it, ``ir/<key>/`` holds one canonical IR file per city regulation and ``index.json``
naming them with their region and sha256.

The key is the sha256 of everything the IR is made from: every ``*.yb`` file under the rules root (path
and bytes), the grammar, the compiler's own source files and yibao's version. It is computed from the
bytes on disk without importing the compiler, so a cache hit never loads lark. Any change to a rule
file, the grammar or the compiler gives another key, so an entry is never stale by construction; an
entry that is damaged anyway (unreadable index, an IR file whose sha256 does not match its content or
its index line) is reported on stderr and rebuilt, never trusted.

Only the regulations of the region a case names are loaded (``select``); a case whose region matches
none loads all, so the runtime's message lists every region as it always did.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Optional

import click

import yibao

INDEX = "index.json"
LAYOUT = "yibao-ir-cache/1"  # bump when the layout of an entry changes


def cache_root() -> Path:
    """Where the cache lives (see the module doc)."""
    given = os.environ.get("YIBAO_CACHE_DIR")
    if given:
        return Path(given)
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "yibao" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "yibao"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "yibao"


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # locates the package without importing it
    return Path(next(iter(spec.submodule_search_locations)))


def rules_dir(rules: Optional[Path]) -> Path:
    return (Path(rules) if rules is not None else _package_dir("yibao.regulations")).resolve()


def source_key(rules: Optional[Path]) -> str:
    """sha256 of the rule files, the grammar, the compiler's sources and yibao's version."""
    digest = hashlib.sha256(f"{LAYOUT}\0{yibao.__version__}\0".encode())
    parts = [("rules", rules_dir(rules), "*.yb"), ("grammar", _package_dir("yibao.grammar"), "*.lark"),
             ("compiler", _package_dir("yibao.compiler"), "*.py")]
    for label, base, pattern in parts:
        for path in sorted(base.rglob(pattern)):
            data = path.read_bytes()
            digest.update(f"\0{label}/{path.relative_to(base).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


class Entry:
    """One cached regulation: its IR file and what the index says about it."""

    def __init__(self, path: Path, region_code: str, region_name: str, sha256: str) -> None:
        self.path = path
        self.region_code = region_code
        self.region_name = region_name
        self.sha256 = sha256


class Store:
    """The cache entry for one rules root."""

    def __init__(self, rules: Optional[Path]) -> None:
        self.key = source_key(rules)
        try:
            self.dir: Optional[Path] = cache_root() / "ir" / self.key
        except (RuntimeError, KeyError):  # no home directory to find a cache in: compile every time
            self.dir = None

    def entries(self) -> Optional[list[Entry]]:
        """The cached regulations, or None when there is no usable entry (then say why, if it was damaged)."""
        if self.dir is None:
            return None
        index = self.dir / INDEX
        if not index.exists():
            return None
        try:
            doc = json.loads(index.read_text(encoding="utf-8"))
            if doc["key"] != self.key:
                raise ValueError("索引的键与目录不符")
            return [Entry(self.dir / item["file"], item["region_code"], item["region_name"], item["sha256"])
                    for item in doc["regulations"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            damaged(index, exc)
            return None

    def save(self, irs: list[dict]) -> Optional[list[Entry]]:
        """Write the IR files, then the index (last, so a half-written entry has none and is rebuilt)."""
        from yibao.compiler.lower import canonical_json

        from .common import write_atomically

        entries, listed = [], []
        if self.dir is None:
            return None
        try:
            for ir in irs:
                reg = ir["regulation"]
                name = f"{reg['region_code']}-{reg['effective'][0]}-{ir['sha256'][:16]}.ir.json"
                write_atomically(self.dir / name, canonical_json(ir).decode("utf-8"))
                entries.append(Entry(self.dir / name, reg["region_code"], reg["region_name"], ir["sha256"]))
                listed.append({"file": name, "region_code": reg["region_code"], "region_name": reg["region_name"],
                               "sha256": ir["sha256"]})
            write_atomically(self.dir / INDEX, json.dumps({"key": self.key, "regulations": listed},
                                                          ensure_ascii=False, indent=1) + "\n")
        except OSError:
            return None  # an unwritable cache costs time, never a result
        return entries


def damaged(path: Path, reason: object) -> None:
    click.echo(f"{path}: IR 缓存项已损坏或过期（{reason}），重新编译 (stale or corrupt IR cache entry: rebuilt)",
               err=True)


def select(entries: list, wanted: object) -> list:
    """The entries of the region ``wanted`` names (a code, or a city name with or without 市), or all of them
    when it names none of theirs (the runtime then reports the region as it always did)."""
    from yibao.runtime.contract import region_code

    names = {e.region_code: e.region_name for e in entries}
    code = region_code(wanted.strip(), names) if isinstance(wanted, str) else None
    chosen = [e for e in entries if e.region_code == code]
    return chosen or list(entries)

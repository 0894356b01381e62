"""Compiled bundled regulations, shared by the cross-city tests (compiled once per test session)."""

from __future__ import annotations

import functools

from yibao.compiler.driver import compile_all
from yibao.crosscity.regions import regions_of
from yibao.runtime import Engine, Regulation


@functools.lru_cache(maxsize=None)
def bundled_irs() -> tuple:
    return tuple(r.ir for r in compile_all(None))


def bundled_regions() -> dict:
    return regions_of(bundled_irs())


@functools.lru_cache(maxsize=None)
def bundled_engine() -> Engine:
    return Engine([Regulation.from_ir(ir) for ir in bundled_irs()])

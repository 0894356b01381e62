"""The regions the compiled regulations cover, and reading a region argument (code or city name)."""

from __future__ import annotations

from typing import Iterable


class RegionError(ValueError):
    """A region argument names no loaded region; the message lists the known ones."""


def regions_of(irs: Iterable[dict]) -> dict[str, list[dict]]:
    """region code → its regulations' IR, oldest first."""
    by_code: dict[str, list[dict]] = {}
    for ir in irs:
        by_code.setdefault(ir["regulation"]["region_code"], []).append(ir)
    for group in by_code.values():
        group.sort(key=lambda ir: ir["regulation"]["effective"][0])
    return dict(sorted(by_code.items()))


def region_name(group: list[dict]) -> str:
    return group[0]["regulation"]["region_name"]


def known_list(by_code: dict[str, list[dict]]) -> str:
    return "、".join(f"{code} {region_name(group)}" for code, group in by_code.items())


def resolve_region(text: str, by_code: dict[str, list[dict]]) -> str:
    """The code of the region ``text`` names: its code, or its name with or without 市."""
    wanted = text.strip()
    for code, group in by_code.items():
        name = region_name(group)
        if wanted in (code, name, name.removesuffix("市")):
            return code
    raise RegionError(f"未知的地区「{text}」；已载入规定的地区：{known_list(by_code)}")


def resolve_regions(text: str, by_code: dict[str, list[dict]]) -> list[str]:
    """A comma-separated region list (，、 also separate); every unknown one is named in one error."""
    parts = [p for p in text.replace("，", ",").replace("、", ",").split(",") if p.strip()]
    if not parts:
        raise RegionError(f"--regions 为空；已载入规定的地区：{known_list(by_code)}")
    codes, unknown = [], []
    for part in parts:
        try:
            code = resolve_region(part, by_code)
        except RegionError:
            unknown.append(part.strip())
            continue
        if code not in codes:
            codes.append(code)
    if unknown:
        raise RegionError(f"未知的地区「{'、'.join(unknown)}」；已载入规定的地区：{known_list(by_code)}")
    return codes

"""``yibao diff``: pair the regulations of two sides, diff each pair, and measure the change on a claim set.

Entry point: ``diff_sides(old, new, claims=None, persons=…, seed=…) -> dict`` (the JSON ``yibao diff --json``
prints). Two sides of one regulation each are paired whatever their file names (their regions must agree);
otherwise regulations are paired by their file under the regulations root, and one found on one side only is
listed as added or removed. Without a claims file, each changed region gets a ``synth`` set (the old
version's mix, so the claims are the ones the current rules were written for).

A pair whose versions are in force at different times (an amendment against the version it revises, a
version against its successor) is compared on the same claims: the new version's rules settle them as if in
force on their dates, since otherwise no claim would find a version in force on both sides and the impact
would be every claim failing. The JSON says so (``claims.redated``).
"""

from __future__ import annotations

from typing import Optional

from yibao.crosscity.compare import read_claims
from yibao.crosscity.synth import SynthError, synthesize
from yibao.runtime import Engine, Regulation

from .impact import GROUPS, impact
from .semantic import new_open_values, semantic_changes
from .sides import Side, SideError

__all__ = ["diff_sides", "DiffError", "DEFAULT_PERSONS"]

DEFAULT_PERSONS = 500


class DiffError(ValueError):
    """The two sides cannot be compared (different regions); the message names both."""


def diff_sides(old: Side, new: Side, claims: Optional[tuple[str, str]] = None, persons: int = DEFAULT_PERSONS,
               seed: int = 1) -> dict:
    """``claims`` is (text, file name) of a JSON Lines claims file, or None for a synth set per changed region."""
    pairs, added, removed = _pairs(old, new)
    regulations = []
    for before, after in pairs:
        changes = semantic_changes(before, after)
        regulations.append({"region_code": after["regulation"]["region_code"],
                            "region_name": after["regulation"]["region_name"], "title": after["regulation"]["title"],
                            "old": _version(before), "new": _version(after),
                            "changes": [c.as_json() for c in changes],
                            "new_open_values": [c.name for c in new_open_values(changes)], "_changes": changes})
    all_changes = [c for r in regulations for c in r.pop("_changes")]
    result = {"old": old.spec, "new": new.spec, "regulations": regulations,
              "added": [_version(ir) for ir in added], "removed": [_version(ir) for ir in removed],
              "changed": bool(all_changes or added or removed),
              "new_open_values": [n for r in regulations for n in r["new_open_values"]]
                                 + [o["name"] for ir in added for o in ir["open_values"]]}
    changed_regions = sorted({r["region_code"] for r in regulations if r["changes"]})
    if claims is None and not changed_regions:
        result["impact"] = None
        return result
    good, bad, source = _claims(old, new, claims, changed_regions, persons, seed)
    redated = {after["sha256"]: before["regulation"]["effective"] for before, after in pairs
               if before["regulation"]["effective"] != after["regulation"]["effective"]}
    if redated:
        source["redated"] = sorted(_version(ir)["title"] for ir in new.irs if ir["sha256"] in redated)
    result["claims"] = source
    result["impact"] = impact(_engine(old), _engine(new, redated), good, bad, all_changes,
                              vocabulary_names(new.irs + old.irs))
    return result


def _pairs(old: Side, new: Side):
    if len(old.irs) == 1 and len(new.irs) == 1:
        before, after = old.irs[0], new.irs[0]
        if before["regulation"]["region_code"] != after["regulation"]["region_code"]:
            raise DiffError(f"两边不是同一地区 (regions differ)：{old.named()} 是 {_region(before)}，"
                            f"{new.named()} 是 {_region(after)}")
        return [(before, after)], [], []
    by_source = {ir["regulation"]["source"]: ir for ir in old.irs}
    news = {ir["regulation"]["source"]: ir for ir in new.irs}
    for source in set(by_source) & set(news):
        if by_source[source]["regulation"]["region_code"] != news[source]["regulation"]["region_code"]:
            raise DiffError(f"{source}：两边不是同一地区 (regions differ)：{old.label} 是 {_region(by_source[source])}，"
                            f"{new.label} 是 {_region(news[source])}")
    pairs = [(by_source[s], news[s]) for s in sorted(set(by_source) & set(news))]
    return pairs, [news[s] for s in sorted(set(news) - set(by_source))], [by_source[s] for s in sorted(set(by_source) - set(news))]


def _region(ir: dict) -> str:
    return f"{ir['regulation']['region_name']}（{ir['regulation']['region_code']}）"


def _version(ir: dict) -> dict:
    reg = ir["regulation"]
    return {"source": reg.get("source"), "region_code": reg["region_code"], "title": reg["title"],
            "effective": reg["effective"], "sha256": ir["sha256"], "semantic_sha256": ir.get("semantic_sha256")}


def _claims(old: Side, new: Side, claims, regions: list[str], persons: int, seed: int):
    if claims is not None:
        text, name = claims
        good, bad = read_claims(text, name)
        return good, bad, {"file": name, "lines": len(good) + len(bad)}
    lines = []
    for code in regions:
        try:
            lines += synthesize([ir for ir in old.irs if ir["regulation"]["region_code"] == code], persons, seed).splitlines()
        except SynthError as exc:
            raise SideError(f"{old.named()}：无法生成 {code} 的案例：{exc}") from None
    good, bad = read_claims("\n".join(lines), "synth")
    return good, bad, {"synth": {"regions": regions, "persons": persons, "seed": seed}, "lines": len(lines)}


def _engine(side: Side, redated: Optional[dict] = None) -> Engine:
    """The side's engine; ``redated``: sha256 → the effective period a version settles under instead of its own
    (the IR is the side's own, only its dates moved, so its hash is not checked again)."""
    redated = redated or {}
    return Engine([Regulation.from_ir(_with_effective(ir, redated[ir["sha256"]]), verify=False) if ir["sha256"] in redated
                   else Regulation.from_ir(ir) for ir in side.irs])


def _with_effective(ir: dict, effective: list) -> dict:
    return dict(ir, regulation=dict(ir["regulation"], effective=list(effective)))


def vocabulary_names(irs: list[dict]) -> dict[str, dict[str, str]]:
    """Vocabulary field → code → member name, for the fields winners and losers are grouped by."""
    wanted = {field for _, _, _, field in GROUPS}
    names: dict[str, dict[str, str]] = {}
    for ir in irs:
        for vocabulary in ir["vocabularies"]:
            if vocabulary["field"] in wanted:
                for member in vocabulary["members"]:
                    names.setdefault(vocabulary["field"], {}).setdefault(member["code"], member["name"])
    return names

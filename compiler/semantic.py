"""The IR's meaning apart from where it was written: the form ``semantic_sha256`` hashes and ``yibao diff`` compares.

Entry points: ``without_positions(ir)`` (every ``at``, the regulation's ``source`` path and the hashes left out),
``semantic_form(ir)`` (that, with the lists whose order carries no meaning sorted) and ``semantic_sha256(ir)``.
Two rule texts that differ only in comments, layout, punctuation spelling, file name or the order of
independent clauses give the same semantic form, so the same hash (docs/ir.md, "Semantic hash").
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["without_positions", "semantic_form", "semantic_sha256", "HASH_KEYS"]

HASH_KEYS = ("sha256", "semantic_sha256")
_POSITION_KEYS = frozenset(("at", "ir_sha256") + HASH_KEYS)

# Sections whose order is the source's, not the meaning's: sorted by these keys. Kept in order on purpose:
# exclusions (the first that holds wins), vocabulary members (they order table cells and reports), notes.
_SORTED_BY = {"vocabularies": "name", "inputs": "name", "tables": "name", "counters": "name", "definitions": "name",
              "outputs": "field", "open_values": "name", "articles": "label"}
_SORTED_WHOLE = ("interpretations", "examples")


def without_positions(ir: Any) -> Any:
    """``ir`` with every source position (``at``), the regulation's file name and the hashes left out."""
    if isinstance(ir, dict):
        return {k: without_positions(v) for k, v in ir.items()
                if k not in _POSITION_KEYS and not (k == "source" and "region_code" in ir)}
    if isinstance(ir, list):
        return [without_positions(v) for v in ir]
    return ir


def semantic_form(ir: dict) -> dict:
    """The IR without positions, each section listed in an order fixed by its content."""
    form = without_positions(ir)
    _sort_sections(form)
    if isinstance(form.get("contribution"), dict):
        _sort_sections(form["contribution"])
    return form


def _sort_sections(section: dict) -> None:
    for key, field in _SORTED_BY.items():
        if isinstance(section.get(key), list):
            section[key] = sorted(section[key], key=lambda item: (str(item.get(field)), _dumps(item)))
    for key in _SORTED_WHOLE:
        if isinstance(section.get(key), list):
            section[key] = sorted(section[key], key=_dumps)
    for definition in section.get("definitions") or ():
        # tied priorities are proved disjoint by the checker, so their source order means nothing
        definition["exceptions"] = sorted(definition.get("exceptions") or (),
                                          key=lambda e: (e.get("priority") or 0, _dumps(e)))


def semantic_sha256(ir: dict) -> str:
    """Hex SHA-256 of the canonical JSON of ``semantic_form(ir)``."""
    return hashlib.sha256(_dumps(semantic_form(ir)).encode("utf-8")).hexdigest()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

"""Admit: the lowered IR offered to the runtime before ``check`` calls it good.

``yibao check`` must pass only what ``settle``, ``contribute`` and ``test`` can run. The earlier passes
check the language; this one checks the contract and the runtime's own refusals, so that a mistake they
cannot see (a misspelt contract field, a contribution output deleted from the model or typed as a truth
value, an example that mixes a claim with a contribution month) is a diagnostic at its line instead of
"内部错误（编译器缺陷）" later:

- every input field is a contract field or an extension field that is not a near-miss of one (YB216);
- a contribution example names no claim's value (YB221);
- the runtime loads the IR and its contribution section (YB901 with the runtime's reason, located at
  the IR element it names).

The runtime never imports the compiler; the compiler may import the runtime, and uses its contract
tables here so that the list of contract fields is said once.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Iterator, Optional

from .ast import Span
from .diagnostics import Diagnostic, diag

__all__ = ["admit"]

_AT = re.compile(r"(.+):([0-9]+):([0-9]+)")
_PATH_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z_0-9]*)|\[([0-9]+)\]|\([^)]*\)")


def admit(ir: dict, file: str) -> list[Diagnostic]:
    """The diagnostics that keep ``ir`` (compiled from ``file``) from running; empty when it runs."""
    found = list(_field_names(ir)) + list(_mixed_examples(ir))
    if found:
        return found
    refusal = _runtime_refusal(ir)
    if refusal is None:
        return []
    section, message = refusal
    return [diag("YB901", _locate(ir, section, message, file), detail=message)]


# ── contract fields ──────────────────────────────────────────────────────────────────────────


def _contract_fields() -> set[str]:
    from yibao.runtime import contract as C
    from yibao.runtime import contribution_case as K

    fields = {f"person.{k}" for k in (*C.PERSON_FIELDS, *K.PERSON_FIELDS, "age")}
    fields |= {f"encounter.{k}" for k in C.ENCOUNTER_FIELDS} | {f"encounter.fees.{k}" for k in C.FEE_CLASSES}
    fields |= {f"contribution.{k}" for k in K.TOP_FIELDS if k != "person"}
    return fields


def _field_names(ir: dict) -> Iterator[Diagnostic]:
    """YB216 for an input field outside the three scopes, or one a letter or two from a contract field (a
    misspelling the runtime would read as a required extension field that no case carries)."""
    known = _contract_fields()
    inputs = list(ir["inputs"]) + list((ir.get("contribution") or {}).get("inputs") or ())
    seen = set()
    for item in inputs:
        field = item["field"]
        if field in known or field in seen:
            continue
        seen.add(field)
        scope = field.partition(".")[0]
        close = difflib.get_close_matches(field, sorted(known), n=1, cutoff=0.85)
        if scope not in ("person", "encounter", "contribution") or close:
            hints = tuple(f"是否想写 {c}？(did you mean {c}?)" for c in close)
            yield diag("YB216", _span_at(item.get("at")), hints=hints, name=field)


# ── examples ─────────────────────────────────────────────────────────────────────────────────


def _mixed_examples(ir: dict) -> Iterator[Diagnostic]:
    """YB221 for a contribution example that also names a claim's values (an encounter field, a counter):
    the split puts it with the contributions, where no claim is read."""
    section = ir.get("contribution")
    if not section:
        return
    inputs = {i["name"]: i["field"] for i in [*ir["inputs"], *section.get("inputs", ())]}
    claim = {n for n, f in inputs.items() if f.startswith("encounter.")} | {c["name"] for c in ir["counters"]}
    settlement = claim | {d["name"] for d in ir["definitions"]}
    contribution_only = {d["name"] for d in section.get("definitions", ())} - settlement
    for example in section.get("examples", ()):
        names = list(example.get("person") or {})
        for encounter in example.get("encounters") or ():
            names += list(encounter.get("inputs") or {}) + list((encounter.get("expect") or {}).get("values") or {})
        mixed = sorted({n for n in names if n in claim})
        if mixed:
            mixed = sorted({n for n in names if n in settlement})
            others = sorted({n for n in names if n in contribution_only})
            yield diag("YB221", _span_at(example.get("at")), settlement="、".join(mixed),
                       contribution="、".join(others) or "缴费日期")


# ── the runtime's own refusal ────────────────────────────────────────────────────────────────


def _runtime_refusal(ir: dict) -> Optional[tuple[Optional[str], str]]:
    """(the IR section the message's path is relative to, the runtime's message), or None if it loads.

    A regulation without every settlement output (a partial file in a test, a draft) is not refused: it
    loads, and ``yibao settle`` gives the cases of its region a per-case error naming it."""
    from yibao.runtime import IRError, Regulation
    from yibao.runtime.contribute import contribution_program

    try:
        regulation = Regulation.from_ir(ir, verify=False, fast=False)  # the generated code falls back to these closures
    except IRError as exc:
        return None, str(exc)
    try:
        contribution_program(regulation)
    except IRError as exc:  # its paths are relative to the contribution section
        return "contribution", str(exc)
    return None


def _locate(ir: dict, section: Optional[str], message: str, file: str) -> Span:
    """Where in the rule files the element a runtime message names came from: the ``at`` of the deepest
    element on the message's JSON path, else of the output whose field it names, else the city file."""
    base = ir.get(section) if section else ir
    at = _at_on_path(base, message.lstrip("$")) or _at_on_path(ir, message.lstrip("$"))
    if at is None:
        at = _output_named(ir, section, message)
    return _span_at(at) if at else Span(file=file, line=1, col=1, end_line=1, end_col=2)


def _at_on_path(doc: Any, text: str) -> Optional[str]:
    node, at, pos = doc, None, 0
    while pos < len(text):
        step = _PATH_STEP.match(text, pos)
        if step is None:
            break
        pos = step.end()
        key, index = step.group(1), step.group(2)
        if key is not None:
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        elif index is not None:
            if not isinstance(node, list) or int(index) >= len(node):
                break
            node = node[int(index)]
        if isinstance(node, dict) and isinstance(node.get("at"), str):
            at = node["at"]
    return at


def _output_named(ir: dict, section: Optional[str], message: str) -> Optional[str]:
    outputs = (ir.get("contribution") or {}).get("outputs", []) if section else ir["outputs"]
    named = [o for o in outputs if re.search(rf"\b{re.escape(o['field'])}\b", message)]
    chosen = named[0] if named else (outputs[0] if outputs else None)
    return chosen.get("at") if chosen else None


def _span_at(at: Optional[str]) -> Optional[Span]:
    m = _AT.fullmatch(at or "")
    if m is None:
        return None
    line, col = int(m.group(2)), int(m.group(3))
    return Span(file=m.group(1), line=line, col=col, end_line=line, end_col=col + 1)

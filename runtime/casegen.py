"""The per-region case reader: one generated function that reads a plain, valid settlement case into the
``Person``, ``Encounter`` list and cuminfo the general reader (case.py) would give, specialised at load to
what the region's rules accept: its extension fields with their types, its flags, its cuminfo keys.

Why: the general reader checks every field through small functions that collect problems (about 5 µs a
case). Here the checks of a case that has none are a straight run of set and dict look-ups, with the
contract's code tables and the region's key sets bound as constants.

The general reader stays the definition, and the only one that words a problem: the generated function
accepts only what it is sure of and answers None at the first doubt (an unknown key, a code not in its
table, a value of another type, a helper's ValueError, anything raised), and ``Engine.prepare`` then reads
the case with the general reader, which reports the same problems with the same codes and text as ever.
tests/test_runtime_casegen.py compares the two readers on valid and on damaged cases.

Nothing from a case or the IR becomes code: keys and field names enter the source only as ``repr()``
literals, everything else is a constant bound in the function's globals, and it runs without builtins.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Optional

from . import contract as C
from . import limits
from .case import FEE_FIELDS, PERSON_CODES, Encounter, Person, Problems, _NO_NAMES, _parse_chronic, parse_extension
from .values import _DATE_TEXT, parse_count, parse_date, parse_setl_time, yuan_to_fen

FUNCTION = "read_case"
_ABSENT = object()  # what ``get`` answers for a key the case leaves out


def make_case_reader(schema: Any) -> Callable[[dict], Optional[tuple]]:
    """``read(case) -> (person, encounters, cuminfo) or None`` for cases of a region with this ``Schema``."""
    source, namespace = generate_source(schema)
    exec(compile(source, "<yibao case reader>", "exec"), namespace)
    return namespace[FUNCTION]


class _Source:
    def __init__(self, schema: Any) -> None:
        self.lines: list[str] = []
        self.depth = 2  # inside the function and its ``try``
        self.namespace: dict = {
            "D": dict, "L": list, "S": str, "SET": set, "FS": frozenset, "N0": _ABSENT, "NO": _NO_NAMES,
            "PER": Person, "ENC": Encounter, "PR": Problems, "E": Exception, "YF": yuan_to_fen, "PD": parse_date,
            "PST": parse_setl_time, "FI": _dt.date.fromisoformat, "DRE": _DATE_TEXT.fullmatch, "I": int, "PCNT": parse_count, "PCH": _parse_chronic, "PE": parse_extension,
            "SCH": schema, "__builtins__": {}}

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def const(self, value: Any) -> str:
        name = f"K{sum(1 for key in self.namespace if key.startswith('K'))}"
        self.namespace[name] = value
        return name


def generate_source(schema: Any) -> tuple[str, dict]:
    out = _Source(schema)
    out.emit("pr = None")  # the helpers that collect problems collect them here (made when one is called)
    out.emit("p = c.get('person')")
    out.emit(f"if p.__class__ is not D or not p.keys() <= {out.const(schema.person_key_set)}: return None")
    _person(out, schema)
    _encounters(out, schema)
    _cuminfo(out, schema)
    out.emit("if pr is not None and pr.items: return None")
    out.emit("return person, encounters, cuminfo")
    body = "\n".join(out.lines)
    return (f"def {FUNCTION}(c):\n    try:\n{body}\n    except E:\n        return None\n", out.namespace)


def _person(out: _Source, schema: Any) -> None:
    """parse_person for a person with no problem; the values in the order it stores them."""
    out.emit("person = PER()")
    out.emit("v = person.values")
    out.emit("x = p.get('psn_no', N0)")
    out.emit("if x is not N0 and x.__class__ is not S: return None")
    for key, field in PERSON_CODES:
        table = out.const(C.CODE_FIELDS[field][1])
        if key == "insutype":  # required: its absence is the general reader's to word
            out.emit(f"x = p.get({key!r}, N0)")
            out.emit(f"if x.__class__ is not S or x not in {table}: return None")
            out.emit(f"v[{field!r}] = person.insutype = x")
            continue
        out.emit(f"x = p.get({key!r}, N0)")
        out.emit("if x is not N0:")
        out.emit(f"    if x.__class__ is not S or x not in {table}: return None")
        out.emit(f"    v[{field!r}] = x")
    out.emit("x = p.get('brdy', N0)")
    out.emit("if x is not N0: v['person.brdy'] = FI(x) if x.__class__ is S and DRE(x) else PD(x)")
    out.emit("x = p.get('flags')")
    _names(out, "person.flags", schema.flags["person.flags"])
    out.emit("person.flags = fl")
    out.emit("x = p.get('chronic')")
    out.emit("if x is None: person.chronic = NO")
    out.emit("else:")
    out.emit("    pr = pr or PR('')")
    out.emit("    person.chronic = PCH(x, SCH, pr)")
    _extensions(out, "p", "v", schema.person_extensions, schema)


def _names(out: _Source, field: str, known: list) -> None:
    """parse_names for a list of known names: ``fl`` from ``x``."""
    out.emit("if x is None or x.__class__ is L and not x: fl = NO")  # an empty list; any other kind: the general reader
    out.emit("elif x.__class__ is not L: return None")
    out.emit("else:")
    out.emit("    fl = FS(x)")
    out.emit(f"    if not fl <= {out.const(frozenset(known))}: return None")


def _extensions(out: _Source, raw: str, values: str, extensions: list, schema: Any) -> None:
    """The region's extension fields, looked at only when the object gives one of them (most give none)."""
    if not extensions:
        return
    out.emit(f"if not {raw}.keys().isdisjoint({out.const(frozenset(key for key, _ in extensions))}):")
    out.depth += 1
    for key, field in extensions:
        _extension(out, raw, values, key, field, schema)
    out.depth -= 1


def _extension(out: _Source, raw: str, values: str, key: str, field: str, schema: Any) -> None:
    out.emit(f"x = {raw}.get({key!r}, N0)")
    out.emit("if x is not N0:")
    out.emit("    pr = pr or PR('')")
    out.emit(f"    {values}[{field!r}] = PE(x, {out.const(schema.extensions[field])}, {field!r}, {field!r}, SCH, pr)")


def _amount(out: _Source, value: str, target: str) -> None:
    """yuan_to_fen, with its whole-yuan int case inline (a fee of 0 is the commonest)."""
    out.emit(f"x = {value}")
    out.emit(f"{target} = x * 100 if x.__class__ is I and 0 <= x <= {out.const(limits.MAX_AMOUNT_FEN // 100)} else YF(x)")


def _encounters(out: _Source, schema: Any) -> None:
    """parse_encounters for encounters with no problem, in date order, their ids distinct."""
    out.emit("es = c.get('encounters')")
    out.emit("if es.__class__ is not L or not es: return None")
    out.emit("encounters = []")
    out.emit("seen = SET()")
    out.emit("previous = None")
    out.emit("i = 0")
    out.emit("for r in es:")
    out.depth += 1
    out.emit(f"if r.__class__ is not D or not r.keys() <= {out.const(schema.encounter_key_set)}: return None")
    out.emit("m = r.get('mdtrt_id', N0)")
    out.emit("if m.__class__ is not S or not m or m in seen: return None")
    out.emit("seen.add(m)")
    out.emit("e = ENC(i)")
    out.emit("i += 1")
    out.emit("e.mdtrt_id = m")
    out.emit("ev = e.values")
    out.emit("if 'setl_time' not in r: return None")
    out.emit("x = r['setl_time']")  # a plain yyyy-MM-dd is parse_setl_time's date; anything else: the helper
    out.emit("e.date = date = FI(x) if x.__class__ is S and DRE(x) else PST(x)")
    out.emit("if previous is not None and date < previous: return None")
    out.emit("previous = date")
    out.emit("ev['encounter.setl_time'] = date")
    out.emit("x = r.get('med_type', N0)")
    out.emit(f"if x.__class__ is not S or x not in {out.const(C.MED_TYPE)}: return None")
    out.emit("ev['encounter.med_type'] = x")
    hosp, dedc = out.const(C.HOSP_LV_TO_DEDC), out.const(C.DEDC_HOSP_LV)
    out.emit("h = r.get('hosp_lv', N0)")
    out.emit(f"if h is not N0 and (h.__class__ is not S or h not in {hosp}): return None")
    out.emit("x = r.get('dedc_hosp_lv', N0)")
    out.emit("if x is not N0:")
    out.emit(f"    if x.__class__ is not S or x not in {dedc}: return None")
    out.emit("    ev['encounter.dedc_hosp_lv'] = x")
    out.emit(f"elif h is not N0: ev['encounter.dedc_hosp_lv'] = {hosp}[h]")
    out.emit(f"f = r.get('fees', {out.const({})})")
    out.emit(f"if f.__class__ is not D or not f.keys() <= {out.const(frozenset(C.FEE_CLASSES))}: return None")
    for key, field, _ in FEE_FIELDS:
        _amount(out, f"f.get({key!r}, 0)", f"ev[{field!r}]")
    _amount(out, "r.get('overlmt_selfpay', 0)", "ev['encounter.overlmt_selfpay']")
    out.emit("x = r.get('flags')")
    out.emit("if x is not None and (x.__class__ is not L or x):")
    out.depth += 1
    _names(out, "encounter.flags", schema.flags["encounter.flags"])
    out.emit("e.flags = fl")
    out.depth -= 1
    _extensions(out, "r", "ev", schema.encounter_extensions, schema)
    out.emit("encounters.append(e)")
    out.depth -= 1


def _cuminfo(out: _Source, schema: Any) -> None:
    """parse_cuminfo for keys the region accepts, each of a type a counter can be carried in."""
    out.emit("x = c.get('cuminfo')")
    out.emit("cuminfo = {}")
    out.emit("if x is not None:")
    out.emit("    if x.__class__ is not D: return None")
    out.emit("    for k in x:")
    out.emit(f"        t = {out.const(dict(schema.cuminfo))}.get(k)")
    out.emit("        if t == 'money': cuminfo[k] = YF(x[k])")
    out.emit("        elif t == 'count': cuminfo[k] = PCNT(x[k])")
    out.emit("        elif t == 'bool' and (x[k] is True or x[k] is False): cuminfo[k] = x[k]")
    out.emit("        else: return None")

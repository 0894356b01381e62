"""The province pass: the named province parameters (省级参数) and the invariants (不变式) of a province file
(regulations/shandong/invariants.yb), checked against the compiled cities and lowered to a small JSON
document that ``yibao check`` and ``yibao matrix`` evaluate (yibao/crosscity/). Entry: ``compile_province``.

A city binds a province parameter by giving a table or a definition of that name. An invariant is checked
against what the cities declare, so a name no city declares is an error here (YB801, with a did-you-mean),
not a silent pass at check time.
"""

from __future__ import annotations

from typing import Iterable, Optional

from . import ast as A
from ._lower_expr import decimal_text, fen
from .diagnostics import Diagnostic, diag, did_you_mean

_COMPARISONS = {A.BinaryOp.EQ: "eq", A.BinaryOp.NE: "ne", A.BinaryOp.LT: "lt", A.BinaryOp.LE: "le",
                A.BinaryOp.GT: "gt", A.BinaryOp.GE: "ge"}
_ARITHMETIC = {A.BinaryOp.ADD: "add", A.BinaryOp.SUB: "sub"}


def compile_province(files: Iterable[A.RuleFile], irs: Iterable[dict]) -> tuple[dict, list[Diagnostic]]:
    """{"parameters": […], "invariants": […]} and every diagnostic; invariants with errors are left out."""
    cities = _CityNames(list(irs))
    clauses = [c for f in files for c in _clauses(f)]
    declarations = [c for c in clauses if isinstance(c, A.ProvinceParamDecl)]
    parameters = [_parameter(c) for c in declarations]
    lowering = _Lowering({p["name"] for p in parameters}, cities)
    lowering.diagnostics += [d for decl in declarations for d in _type_mismatches(decl, cities)]
    invariants, seen = [], {}
    for clause in clauses:
        if not isinstance(clause, (A.MonotoneInvariant, A.TableInvariant, A.ClaimInvariant, A.MetamorphicInvariant)):
            continue
        if clause.title in seen:
            lowering.diagnostics.append(diag("YB807", clause.span, related=[seen[clause.title]], title=clause.title,
                                             other=seen[clause.title]))
            continue
        seen[clause.title] = clause.span
        lowered = lowering.invariant(clause)
        if lowered is not None:
            invariants.append(lowered)
    return {"parameters": parameters, "invariants": invariants}, lowering.diagnostics


def _clauses(rule_file: A.RuleFile) -> list:
    out = []
    for item in rule_file.items:
        out += list(item.clauses) if isinstance(item, A.Article) else [item]
    return out


def _type_name(type_ref: A.TypeRef) -> Optional[str]:
    return type_ref.vocabulary if type_ref.vocabulary is not None else type_ref.base.value


def _type_mismatches(decl: A.ProvinceParamDecl, cities: "_CityNames") -> list[Diagnostic]:
    """A city whose table or definition of the parameter's name has another type: its cells would not compare."""
    declared = _type_name(decl.type)
    return [diag("YB808", decl.span, name=decl.name, declared=_TYPE_WORDS.get(declared, declared), city=city,
                 actual=_TYPE_WORDS.get(actual, str(actual)))
            for city, actual in cities.types.get(decl.name, []) if isinstance(actual, str) and actual != declared]


_TYPE_WORDS = {"money": "金额", "rate": "比例", "count": "次数", "date": "日期", "bool": "布尔"}


def _parameter(decl: A.ProvinceParamDecl) -> dict:
    return {"name": decl.name, "type": _type_name(decl.type), "label": decl.label or decl.name, "at": str(decl.span)}


class _CityNames:
    """What the compiled cities declare: parameter names, settlement outputs, money inputs, vocabularies."""

    def __init__(self, irs: list[dict]) -> None:
        self.declared: set[str] = set()
        self.outputs: dict[str, str] = {}
        self.money_inputs: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}
        self.types: dict[str, list[tuple[str, object]]] = {}  # name → (city, IR type) for each city declaring it
        for ir in irs:
            city = ir["regulation"]["region_name"]
            for section in (ir, ir.get("contribution") or {}):
                for item in [*section.get("tables", []), *section.get("definitions", [])]:
                    if item["name"] not in self.declared or all(c != city for c, _ in self.types.get(item["name"], [])):
                        self.types.setdefault(item["name"], []).append((city, item.get("type")))
                    self.declared.add(item["name"])
            for out in ir["outputs"]:
                if set(out["expr"]) == {"ref"}:
                    self.outputs.setdefault(out["expr"]["ref"], out["field"])
            for spec in ir["inputs"]:
                if spec["type"] == "money" and (spec["field"] or "").startswith("encounter."):
                    self.money_inputs.setdefault(spec["name"], spec["field"])
            for vocab in ir["vocabularies"]:
                self.members.setdefault(vocab["name"], set()).update(m["name"] for m in vocab["members"])


class _Lowering:
    def __init__(self, parameters: set[str], cities: _CityNames) -> None:
        self.parameters = parameters
        self.cities = cities
        self.diagnostics: list[Diagnostic] = []

    def invariant(self, clause) -> Optional[dict]:
        before = len(self.diagnostics)
        head = {"title": clause.title, "at": str(clause.span)}
        if isinstance(clause, A.MonotoneInvariant):
            body = self._monotone(clause)
        elif isinstance(clause, A.MetamorphicInvariant):
            body = self._metamorphic(clause)
        else:
            scope = "claim" if isinstance(clause, A.ClaimInvariant) else "table"
            body = {"kind": scope, "relation": self._relation(clause.relation, clause.title, scope)}
        return None if len(self.diagnostics) > before else {**head, **body}

    # ── forms ──

    def _monotone(self, clause: A.MonotoneInvariant) -> dict:
        self._parameter_name(clause.table, clause.span, clause.title)
        known = self.cities.members.get(clause.dimension)
        for member in clause.order:
            if known is None or member not in known:
                self.diagnostics.append(diag("YB805", clause.span, did_you_mean(member, known or ()),
                                             title=clause.title, dimension=clause.dimension, member=member))
        return {"kind": "monotone", "parameter": clause.table, "dimension": clause.dimension,
                "order": list(clause.order), "direction": clause.direction.value}

    def _metamorphic(self, clause: A.MetamorphicInvariant) -> dict:
        field = self._output(clause.outcome, clause.title)
        inputs = self.cities.money_inputs
        if clause.input.name not in inputs:
            self.diagnostics.append(diag("YB804", clause.input.span, did_you_mean(clause.input.name, inputs),
                                         title=clause.title, name=clause.input.name))
        return {"kind": "metamorphic", "outcome": {"name": clause.outcome.name, "field": field},
                "input": {"name": clause.input.name, "field": inputs.get(clause.input.name)},
                "direction": clause.direction.value}

    def _relation(self, e: A.Expr, title: str, scope: str) -> Optional[dict]:
        if isinstance(e, A.Binary) and e.op in _COMPARISONS:
            return {"op": _COMPARISONS[e.op], "args": [self._term(e.left, title, scope), self._term(e.right, title, scope)]}
        self.diagnostics.append(diag("YB806", e.span, title=title, what="应为一个比较（= ≠ < ≤ > ≥）"))
        return None

    def _term(self, e: A.Expr, title: str, scope: str) -> Optional[dict]:
        if isinstance(e, A.Binary) and e.op in _ARITHMETIC:
            return {"op": _ARITHMETIC[e.op], "args": [self._term(e.left, title, scope), self._term(e.right, title, scope)]}
        if isinstance(e, A.MoneyLit):
            return {"money": fen(e.yuan)}
        if isinstance(e, A.RateLit):
            return {"rate": decimal_text(e.value)}
        if isinstance(e, A.CountLit):
            return {"count": e.value}
        if isinstance(e, A.NumberLit) and e.value == e.value.to_integral_value():
            return {"count": int(e.value)}
        if isinstance(e, A.NameRef):
            if scope == "claim":
                return {"output": self._output(e, title), "name": e.name}
            self._parameter_name(e.name, e.span, title)
            return {"param": e.name, "fix": {}}
        if isinstance(e, A.Lookup) and scope == "table":
            self._parameter_name(e.name, e.span, title)
            return {"param": e.name, "fix": self._fixed(e, title)}
        self.diagnostics.append(diag("YB806", e.span, title=title, what=type(e).__name__))
        return None

    def _fixed(self, e: A.Lookup, title: str) -> dict:
        fixed = {}
        for dimension, key in e.overrides:
            member = key.name if isinstance(key, A.NameRef) else None
            known = self.cities.members.get(dimension, set())
            if member is None or member not in known:
                self.diagnostics.append(diag("YB805", key.span, did_you_mean(member or "", known), title=title,
                                             dimension=dimension, member=member or "?"))
            fixed[dimension] = member
        return fixed

    # ── names ──

    def _parameter_name(self, name: str, span: A.Span, title: str) -> None:
        """A static invariant may name only province parameters, and only ones some city declares."""
        if name in self.parameters and name in self.cities.declared:
            return
        pool = (self.parameters & self.cities.declared) or self.cities.declared
        if name in self.cities.declared:
            self.diagnostics.append(diag("YB802", span, title=title, name=name))
        else:
            self.diagnostics.append(diag("YB801", span, did_you_mean(name, pool), title=title, name=name))

    def _output(self, ref: A.NameRef, title: str) -> Optional[str]:
        field = self.cities.outputs.get(ref.name)
        if field is None:
            self.diagnostics.append(diag("YB803", ref.span, did_you_mean(ref.name, self.cities.outputs), title=title,
                                         name=ref.name))
        return field

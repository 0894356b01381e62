"""Name binding for the resolve pass: the namespace of declared names, and the walk that binds every
name an expression, a table cell or an example uses. Package-private; ``resolve.resolve`` drives it."""

from __future__ import annotations

from typing import Optional

from . import ast as A
from ._program import (Binding, MemberBinding, SelfBinding, SymbolKind, ValueBinding, article_label,
                                     table_cells, walk)
from .diagnostics import Diagnostic, diag, did_you_mean, word


class Namespace:
    """Declared names, by kind. A model parameter and the city's definition of it share one name."""

    INPUT = "input"
    PARAM = "param"
    COUNTER = "counter"
    DEFINITION = "definition"
    _COMPATIBLE = {frozenset({PARAM, DEFINITION})}
    _VALUE_KINDS = {INPUT: SymbolKind.INPUT, COUNTER: SymbolKind.COUNTER, DEFINITION: SymbolKind.DEFINITION, PARAM: SymbolKind.DEFINITION}

    def __init__(self, vocabularies) -> None:
        self._claims: dict[str, dict[str, A.Span]] = {}
        self._vocabs = {}
        self._members: dict[str, list[tuple[str, str]]] = {}
        for v in vocabularies:
            self._index_vocabulary(v)

    def _index_vocabulary(self, v) -> None:
        self._vocabs.setdefault(v.name, v)
        if v.english:
            self._vocabs.setdefault(v.english, v)
        for name in v.member_names:
            self._members.setdefault(name, []).append((v.name, name))
        for alias, member in v.aliases:
            self._members.setdefault(alias, []).append((v.name, member))

    def claim(self, name: str, span: A.Span, kind: str) -> Optional[A.Span]:
        """Record ``name`` as declared at ``span``; on a clash return the other declaration's span."""
        kinds = self._claims.setdefault(name, {})
        for other_kind, other_span in kinds.items():
            if other_kind == kind or frozenset({kind, other_kind}) not in self._COMPATIBLE:
                return other_span
        kinds[kind] = span
        return None

    def kind(self, name: str) -> Optional[str]:
        kinds = self._claims.get(name)
        if not kinds:
            return None
        return self.DEFINITION if self.DEFINITION in kinds else next(iter(kinds))

    def owner(self, name: str) -> Optional[A.Span]:
        kind = self.kind(name)
        return self._claims[name][kind] if kind else None

    def value_kind(self, name: str) -> Optional[SymbolKind]:
        kind = self.kind(name)
        return self._VALUE_KINDS[kind] if kind else None

    def vocabulary(self, name: str):
        return self._vocabs.get(name)

    def vocabulary_names(self) -> list[str]:
        return list(self._vocabs)

    def definition_names(self) -> list[str]:
        return [n for n in self._claims if self.kind(n) in (self.DEFINITION, self.PARAM)]

    def counter_names(self) -> list[str]:
        return [n for n in self._claims if self.kind(n) == self.COUNTER]

    def member_names(self) -> list[str]:
        return list(self._members)

    def members(self, name: str) -> tuple[tuple[str, str], ...]:
        """The (vocabulary, member) pairs ``name`` denotes; ``词表.成员`` picks one vocabulary."""
        prefix, dot, member = name.rpartition(".")
        if dot and self.vocabulary(prefix) is not None:
            vocab = self.vocabulary(prefix)
            canonical = vocab.canonical(member)
            return ((vocab.name, canonical),) if canonical else ()
        return tuple(self._members.get(name, ()))

    def visible(self) -> list[str]:
        return [*self._claims, *self._members, *self._vocabs]


class Binder:
    """Binds every name used in the clauses; collects diagnostics for the names it cannot bind."""

    def __init__(self, ns: Namespace, diagnostics: list[Diagnostic], input_fields: dict[str, str],
                 article_values: dict[tuple[str, str], list[str]], reported: frozenset[str] = frozenset()) -> None:
        self.ns = ns
        self.diagnostics = diagnostics
        self.bindings: dict[A.NameRef, Binding] = {}
        self._input_fields = input_fields  # input name → contract field, to tell person from encounter
        self._article_values = article_values  # (file, article label) → the names that article gives a value
        self._file = ""  # the file of the clause being bound: 按第N条 cites an article of that file
        self._reported = reported  # names whose absence another diagnostic already explains (YB211)

    def _report(self, code: str, span: A.Span, **kw) -> None:
        self.diagnostics.append(diag(code, span, **kw))

    def bind_clauses(self, placed) -> None:
        for p in placed:
            self._file = p.file
            self._clause(p.clause)

    def _clause(self, c: A.Clause) -> None:
        if isinstance(c, (A.Definition, A.CounterUpdate, A.OutputDecl)):
            self.expr(c.expr)
            if isinstance(c, A.CounterUpdate) and c.on_exclusion is not None:
                self.expr(c.on_exclusion)
        elif isinstance(c, A.TableDef):
            for cell in table_cells(c.body):
                if isinstance(cell, A.NameRef):
                    self.expr(cell)
        elif isinstance(c, A.ExceptionDef):
            self.expr(c.expr, own=c.target)
            self.expr(c.condition, own=c.target)
        elif isinstance(c, A.Exclusion):
            self.expr(c.condition)
        elif isinstance(c, A.ContractField) and isinstance(c.on_exclusion, A.NameRef):
            self.expr(c.on_exclusion)
        elif isinstance(c, A.Example):
            self._example(c)

    # ── expressions ──

    def expr(self, e: A.Expr, own: Optional[str] = None, members_first: bool = False) -> None:
        for node in walk(e):
            if isinstance(node, A.ArticleRef):
                self._article_ref(node, own)
            elif isinstance(node, A.NameRef):
                self._name(node, own, members_first)
            elif isinstance(node, A.Lookup):
                self._lookup(node)
            elif isinstance(node, A.InSet):
                for m in node.members:
                    self._member(m)

    def _name(self, ref: A.NameRef, own: Optional[str], members_first: bool) -> None:
        binding = self._binding(ref.name, own, members_first)
        if binding is None and ref.name in self._reported:
            return
        if binding is None:
            self._report("YB201", ref.span, hints=did_you_mean(ref.name, self.ns.visible()), name=ref.name)
        else:
            self.bindings[ref] = binding

    def _article_ref(self, ref: A.ArticleRef, own: Optional[str]) -> None:
        """``按第N条 [名称]``: the one value the article defines, or the named one among them."""
        if not ref.article:
            return  # the numeral is malformed: YB104 says so
        label = article_label(ref.article)
        values = self._article_values.get((self._file, label))
        if values is None:
            self._report("YB226", ref.span, label=label)
            return
        defined = word("list.sep").join(values)
        if not values:
            self._report("YB229", ref.span, label=label)
        elif ref.named is not None and ref.named not in values:
            self._report("YB227", ref.span, hints=did_you_mean(ref.named, values), label=label, name=ref.named,
                         defined=defined)
        elif ref.named is None and len(values) > 1:
            self._report("YB228", ref.span, label=label, defined=defined, first=values[0])
        else:
            self.bindings[ref] = self._binding(ref.named or values[0], own, False)

    def _binding(self, name: str, own: Optional[str], members_first: bool) -> Optional[Binding]:
        if own is not None and name == own:
            return SelfBinding(target=own)
        kind = self.ns.value_kind(name)
        members = self.ns.members(name)
        if members and (members_first or kind is None):
            return MemberBinding(candidates=members)
        return ValueBinding(name=name, kind=kind) if kind else None

    def _member(self, ref: A.NameRef) -> None:
        members = self.ns.members(ref.name)
        if members:
            self.bindings[ref] = MemberBinding(candidates=members)
        else:
            self._report("YB201", ref.span, hints=did_you_mean(ref.name, self.ns.member_names()), name=ref.name)

    def _lookup(self, node: A.Lookup) -> None:
        if self.ns.kind(node.name) not in (Namespace.DEFINITION, Namespace.PARAM):
            hints = did_you_mean(node.name, self.ns.definition_names())
            self._report("YB201", node.span, hints=hints, name=node.name)

    # ── examples ──

    def _example(self, ex: A.Example) -> None:
        seen_encounter = False
        for line in ex.lines:
            if isinstance(line, A.ExpectLine):
                self._expect_line(line, seen_encounter)
            else:
                seen_encounter |= isinstance(line, A.EncounterLine)
                for a in line.assignments:
                    self._assignment(a, isinstance(line, A.PersonLine))

    def _assignment(self, a: A.Assignment, person: bool) -> None:
        if a.value is not None:
            self.expr(a.value, members_first=True)
        kind = self.ns.kind(a.name)
        if kind not in (Namespace.INPUT, Namespace.COUNTER):
            pool = [n for n in self.ns.visible() if self.ns.kind(n) in (Namespace.INPUT, Namespace.COUNTER)]
            self._report("YB213", a.span, hints=did_you_mean(a.name, pool), name=a.name)
            return
        level = self._level(a.name, kind)
        if level != ("person" if person else "encounter"):
            line = word("line.person" if person else "line.encounter")
            what = word("kind.counter") if kind == Namespace.COUNTER else word(f"line.{level}")
            self._report("YB214", a.span, line=line, name=a.name, kind=what)

    def _level(self, name: str, kind: str) -> str:
        """Where an example may set a name: counters and person.* inputs on 人员, the rest on 就诊."""
        if kind == Namespace.COUNTER:
            return "person"
        return "person" if self._input_fields.get(name, "").startswith("person.") else "encounter"

    def _expect_line(self, line: A.ExpectLine, seen_encounter: bool) -> None:
        if not seen_encounter:
            self._report("YB215", line.span)
        for e in line.expectations:
            if isinstance(e, A.ValueExpectation):
                self.expr(e.value, members_first=True)
                if self.ns.value_kind(e.name) is None:
                    self._report("YB201", e.span, hints=did_you_mean(e.name, self.ns.visible()), name=e.name)

    # ── types written in declarations ──

    def check_types(self, placed) -> None:
        """A type that names a vocabulary must name a real one (by its name or English name)."""
        for p in placed:
            typeref = getattr(p.clause, "type", None)
            if isinstance(typeref, A.TypeRef) and typeref.vocabulary and self.ns.vocabulary(typeref.vocabulary) is None:
                hints = did_you_mean(typeref.vocabulary, self.ns.vocabulary_names())
                self._report("YB210", typeref.span, hints=hints, name=typeref.vocabulary)

"""Resolve: gather a city regulation and the modules it uses into one symbol table, and bind every name.

Entry point: ``resolve(city, modules) -> (Program, diagnostics)``. The pass never raises on a mistake in a
rule file: a name it cannot bind gets a diagnostic and no binding, and the checker treats it as unknown
so that one typo does not cascade into a page of errors.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Mapping, Optional

import attrs

from . import ast as A
from ._binding import Binder, Namespace
from ._program import (
    ArticleSym,
    CounterSym,
    DefinitionSym,
    DefKind,
    ExampleSym,
    ExceptionSym,
    ExclusionSym,
    Header,
    Input,
    InterpretationSym,
    OutputSym,
    Program,
    UpdateSym,
    Vocabulary,
    label_of,
)
from ._contract import contract_fields
from .diagnostics import Diagnostic, diag, did_you_mean, word

__all__ = ["resolve", "Program"]


def resolve(city: A.RuleFile, modules: Mapping[str, A.RuleFile]) -> tuple[Program, list[Diagnostic]]:
    """Bind the names of ``city`` and of the modules it uses (by ``模块`` name), transitively."""
    resolver = _Resolver(city, modules)
    program = resolver.run()
    return program, _without_cascades(resolver.diagnostics)


# Names a missing module would have declared: with YB206 reported, these are its echoes, not news.
_ECHOES_OF_A_MISSING_MODULE = {"YB201", "YB208", "YB210", "YB211", "YB213"}


def _without_cascades(found: list[Diagnostic]) -> list[Diagnostic]:
    if not any(d.code == "YB206" for d in found):
        return found
    return [d for d in found if d.code not in _ECHOES_OF_A_MISSING_MODULE]


_VALUE_CLAUSES = (A.Definition, A.TableDef, A.OpenDecl)


def _orphan_targets(placed, ns: Namespace) -> frozenset[str]:
    """Exception targets with no general rule: YB211 reports each, so a use of one is no second error."""
    return frozenset(p.clause.target for p in placed if isinstance(p.clause, A.ExceptionDef)
                     and ns.kind(p.clause.target) not in (Namespace.DEFINITION, Namespace.PARAM))


def _article_values(files: Iterable[A.RuleFile]) -> dict[tuple[str, str], list[str]]:
    """(file, article label) → the names the article gives a value, in source order: what 按第N条 may cite."""
    found: dict[tuple[str, str], list[str]] = {}
    for rf in files:
        for item in rf.items:
            if isinstance(item, A.Article):
                names = found.setdefault((rf.path, label_of(item)), [])
                for c in item.clauses:
                    if isinstance(c, _VALUE_CLAUSES) and c.name not in names:
                        names.append(c.name)
    return found


@attrs.frozen
class _Placed:
    """A clause and where it sits: the article it is under (None outside articles) and its file."""

    clause: A.Clause
    article: Optional[str]
    file: str


# Clauses that give a name a value or a meaning: an interpretation attaches to the nearest one before it.
_SUBJECT_FIELD = {
    A.Definition: "name",
    A.TableDef: "name",
    A.OpenDecl: "name",
    A.ExceptionDef: "target",
    A.CounterDecl: "name",
    A.InputDecl: "name",
    A.ParamDecl: "name",
    A.VocabularyDecl: "name",
}


class _Resolver:
    def __init__(self, city: A.RuleFile, modules: Mapping[str, A.RuleFile]) -> None:
        self.city = city
        self.modules = modules
        self.diagnostics: list[Diagnostic] = []
        self.via: dict[str, A.Span] = {}  # module file → the city's 采用 that brought it in

    def run(self) -> Program:
        files = self._gather()
        placed = list(self._place(files))
        vocabularies = self._vocabularies(placed)
        ns = Namespace(vocabularies)
        accepted = self._claim_all(placed, ns)
        placed = [p for p in placed if p.clause.span in accepted or not _declares(p.clause)]
        params = {p.clause.name: p.clause for p in placed if isinstance(p.clause, A.ParamDecl)}
        notes, exception_notes, interpretations = self._interpretations(placed)
        self._require_params(params, ns)
        inputs = self._inputs(placed, ns)
        binder = Binder(ns, self.diagnostics, {i.name: i.field for i in inputs}, _article_values(files),
                        _orphan_targets(placed, ns))
        binder.bind_clauses(placed)
        binder.check_types(placed)
        header = self._header(placed)
        self._check_applies(header, vocabularies)
        outputs = self._outputs(placed)
        return Program(
            city=self.city.path, files=tuple(f.path for f in files), header=header,
            vocabularies=vocabularies, inputs=inputs, params=params,
            definitions=self._definitions(placed, params, notes, ns, inputs), exceptions=self._exceptions(placed, ns, exception_notes),
            counters=self._counters(placed), exclusions=_collect(placed, A.Exclusion, ExclusionSym),
            outputs=outputs, contract=contract_fields(placed, outputs, self._report), interpretations=interpretations,
            examples=_collect(placed, A.Example, ExampleSym), articles=self._articles(),
            bindings=binder.bindings,
        )

    def _claim_all(self, placed: list[_Placed], ns: Namespace) -> set[A.Span]:
        """Claim every declared name in source order; a second declaration is YB202 and is dropped."""
        accepted = set()
        for p in placed:
            for name, kind in _declared_names(p.clause, ns):
                other = ns.claim(name, p.clause.span, kind)
                if other is None:
                    accepted.add(p.clause.span)
                else:
                    self._report("YB202", p.clause.span, related=[other], name=name, other=other)
        return accepted

    def _report(self, code: str, span: Optional[A.Span], **kw) -> None:
        self.diagnostics.append(diag(code, span, **kw))

    # ── files and articles ──

    def _gather(self) -> list[A.RuleFile]:
        """The modules the city uses, each after the modules it uses itself, then the city."""
        order: list[A.RuleFile] = []
        seen = {self.city.path}
        self._visit(self.city, None, order, seen)
        return order

    def _visit(self, rf: A.RuleFile, via: Optional[A.Span], order: list, seen: set) -> None:
        for use in _uses(rf):
            module = self.modules.get(use.name)
            if module is None:
                hints = did_you_mean(use.name, self.modules)
                self._report("YB206", use.span, hints=hints, name=use.name)
            elif module.path not in seen:
                seen.add(module.path)
                self.via[module.path] = via or use.span
                self._visit(module, via or use.span, order, seen)
        order.append(rf)

    def _place(self, files: Iterable[A.RuleFile]) -> Iterator[_Placed]:
        for rf in files:
            seen: dict[str, A.Span] = {}
            for item in rf.items:
                if not isinstance(item, A.Article):
                    self._outside_article(item)
                    yield _Placed(clause=item, article=None, file=rf.path)
                    continue
                self._note_article(item, seen)
                label = label_of(item)
                yield from (_Placed(clause=c, article=label, file=rf.path) for c in item.clauses)

    def _outside_article(self, clause: A.Clause) -> None:
        if isinstance(clause, A.NotApplicableDecl):
            self._report("YB219", clause.span)

    def _note_article(self, article: A.Article, seen: dict[str, A.Span]) -> None:
        label = label_of(article)
        if not label:
            self._report("YB220", article.span)
        elif label in seen:
            self._report("YB203", article.span, related=[seen[label]], label=article.label, other=seen[label])
        else:
            seen[label] = article.span

    def _articles(self) -> tuple[ArticleSym, ...]:
        """The city's articles in source order; a module's articles are the module's business."""
        return tuple(_article_sym(item) for item in self.city.items if isinstance(item, A.Article))

    # ── header ──

    def _header(self, placed: list[_Placed]) -> Header:
        mine = [p for p in placed if p.file == self.city.path]
        first = {}
        for p in mine:
            first.setdefault(type(p.clause), p)
        region = first.get(A.RegionDecl)
        effective = first.get(A.EffectiveDecl)
        self._require_header(region, effective, mine)
        return _make_header(self.city.path, first, region, effective)

    def _check_applies(self, header: Header, vocabularies) -> None:
        """适用 names a vocabulary read from the case (it has a field) and members of it."""
        decl = header.applies
        if decl is None:
            return
        vocab = next((v for v in vocabularies if decl.vocabulary in (v.name, v.english)), None)
        if vocab is None or vocab.field is None:
            self._report("YB210", decl.span, name=decl.vocabulary)
            return
        for member in decl.members:
            if member not in vocab.member_names:
                self._report("YB204", decl.span, name=member, vocabulary=vocab.name)

    def _require_header(self, region, effective, mine: list[_Placed]) -> None:
        where = mine[0].clause.span if mine else self.city.span
        if region is None:
            self._report("YB212", where, what=word("header.region"), keyword=word("header.region.keyword"))
        if effective is None:
            self._report("YB212", where, what=word("header.effective"), keyword=word("header.effective.keyword"))
        elif effective.clause.end is not None and effective.clause.end < effective.clause.start:
            e = effective.clause
            self._report("YB601", e.span, start=e.start.isoformat(), end=e.end.isoformat())

    # ── vocabularies, inputs, parameters ──

    def _vocabularies(self, placed: list[_Placed]) -> tuple[Vocabulary, ...]:
        decls: list[A.VocabularyDecl] = []
        articles: dict[A.Span, Optional[str]] = {}
        for p in placed:
            if isinstance(p.clause, A.VocabularyDecl):
                self._claim_vocabulary(p.clause, decls)
                articles[p.clause.span] = p.article
        aliases = self._aliases(placed, decls)
        for d in decls:
            self._check_unlisted(d)
        return tuple(
            Vocabulary(name=d.name, english=d.english, field=d.field, members=d.members,
                       aliases=tuple(aliases.get(d.name, ())), span=d.span, open=d.open,
                       open_reason=d.open_reason, article=articles.get(d.span), optional=d.optional,
                       unlisted=bool(d.unlisted))
            for d in decls
        )

    def _check_unlisted(self, decl: A.VocabularyDecl) -> None:
        """``其余`` opens a list of codes: once, and not on a list of names."""
        for again in decl.unlisted[1:]:
            self._report("YB420", again, related=[decl.unlisted[0]], name=decl.name)
        if decl.unlisted and decl.field in _NAME_FIELDS:
            self._report("YB421", decl.unlisted[0], name=decl.name, field=decl.field)

    def _claim_vocabulary(self, decl: A.VocabularyDecl, decls: list) -> None:
        other = next((d for d in decls if d.name == decl.name), None)
        if other is not None:
            self._report("YB202", decl.span, related=[other.span], name=decl.name, other=other.span)
        else:
            decls.append(decl)

    def _aliases(self, placed: list[_Placed], decls: list[A.VocabularyDecl]) -> dict[str, list]:
        aliases: dict[str, list] = {}
        for p in placed:
            if isinstance(p.clause, A.AliasDecl):
                found = self._alias_target(p.clause, decls)
                if found is not None:
                    aliases.setdefault(found[0], []).append((p.clause.alias, found[1]))
        return aliases

    def _alias_target(self, alias: A.AliasDecl, decls: list[A.VocabularyDecl]) -> Optional[tuple[str, str]]:
        vocab_name, _, member = alias.target.rpartition(".")
        owners = [d.name for d in decls if member in (m.name for m in d.members) and vocab_name in ("", d.name)]
        if len(owners) == 1:
            return owners[0], member
        if owners:
            self._report("YB205", alias.span, name=alias.target, vocabularies=word("list.sep").join(owners))
        else:
            pool = [m.name for d in decls for m in d.members]
            self._report("YB201", alias.span, hints=did_you_mean(member, pool), name=alias.target)
        return None

    def _inputs(self, placed: list[_Placed], ns: Namespace) -> tuple[Input, ...]:
        inputs = []
        for p in placed:
            c = p.clause
            if isinstance(c, A.VocabularyDecl) and c.field and ns.owner(c.name) == c.span:
                typeref = A.TypeRef(base=None, vocabulary=c.name, span=c.span)
                inputs.append(Input(name=c.name, type=typeref, field=c.field, optional=c.optional, span=c.span))
            elif isinstance(c, A.InputDecl):
                inputs.append(Input(name=c.name, type=c.type, field=c.field, optional=c.optional, span=c.span, text=c.text))
        return tuple(inputs)

    def _require_params(self, params: Mapping[str, A.ParamDecl], ns: Namespace) -> None:
        for name, param in params.items():
            if ns.kind(name) == Namespace.PARAM:
                # Point at the city's 采用: that is where the drafter can act, not the shared model.
                where = self.via.get(param.span.file, param.span)
                self._report("YB207", where, related=[param.span], name=name)

    # ── interpretations ──

    def _interpretations(self, placed: list[_Placed]) -> tuple[dict, dict, tuple[InterpretationSym, ...]]:
        """Notes by the definition they explain, and by the exception they explain: a note written right
        after an exception belongs to that exception and is shown only where it applied."""
        notes: dict[str, list[str]] = {}
        exception_notes: dict[A.ExceptionDef, list[str]] = {}
        found = []
        subject, clause, group = None, None, None
        for p in placed:
            if (p.file, p.article) != group:
                subject, clause, group = None, None, (p.file, p.article)
            field = _SUBJECT_FIELD.get(type(p.clause))
            if field is not None:
                subject, clause = getattr(p.clause, field), p.clause
            elif isinstance(p.clause, A.Interpretation):
                about = p.clause.subject or subject
                found.append(InterpretationSym(node=p.clause, article=p.article, subject=about))
                if isinstance(clause, A.ExceptionDef) and not p.clause.subject:
                    exception_notes.setdefault(clause, []).append(p.clause.text)
                elif about is not None:
                    notes.setdefault(about, []).append(p.clause.text)
        self._check_subjects(found, placed)
        return notes, exception_notes, tuple(found)

    def _check_subjects(self, found, placed: list[_Placed]) -> None:
        """An explicit 解释 subject must be a name the rules give a value (or a meaning)."""
        named = {getattr(p.clause, f) for p in placed for t, f in _SUBJECT_FIELD.items() if isinstance(p.clause, t)}
        for sym in found:
            if sym.node.subject and sym.node.subject not in named:
                self._report("YB201", sym.node.span, hints=did_you_mean(sym.node.subject, named), name=sym.node.subject)

    # ── definitions, exceptions, counters, outputs ──

    def _definitions(self, placed, params, notes, ns: Namespace, inputs: tuple = ()) -> tuple[DefinitionSym, ...]:
        return tuple(
            self._definition(p, _DEF_KINDS[type(p.clause)], params.get(p.clause.name), notes, ns, inputs)
            for p in placed
            if type(p.clause) in _DEF_KINDS
        )

    def _definition(self, p: _Placed, kind: DefKind, param, notes, ns: Namespace, inputs: tuple = ()) -> DefinitionSym:
        node = p.clause
        own = getattr(node, "type", None)
        dims = tuple(self._dimension(node.name, d, ns, inputs) for d in node.dims) if kind is DefKind.TABLE else ()
        return DefinitionSym(
            name=node.name, kind=kind, node=node, declared=own or (param.type if param else None),
            article=p.article, notes=tuple(notes.get(node.name, ())), in_city=p.file == self.city.path,
            dims=tuple(d[0] if d else "" for d in dims), dims_ok=all(dims), keys=tuple(d[1] if d else "" for d in dims),
        )

    def _dimension(self, table: str, ref: A.NameRef, ns: Namespace, inputs: tuple) -> Optional[tuple[str, str]]:
        """(vocabulary, the input the table is read at) for one dimension, or None once reported."""
        vocab = ns.vocabulary(ref.name)
        if vocab is not None and vocab.field is None:
            # The table's own value is read at the encounter's member: the one input of that vocabulary's type.
            typed = [i.name for i in inputs if i.type.vocabulary and ns.vocabulary(i.type.vocabulary) is vocab]
            if len(typed) == 1:
                return vocab.name, typed[0]
            self._report("YB408", ref.span, name=table, dimension=vocab.name, inputs=word("list.sep").join(typed) or word("none"))
            return None
        if vocab is not None:
            return vocab.name, vocab.name
        if ns.kind(ref.name) is not None:
            self._report("YB210", ref.span, name=ref.name)
        else:
            self._report("YB201", ref.span, hints=did_you_mean(ref.name, ns.vocabulary_names()), name=ref.name)
        return None

    def _exceptions(self, placed: list[_Placed], ns: Namespace, notes: dict) -> dict[str, tuple[ExceptionSym, ...]]:
        groups: dict[str, list[ExceptionSym]] = {}
        for p in placed:
            if isinstance(p.clause, A.ExceptionDef):
                order = sum(len(g) for g in groups.values())
                sym = ExceptionSym(node=p.clause, article=p.article, order=order, notes=tuple(notes.get(p.clause, ())))
                groups.setdefault(p.clause.target, []).append(sym)
        for target, group in groups.items():
            if ns.kind(target) not in (Namespace.DEFINITION, Namespace.PARAM):
                for e in group:
                    self._report("YB211", e.node.span, hints=did_you_mean(target, ns.definition_names()), name=target)
        return {target: tuple(group) for target, group in groups.items()}

    def _counters(self, placed: list[_Placed]) -> tuple[CounterSym, ...]:
        decls = [p for p in placed if isinstance(p.clause, A.CounterDecl)]
        updates = self._updates(placed, {p.clause.name for p in decls})
        return tuple(CounterSym(node=p.clause, article=p.article, update=updates.get(p.clause.name)) for p in decls)

    def _updates(self, placed: list[_Placed], counters: set) -> dict[str, UpdateSym]:
        updates: dict[str, UpdateSym] = {}
        for p in placed:
            u = p.clause
            if not isinstance(u, A.CounterUpdate):
                continue
            if u.name not in counters:
                self._report("YB208", u.span, hints=did_you_mean(u.name, counters), name=u.name)
            elif u.name in updates:
                first = updates[u.name].node.span
                self._report("YB209", u.span, related=[first], name=u.name, other=first)
            else:
                updates[u.name] = UpdateSym(node=u, article=p.article)
        return updates

    def _outputs(self, placed: list[_Placed]) -> tuple[OutputSym, ...]:
        """Outputs by field. A later file (the city) replaces a module's output for the same field, in
        the module's place; the same field twice in one file is a mistake."""
        outputs: dict[str, OutputSym] = {}
        for p in placed:
            if not isinstance(p.clause, A.OutputDecl):
                continue
            old = outputs.get(p.clause.field)
            if old is not None and old.node.span.file == p.file:
                self._report("YB202", p.clause.span, related=[old.node.span], name=p.clause.field, other=old.node.span)
            else:
                outputs[p.clause.field] = OutputSym(node=p.clause, article=p.article)
        return tuple(outputs.values())


# fields whose values are names the regulation writes, not codes: a list of them is opened with 待定, not 其余
_NAME_FIELDS = frozenset({"person.chronic", "person.flags", "encounter.flags"})

_DEF_KINDS = {A.Definition: DefKind.FORMULA, A.TableDef: DefKind.TABLE, A.OpenDecl: DefKind.OPEN}


def _declared_names(clause: A.Clause, ns: Namespace) -> Iterator[tuple[str, str]]:
    if isinstance(clause, A.VocabularyDecl):
        vocab = ns.vocabulary(clause.name)
        if clause.field and vocab is not None and vocab.span == clause.span:
            yield clause.name, Namespace.INPUT  # the vocabulary's implicit input
    elif isinstance(clause, A.InputDecl):
        yield clause.name, Namespace.INPUT
    elif isinstance(clause, A.ParamDecl):
        yield clause.name, Namespace.PARAM
    elif isinstance(clause, A.CounterDecl):
        yield clause.name, Namespace.COUNTER
    elif type(clause) in _DEF_KINDS:
        yield clause.name, Namespace.DEFINITION


def _declares(clause: A.Clause) -> bool:
    return isinstance(clause, (A.InputDecl, A.ParamDecl, A.CounterDecl)) or type(clause) in _DEF_KINDS


def _article_sym(article: A.Article) -> ArticleSym:
    reasons = [c.reason for c in article.clauses if isinstance(c, A.NotApplicableDecl)]
    return ArticleSym(label=label_of(article), title=article.title, span=article.span,
                      not_applicable="；".join(reasons) if reasons else None)


def _collect(placed: list[_Placed], cls, sym) -> tuple:
    return tuple(sym(node=p.clause, article=p.article) for p in placed if isinstance(p.clause, cls))


def _uses(rf: A.RuleFile) -> Iterator[A.UseDecl]:
    for item in rf.items:
        if isinstance(item, A.UseDecl):
            yield item
        elif isinstance(item, A.Article):
            yield from (c for c in item.clauses if isinstance(c, A.UseDecl))


def _make_header(source: str, first: dict, region, effective) -> Header:
    def text(cls) -> Optional[str]:
        p = first.get(cls)
        return p.clause.text if p else None

    e = effective.clause if effective else None
    return Header(
        source=source,
        region_name=region.clause.name if region else None,
        region_code=region.clause.code if region else None,
        title=text(A.TitleDecl), doc_number=text(A.DocNumberDecl), basis=text(A.BasisDecl),
        effective_start=e.start if e else None, effective_end=e.end if e else None,
        effective_article=effective.article if effective else None, effective_span=e.span if e else None,
        applies=first[A.AppliesDecl].clause if A.AppliesDecl in first else None,
        applies_article=first[A.AppliesDecl].article if A.AppliesDecl in first else None,
    )

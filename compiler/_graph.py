"""Dependency analysis for the check pass: cycles, topological order, conflicting exceptions and
reachability. Package-private; ``check.check`` drives it. Every traversal is iterative and visits
names in source order, so the results never depend on set or hash order."""

from __future__ import annotations

from collections import deque
from typing import Iterable, Iterator, Mapping, Optional

from . import ast as A
from ._program import (
    DefinitionSym,
    DefKind,
    ExceptionSym,
    Program,
    SelfBinding,
    SymbolKind,
    ValueBinding,
    table_cells,
    walk,
)
from .diagnostics import Diagnostic, diag, word

Ref = tuple[SymbolKind, str]


# ───────────────────────────── what reads what ─────────────────────────────


def definition_exprs(program: Program, sym: DefinitionSym) -> list[A.Expr]:
    """Every expression that decides ``sym``'s value: its default, table cells and exceptions."""
    exprs: list[A.Expr] = []
    if sym.kind is DefKind.FORMULA:
        exprs.append(sym.node.expr)
    elif sym.kind is DefKind.TABLE:
        exprs.extend(c for c in table_cells(sym.node.body) if isinstance(c, A.NameRef))
    for exc in program.exceptions.get(sym.name, ()):
        exprs.extend((exc.node.expr, exc.node.condition))
    return exprs


def refs(program: Program, exprs: Iterable[A.Expr]) -> list[Ref]:
    """The names the expressions read, in order of first appearance. A table read also reads the
    inputs of the dimensions it does not fix."""
    found: dict[Ref, None] = {}
    for e in exprs:
        for node in walk(e):
            for ref in _node_refs(program, node):
                found.setdefault(ref, None)
    return list(found)


def _node_refs(program: Program, node: A.Expr) -> Iterator[Ref]:
    if isinstance(node, A.NameRef):
        binding = program.bindings.get(node)
        if isinstance(binding, ValueBinding):
            yield binding.kind, binding.name
    elif isinstance(node, A.Lookup):
        yield SymbolKind.DEFINITION, node.name
        table = program.definition(node.name)
        fixed = {program.vocabulary(dim).name for dim, _ in node.overrides if program.vocabulary(dim)}
        if table is not None:
            yield from ((SymbolKind.INPUT, table.key_of(d)) for d in table.dims if d not in fixed)


def dependency_edges(program: Program) -> dict[str, list[str]]:
    """Definition → the definitions it reads (a counter read is its old value, so it breaks cycles)."""
    edges = {}
    for sym in program.definitions:
        deps = refs(program, definition_exprs(program, sym))
        edges[sym.name] = [n for k, n in deps if k is SymbolKind.DEFINITION and program.definition(n) is not None]
    return edges


# ───────────────────────────── cycles and order ─────────────────────────────


def cycles(program: Program, edges: Mapping[str, list[str]]) -> list[Diagnostic]:
    """YB501 once per strongly connected group of definitions, at its earliest definition."""
    position = {sym.name: i for i, sym in enumerate(program.definitions)}
    found = []
    for group in _components(list(position), edges):
        start = min(group, key=position.__getitem__)
        if len(group) > 1 or start in edges[start]:
            found.append((position[start], _cycle_diagnostic(program, _cycle_path(start, edges, set(group)))))
    return [d for _, d in sorted(found, key=lambda pair: pair[0])]


def _cycle_diagnostic(program: Program, path: list[str]) -> Diagnostic:
    syms = [program.definition(n) for n in path]
    steps = [word("cycle.step", name=s.name, article=s.article or word("no_article")) for s in syms]
    text = word("cycle.arrow").join([*steps, steps[0]])
    return diag("YB501", syms[0].span, related=[s.span for s in syms[1:]], cycle=text)


def _cycle_path(start: str, edges: Mapping[str, list[str]], group: set) -> list[str]:
    """The shortest way from ``start`` back to itself inside its group."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in edges[node]:
            if nxt == start:
                return _unwind(node, previous, start)
            if nxt in group and nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return [start]


def _unwind(last: str, previous: Mapping[str, str], start: str) -> list[str]:
    path = [last]
    while path[-1] != start:
        path.append(previous[path[-1]])
    return path[::-1]


def _components(nodes: list[str], edges: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (deep chains must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for root in nodes:
        if root not in index:
            _strongconnect(root, edges, index, low, on_stack, stack, groups)
    return groups


def _strongconnect(root, edges, index, low, on_stack, stack, groups) -> None:
    work = [(root, 0)]
    while work:
        node, i = work.pop()
        if i == 0:
            index[node] = low[node] = len(index)
            stack.append(node)
            on_stack.add(node)
        targets = edges[node]
        if i < len(targets):
            work.append((node, i + 1))
            nxt = targets[i]
            if nxt not in index:
                work.append((nxt, 0))
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
            continue
        if low[node] == index[node]:
            groups.append(_pop_group(node, stack, on_stack))
        if work:
            parent = work[-1][0]
            low[parent] = min(low[parent], low[node])


def _pop_group(node: str, stack: list[str], on_stack: set[str]) -> list[str]:
    group = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        group.append(member)
        if member == node:
            return group


def topological(nodes: list[str], edges: Mapping[str, list[str]]) -> list[str]:
    """Every definition after the definitions it reads (depth first, in source order)."""
    order: list[str] = []
    seen: set[str] = set()
    for root in nodes:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(edges[root]))]
        while stack:
            node, pending = stack[-1]
            nxt = next((n for n in pending if n not in seen), None)
            if nxt is None:
                stack.pop()
                order.append(node)
            else:
                seen.add(nxt)
                stack.append((nxt, iter(edges[nxt])))
    return order


# ───────────────────────────── exceptions that may both apply ─────────────────────────────


def conflicts(program: Program, members: Mapping[A.NameRef, tuple[str, str]]) -> list[Diagnostic]:
    """YB502 for two exceptions on one target with the same priority whose conditions are not provably
    disjoint (one requires X and the other 非 X, or they require disjoint sets of one vocabulary)."""
    found = []
    for target, group in program.exceptions.items():
        if program.definition(target) is None:
            continue
        for j, later in enumerate(group):
            for earlier in group[:j]:
                if _may_overlap(program, members, earlier, later):
                    found.append(_conflict(target, earlier, later))
    return found


def _may_overlap(program, members, a: ExceptionSym, b: ExceptionSym) -> bool:
    if (a.node.priority or 0) != (b.node.priority or 0):
        return False
    left, right = _atoms(program, members, a.node.condition), _atoms(program, members, b.node.condition)
    return not any(n1 == n2 and _contradict(v1, v2) for n1, v1 in left for n2, v2 in right)


def _conflict(target: str, a: ExceptionSym, b: ExceptionSym) -> Diagnostic:
    first = a.article or str(a.node.span)
    second = b.article or str(b.node.span)
    return diag("YB502", b.node.span, related=[a.node.span], name=target, first=first, second=second)


def _contradict(v1, v2) -> bool:
    if isinstance(v1, bool) and isinstance(v2, bool):
        return v1 != v2
    if isinstance(v1, frozenset) and isinstance(v2, frozenset):
        return not (v1 & v2)
    return False


def _atoms(program: Program, members, e: A.Expr, depth: int = 0) -> list[tuple[str, object]]:
    """The conjuncts of a condition that fix one name: ``X`` / ``非 X`` (bool), ``E = a`` / ``E ≠ a`` /
    ``E 属于 {…}`` (the set of members E may have). Other conjuncts say nothing and are skipped. A bool
    definition that holds is looked through (a few levels): its own conjuncts hold too, so
    ``市内急诊 = 急诊 且 非 异地就医`` contradicts a condition that requires ``异地就医``."""
    if isinstance(e, A.Binary) and e.op is A.BinaryOp.AND:
        return _atoms(program, members, e.left, depth) + _atoms(program, members, e.right, depth)
    name = _value_name(program, e)
    if name is not None:
        return [(name, True)] + _definition_atoms(program, members, name, depth)
    if isinstance(e, A.Unary) and e.op is A.UnaryOp.NOT and _value_name(program, e.operand):
        return [(_value_name(program, e.operand), False)]
    if isinstance(e, A.Binary) and e.op in (A.BinaryOp.EQ, A.BinaryOp.NE):
        return _equality_atom(program, members, e)
    if isinstance(e, A.InSet) and _value_name(program, e.value):
        chosen = frozenset(members[m][1] for m in e.members if m in members)
        return [(_value_name(program, e.value), chosen)]
    return []


def _definition_atoms(program: Program, members, name: str, depth: int) -> list[tuple[str, object]]:
    sym = program.definition(name)
    if depth >= 4 or sym is None or sym.kind is not DefKind.FORMULA or program.exceptions.get(name):
        return []
    return _atoms(program, members, sym.node.expr, depth + 1)


def _equality_atom(program: Program, members, e: A.Binary) -> list[tuple[str, object]]:
    for subject, other in ((e.left, e.right), (e.right, e.left)):
        name = _value_name(program, subject)
        if name is not None and other in members:
            vocab, member = members[other]
            if e.op is A.BinaryOp.EQ:
                return [(name, frozenset({member}))]
            rest = program.vocabulary(vocab).member_names
            return [(name, frozenset(m for m in rest if m != member))]
    return []


def _value_name(program: Program, e: A.Expr) -> Optional[str]:
    if not isinstance(e, A.NameRef):
        return None
    binding = program.bindings.get(e)
    if isinstance(binding, ValueBinding):
        return binding.name
    return binding.target if isinstance(binding, SelfBinding) else None


# ───────────────────────────── reachability ─────────────────────────────


def root_exprs(program: Program) -> list[A.Expr]:
    exprs: list[A.Expr] = [o.node.expr for o in program.outputs]
    exprs += [x.node.condition for x in program.exclusions]
    exprs += [c.update.node.expr for c in program.counters if c.update is not None]
    exprs += [c.update.node.on_exclusion for c in program.counters
              if c.update is not None and c.update.node.on_exclusion is not None]
    exprs += [c.node.on_exclusion for c in program.contract if isinstance(c.node.on_exclusion, A.NameRef)]
    return exprs


def example_names(program: Program) -> list[str]:
    names: list[str] = []
    for ex in program.examples:
        for line in ex.node.lines:
            if isinstance(line, A.ExpectLine):
                names += [e.name for e in line.expectations if isinstance(e, A.ValueExpectation)]
            else:
                names += [a.name for a in line.assignments]
    return names


def reachable(program: Program) -> dict[str, None]:
    """Definitions and inputs some output, exclusion, counter update or example needs (ordered)."""
    seen: dict[str, None] = {}
    pending = [n for _, n in refs(program, root_exprs(program))] + example_names(program)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen[name] = None
        sym = program.definition(name)
        if sym is not None:
            pending += [n for _, n in refs(program, definition_exprs(program, sym))]
            pending += [sym.key_of(d) for d in sym.dims]  # a table reads its dimensions' inputs
    return seen

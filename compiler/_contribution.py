"""Contributions beside settlement in one IR (docs/ir.md, "contribution").

A rule file that adopts the contribution model declares outputs whose field starts with
``contribution.`` (``输出 contribution.base = 缴费基数``): the fields of the contribution contract,
docs/contract.md section 2. They, and every input, table and definition only they need, move into
the IR's ``contribution`` section, and the top level keeps settlement alone. So a settlement never reads
a contribution input (a wage, the provincial average wage) and a contribution never evaluates a claim's
definitions; a runtime that knows nothing of contributions loads the IR unchanged.

The split works on the lowered IR, which is pure data: a definition reads the ``ref`` names in its rules
and the tables its ``lookup`` nodes name. A worked example goes with the contributions when what it
names reads a contribution input or a definition only contributions need (it may check a value no
output needs, such as a minimum number of contribution years). Package-private; ``lower.lower`` calls
``split_contribution``.
"""

from __future__ import annotations

from typing import Iterable, Iterator

PREFIX = "contribution."

__all__ = ["split_contribution", "PREFIX"]


def split_contribution(doc: dict) -> dict:
    """``doc`` with its contribution outputs and what only they need moved into ``doc["contribution"]``;
    ``doc`` itself when it declares no contribution output."""
    mine = [o for o in doc["outputs"] if o["field"].startswith(PREFIX)]
    if not mine:
        return doc
    graph = _Graph(doc)
    settle_outputs = [o for o in doc["outputs"] if not o["field"].startswith(PREFIX)]
    settle_roots = _settlement_roots(doc, settle_outputs)
    settle_examples, own_examples = _partition_examples(doc, graph, mine, settle_roots)
    settle = graph.reach(settle_roots, _names_of(settle_examples))
    contribution = graph.reach((o["expr"] for o in mine), _names_of(own_examples))
    return {
        **doc,
        **_keep(doc, settle),
        "outputs": settle_outputs,
        "examples": settle_examples,
        "contribution": {
            **_keep(doc, contribution),
            "outputs": [{**o, "field": o["field"][len(PREFIX):]} for o in mine],
            "examples": own_examples,
        },
    }


def _settlement_roots(doc: dict, outputs: list) -> list:
    roots = [o["expr"] for o in outputs]
    roots += [x["when"] for x in doc["exclusions"]]
    roots += [c["update"] for c in doc["counters"] if c.get("update") is not None]
    roots += [c["excluded_update"] for c in doc["counters"] if c.get("excluded_update") is not None]
    roots += [f["excluded_value"] for f in doc.get("contract", ()) if "excluded_value" in f]
    return roots


def _partition_examples(doc: dict, graph: "_Graph", mine: list, settle_roots: list) -> tuple[list, list]:
    """(settlement examples, contribution examples). An example is a contribution one when what it names
    reads a definition only contributions need, or a contribution input; a person's inputs (险种 …)
    decide nothing, since settlement examples give them too."""
    inputs = {i["name"]: i["field"] for i in doc["inputs"]}
    marks = {n for n in graph.reach(o["expr"] for o in mine) if n not in inputs} - graph.reach(settle_roots).keys()
    marks |= {name for name, field in inputs.items() if field.startswith(PREFIX)}
    parts: tuple[list, list] = ([], [])
    for example in doc["examples"]:
        parts[not marks.isdisjoint(graph.reach((), _example_names(example)))].append(example)
    return parts


def _keep(doc: dict, reached: dict) -> dict:
    """The inputs, tables and definitions of ``doc`` that ``reached`` names, in the IR's own order."""
    return {key: [item for item in doc[key] if item["name"] in reached] for key in ("inputs", "tables", "definitions")}


def _example_names(example: dict) -> Iterator[str]:
    yield from example.get("person") or {}
    for encounter in example.get("encounters") or ():
        yield from encounter.get("inputs") or {}
        yield from (encounter.get("expect") or {}).get("values") or {}


def _names_of(examples: list) -> list:
    return [name for example in examples for name in _example_names(example)]


class _Graph:
    """What each definition and table of an IR reads."""

    def __init__(self, doc: dict) -> None:
        self.reads: dict[str, list] = {}
        for table in doc["tables"]:
            self.reads[table["name"]] = [cell["value"] for cell in table["cells"]]
        for d in doc["definitions"]:
            exprs = [d["default"]["expr"]] + [e[k] for e in d.get("exceptions") or () for k in ("when", "expr")]
            self.reads.setdefault(d["name"], []).extend(exprs)

    def reach(self, exprs: Iterable, names: Iterable[str] = ()) -> dict[str, None]:
        """Every name the expressions and the named values read, directly or not (ordered, no sets)."""
        seen: dict[str, None] = {}
        pending = list(names)
        for expr in exprs:
            pending += _refs(expr)
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen[name] = None
            for expr in self.reads.get(name, ()):
                pending += _refs(expr)
        return seen


def _refs(expr) -> list[str]:
    """The names one IR expression reads: its ``ref`` nodes and the tables of its ``lookup`` nodes."""
    found, stack = [], [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "ref" in node:
                found.append(node["ref"])
            if node.get("op") == "lookup":
                found.append(node["table"])
            stack.extend(node.get("args") or ())
    return found

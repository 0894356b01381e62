"""The semantic diff of two versions of one regulation: what changed in meaning, each with its article.

Entry point: ``semantic_changes(old_ir, new_ir) -> list[Change]``. Both IRs are first reduced to their semantic
form (compiler/semantic.py: no positions, order-free sections sorted), so a comment, a layout change or a
reordering gives no change at all. Each side is then cut into named elements (a parameter, one table cell, one
exception, a counter, an open value, the interpretations of one subject, the validity interval, …) and the
elements are compared one by one.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator, Optional

import attrs

from yibao.compiler.semantic import semantic_form
from yibao.crosscity.exprtext import expr_text

__all__ = ["Change", "semantic_changes", "show_value", "new_open_values"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
LITERAL_KEYS = ("money", "rate", "count", "bool", "date", "enum")


@attrs.frozen
class Change:
    kind: str  # 参数, 定义, 表格单元格, 例外, 计数器, 待定值, 解释, 施行期, …
    name: str  # the element: a definition, ``表[键]``, a counter, …
    subject: str  # the name a settlement trace shows for it (a cell's table, an exception's definition)
    article: Optional[str]
    old: Any  # the element's value in the old version (semantic form), None when it was added
    new: Any  # … in the new version, None when it was removed

    @property
    def action(self) -> str:
        return "新增" if self.old is None else "删除" if self.new is None else "修改"

    def as_json(self) -> dict:
        return {"kind": self.kind, "name": self.name, "subject": self.subject, "article": self.article,
                "action": self.action, "old": show_value(self.old), "new": show_value(self.new),
                "old_ir": self.old, "new_ir": self.new}


def semantic_changes(old_ir: dict, new_ir: dict) -> list[Change]:
    """Every element whose meaning differs, in the order the elements are listed (old's, then new's additions)."""
    if old_ir.get("semantic_sha256") and old_ir.get("semantic_sha256") == new_ir.get("semantic_sha256"):
        return []
    old, new = dict(_elements(semantic_form(old_ir))), dict(_elements(semantic_form(new_ir)))
    changes = []
    for key in list(old) + [k for k in new if k not in old]:
        before, after = old.get(key), new.get(key)
        if before is not None and after is not None and before[1] == after[1]:
            continue
        kind, name, subject = key
        article = (after or before)[0]
        changes.append(Change(kind, name, subject, article, before and before[1], after and after[1]))
    return changes


def new_open_values(changes: list[Change]) -> list[Change]:
    """The open values (待定) the new version has and the old one had not."""
    return [c for c in changes if c.kind == "待定值" and c.old is None]


# ── cutting a semantic form into named elements: (kind, name, subject) → (article, value) ──

Element = tuple[tuple[str, str, str], tuple[Optional[str], Any]]


def _elements(form: dict) -> Iterator[Element]:
    reg = form["regulation"]
    yield ("施行期", "施行期", "施行期"), (reg.get("effective_article"), reg.get("effective"))
    applies = reg.get("applies_to")
    yield ("适用范围", "适用范围", "适用范围"), ((applies or {}).get("article"), applies)
    for key in ("region_code", "region_name", "title", "doc_number", "basis"):
        yield ("规定", key, key), (None, reg.get(key))
    yield from _section(form, "")
    if isinstance(form.get("contribution"), dict):
        yield from _section(form["contribution"], "缴费·")
    for vocabulary in form.get("vocabularies", ()):
        yield ("词表", vocabulary["name"], vocabulary["name"]), (None, vocabulary)
    for counter in form.get("counters", ()):
        body = {k: v for k, v in counter.items() if k not in ("name", "article")}
        yield ("计数器", counter["name"], counter["name"]), (counter.get("article"), body)
    for exclusion in form.get("exclusions", ()):
        yield ("排除", exclusion["reason"], "排除"), (exclusion.get("article"), exclusion["when"])
    for open_value in form.get("open_values", ()):
        yield ("待定值", open_value["name"], open_value["name"].split("[", 1)[0]), (open_value.get("article"),
                                                                                 open_value.get("reason"))
    yield from _interpretations(form.get("interpretations", ()))
    for article in form.get("articles", ()):
        body = {k: v for k, v in article.items() if k != "label"}
        yield ("条文", article["label"], article["label"]), (article["label"], body)


def _section(section: dict, prefix: str) -> Iterator[Element]:
    for spec in section.get("inputs", ()):
        body = {k: v for k, v in spec.items() if k != "name"}
        yield (prefix + "输入", spec["name"], spec["name"]), (None, body)
    for table in section.get("tables", ()):
        shape = {"type": table.get("type"), "dims": table.get("dims")}
        yield (prefix + "表格", table["name"], table["name"]), (table.get("article"), shape)
        for cell in table.get("cells", ()):
            name = f"{table['name']}[{','.join(cell['key'])}]"
            yield (prefix + "表格单元格", name, table["name"]), (table.get("article"), cell["value"])
    for definition in section.get("definitions", ()):
        yield from _definition(definition, prefix)
    for output in section.get("outputs", ()):
        yield (prefix + "输出", output["field"], output["field"]), (output.get("article"), output["expr"])
    for example in section.get("examples", ()):
        # an example an amendment kept is the same example: where it came from and the date it is checked on
        # (docs/language.md section 20) are not a change of the rules
        body = {k: v for k, v in example.items() if k not in ("title", "article", "inherited", "date")}
        yield (prefix + "例", example.get("title") or "", "例"), (example.get("article"), body)


def _definition(definition: dict, prefix: str) -> Iterator[Element]:
    name, default = definition["name"], definition["default"]
    expr = default["expr"]
    if expr.get("op") != "lookup" or expr.get("table") != name:  # a table's own lookup says nothing new
        kind = "参数" if any(k in expr for k in LITERAL_KEYS) else "待定" if "open" in expr else "定义"
        yield (prefix + kind, name, name), (default.get("article"), {"type": definition["type"], "expr": expr})
    for exception in definition.get("exceptions", ()):
        # an exception is known by its condition: the same condition with another value is a changed exception
        label = f"{name} 当 {show_value(exception['when'])}"
        body = {"expr": exception["expr"], "priority": exception.get("priority", 0)}
        yield (prefix + "例外", label, name), (exception.get("article"), body)


def _interpretations(items) -> Iterator[Element]:
    grouped: dict[tuple, list[str]] = {}
    for item in items:
        grouped.setdefault((item.get("article"), item.get("subject")), []).append(item["text"])
    for (article, subject), texts in grouped.items():
        label = f"{article or '—'} {subject or ''}".strip()
        yield ("解释", label, subject or article or "解释"), (article, sorted(texts))


# ── showing a value as a person reads it ──

def show_value(value: Any) -> Optional[str]:
    """An IR value in the rule language's own notation (``1000元``, ``85%``, ``若 … 则 … 否则 …``)."""
    if value is None:
        return None
    if isinstance(value, dict) and "expr" in value and set(value) <= {"expr", "type"}:
        return expr_text(value["expr"])
    if isinstance(value, dict) and set(value) == {"expr", "priority"}:  # an exception
        return f"{expr_text(value['expr'])}（优先级 {value['priority']}）"
    if isinstance(value, dict) and _is_expr(value):
        return expr_text(value)
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and _DATE.fullmatch(value[0]):
        return f"{value[0]} 至 {value[1] or '长期'}"  # a validity interval
    if isinstance(value, list):
        return " / ".join(show_value(v) or "—" for v in value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "；".join(f"{k}={show_value(v)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False)


def _is_expr(node: dict) -> bool:
    return any(k in node for k in LITERAL_KEYS + ("ref", "open", "na", "op"))

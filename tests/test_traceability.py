"""Every number in a city's rules is written in the article its rule cites.

The design asks that each number in a rule file be traceable to an article of the seed regulation. For
every definition, exception and table cell that cites an article, each money, rate and count literal
must appear in that article's text (the bundled ``*.source.txt``; a section cites its sub-items too).
0, 1 and 100% are structural (nothing paid, one admission, the whole amount) and are not checked.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from yibao.compiler.coverage import normalise_label, source_text_beside, split_units
from yibao.compiler.driver import compile_path, discover_regulations

STRUCTURAL = {("money", "0"), ("money", "1"), ("count", "0"), ("count", "1"), ("rate", "0"), ("rate", "100")}
# A number the text does not write, allowed only with the reason and the 解释 that records the reading.
CALENDAR = {
    ("二（二）3", "count", "12"): "months in a year: 烟台 二（二）3's 36 元/人/年 is paid with the monthly premium, "
                                  "read as 36 ÷ 12 = 3 元 a month (解释 in the rule file)",
}
CHINESE = {2: ("两", "二"), 3: ("三",), 4: ("四",), 5: ("五",), 6: ("六",), 7: ("七",), 8: ("八",), 9: ("九",), 10: ("十",)}


def written_forms(kind: str, value) -> list[str]:
    """How the text may write the literal: 200元 as 200, 20万元 as 20万, 85% as 85."""
    if kind == "money":
        yuan = Decimal(value) / 100
        forms = [format(yuan.normalize(), "f")]
        if yuan >= 10000:
            forms.append(format((yuan / 10000).normalize(), "f") + "万")
        return forms
    if kind == "rate":
        return [format((Decimal(value) * 100).normalize(), "f")]
    return [str(value), *CHINESE.get(int(value), ())]  # 前两次: a count may be written in Chinese


def literals(node, found: list) -> list:
    if isinstance(node, dict):
        for kind in ("money", "rate", "count"):
            if kind in node and len(node) == 1:
                found.append((kind, node[kind]))
        for value in node.values():
            literals(value, found)
    elif isinstance(node, list):
        for value in node:
            literals(value, found)
    return found


def cited_literals(ir: dict):
    """(article, kind, value) for every literal in a rule that cites an article."""
    parts = [ir, ir.get("contribution") or {}]
    for part in parts:
        for d in part.get("definitions", []):
            rules = [(d["default"].get("article"), d["default"]["expr"])]
            rules += [(e.get("article"), [e["when"], e["expr"]]) for e in d.get("exceptions", [])]
            for article, expr in rules:
                for kind, value in literals(expr, []):
                    yield article, kind, value
        for t in part.get("tables", []):
            for cell in t["cells"]:
                for kind, value in literals(cell["value"], []):
                    yield t.get("article"), kind, value


def article_text(units, article: str) -> str:
    wanted = normalise_label(article)
    return "\n".join(u.text for u in units if normalise_label(u.label).startswith(wanted))


@pytest.mark.parametrize("rule_file", discover_regulations(None), ids=lambda p: Path(p).stem)
def test_every_number_is_written_in_the_article_it_cites(rule_file):
    ir = compile_path(rule_file).ir
    units = split_units(source_text_beside(Path(rule_file)).read_text(encoding="utf-8"))
    untraced = set()
    for article, kind, value in cited_literals(ir):
        forms = written_forms(kind, value)
        if article is None or (kind, forms[0]) in STRUCTURAL or (article, kind, forms[0]) in CALENDAR:
            continue
        text = article_text(units, article)
        if not any(re.search(rf"(?<![\d.]){re.escape(f)}(?!\d)", text) for f in forms):
            untraced.add((article, kind, forms[0]))
    assert sorted(untraced) == []

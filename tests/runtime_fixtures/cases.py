"""Small builders for settlement cases in the contract's shape (docs/contract.md)."""

from __future__ import annotations

import json

from yibao.runtime import load_case_text


def person(insutype: str = "310", flags=(), **more) -> dict:
    base = {"psn_no": "P1", "insutype": insutype, "psn_type": "1101" if insutype == "310" else "1501",
            "brdy": "1975-06-01", "gend": "1", "flags": list(flags)}
    base.update(more)
    return base


def stay(mdtrt_id: str, level: str, a="0", b="0", c="0", date: str = "2019-03-10", med_type: str = "21", flags=(),
         **more) -> dict:
    enc = {"mdtrt_id": mdtrt_id, "med_type": med_type, "setl_time": date, "dedc_hosp_lv": level,
           "fees": {"01": a, "02": b, "03": c}, "flags": list(flags)}
    enc.update(more)
    return enc


def case(*encounters: dict, insutype: str = "310", flags=(), region: str = "370500", cuminfo=None, **more) -> dict:
    doc = {"region": region, "person": person(insutype, flags, **more), "encounters": list(encounters)}
    if cuminfo is not None:
        doc["cuminfo"] = cuminfo
    return doc


def as_text_case(doc: dict, name: str = "case.json") -> dict:
    """Through JSON text, as the CLI reads it (numbers with fractions become Decimal)."""
    return load_case_text(json.dumps(doc, ensure_ascii=False), name)

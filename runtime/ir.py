"""Loading a ``yibao-ir/1`` document: parse it without floats, check its shape and its sha256.

The IR is the only thing the runtime knows about a regulation (docs/ir.md). This module checks the
document's outer shape; expression nodes are checked as they are compiled (``expr.py``), so a malformed
IR fails at load time with a path to the bad node, never halfway through a claim.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Union

from . import messages as M

FORMAT = "yibao-ir/1"

TOP_LEVEL = ("format", "sha256", "regulation", "vocabularies", "inputs", "tables", "counters", "definitions",
             "exclusions", "outputs", "open_values", "interpretations", "examples")
LIST_SECTIONS = TOP_LEVEL[3:]
REGULATION_KEYS = ("region_code", "region_name", "title", "effective")


class IRError(ValueError):
    """The IR document cannot be used: wrong format, wrong hash, or a malformed element."""


def _refuse_floating_point(text: str) -> Any:
    raise IRError(M.text('ir.refuse_floating_point.1', text=text))


def _no_constant(text: str) -> Any:
    raise IRError(M.text('ir.no_constant.1', text=text))


def parse_ir_text(text: Union[str, bytes]) -> dict:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IRError(M.text('ir.parse_ir_text.3', exc=exc)) from None
    try:
        doc = json.loads(text, parse_float=_refuse_floating_point, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise IRError(M.text('ir.parse_ir_text.2', lineno=exc.lineno, colno=exc.colno, msg=exc.msg)) from None
    if not isinstance(doc, dict):
        raise IRError(M.text('ir.parse_ir_text.1'))
    return doc


def read_ir(source: Union[dict, str, bytes, os.PathLike]) -> dict:
    """The IR as a dict, from a dict, JSON text or bytes, or a path to a JSON file."""
    if isinstance(source, dict):
        return source
    if isinstance(source, bytes):
        return parse_ir_text(source)
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return parse_ir_text(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            return parse_ir_text(Path(source).read_bytes())
        except OSError as exc:
            raise IRError(f"无法读取 IR 文件 {source}：{exc}") from None
    raise IRError(f"无法从 {type(source).__name__} 读取 IR")


def canonical_bytes(doc: dict) -> bytes:
    """The canonical serialisation of docs/ir.md: sorted keys, no spaces, UTF-8, final newline
    (the form written to disk)."""
    return _hashed_bytes(doc) + b"\n"


def _hashed_bytes(doc: dict) -> bytes:
    _reject_floats(doc, "$")
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def compute_sha256(doc: dict) -> str:
    """The hash that belongs in ``doc["sha256"]`` (docs/ir.md pins it): SHA-256 of the canonical
    serialisation of everything else, without the trailing newline."""
    body = {k: v for k, v in doc.items() if k != "sha256"}
    return hashlib.sha256(_hashed_bytes(body)).hexdigest()


def _reject_floats(node: Any, path: str) -> None:
    if isinstance(node, float):
        raise IRError(M.text('ir.reject_floats.1', path=path, node=node))
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                raise IRError(M.text('ir.reject_floats.2', path=path, key=key))
            _reject_floats(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _reject_floats(value, f"{path}[{i}]")


def verify_sha256(doc: dict) -> str:
    stated = doc.get("sha256")
    if not isinstance(stated, str):
        raise IRError(M.text('ir.verify_sha256.1'))
    actual = compute_sha256(doc)
    if stated != actual:
        raise IRError(M.text('ir.verify_sha256.2', actual=actual, stated=stated))
    return stated


def check_outline(doc: dict) -> None:
    """The top-level shape: the format tag, every section present with the right JSON type."""
    if doc.get("format") != FORMAT:
        raise IRError(M.text('ir.check_outline.1', value=doc.get('format'), FORMAT=FORMAT))
    missing = [k for k in TOP_LEVEL if k not in doc]
    if missing:
        raise IRError(M.text('ir.check_outline.2', listed=', '.join(missing)))
    for key in LIST_SECTIONS:
        if not isinstance(doc[key], list):
            raise IRError(M.text('ir.check_outline.5', key=key))
    reg = doc["regulation"]
    if not isinstance(reg, dict):
        raise IRError(M.text('ir.check_outline.3'))
    for key in REGULATION_KEYS:
        if key not in reg:
            raise IRError(M.text('ir.check_outline.6', key=key))
    eff = reg["effective"]
    if not (isinstance(eff, list) and len(eff) == 2 and isinstance(eff[0], str) and (eff[1] is None or isinstance(eff[1], str))):
        raise IRError(M.text('ir.check_outline.4'))


def load_ir(source: Union[dict, str, bytes, os.PathLike], *, verify: bool = True) -> dict:
    """Read, check the outline and (unless told not to) the hash of an IR document."""
    doc = read_ir(source)
    check_outline(doc)
    if verify:
        verify_sha256(doc)
    return doc


def need(obj: Any, key: str, kind: type, where: str) -> Any:
    """``obj[key]`` checked to be of ``kind``; an IRError naming ``where`` otherwise."""
    if not isinstance(obj, dict) or key not in obj:
        raise IRError(M.text('ir.need.1', where=where, key=key))
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise IRError(M.text('ir.need.2', where=where, key=key, __name__=type(value).__name__))
    return value

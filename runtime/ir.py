"""Loading a ``yibao-ir/1`` document: parse it without floats, check its shape and its sha256.

The IR is the only thing the runtime knows about a regulation (docs/ir.md). This module checks the
document's outer shape; expression nodes are checked as they are compiled (``expr.py``), so a malformed
IR fails at load time with a path to the bad node, never halfway through a claim.
"""

from __future__ import annotations

import hashlib
import json
import os

from typing import Any, Union

from . import limits
from . import messages as M

FORMAT = "yibao-ir/1"

TOP_LEVEL = ("format", "sha256", "regulation", "vocabularies", "inputs", "tables", "counters", "definitions",
             "exclusions", "outputs", "open_values", "interpretations", "examples")
LIST_SECTIONS = TOP_LEVEL[3:]
REGULATION_KEYS = ("region_code", "region_name", "title", "effective")


class IRError(ValueError):
    """The IR document cannot be used: wrong format, wrong hash, or a malformed element."""


class CannotSettle(IRError):
    """A sound IR whose rules cannot settle claims: they declare no settlement contract (a rule file without
    the settlement model), or leave out an output the settlement needs. Not a compiler defect."""


def _refuse_floating_point(text: str) -> Any:
    raise IRError(M.text('ir.float_in_text', text=text))


def _no_constant(text: str) -> Any:
    raise IRError(M.text('ir.json_constant', text=text))


def parse_ir_text(text: Union[str, bytes]) -> dict:
    if isinstance(text, bytes):
        if len(text) > limits.MAX_IR_BYTES:
            raise IRError(M.text('ir.too_large', size=f"{len(text)} 字节", limit=limits.MAX_IR_BYTES))
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IRError(M.text('ir.not_utf8', exc=exc)) from None
    if len(text) > limits.MAX_IR_BYTES:
        raise IRError(M.text('ir.too_large', size=f"{len(text)} 个字符", limit=limits.MAX_IR_BYTES))
    deep = limits.json_depth_problem(text, limits.MAX_IR_DEPTH)
    if deep is not None:  # json.loads would raise RecursionError
        raise IRError(M.text('ir.too_deep_at', line=deep[0], col=deep[1], problem=deep[2]))
    long_number = limits.long_integer_problem(text, limits.MAX_IR_INT_DIGITS)
    if long_number is not None:  # json.loads would raise ValueError past 4,300 digits
        raise IRError(M.text('ir.long_number', problem=long_number))
    try:
        doc = json.loads(text, parse_float=_refuse_floating_point, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise IRError(M.text('ir.bad_json', lineno=exc.lineno, colno=exc.colno, msg=exc.msg)) from None
    if not isinstance(doc, dict):
        raise IRError(M.text('ir.not_object'))
    return doc


def read_ir(source: Union[dict, str, bytes, os.PathLike, None] = None, *, text: Union[str, bytes, None] = None,
            path: Union[str, os.PathLike, None] = None) -> dict:
    """The IR as a dict, from exactly one of: ``source`` (a dict, bytes, JSON text that starts with ``{``, or
    an ``os.PathLike`` such as ``pathlib.Path``), ``text=`` (JSON text or bytes) or ``path=`` (a file).

    A plain string is never taken as a path by guessing: untrusted text must not make the runtime open
    files. A string that is not JSON text is refused; pass ``path=`` to read a file."""
    given = [x for x in (source, text, path) if x is not None]
    if len(given) != 1:
        raise IRError(M.text('ir.one_source'))
    if text is not None:
        if not isinstance(text, (str, bytes)):
            raise IRError(M.text('ir.text_kind', kind=type(text).__name__))
        return parse_ir_text(text)
    if path is not None:
        if not isinstance(path, (str, os.PathLike)) or str(path) == "":
            raise IRError(M.text('ir.path_kind', path=path))
        return _read_ir_file(path)
    if isinstance(source, dict):
        return source
    if isinstance(source, bytes):
        return parse_ir_text(source)
    if isinstance(source, str):
        if source.lstrip().startswith("{"):
            return parse_ir_text(source)
        shown = f"{source[:40]!r}{'…' if len(source) > 40 else ''}"
        raise IRError(M.text('ir.ambiguous_string', shown=shown))
    if isinstance(source, os.PathLike):
        return _read_ir_file(source)
    raise IRError(M.text('ir.source_kind', kind=type(source).__name__))


def _read_ir_file(path: Union[str, os.PathLike]) -> dict:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.MAX_IR_BYTES + 1)
    except OSError as exc:
        raise IRError(M.text('ir.unreadable', path=os.fspath(path), reason=exc.strerror or exc)) from None
    return parse_ir_text(data)


def canonical_bytes(doc: dict) -> bytes:
    """The canonical serialisation of docs/ir.md: sorted keys, no spaces, UTF-8, final newline
    (the form written to disk)."""
    return _hashed_bytes(doc) + b"\n"


def _hashed_bytes(doc: dict) -> bytes:
    _reject_floats(doc, "$")
    try:
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate in a key or a value the schema does not name
        raise IRError(M.text('ir.lone_surrogate', near=exc.object[max(0, exc.start - 20):exc.start])) from None


def compute_sha256(doc: dict) -> str:
    """The hash that belongs in ``doc["sha256"]`` (docs/ir.md pins it): SHA-256 of the canonical
    serialisation of everything but the hashes, without the trailing newline. ``semantic_sha256`` (the
    compiler's hash of the meaning apart from positions) is for tools comparing versions; the runtime does not
    check it."""
    body = {k: v for k, v in doc.items() if k not in ("sha256", "semantic_sha256")}
    return hashlib.sha256(_hashed_bytes(body)).hexdigest()


def _reject_floats(doc: Any, root: str) -> None:
    """No float, no non-string key, and no nesting deeper than the limit anywhere in ``doc``: checked with an
    explicit stack, so a document handed over as a dict cannot exhaust the interpreter's stack here (or in
    ``json.dumps`` after it)."""
    stack = [(doc, root, 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, float):
            raise IRError(M.text('ir.float_value', path=path, node=node))
        if depth > limits.MAX_IR_DEPTH and isinstance(node, (dict, list)):
            raise IRError(M.text('ir.too_deep', path=limits.shown_path(path), limit=limits.MAX_IR_DEPTH))
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    raise IRError(M.text('ir.key_not_text', path=path, key=key))
                stack.append((value, f"{path}.{key}", depth + 1))
        elif isinstance(node, list):
            stack.extend((value, f"{path}[{i}]", depth + 1) for i, value in enumerate(node))


def verify_sha256(doc: dict) -> str:
    stated = doc.get("sha256")
    if not isinstance(stated, str):
        raise IRError(M.text('ir.sha256_missing'))
    actual = compute_sha256(doc)
    if stated != actual:
        raise IRError(M.text('ir.sha256_mismatch', actual=actual, stated=stated))
    return stated


def check_outline(doc: dict) -> None:
    """The top-level shape: the format tag, every section present with the right JSON type."""
    if doc.get("format") != FORMAT:
        raise IRError(M.text('ir.unsupported_format', value=doc.get('format'), FORMAT=FORMAT))
    missing = [k for k in TOP_LEVEL if k not in doc]
    if missing:
        raise IRError(M.text('ir.top_fields_missing', listed=', '.join(missing)))
    for key in LIST_SECTIONS:
        if not isinstance(doc[key], list):
            raise IRError(M.text('ir.section_not_list', key=key))
    reg = doc["regulation"]
    if not isinstance(reg, dict):
        raise IRError(M.text('ir.regulation_not_object'))
    for key in REGULATION_KEYS:
        if key not in reg:
            raise IRError(M.text('ir.regulation_field_missing', key=key))
    eff = reg["effective"]
    if not (isinstance(eff, list) and len(eff) == 2 and isinstance(eff[0], str) and (eff[1] is None or isinstance(eff[1], str))):
        raise IRError(M.text('ir.effective_shape'))


def load_ir(source: Union[dict, str, bytes, os.PathLike, None] = None, *, verify: bool = True,
            text: Union[str, bytes, None] = None, path: Union[str, os.PathLike, None] = None) -> dict:
    """Read (see ``read_ir``), check the outline, the schema (runtime/schema.py) and, unless told not
    to, the hash of an IR document."""
    from .schema import check_schema  # schema.py raises this module's IRError

    doc = read_ir(source, text=text, path=path)
    check_outline(doc)
    check_schema(doc)
    if verify:
        verify_sha256(doc)
    return doc


def need(obj: Any, key: str, kind: type, where: str) -> Any:
    """``obj[key]`` checked to be of ``kind``; an IRError naming ``where`` otherwise."""
    if not isinstance(obj, dict) or key not in obj:
        raise IRError(M.text('ir.field_missing', where=where, key=key))
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise IRError(M.text('ir.field_type', where=where, key=key, __name__=type(value).__name__))
    return value

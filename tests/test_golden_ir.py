"""Golden IR: each bundled city regulation compiles to exactly the bytes stored beside the tests.

After an intended change to the language, the compiler or a rule file, review the diff and refresh with
``pytest tests/test_golden_ir.py --update-golden``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from yibao.compiler.driver import compile_path, discover_regulations
from yibao.compiler.lower import canonical_json

GOLDEN = Path(__file__).parent / "golden"
CITIES = discover_regulations(None)


@pytest.mark.parametrize("path", CITIES, ids=lambda p: Path(p).stem)
def test_ir_matches_golden(path, update_golden):
    result = compile_path(path)
    assert result.ir is not None, result.diagnostics
    data = canonical_json(result.ir)
    golden = GOLDEN / (Path(path).stem + ".ir.json")
    if update_golden:
        golden.write_bytes(data)
    assert golden.exists(), f"no golden file {golden.name}; run with --update-golden"
    assert data == golden.read_bytes()


@pytest.mark.parametrize("path", CITIES, ids=lambda p: Path(p).stem)
def test_ir_is_canonical_and_hashed(path):
    ir = compile_path(path).ir
    body = {k: v for k, v in ir.items() if k not in ("sha256", "semantic_sha256")}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert ir["format"] == "yibao-ir/1"
    assert ir["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert canonical_json(compile_path(path).ir) == canonical_json(ir)  # same rules, same bytes


LANGUAGE = sorted((Path(__file__).parent / "fixtures" / "language").glob("*.yb"))


@pytest.mark.parametrize("path", LANGUAGE, ids=lambda p: p.stem)
def test_the_language_reference_fixtures_compile_to_their_golden_ir(path, update_golden):
    # dates, article references, bands, values by year and amendments, as docs/language.md sections 14–17 show them
    from yibao.compiler.driver import compile_text

    result = compile_text(path.read_text(encoding="utf-8"), file=f"language/{path.name}", directory=path.parent)
    assert result.ir is not None, result.diagnostics
    data = canonical_json(result.ir)
    golden = GOLDEN / f"language-{path.stem}.ir.json"
    if update_golden:
        golden.write_bytes(data)
    assert golden.exists(), f"no golden file {golden.name}; run with --update-golden"
    assert data == golden.read_bytes()

"""The VS Code extension (editors/vscode/): its TextMate grammar is generated from the language's grammar,
and tokenizing a bundled rule file with it (vscode-textmate + vscode-oniguruma, under node) gives keywords,
numbers, articles, strings and comments their scopes. `.ci/run` installs the node packages (`npm ci`) and
builds the `.vsix`."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = ROOT / "editors" / "vscode"


def make_grammar():
    spec = importlib.util.spec_from_file_location("make_grammar", EXTENSION / "scripts" / "make_grammar.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_textmate_grammar_is_generated_from_the_language_grammar():
    # after a keyword is added to compiler/parse.py: python editors/vscode/scripts/make_grammar.py
    assert (EXTENSION / "syntaxes" / "yibao.tmLanguage.json").read_text(encoding="utf-8") == make_grammar().render()


def test_every_keyword_and_alias_is_highlighted():
    from yibao.compiler.parse import KEYWORDS

    patterns = " ".join(p["match"] for p in make_grammar().grammar()["patterns"])
    assert [w for words in KEYWORDS.values() for w in words if w not in patterns] == []


def test_the_extension_declares_the_language_grammar_and_client():
    package = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    assert package["contributes"]["languages"][0]["extensions"] == [".yb"]
    assert package["contributes"]["grammars"][0]["scopeName"] == "source.yibao"
    assert "vscode-languageclient" in package["dependencies"] and "@vscode/vsce" in package["devDependencies"]
    lock = json.loads((EXTENSION / "package-lock.json").read_text(encoding="utf-8"))
    assert "node_modules/vscode-textmate" in lock["packages"]
    assert '"lsp"' in (EXTENSION / "extension.js").read_text(encoding="utf-8")


def test_the_grammar_tokenizes_a_bundled_rule_file_under_node():
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed: the TextMate grammar is tested under node")
    if not (EXTENSION / "node_modules" / "vscode-textmate").is_dir():  # .ci/run has done this already
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=EXTENSION, check=True, capture_output=True)
    proc = subprocess.run([node, "--test", "test/"], cwd=EXTENSION, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "# pass 2" in proc.stdout and "# fail 0" in proc.stdout

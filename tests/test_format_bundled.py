"""CI keeps the bundled rule files in the house style (docs/formatting.md): `yibao fmt --check regulations/`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from yibao.cli import main

REGULATIONS = Path(__file__).resolve().parents[1] / "regulations"


def test_the_bundled_rule_files_are_formatted():
    # After editing a rule file: yibao fmt regulations/ (then pytest --update-golden, positions move)
    result = CliRunner().invoke(main, ["fmt", "--check", str(REGULATIONS)])
    assert (result.exit_code, result.stdout) == (0, "")

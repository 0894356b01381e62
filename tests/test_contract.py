"""docs/contract.md is the project's contract: every JSON example on it runs as printed.

An input example is the JSON block that follows a section's ``yibao settle`` / ``yibao contribute``
heading; the next JSON block in the same section is its documented output. In a documented output a
string containing ``…`` matches any text in that place, and a list shows some of the actual items, in
order. Amounts are compared as Decimals, exactly.
"""

from __future__ import annotations

import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from yibao.cli import main

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "docs" / "contract.md"


def contract_examples() -> list[tuple[str, str, str]]:
    """(command, input JSON, documented output JSON) for each numbered section that runs a command."""
    text = CONTRACT.read_text(encoding="utf-8")
    examples = []
    for section in re.split(r"\n(?=## )", text):
        command = re.match(r"## \d+\. [^\n]*`yibao (settle|contribute) ", section)
        blocks = re.findall(r"```json\n(.*?)```", section, re.S)
        if command:
            assert len(blocks) == 2, f"{command.group(0)}: expected an input and an output example"
            examples.append((command.group(1), blocks[0], blocks[1]))
    return examples


def matches(documented, actual, where: str = "$") -> None:
    """Assert that ``actual`` is what ``documented`` shows (see the module docstring)."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        for key, value in documented.items():
            assert key in actual, f"{where}: no field {key!r}"
            matches(value, actual[key], f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list), f"{where}: {actual!r} is not a list"
        rest = iter(enumerate(actual))
        for item in documented:
            assert any(_matches_quietly(item, got) for _, got in rest), f"{where}: no item like {item!r}, in order"
    elif isinstance(documented, str) and "…" in documented:
        pattern = ".*".join(re.escape(part) for part in documented.split("…"))
        assert isinstance(actual, str) and re.fullmatch(pattern, actual, re.S), f"{where}: {actual!r} ≠ {documented!r}"
    else:
        assert type(actual) is type(documented) and actual == documented, f"{where}: {actual!r} ≠ {documented!r}"


def _matches_quietly(documented, actual) -> bool:
    try:
        matches(documented, actual)
    except AssertionError:
        return False
    return True


def load(text: str):
    return json.loads(text, parse_float=Decimal)


def test_the_contract_has_its_settlement_and_contribution_examples():
    assert [command for command, _, _ in contract_examples()] == ["settle", "contribute"]


@pytest.mark.parametrize("command, case, documented", contract_examples(), ids=lambda v: v if v in ("settle", "contribute") else "")
def test_each_contract_example_gives_its_documented_output(command, case, documented):
    result = CliRunner().invoke(main, [command, "-"], input=case)
    assert result.exit_code == 0, result.stderr
    matches(load(documented), load(result.stdout))


def test_the_settlement_output_lists_every_setlinfo_field_in_the_contract_order():
    # §1's table and example fix the columns and their order; a HIS reads them positionally in places.
    (_, case, documented) = contract_examples()[0]
    out = load(CliRunner().invoke(main, ["settle", "-"], input=case).stdout)
    assert list(out["encounters"][0]["setlinfo"]) == list(load(documented)["encounters"][0]["setlinfo"])


def test_a_wrong_documented_value_is_caught():
    (_, case, documented) = contract_examples()[0]
    out = load(CliRunner().invoke(main, ["settle", "-"], input=case).stdout)
    wrong = load(documented)
    wrong["encounters"][0]["setlinfo"]["hifp_pay"] = Decimal("7820.01")
    with pytest.raises(AssertionError, match="hifp_pay"):
        matches(wrong, out)


def test_no_file_in_the_project_refers_to_the_shared_folder():
    # A user who installs yibao has no shared folder beside the project: the contract lives in docs/contract.md.
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    needle = "../" + "shared"  # spelled in two parts so this file does not match itself
    offenders = [name for name in tracked
                 if (ROOT / name).is_file() and needle in (ROOT / name).read_bytes().decode("utf-8", "replace")]
    assert offenders == []

"""runtime/messages.py is the runtime's one message catalogue: every key the runtime asks for is there,
every entry is asked for, and a message reads as its template says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from yibao.runtime import CaseError, load_case_text
from yibao.runtime import messages as M

RUNTIME = Path(__file__).resolve().parents[1] / "runtime"
USE = re.compile(r"M\.(?:text|template)\(['\"]([a-z0-9_.]+)['\"]")


def used_keys() -> set:
    return {key for path in RUNTIME.glob("*.py") for key in USE.findall(path.read_text(encoding="utf-8"))}


def test_every_key_used_is_catalogued_and_every_entry_is_used():
    assert used_keys() - set(M.TEXT) == set()
    assert set(M.TEXT) - used_keys() == set()


def test_a_case_error_is_written_from_the_catalogue():
    with pytest.raises(CaseError) as caught:
        load_case_text('{"region": "370500", "region": "370600"}', "dup.json")
    assert str(caught.value) == "dup.json: " + M.text("case.duplicate_key", key="region")
    assert str(caught.value) == "dup.json: JSON 对象中键「region」重复出现"

"""The skeleton settlement (``settle.Engine``) and contributions (``contribute.ContributionEngine``) share.

Both hold, per region, the versions of its regulation ordered by the day they took effect, and both
answer a case the same way up to the point where the rules run: find the region the case names, check
what it gives against what that region's rules accept (one ``Schema`` per region), pick the version in
force on the case's date, and refuse a code the chosen version has no member for. What each runs per
version (a settlement ``Program``, or a regulation's contribution section) is its "member"; ``RegionIndex``
only needs the member's Regulation and Program.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Iterable, Optional

from . import contract as C
from . import messages as M
from .case import Problems, Schema, find_region
from .ir import IRError


class RegionIndex:
    """Members by region, each group sorted by start date, versions not overlapping (IRError otherwise)."""

    def __init__(self, members: Iterable[Any], regulation_of: Callable[[Any], Any], program_of: Callable[[Any], Any],
                 rules: str, date_word: str) -> None:
        self.regulation_of = regulation_of
        self.rules = rules  # what was loaded, in messages: 规定, 缴费规定
        self.date_word = date_word  # the case's date, in messages: 结算日期, 缴费日期
        self.by_region: dict[str, list] = {}
        for member in members:
            reg = regulation_of(member)
            group = self.by_region.setdefault(reg.region_code, [])
            if all(regulation_of(m).sha256 != reg.sha256 for m in group):
                group.append(member)
        self.names: dict[str, str] = {}
        self.schemas: dict[str, Schema] = {}
        for code, group in self.by_region.items():
            group.sort(key=lambda m: regulation_of(m).effective[0])
            check_no_overlap([regulation_of(m) for m in group])
            self.names[code] = regulation_of(group[0]).region_name
            schema = Schema()
            for member in group:
                schema.add_program(program_of(member))
            self.schemas[code] = schema

    def region(self, case: dict, region: Optional[str], problems: Problems) -> Optional[str]:
        """The loaded region the case (or ``--region``) names, or None once the problem is recorded."""
        given = region if region is not None else case.get("region")
        return find_region(given, region is not None, self.by_region, self.names, problems, self.rules)

    def in_force(self, code: str, date: _dt.date) -> Any:
        """The member in force on ``date``, or the YR04 error dict naming every loaded version."""
        group = self.by_region[code]
        for member in group:
            if self.regulation_of(member).covers(date):
                return member
        return M.no_regulation(date, C.region_name(code, self.names), [self.regulation_of(m) for m in group],
                               self.date_word)


def check_no_overlap(group: list) -> None:
    """Versions of one region, sorted by start: each must end before the next begins."""
    for earlier, later in zip(group, group[1:]):
        end = earlier.effective[1]
        if end is None or end >= later.effective[0]:
            raise IRError(M.versions_overlap(earlier.region_code, earlier.title, later.title))

"""Reading a contribution case (docs/contract.md section 2) into validated values, and from those
values the input list of one regulation's contribution program.

Like a settlement case, every problem with the input is collected and then refused at once as a
``CaseError`` naming the file, the JSON path and what was expected. What differs is absence: a
contribution case carries only what its person needs (a retiree has no wage, a 灵活就业人员 no employer
type), so an absent input reads as the MISSING sentinel, and only an output that actually needs it
makes the case unusable (``missing_needed``).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Optional

from . import messages as M
from . import contract as C
from .case import Problems, Schema, check_keys, parse_amount, parse_code, parse_extension, parse_names
from .inputs import NotCovered
from .values import Sentinel, parse_date

__all__ = ["ContributionCase", "parse_contribution_case", "read_contribution_inputs", "NotCoveredCode",
           "missing_needed", "TOP_FIELDS", "PERSON_FIELDS", "json_path"]

TOP_FIELDS = ("region", "date", "avg_wage", "person")
PERSON_FIELDS = ("psn_no", "insutype", "psn_type", "brdy", "gend", "employer_type", "wage", "pension", "flags")
EMPLOYER_TYPES = ("企业", "机关事业单位")

LABELS = {
    "date": "缴费日期", "avg_wage": "上年度全省月平均工资", "person": "参保人", "employer_type": "单位类型",
    "wage": "本人月工资", "pension": "月养老金", **C.LABELS,
}

# 人员类别 by 险种: an employee category with the resident 险种 (or the reverse) is a contradiction
EMPLOYEE_PSN_TYPES = ("1101", "1102", "1103", "1201", "1202", "1203")


class ContributionCase:
    """One person's month: ``values`` by contract field (``contribution.date``, ``person.wage``, …),
    amounts in fen, codes as strings, dates as dates."""

    __slots__ = ("name", "date", "values", "flags")

    def __init__(self, name: str) -> None:
        self.name = name
        self.date: Optional[_dt.date] = None
        self.values: dict[str, Any] = {}
        self.flags: frozenset = frozenset()


def json_path(field: str) -> str:
    """Where a contract field sits in the case: ``contribution.avg_wage`` → ``avg_wage``."""
    scope, _, key = field.partition(".")
    return key if scope == "contribution" else field


def parse_contribution_case(raw: dict, schema: Schema, problems: Problems) -> ContributionCase:
    """Validate the whole case against the contract and the region's contribution inputs (``schema``)."""
    case = ContributionCase(problems.name)
    extra_top = [f.split(".", 1)[1] for f in schema.extensions if f.startswith("contribution.")]
    check_keys(raw, _union(TOP_FIELDS, extra_top), "", problems)
    if "date" not in raw:
        problems.add("date", M.text('contribution.date_missing'))
    else:
        case.date = _date(raw["date"], "date", problems)
        case.values["contribution.date"] = case.date
    if "avg_wage" in raw:
        _amount(raw["avg_wage"], "contribution.avg_wage", case, problems)
    for key in extra_top:
        if key in raw and key not in TOP_FIELDS:
            field = f"contribution.{key}"
            case.values[field] = parse_extension(raw[key], schema.extensions[field], field, key, schema, problems)
    _person(raw.get("person"), schema, case, problems)
    return case


def _union(fixed: tuple, extra: list) -> list:
    return list(fixed) + [k for k in extra if k not in fixed]


def _date(value: Any, path: str, problems: Problems) -> Optional[_dt.date]:
    try:
        return parse_date(value)
    except ValueError as exc:
        problems.add(path, M.text('contribution.bad_date', value=LABELS.get(path.rpartition('.')[2], path), exc=exc))
        return None


def _amount(value: Any, field: str, case: ContributionCase, problems: Problems) -> None:
    path = json_path(field)
    fen = parse_amount(value, path, LABELS[field.rpartition(".")[2]], problems)
    if fen is not None:
        case.values[field] = fen


def _person(raw: Any, schema: Schema, case: ContributionCase, problems: Problems) -> None:
    if raw is None:
        problems.add("person", M.text('case.person_missing'))
        return
    if not isinstance(raw, dict):
        problems.add("person", M.text('contribution.person_not_object'))
        return
    extra = [f.split(".", 1)[1] for f in schema.extensions if f.startswith("person.")]
    check_keys(raw, _union(PERSON_FIELDS, extra), "person", problems)
    if "psn_no" in raw and not isinstance(raw["psn_no"], str):
        problems.add("person.psn_no", M.text('contribution.psn_no_not_text'))
    for key in ("insutype", "psn_type", "gend"):
        if key in raw:
            code = parse_code(raw[key], f"person.{key}", f"person.{key}", problems)
            if code is not None:
                case.values[f"person.{key}"] = code
    if "employer_type" in raw:
        _employer_type(raw["employer_type"], schema, case, problems)
    if "brdy" in raw:
        case.values["person.brdy"] = _date(raw["brdy"], "person.brdy", problems)
    for key in ("wage", "pension"):
        if key in raw:
            _amount(raw[key], f"person.{key}", case, problems)
    case.flags = parse_names(raw.get("flags"), schema.flags["person.flags"], "person.flags", "人员标志", problems)
    for key in extra:
        if key in raw and key not in PERSON_FIELDS:
            field = f"person.{key}"
            case.values[field] = parse_extension(raw[key], schema.extensions[field], field, field, schema, problems)
    _consistent(case, problems)


def _employer_type(value: Any, schema: Schema, case: ContributionCase, problems: Problems) -> None:
    known = set(EMPLOYER_TYPES) | schema.enum_codes.get("person.employer_type", set())
    if isinstance(value, str) and value in known:
        case.values["person.employer_type"] = value
        return
    listed = "、".join(list(EMPLOYER_TYPES) + sorted(known - set(EMPLOYER_TYPES)))
    problems.add("person.employer_type", M.text('contribution.unknown_employer_type', value=value, listed=listed))


def _consistent(case: ContributionCase, problems: Problems) -> None:
    insutype, psn_type = case.values.get("person.insutype"), case.values.get("person.psn_type")
    if insutype is None or psn_type is None:
        return
    if (psn_type in EMPLOYEE_PSN_TYPES) != (insutype == "310"):
        want = "310" if psn_type in EMPLOYEE_PSN_TYPES else "390"
        problems.add("person.insutype", M.text('contribution.insutype_disagrees', insutype=insutype, psn_type=psn_type, item=C.PSN_TYPE[psn_type], want=want, item2=C.INSUTYPE[want]))


# ── from validated values to one program's inputs ─────────────────────────────────────────────


NotCoveredCode = NotCovered  # the settlement readers' exception: one YR05 for both


def read_contribution_inputs(readers: list, case: ContributionCase) -> list:
    """A contribution program's inputs in slot order, by the input readers in their contribution mode
    (``inputs.make_readers(program, contribution=True)``): absent ones are MISSING sentinels that
    remember their field. The case is both the person and the encounter."""
    return [read(case, case) for read in readers]


def missing_needed(sentinel: Sentinel, output: str, title: str) -> tuple[str, str]:
    """The (path, message) of a CaseError for an absent input that an output needs."""
    field = sentinel.field or sentinel.name
    path = json_path(field)
    label = LABELS.get(path.rpartition(".")[2], sentinel.name)
    where = f"{sentinel.article}" if sentinel.article else ""
    return path, M.contribution_input_needed(path, label, title, where, output, sentinel.name)

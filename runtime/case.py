"""Reading a settlement case (docs/contract.md §1) into validated values, and from those values
the input list of one IR for one encounter.

Every problem with the input becomes a ``CaseError`` naming the file, the JSON path of the field and
what was expected, in Chinese. All problems of a case are collected before it is refused, so a caller
fixes them in one round. Bad input never yields a number.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from decimal import Decimal
from typing import Any, Optional

from . import contract as C
from . import limits
from . import messages as M
from .inputs import Absent, NotCovered, Reader, make_readers, read_inputs  # noqa: F401  (re-exported: they lived here)
from .values import parse_count, parse_date, parse_rate_text, parse_setl_time, yuan_to_fen


class CaseError(ValueError):
    """The case cannot be used at all (exit status 2). ``problems`` holds every (path, message) found."""

    def __init__(self, name: str, problems: list[tuple[str, str]]) -> None:
        self.name = name
        self.problems = list(problems)
        self.path = problems[0][0] if problems else ""
        super().__init__("\n".join(M.case_problem(name, path, message) for path, message in self.problems))


class CaseText(dict):
    """A case dict that remembers the name of the file it was read from, for error messages."""

    source_name = "<case>"


def load_case_text(text: str, name: str) -> dict:
    """Parse a case's JSON exactly: numbers with a fraction become ``Decimal``, never float."""
    def no_constant(token: str) -> Any:
        raise CaseError(name, [("", M.text('case.json_constant', token=token))])

    def no_duplicates(pairs: list) -> dict:
        seen = dict(pairs)
        if len(seen) == len(pairs):
            return seen  # the usual object: no key twice, and no Python loop over its pairs
        seen = {}
        for key, value in pairs:
            if key in seen:
                raise CaseError(name, [("", M.text('case.duplicate_key', key=key))])
            seen[key] = value
        return seen

    _within_limits(text, name)
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=no_constant, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise CaseError(name, [(M.json_position(exc.lineno, exc.colno), M.text('case.bad_json', msg=exc.msg))]) from None
    if not isinstance(data, dict):
        raise CaseError(name, [("$", M.text('case.not_object', got=_json_kind(data)))])
    if _ESCAPED_SURROGATE.search(text):
        _refuse_lone_surrogates(data, name)
    case = CaseText(data)
    case.source_name = name
    return case


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_lone_surrogates(data: Any, name: str) -> None:
    """A ``\\udc00`` escape that is not half of a pair decodes to a character no UTF-8 output can hold:
    refuse it here, naming where, rather than fail when the output is written."""
    stack = [(data, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                raise CaseError(name, [(path or "$", M.text('string.lone_surrogate'))])
        elif isinstance(node, dict):
            for key, value in node.items():
                stack.append((key, path or "$"))
                stack.append((value, f"{path}.{key}" if path else key))
        elif isinstance(node, list):
            stack.extend((value, f"{path}[{i}]") for i, value in enumerate(node))


def _within_limits(text: str, name: str) -> None:
    """Refuse, before parsing, a case too large, too deep or with a number too long (runtime/limits.py)."""
    if not isinstance(text, str):
        raise CaseError(name, [("", M.text('case.not_text', kind=type(text).__name__))])
    if _SURROGATE.search(text):  # only a caller's str can hold one (decoded UTF-8 cannot)
        raise CaseError(name, [("", M.text('case.lone_surrogate'))])
    if len(text) > limits.MAX_CASE_BYTES:
        raise CaseError(name, [("", M.text('case.too_large', size=len(text), limit=limits.MAX_CASE_BYTES))])
    deep = limits.json_depth_problem(text, limits.MAX_CASE_DEPTH)
    if deep is not None:
        line, col, message = deep
        raise CaseError(name, [(f"第 {line} 行第 {col} 列", message)])
    long_number = limits.long_integer_problem(text, limits.MAX_JSON_INT_DIGITS)
    if long_number is not None:
        raise CaseError(name, [("", M.text('case.long_number', problem=long_number, max_amount=limits.MAX_AMOUNT_TEXT,
                                                 max_count=limits.MAX_COUNT))])


class Schema:
    """What a region's regulations accept beyond the contract: their flags, chronic-disease names,
    extension fields and cuminfo keys (each with its IR type)."""

    def __init__(self) -> None:
        self.flags: dict[str, list[str]] = {"person.flags": list(C.PERSON_FLAGS), "encounter.flags": list(C.ENCOUNTER_FLAGS)}
        self.chronic: list[str] = []
        self.chronic_open = False  # the regulation leaves its disease list open: any certified name is taken
        self.extensions: dict[str, Any] = {}    # "person.annual_base" → "money"
        self.labels: dict[str, str] = {}        # "person.annual_base" → "本人年缴费基数"
        self.enum_codes: dict[str, set] = {}    # non-contract enum field → accepted codes
        self.any_code: set = set()              # enum fields of an open list (其余): any non-empty code
        self.cuminfo: dict[str, Any] = {}       # key → counter type
        self._derive()

    def add_program(self, program: Any) -> None:
        for spec in program.inputs:
            self._add_input(spec, program)
        for counter in program.counters:
            if counter.cuminfo:
                self.cuminfo.setdefault(counter.cuminfo, counter.type)
        for vocab in program.vocabs.values():
            if vocab.field == "person.chronic":
                _extend(self.chronic, vocab.members + sorted(vocab.aliases))
                self.chronic_open = self.chronic_open or bool(vocab.open)
        self._derive()

    def _derive(self) -> None:
        """Tables read on every case, so that checking one costs set and dict look-ups, not list building."""
        self.person_keys = list(C.PERSON_FIELDS) + [f.split(".", 1)[1] for f in self.extensions if f.startswith("person.")]
        self.encounter_keys = list(C.ENCOUNTER_FIELDS) + [f.split(".", 1)[1] for f in self.extensions
                                                          if f.startswith("encounter.")]
        self.person_key_set = frozenset(self.person_keys)
        self.encounter_key_set = frozenset(self.encounter_keys)
        self.person_extensions = [(f.split(".", 1)[1], f) for f in self.extensions if f.startswith("person.")]
        self.encounter_extensions = [(f.split(".", 1)[1], f) for f in self.extensions if f.startswith("encounter.")]

    def _add_input(self, spec: Any, program: Any) -> None:
        field = spec.field
        if field in self.flags and spec.type == "bool":
            _extend(self.flags[field], [spec.name])
        elif field == "person.chronic":
            _extend(self.chronic, [spec.name])
        elif field and field not in C.CODE_FIELDS and field != "person.age" and not _contract_field(field):
            self.extensions.setdefault(field, spec.type)
            self.labels.setdefault(field, spec.name)
            if isinstance(spec.type, dict):
                vocab = program.vocabs[spec.type["enum"]]
                self.enum_codes.setdefault(field, set()).update(vocab.code_to_member)
                if vocab.unlisted:
                    self.any_code.add(field)


def _extend(target: list, names: list) -> None:
    for name in names:
        if name not in target:
            target.append(name)


def _contract_field(field: str) -> bool:
    scope, _, rest = field.partition(".")
    if scope == "person":
        return rest in C.PERSON_FIELDS
    if scope == "encounter":
        return rest in C.ENCOUNTER_FIELDS or rest.startswith("fees.")
    return False


class Person:
    __slots__ = ("values", "flags", "chronic", "insutype")

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.flags: frozenset = frozenset()
        self.chronic: frozenset = frozenset()
        self.insutype: Optional[str] = None


class Encounter:
    __slots__ = ("mdtrt_id", "date", "values", "flags", "index")

    def __init__(self, index: int) -> None:
        self.index = index
        self.mdtrt_id: Optional[str] = None
        self.date: Optional[_dt.date] = None
        self.values: dict[str, Any] = {}
        self.flags: frozenset = frozenset()

    @property
    def path(self) -> str:  # only error messages need it: not built for every encounter
        return f"encounters[{self.index}]"


class Problems:
    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def check(self) -> None:
        if self.items:
            raise CaseError(self.name, self.items)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, (int, Decimal)):
        return f"数字 {value}"
    if isinstance(value, str):
        return f"字符串 {value!r}"
    if value is None:
        return "null"
    return "列表" if isinstance(value, list) else "对象"


def _label(key: str) -> str:
    return C.LABELS.get(key, key)


def check_keys(obj: dict, allowed: list, path: str, problems: Problems, allowed_set: Any = None) -> None:
    if allowed_set is not None and obj.keys() <= allowed_set:
        return  # the common case, in one set comparison
    for key in obj:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            problems.add(where, M.text('case.unknown_field', key=key, listed='、'.join(allowed)))


_CODE_TABLES = {field: table for field, (_, table) in C.CODE_FIELDS.items()}


def parse_code(value: Any, field: str, path: str, problems: Problems, extra: Optional[set] = None) -> Optional[str]:
    """A code (a JSON string such as "310") valid for ``field``; None after recording a problem."""
    if value.__class__ is str and value in _CODE_TABLES.get(field, ()):
        return value  # the common case: no label, no message
    label, table = C.CODE_FIELDS.get(field, (field, {}))
    if not isinstance(value, str):
        hint = f"，得到 {_json_kind(value)}（代码是字符串，\"01\" 不是 1）"
        problems.add(path, M.text('case.code_not_text', label=label, hint=hint))
        return None
    if value in table or (extra and value in extra):
        return value
    known = "、".join(f"{code} {name}" for code, name in table.items()) or "、".join(sorted(extra or ()))
    problems.add(path, M.text('case.unknown_code', label=label, value=value, known=known))
    return None


def parse_amount(value: Any, path: str, label: str, problems: Problems) -> Optional[int]:
    try:
        return yuan_to_fen(value)
    except ValueError as exc:
        problems.add(path, M.text('case.bad_amount', label=label, exc=exc))
        return None


def _open_names(value: Any, problems: Problems) -> frozenset:
    """Disease names under an open list (词表 … 待定): any non-empty string, as the agency certified it."""
    if not isinstance(value, list):
        problems.add("person.chronic", M.text('case.chronic_not_list', got=_json_kind(value)))
        return frozenset()
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            problems.add(f"person.chronic[{i}]", M.text('case.chronic_name_empty', got=_json_kind(item)))
    return frozenset(item for item in value if isinstance(item, str))


def parse_names(value: Any, known: list, path: str, what: str, problems: Problems) -> frozenset:
    """A list of flag or disease names, each one the regulations know."""
    if value is None or value == []:
        return _NO_NAMES
    if not isinstance(value, list):
        problems.add(path, M.text('case.names_not_list', what=what, got=_json_kind(value)))
        return frozenset()
    names = set()
    for i, item in enumerate(value):
        if not isinstance(item, str):
            problems.add(f"{path}[{i}]", M.text('case.name_not_text', what=what, got=_json_kind(item)))
        elif item not in known:
            listed = "、".join(known) if known else "（无）"
            problems.add(f"{path}[{i}]", M.text('case.unknown_name', what=what, item=item, listed=listed))
        else:
            names.add(item)
    return frozenset(names)


def parse_extension(value: Any, type_: Any, field: str, path: str, schema: Schema, problems: Problems) -> Any:
    label = schema.labels.get(field, field)
    try:
        if type_ == "money":
            return yuan_to_fen(value)
        if type_ == "count":
            return parse_count(value)
        if type_ == "date":
            return parse_date(value)
        if type_ == "rate":
            return parse_rate_text(str(value)) if isinstance(value, (str, Decimal, int)) and not isinstance(value, bool) else _bad(M.text('value.not_rate'))
        if type_ == "bool":
            return value if isinstance(value, bool) else _bad(M.text('value.not_bool'))
        if field in schema.any_code and value.__class__ is str and value.strip():
            return value  # an open list: the rules read a code they do not list as 其余
        return parse_code(value, field, path, problems, schema.enum_codes.get(field, set()))
    except ValueError as exc:
        problems.add(path, M.text('case.bad_extension', label=label, field=field, exc=exc))
        return None


def _bad(message: str) -> Any:
    raise ValueError(message)


# ── the case ──────────────────────────────────────────────────────────────────────────────────

_NO_NAMES: frozenset = frozenset()
PERSON_CODES = tuple((key, f"person.{key}") for key in ("insutype", "psn_type", "gend"))
FEE_FIELDS = tuple((key, f"encounter.fees.{key}", C.LABELS[f"fees.{key}"]) for key in C.FEE_CLASSES)


def parse_person(raw: Any, schema: Schema, problems: Problems) -> Person:
    person = Person()
    if raw is None:
        problems.add("person", M.text('case.person_missing'))
        return person
    if not isinstance(raw, dict):
        problems.add("person", M.text('case.person_not_object', got=_json_kind(raw)))
        return person
    check_keys(raw, schema.person_keys, "person", problems, schema.person_key_set)
    if "psn_no" in raw and not isinstance(raw["psn_no"], str):
        problems.add("person.psn_no", M.text('case.psn_no_not_text', got=_json_kind(raw['psn_no'])))
    if "insutype" not in raw:
        problems.add("person.insutype", M.text('case.insutype_missing'))
    for key, field in PERSON_CODES:
        if key in raw:
            code = parse_code(raw[key], field, field, problems)
            if code is not None:
                person.values[field] = code
    person.insutype = person.values.get("person.insutype")
    if "brdy" in raw:
        try:
            person.values["person.brdy"] = parse_date(raw["brdy"])
        except ValueError as exc:
            problems.add("person.brdy", M.text('case.bad_brdy', exc=exc))
    person.flags = parse_names(raw.get("flags"), schema.flags["person.flags"], "person.flags", "人员标志", problems)
    person.chronic = _parse_chronic(raw.get("chronic"), schema, problems)
    for key, field in schema.person_extensions:
        if key in raw:
            person.values[field] = parse_extension(raw[key], schema.extensions[field], field, field, schema, problems)
    return person


def _parse_chronic(raw: Any, schema: Schema, problems: Problems) -> frozenset:
    if raw is None:
        return _NO_NAMES
    if schema.chronic_open:
        return _open_names(raw, problems)
    if raw and not schema.chronic and isinstance(raw, list):
        problems.add("person.chronic", M.text('case.chronic_not_declared', listed='、'.join(str(x) for x in raw)))
        return frozenset()
    return parse_names(raw, schema.chronic, "person.chronic", "门诊慢性病病种", problems)


def parse_encounter(raw: Any, index: int, schema: Schema, problems: Problems) -> Encounter:
    enc = Encounter(index)
    if not isinstance(raw, dict):
        problems.add(enc.path, M.text('case.encounter_not_object', got=_json_kind(raw)))
        return enc
    if not raw.keys() <= schema.encounter_key_set:  # the path is built only for a message
        check_keys(raw, schema.encounter_keys, enc.path, problems)
    if not ("mdtrt_id" in raw and "med_type" in raw and "setl_time" in raw):
        for key in ("mdtrt_id", "med_type", "setl_time"):
            if key not in raw:
                problems.add(f"{enc.path}.{key}", M.text('case.encounter_field_missing', key=key, label=_label(key)))
    mdtrt_id = raw.get("mdtrt_id")
    if mdtrt_id is not None and not (isinstance(mdtrt_id, str) and mdtrt_id):
        problems.add(f"{enc.path}.mdtrt_id", M.text('case.mdtrt_id_not_text', got=_json_kind(mdtrt_id)))
    else:
        enc.mdtrt_id = mdtrt_id
    if "setl_time" in raw:
        try:
            enc.date = parse_setl_time(raw["setl_time"])
            enc.values["encounter.setl_time"] = enc.date
        except ValueError as exc:
            problems.add(f"{enc.path}.setl_time", M.text('case.bad_setl_time', exc=exc))
    _encounter_codes(raw, enc, problems)
    _fees(raw, enc, problems)
    flags = raw.get("flags")
    if flags is not None and flags != []:
        enc.flags = parse_names(flags, schema.flags["encounter.flags"], f"{enc.path}.flags", "就诊标志", problems)
    for key, field in schema.encounter_extensions:
        if key in raw:
            enc.values[field] = parse_extension(raw[key], schema.extensions[field], field, f"{enc.path}.{key}", schema,
                                                problems)
    return enc


def _encounter_codes(raw: dict, enc: Encounter, problems: Problems) -> None:
    if "med_type" in raw:
        code = _encounter_code(raw["med_type"], "med_type", C.MED_TYPE, enc, problems)
        if code is not None:
            enc.values["encounter.med_type"] = code
    hosp = None
    if "hosp_lv" in raw:
        value = raw["hosp_lv"]
        if isinstance(value, str) and value in C.HOSP_LV_TO_DEDC:
            hosp = C.HOSP_LV_TO_DEDC[value]
        else:
            problems.add(f"{enc.path}.hosp_lv", M.text('case.unknown_hosp_lv', value=value))
    if "dedc_hosp_lv" in raw:  # the deductible level itself wins over the level it would be derived from
        code = _encounter_code(raw["dedc_hosp_lv"], "dedc_hosp_lv", C.DEDC_HOSP_LV, enc, problems)
        if code is not None:
            enc.values["encounter.dedc_hosp_lv"] = code
    elif hosp is not None:
        enc.values["encounter.dedc_hosp_lv"] = hosp


def _encounter_code(value: Any, key: str, table: dict, enc: Encounter, problems: Problems) -> Optional[str]:
    if value.__class__ is str and value in table:
        return value  # valid: no path to build
    return parse_code(value, f"encounter.{key}", f"{enc.path}.{key}", problems)


def _fees(raw: dict, enc: Encounter, problems: Problems) -> None:
    fees = raw.get("fees", {})
    if not isinstance(fees, dict):
        problems.add(f"{enc.path}.fees", M.text('case.fees_not_object', got=_json_kind(fees)))
        fees = {}
    for key in fees:
        if key not in C.FEE_CLASSES:
            problems.add(f"{enc.path}.fees.{key}", M.text('case.unknown_fee_class', key=key))
    values = enc.values
    for key, field, label in FEE_FIELDS:  # a missing class means 0
        try:
            values[field] = yuan_to_fen(fees.get(key, 0))
        except ValueError as exc:
            problems.add(f"{enc.path}.fees.{key}", M.text('case.bad_amount', label=label, exc=exc))
            values[field] = 0  # the case is refused anyway
    try:
        values["encounter.overlmt_selfpay"] = yuan_to_fen(raw.get("overlmt_selfpay", 0))
    except ValueError as exc:
        problems.add(f"{enc.path}.overlmt_selfpay", M.text('case.bad_overlmt_selfpay', exc=exc))
        values["encounter.overlmt_selfpay"] = 0


def parse_encounters(raw: Any, schema: Schema, problems: Problems) -> list[Encounter]:
    if raw is None:
        problems.add("encounters", M.text('case.encounters_missing'))
        return []
    if not isinstance(raw, list) or not raw:
        problems.add("encounters", M.text('case.encounters_empty'))
        return []
    encounters = [parse_encounter(item, i, schema, problems) for i, item in enumerate(raw)]
    seen: dict[str, int] = {}
    previous = None
    for enc in encounters:
        if enc.mdtrt_id is not None:
            if enc.mdtrt_id in seen:
                problems.add(f"{enc.path}.mdtrt_id", M.text('case.duplicate_mdtrt_id', mdtrt_id=enc.mdtrt_id, item=seen[enc.mdtrt_id]))
            seen.setdefault(enc.mdtrt_id, enc.index)
        if enc.date is not None:
            if previous is not None and enc.date < previous:
                problems.add(f"{enc.path}.setl_time", M.text('case.encounters_out_of_order'))
            previous = enc.date
    return encounters


def parse_cuminfo(raw: Any, schema: Schema, problems: Problems) -> dict[str, Any]:
    """Earlier totals of the person's year, by the cuminfo keys the regulations name."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add("cuminfo", M.text('case.cuminfo_not_object', got=_json_kind(raw)))
        return {}
    accepted = sorted(schema.cuminfo)
    values = {}
    for key, value in raw.items():
        if key not in schema.cuminfo:
            problems.add(f"cuminfo.{key}", M.text('case.unknown_cuminfo_key', key=key, value='、'.join(accepted) or '（无）'))
            continue
        type_ = schema.cuminfo[key]
        try:
            if type_ == "money":
                values[key] = yuan_to_fen(value)
            elif type_ == "count":
                values[key] = parse_count(value)
            elif type_ == "bool":
                values[key] = value if isinstance(value, bool) else _bad(M.text('value.not_bool'))
            elif type_ == "date":  # a date counter's last date (e.g. the last discharge), yyyy-MM-dd
                values[key] = parse_date(value)
            else:
                values[key] = _bad(M.text('case.cuminfo_type_not_carried', type_=type_))
        except ValueError as exc:
            problems.add(f"cuminfo.{key}", M.text('case.bad_cuminfo_value', key=key, exc=exc))
    return values


def find_region(given: Any, overridden: bool, loaded: Any, names: dict, problems: "Problems",
                rules: str = "规定") -> Optional[str]:
    """The loaded region a case names (code, or city name with or without 市), or None once the problem is
    reported. ``rules`` says what was loaded (规定, 缴费规定) so the message lists the right regions."""
    where = "--region" if overridden else "region"
    if isinstance(given, str) and given in loaded and given == given.strip():
        return given  # the common case: a loaded region's own code
    listed = "、".join(f"{code} {C.region_name(code, names)}" for code in sorted(loaded)) or "（无）"
    if given is None:
        problems.add(where, M.text('case.region_missing', rules=rules, listed=listed))
        return None
    if not isinstance(given, str):
        problems.add(where, M.text('case.region_not_text', given=given, rules=rules, listed=listed))
        return None
    code = C.region_code(given.strip(), names)
    if code is None or code not in loaded:
        what = "未知的地区" if code is None else f"没有载入{C.region_name(code, names)}的{rules}"
        problems.add(where, M.text('case.region_unknown', what=what, given=given, rules=rules, listed=listed))
        return None
    return code

"""From a case's validated values to one IR's input list: one reader per input, built once per regulation,
and one generated function that reads them all (``make_input_reader``).

The closure readers are the definition: an absent required value raises ``Absent``, a contract code the
regulation's vocabulary lacks raises ``NotCovered`` (YR05), an absent optional value is the ``missing``
sentinel. The generated function only inlines the plain cases; whenever a value is absent or not covered
it raises KeyError and the caller reads the encounter with the closures, which then decide.
"""

from __future__ import annotations

from typing import Any, Callable

from . import messages as M
from .ir import IRError
from .values import UNLISTED, Sentinel, full_years

Reader = Callable[[Any, Any], Any]  # (Person, Encounter) -> value


class Absent(Exception):
    """A required input is not in the case."""

    def __init__(self, field: str, input_name: str) -> None:
        super().__init__(field)
        self.field = field
        self.input_name = input_name


class NotCovered(Exception):
    """A valid contract code that the regulation's vocabulary has no member for (YR05)."""

    def __init__(self, field: str, code: str, vocab: str) -> None:
        super().__init__(field)
        self.field = field
        self.code = code
        self.vocab = vocab


def make_readers(program: Any, contribution: bool = False) -> list[Reader]:
    """One reader per IR input, in slot order. Built once per regulation.

    ``contribution``: the readers of a contribution case (spec/settlement-io.md section 2), which is both
    the person and the encounter (``contribution.*`` fields sit in its values) and carries only what its
    person needs: every absent input reads as the missing sentinel, and only an output that needs it
    makes the case unusable (contribute.py)."""
    return [_reader(spec, program, contribution) for spec in program.inputs]


def _reader(spec: Any, program: Any, contribution: bool = False) -> Reader:
    field, name = spec.field or "", spec.name
    scope = field.split(".", 1)[0]
    if scope not in ("person", "encounter") and not (contribution and scope == "contribution"):
        raise IRError(M.text('ir.input_field_scope', name=name, field=field))
    absent = _absent(spec, contribution)
    if field in ("person.flags", "encounter.flags"):
        if scope == "person":
            return lambda p, e: name in p.flags
        return lambda p, e: name in e.flags
    if field == "person.chronic" and not contribution:  # a contribution case has no disease list: absent
        return lambda p, e: name in p.chronic
    if field == "person.age":
        def age(p, e):
            brdy = p.values.get("person.brdy")
            return absent("person.brdy") if brdy is None else full_years(brdy, e.date)
        return age
    if isinstance(spec.type, dict):
        return _enum_reader(spec, program, scope, absent, contribution)
    if scope == "person":
        return lambda p, e: p.values[field] if field in p.values else absent(field)
    return lambda p, e: e.values[field] if field in e.values else absent(field)


def _absent(spec: Any, optional: bool = False) -> Callable[[str], Any]:
    missing = Sentinel("missing", spec.name, None, field=spec.field)
    optional = optional or spec.optional

    def absent(field: str) -> Any:
        if optional:
            return missing if field == spec.field else Sentinel("missing", spec.name, None, field=field)
        raise Absent(field, spec.name)
    absent.missing = missing  # what an optional input reads as when absent (the generated reader inlines it)
    return absent


def _enum_reader(spec: Any, program: Any, scope: str, absent: Callable, contribution: bool = False) -> Reader:
    field = spec.field
    vocab = program.vocabs[spec.type["enum"]]
    members = vocab.code_to_member
    # an implicit input nobody declared is not a reason to refuse a code, except (in settlement) the 险种 itself
    strict = not spec.implicit or (field == "person.insutype" and not contribution)

    def read(p, e):
        values = p.values if scope == "person" else e.values
        code = values.get(field)
        if code is None:
            return absent(field)
        member = members.get(code)
        if member is None:
            if vocab.unlisted:
                return UNLISTED
            if strict:
                raise NotCovered(field, code, vocab.name)
            return Sentinel("missing", spec.name, None, field=field)
        return member
    return read


def read_inputs(readers: list[Reader], person: Any, enc: Any) -> list:
    return [read(person, enc) for read in readers]


def make_input_reader(program: Any, readers: list[Reader]) -> Callable[[Any, Any], list]:
    """``read_inputs`` for ``program`` as one generated list display: flags, chronic diseases, values the
    case must give and covered codes are read inline; the rest (age, optional and implicit inputs when
    absent) through their closure. Names and fields enter the source only as ``repr()`` literals."""
    namespace: dict = {"__builtins__": {}}
    items = []
    for k, (spec, read) in enumerate(zip(program.inputs, readers)):
        namespace[f"R{k}"] = read
        items.append(_inline_read(spec, program, k, namespace))
    source = "def read(p, e):\n    pv = p.values\n    ev = e.values\n    return [" + ", ".join(items) + "]\n"
    exec(compile(source, f"<yibao inputs: {len(items)}>", "exec"), namespace)
    fast = namespace["read"]

    def read_all(person: Any, enc: Any) -> list:
        try:
            return fast(person, enc)
        except KeyError:  # something absent or not covered: the closures say what
            return [read(person, enc) for read in readers]
    read_all.inline = fast  # without the fallback, for a caller that has its own (Engine's plain lane)
    return read_all


def _inline_read(spec: Any, program: Any, k: int, namespace: dict) -> str:
    field = spec.field or ""
    values = "pv" if field.startswith("person.") else "ev"
    if field in ("person.flags", "encounter.flags"):
        return f"{spec.name!r} in {field.split('.')[0][0]}.flags"
    if field == "person.chronic":
        return f"{spec.name!r} in p.chronic"
    if field == "person.age":
        return f"R{k}(p, e)"
    if spec.optional:  # absent, it reads as the closure's missing sentinel would
        namespace[f"A{k}"] = _absent(spec).missing
    if isinstance(spec.type, dict):
        vocab = program.vocabs[spec.type["enum"]]
        namespace[f"M{k}"] = vocab.code_to_member
        if spec.optional:  # absent: missing; not covered or unlisted: the closure (NotCovered, 其余, or missing)
            return (f"(M{k}[{values}[{field!r}]] if {values}.get({field!r}) in M{k} else A{k} if {field!r} not in {values} "
                    f"else R{k}(p, e))")
        if spec.implicit or vocab.unlisted:  # when absent, not covered or unlisted: the closure
            return f"(M{k}[{values}[{field!r}]] if {values}.get({field!r}) in M{k} else R{k}(p, e))"
        return f"M{k}[{values}[{field!r}]]"
    if spec.optional:
        return f"({values}[{field!r}] if {field!r} in {values} else A{k})"
    return f"{values}[{field!r}]"

"""Checking a parsed document, value by value, with problems named by their JSON path
(`sections[2].subsections[0].code: ...`). A spec maps a JSON key to (kind, required)."""

from datetime import date
from functools import cache

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

MAX_REPORTED_PROBLEMS = 100

# The kinds of value a spec names. A kind may also be a domain check, value -> message or None
# (the GOSO import's GRADE): the kit itself knows no domain.
CODE, TEXT, OPTIONAL_TEXT, OPTIONAL_INTEGER, DATE, BOOLEAN, AMENDMENTS = (
    "code", "text", "optional text", "optional integer", "date", "boolean", "amendments",
)


def type_name(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, (int, float)):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    return _("an object")


class Problems(list):
    """Problems found so far, as "json.path: reason"; stops collecting after MAX_REPORTED_PROBLEMS."""

    def add(self, path: str, message: str) -> None:
        if len(self) < MAX_REPORTED_PROBLEMS:
            self.append(f"{path}: {message}")


def json_path(path: str, key: str) -> str:
    return key if path == "$" else f"{path}.{key}"


@cache
def max_length_of(model, name) -> int | None:
    try:
        return getattr(model._meta.get_field(name), "max_length", None)
    except FieldDoesNotExist:  # a key that is no field of its own (a subject's code, say) has no limit here
        return None


def _date(value, path, problems):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(path, _('"%(value)s" is not a date (YYYY-MM-DD)') % {"value": value})
    return None


def text_error(value: str) -> str | None:
    """What PostgreSQL would refuse in a text: NUL characters and lone surrogates (from \\ud800 escapes)."""
    if "\x00" in value:
        return _("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("contains an invalid Unicode character (a lone surrogate)")
    return None


def read_field(value, kind: str, path: str, problems: Problems, *, max_length: int | None = None):
    """The model value of one JSON value of `kind`, or None after reporting why it is wrong. Its JSON
    type (and an object's keys) the file's schema has checked already (importkit/schema.py)."""
    if kind in (CODE, TEXT, OPTIONAL_TEXT):
        if value is None:  # only an optional text may be null
            return ""
        if error := text_error(value):
            problems.add(path, error)
            return None
        if kind != OPTIONAL_TEXT and not value.strip():
            problems.add(path, _("must not be empty"))
            return None
        if max_length and len(value) > max_length:
            problems.add(path, _("is %(length)s characters long; at most %(max)s are allowed") % {
                "length": len(value), "max": max_length,
            })
            return None
        return value
    if callable(kind):
        if error := kind(value):
            problems.add(path, error)
            return None
        return value
    if kind == OPTIONAL_INTEGER:
        if isinstance(value, float):  # JSON Schema's "integer" takes 1.0; a count is written 1
            problems.add(path, _("expected %(expected)s, got %(type)s") % {
                "expected": _("a whole number (0 or more) or null"), "type": type_name(value),
            })
        return value
    if kind == DATE:
        return _date(value, path, problems)
    if kind == AMENDMENTS:
        for index, amendment in enumerate(value or []):
            read_field(amendment["order_number"], TEXT, f"{path}[{index}].order_number", problems)
            _date(amendment["date"], f"{path}[{index}].date", problems)
        return value or []
    return value  # BOOLEAN: the schema's type is the whole rule


def read_fields(obj: dict, path: str, spec: dict, model, problems: Problems) -> dict:
    """The model values of the keys present in `obj` (its keys already checked by the schema)."""
    return {
        key: read_field(obj[key], kind, f"{path}.{key}", problems, max_length=max_length_of(model, key))
        for key, (kind, _required) in spec.items()
        if key in obj
    }


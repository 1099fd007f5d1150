"""Checking a parsed document, value by value, with problems named by their JSON path
(`sections[2].subsections[0].code: ...`). A spec maps a JSON key to (kind, required)."""

from datetime import date
from functools import cache

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from curriculum.codes import grade_error

MAX_REPORTED_PROBLEMS = 100

CODE, TEXT, OPTIONAL_TEXT, GRADE, OPTIONAL_INTEGER, DATE, BOOLEAN, AMENDMENTS = (
    "code", "text", "optional text", "grade", "optional integer", "date", "boolean", "amendments",
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


def check_keys(value, path: str, spec: dict, problems: Problems, *, extra=()) -> bool:
    """`value` is an object with the required keys of `spec` and no unknown ones."""
    if not isinstance(value, dict):
        problems.add(path, _("expected an object, got %(type)s") % {"type": type_name(value)})
        return False
    known = set(spec) | set(extra)
    for key in value:
        if key not in known:
            problems.add(json_path(path, key), _("unknown key (expected one of: %(keys)s)") % {"keys": ", ".join(sorted(known))})
    for key, (_kind, required) in spec.items():
        if required and key not in value:
            problems.add(json_path(path, key), _("is missing"))
    return True


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
    """The model value of one JSON value of `kind`, or None after reporting why it is wrong."""
    def wrong_type(expected):
        return _("expected %(expected)s, got %(type)s") % {"expected": expected, "type": type_name(value)}

    if kind in (CODE, TEXT, OPTIONAL_TEXT):
        if value is None and kind == OPTIONAL_TEXT:
            return ""
        if not isinstance(value, str):
            problems.add(path, wrong_type(_("text")))
            return None
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
    if kind == GRADE:
        if error := grade_error(value):
            problems.add(path, error)
            return None
        return value
    if kind == OPTIONAL_INTEGER:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.add(path, wrong_type(_("a whole number (0 or more) or null")))
        return value
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            problems.add(path, wrong_type(_("true or false")))
            return None
        return value
    if kind == DATE:
        return _date(value, path, problems)
    if kind == AMENDMENTS:
        if value is None:
            return []
        if not isinstance(value, list):
            problems.add(path, wrong_type(_("a list")))
            return None
        spec = {"order_number": (TEXT, True), "date": (DATE, True)}
        for index, amendment in enumerate(value):
            item_path = f"{path}[{index}]"
            if check_keys(amendment, item_path, spec, problems):
                read_field(amendment.get("order_number"), TEXT, f"{item_path}.order_number", problems)
                _date(amendment.get("date"), f"{item_path}.date", problems)
        return value
    raise ValueError(kind)


def read_fields(obj: dict, path: str, spec: dict, model, problems: Problems) -> dict:
    """The model values of the keys present in `obj` (already checked by check_keys)."""
    return {
        key: read_field(obj[key], kind, f"{path}.{key}", problems, max_length=max_length_of(model, key))
        for key, (kind, _required) in spec.items()
        if key in obj
    }


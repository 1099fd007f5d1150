"""A file's structure as JSON Schema, generated from the same specs (JSON key -> (kind, required))
that read the values, and checked by jsonschema: objects, their required and unknown keys, lists,
and the JSON type of each value. Problems are named by JSON path, in the kit's translated words.

What a type cannot say (a code's grammar, a grade's range, a date, text PostgreSQL refuses) stays
with the value checks of importkit/fields.py and the importers, which run once the structure holds.
"""

import jsonschema
from django.utils.translation import gettext as _

from importkit.fields import AMENDMENTS, BOOLEAN, CODE, DATE, OPTIONAL_INTEGER, OPTIONAL_TEXT, TEXT, Problems, type_name

# "expected" is our own annotation (jsonschema ignores unknown keywords): the words of the message.
EXPECTED = {
    "text": lambda: _("text"),
    "list": lambda: _("a list"),
    "object": lambda: _("an object"),
    "boolean": lambda: _("true or false"),
    "count": lambda: _("a whole number (0 or more) or null"),
}
TEXT_SCHEMA = {"type": "string", "expected": "text"}


def list_of(items: dict, *, nullable=False) -> dict:
    return {"type": ["array", "null"] if nullable else "array", "items": items, "expected": "list"}


def object_schema(spec: dict, children: dict | None = None) -> dict:
    """The schema of an object whose keys are `spec`'s (kind, required) and `children`'s (key ->
    schema, for nested objects and lists); any other key is unknown."""
    properties = {key: kind_schema(kind) for key, (kind, _required) in spec.items()}
    properties.update(children or {})
    return {
        "type": "object", "expected": "object", "properties": properties, "additionalProperties": False,
        "required": [key for key, (_kind, required) in spec.items() if required],
    }


def kind_schema(kind) -> dict:
    if kind in (CODE, TEXT):
        return TEXT_SCHEMA
    if kind == OPTIONAL_TEXT:
        return {**TEXT_SCHEMA, "type": ["string", "null"]}
    if kind == OPTIONAL_INTEGER:
        return {"type": ["integer", "null"], "minimum": 0, "expected": "count"}
    if kind == BOOLEAN:
        return {"type": "boolean", "expected": "boolean"}
    if kind == AMENDMENTS:
        return list_of(object_schema({"order_number": (TEXT, True), "date": (DATE, True)}), nullable=True)
    return {}  # grades, dates, numbers, languages...: checked with their own messages by the value checks


def _json_path(parts) -> str:
    path = "$"
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else (part if path == "$" else f"{path}.{part}")
    return path


def _join(path: str, key: str) -> str:
    return key if path == "$" else f"{path}.{key}"


def schema_problems(data, schema: dict, problems: Problems) -> None:
    """Add a problem per structural error of `data` against `schema`, in document order."""
    errors = jsonschema.Draft202012Validator(schema).iter_errors(data)
    reported = set()  # jsonschema reports each missing (or unknown) key with the whole object
    for error in sorted(errors, key=lambda error: [(0, part, "") if isinstance(part, int) else (1, 0, part) for part in error.absolute_path]):
        path = _json_path(error.absolute_path)
        if error.validator == "required":
            for key in error.validator_value:
                if key not in error.instance and (_join(path, key), "missing") not in reported:
                    reported.add((_join(path, key), "missing"))
                    problems.add(_join(path, key), _("is missing"))
        elif error.validator == "additionalProperties":
            known = sorted(error.schema["properties"])
            for key in error.instance:
                if key not in known and (_join(path, key), "unknown") not in reported:
                    reported.add((_join(path, key), "unknown"))
                    problems.add(_join(path, key), _("unknown key (expected one of: %(keys)s)") % {"keys": ", ".join(known)})
        elif error.validator in ("type", "minimum") and error.schema.get("expected") in EXPECTED:
            problems.add(path, _("expected %(expected)s, got %(type)s") % {
                "expected": EXPECTED[error.schema["expected"]](), "type": type_name(error.instance),
            })
        else:  # a keyword the schemas above do not use
            problems.add(path, _("does not match the file format"))

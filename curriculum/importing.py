"""Import of GOSO frameworks from JSON files (the format of shared/data/README.md).

One file holds one subject, one framework and its sections, subsections and learning outcomes. The
import upserts by code, is atomic per file (any error leaves the database as it was) and idempotent
(a second run of the same file writes nothing and says so). Every problem is reported with the file,
the JSON path and the reason, e.g. `sections[2].subsections[0].code: "2.1" does not start with its
section code "3"`; codes follow the shared rules of curriculum/codes.py and are never silently fixed.

Beyond the README's keys a file may give (all optional): framework valid_from / valid_to; section and
subsection description_ru / description_kz / display_order; outcome description_ru / description_kz /
cognitive_level / is_sample / display_order; a top-level "notes". An optional key that a file leaves
out keeps the database's value; null in an optional text means empty; display_order defaults to the
position in the file. Unknown keys are errors (a misspelt "title_kk" is never silently dropped). The
subject may be given by its code alone when it already exists.

Writes are set-based (bulk_create / bulk_update in batches) because COPY is refused under row-level
security; the whole import runs in the super-admin context, the only one that writes GOSO.

Files are read whole: a file above GOSO_IMPORT_MAX_FILE_BYTES (20 MB by default, some 80,000
outcomes) is refused before it is read, so a huge or hostile file cannot exhaust memory.
"""

import codecs
import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from curriculum.codes import grade_error, outcome_code_error, section_code_error, subsection_code_error
from curriculum.models import (
    MAX_GRADE, MIN_GRADE, SUBJECT_CODE, Framework, LearningOutcome, Section, Subject, Subsection,
)
from tenants.context import super_admin_context
from database_errors import user_errors_from_database

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
BATCH_SIZE = 1000
MAX_REPORTED_PROBLEMS = 100


# ---------------------------------------------------------------------------------------------
# Reading files


class ImportFileError(Exception):
    """A file that cannot be imported. `errors` holds every problem found as "json.path: reason"."""

    def __init__(self, source, errors):
        self.source = str(source)
        self.errors = list(errors)
        super().__init__("\n".join(self.messages))

    @property
    def messages(self) -> list[str]:
        return [f"{self.source}: {error}" for error in self.errors]


def max_file_bytes() -> int:
    return getattr(settings, "GOSO_IMPORT_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)


def _encoding_of(raw: bytes) -> str:
    """UTF-8 (with or without the BOM that Windows tools write), or UTF-16/32 by BOM or by the NUL
    bytes that UTF-16 puts beside the ASCII characters JSON starts with."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if len(raw) >= 2 and raw[0] == 0 and raw[1] != 0:
        return "utf-16-be"
    if len(raw) >= 2 and raw[0] != 0 and raw[1] == 0:
        return "utf-16-le"
    return "utf-8"


def read_json_file(path, *, max_bytes: int | None = None):
    """The parsed JSON of a file, or ImportFileError naming what is wrong with it."""
    path = Path(path)
    limit = max_bytes or max_file_bytes()
    try:
        size = path.stat().st_size
        if size > limit:
            raise ImportFileError(path, [_(
                "the file is %(size).1f MB; files up to %(limit).1f MB are accepted "
                "(split it, or raise the GOSO_IMPORT_MAX_FILE_BYTES setting)"
            ) % {"size": size / 1024 / 1024, "limit": limit / 1024 / 1024}])
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(path, [_("cannot read the file: %(reason)s") % {"reason": error.strerror or error}]) from error
    encoding = _encoding_of(raw)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise ImportFileError(path, [_(
            "the file is not valid %(encoding)s text (byte 0x%(byte)02x at offset %(offset)s); save it as UTF-8"
        ) % {"encoding": encoding.upper(), "byte": raw[error.start], "offset": error.start}]) from error
    if not text.strip():
        raise ImportFileError(path, [_("the file is empty")])
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(path, [_("invalid JSON at line %(line)s, column %(column)s: %(reason)s") % {
            "line": error.lineno, "column": error.colno, "reason": error.msg,
        }]) from error


# ---------------------------------------------------------------------------------------------
# Validating the document (no database access)

CODE, TEXT, OPTIONAL_TEXT, GRADE, OPTIONAL_INTEGER, DATE, BOOLEAN, AMENDMENTS = (
    "code", "text", "optional text", "grade", "optional integer", "date", "boolean", "amendments",
)

# json key -> (kind, required). Keys equal the model's field names. Optional keys that a file leaves
# out keep the database's value; null in an optional text means empty.
SUBJECT_FIELDS = {
    "code": (CODE, True), "name_ru": (TEXT, False), "name_kz": (OPTIONAL_TEXT, False),
    "grade_from": (GRADE, False), "grade_to": (GRADE, False),
}
FRAMEWORK_FIELDS = {
    "code": (CODE, True), "title_ru": (TEXT, True), "title_kz": (OPTIONAL_TEXT, False),
    "document_type": (OPTIONAL_TEXT, False), "order_number": (OPTIONAL_TEXT, False), "order_date": (DATE, False),
    "ministry_ru": (OPTIONAL_TEXT, False), "ministry_kz": (OPTIONAL_TEXT, False),
    "appendix_number": (OPTIONAL_INTEGER, False), "amendments": (AMENDMENTS, False),
    "valid_from": (DATE, False), "valid_to": (DATE, False),
}
SECTION_FIELDS = {
    "code": (CODE, True), "name_ru": (TEXT, True), "name_kz": (OPTIONAL_TEXT, False),
    "description_ru": (OPTIONAL_TEXT, False), "description_kz": (OPTIONAL_TEXT, False),
    "display_order": (OPTIONAL_INTEGER, False),
}
SUBSECTION_FIELDS = SECTION_FIELDS
OUTCOME_FIELDS = {
    "code": (CODE, True), "grade": (GRADE, True), "title_ru": (TEXT, True), "title_kz": (OPTIONAL_TEXT, False),
    "description_ru": (OPTIONAL_TEXT, False), "description_kz": (OPTIONAL_TEXT, False),
    "cognitive_level": (OPTIONAL_TEXT, False), "is_sample": (BOOLEAN, False), "display_order": (OPTIONAL_INTEGER, False),
}
TOP_LEVEL_KEYS = {
    "subject": (None, True), "framework": (None, True), "sections": (None, True), "outcomes": (None, False),
    "notes": (None, False),
}
SUBJECT_CODE_RE = re.compile(SUBJECT_CODE)


def _type_name(value) -> str:
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
        problems.add(path, _("expected an object, got %(type)s") % {"type": _type_name(value)})
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
        return _("expected %(expected)s, got %(type)s") % {"expected": expected, "type": _type_name(value)}

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
        if error := grade_error(value, lowest=MIN_GRADE, highest=MAX_GRADE):
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


@dataclass
class Row:
    """One section, subsection or outcome of a file: its JSON path, code and model values."""

    path: str
    code: str
    values: dict
    parent_code: str | None = None  # the section of a subsection, the subsection of an outcome


@dataclass
class GosoDocument:
    subject: dict
    framework: dict
    sections: list[Row]
    subsections: list[Row]
    outcomes: list[Row]

    @property
    def size(self) -> int:
        return len(self.sections) + len(self.subsections) + len(self.outcomes)


def _check_unique(rows: list[Row], problems: Problems) -> None:
    first_seen = {}
    for row in rows:
        if row.code in first_seen:
            problems.add(f"{row.path}.code", _('duplicate code "%(code)s" (already at %(first)s)') % {
                "code": row.code, "first": first_seen[row.code],
            })
        else:
            first_seen[row.code] = row.path


def parse_goso_document(data, *, problems: Problems) -> GosoDocument | None:
    """Check a parsed file against the format and the code rules; None when a part is unusable."""
    if not check_keys(data, "$", TOP_LEVEL_KEYS, problems):
        return None
    subject = framework = None
    if "subject" in data and check_keys(data["subject"], "subject", SUBJECT_FIELDS, problems):
        subject = read_fields(data["subject"], "subject", SUBJECT_FIELDS, Subject, problems)
        code = subject.get("code")
        if code is not None and not SUBJECT_CODE_RE.match(code):
            problems.add("subject.code", _(
                '"%(code)s" is not a subject code (lower-case latin letters, digits and _, such as "history_kz")'
            ) % {"code": code})
        grades = (subject.get("grade_from"), subject.get("grade_to"))
        if None not in grades and grades[0] > grades[1]:
            problems.add("subject.grade_to", _("grade_to %(to)s is below grade_from %(from)s") % {
                "to": grades[1], "from": grades[0],
            })
    if "framework" in data and check_keys(data["framework"], "framework", FRAMEWORK_FIELDS, problems):
        framework = read_fields(data["framework"], "framework", FRAMEWORK_FIELDS, Framework, problems)
        valid = (framework.get("valid_from"), framework.get("valid_to"))
        if None not in valid and valid[0] > valid[1]:
            problems.add("framework.valid_to", _("valid_to is before valid_from"))

    sections, subsections = _parse_sections(data.get("sections"), problems)
    outcomes = _parse_outcomes(data.get("outcomes", []), {row.code for row in subsections}, problems)
    if subject is None or framework is None or problems:
        return None
    return GosoDocument(subject, framework, sections, subsections, outcomes)


def _with_display_order(values: dict, index: int) -> dict:
    """Rows are displayed in file order unless the file gives display_order itself."""
    if values.get("display_order") is None:
        values["display_order"] = index + 1
    return values


def _list(value, path, problems) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, _("expected a list, got %(type)s") % {"type": _type_name(value)})
        return []
    return value


def _parse_sections(value, problems) -> tuple[list[Row], list[Row]]:
    sections, subsections = [], []
    for index, item in enumerate(_list(value, "sections", problems)):
        path = f"sections[{index}]"
        if not check_keys(item, path, SECTION_FIELDS, problems, extra=["subsections"]):
            continue
        values = read_fields(item, path, SECTION_FIELDS, Section, problems)
        code = values.pop("code", None)
        if code is None:
            continue
        if error := section_code_error(code):
            problems.add(f"{path}.code", error)
            continue
        sections.append(Row(path, code, _with_display_order(values, index)))
        for sub_index, sub_item in enumerate(_list(item.get("subsections"), f"{path}.subsections", problems)):
            sub_path = f"{path}.subsections[{sub_index}]"
            if not check_keys(sub_item, sub_path, SUBSECTION_FIELDS, problems):
                continue
            sub_values = read_fields(sub_item, sub_path, SUBSECTION_FIELDS, Subsection, problems)
            sub_code = sub_values.pop("code", None)
            if sub_code is None:
                continue
            if error := subsection_code_error(sub_code, section_code=code):
                problems.add(f"{sub_path}.code", error)
                continue
            subsections.append(Row(sub_path, sub_code, _with_display_order(sub_values, sub_index), parent_code=code))
    _check_unique(sections, problems)
    _check_unique(subsections, problems)
    return sections, subsections


def _parse_outcomes(value, subsection_codes: set[str], problems) -> list[Row]:
    outcomes = []
    for index, item in enumerate(_list(value, "outcomes", problems)):
        path = f"outcomes[{index}]"
        if not check_keys(item, path, OUTCOME_FIELDS, problems):
            continue
        values = read_fields(item, path, OUTCOME_FIELDS, LearningOutcome, problems)
        code, grade = values.pop("code", None), values.get("grade")
        if code is None or grade is None:
            continue
        subsection_code = ".".join(code.split(".")[1:3])
        if error := outcome_code_error(code, grade=grade, subsection_code=subsection_code):
            problems.add(f"{path}.code", error)
            continue
        if subsection_code not in subsection_codes:
            problems.add(f"{path}.code", _('"%(code)s": its subsection "%(subsection)s" is not in this file') % {
                "code": code, "subsection": subsection_code,
            })
            continue
        outcomes.append(Row(path, code, _with_display_order(values, index), parent_code=subsection_code))
    _check_unique(outcomes, problems)
    return outcomes


# ---------------------------------------------------------------------------------------------
# The report


@dataclass
class Changes:
    """What an import does to one kind of row."""

    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # code -> changed fields
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)  # active in the database, absent from the file


KINDS = ("subject", "framework", "section", "subsection", "outcome")


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), per kind of row."""

    path: str
    framework_code: str = ""
    dry_run: bool = False
    deactivate_missing: bool = False
    changes: dict[str, Changes] = field(default_factory=lambda: {kind: Changes() for kind in KINDS})
    target: str = ""  # what was imported, for the summary: "framework goso_..." or "textbook ..."

    @property
    def created(self) -> int:
        return sum(len(changes.created) for changes in self.changes.values())

    @property
    def updated(self) -> int:
        return sum(len(changes.updated) for changes in self.changes.values())

    @property
    def unchanged(self) -> int:
        return sum(changes.unchanged for changes in self.changes.values())

    @property
    def missing(self) -> int:
        return sum(len(changes.missing) for changes in self.changes.values())

    @property
    def changes_anything(self) -> bool:
        return bool(self.created or self.updated or (self.missing and self.deactivate_missing))

    def plan_lines(self) -> list[str]:
        """One line per created, updated or missing row (the --dry-run plan)."""
        lines = []
        for kind, changes in self.changes.items():
            lines += [f"  + {kind} {code}" for code in changes.created]
            lines += [f"  ~ {kind} {code}: {', '.join(fields)}" for code, fields in changes.updated.items()]
            if not self.deactivate_missing:
                outcome = _("kept; --deactivate-missing deactivates it")
            else:
                outcome = _("to be deactivated") if self.dry_run else _("deactivated")
            lines += [f"  - {kind} {code}: {_('not in the file')}, {outcome}" for code in changes.missing]
        return lines

    def summary(self) -> str:
        totals = _("created %(created)s, updated %(updated)s, unchanged %(unchanged)s, missing %(missing)s") % {
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged, "missing": self.missing,
        }
        per_kind = "; ".join(
            f"{kind} +{len(c.created)} ~{len(c.updated)} ={c.unchanged} -{len(c.missing)}"
            for kind, c in self.changes.items()
        )
        if self.dry_run:
            verdict = _("dry run, nothing written")
        elif not self.changes_anything:
            verdict = _("nothing changed")
        elif self.missing and self.deactivate_missing:
            verdict = _("imported; missing rows deactivated")
        else:
            verdict = _("imported")
        target = self.target or f"{_('framework')} {self.framework_code}"
        return f"{self.path}: {target}: {totals} ({verdict}) [{per_kind}]"


# ---------------------------------------------------------------------------------------------
# Planning and writing (super-admin context)


def _changed_fields(instance, values: dict) -> list[str]:
    return [name for name, value in values.items() if getattr(instance, name) != value]


def _upsert_one(model, *, lookup: dict, values: dict, changes: Changes, code: str, dry_run: bool):
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        changes.created.append(code)
        instance = model(**lookup, **values)
        if not dry_run:
            instance.save()
        return instance
    changed = _changed_fields(instance, values)
    if not changed:
        changes.unchanged += 1
        return instance
    changes.updated[code] = changed
    for name in changed:
        setattr(instance, name, values[name])
    if not dry_run:
        instance.save(update_fields=changed + ["updated_at"])
    return instance


def _sync_rows(model, *, queryset, rows: list[Row], fixed: dict, parent_ids: dict | None, parent_field: str | None,
               changes: Changes, dry_run: bool, deactivate_missing: bool, progress) -> dict:
    """Create, update and (optionally) deactivate the rows of one kind; returns code -> id.

    `queryset`: the framework's existing rows of this kind (None for a new framework). Only the
    compared fields are loaded: re-reading 10,000 unchanged outcomes must stay cheap.
    """
    compared = {"code", "is_active", *fixed, *([parent_field] if parent_field else [])}
    compared.update(key for row in rows for key in row.values)
    only = {model._meta.get_field(name).name for name in compared}
    existing = {instance.code: instance for instance in queryset.only(*only)} if queryset is not None else {}
    to_create, to_update, changed_names = [], [], set()
    for row in rows:
        values = dict(row.values, is_active=True, **fixed)
        if parent_field:
            values[parent_field] = parent_ids.get(row.parent_code) if parent_ids else None
        instance = existing.get(row.code)
        if instance is None:
            changes.created.append(row.code)
            to_create.append(model(code=row.code, **values))
            continue
        changed = _changed_fields(instance, values)
        if not changed:
            changes.unchanged += 1
            continue
        changes.updated[row.code] = changed
        changed_names.update(changed)
        for name in changed:
            setattr(instance, name, values[name])
        to_update.append(instance)

    in_file = {row.code for row in rows}
    missing = [instance for code, instance in existing.items() if code not in in_file and instance.is_active]
    changes.missing.extend(instance.code for instance in missing)
    if dry_run:
        return {code: instance.pk for code, instance in existing.items()}

    if deactivate_missing and missing:
        for instance in missing:
            instance.is_active = False
        to_update.extend(missing)
        changed_names.add("is_active")
    if to_update:
        if any(f.name == "updated_at" for f in model._meta.fields):
            now = timezone.now()
            for instance in to_update:
                instance.updated_at = now
            changed_names.add("updated_at")
        for start in range(0, len(to_update), BATCH_SIZE):
            model.objects.bulk_update(to_update[start:start + BATCH_SIZE], sorted(changed_names))
            progress(len(to_update[:start + BATCH_SIZE]))
    for start in range(0, len(to_create), BATCH_SIZE):
        model.objects.bulk_create(to_create[start:start + BATCH_SIZE])
        progress(len(to_create[:start + BATCH_SIZE]))
    ids = {code: instance.pk for code, instance in existing.items()}
    ids.update((instance.code, instance.pk) for instance in to_create)
    return ids


def _subject_for(document: GosoDocument, changes: Changes, problems: Problems, dry_run: bool) -> Subject | None:
    values = dict(document.subject)
    code = values.pop("code")
    if not Subject.objects.filter(code=code).exists():
        absent = [key for key in ("name_ru", "grade_from", "grade_to") if key not in values]
        if absent:
            problems.add("subject", _('unknown subject "%(code)s"; give %(keys)s to create it') % {
                "code": code, "keys": ", ".join(absent),
            })
            return None
    return _upsert_one(Subject, lookup={"code": code}, values=values, changes=changes, code=code, dry_run=dry_run)


def _check_outcome_grades(document: GosoDocument, subject: Subject, problems: Problems) -> None:
    for row in document.outcomes:
        if error := grade_error(row.values["grade"], lowest=subject.grade_from, highest=subject.grade_to):
            problems.add(f"{row.path}.grade", _("%(error)s of the subject %(subject)s") % {
                "error": error, "subject": subject.code,
            })


def _import_document(document: GosoDocument, report: ImportReport, *, dry_run: bool, deactivate_missing: bool, progress):
    problems = Problems()
    changes = report.changes
    subject = _subject_for(document, changes["subject"], problems, dry_run)
    if subject is not None:
        _check_outcome_grades(document, subject, problems)
    if problems:
        raise ImportFileError(report.path, problems)

    framework_values = dict(document.framework)
    code = framework_values.pop("code")
    framework_values["subject_id"] = subject.pk
    framework = _upsert_one(
        Framework, lookup={"code": code}, values=framework_values, changes=changes["framework"], code=code, dry_run=dry_run,
    )
    if framework.pk is not None:
        # Two imports of one framework at once would race on its codes: the second waits.
        Framework.objects.select_for_update().filter(pk=framework.pk).first()

    def progress_from(offset):
        return lambda count: progress(min(offset + count, document.size), document.size) if progress else None

    options = {"dry_run": dry_run, "deactivate_missing": deactivate_missing}
    saved = framework.pk is not None  # not in a dry run of a new framework
    section_ids = _sync_rows(
        Section, queryset=Section.objects.filter(framework_id=framework.pk) if saved else None,
        rows=document.sections, fixed={"framework_id": framework.pk}, parent_ids=None, parent_field=None,
        changes=changes["section"], progress=progress_from(0), **options,
    )
    subsection_ids = _sync_rows(
        Subsection, queryset=Subsection.objects.filter(section__framework_id=framework.pk) if saved else None,
        rows=document.subsections, fixed={}, parent_ids=section_ids, parent_field="section_id",
        changes=changes["subsection"], progress=progress_from(len(document.sections)), **options,
    )
    outcomes = LearningOutcome.objects.filter(framework_id=framework.pk, deleted_at__isnull=True)
    _sync_rows(
        LearningOutcome, queryset=outcomes if saved else None,
        rows=document.outcomes, fixed={"framework_id": framework.pk}, parent_ids=subsection_ids,
        parent_field="subsection_id", changes=changes["outcome"],
        progress=progress_from(len(document.sections) + len(document.subsections)), **options,
    )
    if progress:
        progress(document.size, document.size)


def import_goso_document(data, *, source, dry_run=False, deactivate_missing=False, progress=None) -> ImportReport:
    """Import an already parsed GOSO document (see import_goso_file); `source` names it in messages."""
    problems = Problems()
    document = parse_goso_document(data, problems=problems)
    if document is None:
        raise ImportFileError(source, problems or [_("nothing to import")])
    report = ImportReport(
        path=str(source), framework_code=document.framework["code"], dry_run=dry_run, deactivate_missing=deactivate_missing,
    )
    try:
        with user_errors_from_database(), super_admin_context():
            _import_document(document, report, dry_run=dry_run, deactivate_missing=deactivate_missing, progress=progress)
    except (ValidationError, PermissionDenied) as error:
        # A rule only the database knows (or a race with another writer): rolled back, reported.
        reasons = error.messages if isinstance(error, ValidationError) else [str(error)]
        raise ImportFileError(source, reasons) from error
    return report


def import_goso_file(*, path, dry_run=False, deactivate_missing=False, progress=None) -> ImportReport:
    """Import one GOSO JSON file: upsert by code, all or nothing.

    dry_run: compute the report, write nothing. deactivate_missing: deactivate (never delete) the
    framework's sections, subsections and outcomes that the file no longer lists. progress: called
    as progress(done, total) while rows are written. Raises ImportFileError listing every problem.
    """
    return import_goso_document(
        read_json_file(path), source=path, dry_run=dry_run, deactivate_missing=deactivate_missing,
        progress=progress,
    )


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

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from curriculum.codes import (
    SUBJECT_CODE_RE, grade_error, outcome_code_error, section_code_error, subsection_code_error,
)
from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from importkit.fields import (
    AMENDMENTS, BOOLEAN, CODE, DATE, OPTIONAL_INTEGER, OPTIONAL_TEXT, TEXT, Problems, read_fields,
)
from importkit.files import ImportFileError, read_json_file  # noqa: F401 (re-exported: the import's errors)
from importkit.schema import list_of, object_schema, schema_problems
from importkit.sync import Changes, ImportReport, row_sync, rows_sync
from tenants.context import super_admin_context
from database_errors import user_errors_from_database


# ---------------------------------------------------------------------------------------------
# Parsing a GOSO document (no database access)


GRADE = grade_error  # a kind of value: the one grade rule (curriculum/codes.py)

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




# The file's structure (keys, lists, types), checked before any value.
GOSO_SCHEMA = object_schema(TOP_LEVEL_KEYS, children={
    "subject": object_schema(SUBJECT_FIELDS),
    "framework": object_schema(FRAMEWORK_FIELDS),
    "sections": list_of(object_schema(SECTION_FIELDS, children={
        "subsections": list_of(object_schema(SUBSECTION_FIELDS), nullable=True),
    }), nullable=True),
    "outcomes": list_of(object_schema(OUTCOME_FIELDS), nullable=True),
})


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


def goso_document_parse(data, *, problems: Problems) -> GosoDocument | None:
    """Check a parsed file against the format and the code rules; None when a part is unusable."""
    schema_problems(data, GOSO_SCHEMA, problems)
    if problems:  # the values of a malformed structure would only add noise
        return None
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
    framework = read_fields(data["framework"], "framework", FRAMEWORK_FIELDS, Framework, problems)
    valid = (framework.get("valid_from"), framework.get("valid_to"))
    if None not in valid and valid[0] > valid[1]:
        problems.add("framework.valid_to", _("valid_to is before valid_from"))

    sections, subsections = _parse_sections(data.get("sections"), problems)
    outcomes = _parse_outcomes(data.get("outcomes", []), {row.code for row in subsections}, problems)
    if problems:
        return None
    return GosoDocument(subject, framework, sections, subsections, outcomes)


def _with_display_order(values: dict, index: int) -> dict:
    """Rows are displayed in file order unless the file gives display_order itself."""
    if values.get("display_order") is None:
        values["display_order"] = index + 1
    return values


def _parse_sections(value, problems) -> tuple[list[Row], list[Row]]:
    sections, subsections = [], []
    for index, item in enumerate(value or []):  # a null list is an empty one
        path = f"sections[{index}]"
        values = read_fields(item, path, SECTION_FIELDS, Section, problems)
        code = values.pop("code", None)
        if code is None:
            continue
        if error := section_code_error(code):
            problems.add(f"{path}.code", error)
            continue
        sections.append(Row(path, code, _with_display_order(values, index)))
        for sub_index, sub_item in enumerate(item.get("subsections") or []):
            sub_path = f"{path}.subsections[{sub_index}]"
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
    for index, item in enumerate(value or []):
        path = f"outcomes[{index}]"
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



KINDS = ("subject", "framework", "section", "subsection", "outcome")


# ---------------------------------------------------------------------------------------------
# Planning and writing (super-admin context)


def _row_by_code(model, *, code: str, values: dict, changes: Changes, dry_run: bool):
    instance = model.objects.filter(code=code).first()
    return row_sync(model=model, instance=instance, key=code, values={"code": code, **values}, changes=changes, dry_run=dry_run)


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
    wanted = {}
    for row in rows:
        values = dict(row.values, code=row.code, is_active=True, **fixed)
        if parent_field:
            values[parent_field] = parent_ids.get(row.parent_code) if parent_ids else None
        wanted[row.code] = values
    synced = rows_sync(
        model=model, existing=existing, wanted=wanted, changes=changes, dry_run=dry_run,
        deactivate_missing=deactivate_missing, progress=progress,
    )
    return {code: instance.pk for code, instance in synced.items()}


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
    return _row_by_code(Subject, code=code, values=values, changes=changes, dry_run=dry_run)


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
    framework = _row_by_code(Framework, code=code, values=framework_values, changes=changes["framework"], dry_run=dry_run)
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


def goso_document_import(data, *, source, dry_run=False, deactivate_missing=False, progress=None) -> ImportReport:
    """Import an already parsed GOSO document (see goso_file_import); `source` names it in messages."""
    problems = Problems()
    document = goso_document_parse(data, problems=problems)
    if document is None:
        raise ImportFileError(source, problems or [_("nothing to import")])
    report = ImportReport(
        path=str(source), target=f"{_('framework')} {document.framework['code']}", kinds=KINDS, dry_run=dry_run,
        deactivate_missing=deactivate_missing,
    )
    try:
        with user_errors_from_database(), super_admin_context():
            _import_document(document, report, dry_run=dry_run, deactivate_missing=deactivate_missing, progress=progress)
    except (ValidationError, PermissionDenied) as error:
        # A rule only the database knows (or a race with another writer): rolled back, reported.
        reasons = error.messages if isinstance(error, ValidationError) else [str(error)]
        raise ImportFileError(source, reasons) from error
    return report


def goso_file_import(*, path, dry_run=False, deactivate_missing=False, progress=None) -> ImportReport:
    """Import one GOSO JSON file: upsert by code, all or nothing.

    dry_run: compute the report, write nothing. deactivate_missing: deactivate (never delete) the
    framework's sections, subsections and outcomes that the file no longer lists. progress: called
    as progress(done, total) while rows are written. Raises ImportFileError listing every problem.
    """
    return goso_document_import(
        read_json_file(path), source=path, dry_run=dry_run, deactivate_missing=deactivate_missing,
        progress=progress,
    )


"""Import of a textbook's structure (chapters, paragraphs) from JSON (shared/data/textbooks).

The textbook is found by (school, ISBN), or by (school, title) when it has no ISBN, among the
textbooks that are not forks; chapters by number, paragraphs by (chapter, number). Re-running the
same file writes nothing. Chapters and paragraphs that the file no longer lists are reported, never
deleted (their alignments to learning outcomes would go with them). One transaction per file:
global textbooks are written in the super-admin context, a school's in that school's context.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from curriculum.importing import GRADE
from curriculum.models import Subject
from importkit.fields import (
    BOOLEAN, OPTIONAL_INTEGER, OPTIONAL_TEXT, TEXT, Problems, max_length_of, read_field, text_error,
)
from importkit.files import ImportFileError, read_json_file
from importkit.schema import list_of, object_schema, schema_problems
from importkit.sync import ImportReport, row_sync, rows_sync
from tenants.context import super_admin_context, tenant_context
from database_errors import user_errors_from_database
from textbooks.models import Chapter, Language, Paragraph, Textbook, validate_paragraph_list

NUMBER = "number"
LANGUAGE = "language"
KEY_TERMS = "key terms"
QUESTIONS = "questions"

# json key -> (kind, required); "authors" fills the model's `author`, "subject" (a name) is informative.
TEXTBOOK_FIELDS = {
    "title": (TEXT, True), "subject_code": (TEXT, True), "subject": (OPTIONAL_TEXT, False),
    "grade_level": (GRADE, True), "language": (LANGUAGE, False), "authors": (OPTIONAL_TEXT, False),
    "publisher": (OPTIONAL_TEXT, False), "year": (OPTIONAL_INTEGER, False), "isbn": (OPTIONAL_TEXT, False),
    "is_active": (BOOLEAN, False),
}
CHAPTER_FIELDS = {"number": (NUMBER, True), "title": (TEXT, True), "description": (OPTIONAL_TEXT, False)}
PARAGRAPH_FIELDS = {
    "number": (NUMBER, True), "title": (TEXT, True), "content": (OPTIONAL_TEXT, False),
    "summary": (OPTIONAL_TEXT, False), "learning_objective": (OPTIONAL_TEXT, False),
    "lesson_objective": (OPTIONAL_TEXT, False), "key_terms": (KEY_TERMS, False), "questions": (QUESTIONS, False),
}
TEXTBOOK_KINDS = ("textbook", "chapter", "paragraph")
# The file's structure (keys, lists, types), checked before any value.
TEXTBOOK_SCHEMA = object_schema({"textbook": (None, True), "chapters": (None, True)}, children={
    "textbook": object_schema(TEXTBOOK_FIELDS),
    "chapters": list_of(object_schema(CHAPTER_FIELDS, children={"paragraphs": list_of(object_schema(PARAGRAPH_FIELDS))})),
})
MODEL_FIELD_NAMES = {"authors": "author"}


def _read(obj, path, spec, model, problems) -> dict:
    values = {}
    for key, (kind, _required) in spec.items():
        if key not in obj:
            continue
        value, key_path = obj[key], f"{path}.{key}"
        if kind == NUMBER:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.add(key_path, _('"%(value)s" is not a number (1 or more)') % {"value": value})
            values[key] = value
        elif kind == LANGUAGE:
            if value not in Language.values:
                problems.add(key_path, _('"%(value)s" is not a language (one of: %(choices)s)') % {
                    "value": value, "choices": ", ".join(Language.values),
                })
            values[key] = value
        elif kind in (KEY_TERMS, QUESTIONS):
            if kind == KEY_TERMS and (
                not isinstance(value, list) or not all(isinstance(term, str) and not text_error(term) for term in value)
            ):
                problems.add(key_path, _("expected a list of texts"))
            elif kind == QUESTIONS and not isinstance(value, list):
                problems.add(key_path, _("expected a list of objects with a \"text\""))
            elif kind == QUESTIONS:
                for index, question in enumerate(value):
                    text = question.get("text") if isinstance(question, dict) else None
                    if not isinstance(text, str) or text_error(text):
                        problems.add(f"{key_path}[{index}]", _("expected an object with a \"text\""))
            try:
                validate_paragraph_list(value)  # the model's limits (count, length)
            except ValidationError as error:
                problems.add(key_path, error.messages[0])
            values[key] = value
        else:
            max_length = max_length_of(model, MODEL_FIELD_NAMES.get(key, key))
            values[key] = read_field(value, kind, key_path, problems, max_length=max_length)
    return values


def _parse(data, problems: Problems):
    schema_problems(data, TEXTBOOK_SCHEMA, problems)
    if problems:  # the values of a malformed structure would only add noise
        return None, []
    textbook = _read(data["textbook"], "textbook", TEXTBOOK_FIELDS, Textbook, problems)
    chapters = []
    raw_chapters = data["chapters"]
    seen_chapters = {}
    for index, raw in enumerate(raw_chapters):
        path = f"chapters[{index}]"
        chapter = _read(raw, path, CHAPTER_FIELDS, Chapter, problems) | {"sort_order": index + 1}
        number = chapter.get("number")
        if number in seen_chapters:
            problems.add(f"{path}.number", _("duplicate chapter number %(number)s (already at %(first)s)") % {
                "number": number, "first": seen_chapters[number],
            })
        seen_chapters[number] = path
        paragraphs, seen = [], {}
        for paragraph_index, raw_paragraph in enumerate(raw.get("paragraphs", [])):
            paragraph_path = f"{path}.paragraphs[{paragraph_index}]"
            paragraph = _read(raw_paragraph, paragraph_path, PARAGRAPH_FIELDS, Paragraph, problems)
            paragraph["sort_order"] = paragraph_index + 1
            if paragraph.get("number") in seen:
                problems.add(f"{paragraph_path}.number", _("duplicate paragraph number %(number)s (already at %(first)s)") % {
                    "number": paragraph.get("number"), "first": seen[paragraph.get("number")],
                })
            seen[paragraph.get("number")] = paragraph_path
            paragraphs.append(paragraph)
        chapters.append((chapter, paragraphs))
    return textbook, chapters


def _write(textbook_values: dict, chapters: list, *, school, report: ImportReport, problems: Problems) -> Textbook:
    subject = Subject.objects.filter(code=textbook_values["subject_code"]).first()
    if subject is None:
        problems.add("textbook.subject_code", _('unknown subject "%(code)s" (import its GOSO framework first)') % {
            "code": textbook_values["subject_code"],
        })
        raise ImportFileError(report.path, problems)
    values = {
        "school": school, "subject": subject, "title": textbook_values["title"],
        "grade_level": textbook_values["grade_level"],
    }
    for key, name in (("language", "language"), ("authors", "author"), ("publisher", "publisher"), ("year", "year"),
                      ("isbn", "isbn"), ("is_active", "is_active")):
        if key in textbook_values:
            values[name] = textbook_values[key]
    candidates = Textbook.objects.filter(school=school, global_textbook__isnull=True)
    isbn = values.get("isbn")
    textbook = (candidates.filter(isbn=isbn) if isbn else candidates.filter(title=values["title"])).first()
    textbook = row_sync(
        model=Textbook, instance=textbook, key=textbook.title if textbook else values["title"], values=values,
        changes=report.changes["textbook"],
    )

    existing_chapters = {chapter.number: chapter for chapter in Chapter.objects.filter(textbook=textbook)}
    wanted_chapters = {chapter["number"]: dict(chapter, textbook_id=textbook.pk) for chapter, _paragraphs in chapters}
    chapter_rows = rows_sync(
        model=Chapter, existing=existing_chapters, wanted=wanted_chapters, changes=report.changes["chapter"],
        label=lambda number: _("chapter %(number)s") % {"number": number},
    )
    existing_paragraphs = {
        (paragraph.chapter.number, paragraph.number): paragraph
        for paragraph in Paragraph.objects.filter(chapter__textbook=textbook).select_related("chapter")
    }
    wanted_paragraphs = {
        (chapter["number"], paragraph["number"]): dict(paragraph, chapter_id=chapter_rows[chapter["number"]].pk)
        for chapter, paragraphs in chapters for paragraph in paragraphs
    }
    rows_sync(
        model=Paragraph, existing=existing_paragraphs, wanted=wanted_paragraphs, changes=report.changes["paragraph"],
        label=lambda key: _("paragraph %(number)s (chapter %(chapter)s)") % {"number": key[1], "chapter": key[0]},
    )
    return textbook


def textbook_file_import(*, path, school=None) -> tuple[Textbook, ImportReport]:
    """Import a textbook file; returns the textbook and the report (see the module's docstring)."""
    source = str(path)
    data = read_json_file(path)
    problems = Problems()
    textbook_values, chapters = _parse(data, problems)
    if problems or textbook_values is None:
        raise ImportFileError(source, problems or [_("nothing to import")])
    report = ImportReport(
        path=source, target=_("textbook %(title)s") % {"title": textbook_values["title"]}, kinds=TEXTBOOK_KINDS,
    )
    context = super_admin_context() if school is None else tenant_context(school_id=school.pk)
    try:
        with user_errors_from_database(), context:
            textbook = _write(textbook_values, chapters, school=school, report=report, problems=problems)
    except (ValidationError, PermissionDenied) as error:
        raise ImportFileError(source, error.messages if isinstance(error, ValidationError) else [str(error)]) from error
    return textbook, report

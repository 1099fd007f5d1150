"""Alignment in bulk: a chapter's (or a whole textbook's) paragraphs x the learning outcomes of a
framework and grades, read as one grid (`alignment_grid`) and written back in one transaction
(`alignments_bulk_set`: three set-based statements, whatever the number of cells).

A cell is a (paragraph, outcome) pair: aligned with a confidence, or not aligned. Only the cells a
caller names change; alignments outside them (other outcomes, other paragraphs) are left alone, and
an existing alignment keeps its anchor, notes, author and date when only its confidence changes.
Global textbooks are the methodologists': a school aligns its own copy (row-level security refuses
anything else anyway; the service says why first).
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from curriculum.models import LearningOutcome, Section, Subsection
from database_errors import user_errors_from_database
from tenants.context import TenantContext, current_context
from textbooks.coverage import ParagraphRef, report_framework, report_grades
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook

# The grid page posts two fields per cell (tick and confidence): larger grids are narrowed first
# (by chapter, section or subsection) so the form stays within DATA_UPLOAD_MAX_NUMBER_FIELDS.
MAX_GRID_CELLS = 4000
CONFIDENCE_STEP = Decimal("0.01")


@dataclass(frozen=True)
class GridOutcome:
    id: int
    code: str
    grade: int
    title_ru: str
    title_kz: str
    subsection_id: int
    section_id: int


@dataclass
class GridGroup:
    """A section or subsection heading over its outcomes' columns."""

    id: int
    code: str
    name_ru: str
    name_kz: str
    span: int = 0


@dataclass
class AlignmentGrid:
    textbook: Textbook
    chapter: Chapter | None
    framework: object
    grades: list[int]
    paragraphs: list[ParagraphRef]
    outcomes: list[GridOutcome]
    sections: list[GridGroup]  # column groups, in outcome order
    confidence: dict[tuple[int, int], Decimal]  # (paragraph id, outcome id) -> confidence of an alignment
    section_choices: list[Section] = field(default_factory=list)
    subsection_choices: list[Subsection] = field(default_factory=list)
    too_large: bool = False

    @property
    def cell_count(self) -> int:
        return len(self.paragraphs) * len(self.outcomes)


def alignment_grid(
    *, context: TenantContext, textbook: Textbook, chapter: Chapter | None = None, framework_id: int | None = None,
    grades=None, section_id: int | None = None, subsection_id: int | None = None,
) -> AlignmentGrid:
    """The grid of `textbook` (or of one of its chapters): its paragraphs, the active outcomes of the
    framework (default: the one in force for the grades) and grades (default: the textbook's),
    optionally one section or subsection, and the alignments between them. A few queries whatever
    the size. Raises ValidationError for a framework or grades that do not fit the textbook."""
    grades = report_grades(textbook, grades)
    framework = report_framework(textbook, framework_id, grades)
    outcomes_query = LearningOutcome.objects.filter(
        framework=framework, grade__in=grades, is_active=True, deleted_at__isnull=True,
    )
    if subsection_id is not None:
        outcomes_query = outcomes_query.filter(subsection_id=subsection_id)
    if section_id is not None:
        outcomes_query = outcomes_query.filter(subsection__section_id=section_id)
    rows = outcomes_query.order_by("subsection__section__code_sort", "subsection__code_sort", "grade", "code_sort").values_list(
        "id", "code", "grade", "title_ru", "title_kz", "subsection_id", "subsection__section_id",
        "subsection__section__code", "subsection__section__name_ru", "subsection__section__name_kz",
    )
    outcomes, sections = [], []
    for (outcome_id, code, grade, title_ru, title_kz, subsection, section, section_code, section_ru, section_kz) in rows:
        outcomes.append(GridOutcome(outcome_id, code, grade, title_ru, title_kz, subsection, section))
        if not sections or sections[-1].id != section:
            sections.append(GridGroup(section, section_code, section_ru, section_kz))
        sections[-1].span += 1

    paragraph_rows = Paragraph.objects.filter(chapter__textbook=textbook)
    if chapter is not None:
        paragraph_rows = paragraph_rows.filter(chapter=chapter)
    paragraphs = [
        ParagraphRef(*row)
        for row in paragraph_rows.order_by("chapter__sort_order", "chapter__number", "sort_order", "number")
        .values_list("id", "chapter__number", "number", "title")
    ]
    too_large = len(paragraphs) * len(outcomes) > MAX_GRID_CELLS
    confidence = {}
    if not too_large and paragraphs and outcomes:
        links = ParagraphOutcome.objects.filter(
            paragraph_id__in=[p.id for p in paragraphs], outcome_id__in=[o.id for o in outcomes],
        ).order_by()
        confidence = {(p, o): c for p, o, c in links.values_list("paragraph_id", "outcome_id", "confidence")}
    return AlignmentGrid(
        textbook=textbook, chapter=chapter, framework=framework, grades=grades, paragraphs=paragraphs,
        outcomes=outcomes, sections=sections, confidence=confidence, too_large=too_large,
        section_choices=list(framework.sections.order_by("code_sort")),
        subsection_choices=list(Subsection.objects.filter(section__framework=framework).order_by("code_sort")),
    )


@dataclass(frozen=True)
class BulkResult:
    added: int
    changed: int
    removed: int

    def summary(self) -> str:
        return _("%(added)s added, %(changed)s changed, %(removed)s removed.") % {
            "added": self.added, "changed": self.changed, "removed": self.removed,
        }


def global_textbook_refusal(textbook: Textbook) -> str:
    return _(
        "“%(title)s” is a global textbook: its alignments are the methodologists'. Copy it into your school "
        "(“Copy into my school”) and align your copy."
    ) % {"title": textbook.title}


def textbook_alignable(*, textbook: Textbook, context: TenantContext) -> str | None:
    """None when `context` may align the textbook's paragraphs, else the reason why not."""
    if context.super_admin:
        return None
    if textbook.school_id is None:
        return global_textbook_refusal(textbook)
    if textbook.school_id != context.school_id:
        return _("You can align only your own school's textbooks.")
    return None


def _confidence(value) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(1):
        return None
    return number.quantize(CONFIDENCE_STEP)


_REMOVE = """
    DELETE FROM paragraph_outcomes link
    USING unnest(%(paragraphs)s::bigint[], %(outcomes)s::bigint[]) AS cell(paragraph_id, outcome_id)
    WHERE link.paragraph_id = cell.paragraph_id AND link.outcome_id = cell.outcome_id
"""
_CHANGE = """
    UPDATE paragraph_outcomes link SET confidence = cell.confidence
    FROM unnest(%(paragraphs)s::bigint[], %(outcomes)s::bigint[], %(confidences)s::numeric[])
         AS cell(paragraph_id, outcome_id, confidence)
    WHERE link.paragraph_id = cell.paragraph_id AND link.outcome_id = cell.outcome_id
      AND link.confidence <> cell.confidence
"""
# school_id is filled in by the database from the paragraph (trigger, textbooks/migrations/0002).
_ADD = """
    INSERT INTO paragraph_outcomes (paragraph_id, outcome_id, confidence, anchor, notes, created_by_id, created_at)
    SELECT cell.paragraph_id, cell.outcome_id, cell.confidence, '', '', %(user)s, now()
    FROM unnest(%(paragraphs)s::bigint[], %(outcomes)s::bigint[], %(confidences)s::numeric[])
         AS cell(paragraph_id, outcome_id, confidence)
    ON CONFLICT (paragraph_id, outcome_id) DO NOTHING
"""


def alignments_bulk_set(*, textbook: Textbook, cells, created_by=None) -> BulkResult:
    """Set many cells of a textbook's alignment grid in one transaction.

    `cells`: (paragraph id, outcome id, confidence) triples; confidence None means "not aligned"
    (an existing alignment is removed), a number 0-1 means aligned with that confidence (added, or
    its confidence changed). Paragraphs must be the textbook's, outcomes of its subject; every
    problem is reported at once (ValidationError naming the cells) and nothing is written.
    """
    refusal = textbook_alignable(textbook=textbook, context=current_context())
    if refusal:
        raise PermissionDenied(refusal)
    cells = list(cells)
    paragraph_ids = {int(cell[0]) for cell in cells}
    outcome_ids = {int(cell[1]) for cell in cells}
    paragraph_numbers = dict(
        Paragraph.objects.filter(chapter__textbook=textbook, pk__in=paragraph_ids).values_list("pk", "number")
    )
    outcome_codes = dict(
        LearningOutcome.objects.filter(framework__subject_id=textbook.subject_id, pk__in=outcome_ids).values_list("pk", "code")
    )
    errors, seen = [], set()
    removals, settings = [], []
    for paragraph_id, outcome_id, value in cells:
        paragraph_id, outcome_id = int(paragraph_id), int(outcome_id)
        if paragraph_id not in paragraph_numbers:
            errors.append(_("Paragraph %(id)s is not in “%(textbook)s”.") % {"id": paragraph_id, "textbook": textbook.title})
            continue
        if outcome_id not in outcome_codes:
            errors.append(_("Learning outcome %(id)s does not exist or belongs to another subject.") % {"id": outcome_id})
            continue
        where = {"paragraph": paragraph_numbers[paragraph_id], "code": outcome_codes[outcome_id]}
        if (paragraph_id, outcome_id) in seen:
            errors.append(_("§%(paragraph)s × %(code)s is listed twice.") % where)
            continue
        seen.add((paragraph_id, outcome_id))
        if value is None:
            removals.append((paragraph_id, outcome_id))
            continue
        confidence = _confidence(value)
        if confidence is None:
            errors.append(_("§%(paragraph)s × %(code)s: confidence must be a number from 0 to 1.") % where)
            continue
        settings.append((paragraph_id, outcome_id, confidence))
    if errors:
        raise ValidationError(errors, code="invalid_cells")

    changes = {
        "paragraphs": [cell[0] for cell in settings], "outcomes": [cell[1] for cell in settings],
        "confidences": [cell[2] for cell in settings], "user": getattr(created_by, "pk", None),
    }
    with user_errors_from_database(), transaction.atomic(), connection.cursor() as cursor:
        removed = changed = added = 0
        if removals:
            cursor.execute(_REMOVE, {"paragraphs": [c[0] for c in removals], "outcomes": [c[1] for c in removals]})
            removed = cursor.rowcount
        if settings:
            cursor.execute(_CHANGE, changes)
            changed = cursor.rowcount
            cursor.execute(_ADD, changes)
            added = cursor.rowcount
    return BulkResult(added=added, changed=changed, removed=removed)

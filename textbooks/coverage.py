"""Coverage and gap report: does a textbook teach every learning outcome its grade requires?

For a textbook against a framework of its subject (the one in force, unless chosen) and the
textbook's grade (or chosen grades): per section and subsection, the outcomes covered (by which
paragraphs, with what confidence) and not covered; the paragraphs aligned to none of them; the
covered share overall and per section. Five queries whatever the sizes, so it stays fast for a
1,000-paragraph textbook against a 5,000-outcome framework (bench/bench_coverage.py).

Only the textbook's own paragraphs and their alignments count: a global textbook's alignments are
global rows, a school's fork has its own. A textbook the caller cannot see is not found.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from curriculum.codes import grade_error
from curriculum.models import Framework, LearningOutcome
from tenants.context import TenantContext
from textbooks.models import Paragraph, ParagraphOutcome, Textbook
from textbooks.selectors import visible_to


@dataclass(frozen=True)
class ParagraphRef:
    id: int
    chapter_number: int
    number: int
    title: str

    @property
    def label(self) -> str:
        return f"§{self.number}"


@dataclass(frozen=True)
class Teaching:
    paragraph: ParagraphRef
    confidence: Decimal


@dataclass
class OutcomeCoverage:
    id: int
    code: str
    grade: int
    title_ru: str
    title_kz: str
    taught_by: list[Teaching] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return bool(self.taught_by)

    @property
    def best_confidence(self) -> Decimal | None:
        return max((teaching.confidence for teaching in self.taught_by), default=None)


def share(covered: int, total: int) -> float | None:
    return round(covered / total, 4) if total else None


@dataclass
class _Tally:
    @property
    def outcomes_total(self) -> int:
        return len(self.all_outcomes)

    @property
    def outcomes_covered(self) -> int:
        return sum(1 for outcome in self.all_outcomes if outcome.covered)

    @property
    def covered_share(self) -> float | None:
        return share(self.outcomes_covered, self.outcomes_total)


@dataclass
class SubsectionCoverage(_Tally):
    id: int
    code: str
    name_ru: str
    name_kz: str
    outcomes: list[OutcomeCoverage] = field(default_factory=list)

    @property
    def all_outcomes(self):
        return self.outcomes


@dataclass
class SectionCoverage(_Tally):
    id: int
    code: str
    name_ru: str
    name_kz: str
    subsections: list[SubsectionCoverage] = field(default_factory=list)

    @property
    def all_outcomes(self):
        return [outcome for subsection in self.subsections for outcome in subsection.outcomes]


@dataclass
class TextbookCoverage(_Tally):
    textbook: Textbook
    framework: Framework
    grades: list[int]
    min_confidence: Decimal | None
    sections: list[SectionCoverage]
    paragraphs_total: int
    unaligned_paragraphs: list[ParagraphRef]  # aligned to none of the report's outcomes

    @property
    def all_outcomes(self):
        return [outcome for section in self.sections for outcome in section.all_outcomes]


def report_grades(textbook, grades) -> list[int]:
    if not grades:
        return [textbook.grade_level]
    grades = [int(grade) if isinstance(grade, str) and grade.isascii() and grade.isdigit() else grade for grade in grades]
    for grade in grades:
        if error := grade_error(grade):  # the one grade rule and message (curriculum/codes.py)
            raise ValidationError({"grades": error})
    return sorted(set(grades))


def _min_confidence(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        value = Decimal(str(value))
    except ArithmeticError:
        value = None
    if value is None or not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
        raise ValidationError({"min_confidence": _("Minimum confidence must be a number from 0 to 1.")})
    return value


def report_framework(textbook, framework_id, grades) -> Framework:
    """The chosen framework (of the textbook's subject), else the one in force today that has
    outcomes for these grades (the newest if several are)."""
    frameworks = Framework.objects.filter(subject_id=textbook.subject_id, deleted_at__isnull=True)
    if framework_id is not None:
        chosen = frameworks.filter(pk=framework_id).first()
        if chosen is None:
            raise ValidationError({"framework": _("No framework of this textbook's subject has this id.")})
        return chosen
    today = timezone.localdate()
    in_force = (
        Q(is_active=True)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))
    )
    has_outcomes = Exists(
        LearningOutcome.objects.filter(framework=OuterRef("pk"), grade__in=grades, deleted_at__isnull=True)
    )
    found = (
        frameworks.filter(has_outcomes)
        .annotate(in_force=ExpressionWrapper(in_force, output_field=BooleanField()))
        .order_by("-in_force", F("valid_from").desc(nulls_last=True), "-pk")
        .first()
    )
    if found is None:
        raise ValidationError(
            {"framework": _("No framework of this subject has learning outcomes for grade(s) %(grades)s.")
             % {"grades": ", ".join(map(str, grades))}}
        )
    return found


def textbook_coverage(
    *, context: TenantContext, textbook_id: int, framework_id: int | None = None, grades=None,
    min_confidence: Decimal | None = None,
) -> TextbookCoverage:
    """The coverage report of a textbook visible in `context`.

    `min_confidence`: alignments below it do not count (default: every alignment counts).
    Raises Textbook.DoesNotExist for a textbook the context cannot see, ValidationError for a
    framework or grades that do not fit.
    """
    textbook = visible_to(Textbook.objects.all(), context=context).filter(pk=textbook_id).first()
    if textbook is None:
        raise Textbook.DoesNotExist(_("Textbook not found."))
    min_confidence = _min_confidence(min_confidence)
    grades = report_grades(textbook, grades)
    framework = report_framework(textbook, framework_id, grades)

    outcome_rows = (
        LearningOutcome.objects.filter(framework=framework, grade__in=grades, is_active=True, deleted_at__isnull=True)
        .order_by("subsection__section__code_sort", "subsection__code_sort", "code_sort")
        .values_list(
            "id", "code", "grade", "title_ru", "title_kz",
            "subsection_id", "subsection__code", "subsection__name_ru", "subsection__name_kz",
            "subsection__section_id", "subsection__section__code", "subsection__section__name_ru",
            "subsection__section__name_kz",
        )
    )
    sections: list[SectionCoverage] = []
    outcomes: dict[int, OutcomeCoverage] = {}
    for (outcome_id, code, grade, title_ru, title_kz, subsection_id, subsection_code, subsection_ru, subsection_kz,
         section_id, section_code, section_ru, section_kz) in outcome_rows:
        if not sections or sections[-1].id != section_id:
            sections.append(SectionCoverage(section_id, section_code, section_ru, section_kz))
        section = sections[-1]
        if not section.subsections or section.subsections[-1].id != subsection_id:
            section.subsections.append(SubsectionCoverage(subsection_id, subsection_code, subsection_ru, subsection_kz))
        outcome = outcomes[outcome_id] = OutcomeCoverage(outcome_id, code, grade, title_ru, title_kz)
        section.subsections[-1].outcomes.append(outcome)

    paragraphs = {
        row[0]: ParagraphRef(*row)
        for row in Paragraph.objects.filter(chapter__textbook=textbook)
        .order_by("chapter__sort_order", "chapter__number", "sort_order", "number")
        .values_list("id", "chapter__number", "number", "title")
    }
    # Every alignment of the textbook, kept when its outcome is one of the report's: cheaper than
    # joining the outcomes again.
    alignments = ParagraphOutcome.objects.filter(paragraph__chapter__textbook=textbook).order_by()
    if min_confidence is not None:
        alignments = alignments.filter(confidence__gte=min_confidence)
    aligned = set()
    for paragraph_id, outcome_id, confidence in alignments.values_list("paragraph_id", "outcome_id", "confidence"):
        if outcome_id in outcomes:
            outcomes[outcome_id].taught_by.append(Teaching(paragraphs[paragraph_id], confidence))
            aligned.add(paragraph_id)
    order = {paragraph_id: index for index, paragraph_id in enumerate(paragraphs)}
    for outcome in outcomes.values():
        outcome.taught_by.sort(key=lambda teaching: order[teaching.paragraph.id])

    return TextbookCoverage(
        textbook=textbook, framework=framework, grades=grades,
        min_confidence=min_confidence, sections=sections,
        paragraphs_total=len(paragraphs),
        unaligned_paragraphs=[paragraph for paragraph_id, paragraph in paragraphs.items() if paragraph_id not in aligned],
    )


# Exports: one row per outcome; the spreadsheet adds a sheet per section summary and one for the
# paragraphs aligned to nothing.

def _outcome_header():
    return [
        _("Section"), _("Section name"), _("Subsection"), _("Subsection name"), _("Outcome"), _("Grade"),
        _("Text (Russian)"), _("Text (Kazakh)"), _("Covered"), _("Paragraphs"), _("Best confidence"),
    ]


def _outcome_rows(coverage: TextbookCoverage):
    for section in coverage.sections:
        for subsection in section.subsections:
            for outcome in subsection.outcomes:
                yield [
                    section.code, section.name_ru, subsection.code, subsection.name_ru, outcome.code, outcome.grade,
                    outcome.title_ru, outcome.title_kz, _("yes") if outcome.covered else _("no"),
                    "; ".join(f"{t.paragraph.label} ({t.confidence})" for t in outcome.taught_by),
                    outcome.best_confidence,
                ]


def _spreadsheet_safe(value):
    # A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def coverage_csv(coverage: TextbookCoverage) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_outcome_header())
    for row in _outcome_rows(coverage):
        writer.writerow([_spreadsheet_safe(value) for value in row])
    return out.getvalue()


def _xlsx_value(worksheet, value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.data_type = "s"  # openpyxl would write it as a formula: keep it text
        return cell
    return value


def coverage_xlsx(coverage: TextbookCoverage) -> bytes:
    workbook = Workbook(write_only=True)

    def sheet(title, header, rows):
        worksheet = workbook.create_sheet(title[:31])
        worksheet.append(header)
        for row in rows:
            worksheet.append([_xlsx_value(worksheet, value) for value in row])

    sheet(
        _("Sections"),
        [_("Section"), _("Section name"), _("Outcomes"), _("Covered"), _("Covered share")],
        [[s.code, s.name_ru, s.outcomes_total, s.outcomes_covered, s.covered_share] for s in coverage.sections]
        + [[_("Total"), "", coverage.outcomes_total, coverage.outcomes_covered, coverage.covered_share]],
    )
    sheet(_("Outcomes"), _outcome_header(), _outcome_rows(coverage))
    sheet(
        _("Paragraphs aligned to nothing"),
        [_("Chapter"), _("Paragraph"), _("Title")],
        [[p.chapter_number, p.number, p.title] for p in coverage.unaligned_paragraphs],
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

"""Reads on textbook content (selectors: keyword-only arguments)."""

from django.db.models import Q, QuerySet

from curriculum.models import LearningOutcome
from curriculum.selectors import outcomes_for_alignment
from tenants.context import TenantContext
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook


def outcomes_for_paragraph(*, paragraph: Paragraph, grades=None) -> QuerySet:
    """Outcomes a paragraph may be aligned to: those of its textbook's subject and grade (or the
    `grades` the user widened the choice to), and those it is aligned to already (so an existing
    alignment never becomes an invalid choice)."""
    textbook = paragraph.chapter.textbook
    suitable = outcomes_for_alignment(subject_id=textbook.subject_id, grades=grades or [textbook.grade_level])
    return LearningOutcome.objects.filter(
        Q(pk__in=suitable.values("pk")) | Q(pk__in=paragraph.outcome_links.values("outcome_id"))
    )


def visible_to(rows: QuerySet, *, context: TenantContext) -> QuerySet:
    """Global rows and the context's own school's rows; every row in the super-admin context.
    Row-level security filters the same way: saying it here keeps the intent explicit, so an
    unscoped read is never what the code asks for."""
    if context.super_admin:
        return rows
    return rows.filter(Q(school__isnull=True) | Q(school_id=context.school_id))


def textbook_list(*, context: TenantContext) -> QuerySet:
    return visible_to(Textbook.objects.all(), context=context).order_by("subject_id", "grade_level", "title", "id")


def chapter_list(*, context: TenantContext) -> QuerySet:
    return visible_to(Chapter.objects.all(), context=context).order_by("textbook_id", "sort_order", "number")


def paragraph_list(*, context: TenantContext) -> QuerySet:
    return (
        visible_to(Paragraph.objects.select_related("chapter"), context=context)
        .order_by("chapter__textbook_id", "chapter__sort_order", "chapter__number", "sort_order", "number")
    )


def alignment_list(*, context: TenantContext) -> QuerySet:
    # The outcome's and the textbook's grades tell a cross-grade alignment (ParagraphOutcome.is_cross_grade).
    return (
        visible_to(ParagraphOutcome.objects.select_related("outcome", "paragraph__chapter__textbook"), context=context)
        .order_by("paragraph_id", "outcome_id")
    )


def paragraph_alignments(*, context: TenantContext, paragraph: Paragraph) -> QuerySet:
    """A paragraph's alignments with their outcomes, in outcome code order."""
    return (
        alignment_list(context=context).filter(paragraph=paragraph)
        .select_related("outcome").order_by("outcome__framework_id", "outcome__code_sort")
    )


def outcome_alignments(*, context: TenantContext, outcome: LearningOutcome) -> QuerySet:
    """The paragraphs that teach an outcome, in the caller's textbooks and global ones."""
    return (
        alignment_list(context=context).filter(outcome=outcome)
        .select_related("paragraph__chapter__textbook")
        .order_by("paragraph__chapter__textbook_id", "paragraph__chapter__sort_order", "paragraph__sort_order",
                  "paragraph__number", "id")
    )

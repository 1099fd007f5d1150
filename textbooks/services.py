"""Writes on textbook content (services: keyword-only arguments, one transaction each)."""

from contextlib import contextmanager
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from tenants.context import current_context
from database_errors import user_errors_from_database
from textbooks.models import Paragraph, ParagraphOutcome, Textbook

# Set-based copy of a global textbook into a school: five statements whatever the textbook's size.
# The copy keeps the source's content as copied (source_snapshot: the base of later fork updates,
# textbooks/fork_updates.py). Chapters are matched old -> new by (textbook, number), paragraphs by (chapter, number): both unique.
_FORK_TEXTBOOK = """
    INSERT INTO textbooks (school_id, subject_id, title, grade_level, language, author, publisher, year, isbn,
                           version, global_textbook_id, source_version, source_snapshot, is_customized, is_active,
                           created_at, updated_at)
    SELECT %(school)s, subject_id, title, grade_level, language, author, publisher, year, isbn,
           1, id, version, textbook_content(id), false, is_active, now(), now()
    FROM textbooks WHERE id = %(source)s AND school_id IS NULL
    RETURNING id
"""
# Writes on a copy made for the school by the fork and update services are no school edit: they
# do not set "customised" (the triggers of textbooks/migrations/0006_fork_updates read this setting).
FORK_SYNC_SETTING = "app.fork_sync"


@contextmanager
def fork_sync(cursor, fork_id):
    """Within a transaction: writes on `fork_id` in the block do not mark it customised."""
    cursor.execute("SELECT set_config(%s, %s, true)", [FORK_SYNC_SETTING, str(fork_id)])
    yield
    cursor.execute("SELECT set_config(%s, '', true)", [FORK_SYNC_SETTING])


_FORK_CHAPTERS = """
    INSERT INTO chapters (textbook_id, school_id, number, title, description, sort_order)
    SELECT %(fork)s, %(school)s, number, title, description, sort_order
    FROM chapters WHERE textbook_id = %(source)s
"""
_FORK_PARAGRAPHS = """
    INSERT INTO paragraphs (chapter_id, school_id, number, sort_order, title, content, summary,
                            learning_objective, lesson_objective, key_terms, questions)
    SELECT new_chapter.id, %(school)s, p.number, p.sort_order, p.title, p.content, p.summary,
           p.learning_objective, p.lesson_objective, p.key_terms, p.questions
    FROM paragraphs p
    JOIN chapters old_chapter ON old_chapter.id = p.chapter_id
    JOIN chapters new_chapter ON new_chapter.textbook_id = %(fork)s AND new_chapter.number = old_chapter.number
    WHERE old_chapter.textbook_id = %(source)s
"""
# A source alignment (`link`) and the fork's paragraph it belongs to, matched by chapter and paragraph number.
_FORK_LINKS_TO_NEW_PARAGRAPHS = """
    JOIN paragraphs old_paragraph ON old_paragraph.id = link.paragraph_id
    JOIN chapters old_chapter ON old_chapter.id = old_paragraph.chapter_id
    JOIN chapters new_chapter ON new_chapter.textbook_id = %(fork)s AND new_chapter.number = old_chapter.number
    JOIN paragraphs new_paragraph ON new_paragraph.chapter_id = new_chapter.id
                                 AND new_paragraph.number = old_paragraph.number
    WHERE old_chapter.textbook_id = %(source)s
"""
_FORK_ALIGNMENTS = """
    INSERT INTO paragraph_outcomes (paragraph_id, outcome_id, school_id, confidence, anchor, notes,
                                    created_by_id, created_at)
    SELECT new_paragraph.id, link.outcome_id, %(school)s, link.confidence, link.anchor, link.notes,
           link.created_by_id, link.created_at
    FROM paragraph_outcomes link
""" + _FORK_LINKS_TO_NEW_PARAGRAPHS
# Alignments to external frameworks' items (textbooks/external_alignments.py).
_FORK_EXTERNAL_ALIGNMENTS = """
    INSERT INTO paragraph_external_items (paragraph_id, external_item_id, school_id, confidence, notes,
                                          created_by_id, created_at)
    SELECT new_paragraph.id, link.external_item_id, %(school)s, link.confidence, link.notes,
           link.created_by_id, link.created_at
    FROM paragraph_external_items link
""" + _FORK_LINKS_TO_NEW_PARAGRAPHS


def textbook_fork(*, textbook: Textbook, school) -> Textbook:
    """Copy a global textbook into `school` with its chapters, paragraphs (every field) and their
    alignments (to GOSO outcomes and to external items). The copy records where it came from (global_textbook, source_version).

    A school can fork only into itself (the super-admin context into any school); a second copy of
    the same textbook in the same school is refused.
    """
    if textbook.school_id is not None:
        raise ValidationError(
            _("Only global textbooks can be copied into a school; “%(title)s” already belongs to a school.")
            % {"title": textbook.title},
            code="not_global",
        )
    context = current_context()
    if not context.super_admin and context.school_id != school.pk:
        raise PermissionDenied(_("You can copy textbooks only into your own school."))
    if Textbook.objects.filter(school=school, global_textbook=textbook).exists():
        raise ValidationError(
            _("%(school)s already has a copy of “%(title)s”.") % {"school": school, "title": textbook.title},
            code="already_forked",
        )
    params = {"source": textbook.pk, "school": school.pk}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_FORK_TEXTBOOK, params)
            (params["fork"],) = cursor.fetchone()
            with fork_sync(cursor, params["fork"]):
                cursor.execute(_FORK_CHAPTERS, params)
                cursor.execute(_FORK_PARAGRAPHS, params)
                cursor.execute(_FORK_ALIGNMENTS, params)
                cursor.execute(_FORK_EXTERNAL_ALIGNMENTS, params)
    except IntegrityError as error:
        # Two forks of the same textbook racing: the unique constraint decides.
        if "textbooks_one_fork_per_school" in str(error):
            raise ValidationError(
                _("%(school)s already has a copy of “%(title)s”.") % {"school": school, "title": textbook.title},
                code="already_forked",
            ) from error
        raise
    return Textbook.objects.get(pk=params["fork"])


def alignment_create(*, paragraph, outcome, created_by=None, confidence=None, anchor="", notes="") -> ParagraphOutcome:
    """Align a paragraph to a learning outcome. Only the paragraph's school (or a methodologist)
    may; the database refuses anyone else."""
    alignment = ParagraphOutcome(
        paragraph=paragraph, outcome=outcome, created_by=created_by, anchor=anchor, notes=notes,
        confidence=Decimal("1.00") if confidence is None else confidence,
    )
    # created_by: the signed-in user, who exists (no query to prove it).
    alignment.full_clean(exclude=["paragraph", "outcome", "created_by"], validate_unique=False, validate_constraints=False)
    with user_errors_from_database(), transaction.atomic():
        alignment.save()
    return alignment


def alignment_update(*, alignment: ParagraphOutcome, **fields) -> ParagraphOutcome:
    allowed = {"confidence", "anchor", "notes"}
    if unknown := set(fields) - allowed:
        raise ValueError(f"cannot update {sorted(unknown)}; allowed: {sorted(allowed)}")
    for name, value in fields.items():
        setattr(alignment, name, value)
    alignment.full_clean(exclude=["paragraph", "outcome"], validate_unique=False, validate_constraints=False)
    with user_errors_from_database(), transaction.atomic():
        rows = ParagraphOutcome.objects.filter(pk=alignment.pk)
        if fields:
            updated = rows.update(**fields)
        else:
            # Nothing to change: still refuse a row that is not the caller's (row-level security applies
            # the UPDATE policies to SELECT ... FOR UPDATE).
            updated = len(rows.select_for_update().values_list("pk", flat=True))
    if not updated:  # filtered out by row-level security: not the caller's to change
        raise PermissionDenied(_("You are not allowed to change this alignment."))
    return alignment


def alignment_delete(*, alignment: ParagraphOutcome) -> None:
    with user_errors_from_database(), transaction.atomic():
        deleted, _details = ParagraphOutcome.objects.filter(pk=alignment.pk).delete()
    if not deleted:
        raise PermissionDenied(_("You are not allowed to delete this alignment."))


def alignments_replace(*, paragraph, items, created_by=None) -> list[ParagraphOutcome]:
    """Replace a paragraph's whole set of alignments in one transaction.

    `items`: dicts with "outcome" (a LearningOutcome) and optional "confidence", "anchor", "notes".
    Alignments to outcomes still listed are updated in place (keeping their author and date).
    """
    outcome_ids = [item["outcome"].pk for item in items]
    if len(outcome_ids) != len(set(outcome_ids)):
        raise ValidationError(_("The same learning outcome is listed twice."), code="duplicate_outcome")
    with user_errors_from_database(), transaction.atomic():
        # Lock the paragraph: concurrent replacements of one set run one after the other. Row-level
        # security lets a school lock only its own paragraphs.
        if not Paragraph.objects.select_for_update().filter(pk=paragraph.pk).values_list("pk"):
            raise PermissionDenied(_("You are not allowed to change this paragraph's alignments."))
        existing = {link.outcome_id: link for link in ParagraphOutcome.objects.filter(paragraph=paragraph)}
        stale = [link.pk for outcome_id, link in existing.items() if outcome_id not in outcome_ids]
        if stale and ParagraphOutcome.objects.filter(pk__in=stale).delete()[0] != len(stale):
            raise PermissionDenied(_("You are not allowed to change this paragraph's alignments."))
        result, added = [], []
        for item in items:
            fields = {name: item[name] for name in ("confidence", "anchor", "notes") if name in item}
            link = existing.get(item["outcome"].pk)
            if link is None:
                # Checked as alignment_create checks one, then inserted together: one INSERT for the new set.
                link = ParagraphOutcome(paragraph=paragraph, outcome=item["outcome"], created_by=created_by, **fields)
                link.full_clean(exclude=["paragraph", "outcome", "created_by"], validate_unique=False, validate_constraints=False)
                added.append(link)
            elif fields:
                link = alignment_update(alignment=link, **fields)
            result.append(link)
        ParagraphOutcome.objects.bulk_create(added)
    return result

"""Versions seen from textbooks: alignments carried over to a new framework version, and forks
learning that their global source textbook changed.

A global textbook's version is raised by the database whenever its chapters or paragraphs change
(textbooks/migrations/0003); a fork remembers the version it was copied from (source_version).
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from curriculum.models import Framework, LearningOutcome, OutcomeVersionLink
from curriculum.versions import TextChange, version_text_changes
from tenants.context import current_context
from database_errors import user_errors_from_database
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook

# One statement for every alignment, whatever their number. When two old outcomes merge into one new
# outcome, a paragraph aligned to both keeps the more confident alignment; a paragraph already aligned
# to the new outcome keeps its own.
_CARRY_OVER = """
    INSERT INTO paragraph_outcomes (paragraph_id, outcome_id, school_id, confidence, anchor, notes,
                                    created_by_id, created_at)
    SELECT DISTINCT ON (alignment.paragraph_id, link.new_outcome_id)
           alignment.paragraph_id, link.new_outcome_id, alignment.school_id, alignment.confidence,
           alignment.anchor, alignment.notes, alignment.created_by_id, now()
    FROM paragraph_outcomes alignment
    JOIN outcome_version_links link ON link.old_outcome_id = alignment.outcome_id AND link.status = %(accepted)s
    JOIN learning_outcomes new_outcome ON new_outcome.id = link.new_outcome_id AND new_outcome.framework_id = %(framework)s
    WHERE {scope}
    ORDER BY alignment.paragraph_id, link.new_outcome_id, alignment.confidence DESC, alignment.id
    ON CONFLICT (paragraph_id, outcome_id) DO NOTHING
"""


@dataclass(frozen=True)
class LeftBehind:
    """An old outcome with alignments that no accepted link carries over."""

    code: str
    title_ru: str
    alignments: int


@dataclass
class CarryOverReport:
    framework: Framework
    carried: int
    text_changed: list[TextChange]
    left_behind: list[LeftBehind]


def alignments_carry_over(*, framework: Framework) -> CarryOverReport:
    """Align every paragraph aligned to an outcome of the previous version also to the new outcome
    of each accepted link, in one transaction; the old alignments stay (the old version stays
    readable). A methodologist carries every school's and the global alignments; a school its own.

    Safe to repeat: alignments that exist already are kept as they are.
    """
    context = current_context()
    if not context.super_admin and context.school_id is None:
        raise PermissionDenied(_("Sign in as a methodologist or a school's staff to carry alignments over."))
    if framework.previous_version_id is None:
        raise ValidationError(
            _("“%(framework)s” is not a new version of another framework.") % {"framework": framework.code},
            code="no_previous_version",
        )
    scope = "true" if context.super_admin else "alignment.school_id = %(school)s"
    params = {"framework": framework.pk, "school": context.school_id, "accepted": OutcomeVersionLink.Status.ACCEPTED}
    with user_errors_from_database(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CARRY_OVER.format(scope=scope), params)
        carried = cursor.rowcount
    alignments = ParagraphOutcome.objects.all() if context.super_admin else ParagraphOutcome.objects.filter(school_id=context.school_id)
    left_behind = (
        LearningOutcome.objects.filter(framework_id=framework.previous_version_id)
        .exclude(links_to_newer__status=OutcomeVersionLink.Status.ACCEPTED)
        .filter(paragraph_links__in=alignments)
        .annotate(alignments=Count("paragraph_links"))
        .order_by("code_sort")
        .values_list("code", "title_ru", "alignments")
    )
    return CarryOverReport(
        framework=framework,
        carried=carried,
        text_changed=version_text_changes(framework=framework),
        left_behind=[LeftBehind(*row) for row in left_behind],
    )


# What makes a chapter or a paragraph of a fork differ from its source.
CHAPTER_FIELDS = ("title", "description", "sort_order")
PARAGRAPH_FIELDS = (
    "title", "content", "summary", "learning_objective", "lesson_objective", "key_terms", "questions", "sort_order",
)


@dataclass(frozen=True)
class ContentChange:
    chapter_number: int
    paragraph_number: int | None  # None: the chapter itself
    title: str
    fields: tuple[str, ...] = ()  # for a change: the fields that differ

    @property
    def is_chapter(self) -> bool:
        return self.paragraph_number is None


@dataclass
class ForkUpdate:
    fork: Textbook
    source: Textbook
    available: bool  # the source's version is newer than the one the fork was copied from
    added: list[ContentChange] = field(default_factory=list)  # in the source, not in the fork
    changed: list[ContentChange] = field(default_factory=list)
    removed: list[ContentChange] = field(default_factory=list)  # in the fork, not in the source


def _content(textbook_ids):
    """{textbook id: {(chapter number, paragraph number or None): row}} in two queries."""
    content = {textbook_id: {} for textbook_id in textbook_ids}
    for chapter in Chapter.objects.filter(textbook_id__in=textbook_ids).values("textbook_id", "number", *CHAPTER_FIELDS):
        content[chapter["textbook_id"]][(chapter["number"], None)] = chapter
    paragraphs = Paragraph.objects.filter(chapter__textbook_id__in=textbook_ids).values(
        "chapter__textbook_id", "chapter__number", "number", *PARAGRAPH_FIELDS
    )
    for paragraph in paragraphs:
        content[paragraph["chapter__textbook_id"]][(paragraph["chapter__number"], paragraph["number"])] = paragraph
    return content


def _order(key):
    chapter_number, paragraph_number = key
    return chapter_number, -1 if paragraph_number is None else paragraph_number


def fork_update_info(*, fork: Textbook) -> ForkUpdate | None:
    """Whether the fork's source textbook changed since the fork was copied and, if so, how the
    source's current chapters and paragraphs (matched by number) differ from the fork's. None for a
    textbook that is not a fork of a (still existing) global textbook. At most three queries."""
    if fork.global_textbook_id is None:
        return None
    source = Textbook.objects.filter(pk=fork.global_textbook_id).first()
    if source is None:
        return None
    update = ForkUpdate(fork=fork, source=source, available=(fork.source_version or 0) < source.version)
    if not update.available:
        return update
    content = _content([fork.pk, source.pk])
    ours, theirs = content[fork.pk], content[source.pk]
    for key in sorted(theirs.keys() | ours.keys(), key=_order):
        row = theirs.get(key) or ours[key]
        change = ContentChange(chapter_number=key[0], paragraph_number=key[1], title=row["title"])
        if key not in ours:
            update.added.append(change)
        elif key not in theirs:
            update.removed.append(change)
        else:
            fields = CHAPTER_FIELDS if key[1] is None else PARAGRAPH_FIELDS
            if differing := tuple(name for name in fields if ours[key][name] != theirs[key][name]):
                update.changed.append(ContentChange(key[0], key[1], row["title"], differing))
    return update

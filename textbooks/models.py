"""Textbook content and its alignment to GOSO learning outcomes.

A textbook with no school is global (national) content; a school's textbook is its own, often a fork
of a global one. `school_id` is copied onto chapters, paragraphs and paragraph_outcomes so that the
row-level security policies are plain indexed predicates; database triggers keep the copy equal to
the textbook's school (textbooks/migrations), so no code path can get it wrong.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Now
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _

from curriculum.models import (
    CONTENT_TEXT, LONG_TEXT, SHORT_TEXT, BoundedTextField, ExternalItem, GradeField, LearningOutcome, Subject,
    grade_range_check, text_length_check,
)


def school_field():
    # Filled in by the database from the parent row (trigger), never by a form.
    return models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, null=True, blank=True, editable=False, related_name="+",
        db_index=True, verbose_name=_("school"),
    )


def json_array_check(field, name, message):
    return models.CheckConstraint(
        condition=models.lookups.Exact(Func(F(field), function="jsonb_typeof", output_field=models.TextField()), "array"),
        name=name,
        violation_error_message=message,
    )


MAX_LIST_ITEMS = 200  # key terms or questions of one paragraph


def _list_size_message() -> str:
    return gettext("At most %(items)s items of at most %(length)s characters each.") % {
        "items": MAX_LIST_ITEMS, "length": SHORT_TEXT,
    }


list_size_message = lazy(_list_size_message, str)


def validate_paragraph_list(value) -> None:
    """Key terms (texts) or questions ({"text": ...}): a bounded list of bounded texts."""
    if not isinstance(value, list):
        return  # the JSON type is the field's own check (json_array_check)
    texts = [item.get("text") if isinstance(item, dict) else item for item in value]
    if len(value) > MAX_LIST_ITEMS or any(isinstance(text, str) and len(text) > SHORT_TEXT for text in texts):
        raise ValidationError(list_size_message(), code="list_size")


class JsonArrayLength(Func):
    """The length of a JSON array, 0 for anything else (whose type json_array_check refuses)."""

    template = "(CASE WHEN jsonb_typeof(%(expressions)s) = 'array' THEN jsonb_array_length(%(expressions)s) ELSE 0 END)"
    output_field = models.IntegerField()


def json_array_size_check(field, name):
    return models.CheckConstraint(
        condition=models.lookups.LessThanOrEqual(JsonArrayLength(F(field)), MAX_LIST_ITEMS),
        name=name,
        violation_error_message=list_size_message(),
    )


class Language(models.TextChoices):
    KAZAKH = "kk", _("Kazakh")
    RUSSIAN = "ru", _("Russian")


class TextbookManager(models.Manager):
    """Leaves out a copy's record of what it copied (source_snapshot: up to megabytes per copy), which
    only fork updates read (textbooks/fork_updates.py, with .defer(None))."""

    def get_queryset(self):
        return super().get_queryset().defer("source_snapshot")


class Textbook(models.Model):
    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, null=True, blank=True, related_name="textbooks",
        verbose_name=_("school"), help_text=_("Empty for global (national) content."),
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="textbooks", verbose_name=_("subject"))
    title = models.CharField(_("title"), max_length=500)
    grade_level = GradeField(_("grade"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.RUSSIAN)
    author = models.CharField(_("authors"), max_length=500, blank=True)
    publisher = models.CharField(_("publisher"), max_length=255, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=32, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    global_textbook = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="forks",
        verbose_name=_("forked from"),
    )
    source_version = models.PositiveIntegerField(_("source version"), null=True, blank=True)
    # For a fork: the global textbook's content as this copy last took it over (at the copy, then
    # per chapter/paragraph at each applied update): the base of the three-way comparison
    # (textbooks/fork_updates.py). Written by the database function textbook_content()
    # (textbooks/migrations/0006_fork_updates); null: not known (a copy made before it was recorded).
    source_snapshot = models.JSONField(_("copied content"), null=True, blank=True, editable=False)
    # Set by the database: when the textbook was created, then when its content (chapters,
    # paragraphs) last raised its version (textbooks/migrations/0003).
    content_updated_at = models.DateTimeField(_("content updated at"), db_default=Now(), editable=False)
    # Set by the database whenever the school edits its copy (textbooks/migrations/0006_fork_updates).
    is_customized = models.BooleanField(_("customized"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TextbookManager()

    class Meta:
        db_table = "textbooks"
        ordering = ["subject_id", "grade_level", "title"]
        verbose_name = _("textbook")
        verbose_name_plural = _("textbooks")
        indexes = [
            models.Index(fields=["school"], name="textbooks_school_idx"),
            # A school's textbook list, global ones and its own, each in list order (selectors.SchoolPages).
            models.Index(
                fields=["subject", "grade_level", "title", "id"], condition=Q(school__isnull=True),
                name="textbooks_global_order",
            ),
            models.Index(
                fields=["school", "subject", "grade_level", "title", "id"], condition=Q(school__isnull=False),
                name="textbooks_school_order",
            ),
        ]
        constraints = [
            grade_range_check("grade_level", "textbooks_grade_range"),
            models.UniqueConstraint(
                fields=["school", "global_textbook"], condition=Q(global_textbook__isnull=False),
                name="textbooks_one_fork_per_school",
                violation_error_message=_("This school already has a copy of this textbook."),
            ),
            models.CheckConstraint(
                condition=Q(global_textbook__isnull=True) | Q(school__isnull=False),
                name="textbooks_forks_belong_to_a_school",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.grade_level})"

    @property
    def is_global(self) -> bool:
        return self.school_id is None


class Chapter(models.Model):
    textbook = models.ForeignKey(Textbook, on_delete=models.CASCADE, related_name="chapters", verbose_name=_("textbook"))
    school = school_field()
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=500)
    description = BoundedTextField(_("description"), max_length=LONG_TEXT, blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        db_table = "chapters"
        ordering = ["textbook_id", "sort_order", "number"]
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        constraints = [
            models.UniqueConstraint(fields=["textbook", "number"], name="chapters_number_unique_per_textbook"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class Paragraph(models.Model):
    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="paragraphs", verbose_name=_("chapter"))
    school = school_field()
    number = models.PositiveIntegerField(_("number"))
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    title = models.CharField(_("title"), max_length=500)
    content = BoundedTextField(_("content"), max_length=CONTENT_TEXT, blank=True)
    summary = BoundedTextField(_("summary"), max_length=LONG_TEXT, blank=True)
    learning_objective = BoundedTextField(_("learning objective"), max_length=SHORT_TEXT, blank=True)
    lesson_objective = BoundedTextField(_("lesson objective"), max_length=SHORT_TEXT, blank=True)
    key_terms = models.JSONField(_("key terms"), default=list, blank=True, validators=[validate_paragraph_list])
    questions = models.JSONField(_("questions"), default=list, blank=True, validators=[validate_paragraph_list])

    class Meta:
        db_table = "paragraphs"
        ordering = ["chapter_id", "sort_order", "number"]
        verbose_name = _("paragraph")
        verbose_name_plural = _("paragraphs")
        constraints = [
            models.UniqueConstraint(fields=["chapter", "number"], name="paragraphs_number_unique_per_chapter"),
            json_array_check("key_terms", "paragraphs_key_terms_is_list", _("Key terms must be a list.")),
            json_array_check("questions", "paragraphs_questions_is_list", _("Questions must be a list.")),
            json_array_size_check("key_terms", "paragraphs_key_terms_size"),
            json_array_size_check("questions", "paragraphs_questions_size"),
            text_length_check("content", CONTENT_TEXT, "paragraphs_content_length"),
        ]

    def __str__(self):
        return f"§{self.number}. {self.title}"


class Alignment(models.Model):
    """What a paragraph's alignment has, whatever it is aligned to (a GOSO outcome: ParagraphOutcome; an
    external item: ExternalAlignment): the school copied from the paragraph by the database, the
    aligner's confidence, notes and who created it when. Each subclass declares its paragraph (its own
    reverse name), its target and its table's constraints (alignment_checks)."""

    school = school_field()
    confidence = models.DecimalField(
        _("confidence"), max_digits=3, decimal_places=2, default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    notes = BoundedTextField(_("notes"), max_length=SHORT_TEXT, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True


def alignment_checks(table):
    """The database's side of Alignment's confidence range and notes limit, named after the table."""
    return [
        models.CheckConstraint(
            condition=Q(confidence__gte=0, confidence__lte=1), name=f"{table}_confidence_range",
            violation_error_message=_("Confidence must be between 0 and 1."),
        ),
        text_length_check("notes", SHORT_TEXT, f"{table}_notes_length"),
    ]


class ParagraphOutcome(Alignment):
    """A paragraph teaches a learning outcome (an alignment), with the aligner's confidence."""

    paragraph = models.ForeignKey(Paragraph, on_delete=models.CASCADE, related_name="outcome_links", verbose_name=_("paragraph"))
    outcome = models.ForeignKey(LearningOutcome, on_delete=models.PROTECT, related_name="paragraph_links", verbose_name=_("learning outcome"))
    anchor = models.CharField(_("anchor"), max_length=255, blank=True, help_text=_("Where in the paragraph the outcome is taught."))

    class Meta:
        db_table = "paragraph_outcomes"
        ordering = ["paragraph_id", "outcome_id"]
        verbose_name = _("paragraph alignment")
        verbose_name_plural = _("paragraph alignments")
        indexes = [
            # A school's list (textbooks.selectors.AlignmentPages) reads the global rows and its own from
            # these two, already in list order and without the heap (index-only): its cost follows the
            # school, not the number of schools. Global rows have an index of their own because
            # `school_id IS NULL` is no equality: the planner would not take (school, paragraph, outcome)
            # as ordered by (paragraph, outcome) for them.
            models.Index(
                fields=["paragraph", "outcome"], include=["id"], condition=Q(school__isnull=True),
                name="alignments_global_order",
            ),
            models.Index(
                fields=["school", "paragraph", "outcome"], include=["id"], condition=Q(school__isnull=False),
                name="alignments_school_order",
            ),
            # An outcome's paragraphs: the global ones and the school's own, not every school's.
            models.Index(fields=["outcome", "school"], name="alignments_outcome_school"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["paragraph", "outcome"], name="paragraph_outcomes_unique",
                violation_error_message=_("This paragraph is already aligned to this outcome."),
            ),
            *alignment_checks("paragraph_outcomes"),
        ]

    # Raised by the database's check (textbooks/migrations/0004) when a write skips clean().
    database_rule_messages = {
        "paragraph_outcomes_outcome_of_textbook_subject": _("The learning outcome belongs to another subject than the textbook."),
        # The school of copied content follows its textbook (textbooks/migrations/0002), for every level.
        **dict.fromkeys(
            ["chapters_school_is_parents", "paragraphs_school_is_parents", "paragraph_outcomes_school_is_parents"],
            _("Content cannot move to a textbook of another school."),
        ),
        "textbooks_school_is_fixed": _("A textbook cannot move to another school."),
    }

    def __str__(self):
        return f"{self.paragraph} → {self.outcome.code}"

    def clean(self):
        # An outcome of the textbook's subject; another grade is allowed (a revision, a look ahead)
        # and shown as such (is_cross_grade).
        if not (self.paragraph_id and self.outcome_id):
            return
        textbook = self.paragraph.chapter.textbook
        if self.outcome.framework.subject_id != textbook.subject_id:
            raise ValidationError({"outcome": _(
                "Learning outcome %(code)s belongs to the subject “%(outcome_subject)s”, but the textbook is about "
                "“%(textbook_subject)s”."
            ) % {"code": self.outcome.code, "outcome_subject": self.outcome.framework.subject,
                 "textbook_subject": textbook.subject}})

    @property
    def is_cross_grade(self) -> bool:
        """The outcome's grade differs from the textbook's: allowed, but worth a second look."""
        return self.outcome.grade != self.paragraph.chapter.textbook.grade_level


class ExternalAlignment(Alignment):
    """A paragraph teaches an item of an external framework (Cambridge, IB, NIS: curriculum's external
    store), beside or instead of a GOSO outcome. School content like ParagraphOutcome: school_id is
    copied from the paragraph by the database, and row-level security keeps it the school's own."""

    paragraph = models.ForeignKey(
        Paragraph, on_delete=models.CASCADE, related_name="external_links", verbose_name=_("paragraph"),
    )
    external_item = models.ForeignKey(
        ExternalItem, on_delete=models.PROTECT, related_name="paragraph_links", verbose_name=_("external item"),
    )

    class Meta:
        db_table = "paragraph_external_items"
        ordering = ["paragraph_id", "external_item_id"]
        verbose_name = _("external alignment")
        verbose_name_plural = _("external alignments")
        indexes = [models.Index(fields=["external_item"], name="paragraph_external_item_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["paragraph", "external_item"], name="paragraph_external_items_unique",
                violation_error_message=_("This paragraph is already aligned to this external item."),
            ),
            *alignment_checks("paragraph_external_items"),
        ]

    database_rule_messages = {
        "paragraph_external_items_school_is_parents": _("An alignment cannot move to a paragraph of another school."),
    }

    def __str__(self):
        return f"{self.paragraph} → {self.external_item}"


class GlobalRowCount(models.Model):
    """How many global (national) rows a school-content table holds, kept exact by statement triggers
    (textbooks/migrations/0010_global_row_counts). Every school's alignment list counts the global rows
    beside its own (selectors.AlignmentPages); reading them was the most expensive part of the list at
    national size (about 80,000 index entries per request), reading this is one primary-key lookup.
    Outside row-level security (tenants/rls.py TABLES_WITHOUT_RLS): counts, no school's data; the
    runtime roles only read it, the triggers' function (the owner's) writes it."""

    table_name = models.CharField(primary_key=True, max_length=63)
    row_count = models.BigIntegerField()

    class Meta:
        db_table = "global_row_counts"
        default_permissions = ()

    def __str__(self):
        return f"{self.table_name}: {self.row_count}"

"""GOSO reference data: subjects, frameworks, sections, subsections and learning outcomes.

National content: every context reads it, only the super-admin (methodologist) context writes it
(row-level security, see tenants/rls.py). Integrity lives in the database: check constraints here,
and triggers (curriculum/migrations) for rules that span tables (an outcome's code agrees with its
grade and subsection; its subsection belongs to its framework).
"""

import re

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Length
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _

from languages import text_label
from curriculum.codes import (
    MAX_GRADE, MIN_GRADE, OUTCOME_CODE, SECTION_CODE, SUBJECT_CODE, SUBSECTION_CODE, grade_error, outcome_code_error,
    section_code_error, subsection_code_error, validate_grade,
)


class CodeSortKey(Func):
    """'7.2.10.1' -> {7,2,10,1}: codes sort numerically, segment by segment (7.2.10.1 after 7.2.9.1)."""

    template = "(string_to_array(%(expressions)s, '.')::integer[])"
    output_field = ArrayField(models.IntegerField())


def code_sort_field():
    return models.GeneratedField(
        expression=CodeSortKey(F("code")), output_field=ArrayField(models.IntegerField()), db_persist=True
    )


def case_id_field(verbose_name):
    """A CASE identifier (UUIDv5) kept by a database trigger (curriculum/migrations/0005): never written by Python."""
    return models.UUIDField(verbose_name, null=True, blank=True, editable=False, unique=True)


class CaseIdentifiers(models.Model):
    """The stored CASE identifiers of a framework object, one per language (curriculum/case.py): every
    lookup by identifier is one indexed query. A trigger computes them from the framework code and the
    object's code (UUIDv5, the same values as before they were stored), whoever writes the row."""

    case_id_ru = case_id_field(_("CASE identifier (Russian)"))
    case_id_kk = case_id_field(_("CASE identifier (Kazakh)"))
    # The kk object's isTranslationOf association to the ru object.
    case_translation_id = case_id_field(_("CASE translation link"))

    class Meta:
        abstract = True


class CaseTreeIdentifiers(CaseIdentifiers):
    """... and the isChildOf association to the parent, per language."""

    case_link_ru = case_id_field(_("CASE parent link (Russian)"))
    case_link_kk = case_id_field(_("CASE parent link (Kazakh)"))

    class Meta:
        abstract = True


class GradeField(models.PositiveSmallIntegerField):
    """A school grade, MIN_GRADE..MAX_GRADE: subjects' ranges, outcomes, textbooks. The database
    check is grade_range_check() below (a named constraint, so its refusal has a message)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [validate_grade])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs


def _grade_range_message() -> str:
    return gettext("Grade must be between %(lowest)s and %(highest)s.") % {"lowest": MIN_GRADE, "highest": MAX_GRADE}


grade_range_message = lazy(_grade_range_message, str)


def grade_range_check(field, name):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": MIN_GRADE, f"{field}__lte": MAX_GRADE}),
        name=name,
        violation_error_message=grade_range_message(),
    )


class BoundedTextField(models.TextField):
    """Free text with a limit, checked in forms, serializers and full_clean() (a plain TextField's
    max_length only sizes the widget). Texts written in bulk also get text_length_check()."""

    def __init__(self, *args, max_length, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        self.validators.append(MaxLengthValidator(max_length))


def _text_length_message(max_length) -> str:
    return gettext("The text is too long (at most %(max)s characters).") % {"max": max_length}


def text_length_check(field, max_length, name):
    """The database's side of a BoundedTextField's limit (pass the field's own max_length)."""
    return models.CheckConstraint(
        condition=models.lookups.LessThanOrEqual(Length(field), max_length),
        name=name,
        violation_error_message=lazy(_text_length_message, str)(max_length),
    )


# Limits of free text: far above real data (../shared/data), far below what would hurt a list.
SHORT_TEXT = 2_000  # an outcome's text, an objective, an alignment's notes
LONG_TEXT = 20_000  # descriptions, a summary
CONTENT_TEXT = 200_000  # a paragraph's content


class Subject(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=255)
    name_kz = models.CharField(_("name (Kazakh)"), max_length=255, blank=True)
    grade_from = GradeField(_("from grade"))
    grade_to = GradeField(_("to grade"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "subjects"
        ordering = ["name_ru"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=SUBJECT_CODE), name="subjects_code_format",
                violation_error_message=_("Code: use lower-case latin letters, digits and _ (e.g. history_kz)."),
            ),
            grade_range_check("grade_from", "subjects_grade_from_range"),
            grade_range_check("grade_to", "subjects_grade_to_range"),
            models.CheckConstraint(
                condition=Q(grade_from__lte=F("grade_to")), name="subjects_grade_order",
                violation_error_message=_("'From grade' must not be above 'to grade'."),
            ),
        ]

    def __str__(self):
        return text_label(self, "name")


class Framework(CaseIdentifiers):
    """One version of a subject's model curriculum, tied to the ministry order that approved it."""

    code = models.CharField(_("code"), max_length=100, unique=True)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="frameworks", verbose_name=_("subject"))
    title_ru = models.CharField(_("title (Russian)"), max_length=500)
    title_kz = models.CharField(_("title (Kazakh)"), max_length=500, blank=True)
    document_type = models.CharField(_("document type"), max_length=255, blank=True)
    order_number = models.CharField(_("order number"), max_length=50, blank=True)
    order_date = models.DateField(_("order date"), null=True, blank=True)
    ministry_ru = models.CharField(_("ministry (Russian)"), max_length=500, blank=True)
    ministry_kz = models.CharField(_("ministry (Kazakh)"), max_length=500, blank=True)
    appendix_number = models.PositiveIntegerField(_("appendix number"), null=True, blank=True)
    amendments = models.JSONField(_("amendments"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    previous_version = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="next_versions",
        verbose_name=_("previous version"), help_text=_("The version this one was created from."),
    )
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "frameworks"
        ordering = ["subject__name_ru", "code"]
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        indexes = [models.Index(fields=["subject"], name="frameworks_subject_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True) | Q(valid_from__lte=F("valid_to")),
                name="frameworks_validity_order",
                violation_error_message=_("'Valid to' must not be before 'valid from'."),
            ),
        ]

    # Rules the database checks in triggers (curriculum/migrations/0009_superseded_versions_read_only).
    database_rule_messages = {
        "frameworks_superseded_read_only": _(
            "This framework version has been superseded by a newer one and is read-only: make changes in the current version."
        ),
    }

    def __str__(self):
        return text_label(self, "title")


class TreeNode(CaseTreeIdentifiers):
    """What sections and subsections share: a code, names and descriptions in both languages."""

    code_sort = code_sort_field()
    name_ru = models.CharField(_("name (Russian)"), max_length=500)
    name_kz = models.CharField(_("name (Kazakh)"), max_length=500, blank=True)
    description_ru = BoundedTextField(_("description (Russian)"), max_length=LONG_TEXT, blank=True)
    description_kz = BoundedTextField(_("description (Kazakh)"), max_length=LONG_TEXT, blank=True)
    display_order = models.PositiveIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Bumped by the database only when the row's content really changes (CASE lastChangeDateTime).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.code}. {text_label(self, 'name')}"


class Section(TreeNode):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="sections", verbose_name=_("framework"))
    code = models.CharField(_("code"), max_length=10)

    class Meta:
        db_table = "goso_sections"
        ordering = ["framework_id", "code_sort"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="goso_sections_code_unique_per_framework"),
            models.CheckConstraint(
                condition=Q(code__regex=SECTION_CODE), name="goso_sections_code_format",
                violation_error_message=_("Code: a section code is a number, such as 2."),
            ),
        ]

    def clean(self):
        if self.code and (error := section_code_error(self.code)):
            raise ValidationError({"code": error})


class Subsection(TreeNode):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="subsections", verbose_name=_("section"))
    code = models.CharField(_("code"), max_length=20)

    class Meta:
        db_table = "goso_subsections"
        ordering = ["section_id", "code_sort"]
        verbose_name = _("subsection")
        verbose_name_plural = _("subsections")
        constraints = [
            models.UniqueConstraint(fields=["section", "code"], name="goso_subsections_code_unique_per_section"),
            models.CheckConstraint(
                condition=Q(code__regex=SUBSECTION_CODE), name="goso_subsections_code_format",
                violation_error_message=_("Code: a subsection code is section.number, such as 2.1."),
            ),
        ]

    # The trigger's message carries the codes (curriculum/migrations/0002).
    database_rule_messages = {
        "goso_subsections_code_matches_section": lambda refusal: (match := re.search(
            r'subsection code "(?P<code>[^"]*)" does not start with its section code "(?P<section>[^"]*)"', refusal
        )) and subsection_code_error(match["code"], section_code=match["section"]),
    }

    def clean(self):
        if self.code and self.section_id:
            if error := subsection_code_error(self.code, section_code=self.section.code):
                raise ValidationError({"code": error})


class LearningOutcome(CaseTreeIdentifiers):
    """A learning objective. Its code is grade.section.subsection.number (7.2.1.2)."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("framework"))
    subsection = models.ForeignKey(Subsection, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("subsection"))
    grade = GradeField(_("grade"))
    code = models.CharField(_("code"), max_length=30)
    code_sort = code_sort_field()
    title_ru = BoundedTextField(_("text (Russian)"), max_length=SHORT_TEXT)
    title_kz = BoundedTextField(_("text (Kazakh)"), max_length=SHORT_TEXT, blank=True)
    description_ru = BoundedTextField(_("description (Russian)"), max_length=LONG_TEXT, blank=True)
    description_kz = BoundedTextField(_("description (Kazakh)"), max_length=LONG_TEXT, blank=True)
    cognitive_level = models.CharField(_("cognitive level"), max_length=50, blank=True)
    display_order = models.PositiveIntegerField(_("display order"), default=0)
    is_sample = models.BooleanField(
        _("sample"), default=False, help_text=_("Demonstration text, not taken from the ministry's document.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "learning_outcomes"
        ordering = ["framework_id", "code_sort"]
        verbose_name = _("learning outcome")
        verbose_name_plural = _("learning outcomes")
        indexes = [
            models.Index(fields=["framework", "code_sort"], name="learning_outcomes_fw_sort_idx"),
            models.Index(fields=["subsection"], name="learning_outcomes_subsec_idx"),
            # Does a framework contain sample outcomes (CASE adoptionStatus "Draft")?
            models.Index(fields=["framework"], condition=Q(is_sample=True), name="learning_outcomes_samples_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="learning_outcomes_code_unique_per_framework"),
            models.CheckConstraint(
                condition=Q(code__regex=OUTCOME_CODE), name="learning_outcomes_code_format",
                violation_error_message=_("Code: a learning outcome code is grade.section.subsection.number, such as 7.2.1.2."),
            ),
            grade_range_check("grade", "learning_outcomes_grade_range"),
        ]

    # Rules the database checks in triggers (curriculum/migrations), for a write that skips clean().
    database_rule_messages = {
        "learning_outcomes_grade_in_subject_range": _("The outcome's grade is outside its subject's grades."),
        # The trigger's message carries the values; they are read back and said in the user's language.
        "learning_outcomes_code_matches_place": lambda refusal: (match := re.search(
            r'code "(?P<code>[^"]*)" does not agree with grade (?P<grade>\d+) and subsection "(?P<subsection>[^"]*)"', refusal
        )) and outcome_code_error(match["code"], grade=int(match["grade"]), subsection_code=match["subsection"]),
        "learning_outcomes_subsection_in_framework": _("This subsection belongs to another framework."),
    }

    def __str__(self):
        title = text_label(self, "title")
        return f"{self.code} {title if len(title) <= 80 else title[:79] + '…'}"

    def clean(self):
        if self.framework_id and self.grade is not None and not grade_error(self.grade):  # else the field says it
            subject = self.framework.subject
            # The subject's own grades (its frameworks cover only those); the database checks it too.
            if error := grade_error(self.grade, lowest=subject.grade_from, highest=subject.grade_to):
                raise ValidationError({"grade": error})
        if not (self.subsection_id and self.code and self.grade):
            return
        if self.framework_id and self.subsection.section.framework_id != self.framework_id:
            raise ValidationError({"subsection": _("This subsection belongs to another framework.")})
        if error := outcome_code_error(self.code, grade=self.grade, subsection_code=self.subsection.code):
            raise ValidationError({"code": error})


class OutcomeVersionLink(models.Model):
    """An outcome of a framework's previous version and its counterpart in the new version.

    Proposed by curriculum/versions.py (same code, or similar text where the code changed), then
    accepted or rejected by a methodologist; accepted links carry alignments over to the new version.
    An old outcome split in two, or two merged into one, is two links.
    """

    class Kind(models.TextChoices):
        SAME_CODE = "same_code", _("same code")
        SIMILAR_TEXT = "similar_text", _("similar text")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    old_outcome = models.ForeignKey(
        LearningOutcome, on_delete=models.CASCADE, related_name="links_to_newer", verbose_name=_("old outcome")
    )
    new_outcome = models.ForeignKey(
        LearningOutcome, on_delete=models.CASCADE, related_name="links_from_older", verbose_name=_("new outcome")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    similarity = models.DecimalField(
        _("text similarity"), max_digits=4, decimal_places=3,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The CASE replacedBy association (old -> new) per language, kept by a trigger (migration 0005).
    case_id_ru = case_id_field(_("CASE identifier (Russian)"))
    case_id_kk = case_id_field(_("CASE identifier (Kazakh)"))

    class Meta:
        db_table = "outcome_version_links"
        ordering = ["new_outcome_id", "old_outcome_id"]
        verbose_name = _("outcome version link")
        verbose_name_plural = _("outcome version links")
        indexes = [models.Index(fields=["new_outcome"], name="outcome_links_new_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["old_outcome", "new_outcome"], name="outcome_version_links_unique",
                violation_error_message=_("These two outcomes are already linked."),
            ),
            models.CheckConstraint(
                condition=Q(similarity__gte=0, similarity__lte=1), name="outcome_version_links_similarity_range"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["same_code", "similar_text"]), name="outcome_version_links_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "accepted", "rejected"]), name="outcome_version_links_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.old_outcome.code} -> {self.new_outcome.code}"


# External CASE frameworks and crosswalks, and the CASE packages' change times (their own modules; imported
# here so Django registers them).
from curriculum.external_models import (  # noqa: E402,F401
    Crosswalk, ExternalAssociation, ExternalDefinition, ExternalFramework, ExternalItem,
)
from curriculum.case_models import FrameworkChange  # noqa: E402,F401

"""External CASE frameworks (Cambridge, IB, NIS, ...): read-only reference data beside GOSO.

A CASE 1.0 / 1.1 package that is not one of our GOSO frameworks is kept here as it came: every object
(the CFDocument, its CFItems, CFAssociations, CFDefinitions and CFRubrics) keeps its original JSON in
`original` (jsonb), so the package served back is the package received; the columns next to it are
what we query (identifiers for indexed lookups, codes and texts for search, the tree). Identifiers are
the publisher's (unique here, as CASE says they are everywhere). Items and associations that a re-sync
no longer finds are deprecated, never deleted: schools' alignments may point at them.
Everyone reads; only the super-admin (methodologist) context writes (row-level security, tenants/rls.py).
Crosswalks link a GOSO learning outcome to an external item; they are published as CFAssociations in
our GOSO packages.
"""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# curriculum.models imports this module at its end: what it defines before is available.
from curriculum.models import LONG_TEXT, SHORT_TEXT, BoundedTextField, text_length_check


class ExternalFramework(models.Model):
    """One external CFDocument and its package."""

    identifier = models.UUIDField(_("CASE identifier"), unique=True)
    uri = BoundedTextField(_("URI"), max_length=SHORT_TEXT)
    creator = BoundedTextField(_("creator"), max_length=SHORT_TEXT)
    title = BoundedTextField(_("title"), max_length=SHORT_TEXT)
    version = BoundedTextField(_("version"), max_length=SHORT_TEXT, blank=True)
    language = models.CharField(_("language"), max_length=64, blank=True)
    subject = ArrayField(models.TextField(), verbose_name=_("subject"), default=list, blank=True)
    adoption_status = models.CharField(_("adoption status"), max_length=100, blank=True)
    description = BoundedTextField(_("description"), max_length=LONG_TEXT, blank=True)
    publisher = BoundedTextField(_("publisher"), max_length=SHORT_TEXT, blank=True)
    official_source_url = BoundedTextField(_("official source URL"), max_length=SHORT_TEXT, blank=True)
    license_uri = models.JSONField(_("licence"), null=True, blank=True)
    notes = BoundedTextField(_("notes"), max_length=LONG_TEXT, blank=True)
    case_version = models.CharField(_("CASE version"), max_length=20, blank=True)
    framework_type = BoundedTextField(_("framework type"), max_length=SHORT_TEXT, blank=True)
    status_start_date = models.CharField(_("status start date"), max_length=40, blank=True)
    status_end_date = models.CharField(_("status end date"), max_length=40, blank=True)
    last_change_date_time = models.CharField(_("last change (publisher)"), max_length=40, blank=True)
    # The CFDocument as received; top-level package keys we do not know are kept in `package_extras`.
    original = models.JSONField(_("original CFDocument"))
    package_extras = models.JSONField(_("other package keys"), default=dict, blank=True)
    source_url = BoundedTextField(
        _("source URL"), max_length=SHORT_TEXT, blank=True, help_text=_("The CFPackages URL it is synced from."),
    )
    # The last import or re-sync that changed something (one that changes nothing writes nothing).
    last_synced_at = models.DateTimeField(_("last sync"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "external_frameworks"
        ordering = ["title", "id"]
        verbose_name = _("external framework")
        verbose_name_plural = _("external frameworks")

    def __str__(self):
        return self.title


class ExternalItem(models.Model):
    """A CFItem of an external framework. `parent` and `sequence_number` come from its isChildOf
    association (None: a child of the document); alignments of schools may point here."""

    framework = models.ForeignKey(
        ExternalFramework, on_delete=models.CASCADE, related_name="items", verbose_name=_("external framework"),
    )
    identifier = models.UUIDField(_("CASE identifier"), unique=True)
    uri = BoundedTextField(_("URI"), max_length=SHORT_TEXT)
    human_coding_scheme = BoundedTextField(_("code"), max_length=SHORT_TEXT, blank=True)
    full_statement = BoundedTextField(_("full statement"), max_length=LONG_TEXT)
    abbreviated_statement = BoundedTextField(_("abbreviated statement"), max_length=LONG_TEXT, blank=True)
    alternative_label = BoundedTextField(_("alternative label"), max_length=SHORT_TEXT, blank=True)
    item_type = BoundedTextField(_("item type"), max_length=SHORT_TEXT, blank=True)
    item_type_identifier = models.UUIDField(_("item type identifier"), null=True, blank=True)
    item_type_uri = BoundedTextField(_("item type URI"), max_length=SHORT_TEXT, blank=True)
    education_level = ArrayField(models.TextField(), verbose_name=_("education level"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=64, blank=True)
    list_enumeration = BoundedTextField(_("list enumeration"), max_length=SHORT_TEXT, blank=True)
    notes = BoundedTextField(_("notes"), max_length=LONG_TEXT, blank=True)
    status_start_date = models.CharField(_("status start date"), max_length=40, blank=True)
    status_end_date = models.CharField(_("status end date"), max_length=40, blank=True)
    last_change_date_time = models.CharField(_("last change (publisher)"), max_length=40, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children", verbose_name=_("parent"),
    )
    sequence_number = models.IntegerField(_("sequence number"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position in the package"), default=0)
    is_deprecated = models.BooleanField(
        _("deprecated"), default=False, help_text=_("No longer in the package since a re-sync; kept for alignments."),
    )
    original = models.JSONField(_("original CFItem"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "external_items"
        ordering = ["framework_id", "position"]
        verbose_name = _("external item")
        verbose_name_plural = _("external items")
        indexes = [
            models.Index(fields=["framework", "position"], name="external_items_position_idx"),
            models.Index(fields=["parent"], name="external_items_parent_idx"),
        ]

    def __str__(self):
        text = self.abbreviated_statement or self.full_statement
        return f"{self.human_coding_scheme} {text}".strip()[:200]


class ExternalAssociation(models.Model):
    """A CFAssociation of an external package, any type (isChildOf, exactMatchOf, isRelatedTo, precedes,
    ext:...). Its ends are identifiers (they may lie outside the package); `origin_item` and
    `destination_item` name them where they are items we hold."""

    framework = models.ForeignKey(
        ExternalFramework, on_delete=models.CASCADE, related_name="associations", verbose_name=_("external framework"),
    )
    identifier = models.UUIDField(_("CASE identifier"), unique=True)
    uri = BoundedTextField(_("URI"), max_length=SHORT_TEXT)
    association_type = models.CharField(_("association type"), max_length=200)
    origin_identifier = models.UUIDField(_("origin identifier"))
    origin_uri = BoundedTextField(_("origin URI"), max_length=SHORT_TEXT, blank=True)
    origin_title = BoundedTextField(_("origin title"), max_length=SHORT_TEXT, blank=True)
    destination_identifier = models.UUIDField(_("destination identifier"))
    destination_uri = BoundedTextField(_("destination URI"), max_length=SHORT_TEXT, blank=True)
    destination_title = BoundedTextField(_("destination title"), max_length=SHORT_TEXT, blank=True)
    origin_item = models.ForeignKey(
        ExternalItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("origin item"),
    )
    destination_item = models.ForeignKey(
        ExternalItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("destination item"),
    )
    sequence_number = models.IntegerField(_("sequence number"), null=True, blank=True)
    grouping_identifier = models.UUIDField(_("association grouping"), null=True, blank=True)
    last_change_date_time = models.CharField(_("last change (publisher)"), max_length=40, blank=True)
    position = models.PositiveIntegerField(_("position in the package"), default=0)
    is_deprecated = models.BooleanField(_("deprecated"), default=False)
    original = models.JSONField(_("original CFAssociation"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "external_associations"
        ordering = ["framework_id", "position"]
        verbose_name = _("external association")
        verbose_name_plural = _("external associations")
        indexes = [
            models.Index(fields=["framework", "position"], name="external_assoc_position_idx"),
            models.Index(fields=["origin_identifier"], name="external_assoc_origin_idx"),
            models.Index(fields=["destination_identifier"], name="external_assoc_destination_idx"),
        ]

    def __str__(self):
        return f"{self.origin_title or self.origin_identifier} {self.association_type} " \
               f"{self.destination_title or self.destination_identifier}"


class ExternalDefinition(models.Model):
    """A CFDefinitions entry (concept, subject, licence, item type, association grouping) or a CFRubric
    of an external package. Packages may share one (an item type used by several documents), so the
    identifier is unique per framework only."""

    class Kind(models.TextChoices):
        CONCEPT = "CFConcepts", "CFConcept"
        SUBJECT = "CFSubjects", "CFSubject"
        LICENSE = "CFLicenses", "CFLicense"
        ITEM_TYPE = "CFItemTypes", "CFItemType"
        ASSOCIATION_GROUPING = "CFAssociationGroupings", "CFAssociationGrouping"
        RUBRIC = "CFRubrics", "CFRubric"

    framework = models.ForeignKey(
        ExternalFramework, on_delete=models.CASCADE, related_name="definitions", verbose_name=_("external framework"),
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    identifier = models.UUIDField(_("CASE identifier"))
    uri = BoundedTextField(_("URI"), max_length=SHORT_TEXT, blank=True)
    title = BoundedTextField(_("title"), max_length=SHORT_TEXT, blank=True)
    position = models.PositiveIntegerField(_("position in the package"), default=0)
    is_deprecated = models.BooleanField(_("deprecated"), default=False)
    original = models.JSONField(_("original definition"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "external_definitions"
        ordering = ["framework_id", "kind", "position"]
        verbose_name = _("external definition")
        verbose_name_plural = _("external definitions")
        indexes = [models.Index(fields=["identifier"], name="external_definitions_id_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "kind", "identifier"], name="external_definitions_unique",
                violation_error_message=_("This definition is already in the framework."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.title or self.identifier}"


class Crosswalk(models.Model):
    """A GOSO learning outcome linked to an external item by a methodologist; published in our GOSO
    packages as a CFAssociation (the outcome is the origin), one identifier per package language."""

    class AssociationType(models.TextChoices):
        EXACT_MATCH_OF = "exactMatchOf", _("exact match of")
        IS_RELATED_TO = "isRelatedTo", _("is related to")
        IS_PART_OF = "isPartOf", _("is part of")

    outcome = models.ForeignKey(
        "curriculum.LearningOutcome", on_delete=models.CASCADE, related_name="crosswalks",
        verbose_name=_("learning outcome"),
    )
    external_item = models.ForeignKey(
        ExternalItem, on_delete=models.CASCADE, related_name="crosswalks", verbose_name=_("external item"),
    )
    association_type = models.CharField(_("association type"), max_length=20, choices=AssociationType.choices)
    notes = BoundedTextField(_("notes"), max_length=SHORT_TEXT, blank=True)
    case_id_ru = models.UUIDField(_("CASE identifier (Russian)"), default=uuid.uuid4, unique=True, editable=False)
    case_id_kk = models.UUIDField(_("CASE identifier (Kazakh)"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "outcome_crosswalks"
        ordering = ["outcome_id", "external_item_id"]
        verbose_name = _("crosswalk")
        verbose_name_plural = _("crosswalks")
        indexes = [models.Index(fields=["external_item"], name="outcome_crosswalks_item_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["outcome", "external_item", "association_type"], name="outcome_crosswalks_unique",
                violation_error_message=_("This outcome is already linked to this item in this way."),
            ),
            models.CheckConstraint(
                condition=Q(association_type__in=["exactMatchOf", "isRelatedTo", "isPartOf"]),
                name="outcome_crosswalks_type_valid",
            ),
            text_length_check("notes", SHORT_TEXT, "outcome_crosswalks_notes_length"),
        ]

    def __str__(self):
        return f"{self.outcome.code} {self.association_type} {self.external_item}"

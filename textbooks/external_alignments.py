"""Alignments of paragraphs to items of external frameworks (Cambridge, IB, NIS: curriculum's
external store): writes (services) and reads (selectors), keyword-only.

They sit beside the GOSO alignments (ParagraphOutcome) and follow the same rules: a school aligns only
its own paragraphs (row-level security refuses anything else), a global textbook's alignments are
global rows, and a fork copies them (textbooks/services.py). A deprecated item (gone from its package
since a re-sync) keeps the alignments it has but takes no new ones.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from curriculum.models import ExternalItem
from database_errors import user_errors_from_database
from tenants.context import TenantContext
from textbooks.models import ExternalAlignment, Paragraph
from textbooks.selectors import visible_to

EDITABLE_FIELDS = frozenset({"confidence", "notes"})


def external_alignment_list(*, context: TenantContext) -> QuerySet:
    return (
        visible_to(
            ExternalAlignment.objects.select_related("external_item__framework", "paragraph__chapter__textbook"),
            context=context,
        )
        .order_by("paragraph_id", "external_item__framework_id", "external_item__position", "id")
    )


def external_items_for_alignment() -> QuerySet:
    """Items a paragraph may be aligned to: every current item of every external framework."""
    return ExternalItem.objects.filter(is_deprecated=False).select_related("framework")


def external_item_check(*, external_item: ExternalItem) -> None:
    if external_item.is_deprecated:
        raise ValidationError(
            {"external_item": _(
                "“%(item)s” is no longer in its framework (deprecated at the last sync): choose a current item."
            ) % {"item": external_item}},
            code="deprecated_item",
        )


def external_alignment_create(
    *, paragraph: Paragraph, external_item: ExternalItem, created_by=None, confidence=None, notes: str = "",
) -> ExternalAlignment:
    """Align a paragraph to an external item. Only the paragraph's school (or a methodologist) may;
    the database refuses anyone else."""
    external_item_check(external_item=external_item)
    alignment = ExternalAlignment(
        paragraph=paragraph, external_item=external_item, created_by=created_by, notes=notes,
        confidence=Decimal("1.00") if confidence is None else confidence,
    )
    alignment.full_clean(exclude=["paragraph", "external_item"], validate_unique=False, validate_constraints=False)
    with user_errors_from_database(), transaction.atomic():
        alignment.save()
    return alignment


def external_alignment_update(*, alignment: ExternalAlignment, **fields) -> ExternalAlignment:
    if unknown := set(fields) - EDITABLE_FIELDS:
        raise ValueError(f"cannot update {sorted(unknown)}; allowed: {sorted(EDITABLE_FIELDS)}")
    for name, value in fields.items():
        setattr(alignment, name, value)
    alignment.full_clean(exclude=["paragraph", "external_item"], validate_unique=False, validate_constraints=False)
    with user_errors_from_database(), transaction.atomic():
        rows = ExternalAlignment.objects.filter(pk=alignment.pk)
        # With nothing to change, still refuse a row that is not the caller's (RLS applies the UPDATE
        # policies to SELECT ... FOR UPDATE).
        updated = rows.update(**fields) if fields else len(rows.select_for_update().values_list("pk", flat=True))
    if not updated:
        raise PermissionDenied(_("You are not allowed to change this alignment."))
    return alignment


def external_alignment_delete(*, alignment: ExternalAlignment) -> None:
    with user_errors_from_database(), transaction.atomic():
        deleted, _details = ExternalAlignment.objects.filter(pk=alignment.pk).delete()
    if not deleted:
        raise PermissionDenied(_("You are not allowed to delete this alignment."))

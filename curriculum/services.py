"""Writes on GOSO reference data (services: keyword-only arguments, one transaction each).

Only the super-admin (methodologist) context writes GOSO; row-level security refuses every other
context, and the check below says so clearly before the database has to. Items are deactivated,
never deleted: alignments and history keep pointing at them.
"""

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from tenants.context import require_super_admin
from database_errors import user_errors_from_database

GOSO_WRITERS_ONLY = _("Only methodologists may change the national standard (GOSO).")


def _save(item: models.Model) -> models.Model:
    item.full_clean()
    with user_errors_from_database(), transaction.atomic():
        item.save()
    return item


def goso_item_create(*, model: type[models.Model], **fields) -> models.Model:
    """Create a subject, framework, section, subsection or learning outcome."""
    require_super_admin(GOSO_WRITERS_ONLY)
    return _save(model(**fields))


def goso_item_update(*, item: models.Model, **fields) -> models.Model:
    require_super_admin(GOSO_WRITERS_ONLY)
    for name, value in fields.items():
        setattr(item, name, value)
    return _save(item)


def goso_item_deactivate(*, item: models.Model) -> models.Model:
    return goso_item_update(item=item, is_active=False)

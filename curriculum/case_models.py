"""Bookkeeping of the CASE service: when each GOSO framework's published packages last changed.

The CFDocument's lastChangeDateTime and its package's Last-Modified are the last change of anything in
the package (mirrors re-fetch a package when its document's time moves). Computed on read, that was a
MAX(updated_at) over every row of the framework and over its crosswalks (10 ms at 10,000 outcomes, per
request); kept here instead by statement triggers on the tables a package is made of (migration 0013), it
is one primary-key lookup whatever the framework's size, and deletions move it too (a MAX never sees a
row that is gone).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from curriculum.models import Framework


class FrameworkChange(models.Model):
    """The framework's last content change (sections, subsections, outcomes, crosswalks, accepted version
    links, crosswalked external items). Written only by the triggers; no row: nothing changed since the
    framework itself (Framework.updated_at)."""

    # The foreign key is the database's own, ON DELETE CASCADE (migration 0013): Django's collector would
    # delete this row before the framework's outcomes, whose deletion triggers write it again.
    framework = models.OneToOneField(
        Framework, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="case_change",
        verbose_name=_("framework"),
    )
    changed_at = models.DateTimeField(_("content changed at"))

    class Meta:
        db_table = "framework_changes"
        verbose_name = _("framework content change")
        verbose_name_plural = _("framework content changes")

    def __str__(self):
        return f"{self.framework_id} {self.changed_at.isoformat()}"

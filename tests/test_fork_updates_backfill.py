"""textbooks/migrations/0006_fork_updates: the backfill of the copies' base (source_snapshot), computed once
per global textbook, gives each up-to-date copy exactly textbook_content() of its source and leaves older
copies without a base; the subject check it turns off for the statement is on again afterwards."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import F

from tenants.context import super_admin_context, tenant_context
from tests.conftest import make_textbook
from textbooks.models import Paragraph, ParagraphOutcome, Textbook
from textbooks.services import textbook_fork


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_the_backfill_sets_each_up_to_date_copy_to_its_sources_content(subject, outcome, school_a, school_b):
    with super_admin_context():
        source = make_textbook(subject, chapters=2, paragraphs=2)
        other_source = make_textbook(subject, title="Другой учебник", chapters=1, paragraphs=3)
        for paragraph in Paragraph.objects.filter(chapter__textbook__in=[source, other_source]):
            ParagraphOutcome.objects.create(paragraph=paragraph, outcome=outcome, confidence=Decimal("0.75"))
    with tenant_context(school_id=school_a.pk):
        stale = textbook_fork(textbook=source, school=school_a)
    with super_admin_context():  # the source moves on: school A's copy no longer matches it
        Textbook.objects.filter(pk=source.pk).update(version=F("version") + 1)
    with tenant_context(school_id=school_b.pk):
        current = textbook_fork(textbook=source, school=school_b)
        current_other = textbook_fork(textbook=other_source, school=school_b)

    call_command("migrate", "textbooks", "0005", verbosity=0)
    try:
        call_command("migrate", "textbooks", "0006", verbosity=0)
        # textbook_content() as 0006 defines it (later migrations extend it and the stored bases with it).
        with super_admin_context(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT fork.id, fork.source_snapshot, textbook_content(fork.global_textbook_id) FROM textbooks fork "
                "WHERE fork.id = ANY (%s) ORDER BY fork.id",
                [[stale.pk, current.pk, current_other.pk]],
            )
            rows = {row[0]: row[1:] for row in cursor.fetchall()}
    finally:
        call_command("migrate", verbosity=0)
    assert rows[stale.pk][0] is None  # base unknown
    for fork in (current, current_other):
        snapshot, content = rows[fork.pk]
        assert snapshot == content and len(snapshot) > 2, fork  # chapters and paragraphs with their alignments
    assert rows[current.pk][0] != rows[current_other.pk][0]
    with connections["owner"].cursor() as cursor:
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'textbooks_alignment_subjects'")
        assert cursor.fetchone() == ("O",)  # enabled again

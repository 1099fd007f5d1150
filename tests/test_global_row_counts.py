"""global_row_counts (textbooks/migrations/0010): the number of global alignments, kept exact by statement
triggers, so a school's alignment list counts the global rows with one primary-key lookup."""

import pytest
from django.db import ProgrammingError, connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from tenants.context import TenantContext, super_admin_context, tenant_context
from tests.api_support import API, api_client
from tests.conftest import make_textbook
from textbooks import selectors
from textbooks.models import GlobalRowCount, Paragraph, ParagraphOutcome


def counted() -> int:
    row = GlobalRowCount.objects.filter(table_name="paragraph_outcomes").first()
    return 0 if row is None else row.row_count


def actual() -> int:
    with super_admin_context():
        return ParagraphOutcome.objects.filter(school__isnull=True).count()


@pytest.fixture
def second_outcome(outcome):
    from curriculum.models import LearningOutcome

    with super_admin_context():
        return LearningOutcome.objects.create(
            framework=outcome.framework, subsection=outcome.subsection, grade=7, code="7.2.1.2", title_ru="вторая цель",
        )


@pytest.fixture
def global_paragraphs(subject):
    with super_admin_context():
        textbook = make_textbook(subject, title="Национальный учебник", paragraphs=4)
        return list(Paragraph.objects.filter(chapter__textbook=textbook))


def test_global_inserts_and_deletes_move_the_count_school_rows_do_not(global_paragraphs, paragraph_a, outcome,
                                                                       second_outcome, school_a):
    start = counted()
    with super_admin_context():
        ParagraphOutcome.objects.bulk_create(
            [ParagraphOutcome(paragraph=paragraph, outcome=outcome) for paragraph in global_paragraphs]
        )
        ParagraphOutcome.objects.create(paragraph=global_paragraphs[0], outcome=second_outcome)
    assert counted() == start + 5 == actual()

    with tenant_context(school_id=school_a.pk):
        ParagraphOutcome.objects.create(paragraph=paragraph_a, outcome=outcome)
        ParagraphOutcome.objects.filter(paragraph=paragraph_a).update(notes="своя заметка")
    assert counted() == start + 5 == actual()

    with super_admin_context():
        ParagraphOutcome.objects.filter(paragraph__in=global_paragraphs[:2]).update(notes="правка")
        ParagraphOutcome.objects.filter(paragraph__in=global_paragraphs[:2]).delete()
        ParagraphOutcome.objects.filter(paragraph=paragraph_a).delete()  # a school row: no change
    assert counted() == start + 2 == actual()


def test_a_rolled_back_write_leaves_the_count(global_paragraph, outcome):
    start = counted()
    with pytest.raises(RuntimeError), transaction.atomic(), super_admin_context():
        ParagraphOutcome.objects.create(paragraph=global_paragraph, outcome=outcome)
        assert counted() == start + 1
        raise RuntimeError("undo")
    assert counted() == start == actual()


@pytest.mark.parametrize("statement", [
    "UPDATE global_row_counts SET row_count = 0",
    "INSERT INTO global_row_counts VALUES ('paragraph_outcomes', 1)",
    "DELETE FROM global_row_counts",
])
def test_the_runtime_roles_only_read_the_counts(global_alignment, statement):
    for context in (super_admin_context(), tenant_context()):
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic(), context:
            with connection.cursor() as cursor:
                cursor.execute(statement)
    assert counted() == actual() >= 1


def _list(client, **query):
    with CaptureQueriesContext(connection) as captured:
        body = client.get(f"{API}/alignments/", {"page_size": 2, **query}).json()
    return body, [entry["sql"] for entry in captured.captured_queries if "count(" in entry["sql"]]


def test_a_schools_list_counts_global_rows_from_the_kept_count(admin_a, global_paragraphs, paragraph_a, outcome,
                                                                 second_outcome, school_a):
    with super_admin_context():
        ParagraphOutcome.objects.bulk_create(
            [ParagraphOutcome(paragraph=paragraph, outcome=outcome) for paragraph in global_paragraphs]
            + [ParagraphOutcome(paragraph=global_paragraphs[0], outcome=second_outcome),
               ParagraphOutcome(paragraph=paragraph_a, outcome=outcome)]
        )
        expected = ParagraphOutcome.objects.filter(Q(school__isnull=True) | Q(school=school_a)).count()
    client = api_client(admin_a)

    body, (count_sql,) = _list(client)
    assert body["count"] == expected == 6
    assert "global_row_counts" in count_sql  # unfiltered: the kept count, not the index

    body, (count_sql,) = _list(client, outcome=outcome.pk)
    assert body["count"] == 5 and "global_row_counts" not in count_sql  # filtered: counted in the index



def test_a_missing_count_row_is_counted_afresh(global_alignment, alignment_a, school_a):
    """No row for a table (after a TRUNCATE, or a table nothing counts): the index range is counted."""
    context = TenantContext(school_id=school_a.pk)
    with tenant_context(school_id=school_a.pk):
        ranges = [Paragraph.objects.filter(school__isnull=True), Paragraph.objects.filter(school=school_a)]
        counted = selectors.SchoolCounted(selectors.paragraph_list(context=context), ranges=ranges, global_count_kept=True)
        assert not GlobalRowCount.objects.filter(pk="paragraphs").exists()
        assert counted.count() == selectors.paragraph_list(context=context).count() == 2

"""A school's lists (alignments, textbooks, an outcome's paragraphs) page and count the global rows and its
own as two index ranges (textbooks.selectors.SchoolPages, SchoolCounted): the same rows, order, filters and
count as the plain lists, and plans that read only the school's and the global rows (issue 13: costs that
follow the school, not the nation)."""

import re

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from tenants.context import TenantContext, super_admin_context, tenant_context
from tests.api_support import API, api_client
from tests.conftest import make_textbook
from textbooks import selectors
from textbooks.models import Paragraph, ParagraphOutcome, Textbook


@pytest.fixture
def interleaved(subject, outcome, second_outcome, school_a, school_b):
    """Global, school A and school B paragraphs created in turn (their ids interleave), each aligned to
    two outcomes: a page of the merged list mixes global and own rows."""
    with super_admin_context():
        for round_number in range(4):
            for school in (None, school_a, school_b):
                textbook = make_textbook(subject, school=school, title=f"Учебник {round_number}", paragraphs=2)
                for paragraph in Paragraph.objects.filter(chapter__textbook=textbook):
                    for linked in (outcome, second_outcome):
                        ParagraphOutcome.objects.create(paragraph=paragraph, outcome=linked)
        return {
            "visible": list(
                ParagraphOutcome.objects.filter(school__in=[school_a]).union(ParagraphOutcome.objects.filter(school__isnull=True))
                .order_by("paragraph_id", "outcome_id").values_list("id", flat=True)
            ),
            "other": set(ParagraphOutcome.objects.filter(school=school_b).values_list("id", flat=True)),
        }


@pytest.fixture
def second_outcome(outcome):
    from curriculum.models import LearningOutcome

    with super_admin_context():
        return LearningOutcome.objects.create(
            framework=outcome.framework, subsection=outcome.subsection, grade=7, code="7.2.1.2", title_ru="вторая цель",
        )


def test_pages_walk_the_same_rows_in_the_same_order_as_the_plain_list(admin_a, interleaved):
    client = api_client(admin_a)
    expected = interleaved["visible"]
    assert len(expected) == 32 and not set(expected) & interleaved["other"]  # 16 global + 16 own
    seen, page = [], 1
    while True:
        body = client.get(f"{API}/alignments/", {"page_size": 5, "page": page}).json()
        assert body["count"] == len(expected)
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            break
        page += 1
    assert page == 7 and seen == expected


def test_filters_narrow_both_ranges(admin_a, interleaved, outcome, second_outcome, school_a):
    client = api_client(admin_a)
    with super_admin_context():
        expected = list(
            ParagraphOutcome.objects.filter(outcome=second_outcome).exclude(id__in=interleaved["other"])
            .order_by("paragraph_id", "outcome_id").values_list("id", flat=True)
        )
        own_textbook = ParagraphOutcome.objects.filter(school=school_a).first().paragraph.chapter.textbook_id
    body = client.get(f"{API}/alignments/", {"outcome": second_outcome.pk, "page_size": 3, "page": 2}).json()
    assert body["count"] == len(expected) == 16
    assert [row["id"] for row in body["results"]] == expected[3:6]
    by_textbook = client.get(f"{API}/alignments/", {"textbook": own_textbook}).json()
    assert by_textbook["count"] == 4 and {row["school"] for row in by_textbook["results"]} == {school_a.pk}


def test_a_page_past_the_end_is_the_usual_404_and_the_list_runs_two_statements(admin_a, interleaved):
    client = api_client(admin_a)
    assert client.get(f"{API}/alignments/", {"page": 99}).status_code == 404
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{API}/alignments/", {"page_size": 5, "page": 3}).status_code == 200
    alignment_statements = [q["sql"] for q in queries.captured_queries if '"paragraph_outcomes"' in q["sql"]]
    assert len(alignment_statements) == 2, alignment_statements  # the count, then the page


def _plans(school_id: int) -> list[str]:
    pages = selectors.AlignmentPages(context=TenantContext(school_id=school_id))
    with tenant_context(school_id=school_id), CaptureQueriesContext(connection) as captured:
        pages.count()
        pages[100:150]
    plans = []
    with tenant_context(school_id=school_id), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: ask whether an index CAN serve it
        for query in captured.captured_queries:
            if "set_config" in query["sql"]:
                continue
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def test_count_and_page_read_the_two_ranges_of_the_school_index(interleaved, school_a):
    count_plan, page_plan = _plans(school_a.pk)
    for plan in (count_plan, page_plan):
        assert "Seq Scan on paragraph_outcomes" not in plan, plan
        assert f"Index Cond: (school_id = {school_a.pk})" in plan, plan  # the school's own rows: by the index
    # The count: two index-only scans, the global rows' and the school's.
    assert count_plan.count("Index Only Scan using") == 2, count_plan
    # A page: each range read index-only and already in list order (no sort of all visible rows), merged.
    assert "Index Only Scan using alignments_global_order on paragraph_outcomes" in page_plan, page_plan
    assert "Index Only Scan using alignments_school_order on paragraph_outcomes" in page_plan, page_plan
    assert "Merge Append" in page_plan, page_plan


def test_an_outcomes_paragraphs_are_counted_in_the_two_ranges_of_the_outcome_index(admin_a, interleaved, second_outcome, school_a):
    body = api_client(admin_a).get(f"{API}/outcomes/{second_outcome.pk}/paragraphs/", {"page_size": 3}).json()
    with super_admin_context():
        visible = set(ParagraphOutcome.objects.filter(outcome=second_outcome).exclude(id__in=interleaved["other"]).values_list("id", flat=True))
    assert body["count"] == len(visible) == 16 and len(body["results"]) == 3
    assert {row["id"] for row in body["results"]} <= visible

    counted = selectors.outcome_alignment_pages(context=TenantContext(school_id=school_a.pk), outcome=second_outcome)
    with tenant_context(school_id=school_a.pk), CaptureQueriesContext(connection) as captured:
        assert counted.count() == 16
    (count_sql,) = [query["sql"] for query in captured.captured_queries if "set_config" not in query["sql"]]
    with tenant_context(school_id=school_a.pk), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + count_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The outcome's global rows and the school's, each found by an index condition on school_id (or in
    # the index of global rows only): never the other schools' index entries. (Tiny tables: the planner
    # picks either school index; both qualify.)
    assert re.search(r"Index Cond: \(.*school_id IS NULL", plan) or "Index Only Scan using alignments_global_order" in plan, plan
    assert re.search(rf"Index Cond: \(.*school_id = {school_a.pk}\b", plan), plan
    assert "Seq Scan" not in plan and plan.count("Index Only Scan") == 2, plan


def test_the_textbook_list_pages_global_and_own_textbooks_like_the_plain_list(admin_a, interleaved, school_a, school_b):
    client = api_client(admin_a)
    with super_admin_context():
        expected = list(Textbook.objects.filter(Q(school__isnull=True) | Q(school=school_a))
                        .order_by("subject_id", "grade_level", "title", "id").values_list("id", flat=True))
        globals_only = [pk for pk in expected if Textbook.objects.get(pk=pk).school_id is None]
    assert len(expected) == 8 and len(globals_only) == 4
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"{API}/textbooks/", {"page_size": 3, "page": page}).json()
        assert body["count"] == len(expected)
        seen += [row["id"] for row in body["results"]]
    assert seen == expected
    body = client.get(f"{API}/textbooks/", {"is_global": "true", "page_size": 2, "page": 2}).json()
    assert body["count"] == 4 and [row["id"] for row in body["results"]] == globals_only[2:4]

    pages = selectors.textbook_pages(context=TenantContext(school_id=school_a.pk))
    with tenant_context(school_id=school_a.pk), CaptureQueriesContext(connection) as captured:
        pages[3:6]
    (page_sql,) = [query["sql"] for query in captured.captured_queries if "set_config" not in query["sql"]]
    with tenant_context(school_id=school_a.pk), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + page_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "using textbooks_global_order on textbooks" in plan and "using textbooks_school_order on textbooks" in plan, plan
    assert "Merge Append" in plan, plan

"""A school's lists (alignments, textbooks, an outcome's paragraphs) page and count the global rows and its
own as two index ranges (textbooks.selectors.SchoolPages, SchoolCounted): the same rows, order, filters and
count as the plain lists, and plans that read only the school's and the global rows (issue 13: costs that
follow the school, not the nation)."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from tenants.context import TenantContext, super_admin_context, tenant_context
from tests.api_support import API, api_client, assert_error
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


# Keyset ("cursor") pages: the `next` and `previous` links name a position in the list's order
# (paragraph, outcome) and the page is read from the indexes starting there (issue 13 item 2).

def _walk(client, first_url, params=None, *, link="next"):
    """Every page from `first_url` following `link`: [(response body, ids)]."""
    pages, url, query = [], first_url, params
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append((body, [row["id"] for row in body["results"]]))
        url, query = body[link], None
        assert len(pages) < 50, "the links loop"
    return pages


def _cursor(link: str) -> str:
    return parse_qs(urlsplit(link).query)["cursor"][0]


def test_cursor_links_walk_the_list_forwards_and_back(admin_a, interleaved):
    client = api_client(admin_a)
    expected = interleaved["visible"]
    forwards = _walk(client, f"{API}/alignments/", {"page_size": 5})
    assert [len(ids) for _body, ids in forwards] == [5, 5, 5, 5, 5, 5, 2]
    assert sum((ids for _body, ids in forwards), []) == expected
    assert all(body["count"] == len(expected) for body, _ids in forwards)  # the response keeps its shape
    first, last = forwards[0][0], forwards[-1][0]
    assert first["previous"] is None and last["next"] is None
    assert "page_size=5" in first["next"] and "page=" not in first["next"]
    # From the last page back to the first by `previous` links: the same pages in reverse.
    backwards = _walk(client, forwards[-1][0]["previous"], link="previous")
    assert [ids for _body, ids in backwards] == [ids for _body, ids in reversed(forwards[:-1])]
    assert backwards[-1][0]["previous"] is None and backwards[-1][0]["next"]


def test_page_numbers_still_work_and_their_links_are_cursors(admin_a, interleaved):
    client = api_client(admin_a)
    expected = interleaved["visible"]
    body = client.get(f"{API}/alignments/", {"page_size": 5, "page": 3}).json()
    assert [row["id"] for row in body["results"]] == expected[10:15]
    after = client.get(body["next"]).json()
    before = client.get(body["previous"]).json()
    assert [row["id"] for row in after["results"]] == expected[15:20]
    assert [row["id"] for row in before["results"]] == expected[5:10]
    # A cursor takes precedence over a page number (which must still be one).
    assert [row["id"] for row in client.get(body["next"] + "&page=1").json()["results"]] == expected[15:20]
    assert_error(client.get(body["next"] + "&page=x"), 400, fields=["page"])


@pytest.mark.parametrize("cursor", ["", "x", "a1", "a1.2.3", "c1.2", "a-1.2", "a1.2 ", " a1.2", "a١.٢", "a1.2x",
                                    "a" + "9" * 19 + ".1", "YTEuMg=="])
def test_a_malformed_cursor_is_a_clear_400(admin_a, interleaved, cursor):
    error = assert_error(api_client(admin_a).get(f"{API}/alignments/", {"cursor": cursor}), 400, fields=["cursor"])
    assert "курсор" in str(error["fields"]["cursor"])  # translated (Russian unless the client asks otherwise)


def test_any_well_formed_cursor_is_a_position_and_past_the_end_is_an_empty_page(admin_a, interleaved):
    client = api_client(admin_a)
    past = client.get(f"{API}/alignments/", {"cursor": "a" + "9" * 18 + ".1"})
    assert past.status_code == 200 and past.json()["results"] == [] and past.json()["next"] is None
    assert _cursor(past.json()["previous"]) == "b" + "9" * 18 + ".1"
    last_rows = client.get(past.json()["previous"] + "&page_size=3").json()
    assert [row["id"] for row in last_rows["results"]] == interleaved["visible"][-3:]
    before_all = client.get(f"{API}/alignments/", {"cursor": "b0.0"}).json()
    assert before_all["results"] == [] and before_all["previous"] is None


def test_cursor_pages_combine_with_filters(admin_a, interleaved, second_outcome, school_a):
    client = api_client(admin_a)
    with super_admin_context():
        expected = list(
            ParagraphOutcome.objects.filter(outcome=second_outcome).exclude(id__in=interleaved["other"])
            .order_by("paragraph_id", "outcome_id").values_list("id", flat=True)
        )
        own_textbook = ParagraphOutcome.objects.filter(school=school_a).first().paragraph.chapter.textbook_id
    pages = _walk(client, f"{API}/alignments/", {"outcome": second_outcome.pk, "page_size": 3})
    assert sum((ids for _body, ids in pages), []) == expected and len(expected) == 16
    assert all(f"outcome={second_outcome.pk}" in body["next"] for body, _ids in pages[:-1])
    pages = _walk(client, f"{API}/alignments/", {"textbook": own_textbook, "outcome": second_outcome.pk, "page_size": 1})
    assert [body["results"][0]["school"] for body, _ids in pages] == [school_a.pk, school_a.pk]


def test_another_schools_rows_never_appear_from_any_cursor(admin_a, admin_b, interleaved, school_b):
    client = api_client(admin_a)
    with super_admin_context():
        other = ParagraphOutcome.objects.filter(school=school_b).order_by("paragraph_id", "outcome_id")
        positions = [(row.paragraph_id, row.outcome_id) for row in other]
    met = set()
    for paragraph_id, outcome_id in positions[:: len(positions) // 4]:
        for direction in "ab":
            body = client.get(f"{API}/alignments/", {"cursor": f"{direction}{paragraph_id}.{outcome_id}", "page_size": 50}).json()
            seen = {row["id"] for row in body["results"]}
            assert not seen & interleaved["other"]
            met |= seen
    assert met  # the pages around school B's positions were not all empty
    # School B walking its own list never meets school A's rows either.
    walked = {alignment_id for _body, ids in _walk(api_client(admin_b), f"{API}/alignments/", {"page_size": 7}) for alignment_id in ids}
    assert interleaved["other"] <= walked and not walked & (set(interleaved["visible"]) - _global_ids())


def _global_ids() -> set[int]:
    with super_admin_context():
        return set(ParagraphOutcome.objects.filter(school__isnull=True).values_list("id", flat=True))


def test_a_methodologist_walks_every_schools_rows_by_cursor(methodologist, interleaved):
    with super_admin_context():
        everything = list(ParagraphOutcome.objects.order_by("paragraph_id", "outcome_id").values_list("id", flat=True))
    pages = _walk(api_client(methodologist), f"{API}/alignments/", {"page_size": 6})
    assert sum((ids for _body, ids in pages), []) == everything and pages[0][0]["count"] == len(everything) == 48
    backwards = _walk(api_client(methodologist), pages[-1][0]["previous"], link="previous")
    assert sum((ids for _body, ids in reversed(backwards)), []) == everything[: -len(pages[-1][1])]


def test_a_cursor_page_runs_the_same_statements_as_the_first_page(admin_a, interleaved):
    client = api_client(admin_a)

    def alignment_statements(url, params=None):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert response.status_code == 200
        return len(queries), [q["sql"] for q in queries.captured_queries if '"paragraph_outcomes"' in q["sql"]], response.json()

    first_total, first, body = alignment_statements(f"{API}/alignments/", {"page_size": 2})
    assert len(first) == 2, first  # the count, then the page
    for _ in range(5):  # deeper and deeper: the same statements each time
        total, statements, body = alignment_statements(body["next"])
        assert (total, len(statements)) == (first_total, 2), statements
    total, statements, _body = alignment_statements(body["previous"])
    assert (total, len(statements)) == (first_total, 2)


def test_a_deep_cursor_page_reads_both_indexes_from_its_position(interleaved, school_a):
    pages = selectors.AlignmentPages(context=TenantContext(school_id=school_a.pk))
    position = interleaved_position = _position_of(interleaved["visible"][20])
    for forward in (True, False):
        with tenant_context(school_id=school_a.pk), CaptureQueriesContext(connection) as captured:
            rows = pages.keyset(position=position, forward=forward, size=5)
        expected = interleaved["visible"][21:26] if forward else interleaved["visible"][15:20]
        assert [row.pk for row in rows] == expected
        (page_sql,) = [query["sql"] for query in captured.captured_queries if "set_config" not in query["sql"]]
        with tenant_context(school_id=school_a.pk), connection.cursor() as cursor:
            # Tiny tables: ask whether the indexes CAN serve it, in order and without a sort.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + page_sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        # Each range starts at the position in an index (paragraph_id >= / <= as its index condition: no
        # row before it is read) and is read in list order: merged, never sorted. (Which index serves the
        # school's range is the planner's choice on tiny tables; at scale alignments_school_order,
        # BENCHMARKS.md has the plan.)
        bound = ">=" if forward else "<="
        ranges = plan.split("Merge Append")[1]
        assert len(re.findall(rf"Index Cond: .*paragraph_id {bound} {interleaved_position[0]}\b", ranges)) == 2, plan
        assert "Sort" not in ranges.replace("Sort Key", ""), plan


def _position_of(alignment_id: int) -> tuple[int, int]:
    with super_admin_context():
        row = ParagraphOutcome.objects.get(pk=alignment_id)
    return row.paragraph_id, row.outcome_id

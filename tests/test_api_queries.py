"""Each endpoint runs a fixed number of queries whatever the size of its result."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from curriculum.selectors import framework_structure
from tenants.context import super_admin_context
from tests.api_support import API, api_client
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook


def add_goso_and_content(count, *, school, start):
    """`count` more subjects and chains framework -> section -> subsection -> outcome, each with a global
    and a school textbook (one chapter, one paragraph); every new paragraph is aligned to the first
    outcome, and the first school paragraph to every new outcome."""
    with super_admin_context():
        for number in range(start, start + count):
            Subject.objects.create(code=f"subject_{number}", name_ru=f"Предмет {number}", grade_from=5, grade_to=9)
            # Frameworks and textbooks share one subject: an alignment's outcome belongs to its
            # textbook's subject (the database checks it).
            subject, _ = Subject.objects.get_or_create(code="subject_shared", defaults={"name_ru": "Предмет", "grade_from": 5, "grade_to": 9})
            framework = Framework.objects.create(code=f"fw_{number}", subject=subject, title_ru=f"ГОСО {number}")
            section = Section.objects.create(framework=framework, code="1", name_ru="Раздел")
            subsection = Subsection.objects.create(section=section, code="1.1", name_ru="Подраздел")
            outcome = LearningOutcome.objects.create(
                framework=framework, subsection=subsection, grade=7, code="7.1.1.1", title_ru=f"цель {number}"
            )
            for owner in (None, school):
                textbook = Textbook.objects.create(school=owner, subject=subject, title=f"Учебник {number}", grade_level=7)
                chapter = Chapter.objects.create(textbook=textbook, number=1, title="Глава")
                paragraph = Paragraph.objects.create(chapter=chapter, number=1, title="Параграф")
                first_outcome = LearningOutcome.objects.order_by("pk").first()
                ParagraphOutcome.objects.create(paragraph=paragraph, outcome=first_outcome)
            first_paragraph = Paragraph.objects.filter(school=school).order_by("pk").first()
            if outcome != first_outcome:
                ParagraphOutcome.objects.create(paragraph=first_paragraph, outcome=outcome)
        return LearningOutcome.objects.order_by("pk").first(), Paragraph.objects.filter(school=school).order_by("pk").first()


def endpoints(first_outcome, first_paragraph):
    return [
        "subjects/", "frameworks/", "sections/", "subsections/", "outcomes/", f"outcomes/?grade=7&code=7.1&search=цель",
        "textbooks/", "chapters/", "paragraphs/", "alignments/", f"alignments/?outcome={first_outcome.pk}",
        f"paragraphs/{first_paragraph.pk}/outcomes/", f"outcomes/{first_outcome.pk}/paragraphs/",
    ]


def measure(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/{path}")
    assert response.status_code == 200, response.content
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("who", ["admin_a", "methodologist"])
def test_list_endpoints_run_a_fixed_number_of_queries(request, who, school_a):
    client = api_client(request.getfixturevalue(who))
    first_outcome, first_paragraph = add_goso_and_content(2, school=school_a, start=1)
    small = {path: measure(client, path) for path in endpoints(first_outcome, first_paragraph)}

    add_goso_and_content(10, school=school_a, start=3)
    large = {path: measure(client, path) for path in endpoints(first_outcome, first_paragraph)}

    for path in small:
        (small_queries, small_count), (large_queries, large_count) = small[path], large[path]
        assert large_count > small_count, path  # the result really grew
        assert large_queries == small_queries, f"{path}: {small_queries} queries for {small_count} rows, {large_queries} for {large_count}"


def test_detail_endpoints_run_a_fixed_number_of_queries(admin_a, school_a):
    client = api_client(admin_a)
    outcome, paragraph = add_goso_and_content(1, school=school_a, start=1)
    with super_admin_context():
        alignment = paragraph.outcome_links.get()
        textbook_id = paragraph.chapter.textbook_id
    paths = [f"outcomes/{outcome.pk}/", f"frameworks/{outcome.framework_id}/", f"paragraphs/{paragraph.pk}/",
             f"alignments/{alignment.pk}/", f"textbooks/{textbook_id}/"]

    def count(path):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}/{path}").status_code == 200
        return len(queries)

    before = {path: count(path) for path in paths}
    add_goso_and_content(10, school=school_a, start=2)
    assert {path: count(path) for path in paths} == before


def tables_read(queries) -> list[str]:
    return [match.group(1) for query in queries if (match := re.match(r'SELECT .*? FROM "(\w+)"', query["sql"]))]


def build_framework(code, *, sections, subsections, outcomes):
    """A framework of sections x subsections x outcomes-per-subsection outcomes (grade 7)."""
    with super_admin_context():
        subject = Subject.objects.create(code=f"s_{code}", name_ru=code, grade_from=5, grade_to=9)
        framework = Framework.objects.create(code=code, subject=subject, title_ru=code)
        made_sections = Section.objects.bulk_create(
            Section(framework=framework, code=str(s), name_ru=f"Раздел {s}") for s in range(1, sections + 1)
        )
        made_subsections = Subsection.objects.bulk_create(
            Subsection(section=section, code=f"{section.code}.{n}", name_ru=f"Подраздел {n}")
            for section in made_sections for n in range(1, subsections + 1)
        )
        LearningOutcome.objects.bulk_create(
            LearningOutcome(
                framework=framework, subsection=subsection, grade=7, code=f"7.{subsection.code}.{n}",
                title_ru=f"цель {n}", title_kz=f"мақсат {n}",
            )
            for subsection in made_subsections for n in range(1, outcomes + 1)
        )
    return framework


def test_framework_structure_of_2000_outcomes_in_at_most_five_queries(admin_a):
    client = api_client(admin_a)
    small = build_framework("small", sections=1, subsections=1, outcomes=1)
    large = build_framework("large", sections=10, subsections=10, outcomes=20)

    with CaptureQueriesContext(connection) as data_queries:
        tree = framework_structure().get(pk=large.pk)
        assert sum(len(sub.outcomes.all()) for section in tree.sections.all() for sub in section.subsections.all()) == 2000
    assert len(data_queries) <= 5

    counts = {}
    for framework, outcome_count in ((small, 1), (large, 2000)):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{API}/frameworks/{framework.pk}/structure/")
        body = response.json()
        assert sum(len(sub["outcomes"]) for section in body["sections"] for sub in section["subsections"]) == outcome_count
        counts[outcome_count] = len(queries)
    assert counts[1] == counts[2000]
    # Beyond the request's own plumbing (host, token, the user's school still active, tenant context)
    # the endpoint reads the tree only.
    goso_reads = [table for table in tables_read(queries) if table not in ("school_domains", "users", "schools")]
    assert goso_reads == ["frameworks", "goso_sections", "goso_subsections", "learning_outcomes"]

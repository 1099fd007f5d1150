"""Schools align paragraphs to items of external frameworks and see coverage against them (issue 11 item 6).

The framework is a real CASE package (Ordering.json, an ACT framework of the shared samples) imported
into the external store; a GOSO outcome is crosswalked to one of its items.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curriculum.case import import_case_file
from curriculum.models import Crosswalk, ExternalFramework, ExternalItem
from tenants.context import TenantContext, super_admin_context, tenant_context
from tests.api_support import API, api_client, assert_error, ids
from tests.test_case_roundtrip import case_sample
from textbooks.external_alignments import external_alignment_create, external_alignment_delete, external_alignment_update
from textbooks.external_coverage import textbook_external_coverage
from textbooks.models import ExternalAlignment, ParagraphOutcome, Textbook
from textbooks.services import textbook_fork


@pytest.fixture
def act(db):
    """The ACT sample framework: 28 items under headings."""
    import_case_file(path=case_sample("Ordering.json"))
    with super_admin_context():
        return ExternalFramework.objects.get(title__startswith="ACT Holistic")


def leaves(framework):
    with super_admin_context():
        parents = set(ExternalItem.objects.filter(framework=framework, parent__isnull=False).values_list("parent_id", flat=True))
        return list(ExternalItem.objects.filter(framework=framework, is_deprecated=False).exclude(pk__in=parents).order_by("position"))


@pytest.fixture
def act_leaves(act):
    found = leaves(act)
    assert len(found) >= 3
    return found


@pytest.fixture
def external_alignment_a(paragraph_a, act_leaves):
    with super_admin_context():
        return ExternalAlignment.objects.create(paragraph=paragraph_a, external_item=act_leaves[0])


def test_a_school_aligns_its_paragraph_and_the_database_records_its_school(paragraph_a, act_leaves, school_a, teacher_a):
    with tenant_context(school_id=school_a.pk):
        alignment = external_alignment_create(
            paragraph=paragraph_a, external_item=act_leaves[1], created_by=teacher_a, confidence=Decimal("0.7"),
        )
        external_alignment_update(alignment=alignment, notes="стр. 12")
    with super_admin_context():
        stored = ExternalAlignment.objects.get(pk=alignment.pk)
    assert (stored.school_id, stored.confidence, stored.notes, stored.created_by_id) == (
        school_a.pk, Decimal("0.70"), "стр. 12", teacher_a.pk,
    )


def test_no_school_aligns_another_schools_or_a_global_paragraph(paragraph_b, global_paragraph, act_leaves, school_a):
    for paragraph in (paragraph_b, global_paragraph):
        with tenant_context(school_id=school_a.pk), pytest.raises(PermissionDenied):
            external_alignment_create(paragraph=paragraph, external_item=act_leaves[0])
    with super_admin_context():
        assert not ExternalAlignment.objects.exists()


def test_another_school_neither_sees_nor_changes_an_alignment(external_alignment_a, school_b):
    with tenant_context(school_id=school_b.pk):
        assert not ExternalAlignment.objects.filter(pk=external_alignment_a.pk).exists()
        with pytest.raises(PermissionDenied):
            external_alignment_update(alignment=external_alignment_a, confidence=Decimal("0.1"))
        with pytest.raises(PermissionDenied):
            external_alignment_delete(alignment=external_alignment_a)
    with super_admin_context():
        assert ExternalAlignment.objects.get(pk=external_alignment_a.pk).confidence == Decimal("1.00")


def test_a_deprecated_item_takes_no_new_alignment(paragraph_a, act_leaves, school_a):
    with super_admin_context():
        ExternalItem.objects.filter(pk=act_leaves[0].pk).update(is_deprecated=True)
    item = ExternalItem.objects.get(pk=act_leaves[0].pk)
    with tenant_context(school_id=school_a.pk), pytest.raises(ValidationError) as refused:
        external_alignment_create(paragraph=paragraph_a, external_item=item)
    assert "external_item" in refused.value.message_dict
    with super_admin_context():
        assert not ExternalAlignment.objects.exists()


def test_a_fork_copies_the_external_alignments(global_paragraph, global_textbook, act_leaves, school_a):
    with super_admin_context():
        ExternalAlignment.objects.create(paragraph=global_paragraph, external_item=act_leaves[2], confidence=Decimal("0.6"), notes="n")
    with tenant_context(school_id=school_a.pk):
        fork = textbook_fork(textbook=global_textbook, school=school_a)
    with super_admin_context():
        copied = list(ExternalAlignment.objects.filter(paragraph__chapter__textbook=fork).values_list(
            "external_item_id", "school_id", "confidence", "notes"))
    assert copied == [(act_leaves[2].pk, school_a.pk, Decimal("0.60"), "n")]


def test_a_schools_external_alignment_marks_its_copy_customised(global_paragraph, global_textbook, act_leaves, school_a):
    with tenant_context(school_id=school_a.pk):
        fork = textbook_fork(textbook=global_textbook, school=school_a)
        assert not Textbook.objects.get(pk=fork.pk).is_customized  # the fork's own copy is no school edit
        paragraph = fork.chapters.get().paragraphs.get()
        external_alignment_create(paragraph=paragraph, external_item=act_leaves[0])
        assert Textbook.objects.get(pk=fork.pk).is_customized


# Coverage

@pytest.fixture
def crosswalks(outcome, act_leaves):
    with super_admin_context():
        Crosswalk.objects.create(outcome=outcome, external_item=act_leaves[1], association_type="exactMatchOf")
        Crosswalk.objects.create(outcome=outcome, external_item=act_leaves[2], association_type="isRelatedTo")


def coverage_of(textbook, framework, school, **options):
    """The report as the school sees it: its context in the database and in the selector."""
    with tenant_context(school_id=school.pk):
        return textbook_external_coverage(
            context=TenantContext(school_id=school.pk), textbook_id=textbook.pk, framework_id=framework.pk, **options,
        )


def item_coverage(coverage, item):
    return next(row for row in coverage.items if row.id == item.pk)


def test_coverage_counts_direct_alignments_and_exact_crosswalks_only(
    textbook_a, paragraph_a, outcome, act, act_leaves, crosswalks, external_alignment_a, school_a,
):
    with super_admin_context():
        ParagraphOutcome.objects.create(paragraph=paragraph_a, outcome=outcome, confidence=Decimal("0.9"))
    coverage = coverage_of(textbook_a, act, school_a)
    assert coverage.items_total == len(act_leaves)
    assert (coverage.items_covered, coverage.items_covered_directly) == (2, 1)
    direct, exact, related = (item_coverage(coverage, item) for item in act_leaves[:3])
    assert direct.covered_directly and [t.paragraph.id for t in direct.taught_by] == [paragraph_a.pk]
    assert exact.covered_through_crosswalk and not exact.covered_directly
    assert [(c.outcome_code, c.association_type) for c in exact.through_crosswalks] == [(outcome.code, "exactMatchOf")]
    assert related.through_crosswalks and not related.covered  # a related crosswalk is a hint, not coverage
    assert not any(item.is_leaf for item in coverage.items if item.id not in {leaf.pk for leaf in act_leaves})
    assert coverage.unaligned_paragraphs == []
    # A minimum confidence above the GOSO alignment's drops the crosswalk's coverage, not the direct one.
    stricter = coverage_of(textbook_a, act, school_a, min_confidence=Decimal("0.95"))
    assert (stricter.items_covered, stricter.items_covered_directly) == (1, 1)


def test_coverage_is_the_textbooks_own_and_costs_a_fixed_number_of_queries(
    textbook_a, paragraph_b, act, act_leaves, crosswalks, school_a,
):
    with super_admin_context():
        ExternalAlignment.objects.create(paragraph=paragraph_b, external_item=act_leaves[0])  # school B's
    with tenant_context(school_id=school_a.pk), CaptureQueriesContext(connection) as queries:
        coverage = textbook_external_coverage(context=TenantContext(school_id=school_a.pk), textbook_id=textbook_a.pk, framework_id=act.pk)
    assert coverage.items_covered == 0 and len(coverage.unaligned_paragraphs) == coverage.paragraphs_total == 1
    assert len(queries) <= 7


def test_coverage_of_a_hidden_textbook_or_an_unknown_framework_is_refused(textbook_b, textbook_a, act, school_a):
    with pytest.raises(Textbook.DoesNotExist):
        coverage_of(textbook_b, act, school_a)
    with pytest.raises(ValidationError):
        coverage_of(textbook_a, ExternalFramework(pk=10**9), school_a)


# API

def test_api_create_list_update_delete(paragraph_a, act, act_leaves, teacher_a):
    client = api_client(teacher_a, host="school-a.localhost")
    created = client.post(f"{API}/external-alignments/", {"paragraph": paragraph_a.pk, "external_item": act_leaves[0].pk, "confidence": 0.5}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["school"] == teacher_a.school_id and body["external_item"]["id"] == act_leaves[0].pk
    assert ids(client.get(f"{API}/external-alignments/", {"framework": act.pk})) == [body["id"]]
    changed = client.patch(f"{API}/external-alignments/{body['id']}/", {"confidence": 0.8}, format="json")
    assert changed.status_code == 200 and changed.json()["confidence"] == 0.8
    assert client.delete(f"{API}/external-alignments/{body['id']}/").status_code == 204
    with super_admin_context():
        assert not ExternalAlignment.objects.exists()


def test_api_refuses_another_schools_paragraph_and_alignment(paragraph_b, external_alignment_a, act_leaves, admin_b):
    client = api_client(admin_b, host="school-b.localhost")
    assert_error(client.post(f"{API}/external-alignments/", {"paragraph": 10**9, "external_item": act_leaves[0].pk}, format="json"), 404)
    assert_error(client.get(f"{API}/external-alignments/{external_alignment_a.pk}/"), 404)
    assert_error(client.delete(f"{API}/external-alignments/{external_alignment_a.pk}/"), 404)
    assert_error(client.post(f"{API}/external-alignments/", {"paragraph": paragraph_b.pk, "external_item": 10**9}, format="json"), 400, fields=["external_item"])


def test_api_refuses_a_global_paragraph_to_a_school(global_paragraph, act_leaves, admin_a):
    client = api_client(admin_a, host="school-a.localhost")
    assert_error(client.post(f"{API}/external-alignments/", {"paragraph": global_paragraph.pk, "external_item": act_leaves[0].pk}, format="json"), 403)


def test_api_external_coverage(textbook_a, textbook_b, act, act_leaves, external_alignment_a, admin_a):
    client = api_client(admin_a, host="school-a.localhost")
    response = client.get(f"{API}/textbooks/{textbook_a.pk}/external-coverage/", {"framework": act.pk})
    assert response.status_code == 200, response.content
    report = response.json()
    assert (report["items_total"], report["items_covered"], report["framework_title"]) == (len(act_leaves), 1, act.title)
    assert_error(client.get(f"{API}/textbooks/{textbook_a.pk}/external-coverage/"), 400, fields=["framework"])
    assert_error(client.get(f"{API}/textbooks/{textbook_a.pk}/external-coverage/", {"framework": 10**9}), 400)
    assert_error(client.get(f"{API}/textbooks/{textbook_b.pk}/external-coverage/", {"framework": act.pk}), 404)


# Admin

@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_admin_coverage_page_and_paragraph_inline(client, admin_a, textbook_a, paragraph_a, act, external_alignment_a, language):
    client.force_login(admin_a)
    prefix = "" if language == "ru" else f"/{language}"  # Russian, the default language, has no prefix
    page = client.get(f"{prefix}/admin/textbooks/textbook/{textbook_a.pk}/coverage/external/", {"framework": act.pk}, HTTP_HOST="school-a.localhost")
    assert page.status_code == 200
    assert page.context["coverage"].items_covered == 1
    assert act_item_text(external_alignment_a) in page.content.decode()
    paragraph_page = client.get(f"{prefix}/admin/textbooks/paragraph/{paragraph_a.pk}/change/", HTTP_HOST="school-a.localhost")
    assert paragraph_page.status_code == 200
    assert 'name="external_links-0-external_item"' in paragraph_page.content.decode()


def act_item_text(alignment):
    with super_admin_context():
        return ExternalItem.objects.get(pk=alignment.external_item_id).full_statement[:30]


def test_admin_coverage_page_asks_for_a_framework(client, admin_a, textbook_a, act):
    client.force_login(admin_a)
    page = client.get(f"/admin/textbooks/textbook/{textbook_a.pk}/coverage/external/", HTTP_HOST="school-a.localhost")
    assert page.status_code == 200 and page.context["coverage"] is None
    bad = client.get(f"/admin/textbooks/textbook/{textbook_a.pk}/coverage/external/", {"framework": "x"}, HTTP_HOST="school-a.localhost")
    assert bad.status_code == 200 and bad.context["error"] and bad.context["coverage"] is None

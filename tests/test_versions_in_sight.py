"""Versions in sight (issue 12): framework and version in choosers, lists and the API; a superseded
version read-only (admin and database); the alignment chooser offers the current version; the
comparison of two versions (curriculum/versions.py version_compare, admin page, API)."""

import datetime

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import translation

from curriculum.models import LearningOutcome, OutcomeVersionLink, Section, Subsection
from curriculum.versions import framework_new_version, version_compare, version_links_decide
from tenants.context import super_admin_context, tenant_context
from tests.api_support import API, api_client
from textbooks.models import Paragraph

pytestmark = pytest.mark.django_db
SCHOOL_HOST = "school-a.localhost"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def versions(framework, outcome):
    """v1 (2018): 7.2.1.1 (fixture), 7.2.1.2, 7.2.1.3, 7.2.1.4. v2 (2022), edited: 7.2.1.1 text changed,
    7.2.1.2 renumbered to 7.2.1.5 (accepted link), 7.2.1.3 removed, 7.2.1.6 added, 7.2.1.4 unchanged."""
    with super_admin_context():
        framework.valid_from = datetime.date(2018, 10, 31)
        framework.save()
        for number, text in [(2, "описывать ханства"), (3, "сравнивать источники"), (4, "работать с картой")]:
            LearningOutcome.objects.create(
                framework=framework, subsection=outcome.subsection, grade=7, code=f"7.2.1.{number}", title_ru=text,
            )
        new = framework_new_version(
            framework=framework, code="goso_hist_kz_2022_11_21", order_number="467", order_date=datetime.date(2022, 11, 21),
        )
        outcomes = LearningOutcome.objects.filter(framework=new)
        outcomes.filter(code="7.2.1.1").update(title_ru="объяснять роль религии в обществе")
        outcomes.filter(code="7.2.1.2").update(code="7.2.1.5")
        outcomes.filter(code="7.2.1.3").delete()
        LearningOutcome.objects.create(
            framework=new, subsection=outcomes.get(code="7.2.1.1").subsection, grade=7, code="7.2.1.6", title_ru="новое",
        )
        renumbered = OutcomeVersionLink.objects.filter(old_outcome__code="7.2.1.2", new_outcome__code="7.2.1.5")
        version_links_decide(links=renumbered, status=OutcomeVersionLink.Status.ACCEPTED)
        framework.refresh_from_db()
    return framework, new


def test_comparison_counts_added_removed_changed_renumbered(versions):
    old, new = versions
    with super_admin_context():
        comparison = version_compare(old=old, new=new)
        reverse_order = version_compare(old=new, new=old)
    assert comparison.counts == {"added": 1, "removed": 1, "changed": 1, "renumbered": 1, "unchanged": 1}
    assert [outcome.code for outcome in comparison.added] == ["7.2.1.6"]
    assert [outcome.code for outcome in comparison.removed] == ["7.2.1.3"]
    assert [(change.old.code, change.new.code) for change in comparison.renumbered] == [("7.2.1.2", "7.2.1.5")]
    assert [change.new.title_ru for change in comparison.changed] == ["объяснять роль религии в обществе"]
    assert reverse_order.counts == comparison.counts  # the older one is always "old"


def test_only_versions_of_one_framework_compare(versions, subject):
    from curriculum.models import Framework
    from django.core.exceptions import ValidationError

    old, _new = versions
    with super_admin_context():
        stranger = Framework.objects.create(code="other_goso", subject=subject, title_ru="Другая программа")
        with pytest.raises(ValidationError, match="only versions of the same framework"):
            version_compare(old=old, new=stranger)


def test_api_compare_returns_the_same_diff(versions, admin_a):
    old, new = versions
    response = api_client(admin_a, host=SCHOOL_HOST).get(f"{API}/frameworks/{new.pk}/compare/?with={old.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"] == {"added": 1, "removed": 1, "changed": 1, "renumbered": 1, "unchanged": 1}
    assert body["old"]["id"] == old.pk and body["old"]["is_current"] is False and body["old"]["superseded_by"] == new.pk
    assert body["new"]["label"] == "История Казахстана (2022, v2)"
    assert [(row["old"]["code"], row["new"]["code"]) for row in body["renumbered"]] == [("7.2.1.2", "7.2.1.5")]
    refused = api_client(admin_a, host=SCHOOL_HOST).get(f"{API}/frameworks/{new.pk}/compare/?with=x")
    assert refused.status_code == 400 and refused.json()["error"]["fields"]["with"]


def test_api_outcomes_carry_framework_and_version(versions, admin_a):
    old, new = versions
    response = api_client(admin_a, host=SCHOOL_HOST).get(f"{API}/outcomes/?code=7.2.1.1")
    rows = {row["framework"]: row["framework_version"] for row in response.json()["results"]}
    assert rows[old.pk]["label"] == "История Казахстана (2018, v1, заменена)"  # the API answers in Russian by default
    assert (rows[old.pk]["number"], rows[old.pk]["is_current"], rows[old.pk]["current_version"]) == (1, False, new.pk)
    assert (rows[new.pk]["number"], rows[new.pk]["is_current"]) == (2, True)


def test_admin_compare_page(versions, methodologist, client):
    old, new = versions
    client.force_login(methodologist)
    response = client.get(reverse("admin:curriculum_framework_compare", args=[new.pk]))
    assert response.status_code == 200
    assert response.context["comparison"].counts["renumbered"] == 1
    assert "7.2.1.2 → 7.2.1.5" in response.content.decode()


def test_superseded_version_is_read_only_with_a_message_and_a_link(versions, methodologist, client):
    old, new = versions
    client.force_login(methodologist)
    with super_admin_context():
        old_outcome = LearningOutcome.objects.get(framework=old, code="7.2.1.1")
        new_outcome = LearningOutcome.objects.get(framework=new, code="7.2.1.1")
    for url in (reverse("admin:curriculum_framework_change", args=[old.pk]),
                reverse("admin:curriculum_learningoutcome_change", args=[old_outcome.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["has_change_permission"] is False
        page = response.content.decode()
        assert "superseded version of the framework" in page
        assert reverse("admin:curriculum_framework_change", args=[new.pk]) in page
    current = client.get(reverse("admin:curriculum_learningoutcome_change", args=[new_outcome.pk]))
    assert current.context["has_change_permission"] is True
    delete = client.post(reverse("admin:curriculum_learningoutcome_delete", args=[old_outcome.pk]), {"post": "yes"})
    assert delete.status_code == 403
    with super_admin_context():
        assert LearningOutcome.objects.filter(pk=old_outcome.pk).exists()


def test_the_database_refuses_writes_to_a_superseded_version(versions):
    from django.core.exceptions import ValidationError
    from curriculum.services import goso_item_update

    old, new = versions
    with super_admin_context():
        old_outcome = LearningOutcome.objects.get(framework=old, code="7.2.1.1")
        with pytest.raises(ValidationError, match="superseded by a newer one and is read-only"):
            goso_item_update(item=old_outcome, title_ru="исправлено")
        with pytest.raises(ValidationError, match="read-only"):
            goso_item_update(item=Section.objects.get(framework=old), name_ru="Другое")
        with pytest.raises(ValidationError, match="read-only"):
            goso_item_update(item=old, title_ru="Другое название")
        assert LearningOutcome.objects.get(pk=old_outcome.pk).title_ru == "объяснять роль религии"
        # The version tools' lifecycle fields stay writable; the current version is fully writable.
        old.refresh_from_db()
        goso_item_update(item=old, is_active=False)
        goso_item_update(item=LearningOutcome.objects.get(framework=new, code="7.2.1.6"), title_ru="новое, исправлено")
        # A statement that rewrites rows unchanged (the CASE identifier cascade) passes.
        Subsection.objects.filter(section__framework=old).update(code=F("code"))


@pytest.mark.parametrize("_english", [None])  # in Russian, the content's own language: no fallback markers
def test_choosers_and_lists_show_framework_and_version(_english, versions, methodologist, client):
    old, new = versions
    client.force_login(methodologist)
    search = client.get(reverse("admin:autocomplete"), {
        "app_label": "curriculum", "model_name": "learningoutcome", "field_name": "subsection", "term": "2.1",
    })
    labels = [row["text"] for row in search.json()["results"]]
    # New outcomes go into the current version only; the label names framework and version.
    assert labels == ["История Казахстана (2022, v2) · 2.1. Мировоззрение и религия"]
    with super_admin_context():
        new_outcome = LearningOutcome.objects.get(framework=new, code="7.2.1.1")
    followed = client.get(reverse("admin:autocomplete"), {
        "app_label": "curriculum", "model_name": "learningoutcome", "field_name": "subsection", "framework": old.pk,
    })
    assert followed.json()["results"] == []  # the chosen (superseded) framework offers no subsection
    page = client.get(reverse("admin:curriculum_learningoutcome_change", args=[new_outcome.pk])).content.decode()
    assert "История Казахстана (2022, v2) · 2.1. Мировоззрение и религия" in page
    changelist = client.get(reverse("admin:curriculum_learningoutcome_changelist")).content.decode()
    assert "История Казахстана (2018, v1, заменена)" in changelist and "История Казахстана (2022, v2)" in changelist
    frameworks = client.get(reverse("admin:curriculum_framework_changelist")).content.decode()
    assert "заменена v2 (goso_hist_kz_2022_11_21)" in frameworks and "v2 (текущая)" in frameworks


@pytest.mark.parametrize("_english", [None])  # in Russian, the content's own language: no fallback markers
def test_alignment_chooser_offers_the_current_version_unless_widened(_english, versions, teacher_a, textbook_a, client):
    old, new = versions
    client.force_login(teacher_a)
    with tenant_context(school_id=textbook_a.school_id):
        paragraph = Paragraph.objects.filter(chapter__textbook=textbook_a).first()
    query = {
        "app_label": "textbooks", "model_name": "paragraphoutcome", "field_name": "outcome",
        "subject": textbook_a.subject_id, "grade": 7, "term": "7.2.1.1",
    }
    offered = client.get(reverse("admin:autocomplete"), query, HTTP_HOST=SCHOOL_HOST).json()["results"]
    assert [row["text"] for row in offered] == ["История Казахстана (2022, v2) · 7.2.1.1 объяснять роль религии в обществе"]
    widened = client.get(reverse("admin:autocomplete"), {**query, "versions": "all"}, HTTP_HOST=SCHOOL_HOST).json()["results"]
    assert sorted(row["text"] for row in widened) == [
        "История Казахстана (2018, v1, заменена) · 7.2.1.1 объяснять роль религии",
        "История Казахстана (2022, v2) · 7.2.1.1 объяснять роль религии в обществе",
    ]
    page = client.get(reverse("admin:textbooks_paragraph_change", args=[paragraph.pk]), HTTP_HOST=SCHOOL_HOST)
    assert "?versions=all" in page.content.decode()

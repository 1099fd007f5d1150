"""Framework versions with carried-over alignments (curriculum/versions.py, textbooks/versions.py) and
textbook versions with fork update detection (textbooks/migrations/0003, textbooks/versions.py)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from curriculum.models import Framework, LearningOutcome, OutcomeVersionLink, Section, Subsection
from curriculum.versions import framework_new_version, version_links_decide, version_links_propose, version_review
from tenants.context import super_admin_context, tenant_context
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook
from textbooks.services import textbook_fork
from textbooks.versions import alignments_carry_over, fork_update_info

ORDER_DATE = datetime.date(2022, 11, 21)
Status = OutcomeVersionLink.Status


@pytest.fixture(autouse=True)
def _english():
    # Messages are translated; these tests read the English ones.
    with translation.override("en"):
        yield


@pytest.fixture
def old_version(framework, outcome):
    """Framework 2018 with section 2 > 2.1 > 7.2.1.1 (fixture) and 7.2.1.2, 7.2.1.3; section 3 > 3.1 > 7.3.1.1."""
    with super_admin_context():
        Framework.objects.filter(pk=framework.pk).update(valid_from=datetime.date(2018, 10, 31))
        subsection = outcome.subsection
        for number, text in [(2, "описывать казахские ханства"), (3, "сравнивать источники по истории")]:
            LearningOutcome.objects.create(
                framework=framework, subsection=subsection, grade=7, code=f"7.2.1.{number}", title_ru=text,
            )
        section = Section.objects.create(framework=framework, code="3", name_ru="Экономика")
        other = Subsection.objects.create(section=section, code="3.1", name_ru="Хозяйство")
        LearningOutcome.objects.create(framework=framework, subsection=other, grade=7, code="7.3.1.1", title_ru="хозяйство кочевников")
        framework.refresh_from_db()
    return framework


def new_version(old, **overrides):
    arguments = {"framework": old, "code": "goso_hist_kz_2022_11_21", "order_number": "467", "order_date": ORDER_DATE}
    return framework_new_version(**(arguments | overrides))


def links_of(framework):
    return {
        (link.old_outcome.code, link.new_outcome.code): (link.kind, link.similarity, link.status)
        for link in OutcomeVersionLink.objects.filter(new_outcome__framework=framework).select_related("old_outcome", "new_outcome")
    }


def test_new_version_copies_the_framework_and_records_dates(old_version):
    with super_admin_context():
        new = new_version(old_version, title_ru="ГОСО История Казахстана (ред. 2022)")

        assert (new.previous_version, new.subject_id, new.order_number, new.order_date) == (old_version, old_version.subject_id, "467", ORDER_DATE)
        assert (new.valid_from, new.valid_to, new.title_ru) == (ORDER_DATE, None, "ГОСО История Казахстана (ред. 2022)")
        assert old_version.valid_to == ORDER_DATE - datetime.timedelta(days=1)
        assert Framework.objects.get(pk=old_version.pk).valid_to == datetime.date(2022, 11, 20)
        assert list(new.sections.values_list("code", "name_ru")) == [("2", "Развитие культуры"), ("3", "Экономика")]
        assert list(Subsection.objects.filter(section__framework=new).values_list("code", flat=True)) == ["2.1", "3.1"]
        copied = list(new.outcomes.order_by("code_sort").values_list("code", "title_ru", "subsection__section__framework"))
        assert copied == [
            ("7.2.1.1", "объяснять роль религии", new.pk), ("7.2.1.2", "описывать казахские ханства", new.pk),
            ("7.2.1.3", "сравнивать источники по истории", new.pk), ("7.3.1.1", "хозяйство кочевников", new.pk),
        ]
        # The old version is untouched and stays readable.
        assert old_version.outcomes.count() == 4
        # Every outcome is proposed its copy.
        assert links_of(new) == {
            (code, code): ("same_code", Decimal("1.000"), Status.PROPOSED)
            for code in ("7.2.1.1", "7.2.1.2", "7.2.1.3", "7.3.1.1")
        }


def test_only_methodologists_create_versions(school_a, old_version):
    with tenant_context(school_id=school_a.pk):
        with pytest.raises(PermissionDenied):
            new_version(old_version)
    with super_admin_context():
        assert not Framework.objects.filter(previous_version=old_version).exists()
        assert Framework.objects.get(pk=old_version.pk).valid_to is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "goso_hist_kz_2022_09_16"}, "already exists"),
        ({"code": " "}, "code"),
        ({"order_date": None}, "takes effect"),
        ({"valid_from": datetime.date(2018, 1, 1)}, "after the current one"),
    ],
)
def test_bad_new_versions_are_refused_with_a_clear_message(old_version, overrides, message):
    with super_admin_context():
        with pytest.raises(ValidationError, match=message):
            new_version(old_version, **overrides)
        assert not Framework.objects.filter(previous_version=old_version).exists()


def test_a_framework_has_one_next_version(old_version):
    with super_admin_context():
        new_version(old_version)
        with pytest.raises(ValidationError, match="already has a newer version"):
            new_version(old_version, code="another_branch")


@pytest.fixture
def edited_version(old_version):
    """The new version after editing: 7.2.1.1 reworded, 7.2.1.2 renumbered to 7.2.1.5 (reworded a little),
    7.3.1.1 removed, 7.2.1.4 added."""
    with super_admin_context():
        new = new_version(old_version)
        outcomes = new.outcomes.all()
        outcomes.filter(code="7.2.1.1").update(title_ru="объяснять роль религии в жизни общества")
        outcomes.filter(code="7.2.1.2").update(code="7.2.1.5", title_ru="описывать казахские ханства XVIII века")
        outcomes.filter(code="7.3.1.1").delete()
        LearningOutcome.objects.create(
            framework=new, subsection=outcomes.get(code="7.2.1.1").subsection, grade=7, code="7.2.1.4",
            title_ru="анализировать реформы",
        )
        version_links_propose(framework=new)
    return new


def test_proposals_follow_codes_then_similar_text(edited_version):
    with super_admin_context():
        links = links_of(edited_version)
        review = version_review(framework=edited_version)

    assert set(links) == {("7.2.1.1", "7.2.1.1"), ("7.2.1.2", "7.2.1.5"), ("7.2.1.3", "7.2.1.3")}
    kind, similarity, status = links[("7.2.1.1", "7.2.1.1")]
    assert (kind, status) == ("same_code", Status.PROPOSED) and Decimal("0.6") < similarity < 1
    kind, similarity, status = links[("7.2.1.2", "7.2.1.5")]
    assert kind == "similar_text" and Decimal("0.8") < similarity < 1
    assert links[("7.2.1.3", "7.2.1.3")] == ("same_code", Decimal("1.000"), Status.PROPOSED)
    assert [outcome.code for outcome in review.unlinked_old] == ["7.3.1.1"]
    assert [outcome.code for outcome in review.unlinked_new] == ["7.2.1.4"]
    assert review.counts == {Status.PROPOSED: 3, Status.ACCEPTED: 0, Status.REJECTED: 0}


def test_decisions_survive_a_new_proposal(edited_version, methodologist):
    with super_admin_context():
        links = OutcomeVersionLink.objects.filter(new_outcome__framework=edited_version)
        version_links_decide(links=links.filter(old_outcome__code="7.2.1.1"), status=Status.ACCEPTED, user=methodologist)
        assert version_links_decide(links=links.filter(old_outcome__code="7.2.1.2"), status=Status.REJECTED, user=methodologist) == 1
        version_links_propose(framework=edited_version)
        result = links_of(edited_version)
        accepted = links.get(status=Status.ACCEPTED)

    assert result[("7.2.1.1", "7.2.1.1")][2] == Status.ACCEPTED
    assert (accepted.decided_by, accepted.decided_at is not None) == (methodologist, True)
    # The rejected pair is not proposed again, and nothing else is similar enough to 7.2.1.2.
    assert result[("7.2.1.2", "7.2.1.5")][2] == Status.REJECTED
    assert len(result) == 3


def test_unknown_status_and_schools_are_refused(edited_version, school_a):
    with super_admin_context():
        links = list(OutcomeVersionLink.objects.filter(new_outcome__framework=edited_version))
        with pytest.raises(ValidationError, match="Unknown link status"):
            version_links_decide(links=links, status="maybe")
    with tenant_context(school_id=school_a.pk):
        with pytest.raises(PermissionDenied):
            version_links_decide(links=links, status=Status.ACCEPTED)
    with super_admin_context():
        assert not OutcomeVersionLink.objects.filter(status=Status.ACCEPTED).exists()


# Carrying alignments over

@pytest.fixture
def aligned_everywhere(old_version, global_paragraph, paragraph_a, paragraph_b):
    """Old outcomes 7.2.1.1 and 7.3.1.1 aligned in the global textbook and in schools A and B."""
    with super_admin_context():
        outcomes = {outcome.code: outcome for outcome in old_version.outcomes.all()}
        for paragraph, confidence in [(global_paragraph, "0.80"), (paragraph_a, "0.60"), (paragraph_b, "0.90")]:
            for code in ("7.2.1.1", "7.3.1.1"):
                ParagraphOutcome.objects.create(paragraph=paragraph, outcome=outcomes[code], confidence=Decimal(confidence), anchor="a")
    return {"global": global_paragraph, "a": paragraph_a, "b": paragraph_b}


def accept_all(framework):
    version_links_decide(links=OutcomeVersionLink.objects.filter(new_outcome__framework=framework), status=Status.ACCEPTED)


def carried_to(framework):
    return sorted(
        (link.paragraph.chapter.textbook.title, link.outcome.code, link.school_id, link.confidence, link.anchor)
        for link in ParagraphOutcome.objects.filter(outcome__framework=framework).select_related("paragraph__chapter__textbook", "outcome")
    )


def test_methodologist_carries_every_alignment_over(edited_version, aligned_everywhere, school_a, school_b):
    with super_admin_context():
        accept_all(edited_version)
        report = alignments_carry_over(framework=edited_version)
        carried = carried_to(edited_version)
        again = alignments_carry_over(framework=edited_version)
        old_alignments = ParagraphOutcome.objects.filter(outcome__framework=edited_version.previous_version).count()

    assert report.carried == 3
    assert carried == [
        ("История Казахстана (XVIII-XIX вв.)", "7.2.1.1", None, Decimal("0.80"), "a"),
        ("Учебник школы A", "7.2.1.1", school_a.pk, Decimal("0.60"), "a"),
        ("Учебник школы B", "7.2.1.1", school_b.pk, Decimal("0.90"), "a"),
    ]
    # Outcomes whose text changed, and those whose alignments no link carries (7.3.1.1 was removed).
    assert [(c.old_code, c.new_code, c.new_title_ru) for c in report.text_changed] == [
        ("7.2.1.1", "7.2.1.1", "объяснять роль религии в жизни общества"),
        ("7.2.1.2", "7.2.1.5", "описывать казахские ханства XVIII века"),
    ]
    assert [(item.code, item.alignments) for item in report.left_behind] == [("7.3.1.1", 3)]
    assert again.carried == 0  # safe to repeat
    assert old_alignments == 6  # the old version keeps its alignments


def test_only_accepted_links_carry(edited_version, aligned_everywhere):
    with super_admin_context():
        links = OutcomeVersionLink.objects.filter(new_outcome__framework=edited_version)
        version_links_decide(links=links.filter(old_outcome__code="7.2.1.1"), status=Status.REJECTED)
        report = alignments_carry_over(framework=edited_version)
        assert carried_to(edited_version) == []
    assert report.carried == 0
    assert [(item.code, item.alignments) for item in report.left_behind] == [("7.2.1.1", 3), ("7.3.1.1", 3)]


def test_a_school_carries_only_its_own_alignments(edited_version, aligned_everywhere, school_a):
    with super_admin_context():
        accept_all(edited_version)
    with tenant_context(school_id=school_a.pk):
        report = alignments_carry_over(framework=edited_version)
        left_behind = [(item.code, item.alignments) for item in report.left_behind]
    with super_admin_context():
        carried = carried_to(edited_version)
    assert report.carried == 1
    assert carried == [("Учебник школы A", "7.2.1.1", school_a.pk, Decimal("0.60"), "a")]
    assert left_behind == [("7.3.1.1", 1)]


def test_carry_over_needs_a_new_version_and_a_context(old_version):
    with super_admin_context():
        with pytest.raises(ValidationError, match="not a new version"):
            alignments_carry_over(framework=old_version)
    with tenant_context():
        with pytest.raises(PermissionDenied):
            alignments_carry_over(framework=old_version)


# Textbook versions and fork updates

def backdate(textbook):
    """As if the textbook had been created, or last changed, in an earlier transaction."""
    Textbook.objects.filter(pk=textbook.pk).update(content_updated_at=F("content_updated_at") - datetime.timedelta(days=1))


def version_of(textbook):
    return Textbook.objects.values_list("version", flat=True).get(pk=textbook.pk)


def test_new_textbook_content_keeps_version_one(global_textbook):
    with super_admin_context():
        assert version_of(global_textbook) == 1


def test_editing_global_content_raises_the_version_once_per_transaction(global_textbook, global_paragraph):
    with super_admin_context():
        backdate(global_textbook)
        Paragraph.objects.filter(pk=global_paragraph.pk).update(content="новый текст")
        Chapter.objects.filter(textbook=global_textbook).update(title="Новая глава")
        assert version_of(global_textbook) == 2
        backdate(global_textbook)
        with connection.cursor() as cursor:  # any path counts, raw SQL too
            cursor.execute("DELETE FROM paragraphs WHERE id = %s", [global_paragraph.pk])
        assert version_of(global_textbook) == 3


def test_saving_unchanged_content_keeps_the_version(global_textbook, global_paragraph):
    with super_admin_context():
        backdate(global_textbook)
        global_paragraph.save()
        Chapter.objects.get(textbook=global_textbook).save()
        assert version_of(global_textbook) == 1


def test_a_stale_save_never_lowers_the_version(global_textbook, global_paragraph):
    with super_admin_context():
        stale = Textbook.objects.get(pk=global_textbook.pk)
        backdate(global_textbook)
        Paragraph.objects.filter(pk=global_paragraph.pk).update(title="Другой")
        stale.title = "Новое название"
        stale.save()
        assert version_of(global_textbook) == 2


def test_school_content_does_not_raise_versions(school_a, global_textbook, textbook_a, paragraph_a):
    with tenant_context(school_id=school_a.pk):
        fork = textbook_fork(textbook=global_textbook, school=school_a)
        backdate(fork)
        backdate(textbook_a)
        Paragraph.objects.filter(chapter__textbook=fork).update(content="наш текст")
        Paragraph.objects.filter(pk=paragraph_a.pk).update(content="наш текст")
        assert (version_of(fork), version_of(textbook_a)) == (1, 1)
    with super_admin_context():
        assert version_of(global_textbook) == 1


def test_fork_learns_about_changes_of_its_source(school_a, global_textbook, global_paragraph):
    with tenant_context(school_id=school_a.pk):
        fork = textbook_fork(textbook=global_textbook, school=school_a)
        assert fork_update_info(fork=fork).available is False
    with super_admin_context():
        backdate(global_textbook)
        chapter = global_paragraph.chapter
        Paragraph.objects.filter(pk=global_paragraph.pk).update(content="новый текст", key_terms=["Абылай хан"])
        Chapter.objects.filter(pk=chapter.pk).update(description="о ханстве")
        new_chapter = Chapter.objects.create(textbook=global_textbook, number=2, title="Глава 2")
        Paragraph.objects.create(chapter=new_chapter, number=2001, title="Новый параграф")
    with tenant_context(school_id=school_a.pk):
        Paragraph.objects.create(chapter=Chapter.objects.get(textbook=fork), number=1999, title="Наш параграф")
        fork = Textbook.objects.get(pk=fork.pk)
        with CaptureQueriesContext(connection) as queries:
            update = fork_update_info(fork=fork)

    assert len(queries) == 3
    assert (update.available, fork.source_version, update.source.version) == (True, 1, 2)
    assert [(c.chapter_number, c.paragraph_number, c.title) for c in update.added] == [(2, None, "Глава 2"), (2, 2001, "Новый параграф")]
    assert [(c.chapter_number, c.paragraph_number, c.fields) for c in update.changed] == [
        (1, None, ("description",)), (1, 1001, ("content", "key_terms")),
    ]
    assert [(c.chapter_number, c.paragraph_number, c.title) for c in update.removed] == [(1, 1999, "Наш параграф")]


def test_textbooks_that_are_not_forks_have_no_update_info(global_textbook, textbook_a):
    with super_admin_context():
        assert fork_update_info(fork=global_textbook) is None
        assert fork_update_info(fork=textbook_a) is None


# REST API: fork update information (textbooks/api/coverage.py).

def test_api_fork_update(school_a, admin_a, admin_b, global_textbook, global_paragraph):
    from tests.api_support import api_client, assert_error

    with tenant_context(school_id=school_a.pk):
        fork = textbook_fork(textbook=global_textbook, school=school_a)
    with super_admin_context():
        backdate(global_textbook)
        Paragraph.objects.filter(pk=global_paragraph.pk).update(title="Новое название")
    client = api_client(admin_a, host="school-a.localhost")

    body = client.get(f"/api/v1/textbooks/{fork.pk}/fork-update/").json()
    assert body == {
        "textbook": fork.pk, "source": global_textbook.pk, "copied_version": 1, "source_version": 2,
        "update_available": True, "added": [], "removed": [],
        "changed": [{"chapter_number": 1, "paragraph_number": 1001, "title": "Новое название", "changed_fields": ["title"]}],
    }
    assert_error(client.get(f"/api/v1/textbooks/{global_textbook.pk}/fork-update/"), 404, "not_found")
    # Another school never learns about A's copy.
    other = api_client(admin_b, host="school-b.localhost")
    assert_error(other.get(f"/api/v1/textbooks/{fork.pk}/fork-update/"), 404, "not_found")


# Admin: new version, link review, carrying over, fork updates (curriculum/admin_views.py, textbooks/admin_views.py).

def test_admin_new_version_and_link_review(client, methodologist, old_version):
    client.force_login(methodologist)
    page = client.get(reverse("admin:curriculum_framework_change", args=[old_version.pk]))
    new_version_url = reverse("admin:curriculum_framework_new_version", args=[old_version.pk])
    assert new_version_url in page.content.decode()

    response = client.post(new_version_url, {
        "code": "goso_hist_kz_2022_11_21", "title_ru": "ГОСО (ред. 2022)", "order_number": "467", "order_date": "2022-11-21",
    })
    with super_admin_context():
        new = Framework.objects.get(previous_version=old_version)
    links_url = reverse("admin:curriculum_framework_version_links", args=[new.pk])
    assert response.status_code == 302 and response["Location"] == links_url
    assert client.get(links_url).context["review"].counts[Status.PROPOSED] == 4

    with super_admin_context():
        LearningOutcome.objects.filter(framework=new, code="7.2.1.1").update(title_ru="новый текст")
        changed = OutcomeVersionLink.objects.get(new_outcome__framework=new, old_outcome__code="7.2.1.1")
    client.post(links_url, {"action": "propose"})
    client.post(links_url, {"action": "accept_identical"})
    counts = client.get(links_url).context["review"].counts
    assert (counts[Status.ACCEPTED], counts[Status.PROPOSED]) == (3, 1)  # the reworded one waits for review
    with super_admin_context():
        reworded = OutcomeVersionLink.objects.get(new_outcome__framework=new, old_outcome__code="7.2.1.1")
    assert reworded.pk != changed.pk and reworded.similarity < 1
    client.post(links_url, {"action": "reject", "link": [str(reworded.pk)]})
    assert client.get(links_url).context["review"].counts[Status.REJECTED] == 1


def test_admin_new_version_shows_refusals_in_the_form(client, methodologist, old_version):
    client.force_login(methodologist)
    response = client.post(reverse("admin:curriculum_framework_new_version", args=[old_version.pk]), {
        "code": old_version.code, "title_ru": "x", "order_number": "467", "order_date": "2017-01-01",
    })
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"code", "valid_from"}


def test_admin_framework_versions_are_for_methodologists(client, admin_a, old_version):
    client.force_login(admin_a)
    for name in ("new_version", "version_links"):
        url = reverse(f"admin:curriculum_framework_{name}", args=[old_version.pk])
        assert client.get(url, HTTP_HOST="school-a.localhost").status_code == 403


def test_admin_carry_over(client, methodologist, admin_a, edited_version, aligned_everywhere):
    with super_admin_context():
        accept_all(edited_version)
    url = reverse("admin:textbooks_textbook_carry_over")
    client.force_login(admin_a)
    report = client.post(url, {"framework": edited_version.pk}, HTTP_HOST="school-a.localhost").context["report"]
    assert report.carried == 1  # the school's own
    client.force_login(methodologist)
    report = client.post(url, {"framework": edited_version.pk}).context["report"]
    assert report.carried == 2  # the global and school B's
    assert [change.new_code for change in report.text_changed] == ["7.2.1.1", "7.2.1.5"]


def test_admin_fork_shows_update_available(client, admin_a, school_a, global_textbook, global_paragraph):
    with tenant_context(school_id=school_a.pk):
        fork = textbook_fork(textbook=global_textbook, school=school_a)
    client.force_login(admin_a)
    host = {"HTTP_HOST": "school-a.localhost"}
    with translation.override("en"):
        changes_url = reverse("admin:textbooks_textbook_source_changes", args=[fork.pk])
        change_url = reverse("admin:textbooks_textbook_change", args=[fork.pk])
        assert "Up to date (version 1" in client.get(change_url, **host).content.decode()

        with super_admin_context():
            backdate(global_textbook)
            Paragraph.objects.filter(pk=global_paragraph.pk).update(title="Новое название")
        page = client.get(change_url, **host).content.decode()
        assert "Update available: the global textbook is at version 2, this copy was made from version 1." in page
        update = client.get(changes_url, **host).context["update"]
    assert update.available and [c.fields for c in update.changed] == [("title",)]


def test_an_old_version_that_ended_earlier_keeps_its_end(old_version):
    with super_admin_context():
        Framework.objects.filter(pk=old_version.pk).update(valid_to=datetime.date(2020, 5, 31))
        new_version(old_version)
        assert Framework.objects.get(pk=old_version.pk).valid_to == datetime.date(2020, 5, 31)

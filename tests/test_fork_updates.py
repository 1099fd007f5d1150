"""Fork updates, three-way (textbooks/fork_updates.py): the copy's base (what it copied), the global
textbook now and the copy now; selective and all-at-once apply in one transaction; "customised" set
by the database on any school edit (textbooks/migrations/0006_fork_updates), through the services, the admin and
the API."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from curriculum.models import LearningOutcome
from tenants.context import super_admin_context, tenant_context
from tests.api_support import api_client, assert_error
from tests.conftest import make_textbook
from tests.test_versions import backdate
from textbooks import fork_updates
from textbooks.fork_updates import OURS, THEIRS, Status, fork_update_apply, fork_update_review
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook
from textbooks.services import alignment_create, textbook_fork

SCHOOL_A = {"HTTP_HOST": "school-a.localhost"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def outcomes(outcome):
    with super_admin_context():
        more = [
            LearningOutcome.objects.create(
                framework=outcome.framework, subsection=outcome.subsection, grade=7, code=f"7.2.1.{number}",
                title_ru=f"цель {number}",
            )
            for number in (2, 3)
        ]
    return [outcome, *more]


@pytest.fixture
def source(subject, outcomes):
    """Global: chapters 1-3, paragraphs 1001, 1002, 2001, 2002, 3001, 3002; 1001 aligned to two outcomes."""
    with super_admin_context():
        textbook = make_textbook(subject, chapters=3, paragraphs=2)
        paragraph = Paragraph.objects.get(chapter__textbook=textbook, number=1001)
        ParagraphOutcome.objects.create(paragraph=paragraph, outcome=outcomes[0], confidence=Decimal("0.80"))
        ParagraphOutcome.objects.create(paragraph=paragraph, outcome=outcomes[1], confidence=Decimal("0.50"))
    return textbook


def fork_of(source, school):
    with tenant_context(school_id=school.pk):
        return textbook_fork(textbook=source, school=school)


def paragraph_of(textbook, number):
    return Paragraph.objects.get(chapter__textbook=textbook, number=number)


def edit(textbook, number, **fields):
    Paragraph.objects.filter(chapter__textbook=textbook, number=number).update(**fields)


def content_of(textbook):
    """Everything the update may write on a copy: its content, base, version and flag."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT textbook_content(id), source_snapshot, source_version, is_customized FROM textbooks WHERE id = %s",
            [textbook.pk],
        )
        return cursor.fetchone()


def alignments_of(textbook, number):
    return {
        link.outcome.code: str(link.confidence)
        for link in ParagraphOutcome.objects.filter(paragraph__chapter__textbook=textbook, paragraph__number=number).select_related("outcome")
    }


@pytest.fixture
def diverged(source, school_a, outcomes):
    """School A's copy and the global textbook, both changed since the copy:
    1.1001 changed upstream (content, alignments), the school re-rated one of its alignments;
    1.1002 changed by the school only; 2.2001 title changed by both, differently (conflict);
    2.2002 content changed by both alike; 1.1003 added upstream; 3.3001 removed upstream;
    chapter 4 added upstream with a paragraph."""
    fork = fork_of(source, school_a)
    with super_admin_context():
        backdate(source)
        edit(source, 1001, content="новый текст")
        p1001 = paragraph_of(source, 1001)
        ParagraphOutcome.objects.filter(paragraph=p1001).update(confidence=Decimal("0.90"))
        ParagraphOutcome.objects.create(paragraph=p1001, outcome=outcomes[2], confidence=Decimal("0.70"))
        edit(source, 2001, title="Глобальное название")
        edit(source, 2002, content="одинаковая правка")
        Paragraph.objects.create(chapter=Chapter.objects.get(textbook=source, number=1), number=1003, title="Новый")
        Paragraph.objects.filter(chapter__textbook=source, number=3001).delete()
        chapter = Chapter.objects.create(textbook=source, number=4, title="Глава 4")
        Paragraph.objects.create(chapter=chapter, number=4001, title="В новой главе")
    with tenant_context(school_id=school_a.pk):
        ParagraphOutcome.objects.filter(paragraph=paragraph_of(fork, 1001), outcome=outcomes[1]).update(confidence=Decimal("0.30"))
        edit(fork, 1002, summary="наше резюме")
        edit(fork, 2001, title="Наше название")
        edit(fork, 2002, content="одинаковая правка")
    return fork


def statuses(review):
    return {item.key: item.status for item in review.items if item.status != Status.UNCHANGED}


def test_three_way_review(diverged, school_a):
    with tenant_context(school_id=school_a.pk):
        review = fork_update_review(fork=diverged)

    assert review.base_known and review.available
    assert statuses(review) == {
        "1.1001": Status.CHANGED, "1.1002": Status.LOCAL, "1.1003": Status.ADDED, "2.2001": Status.CONFLICT,
        "2.2002": Status.SAME, "3.3001": Status.REMOVED, "4": Status.ADDED, "4.4001": Status.ADDED,
    }
    items = {item.key: item for item in review.items}
    assert items["1.1001"].upstream_fields == ("content", "alignments")
    assert items["1.1001"].local_fields == ("alignments",)
    assert items["2.2001"].upstream_fields == items["2.2001"].local_fields == ("title",)
    assert (items["2.2001"].base["title"], items["2.2001"].theirs["title"], items["2.2001"].ours["title"]) == (
        "Параграф 1", "Глобальное название", "Наше название",
    )
    assert [item.key for item in review.conflicts] == ["2.2001"]
    assert review.outcome_codes and set(review.outcome_codes.values()) == {"7.2.1.1", "7.2.1.2", "7.2.1.3"}


def test_apply_all_non_conflicting(diverged, school_a):
    with tenant_context(school_id=school_a.pk):
        report = fork_update_apply(fork=diverged, take_all_non_conflicting=True)
        fork = Textbook.objects.get(pk=diverged.pk)
        review = fork_update_review(fork=fork)
        taken = paragraph_of(fork, 1001)
        numbers = set(Paragraph.objects.filter(chapter__textbook=fork).values_list("number", flat=True))
        conflict, local = paragraph_of(fork, 2001), paragraph_of(fork, 1002)
        merged = alignments_of(fork, 1001)

    assert (report.taken, report.kept, report.pending, report.reviewed) == (6, 0, 1, False)
    assert taken.content == "новый текст"
    # Outcome 1 follows the global rating; the school's own rating of outcome 2 stays; outcome 3 is added.
    assert merged == {"7.2.1.1": "0.90", "7.2.1.2": "0.30", "7.2.1.3": "0.70"}
    assert numbers == {1001, 1002, 1003, 2001, 2002, 3002, 4001}
    assert conflict.title == "Наше название"  # a conflict is never taken without a decision
    assert local.summary == "наше резюме"
    assert fork.source_version == 1  # the conflict is still pending
    assert statuses(review) == {"1.1001": Status.LOCAL, "1.1002": Status.LOCAL, "2.2001": Status.CONFLICT}


def test_selective_apply_takes_only_what_was_chosen(diverged, school_a):
    with tenant_context(school_id=school_a.pk):
        report = fork_update_apply(fork=diverged, decisions={"1.1003": THEIRS, (3, 3001): OURS})
        fork = Textbook.objects.get(pk=diverged.pk)
        review = fork_update_review(fork=fork)
        numbers = set(Paragraph.objects.filter(chapter__textbook=fork).values_list("number", flat=True))
        untouched = paragraph_of(fork, 1001).content

    assert (report.taken, report.kept, report.pending) == (1, 1, 5)
    assert numbers == {1001, 1002, 1003, 2001, 2002, 3001, 3002}  # 3001 kept: no longer offered
    assert untouched == ""
    assert statuses(review) == {
        "1.1001": Status.CHANGED, "1.1002": Status.LOCAL, "2.2001": Status.CONFLICT, "2.2002": Status.SAME,
        "3.3001": Status.LOCAL, "4": Status.ADDED, "4.4001": Status.ADDED,
    }


def test_a_conflict_must_be_decided_before_marking_reviewed(diverged, school_a):
    with tenant_context(school_id=school_a.pk):
        before = content_of(diverged)
        with pytest.raises(ValidationError) as refusal:
            fork_update_apply(fork=diverged, take_all_non_conflicting=True, mark_reviewed=True)
        assert content_of(diverged) == before
        assert refusal.value.code == "undecided_conflict"
        assert "paragraph 2001 of chapter 2" in refusal.value.messages[0]

        report = fork_update_apply(fork=diverged, decisions={"2.2001": THEIRS}, mark_reviewed=True)
        fork = Textbook.objects.get(pk=diverged.pk)
        review = fork_update_review(fork=fork)
        title = paragraph_of(fork, 2001).title
        new = Paragraph.objects.filter(chapter__textbook=fork, number=1003).exists()

    assert (report.taken, report.kept, report.pending, report.reviewed) == (1, 6, 0, True)
    assert title == "Глобальное название"
    assert not new  # marked reviewed: the rest kept as the copy has it
    with super_admin_context():
        assert fork.source_version == Textbook.objects.get(pk=fork.global_textbook_id).version == 2
    assert not review.available and not review.pending


def test_keeping_ours_in_a_conflict_keeps_the_school_edit_and_moves_the_base(diverged, school_a):
    with tenant_context(school_id=school_a.pk):
        fork_update_apply(fork=diverged, decisions={"2.2001": OURS})
        fork = Textbook.objects.get(pk=diverged.pk)
        item = {item.key: item for item in fork_update_review(fork=fork).items}["2.2001"]
    assert (item.status, item.ours["title"], item.base["title"]) == (Status.LOCAL, "Наше название", "Глобальное название")


def test_both_sides_changed_alike_is_no_conflict(diverged, school_a):
    with tenant_context(school_id=school_a.pk):
        fork_update_apply(fork=diverged, decisions={"2.2002": THEIRS})
        item = {item.key: item for item in fork_update_review(fork=Textbook.objects.get(pk=diverged.pk)).items}["2.2002"]
    assert item.status == Status.UNCHANGED


def test_unknown_items_and_decisions_are_refused(diverged, school_a):
    with tenant_context(school_id=school_a.pk):
        before = content_of(diverged)
        for decisions, code in [
            ({"9.9001": THEIRS}, "unknown_item"), ({"1.1002": THEIRS}, "unknown_item"), ({"1.1003": "mine"}, "invalid_decision"),
            ({"4.4001": THEIRS}, "missing_chapter"),
        ]:
            with pytest.raises(ValidationError) as refusal:
                fork_update_apply(fork=diverged, decisions=decisions)
            assert refusal.value.code == code
        with pytest.raises(ValidationError) as refusal:
            fork_update_apply(fork=diverged, decisions={"1.1003": THEIRS}, source_version=1)
        assert refusal.value.code == "source_changed"
        assert content_of(diverged) == before


def test_a_failing_apply_changes_nothing(diverged, school_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(fork_updates, "_merged_alignments", broken)  # after chapters and paragraphs are written
    with tenant_context(school_id=school_a.pk):
        before = content_of(diverged)
        with pytest.raises(RuntimeError):
            fork_update_apply(fork=diverged, take_all_non_conflicting=True)
        assert content_of(diverged) == before


def test_another_school_cannot_apply_and_sees_no_change(diverged, school_a, school_b, source):
    fork_b = fork_of(source, school_b)
    with tenant_context(school_id=school_b.pk):
        before_b = content_of(fork_b)
        with pytest.raises(PermissionDenied):
            fork_update_apply(fork=diverged, take_all_non_conflicting=True)
    with tenant_context(school_id=school_a.pk):
        before_a = content_of(diverged)
        fork_update_apply(fork=diverged, take_all_non_conflicting=True)
        assert content_of(diverged) != before_a
    with tenant_context(school_id=school_b.pk):
        assert content_of(fork_b) == before_b
        assert Textbook.objects.filter(pk=diverged.pk).count() == 0


def test_a_copy_without_known_base_asks_for_every_difference(source, school_a):
    fork = fork_of(source, school_a)
    with super_admin_context():
        Textbook.objects.filter(pk=fork.pk).update(source_snapshot=None)
        edit(source, 1002, title="Глобальное")
    with tenant_context(school_id=school_a.pk):
        review = fork_update_review(fork=Textbook.objects.get(pk=fork.pk))
        assert not review.base_known and statuses(review) == {"1.1002": Status.CONFLICT}
        report = fork_update_apply(fork=fork, decisions={"1.1002": THEIRS})
        assert report.reviewed and paragraph_of(fork, 1002).title == "Глобальное"


def test_taking_a_removed_chapter_removes_its_paragraphs(source, school_a):
    fork = fork_of(source, school_a)
    with super_admin_context():
        Chapter.objects.filter(textbook=source, number=3).delete()
    with tenant_context(school_id=school_a.pk):
        review = fork_update_review(fork=fork)
        assert statuses(review) == {"3": Status.REMOVED, "3.3001": Status.REMOVED, "3.3002": Status.REMOVED}
        with pytest.raises(ValidationError) as refusal:
            fork_update_apply(fork=fork, decisions={"3": THEIRS, "3.3001": OURS})
        assert refusal.value.code == "inconsistent_decisions"
        report = fork_update_apply(fork=fork, decisions={"3": THEIRS})
        assert report.reviewed and not Chapter.objects.filter(textbook=fork, number=3).exists()


def test_a_removed_chapter_with_the_schools_own_paragraph_is_a_conflict(source, school_a):
    fork = fork_of(source, school_a)
    with super_admin_context():
        Chapter.objects.filter(textbook=source, number=3).delete()
    with tenant_context(school_id=school_a.pk):
        Paragraph.objects.create(chapter=Chapter.objects.get(textbook=fork, number=3), number=3999, title="Наш")
        review = fork_update_review(fork=fork)
    assert statuses(review) == {"3": Status.CONFLICT, "3.3001": Status.REMOVED, "3.3002": Status.REMOVED, "3.3999": Status.LOCAL}


# "Customised": set by the database on any school edit of its copy, never by the fork or an update.

def customised(textbook):
    with super_admin_context():
        return Textbook.objects.get(pk=textbook.pk).is_customized


@pytest.mark.parametrize("change", ["paragraph", "chapter", "new chapter", "textbook", "alignment", "removed alignment"])
def test_any_school_edit_marks_the_copy_customised(source, school_a, outcomes, change):
    fork = fork_of(source, school_a)
    assert not customised(fork)
    with tenant_context(school_id=school_a.pk):
        if change == "paragraph":
            edit(fork, 1001, content="наше")
        elif change == "chapter":
            Chapter.objects.filter(textbook=fork, number=1).update(description="наше")
        elif change == "new chapter":
            Chapter.objects.create(textbook=fork, number=9, title="Наша")
        elif change == "textbook":
            Textbook.objects.filter(pk=fork.pk).update(title="Наш учебник")
        elif change == "alignment":
            alignment_create(paragraph=paragraph_of(fork, 1002), outcome=outcomes[2])
        else:
            ParagraphOutcome.objects.filter(paragraph__chapter__textbook=fork).delete()
    assert customised(fork)


def test_bookkeeping_and_updates_do_not_mark_the_copy_customised(source, school_a):
    fork = fork_of(source, school_a)
    with super_admin_context():
        edit(source, 1001, content="новый текст")
    with tenant_context(school_id=school_a.pk):
        edit(fork, 1001, title=paragraph_of(fork, 1001).title)  # no real change
        Textbook.objects.filter(pk=fork.pk).update(source_version=1)
        fork_update_apply(fork=fork, take_all_non_conflicting=True)
        assert paragraph_of(fork, 1001).content == "новый текст"
    assert not customised(fork)


def test_a_school_edit_through_the_admin_marks_the_copy_customised(source, school_a, admin_a, client):
    fork = fork_of(source, school_a)
    with tenant_context(school_id=school_a.pk):
        paragraph = paragraph_of(fork, 1002)
    client.force_login(admin_a)
    form = {
        "chapter": paragraph.chapter_id, "number": paragraph.number, "sort_order": 0, "title": "Наш параграф",
        "key_terms": "", "questions": "",
        "outcome_links-TOTAL_FORMS": 0, "outcome_links-INITIAL_FORMS": 0,
        "outcome_links-MIN_NUM_FORMS": 0, "outcome_links-MAX_NUM_FORMS": 1000,
        "external_links-TOTAL_FORMS": 0, "external_links-INITIAL_FORMS": 0,
        "external_links-MIN_NUM_FORMS": 0, "external_links-MAX_NUM_FORMS": 1000,
    }
    response = client.post(reverse("admin:textbooks_paragraph_change", args=[paragraph.pk]), form, **SCHOOL_A)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert customised(fork)


def test_a_school_edit_through_the_api_marks_the_copy_customised(source, school_a, admin_a, outcomes):
    fork = fork_of(source, school_a)
    with tenant_context(school_id=school_a.pk):
        paragraph = paragraph_of(fork, 1002)
    client = api_client(admin_a, host="school-a.localhost")
    response = client.post("/api/v1/alignments/", {"paragraph": paragraph.pk, "outcome": outcomes[2].pk}, format="json")
    assert response.status_code == 201, response.content
    assert customised(fork)


# REST API (textbooks/api/fork_updates.py).

def test_api_review_and_apply(diverged, admin_a):
    client = api_client(admin_a, host="school-a.localhost")
    url = f"/api/v1/textbooks/{diverged.pk}/fork-update"

    review = client.get(f"{url}/review/").json()
    assert (review["copied_version"], review["source_version"], review["update_available"], review["base_known"]) == (1, 2, True, True)
    items = {item["key"]: item for item in review["items"]}
    assert {key: item["status"] for key, item in items.items()} == statuses(fork_update_review_as(diverged))
    conflict = items["2.2001"]
    assert (conflict["conflict"], conflict["base"]["title"], conflict["theirs"]["title"], conflict["ours"]["title"]) == (
        True, "Параграф 1", "Глобальное название", "Наше название",
    )
    assert items["4"]["base"] is None and items["4"]["ours"] is None

    response = client.post(f"{url}/apply/", {
        "decisions": [{"chapter": 2, "paragraph": 2001, "take": "ours"}, {"chapter": 1, "paragraph": 1003, "take": "theirs"}],
        "take_all_non_conflicting": False, "mark_reviewed": True, "source_version": 2,
    }, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"taken": 1, "kept": 6, "pending": 0, "reviewed": True}
    after = client.get(f"{url}/review/").json()
    assert (after["copied_version"], after["update_available"]) == (2, False)
    assert all(not item["pending"] for item in after["items"])


def fork_update_review_as(fork):
    with tenant_context(school_id=fork.school_id):
        return fork_update_review(fork=fork)


def test_api_apply_refuses_unknown_items_and_undecided_conflicts(diverged, admin_a):
    client = api_client(admin_a, host="school-a.localhost")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = f"/api/v1/textbooks/{diverged.pk}/fork-update/apply/"
    with tenant_context(school_id=diverged.school_id):
        before = content_of(diverged)

    error = assert_error(client.post(url, {"decisions": [{"chapter": 7, "paragraph": 7001, "take": "theirs"}]}, format="json"), 400, "invalid", ["decisions"])
    assert "paragraph 7001 of chapter 7" in error["fields"]["decisions"][0]
    error = assert_error(client.post(url, {"take_all_non_conflicting": True, "mark_reviewed": True}, format="json"), 400, "invalid", ["decisions"])
    assert "Decide each conflict" in error["fields"]["decisions"][0] and "paragraph 2001 of chapter 2" in error["fields"]["decisions"][0]
    assert_error(client.post(url, {"decisions": [{"chapter": 1, "paragraph": 1003, "take": "maybe"}]}, format="json"), 400, "invalid", ["decisions.0.take"])
    assert_error(client.post(url, {"decisions": [{"chapter": 1, "paragraph": 1003, "take": "theirs"}], "source_version": 1}, format="json"), 400, "invalid", ["source_version"])
    with tenant_context(school_id=diverged.school_id):
        assert content_of(diverged) == before


def test_api_apply_is_for_the_copys_school_administrators(diverged, source, admin_b, teacher_a):
    body = {"take_all_non_conflicting": True}
    other = api_client(admin_b, host="school-b.localhost")
    for path in ("review/", "apply/"):
        call = other.get if path == "review/" else other.post
        assert_error(call(f"/api/v1/textbooks/{diverged.pk}/fork-update/{path}", body, format="json"), 404, "not_found")
    teacher = api_client(teacher_a, host="school-a.localhost")
    assert teacher.get(f"/api/v1/textbooks/{diverged.pk}/fork-update/review/").status_code == 200
    assert_error(teacher.post(f"/api/v1/textbooks/{diverged.pk}/fork-update/apply/", body, format="json"), 403)
    assert_error(api_client(admin_b, host="school-b.localhost").get(f"/api/v1/textbooks/{source.pk}/fork-update/review/"), 404)


# Admin: the list's column and filter, the copy offered once, the review page.

def test_admin_list_shows_and_filters_copies_with_updates(diverged, source, textbook_a, admin_a, client):
    client.force_login(admin_a)
    url = reverse("admin:textbooks_textbook_changelist")
    page = client.get(url, **SCHOOL_A)
    review_url = reverse("admin:textbooks_textbook_fork_update", args=[diverged.pk])
    assert review_url in page.content.decode()
    assert [row.pk for row in client.get(url, {"update": "yes"}, **SCHOOL_A).context["cl"].result_list] == [diverged.pk]
    assert diverged.pk not in [row.pk for row in client.get(url, {"update": "no"}, **SCHOOL_A).context["cl"].result_list]


def test_admin_offers_the_copy_only_once(source, school_a, admin_a, client):
    client.force_login(admin_a)
    url = reverse("admin:textbooks_textbook_change", args=[source.pk])
    assert "Copy into my school" in client.get(url, **SCHOOL_A).content.decode()
    fork = fork_of(source, school_a)
    page = client.get(url, **SCHOOL_A).content.decode()
    assert "Copy into my school" not in page
    assert reverse("admin:textbooks_textbook_change", args=[fork.pk]) in page
    response = client.post(reverse("admin:textbooks_textbook_changelist"), {
        "action": "fork_into_school", "_selected_action": [source.pk],
    }, follow=True, **SCHOOL_A)
    text = " ".join(str(message) for message in response.context["messages"])
    assert "already has a copy" in text and reverse("admin:textbooks_textbook_change", args=[fork.pk]) in text


def test_admin_review_page_applies_decisions(diverged, admin_a, client):
    client.force_login(admin_a)
    url = reverse("admin:textbooks_textbook_fork_update", args=[diverged.pk])
    page = client.get(url, **SCHOOL_A)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="decide-2.2001"' in html and 'value="1.1003"' in html
    assert "Наше название" in html and "Глобальное название" in html and "goso-fu-conflict" in html

    # Marking reviewed with the conflict undecided: refused, nothing changes.
    response = client.post(url, {"action": "reviewed", "take": ["1.1003"], "source_version": "2"}, follow=True, **SCHOOL_A)
    assert "Decide each conflict" in " ".join(str(m) for m in response.context["messages"])
    with tenant_context(school_id=diverged.school_id):
        assert not Paragraph.objects.filter(chapter__textbook=diverged, number=1003).exists()

    response = client.post(url, {"action": "all", "decide-2.2001": "theirs", "source_version": "2"}, **SCHOOL_A)
    assert response.status_code == 302
    with tenant_context(school_id=diverged.school_id):
        fork = Textbook.objects.get(pk=diverged.pk)
        assert paragraph_of(fork, 2001).title == "Глобальное название"
        assert fork.source_version == 2
    assert "Up to date" in client.get(url, **SCHOOL_A).content.decode()


def test_admin_review_page_is_read_only_for_teachers(diverged, teacher_a, client):
    client.force_login(teacher_a)
    url = reverse("admin:textbooks_textbook_fork_update", args=[diverged.pk])
    page = client.get(url, **SCHOOL_A)
    assert page.status_code == 200 and "decide-2.2001" not in page.content.decode()
    assert client.post(url, {"action": "all"}, **SCHOOL_A).status_code == 403


def apply_queries(subject, school, outcome, paragraphs):
    """Statements of taking over a change of every paragraph (content, one more alignment, one paragraph
    removed and one added per chapter) of a copy of `paragraphs` per chapter."""
    with super_admin_context():
        source = make_textbook(subject, title=f"Учебник {paragraphs}", chapters=2, paragraphs=paragraphs)
    fork = fork_of(source, school)
    with super_admin_context():
        backdate(source)
        Paragraph.objects.filter(chapter__textbook=source).update(content="новый текст")
        for paragraph in Paragraph.objects.filter(chapter__textbook=source):
            ParagraphOutcome.objects.create(paragraph=paragraph, outcome=outcome)
        for chapter in Chapter.objects.filter(textbook=source):
            Paragraph.objects.filter(chapter=chapter, number=chapter.number * 1000 + 1).delete()
            Paragraph.objects.create(chapter=chapter, number=chapter.number * 1000 + 999, title="Новый")
    with tenant_context(school_id=school.pk), CaptureQueriesContext(connection) as queries:
        report = fork_update_apply(fork=fork, take_all_non_conflicting=True)
    assert report.reviewed and report.taken == 2 * paragraphs + 2
    return len(queries)


def test_applying_costs_the_same_statements_whatever_the_size(subject, school_a, outcome):
    assert apply_queries(subject, school_a, outcome, 3) == apply_queries(subject, school_a, outcome, 12)


def test_admin_review_page_refuses_made_up_items(diverged, admin_a, client):
    client.force_login(admin_a)
    url = reverse("admin:textbooks_textbook_fork_update", args=[diverged.pk])
    response = client.post(url, {"action": "selected", "take": ["x.1; drop"], "decide-1.a": "theirs"}, follow=True, **SCHOOL_A)
    assert response.status_code == 200
    assert "no pending change" in " ".join(str(m) for m in response.context["messages"])

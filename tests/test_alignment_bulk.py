"""Alignment in bulk (textbooks/alignment_grid.py): the grid read, the one-transaction set-based
write, the rules (own copy only, outcomes of the subject, confidence 0-1), the admin grid page and
the API endpoint."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from curriculum.models import LearningOutcome
from tenants.context import TenantContext, super_admin_context, tenant_context
from tenants.models import User
from tests.api_support import API, api_client as _api_client, assert_error
from tests.conftest import PASSWORD, make_textbook
from textbooks.alignment_grid import BulkResult, alignment_grid, alignments_bulk_set
from textbooks.models import Chapter, Paragraph, ParagraphOutcome
from textbooks.selectors import outcomes_for_paragraph

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):  # messages are compared in English (Russian: test_messages_are_translated)
        yield


@pytest.fixture
def outcomes(outcome):
    """Five outcomes of grade 7 (the textbook's) and one of grade 8, all in one subsection."""
    with super_admin_context():
        more = [
            LearningOutcome.objects.create(
                framework=outcome.framework, subsection=outcome.subsection, grade=7, code=f"7.2.1.{n}",
                title_ru=f"цель {n}: " + "очень длинный текст результата обучения " * 4,
            )
            for n in range(2, 6)
        ]
        grade_8 = LearningOutcome.objects.create(
            framework=outcome.framework, subsection=outcome.subsection, grade=8, code="8.2.1.1", title_ru="цель 8 класса",
        )
    return [outcome, *more, grade_8]


@pytest.fixture
def chapter_a(subject, school_a):
    """A school's textbook whose first chapter has four paragraphs."""
    with super_admin_context():
        textbook = make_textbook(subject, school=school_a, title="Учебник школы A", chapters=2, paragraphs=4)
        return Chapter.objects.select_related("textbook").get(textbook=textbook, number=1)


def paragraphs_of(chapter):
    with super_admin_context():
        return list(Paragraph.objects.filter(chapter=chapter).order_by("number"))


def stored(textbook):
    with super_admin_context():
        return {
            (link.paragraph_id, link.outcome_id): link.confidence
            for link in ParagraphOutcome.objects.filter(paragraph__chapter__textbook=textbook)
        }


def set_cells(school, textbook, cells, user=None):
    with tenant_context(school_id=school.pk):
        return alignments_bulk_set(textbook=textbook, cells=cells, created_by=user)


# The service

def test_adds_changes_and_removes_in_one_call(school_a, admin_a, chapter_a, outcomes):
    textbook = chapter_a.textbook
    p1, p2, p3, _p4 = paragraphs_of(chapter_a)
    o1, o2, o3 = outcomes[:3]
    with super_admin_context():
        kept = ParagraphOutcome.objects.create(paragraph=p1, outcome=o1, confidence=Decimal("0.50"), anchor="стр. 5", notes="n")
        ParagraphOutcome.objects.create(paragraph=p2, outcome=o2, confidence=Decimal("0.90"))
        ParagraphOutcome.objects.create(paragraph=p3, outcome=o3, confidence=Decimal("0.70"))

    result = set_cells(school_a, textbook, [
        (p1.pk, o1.pk, "0.8"),         # changed
        (p2.pk, o2.pk, None),          # removed
        (p3.pk, o3.pk, Decimal("0.70")),  # unchanged
        (p1.pk, o2.pk, "1"),           # added
        (p2.pk, o3.pk, "0,6"),         # added (a decimal comma is read too)
        (p3.pk, o1.pk, None),          # not aligned and stays so
    ], user=admin_a)

    assert (result.added, result.changed, result.removed) == (2, 1, 1)
    assert result.summary() == "2 added, 1 changed, 1 removed."
    assert stored(textbook) == {
        (p1.pk, o1.pk): Decimal("0.80"), (p3.pk, o3.pk): Decimal("0.70"),
        (p1.pk, o2.pk): Decimal("1.00"), (p2.pk, o3.pk): Decimal("0.60"),
    }
    with super_admin_context():
        kept.refresh_from_db()
        added = ParagraphOutcome.objects.get(paragraph=p1, outcome=o2)
    assert (kept.anchor, kept.notes, kept.school_id) == ("стр. 5", "n", textbook.school_id)  # only confidence changed
    assert (added.created_by_id, added.school_id) == (admin_a.pk, textbook.school_id)


def test_statement_count_does_not_grow_with_the_cells(school_a, chapter_a, outcomes):
    textbook = chapter_a.textbook
    paragraphs = paragraphs_of(chapter_a)

    def statements(cells):
        with tenant_context(school_id=school_a.pk), CaptureQueriesContext(connection) as queries:
            alignments_bulk_set(textbook=textbook, cells=cells)
        return len(queries)

    few = statements([(paragraphs[0].pk, outcomes[0].pk, "1")])
    many = statements([(p.pk, o.pk, "0.5") for p in paragraphs for o in outcomes])  # 24 cells
    removed_all = statements([(p.pk, o.pk, None) for p in paragraphs for o in outcomes])

    assert many == few
    assert removed_all <= few
    assert many <= 10
    assert stored(textbook) == {}


def test_one_bad_cell_writes_nothing_and_names_every_problem(school_a, chapter_a, outcomes, paragraph_b):
    textbook = chapter_a.textbook
    p1, p2, *_rest = paragraphs_of(chapter_a)
    with pytest.raises(ValidationError) as refusal:
        set_cells(school_a, textbook, [
            (p1.pk, outcomes[0].pk, "1"),
            (p2.pk, outcomes[1].pk, "1.5"),
            (p2.pk, outcomes[2].pk, "много"),
            (paragraph_b.pk, outcomes[0].pk, "1"),
            (p1.pk, outcomes[0].pk, None),
            (p1.pk, 2_000_000_000, "1"),
        ])

    messages = refusal.value.messages
    assert f"§{p2.number} × {outcomes[1].code}: confidence must be a number from 0 to 1." in messages
    assert f"§{p2.number} × {outcomes[2].code}: confidence must be a number from 0 to 1." in messages
    assert f"Paragraph {paragraph_b.pk} is not in “{textbook.title}”." in messages
    assert f"§{p1.number} × {outcomes[0].code} is listed twice." in messages
    assert any("does not exist or belongs to another subject" in message for message in messages)
    assert stored(textbook) == {}


def test_a_database_refusal_rolls_back_the_whole_set(school_a, chapter_a, outcomes):
    """The removal ran before the insert that the database refuses: it is undone too."""
    textbook = chapter_a.textbook
    p1, p2, *_rest = paragraphs_of(chapter_a)
    with super_admin_context():
        ParagraphOutcome.objects.create(paragraph=p1, outcome=outcomes[0])
    ghost = User(pk=2_000_000_000, username="ghost")  # no such user: the foreign key refuses the insert
    with tenant_context(school_id=school_a.pk):
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # refused at the statement, not at commit
        with pytest.raises(ValidationError):
            alignments_bulk_set(
                textbook=textbook, cells=[(p1.pk, outcomes[0].pk, None), (p2.pk, outcomes[1].pk, "0.5")], created_by=ghost,
            )
        assert set(ParagraphOutcome.objects.filter(paragraph__chapter=chapter_a).values_list("paragraph_id", "outcome_id")) == {
            (p1.pk, outcomes[0].pk)
        }


def test_outsider_school_is_unchanged(school_a, school_b, chapter_a, outcomes, alignment_b, textbook_b):
    before = stored(textbook_b)
    textbook = chapter_a.textbook
    cells = [(p.pk, o.pk, "1") for p in paragraphs_of(chapter_a) for o in outcomes]

    set_cells(school_a, textbook, cells)

    assert stored(textbook_b) == before
    # School B cannot reach school A's textbook, whatever it sends.
    with pytest.raises(PermissionDenied):
        set_cells(school_b, textbook, [(p, o, None) for p, o, _c in cells])
    assert len(stored(textbook)) == len(cells)


def test_a_global_textbook_is_refused_for_a_school_with_a_clear_message(school_a, global_textbook, global_paragraph, outcomes):
    with pytest.raises(PermissionDenied) as refusal:
        set_cells(school_a, global_textbook, [(global_paragraph.pk, outcomes[0].pk, "1")])
    assert "is a global textbook" in str(refusal.value)
    assert "Copy into my school" in str(refusal.value)
    assert stored(global_textbook) == {}

    with super_admin_context():  # methodologists align global textbooks
        result = alignments_bulk_set(textbook=global_textbook, cells=[(global_paragraph.pk, outcomes[0].pk, "1")])
    assert result.added == 1


def test_the_grid_defaults_to_the_textbooks_grade_and_widens(school_a, chapter_a, outcomes):
    textbook = chapter_a.textbook
    p1 = paragraphs_of(chapter_a)[0]
    with super_admin_context():
        ParagraphOutcome.objects.create(paragraph=p1, outcome=outcomes[5], confidence=Decimal("0.40"))

    with tenant_context(school_id=school_a.pk):
        default = alignment_grid(context=school_context(school_a), textbook=textbook, chapter=chapter_a)
        wide = alignment_grid(context=school_context(school_a), textbook=textbook, chapter=chapter_a, grades=[7, 8])
        whole = alignment_grid(context=school_context(school_a), textbook=textbook)

    assert default.grades == [7]
    assert [o.code for o in default.outcomes] == [o.code for o in outcomes[:5]]
    assert default.confidence == {}
    assert [o.code for o in wide.outcomes] == [o.code for o in outcomes]
    assert wide.confidence == {(p1.pk, outcomes[5].pk): Decimal("0.40")}
    assert [p.id for p in default.paragraphs] == [p.pk for p in paragraphs_of(chapter_a)]
    assert len(whole.paragraphs) == 8  # both chapters
    assert default.sections[0].span == 5


def test_the_grid_filters_by_section_and_subsection(school_a, chapter_a, outcomes, section, subsection):
    with super_admin_context():
        other = section.subsections.create(code="2.2", name_ru="Другое")
        extra = LearningOutcome.objects.create(
            framework=outcomes[0].framework, subsection=other, grade=7, code="7.2.2.1", title_ru="другая",
        )
    with tenant_context(school_id=school_a.pk):
        by_subsection = alignment_grid(
            context=school_context(school_a), textbook=chapter_a.textbook, chapter=chapter_a, subsection_id=other.pk,
        )
        by_section = alignment_grid(
            context=school_context(school_a), textbook=chapter_a.textbook, chapter=chapter_a, section_id=section.pk,
        )
    assert [o.id for o in by_subsection.outcomes] == [extra.pk]
    assert len(by_section.outcomes) == 6


def school_context(school):
    return TenantContext(school_id=school.pk)


# The admin page

def signed_in(user, host):
    client = Client(HTTP_HOST=host)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_admin_grid_saves_ticks_and_confidence(teacher_a, chapter_a, outcomes):
    client = signed_in(teacher_a, "school-a.localhost")
    url = f"/en/admin/textbooks/chapter/{chapter_a.pk}/align/"
    p1, p2, *_rest = paragraphs_of(chapter_a)

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert outcomes[1].title_ru.strip() in html  # the whole text, not cut
    assert f'name="cell-{p1.pk}-{outcomes[0].pk}"' in html

    scope = {"paragraphs": [p.pk for p in paragraphs_of(chapter_a)], "outcomes": [o.pk for o in outcomes[:5]]}
    response = client.post(url, {
        **scope, f"cell-{p1.pk}-{outcomes[0].pk}": "on", f"confidence-{p1.pk}-{outcomes[0].pk}": "0.75",
        f"cell-{p2.pk}-{outcomes[1].pk}": "on", f"confidence-{p2.pk}-{outcomes[1].pk}": "",
    }, follow=True)

    assert "2 added, 0 changed, 0 removed." in response.content.decode()
    assert stored(chapter_a.textbook) == {(p1.pk, outcomes[0].pk): Decimal("0.75"), (p2.pk, outcomes[1].pk): Decimal("1.00")}

    response = client.post(url, {**scope, f"cell-{p1.pk}-{outcomes[0].pk}": "on", f"confidence-{p1.pk}-{outcomes[0].pk}": "5"})
    assert response.status_code == 200
    assert f"§{p1.number} × {outcomes[0].code}: confidence must be a number from 0 to 1." in response.content.decode()
    assert len(stored(chapter_a.textbook)) == 2  # nothing changed


def test_the_admin_grid_of_a_global_textbook_is_read_only_for_a_school(admin_a, global_textbook, global_paragraph, outcomes):
    client = signed_in(admin_a, "school-a.localhost")
    url = f"/en/admin/textbooks/textbook/{global_textbook.pk}/align/"

    page = client.get(url).content.decode()
    assert "is a global textbook" in page
    assert 'type="submit" name="save"' not in page
    assert '<th scope="rowgroup" colspan="6">1. Глава 1</th>' in page  # chapter headings in a textbook's grid

    response = client.post(url, {
        "paragraphs": [global_paragraph.pk], "outcomes": [outcomes[0].pk], f"cell-{global_paragraph.pk}-{outcomes[0].pk}": "on",
    })
    assert "is a global textbook" in response.content.decode()
    assert stored(global_textbook) == {}


def test_another_schools_chapter_grid_is_404(admin_b, chapter_a, outcomes):
    assert signed_in(admin_b, "school-b.localhost").get(f"/en/admin/textbooks/chapter/{chapter_a.pk}/align/").status_code == 404


# The API

def api_client(user):
    client = _api_client(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_api_sets_cells_in_one_call(teacher_a, chapter_a, outcomes):
    p1, p2, *_rest = paragraphs_of(chapter_a)
    client = api_client(teacher_a)
    url = f"{API}/textbooks/{chapter_a.textbook_id}/alignments/bulk/"

    response = client.post(url, {"cells": [
        {"paragraph": p1.pk, "outcome": outcomes[0].pk, "aligned": True, "confidence": 0.6},
        {"paragraph": p2.pk, "outcome": outcomes[1].pk, "aligned": True},
    ]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"added": 2, "changed": 0, "removed": 0, "message": "Alignments saved: 2 added, 0 changed, 0 removed."}

    response = client.post(url, {"cells": [
        {"paragraph": p1.pk, "outcome": outcomes[0].pk, "aligned": False},
        {"paragraph": p2.pk, "outcome": outcomes[1].pk, "aligned": True, "confidence": 0.3},
    ]}, format="json")
    assert (response.json()["changed"], response.json()["removed"]) == (1, 1)
    assert stored(chapter_a.textbook) == {(p2.pk, outcomes[1].pk): Decimal("0.30")}


def test_api_refusals(admin_a, admin_b, chapter_a, global_textbook, global_paragraph, outcomes):
    p1 = paragraphs_of(chapter_a)[0]
    cell = {"paragraph": p1.pk, "outcome": outcomes[0].pk, "aligned": True}

    assert_error(api_client(admin_b).post(f"{API}/textbooks/{chapter_a.textbook_id}/alignments/bulk/", {"cells": [cell]}, format="json"), 404)
    error = assert_error(api_client(admin_a).post(
        f"{API}/textbooks/{global_textbook.pk}/alignments/bulk/",
        {"cells": [{**cell, "paragraph": global_paragraph.pk}]}, format="json",
    ), 403)
    assert "is a global textbook" in error["message"]
    assert_error(api_client(admin_a).post(
        f"{API}/textbooks/{chapter_a.textbook_id}/alignments/bulk/", {"cells": [{**cell, "confidence": 3}]}, format="json",
    ), 400, fields=["cells.0.confidence"])
    error = assert_error(api_client(admin_a).post(
        f"{API}/textbooks/{chapter_a.textbook_id}/alignments/bulk/",
        {"cells": [cell, {**cell, "aligned": False}]}, format="json",
    ), 400)
    assert "listed twice" in str(error)
    assert stored(chapter_a.textbook) == {} and stored(global_textbook) == {}


# The chooser on the paragraph page

def test_the_chooser_offers_the_textbooks_grade_and_widens(teacher_a, chapter_a, outcomes):
    paragraph = paragraphs_of(chapter_a)[0]
    client = signed_in(teacher_a, "school-a.localhost")
    page = client.get(f"/en/admin/textbooks/paragraph/{paragraph.pk}/change/").content.decode()
    subject = chapter_a.textbook.subject_id
    assert f'data-ajax--url="/en/admin/autocomplete/?subject={subject}&amp;grade=7"' in page
    assert "?outcome_grades=7%2C8" in page  # the link that adds grade 8

    wide = client.get(f"/en/admin/textbooks/paragraph/{paragraph.pk}/change/?outcome_grades=7,8").content.decode()
    assert f'data-ajax--url="/en/admin/autocomplete/?subject={subject}&amp;grade=7%2C8"' in wide

    def offered(grade):
        response = client.get("/en/admin/autocomplete/", {
            "app_label": "textbooks", "model_name": "paragraphoutcome", "field_name": "outcome",
            "subject": chapter_a.textbook.subject_id, "grade": grade, "term": "",
        })
        assert response.status_code == 200, response.content
        return {item["id"]: item["text"] for item in response.json()["results"]}

    assert set(offered("7")) == {str(o.pk) for o in outcomes[:5]}
    assert set(offered("7,8")) == {str(o.pk) for o in outcomes}
    long_one = outcomes[1]
    assert f" · {long_one.code} {long_one.title_ru}" in offered("7")[str(long_one.pk)]  # the whole text
    assert len(long_one.title_ru) > 80

    with tenant_context(school_id=chapter_a.textbook.school_id):
        assert outcomes[5] not in outcomes_for_paragraph(paragraph=paragraph)
        assert outcomes[5] in outcomes_for_paragraph(paragraph=paragraph, grades=[7, 8])


def test_messages_are_translated(school_a, global_textbook, global_paragraph, outcomes):
    for language, summary, refusal in [
        ("ru", "добавлено: 2, изменено: 1, удалено: 0.", "общий учебник"),
        ("kk", "қосылды: 2, өзгертілді: 1, жойылды: 0.", "жалпы оқулық"),
    ]:
        with translation.override(language):
            assert BulkResult(added=2, changed=1, removed=0).summary() == summary
            with pytest.raises(PermissionDenied) as refused:
                set_cells(school_a, global_textbook, [(global_paragraph.pk, outcomes[0].pk, "1")])
            assert refusal in str(refused.value)


def test_the_admin_grid_filters_and_widens(teacher_a, chapter_a, outcomes, section):
    with super_admin_context():
        other_section = section.framework.sections.create(code="3", name_ru="Другой раздел")
        other = other_section.subsections.create(code="3.1", name_ru="Другое")
        extra = LearningOutcome.objects.create(framework=section.framework, subsection=other, grade=7, code="7.3.1.1", title_ru="другая")
    client = signed_in(teacher_a, "school-a.localhost")
    url = f"/en/admin/textbooks/chapter/{chapter_a.pk}/align/"

    def columns(query):
        response = client.get(url, query)
        assert response.status_code == 200
        return [outcome.code for outcome in response.context["grid"].outcomes]

    assert columns({}) == [o.code for o in outcomes[:5]] + [extra.code]
    assert columns({"section": other_section.pk}) == [extra.code]
    assert columns({"subsection": other.pk}) == [extra.code]
    assert columns({"section": section.pk, "grades": [7, 8]}) == [o.code for o in outcomes]
    assert f'<option value="{other_section.pk}" selected>' in client.get(url, {"section": other_section.pk}).content.decode()


def test_a_methodologist_bulk_aligns_a_global_textbook(methodologist, global_textbook, global_paragraph, outcomes):
    client = signed_in(methodologist, "testserver")
    url = f"/en/admin/textbooks/textbook/{global_textbook.pk}/align/"
    assert 'name="save"' in client.get(url).content.decode()

    response = client.post(url, {
        "paragraphs": [global_paragraph.pk], "outcomes": [o.pk for o in outcomes[:5]],
        f"cell-{global_paragraph.pk}-{outcomes[2].pk}": "on", f"confidence-{global_paragraph.pk}-{outcomes[2].pk}": "0.9",
    }, follow=True)

    assert "1 added, 0 changed, 0 removed." in response.content.decode()
    assert stored(global_textbook) == {(global_paragraph.pk, outcomes[2].pk): Decimal("0.90")}


def test_the_admin_grid_refuses_a_forged_huge_scope(teacher_a, chapter_a, outcomes):
    client = signed_in(teacher_a, "school-a.localhost")
    response = client.post(f"/en/admin/textbooks/chapter/{chapter_a.pk}/align/", {
        "paragraphs": list(range(1, 101)), "outcomes": list(range(1, 101)),
    })
    assert "At most 4000 cells can be saved at once." in response.content.decode()

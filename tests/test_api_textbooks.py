"""Textbooks and alignments over the REST API: the same isolation as the database.

For every endpoint: the owner school sees and changes its own rows; another school gets a 404 (the
row's existence must not leak); global content is readable by schools but changing it is a 403;
methodologists see and change everything; anonymous callers get a 401 (tests/test_api_goso.py).
"""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from curriculum.models import LearningOutcome
from tenants.context import super_admin_context
from tests.api_support import API, api_client, assert_error, ids
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook


@pytest.fixture
def second_outcome(outcome):
    with super_admin_context():
        return LearningOutcome.objects.create(
            framework=outcome.framework, subsection=outcome.subsection, grade=7, code="7.2.1.2", title_ru="вторая цель",
        )


def stored_alignments(paragraph):
    with super_admin_context():
        return {(link.outcome_id, link.confidence) for link in ParagraphOutcome.objects.filter(paragraph=paragraph)}


# Reads

@pytest.mark.parametrize("resource", ["textbooks", "chapters", "paragraphs"])
def test_a_school_sees_its_own_and_global_content_only(resource, admin_a, global_textbook, textbook_a, textbook_b):
    client = api_client(admin_a)
    model = {"textbooks": Textbook, "chapters": Chapter, "paragraphs": Paragraph}[resource]
    textbook_field = {"textbooks": "pk", "chapters": "textbook_id", "paragraphs": "chapter__textbook_id"}[resource]
    with super_admin_context():
        row = {tb.pk: model.objects.get(**{textbook_field: tb.pk}).pk for tb in (global_textbook, textbook_a, textbook_b)}

    assert sorted(ids(client.get(f"{API}/{resource}/"))) == sorted([row[global_textbook.pk], row[textbook_a.pk]])
    assert client.get(f"{API}/{resource}/{row[textbook_a.pk]}/").status_code == 200
    assert client.get(f"{API}/{resource}/{row[global_textbook.pk]}/").status_code == 200
    assert_error(client.get(f"{API}/{resource}/{row[textbook_b.pk]}/"), 404, code="not_found")


def test_a_school_sees_its_own_and_global_alignments_only(admin_a, alignment_a, alignment_b, global_alignment):
    client = api_client(admin_a)

    assert sorted(ids(client.get(f"{API}/alignments/"))) == sorted([alignment_a.pk, global_alignment.pk])
    assert ids(client.get(f"{API}/alignments/", {"paragraph": alignment_b.paragraph_id})) == []
    assert client.get(f"{API}/alignments/{alignment_a.pk}/").status_code == 200


@pytest.mark.parametrize("resource", ["textbooks", "chapters", "paragraphs", "alignments"])
def test_a_methodologist_sees_every_school(resource, methodologist, global_alignment, alignment_a, alignment_b):
    assert len(ids(api_client(methodologist).get(f"{API}/{resource}/"))) == 3


def test_ids_in_the_query_string_only_narrow(admin_a, textbook_a, textbook_b, global_textbook):
    client = api_client(admin_a)

    assert ids(client.get(f"{API}/textbooks/", {"school": textbook_b.school_id})) == []
    assert ids(client.get(f"{API}/paragraphs/", {"textbook": textbook_b.pk})) == []
    assert ids(client.get(f"{API}/textbooks/", {"is_global": "true"})) == [global_textbook.pk]
    assert ids(client.get(f"{API}/textbooks/", {"is_global": "false"})) == [textbook_a.pk]


def test_paragraph_serialises_its_content(admin_a, paragraph_a):
    body = api_client(admin_a).get(f"{API}/paragraphs/{paragraph_a.pk}/").json()

    assert body["textbook"] == paragraph_a.chapter.textbook_id
    assert body["school"] == paragraph_a.school_id
    assert body["key_terms"] == ["Тауке хан", "Жеты жаргы"]
    assert body["questions"] == [{"text": "Каковы основные цели?"}]


def test_a_paragraphs_outcomes(admin_a, admin_b, methodologist, alignment_a, global_alignment, paragraph_a, global_paragraph):
    rows = api_client(admin_a).get(f"{API}/paragraphs/{paragraph_a.pk}/outcomes/").json()["results"]
    assert [(row["id"], row["outcome"]["code"]) for row in rows] == [(alignment_a.pk, "7.2.1.1")]

    rows = api_client(admin_a).get(f"{API}/paragraphs/{global_paragraph.pk}/outcomes/").json()["results"]
    assert [(row["id"], row["confidence"]) for row in rows] == [(global_alignment.pk, 0.8)]

    assert_error(api_client(admin_b).get(f"{API}/paragraphs/{paragraph_a.pk}/outcomes/"), 404)
    assert api_client(methodologist).get(f"{API}/paragraphs/{paragraph_a.pk}/outcomes/").status_code == 200


def test_an_outcomes_paragraphs_are_the_callers_and_global(
    admin_a, school_a, methodologist, outcome, alignment_a, alignment_b, global_alignment
):
    rows = api_client(admin_a).get(f"{API}/outcomes/{outcome.pk}/paragraphs/").json()["results"]

    assert sorted(row["id"] for row in rows) == sorted([alignment_a.pk, global_alignment.pk])
    by_id = {row["id"]: row for row in rows}
    assert by_id[global_alignment.pk]["paragraph"]["textbook"]["is_global"] is True
    assert by_id[alignment_a.pk]["paragraph"]["textbook"]["school"] == school_a.pk
    assert len(ids(api_client(methodologist).get(f"{API}/outcomes/{outcome.pk}/paragraphs/"))) == 3
    assert_error(api_client(admin_a).get(f"{API}/outcomes/999999/paragraphs/"), 404)


# Alignment writes

def test_owner_creates_updates_and_deletes_an_alignment(admin_a, paragraph_a, outcome):
    client = api_client(admin_a)

    created = client.post(
        f"{API}/alignments/", {"paragraph": paragraph_a.pk, "outcome": outcome.pk, "confidence": 0.5, "anchor": "p. 3"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["paragraph"], body["outcome"], body["confidence"], body["created_by"]) == (
        paragraph_a.pk, outcome.pk, 0.5, admin_a.pk,
    )
    assert body["school"] == paragraph_a.school_id  # copied by the database, never taken from the body

    changed = client.patch(f"{API}/alignments/{body['id']}/", {"confidence": 0.9, "notes": "checked"}, format="json")
    assert changed.status_code == 200, changed.content
    unchanged = client.patch(f"{API}/alignments/{body['id']}/", {}, format="json")  # nothing to change: not a refusal
    assert unchanged.status_code == 200, unchanged.content
    assert stored_alignments(paragraph_a) == {(outcome.pk, Decimal("0.90"))}

    assert client.delete(f"{API}/alignments/{body['id']}/").status_code == 204
    assert stored_alignments(paragraph_a) == set()


def test_a_teacher_aligns_own_school_content(teacher_a, paragraph_a, outcome):
    response = api_client(teacher_a).post(f"{API}/alignments/", {"paragraph": paragraph_a.pk, "outcome": outcome.pk}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["confidence"] == 1.0


def test_another_schools_paragraph_is_404_and_nothing_is_written(admin_b, paragraph_a, outcome):
    response = api_client(admin_b).post(f"{API}/alignments/", {"paragraph": paragraph_a.pk, "outcome": outcome.pk}, format="json")

    assert_error(response, 404, code="not_found")
    assert stored_alignments(paragraph_a) == set()
    # Same answer as for a paragraph that does not exist: nothing leaks.
    missing = api_client(admin_b).post(f"{API}/alignments/", {"paragraph": 10**9, "outcome": outcome.pk}, format="json")
    assert missing.json() == response.json()


def test_a_global_paragraph_is_403_for_a_school(admin_a, global_paragraph, outcome):
    response = api_client(admin_a).post(f"{API}/alignments/", {"paragraph": global_paragraph.pk, "outcome": outcome.pk}, format="json")

    assert_error(response, 403, code="permission_denied")
    assert stored_alignments(global_paragraph) == set()


def test_methodologist_aligns_global_and_school_content(methodologist, global_paragraph, paragraph_b, outcome):
    client = api_client(methodologist)
    for paragraph in (global_paragraph, paragraph_b):
        response = client.post(f"{API}/alignments/", {"paragraph": paragraph.pk, "outcome": outcome.pk}, format="json")
        assert response.status_code == 201, response.content
        assert stored_alignments(paragraph) == {(outcome.pk, Decimal("1.00"))}


def test_changing_another_schools_alignment_is_404_and_a_global_one_403(admin_b, alignment_a, global_alignment):
    client = api_client(admin_b)

    assert_error(client.get(f"{API}/alignments/{alignment_a.pk}/"), 404)
    assert_error(client.patch(f"{API}/alignments/{alignment_a.pk}/", {"confidence": 0}, format="json"), 404)
    assert_error(client.delete(f"{API}/alignments/{alignment_a.pk}/"), 404)
    assert client.get(f"{API}/alignments/{global_alignment.pk}/").status_code == 200
    assert_error(client.patch(f"{API}/alignments/{global_alignment.pk}/", {"confidence": 0}, format="json"), 403)
    assert_error(client.delete(f"{API}/alignments/{global_alignment.pk}/"), 403)
    assert stored_alignments(alignment_a.paragraph) == {(alignment_a.outcome_id, Decimal("1.00"))}
    assert stored_alignments(global_alignment.paragraph) == {(global_alignment.outcome_id, Decimal("0.80"))}


def test_a_duplicate_alignment_is_a_400_naming_the_fields(admin_a, alignment_a):
    response = api_client(admin_a).post(
        f"{API}/alignments/", {"paragraph": alignment_a.paragraph_id, "outcome": alignment_a.outcome_id}, format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    error = assert_error(response, 400, code="invalid", fields=["paragraph", "outcome"])
    assert error["fields"]["outcome"] == ["This paragraph is already aligned to this outcome."]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"confidence": 1.5}, "confidence"),
        ({"confidence": "high"}, "confidence"),
        ({"outcome": 10**9}, "outcome"),
        ({"paragraph": "abc"}, "paragraph"),
        ({"anchor": "x" * 300}, "anchor"),
    ],
)
def test_invalid_alignment_input_names_the_field(admin_a, paragraph_a, outcome, data, field):
    body = {"paragraph": paragraph_a.pk, "outcome": outcome.pk, **data}

    assert_error(api_client(admin_a).post(f"{API}/alignments/", body, format="json"), 400, fields=[field])
    assert stored_alignments(paragraph_a) == set()


def test_replace_a_paragraphs_whole_set(admin_a, paragraph_a, alignment_a, outcome, second_outcome):
    response = api_client(admin_a).put(
        f"{API}/paragraphs/{paragraph_a.pk}/outcomes/",
        {"alignments": [{"outcome": second_outcome.pk, "confidence": 0.7}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert [row["outcome"]["code"] for row in response.json()["alignments"]] == ["7.2.1.2"]
    assert stored_alignments(paragraph_a) == {(second_outcome.pk, Decimal("0.70"))}


def test_replace_is_all_or_nothing_and_names_the_bad_item(admin_a, paragraph_a, alignment_a, second_outcome):
    response = api_client(admin_a).put(
        f"{API}/paragraphs/{paragraph_a.pk}/outcomes/",
        {"alignments": [{"outcome": second_outcome.pk}, {"outcome": 10**9}]},
        format="json",
    )

    assert_error(response, 400, fields=["alignments.1.outcome"])
    assert stored_alignments(paragraph_a) == {(alignment_a.outcome_id, Decimal("1.00"))}


def test_replace_refuses_duplicates(admin_a, paragraph_a, outcome):
    response = api_client(admin_a).put(
        f"{API}/paragraphs/{paragraph_a.pk}/outcomes/",
        {"alignments": [{"outcome": outcome.pk}, {"outcome": outcome.pk}]}, format="json",
    )

    assert_error(response, 400, code="invalid")


def test_replace_on_another_school_is_404_and_on_global_403(admin_b, paragraph_a, global_paragraph, global_alignment, outcome):
    client = api_client(admin_b)
    body = {"alignments": []}

    assert_error(client.put(f"{API}/paragraphs/{paragraph_a.pk}/outcomes/", body, format="json"), 404)
    assert_error(client.put(f"{API}/paragraphs/{global_paragraph.pk}/outcomes/", body, format="json"), 403)
    assert stored_alignments(global_paragraph) == {(outcome.pk, Decimal("0.80"))}


# Forking

def test_a_school_forks_a_global_textbook(admin_a, school_a, global_textbook, global_alignment):
    response = api_client(admin_a).post(f"{API}/textbooks/{global_textbook.pk}/fork/", {}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["school"], body["global_textbook"], body["is_global"]) == (school_a.pk, global_textbook.pk, False)
    with super_admin_context():
        assert ParagraphOutcome.objects.filter(paragraph__chapter__textbook_id=body["id"]).count() == 1


def test_fork_refusals(admin_a, admin_b, school_b, global_textbook, textbook_a, textbook_b):
    client = api_client(admin_a)

    assert_error(client.post(f"{API}/textbooks/{textbook_b.pk}/fork/", {}, format="json"), 404)
    assert_error(client.post(f"{API}/textbooks/{textbook_a.pk}/fork/", {}, format="json"), 400)  # not global
    assert_error(client.post(f"{API}/textbooks/{global_textbook.pk}/fork/", {"school": school_b.pk}, format="json"), 403)
    assert client.post(f"{API}/textbooks/{global_textbook.pk}/fork/", {}, format="json").status_code == 201
    assert_error(client.post(f"{API}/textbooks/{global_textbook.pk}/fork/", {}, format="json"), 400)  # second copy
    with super_admin_context():
        assert not Textbook.objects.filter(school=school_b, global_textbook=global_textbook).exists()


def test_a_methodologist_forks_into_a_named_school(methodologist, school_b, global_textbook):
    client = api_client(methodologist)

    assert_error(client.post(f"{API}/textbooks/{global_textbook.pk}/fork/", {}, format="json"), 400, fields=["school"])
    response = client.post(f"{API}/textbooks/{global_textbook.pk}/fork/", {"school": school_b.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["school"] == school_b.pk


# Authentication and hosts

def test_a_token_is_obtained_with_username_and_password(admin_a):
    client = api_client()

    response = client.post(f"{API}/auth/token/", {"username": "admin_a", "password": "correct-horse-battery-staple"}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token}").get(f"{API}/subjects/").status_code == 200
    assert_error(client.post(f"{API}/auth/token/", {"username": "admin_a", "password": "wrong"}, format="json"), 400)


def test_a_school_user_on_its_own_school_host(admin_a, textbook_a, textbook_b):
    assert ids(api_client(admin_a, host="school-a.localhost").get(f"{API}/textbooks/")) == [textbook_a.pk]


def test_a_token_on_another_schools_host_is_403(admin_a, school_b, textbook_a):
    response = api_client(admin_a, host="school-b.localhost").get(f"{API}/textbooks/")

    assert_error(response, 403, code="permission_denied")


def test_a_methodologist_on_a_school_host_is_403(methodologist, school_a):
    assert_error(api_client(methodologist, host="school-a.localhost").get(f"{API}/subjects/"), 403)


def test_sessions_work_for_the_browser(client, admin_a, textbook_a, textbook_b):
    client.force_login(admin_a)

    response = client.get(f"{API}/textbooks/")
    assert [row["id"] for row in response.json()["results"]] == [textbook_a.pk]

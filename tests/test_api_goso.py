"""GOSO over the REST API: reads for everyone authenticated, writes for methodologists only."""

import pytest
from django.utils import translation

from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from tenants.context import super_admin_context
from tests.api_support import API, api_client, assert_error, ids

LIST_ENDPOINTS = [
    "subjects", "frameworks", "sections", "subsections", "outcomes", "textbooks", "chapters", "paragraphs",
    "alignments",
]


@pytest.fixture
def outcomes(outcome, subsection):
    """7.2.1.1 (the `outcome` fixture), 7.2.1.2, 7.2.10.1 (subsection 2.10), 8.2.1.1, an inactive 7.2.1.3."""
    framework = subsection.section.framework
    with super_admin_context():
        subsection_10 = Subsection.objects.create(section=subsection.section, code="2.10", name_ru="Искусство")
        made = {
            "7.2.1.2": LearningOutcome.objects.create(
                framework=framework, subsection=subsection, grade=7, code="7.2.1.2",
                title_ru="описывать обычаи казахов", title_kz="қазақтардың салт-дәстүрін сипаттау",
            ),
            "7.2.10.1": LearningOutcome.objects.create(
                framework=framework, subsection=subsection_10, grade=7, code="7.2.10.1", title_ru="анализировать искусство",
            ),
            "8.2.1.1": LearningOutcome.objects.create(
                framework=framework, subsection=subsection, grade=8, code="8.2.1.1", title_ru="оценивать реформы",
            ),
            "7.2.1.3": LearningOutcome.objects.create(
                framework=framework, subsection=subsection, grade=7, code="7.2.1.3", title_ru="старая цель",
                is_active=False,
            ),
        }
    return {"7.2.1.1": outcome, **made}


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_anonymous_gets_401_with_the_error_shape(db, endpoint):
    response = api_client().get(f"{API}/{endpoint}/")

    assert_error(response, 401, code="not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_anonymous_gets_401_on_details_and_writes(outcome):
    client = api_client()
    assert_error(client.get(f"{API}/outcomes/{outcome.pk}/"), 401)
    assert_error(client.get(f"{API}/frameworks/{outcome.framework_id}/structure/"), 401)
    assert_error(client.post(f"{API}/subjects/", {}, format="json"), 401)
    assert_error(client.post(f"{API}/alignments/", {}, format="json"), 401)


def test_a_bad_token_is_401(db):
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(client.get(f"{API}/subjects/"), 401, code="authentication_failed")


@pytest.mark.parametrize("who", ["admin_a", "teacher_a", "methodologist"])
def test_everyone_authenticated_reads_goso(request, who, outcome):
    client = api_client(request.getfixturevalue(who))

    assert ids(client.get(f"{API}/subjects/")) == [outcome.framework.subject_id]
    assert ids(client.get(f"{API}/frameworks/")) == [outcome.framework_id]
    assert ids(client.get(f"{API}/sections/")) == [outcome.subsection.section_id]
    assert ids(client.get(f"{API}/subsections/")) == [outcome.subsection_id]
    assert ids(client.get(f"{API}/outcomes/")) == [outcome.pk]


def test_lists_are_paginated(admin_a, outcomes):
    response = api_client(admin_a).get(f"{API}/outcomes/", {"page_size": 2})

    body = response.json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"] is None
    assert_error(api_client(admin_a).get(f"{API}/outcomes/", {"page": 99}), 404, code="not_found")


def test_outcomes_come_in_numeric_code_order(admin_a, outcomes):
    codes = [row["code"] for row in api_client(admin_a).get(f"{API}/outcomes/").json()["results"]]

    assert codes == ["7.2.1.1", "7.2.1.2", "7.2.1.3", "7.2.10.1", "8.2.1.1"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"grade": 8}, ["8.2.1.1"]),
        ({"code": "7.2.1"}, ["7.2.1.1", "7.2.1.2", "7.2.1.3"]),  # whole segments: not 7.2.10.1
        ({"code": "7.2.10"}, ["7.2.10.1"]),
        ({"is_active": "false"}, ["7.2.1.3"]),
        ({"search": "ОБЫЧАИ"}, ["7.2.1.2"]),  # Russian, case-insensitive
        ({"search": "салт-дәстүр"}, ["7.2.1.2"]),  # Kazakh
        ({"grade": 7, "is_active": "true", "code": "7.2"}, ["7.2.1.1", "7.2.1.2", "7.2.10.1"]),
    ],
)
def test_outcome_filters(admin_a, outcomes, query, expected):
    rows = api_client(admin_a).get(f"{API}/outcomes/", query).json()["results"]

    assert [row["code"] for row in rows] == expected


def test_outcome_filters_by_tree_position(admin_a, outcomes, subsection):
    client = api_client(admin_a)
    framework_id = subsection.section.framework_id
    subsection_10 = outcomes["7.2.10.1"].subsection_id

    assert len(ids(client.get(f"{API}/outcomes/", {"framework": framework_id}))) == 5
    assert ids(client.get(f"{API}/outcomes/", {"framework": framework_id + 1000})) == []
    assert len(ids(client.get(f"{API}/outcomes/", {"section": subsection.section_id}))) == 5
    assert ids(client.get(f"{API}/outcomes/", {"subsection": subsection_10})) == [outcomes["7.2.10.1"].pk]
    assert ids(client.get(f"{API}/subsections/", {"framework": framework_id})) == [subsection.pk, subsection_10]


def test_a_bad_filter_value_is_a_400_naming_the_filter(admin_a, outcome):
    response = api_client(admin_a).get(f"{API}/outcomes/", {"grade": "seventh", "framework": "1.5"})

    assert_error(response, 400, code="invalid", fields=["grade", "framework"])
    assert_error(api_client(admin_a).get(f"{API}/outcomes/", {"grade": 12}), 400, fields=["grade"])


def test_outcome_detail_spells_out_its_place(admin_a, outcome):
    body = api_client(admin_a).get(f"{API}/outcomes/{outcome.pk}/").json()

    assert body["code"] == "7.2.1.1"
    assert body["framework"] == {
        "id": outcome.framework_id, "code": "goso_hist_kz_2022_09_16", "title": "ГОСО История Казахстана (5-9 классы)",
        "title_ru": "ГОСО История Казахстана (5-9 классы)", "title_kz": "",
    }
    assert body["section"]["code"] == "2"
    assert body["subsection"] == {
        "id": outcome.subsection_id, "code": "2.1", "name": "Мировоззрение и религия", "name_ru": "Мировоззрение и религия",
        "name_kz": "",
    }


def test_unknown_outcome_is_404(admin_a, db):
    assert_error(api_client(admin_a).get(f"{API}/outcomes/999999/"), 404, code="not_found")


def test_framework_structure_is_the_whole_tree_in_code_order(admin_a, outcomes, subsection):
    framework_id = subsection.section.framework_id
    body = api_client(admin_a).get(f"{API}/frameworks/{framework_id}/structure/").json()

    assert body["id"] == framework_id
    assert body["subject"]["code"] == "history_kz"
    [section] = body["sections"]
    assert [sub["code"] for sub in section["subsections"]] == ["2.1", "2.10"]
    assert [o["code"] for o in section["subsections"][0]["outcomes"]] == ["7.2.1.1", "7.2.1.2", "7.2.1.3", "8.2.1.1"]
    assert [o["code"] for o in section["subsections"][1]["outcomes"]] == ["7.2.10.1"]
    assert_error(api_client(admin_a).get(f"{API}/frameworks/{framework_id + 1000}/structure/"), 404)


# Writes: methodologists only

def test_methodologist_creates_updates_and_deactivates_goso(methodologist, subsection):
    client = api_client(methodologist)
    framework_id = subsection.section.framework_id

    created = client.post(
        f"{API}/outcomes/",
        {"framework": framework_id, "subsection": subsection.pk, "grade": 6, "code": "6.2.1.1", "title_ru": "новая цель"},
        format="json",
    )
    assert created.status_code == 201, created.content
    outcome_id = created.json()["id"]
    assert created.json()["section"] == subsection.section_id

    changed = client.patch(f"{API}/outcomes/{outcome_id}/", {"title_kz": "жаңа мақсат"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["title_kz"] == "жаңа мақсат"

    deactivated = client.post(f"{API}/outcomes/{outcome_id}/deactivate/")
    assert deactivated.status_code == 200
    assert deactivated.json()["is_active"] is False
    with super_admin_context():
        stored = LearningOutcome.objects.get(pk=outcome_id)  # deactivated, never deleted
        assert (stored.title_kz, stored.is_active) == ("жаңа мақсат", False)

    assert client.delete(f"{API}/outcomes/{outcome_id}/").status_code == 405


def test_methodologist_creates_the_whole_chain(methodologist, db):
    client = api_client(methodologist)

    def post(endpoint, data):
        response = client.post(f"{API}/{endpoint}/", data, format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    subject_id = post("subjects", {"code": "biology", "name_ru": "Биология", "grade_from": 7, "grade_to": 9})
    framework_id = post("frameworks", {"code": "goso_bio", "subject": subject_id, "title_ru": "ГОСО Биология"})
    section_id = post("sections", {"framework": framework_id, "code": "1", "name_ru": "Разнообразие"})
    subsection_id = post("subsections", {"section": section_id, "code": "1.1", "name_ru": "Клетка"})
    post("outcomes", {"framework": framework_id, "subsection": subsection_id, "grade": 7, "code": "7.1.1.1", "title_ru": "т"})

    with super_admin_context():
        assert Framework.objects.get(pk=framework_id).subject_id == subject_id
        assert Section.objects.filter(framework_id=framework_id).count() == 1


@pytest.mark.parametrize("who", ["admin_a", "teacher_a"])
def test_school_staff_cannot_write_goso(request, who, outcome):
    client = api_client(request.getfixturevalue(who))

    assert_error(client.post(f"{API}/subjects/", {"code": "x", "name_ru": "X", "grade_from": 1, "grade_to": 2}, format="json"),
                 403, code="permission_denied")
    assert_error(client.patch(f"{API}/outcomes/{outcome.pk}/", {"title_ru": "взлом"}, format="json"), 403)
    assert_error(client.post(f"{API}/outcomes/{outcome.pk}/deactivate/"), 403)
    with super_admin_context():
        outcome.refresh_from_db()
    assert (outcome.title_ru, outcome.is_active) == ("объяснять роль религии", True)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"grade": 7, "code": "8.2.1.5"}, "code"),  # does not agree with grade 7
        ({"grade": 7, "code": "7.2.1.1"}, None),  # duplicate code in the framework
        ({"grade": 12, "code": "12.2.1.1"}, "grade"),
        ({"grade": 7, "code": "7.2.1.x"}, "code"),
        ({"grade": 7, "code": "7.2.1.9", "subsection": 10**9}, "subsection"),
    ],
)
def test_invalid_goso_is_a_400_that_names_the_problem(methodologist, outcome, data, field):
    body = {"framework": outcome.framework_id, "subsection": outcome.subsection_id, "title_ru": "т", **data}
    error = assert_error(api_client(methodologist).post(f"{API}/outcomes/", body, format="json"), 400, code="invalid")

    if field:
        assert field in error["fields"], error
    with super_admin_context():
        assert LearningOutcome.objects.count() == 1


def test_subject_code_format_names_the_field(methodologist, db):
    response = api_client(methodologist).post(
        f"{API}/subjects/", {"code": "Bad Code", "name_ru": "X", "grade_from": 5, "grade_to": 9}, format="json"
    )

    assert_error(response, 400, fields=["code"])
    with super_admin_context():
        assert not Subject.objects.exists()


def test_malformed_json_is_a_400_in_the_error_shape(methodologist, db):
    response = api_client(methodologist).post(f"{API}/subjects/", "{not json", content_type="application/json")

    assert_error(response, 400, code="parse_error")


def test_unknown_api_paths_answer_in_the_error_shape(admin_a):
    assert_error(api_client(admin_a).get(f"{API}/outcomes/abc/"), 404, code="not_found")
    assert_error(api_client(admin_a).get(f"{API}/no-such-thing/"), 404, code="not_found")


def test_a_value_postgresql_cannot_store_is_a_400(methodologist, subject):
    response = api_client(methodologist).post(
        f"{API}/frameworks/", {"code": "nul", "subject": subject.pk, "title_ru": "т", "amendments": [{"a": "\u0000"}]},
        format="json",
    )

    assert_error(response, 400, code="invalid")


def test_options_describe_endpoints_without_errors(methodologist, alignment_a, outcome):
    client = api_client(methodologist)
    for path in ["subjects/", f"outcomes/{outcome.pk}/", f"paragraphs/{alignment_a.paragraph_id}/outcomes/",
                 "alignments/", f"alignments/{alignment_a.pk}/", f"outcomes/{outcome.pk}/paragraphs/"]:
        assert client.options(f"{API}/{path}").status_code == 200, path


@pytest.mark.parametrize("language, message", [
    ("en", "Not found."), ("ru", "Не найдено."), (None, "Не найдено."),  # Russian by default
])
def test_messages_follow_accept_language(admin_a, language, message):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}

    assert assert_error(api_client(admin_a).get(f"{API}/outcomes/999999/", **headers), 404)["message"] == message


def test_the_chosen_language_is_announced_and_does_not_outlive_the_response(admin_a):
    response = api_client(admin_a).get(f"{API}/subjects/", HTTP_ACCEPT_LANGUAGE="kk")

    assert response["Content-Language"] == "kk"
    assert translation.get_language() != "kk"  # later code in this thread is not switched to Kazakh

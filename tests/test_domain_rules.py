"""Domain rules hold on every path: the API, the services, the admin's plain add pages and writes that
skip them all (the database). Each rule's refusal is a clear, translated message (issue 10, finding 9).

- an alignment's outcome belongs to the textbook's subject; another grade is allowed and shown;
- an outcome's grade lies within its subject's grades;
- ids are whole numbers (1.5 is not outcome 1);
- free text has a limit (2.4 MB of notes is refused).
"""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import translation

from curriculum import codes
from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from curriculum.services import goso_item_create
from tenants.context import super_admin_context, tenant_context
from database_errors import user_errors_from_database
from tests.api_support import API, api_client, assert_error
from textbooks import services
from textbooks.models import ParagraphOutcome

# 2.4 MB of notes was stored once; today's body limit refuses that much before any rule runs, so
# the notes' own limit is shown with notes that fit in a request.
HUGE_NOTES = "заметка " * 30_000  # 240 KB


@pytest.fixture
def biology_outcome(db):
    """A grade-7 outcome of another subject than the fixtures' history textbooks."""
    with super_admin_context():
        subject = Subject.objects.create(code="biology", name_ru="Биология", name_kz="Биология", grade_from=7, grade_to=11)
        framework = Framework.objects.create(code="goso_bio", subject=subject, title_ru="Биология")
        section = Section.objects.create(framework=framework, code="1", name_ru="Клетка")
        subsection = Subsection.objects.create(section=section, code="1.1", name_ru="Строение")
        return LearningOutcome.objects.create(framework=framework, subsection=subsection, grade=7, code="7.1.1.1", title_ru="клетка")


@pytest.fixture
def grade_8_outcome(outcome):
    """An outcome of the textbooks' subject (history, grades 5-9) one grade above the textbooks' 7."""
    with super_admin_context():
        return LearningOutcome.objects.create(
            framework=outcome.framework, subsection=outcome.subsection, grade=8, code="8.2.1.1", title_ru="восьмой класс",
        )


def no_latin_words(message: str) -> bool:
    """A Russian or Kazakh message: no English words (codes, numbers and names in quotes aside)."""
    return not re.search(r"\b[A-Za-z]{3,}\b", re.sub(r"“[^”]*”|\"[^\"]*\"", "", message))


def alignments_of(paragraph):
    with super_admin_context():
        return list(ParagraphOutcome.objects.filter(paragraph=paragraph).values_list("outcome_id", flat=True))


# An alignment's outcome belongs to the textbook's subject

def test_api_refuses_an_outcome_of_another_subject(admin_a, paragraph_a, biology_outcome):
    response = api_client(admin_a).post(
        f"{API}/alignments/", {"paragraph": paragraph_a.pk, "outcome": biology_outcome.pk}, format="json",
    )

    error = assert_error(response, 400, fields=["outcome"])
    assert "Биология" in error["fields"]["outcome"][0] and no_latin_words(error["fields"]["outcome"][0])
    assert alignments_of(paragraph_a) == []


def test_api_replace_refuses_an_outcome_of_another_subject(admin_a, paragraph_a, outcome, biology_outcome):
    response = api_client(admin_a).put(
        f"{API}/paragraphs/{paragraph_a.pk}/outcomes/",
        {"alignments": [{"outcome": outcome.pk}, {"outcome": biology_outcome.pk}]}, format="json",
    )

    error = assert_error(response, 400, fields=["alignments.1.outcome"])
    assert "7.1.1.1" in error["fields"]["alignments.1.outcome"][0]
    assert alignments_of(paragraph_a) == []  # nothing half-written


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_service_refuses_an_outcome_of_another_subject_in_each_language(language, school_a, paragraph_a, biology_outcome):
    with translation.override(language), tenant_context(school_id=school_a.pk), pytest.raises(ValidationError) as refused:
        services.alignment_create(paragraph=paragraph_a, outcome=biology_outcome)

    message = refused.value.message_dict["outcome"][0]
    assert "7.1.1.1" in message
    if language != "en":
        assert no_latin_words(message), message
    else:
        assert "another subject" in message or "subject" in message
    assert alignments_of(paragraph_a) == []


def test_admin_add_page_refuses_an_outcome_of_another_subject(client, methodologist, paragraph_a, biology_outcome):
    client.force_login(methodologist)
    response = client.post(
        reverse("admin:textbooks_paragraphoutcome_add"),
        {"paragraph": paragraph_a.pk, "outcome": biology_outcome.pk, "confidence": "1", "anchor": "", "notes": ""},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["outcome"]
    assert alignments_of(paragraph_a) == []


def test_database_refuses_an_outcome_of_another_subject_with_a_translated_message(school_a, paragraph_a, biology_outcome):
    """A script that skips the service (no clean()) is refused by the database; the refusal reads
    as the model's message, not the constraint's name."""
    with translation.override("ru"), tenant_context(school_id=school_a.pk):
        with pytest.raises(ValidationError) as refused, user_errors_from_database(), transaction.atomic():
            ParagraphOutcome.objects.create(paragraph=paragraph_a, outcome=biology_outcome)

    assert refused.value.code == "paragraph_outcomes_outcome_of_textbook_subject"
    assert "paragraph_outcomes" not in refused.value.messages[0] and no_latin_words(refused.value.messages[0])
    assert alignments_of(paragraph_a) == []


def test_changing_a_textbooks_subject_under_its_alignments_is_refused(textbook_a, alignment_a, biology_outcome):
    with super_admin_context(), pytest.raises(DatabaseError, match="another subject"), transaction.atomic():
        type(textbook_a).objects.filter(pk=textbook_a.pk).update(subject=biology_outcome.framework.subject)


# Another grade is allowed, and shown

def test_a_cross_grade_alignment_is_accepted_and_flagged(admin_a, paragraph_a, outcome, grade_8_outcome):
    client = api_client(admin_a)
    created = client.post(f"{API}/alignments/", {"paragraph": paragraph_a.pk, "outcome": grade_8_outcome.pk}, format="json")
    same_grade = client.post(f"{API}/alignments/", {"paragraph": paragraph_a.pk, "outcome": outcome.pk}, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["is_cross_grade"] is True
    assert same_grade.json()["is_cross_grade"] is False
    listed = {row["outcome"]["code"]: row["is_cross_grade"] for row in client.get(f"{API}/paragraphs/{paragraph_a.pk}/outcomes/").json()["results"]}
    assert listed == {"7.2.1.1": False, "8.2.1.1": True}
    flags = {row["outcome"]: row["is_cross_grade"] for row in client.get(f"{API}/alignments/").json()["results"]}
    assert flags == {outcome.pk: False, grade_8_outcome.pk: True}


def test_the_admin_list_shows_cross_grade_alignments(client, methodologist, paragraph_a, grade_8_outcome):
    with super_admin_context():
        services.alignment_create(paragraph=paragraph_a, outcome=grade_8_outcome)
    client.force_login(methodologist)

    response = client.get(reverse("admin:textbooks_paragraphoutcome_changelist"))

    assert response.status_code == 200
    assert "cross_grade" in response.context["cl"].list_display
    assert 'class="field-cross_grade"><img src="/static/admin/img/icon-yes.svg"' in response.content.decode()


# An outcome's grade lies within its subject's grades (history: 5-9)

def outcome_body(subsection, grade):
    return {
        "framework": subsection.section.framework_id, "subsection": subsection.pk, "grade": grade,
        "code": f"{grade}.{subsection.code}.5", "title_ru": "цель",
    }


def test_api_refuses_an_outcome_grade_outside_its_subject(methodologist, subsection):
    response = api_client(methodologist).post(f"{API}/outcomes/", outcome_body(subsection, 11), format="json")

    error = assert_error(response, 400, fields=["grade"])
    assert "11" in error["fields"]["grade"][0] and "5-9" in error["fields"]["grade"][0]
    with super_admin_context():
        assert not LearningOutcome.objects.filter(grade=11).exists()


def test_api_accepts_an_outcome_grade_inside_its_subject(methodologist, subsection):
    response = api_client(methodologist).post(f"{API}/outcomes/", outcome_body(subsection, 9), format="json")

    assert response.status_code == 201, response.content


def test_service_refuses_an_outcome_grade_outside_its_subject(subsection):
    with super_admin_context(), pytest.raises(ValidationError) as refused:
        goso_item_create(model=LearningOutcome, **{**outcome_body(subsection, 11), "framework": subsection.section.framework, "subsection": subsection})

    assert refused.value.message_dict["grade"] == [codes.grade_error(11, lowest=5, highest=9)]


def test_admin_add_page_refuses_an_outcome_grade_outside_its_subject(client, methodologist, subsection):
    client.force_login(methodologist)
    response = client.post(
        reverse("admin:curriculum_learningoutcome_add"),
        {**outcome_body(subsection, 11), "display_order": 0, "is_active": "on"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["grade"]
    with super_admin_context():
        assert not LearningOutcome.objects.filter(grade=11).exists()


def test_database_refuses_an_outcome_grade_outside_its_subject(subsection):
    with super_admin_context(), translation.override("kk"):
        with pytest.raises(ValidationError) as refused, user_errors_from_database(), transaction.atomic():
            LearningOutcome.objects.create(
                framework=subsection.section.framework, subsection=subsection, grade=11, code="11.2.1.1", title_ru="x",
            )
        assert refused.value.code == "learning_outcomes_grade_in_subject_range"
        assert no_latin_words(refused.value.messages[0])


def test_narrowing_a_subjects_grades_under_its_outcomes_is_refused(outcome):
    with super_admin_context(), pytest.raises(DatabaseError, match="outside its subject"), transaction.atomic():
        Subject.objects.filter(pk=outcome.framework.subject_id).update(grade_from=8)


# Ids are whole numbers

@pytest.mark.parametrize("bad_id", [1.5, 1.0, True, "1.5", "one", -1, 0, 2**64])
def test_api_refuses_ids_that_are_not_whole_numbers(bad_id, admin_a, paragraph_a, outcome, global_textbook):
    client = api_client(admin_a)
    # A fraction of an existing id: truncated, it would name that outcome (stored as it, once).
    exact = {"outcome": outcome.pk + bad_id - 1} if isinstance(bad_id, float) else {"outcome": bad_id}

    assert_error(client.post(f"{API}/alignments/", {"paragraph": paragraph_a.pk, **exact}, format="json"), 400, fields=["outcome"])
    assert_error(client.post(f"{API}/alignments/", {"paragraph": bad_id, "outcome": outcome.pk}, format="json"), 400, fields=["paragraph"])
    assert_error(
        client.put(f"{API}/paragraphs/{paragraph_a.pk}/outcomes/", {"alignments": [exact]}, format="json"),
        400, fields=["alignments.0.outcome"],
    )
    assert_error(client.post(f"{API}/textbooks/{global_textbook.pk}/fork/", {"school": bad_id}, format="json"), 400, fields=["school"])
    assert alignments_of(paragraph_a) == []


def test_api_refuses_a_fractional_foreign_key_on_goso(methodologist, subsection):
    body = {**outcome_body(subsection, 7), "framework": subsection.section.framework_id + 0.5}

    assert_error(api_client(methodologist).post(f"{API}/outcomes/", body, format="json"), 400, fields=["framework"])
    assert_error(
        api_client(methodologist).post(f"{API}/sections/", {"framework": 1.5, "code": "9", "name_ru": "р"}, format="json"),
        400, fields=["framework"],
    )


def test_api_still_takes_ids_as_numbers_and_digit_strings(admin_a, paragraph_a, outcome, grade_8_outcome):
    client = api_client(admin_a)

    assert client.post(f"{API}/alignments/", {"paragraph": paragraph_a.pk, "outcome": outcome.pk}, format="json").status_code == 201
    assert client.post(f"{API}/alignments/", {"paragraph": str(paragraph_a.pk), "outcome": str(grade_8_outcome.pk)}, format="json").status_code == 201


# Free text has a limit

def test_api_refuses_huge_notes(admin_a, paragraph_a, outcome, alignment_a):
    client = api_client(admin_a)

    created = client.post(f"{API}/alignments/", {"paragraph": paragraph_a.pk, "outcome": outcome.pk, "notes": HUGE_NOTES}, format="json")
    updated = client.patch(f"{API}/alignments/{alignment_a.pk}/", {"notes": HUGE_NOTES}, format="json")

    assert "2000" in assert_error(created, 400, fields=["notes"])["fields"]["notes"][0]
    assert_error(updated, 400, fields=["notes"])
    with super_admin_context():
        assert ParagraphOutcome.objects.get(pk=alignment_a.pk).notes == ""


def test_service_refuses_huge_notes(school_a, paragraph_a, outcome, alignment_a):
    with tenant_context(school_id=school_a.pk):
        with pytest.raises(ValidationError) as refused:
            services.alignment_update(alignment=alignment_a, notes=HUGE_NOTES)
        assert "notes" in refused.value.message_dict
    with super_admin_context():
        assert ParagraphOutcome.objects.get(pk=alignment_a.pk).notes == ""


def test_admin_add_page_refuses_huge_notes(client, methodologist, paragraph_a, outcome):
    client.force_login(methodologist)
    response = client.post(
        reverse("admin:textbooks_paragraphoutcome_add"),
        {"paragraph": paragraph_a.pk, "outcome": outcome.pk, "confidence": "1", "anchor": "", "notes": HUGE_NOTES[:10_000]},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["notes"]
    assert alignments_of(paragraph_a) == []


def test_database_refuses_huge_notes(alignment_a):
    with super_admin_context(), pytest.raises(DatabaseError, match="paragraph_outcomes_notes_length"), transaction.atomic():
        ParagraphOutcome.objects.filter(pk=alignment_a.pk).update(notes=HUGE_NOTES)


@pytest.mark.parametrize("app_label", ["curriculum", "textbooks"])
def test_every_free_text_field_has_a_limit(app_label):
    from django.apps import apps
    from django.db import models

    unbounded = [
        f"{model.__name__}.{field.name}" for model in apps.get_app_config(app_label).get_models()
        for field in model._meta.concrete_fields if isinstance(field, models.TextField) and not field.max_length
    ]
    assert unbounded == []


# Each rule once: the database's code checks are the Python patterns

def test_the_database_checks_codes_with_the_same_patterns_as_python(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = ANY(%s)",
            [["goso_sections_code_format", "goso_subsections_code_format", "learning_outcomes_code_format", "subjects_code_format"]],
        )
        definitions = dict(cursor.fetchall())
    expected = {
        "goso_sections_code_format": codes.SECTION_CODE, "goso_subsections_code_format": codes.SUBSECTION_CODE,
        "learning_outcomes_code_format": codes.OUTCOME_CODE, "subjects_code_format": codes.SUBJECT_CODE,
    }
    assert set(definitions) == set(expected)
    for name, pattern in expected.items():
        assert f"~ '{pattern}'" in definitions[name], (name, definitions[name])


@pytest.mark.parametrize("code, valid", [("7.2.1.1", True), ("7.2.10.12", True), ("07.2.1.1", False), ("7.2.1", False), ("7.2.1.1.", False), ("7.2.a.1", False)])
def test_python_and_the_database_agree_on_outcome_codes(db, code, valid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s ~ %s", [code, codes.OUTCOME_CODE])
        assert cursor.fetchone()[0] is valid
    assert bool(codes.OUTCOME_CODE_RE.match(code)) is valid


def test_grade_constraints_share_one_message(db):
    from textbooks.models import Textbook

    grade_checks = [
        constraint for model in (Subject, LearningOutcome, Textbook) for constraint in model._meta.constraints
        if constraint.name.endswith("_range") and "grade" in constraint.name
    ]
    assert len(grade_checks) == 4  # subjects' from and to, outcomes, textbooks
    for language, expected in [("en", f"Grade must be between {codes.MIN_GRADE} and {codes.MAX_GRADE}."), ("ru", "Класс должен быть от 1 до 11.")]:
        with translation.override(language):
            assert {str(constraint.violation_error_message) for constraint in grade_checks} == {expected}


def test_a_confidence_default_still_applies(school_a, paragraph_a, outcome):
    with tenant_context(school_id=school_a.pk):
        alignment = services.alignment_create(paragraph=paragraph_a, outcome=outcome)
    assert alignment.confidence == Decimal("1.00")


@pytest.mark.parametrize("grade, code", [
    (7, "7.2.1.5"), (8, "7.2.1.5"), (7, "7.3.1.5"), (7, "7.2.10.5"), (7, "7.2.1.10"), (10, "10.2.1.1"), (7, "17.2.1.1"),
])
def test_python_and_the_database_trigger_agree_on_an_outcome_code_and_its_place(subsection, grade, code):
    """The rule "grade.<subsection code>.N" is stated in codes.py and checked again by the trigger
    of curriculum/migrations/0002 (for writes that skip clean()): both must say the same."""
    python_accepts = codes.outcome_code_error(code, grade=grade, subsection_code=subsection.code) is None
    with super_admin_context():
        Subject.objects.filter(pk=subsection.section.framework.subject_id).update(grade_from=1, grade_to=11)
        try:
            with transaction.atomic():
                LearningOutcome.objects.create(
                    framework=subsection.section.framework, subsection=subsection, grade=grade, code=code, title_ru="x",
                )
            database_accepts = True
        except DatabaseError:
            database_accepts = False
    assert database_accepts is python_accepts


def test_api_refuses_narrowing_a_subjects_grades_under_its_outcomes(methodologist, outcome):
    """The subject side of the rule: its outcomes of grade 7 keep it from becoming 8-9 (the
    database's refusal, as the model's translated message)."""
    subject = outcome.framework.subject
    response = api_client(methodologist).patch(
        f"{API}/subjects/{subject.pk}/", {"grade_from": 8}, format="json", HTTP_ACCEPT_LANGUAGE="kk",
    )

    error = assert_error(response, 400)
    assert error["message"] == "Оқу мақсатының сыныбы оның пәнінің сыныптарынан тыс."
    with super_admin_context():
        assert Subject.objects.get(pk=subject.pk).grade_from == 5


@pytest.mark.parametrize("grade", [0, 12])
def test_every_path_says_the_same_about_a_grade_out_of_range(methodologist, subsection, grade):
    """One rule, one message: the API (through the model field's validator) says what the importers say."""
    expected = codes.grade_error(grade)

    error = assert_error(api_client(methodologist).post(f"{API}/outcomes/", outcome_body(subsection, grade), format="json"), 400)

    assert error["fields"]["grade"] == [expected]
    assert f"{codes.MIN_GRADE}-{codes.MAX_GRADE}" in expected


@pytest.mark.parametrize("code", ["2.1", "2.10", "3.1", "20.1", "12.1"])
def test_python_and_the_database_trigger_agree_on_a_subsection_code_and_its_section(section, code):
    python_accepts = codes.subsection_code_error(code, section_code=section.code) is None
    with super_admin_context():
        try:
            with transaction.atomic():
                Subsection.objects.create(section=section, code=code, name_ru="x")
            database_accepts = True
        except DatabaseError:
            database_accepts = False
    assert database_accepts is python_accepts


def test_the_goso_import_refuses_text_over_the_models_limit(db):
    from curriculum.importing import ImportFileError, goso_document_import
    from curriculum.models import SHORT_TEXT

    document = {
        "subject": {"code": "limits", "name_ru": "Пределы", "grade_from": 5, "grade_to": 9},
        "framework": {"code": "goso_limits", "title_ru": "ГОСО"},
        "sections": [{"code": "1", "name_ru": "Раздел", "subsections": [{"code": "1.1", "name_ru": "Подраздел"}]}],
        "outcomes": [{"code": "5.1.1.1", "grade": 5, "title_ru": "ц" * (SHORT_TEXT + 1)}],
    }

    with translation.override("en"), pytest.raises(ImportFileError) as refused:
        goso_document_import(document, source="limits.json")

    assert refused.value.messages == [f"limits.json: outcomes[0].title_ru: is {SHORT_TEXT + 1} characters long; at most {SHORT_TEXT} are allowed"]
    with super_admin_context():
        assert not Subject.objects.filter(code="limits").exists()


def test_a_paragraphs_key_terms_and_questions_are_bounded(paragraph_a):
    from textbooks.models import MAX_LIST_ITEMS, Paragraph

    too_many = [f"термин {number}" for number in range(MAX_LIST_ITEMS + 1)]
    with super_admin_context():
        paragraph = Paragraph.objects.get(pk=paragraph_a.pk)
        paragraph.key_terms = too_many
        with pytest.raises(ValidationError) as refused:
            paragraph.full_clean()
        assert "key_terms" in refused.value.message_dict
        paragraph.key_terms, paragraph.questions = [], [{"text": "?" * 2001}]
        with pytest.raises(ValidationError) as refused:
            paragraph.full_clean()
        assert "questions" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused, user_errors_from_database(), transaction.atomic():
            Paragraph.objects.filter(pk=paragraph.pk).update(key_terms=too_many)
        assert refused.value.code == "paragraphs_key_terms_size"
        assert Paragraph.objects.get(pk=paragraph.pk).key_terms == paragraph_a.key_terms


def test_the_textbook_import_refuses_too_many_key_terms(db, subject, tmp_path):
    import json as json_module

    from textbooks.importing import textbook_file_import
    from textbooks.models import MAX_LIST_ITEMS
    from curriculum.importing import ImportFileError

    path = tmp_path / "book.json"
    path.write_text(json_module.dumps({
        "textbook": {"title": "Книга", "subject_code": subject.code, "grade_level": 7},
        "chapters": [{"number": 1, "title": "Глава", "paragraphs": [
            {"number": 1, "title": "П", "key_terms": ["т"] * (MAX_LIST_ITEMS + 1)},
        ]}],
    }), encoding="utf-8")

    with translation.override("en"), pytest.raises(ImportFileError) as refused:
        textbook_file_import(path=path)

    assert refused.value.errors == [f"chapters[0].paragraphs[0].key_terms: At most {MAX_LIST_ITEMS} items of at most 2000 characters each."]


def test_an_empty_update_passes_on_the_own_alignment_and_is_refused_on_a_global_one(school_a, alignment_a, global_alignment):
    with tenant_context(school_id=school_a.pk):
        assert services.alignment_update(alignment=alignment_a) == alignment_a  # nothing to change: no refusal
        with pytest.raises(PermissionDenied):  # readable, but not the school's to change
            services.alignment_update(alignment=global_alignment)

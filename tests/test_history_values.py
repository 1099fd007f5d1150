"""History shows old -> new values (config/history.py): admin forms, inline rows and the API write
them into the admin log; the History page shows them with translated field names; a school's
history stays the school's (row-level security on django_admin_log)."""

import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation

from curriculum.models import Subject
from tenants.context import super_admin_context, tenant_context
from tests.api_support import API, api_client
from textbooks.models import ParagraphOutcome

pytestmark = pytest.mark.django_db


def log_of(obj, context):
    with context:
        return list(LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk),
        ).order_by("action_time", "id"))


def subject_form(subject, **changes):
    return {
        "code": subject.code, "name_ru": subject.name_ru, "name_kz": subject.name_kz, "grade_from": subject.grade_from,
        "grade_to": subject.grade_to, "is_active": "on", **changes,
    }


def test_admin_change_keeps_old_and_new_values_shown_translated(methodologist, subject, client):
    client.force_login(methodologist)
    url = reverse("admin:curriculum_subject_change", args=[subject.pk])
    response = client.post(url, subject_form(subject, name_ru="История Казахстана (новая)", grade_to=11))
    assert response.status_code == 302, response.content
    [entry] = log_of(subject, super_admin_context())
    values = json.loads(entry.change_message)[0]["changed"]["values"]
    assert {(value["field"], value["old"], value["new"]) for value in values} == {
        ("name (Russian)", "История Казахстана", "История Казахстана (новая)"), ("to grade", "9", "11"),
    }
    with translation.override("ru"):
        page = client.get(reverse("admin:curriculum_subject_history", args=[subject.pk])).content.decode()
    assert "<strong>Название (рус.)</strong>: <del>История Казахстана</del> → <ins>История Казахстана (новая)</ins>" in page
    assert "<strong>По класс</strong>: <del>9</del> → <ins>11</ins>" in page


def test_inline_alignment_change_keeps_values(teacher_a, paragraph_a, alignment_a, client):
    client.force_login(teacher_a)
    host = "school-a.localhost"
    with tenant_context(school_id=teacher_a.school_id):
        paragraph = type(paragraph_a).objects.select_related("chapter").get(pk=paragraph_a.pk)
    prefix = "outcome_links"
    form = {
        "chapter": paragraph.chapter_id, "number": paragraph.number, "sort_order": paragraph.sort_order,
        "title": paragraph.title, "content": paragraph.content, "summary": paragraph.summary,
        "learning_objective": paragraph.learning_objective, "lesson_objective": paragraph.lesson_objective,
        "key_terms": "\n".join(paragraph.key_terms),
        "questions": "\n".join(item["text"] for item in paragraph.questions),
        f"{prefix}-TOTAL_FORMS": 1, f"{prefix}-INITIAL_FORMS": 1, f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000,
        f"{prefix}-0-id": alignment_a.pk, f"{prefix}-0-paragraph": paragraph.pk, f"{prefix}-0-outcome": alignment_a.outcome_id,
        f"{prefix}-0-confidence": "0.50", f"{prefix}-0-anchor": alignment_a.anchor, f"{prefix}-0-notes": "проверено",
        # The page's other inline (alignments to external frameworks' items), left empty.
        "external_links-TOTAL_FORMS": 0, "external_links-INITIAL_FORMS": 0,
    }
    response = client.post(reverse("admin:textbooks_paragraph_change", args=[paragraph.pk]), form, HTTP_HOST=host)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    [entry] = log_of(paragraph, tenant_context(school_id=teacher_a.school_id))
    [item] = [item for item in json.loads(entry.change_message) if "changed" in item]
    assert item["changed"]["name"] == "paragraph alignment"
    assert {value["field"] for value in item["changed"]["values"]} == {"confidence", "notes"}
    page = client.get(reverse("admin:textbooks_paragraph_history", args=[paragraph.pk]), HTTP_HOST=host).content.decode()
    assert "<ins>проверено</ins>" in page


def test_api_changes_appear_in_history_and_stay_the_schools(admin_a, admin_b, alignment_a, methodologist, subject, client):
    response = api_client(admin_a, host="school-a.localhost").patch(
        f"{API}/alignments/{alignment_a.pk}/", {"notes": "из API"}, format="json",
    )
    assert response.status_code == 200, response.content
    [entry] = log_of(alignment_a, tenant_context(school_id=admin_a.school_id))
    assert entry.action_flag == CHANGE and entry.user_id == admin_a.pk
    assert json.loads(entry.change_message)[0]["changed"]["values"] == [{"field": "notes", "old": "—", "new": "из API"}]
    client.force_login(admin_a)
    page = client.get(reverse("admin:textbooks_paragraphoutcome_history", args=[alignment_a.pk]), HTTP_HOST="school-a.localhost")
    assert "<ins>из API</ins>" in page.content.decode()
    # Another school sees neither the alignment's History page nor its entries.
    assert log_of(alignment_a, tenant_context(school_id=admin_b.school_id)) == []
    client.force_login(admin_b)
    other = client.get(reverse("admin:textbooks_paragraphoutcome_history", args=[alignment_a.pk]), HTTP_HOST="school-b.localhost")
    assert other.status_code == 404
    # GOSO changes through the API are logged too.
    methodologist_api = api_client(methodologist)
    assert methodologist_api.patch(f"{API}/subjects/{subject.pk}/", {"name_kz": "Тарих"}, format="json").status_code == 200
    [goso_entry] = log_of(subject, super_admin_context())
    assert json.loads(goso_entry.change_message)[0]["changed"]["values"] == [
        {"field": "name (Kazakh)", "old": "Қазақстан тарихы", "new": "Тарих"}
    ]
    with super_admin_context():
        assert Subject.objects.get(pk=subject.pk).name_kz == "Тарих"
        assert ParagraphOutcome.objects.get(pk=alignment_a.pk).notes == "из API"


def test_api_replacing_a_paragraphs_outcomes_is_in_its_history(admin_a, alignment_a, paragraph_a, subsection, client):
    with super_admin_context():
        from curriculum.models import LearningOutcome

        second = LearningOutcome.objects.create(
            framework=subsection.section.framework, subsection=subsection, grade=7, code="7.2.1.2", title_ru="второе",
        )
    response = api_client(admin_a, host="school-a.localhost").put(
        f"{API}/paragraphs/{paragraph_a.pk}/outcomes/", {"alignments": [{"outcome": second.pk}]}, format="json",
    )
    assert response.status_code == 200, response.content
    [entry] = log_of(paragraph_a, tenant_context(school_id=admin_a.school_id))
    assert json.loads(entry.change_message)[0]["changed"]["values"] == [
        {"field": "learning outcomes", "old": "7.2.1.1", "new": "7.2.1.2"}
    ]
    client.force_login(admin_a)
    with translation.override("ru"):
        page = client.get(reverse("admin:textbooks_paragraph_history", args=[paragraph_a.pk]), HTTP_HOST="school-a.localhost")
    assert "<strong>Цели обучения</strong>: <del>7.2.1.1</del> → <ins>7.2.1.2</ins>" in page.content.decode()

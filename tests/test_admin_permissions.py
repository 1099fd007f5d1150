"""The admin's permission matrix: role x model x action, through the Django test client.

Roles: the methodologist (public host), the administrator of school A and of school B and a
teacher of school A (each on their school's host), and an anonymous visitor. Expectations:
EDIT = the page opens editable, VIEW = it opens read-only, or an HTTP status (403 refused,
404 hidden: another school's object must look exactly like one that does not exist).
"""

import pytest
from django.urls import reverse

from tenants.context import super_admin_context, tenant_context
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook

pytestmark = pytest.mark.django_db

EDIT, VIEW, LOGIN = "edit", "view", "login"
ROLES = ["methodologist", "admin_a", "admin_b", "teacher_a", "anonymous"]
HOSTS = {"methodologist": "testserver", "admin_a": "school-a.localhost", "admin_b": "school-b.localhost",
         "teacher_a": "school-a.localhost", "anonymous": "testserver"}


@pytest.fixture
def chapter_a(textbook_a):
    with super_admin_context():
        return Chapter.objects.get(textbook=textbook_a)


@pytest.fixture
def global_chapter(global_textbook):
    with super_admin_context():
        return Chapter.objects.get(textbook=global_textbook)


@pytest.fixture
def act_as(client, request):
    def login(role):
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        return HOSTS[role]

    return login


def expectations(methodologist, admin_a, admin_b, teacher_a, anonymous=LOGIN):
    return dict(zip(ROLES, [methodologist, admin_a, admin_b, teacher_a, anonymous]))


GOSO = [("curriculum", model, fixture) for model, fixture in [
    ("subject", "subject"), ("framework", "framework"), ("section", "section"),
    ("subsection", "subsection"), ("learningoutcome", "outcome"),
]]

# (app, model, object fixture or None, page) -> expectation per role
MATRIX = []
for app, model, fixture in GOSO:
    MATRIX += [
        ((app, model, None, "changelist"), expectations(200, 200, 200, 200)),
        ((app, model, None, "add"), expectations(200, 403, 403, 403)),
        ((app, model, fixture, "change"), expectations(EDIT, VIEW, VIEW, VIEW)),
        ((app, model, fixture, "delete"), expectations(200, 403, 403, 403)),
        ((app, model, fixture, "history"), expectations(200, 200, 200, 200)),
    ]
MATRIX += [
    (("curriculum", "framework", "framework", "tree"), expectations(200, 200, 200, 200)),
    (("tenants", "school", None, "changelist"), expectations(200, 403, 403, 403)),
    (("tenants", "school", "school_a", "change"), expectations(EDIT, 403, 403, 403)),
    (("tenants", "user", None, "changelist"), expectations(200, 200, 200, 403)),
    (("tenants", "user", "teacher_a", "change"), expectations(EDIT, EDIT, 404, 403)),
    (("tenants", "user", "methodologist", "change"), expectations(EDIT, 404, 404, 404)),
]
for model, own, global_ in [
    ("textbook", "textbook_a", "global_textbook"),
    ("chapter", "chapter_a", "global_chapter"),
]:
    MATRIX += [
        (("textbooks", model, None, "changelist"), expectations(200, 200, 200, 200)),
        (("textbooks", model, None, "add"), expectations(200, 200, 200, 403)),
        (("textbooks", model, global_, "change"), expectations(EDIT, VIEW, VIEW, VIEW)),
        (("textbooks", model, global_, "delete"), expectations(200, 403, 403, 403)),
        (("textbooks", model, own, "change"), expectations(EDIT, EDIT, 404, VIEW)),
        (("textbooks", model, own, "delete"), expectations(200, 200, 404, 403)),
        (("textbooks", model, own, "history"), expectations(200, 200, 404, 200)),
    ]
MATRIX += [
    (("textbooks", "paragraph", None, "add"), expectations(200, 200, 200, 403)),
    (("textbooks", "paragraph", "global_paragraph", "change"), expectations(EDIT, VIEW, VIEW, VIEW)),
    (("textbooks", "paragraph", "paragraph_a", "change"), expectations(EDIT, EDIT, 404, EDIT)),
    (("textbooks", "paragraph", "paragraph_a", "delete"), expectations(200, 200, 404, 403)),
    (("textbooks", "paragraph", "paragraph_b", "change"), expectations(EDIT, 404, EDIT, 404)),
    (("textbooks", "paragraphoutcome", None, "add"), expectations(200, 200, 200, 200)),
    (("textbooks", "paragraphoutcome", "global_alignment", "change"), expectations(EDIT, VIEW, VIEW, VIEW)),
    (("textbooks", "paragraphoutcome", "global_alignment", "delete"), expectations(200, 403, 403, 403)),
    (("textbooks", "paragraphoutcome", "alignment_a", "change"), expectations(EDIT, EDIT, 404, EDIT)),
    (("textbooks", "paragraphoutcome", "alignment_a", "delete"), expectations(200, 200, 404, 200)),
]

CASES = [
    pytest.param(page, role, expected[role], id=f"{page[1]}-{page[2] or 'none'}-{page[3]}-{role}")
    for page, expected in MATRIX
    for role in ROLES
]


@pytest.mark.parametrize("page, role, expected", CASES)
def test_admin_page_permissions(page, role, expected, act_as, client, request):
    app, model, fixture, action = page
    obj = request.getfixturevalue(fixture) if fixture else None
    host = act_as(role)
    if action == "tree":
        url = reverse("admin:curriculum_framework_tree", args=[obj.pk])
    else:
        url = reverse(f"admin:{app}_{model}_{action}", args=[obj.pk] if obj else [])

    response = client.get(url, HTTP_HOST=host)

    if expected == LOGIN:
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif expected in (EDIT, VIEW):
        assert response.status_code == 200
        assert response.context["has_change_permission"] is (expected == EDIT)
    else:
        assert response.status_code == expected


def test_another_schools_textbook_is_the_normal_404_page(admin_b, textbook_a, client):
    client.force_login(admin_b)
    for action in ("change", "delete", "history"):
        response = client.get(reverse(f"admin:textbooks_textbook_{action}", args=[textbook_a.pk]), HTTP_HOST="school-b.localhost")
        assert response.status_code == 404
        assert "admin/404.html" in [template.name for template in response.templates]
        assert textbook_a.title not in response.content.decode()


def textbook_form(textbook, **changes):
    data = {
        "subject": textbook.subject_id, "title": textbook.title, "grade_level": textbook.grade_level,
        "language": textbook.language, "version": textbook.version, "is_active": "on",
        "chapters-TOTAL_FORMS": 0, "chapters-INITIAL_FORMS": 0, "chapters-MIN_NUM_FORMS": 0, "chapters-MAX_NUM_FORMS": 1000,
    }
    return {**data, **changes}


def test_school_admin_edits_own_textbook(admin_a, textbook_a, client):
    client.force_login(admin_a)
    url = reverse("admin:textbooks_textbook_change", args=[textbook_a.pk])

    response = client.post(url, textbook_form(textbook_a, title="Наш учебник"), HTTP_HOST="school-a.localhost")

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    with super_admin_context():
        assert Textbook.objects.get(pk=textbook_a.pk).title == "Наш учебник"


@pytest.mark.parametrize("user, host, expected", [
    ("admin_a", "school-a.localhost", 403),  # global: readable, not writable
    ("admin_b", "school-b.localhost", 403),
])
def test_school_staff_cannot_post_changes_to_global_textbooks(user, host, expected, global_textbook, client, request):
    client.force_login(request.getfixturevalue(user))
    url = reverse("admin:textbooks_textbook_change", args=[global_textbook.pk])

    response = client.post(url, textbook_form(global_textbook, title="Захвачено"), HTTP_HOST=host)

    assert response.status_code == expected
    with super_admin_context():
        assert Textbook.objects.get(pk=global_textbook.pk).title == global_textbook.title


def test_other_school_cannot_post_to_or_delete_a_schools_textbook(admin_b, textbook_a, client):
    client.force_login(admin_b)
    change = reverse("admin:textbooks_textbook_change", args=[textbook_a.pk])
    delete = reverse("admin:textbooks_textbook_delete", args=[textbook_a.pk])

    assert client.post(change, textbook_form(textbook_a, title="Чужой"), HTTP_HOST="school-b.localhost").status_code == 404
    assert client.post(delete, {"post": "yes"}, HTTP_HOST="school-b.localhost").status_code == 404
    with super_admin_context():
        assert Textbook.objects.get(pk=textbook_a.pk).title == textbook_a.title


def test_school_admin_adds_a_textbook_to_own_school(admin_a, subject, client):
    client.force_login(admin_a)
    form = textbook_form(Textbook(subject=subject, title="Новый", grade_level=7, language="ru"))

    response = client.post(reverse("admin:textbooks_textbook_add"), form, HTTP_HOST="school-a.localhost")

    assert response.status_code == 302
    with super_admin_context():
        assert Textbook.objects.get(title="Новый").school_id == admin_a.school_id


def test_teacher_cannot_delete_textbooks_but_may_delete_alignments(teacher_a, textbook_a, alignment_a, client):
    client.force_login(teacher_a)
    host = "school-a.localhost"

    refused = client.post(reverse("admin:textbooks_textbook_delete", args=[textbook_a.pk]), {"post": "yes"}, HTTP_HOST=host)
    allowed = client.post(reverse("admin:textbooks_paragraphoutcome_delete", args=[alignment_a.pk]), {"post": "yes"}, HTTP_HOST=host)

    assert refused.status_code == 403
    assert allowed.status_code == 302
    with super_admin_context():
        assert Textbook.objects.filter(pk=textbook_a.pk).exists()
        assert not ParagraphOutcome.objects.filter(pk=alignment_a.pk).exists()


def test_school_admin_sees_only_own_schools_accounts(admin_a, admin_b, teacher_a, methodologist, client):
    client.force_login(admin_a)

    response = client.get(reverse("admin:tenants_user_changelist"), HTTP_HOST="school-a.localhost")

    shown = {user.username for user in response.context["cl"].result_list}
    assert shown == {"admin_a", "teacher_a"}


def test_school_admin_creates_staff_only_in_own_school(admin_a, client):
    client.force_login(admin_a)
    form = {"username": "new_teacher", "password1": "a-long-password-9", "password2": "a-long-password-9", "role": "teacher"}

    response = client.post(reverse("admin:tenants_user_add"), form, HTTP_HOST="school-a.localhost")

    assert response.status_code == 302
    from tenants.models import User

    with tenant_context(school_id=admin_a.school_id):
        created = User.objects.get(username="new_teacher")
    assert (created.school_id, created.is_staff) == (admin_a.school_id, True)


def test_school_admin_cannot_create_a_methodologist(admin_a, client):
    client.force_login(admin_a)
    form = {"username": "boss", "password1": "a-long-password-9", "password2": "a-long-password-9", "role": "methodologist"}

    response = client.post(reverse("admin:tenants_user_add"), form, HTTP_HOST="school-a.localhost")

    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors


def test_a_write_the_database_refuses_is_a_message_not_a_500(methodologist, subsection, outcome, client):
    """Renaming subsection 2.1 to 2.2 would contradict outcome 7.2.1.1: the database trigger refuses."""
    client.force_login(methodologist)
    url = reverse("admin:curriculum_subsection_change", args=[subsection.pk])
    form = {"section": subsection.section_id, "code": "2.2", "name_ru": subsection.name_ru, "display_order": 0, "is_active": "on"}

    response = client.post(url, form, follow=True)

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert any("7.2.1.1" in message for message in shown), shown
    with super_admin_context():
        subsection.refresh_from_db()
    assert subsection.code == "2.1"


def test_admin_log_records_who_changed_a_goso_object(methodologist, subject, client):
    client.force_login(methodologist)
    url = reverse("admin:curriculum_subject_change", args=[subject.pk])
    form = {"code": subject.code, "name_ru": subject.name_ru, "name_kz": "Жаңа атау", "grade_from": 5, "grade_to": 9, "is_active": "on"}
    assert client.post(url, form).status_code == 302

    history = client.get(reverse("admin:curriculum_subject_history", args=[subject.pk]))

    entries = list(history.context["action_list"])
    assert [entry.user_id for entry in entries] == [methodologist.pk]
    assert "name_kz" in entries[0].change_message or "Kazakh" in entries[0].get_change_message()


def test_paragraph_alignment_records_its_author(teacher_a, paragraph_a, outcome, client):
    client.force_login(teacher_a)
    url = reverse("admin:textbooks_paragraph_change", args=[paragraph_a.pk])
    form = {
        "chapter": paragraph_a.chapter_id, "number": paragraph_a.number, "sort_order": 0, "title": paragraph_a.title,
        "key_terms": "Тауке хан\nЖеты жаргы\n\nАбылай", "questions": "Каковы основные цели?\nЧто изменилось?",
        "outcome_links-TOTAL_FORMS": 1, "outcome_links-INITIAL_FORMS": 0,
        "outcome_links-MIN_NUM_FORMS": 0, "outcome_links-MAX_NUM_FORMS": 1000,
        "outcome_links-0-outcome": outcome.pk, "outcome_links-0-confidence": "0.70", "outcome_links-0-anchor": "стр. 12",
        # The inline of external frameworks' items, left empty.
        "external_links-TOTAL_FORMS": 0, "external_links-INITIAL_FORMS": 0,
        "external_links-MIN_NUM_FORMS": 0, "external_links-MAX_NUM_FORMS": 1000,
    }

    response = client.post(url, form, HTTP_HOST="school-a.localhost")

    assert response.status_code == 302, response.context and response.context["errors"]
    with tenant_context(school_id=teacher_a.school_id):
        paragraph = Paragraph.objects.get(pk=paragraph_a.pk)
        link = ParagraphOutcome.objects.get(paragraph=paragraph)
    assert paragraph.key_terms == ["Тауке хан", "Жеты жаргы", "Абылай"]
    assert paragraph.questions == [{"text": "Каковы основные цели?"}, {"text": "Что изменилось?"}]
    assert (link.created_by_id, str(link.confidence), link.anchor) == (teacher_a.pk, "0.70", "стр. 12")


def test_bulk_delete_refuses_when_a_global_textbook_is_selected(admin_a, textbook_a, global_textbook, client):
    client.force_login(admin_a)
    data = {"action": "delete_selected", "_selected_action": [textbook_a.pk, global_textbook.pk], "post": "yes"}

    response = client.post(reverse("admin:textbooks_textbook_changelist"), data, HTTP_HOST="school-a.localhost")

    assert response.status_code == 403  # Django checks every selected object (has_delete_permission(obj))
    with super_admin_context():
        assert Textbook.objects.filter(pk__in=[textbook_a.pk, global_textbook.pk]).count() == 2

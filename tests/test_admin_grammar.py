"""Admin messages that name a model read correctly in Russian and Kazakh (issue 12, item 6): Django's generic
phrases ("Добавить еще один Глава", "программа был успешно добавлен", "5 бағдарламалар") cannot agree with every
noun, so the vendor catalogues (locale_vendor/) put the name after a colon, uninflected."""

import re

import pytest
from django.contrib.messages import get_messages
from django.utils import translation

from curriculum.models import Subject
from tenants.context import super_admin_context
from textbooks.models import Chapter


@pytest.mark.parametrize("language, expected", [
    ("ru", "Добавить ещё: глава"),
    ("kk", "Тағы бір тарау қосу"),
])
def test_add_another_agrees_with_any_noun(language, expected):
    with translation.override(language):
        noun = str(Chapter._meta.verbose_name)
        assert translation.gettext("Add another %(verbose_name)s") % {"verbose_name": noun} == expected


@pytest.mark.parametrize("language, added, deleted", [
    ("ru", "Добавлено: предмет «Физика».", "Удалено (предметы): 2."),
    ("kk", "пән «Физика [орысша]» сәтті қосылды.", "Жойылды (пәндер): 2."),  # no Kazakh name: marked
])
def test_the_admin_says_what_it_added_and_deleted_in_correct_grammar(language, added, deleted, client, methodologist):
    client.force_login(methodologist)
    prefix = "" if language == "ru" else f"/{language}"

    response = client.post(f"{prefix}/admin/curriculum/subject/add/", {
        "code": "physics", "name_ru": "Физика", "name_kz": "", "grade_from": 7, "grade_to": 11, "is_active": "on",
    })
    with super_admin_context():
        Subject.objects.create(code="chemistry", name_ru="Химия", grade_from=8, grade_to=11)
        chosen = [str(pk) for pk in Subject.objects.values_list("pk", flat=True)]
    confirm = client.post(f"{prefix}/admin/curriculum/subject/", {
        "action": "delete_selected", "_selected_action": chosen, "post": "yes",
    })

    assert response.status_code == 302 and confirm.status_code == 302
    said = [re.sub(r"<[^>]+>", "", str(message)) for message in get_messages(confirm.wsgi_request)]  # the link
    assert said == [added, deleted]


def test_history_of_a_spreadsheet_import_is_read_in_the_readers_language(client, methodologist, outcome):
    """Not django-import-export's English "update through import_export": Django's structured entry."""
    from django.contrib.admin.models import LogEntry

    from tests.test_spreadsheets import admin_import

    client.force_login(methodologist)
    rows = (
        "framework,section,code,name_ru,name_kz\n"
        f"{outcome.framework.code},2,2.1,Мировоззрение и религия,Дүниетаным және дін\n"
        f"{outcome.framework.code},2,2.2,Подраздел 2.2,\n"
    )
    preview = admin_import(client, "subsection", rows)
    assert client.post("/admin/curriculum/subsection/process_import/", preview.context["confirm_form"].initial).status_code == 302

    with translation.override("kk"):
        said = sorted(entry.get_change_message() for entry in LogEntry.objects.filter(content_type__model="subsection"))
    page = client.get(f"/kk/admin/curriculum/subsection/{outcome.subsection_id}/history/").content.decode()

    assert said == ["Атауы (қаз.) өзгертілді.", "Қосылды."], said
    assert "import_export" not in page and "Атауы (қаз.) өзгертілді." in page

"""The admin in Russian (default), Kazakh and English; Russian and Kazakh content side by side."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import formats, translation

from curriculum.models import Framework, LearningOutcome
from tenants.context import super_admin_context


@pytest.fixture
def methodologist_client(client, methodologist):
    client.force_login(methodologist)
    return client


@pytest.mark.parametrize("prefix, heading", [
    ("", "Цели обучения"),
    ("/kk", "Оқу мақсаттары"),
    ("/en", "Learning outcomes"),
])
def test_interface_language_follows_the_url(prefix, heading, methodologist_client, outcome):
    response = methodologist_client.get(f"{prefix}/admin/curriculum/learningoutcome/")

    assert response.status_code == 200
    assert heading in response.content.decode()


def test_language_switcher_is_in_the_header_and_switches_to_kazakh(methodologist_client):
    page = methodologist_client.get("/admin/").content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert re.search(r'<button[^>]*name="language" value="kk"', page)

    response = methodologist_client.post("/i18n/setlang/", {"language": "kk", "next": "/admin/curriculum/"})

    assert response.status_code == 302
    assert response["Location"] == "/kk/admin/curriculum/"
    assert "МЖБС" in methodologist_client.get(response["Location"]).content.decode()


def test_switching_back_from_kazakh_to_russian_drops_the_prefix(methodologist_client):
    page = methodologist_client.get("/kk/admin/curriculum/").content.decode()
    assert '<input type="hidden" name="next" value="/admin/curriculum/">' in page

    response = methodologist_client.post("/i18n/setlang/", {"language": "ru", "next": "/admin/curriculum/"})

    assert response["Location"] == "/admin/curriculum/"


def test_school_staff_pages_are_translated_too(admin_a, textbook_a, client):
    client.force_login(admin_a)

    page = client.get("/kk/admin/textbooks/textbook/", HTTP_HOST="school-a.localhost").content.decode()

    assert "Оқулықтар" in page
    assert textbook_a.title in page


def test_russian_and_kazakh_fields_share_one_row(methodologist_client, framework):
    page = methodologist_client.get(reverse("admin:curriculum_framework_change", args=[framework.pk])).content.decode()

    rows = re.findall(r'<div class="form-row[^"]*">(.*?)</div>\s*</div>\s*</div>', page, flags=re.S)
    assert any("id_title_ru" in row and "id_title_kz" in row for row in rows)
    assert any("id_ministry_ru" in row and "id_ministry_kz" in row for row in rows)


def test_lists_show_and_filter_missing_kazakh_text(methodologist_client, outcome, subsection):
    with super_admin_context():
        translated = LearningOutcome.objects.create(
            framework=outcome.framework, subsection=subsection, grade=7, code="7.2.1.2",
            title_ru="описывать", title_kz="сипаттау",
        )
    url = reverse("admin:curriculum_learningoutcome_changelist")

    missing = methodologist_client.get(url, {"translation": "no_kz"}).context["cl"].result_list
    complete = methodologist_client.get(url, {"translation": "complete"}).context["cl"].result_list
    page = methodologist_client.get(url).content.decode()

    assert [row.code for row in missing] == [outcome.code]
    assert [row.code for row in complete] == [translated.code]
    assert 'alt="Нет"' in page and 'alt="Да"' in page  # the KZ column marks which rows lack Kazakh


def test_our_strings_have_russian_and_kazakh_translations():
    for language, expected in [("ru", "Привязка параграфа"), ("kk", "Параграфты сәйкестендіру")]:
        with translation.override(language):
            from textbooks.models import ParagraphOutcome

            assert str(ParagraphOutcome._meta.verbose_name).capitalize() == expected


def test_kazakh_dates_and_times_use_a_24_hour_clock():
    moment = datetime.datetime(2026, 11, 29, 16, 30)
    with translation.override("kk"):
        assert formats.date_format(moment, "DATETIME_FORMAT") == "29.11.2026 16:30"
        assert formats.time_format(moment.time()) == "16:30"


def test_lists_are_headed_by_their_plural_name_not_by_djangos_ungrammatical_select_phrase(client, methodologist):
    client.force_login(methodologist)
    for language, phrase in (("ru", "для изменения"), ("kk", "үщін"), ("en", "to change")):
        page = client.get(f"/{language}/admin/curriculum/framework/".replace("/ru/", "/"), HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200
        with translation.override(language):
            heading = str(Framework._meta.verbose_name_plural)
        assert f"<h1>{heading[:1].upper()}{heading[1:]}</h1>" in page.content.decode()
        assert phrase not in page.content.decode()

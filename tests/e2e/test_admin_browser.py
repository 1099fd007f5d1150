"""The admin as people use it, in headless Chromium (see conftest.py for the set-up)."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # every test here needs the `browser` fixture, which skips or (CI=true) fails saying so
    expect = None

from curriculum.models import Framework, LearningOutcome, Section, Subsection
from tenants.context import super_admin_context
from tests.conftest import PASSWORD
from tests.e2e.conftest import e2e_db
from textbooks.models import ParagraphOutcome

pytestmark = [pytest.mark.e2e, e2e_db]


def sign_in(page, url, user):
    page.goto(url)
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()


def choose(page, select_id, search, option_text):
    """Pick an option of an autocomplete (select2) field by typing into its search box."""
    page.click(f"#{select_id} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", search)
    page.locator(".select2-container--open .select2-results__option", has_text=option_text).first.click()


def save_and_continue(page):
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()


def test_methodologist_creates_a_framework_section_subsection_and_outcome(page, site, screenshot, methodologist, subject):
    sign_in(page, site("/admin/login/"), methodologist)

    page.goto(site("/admin/curriculum/framework/add/"))
    page.fill("#id_code", "goso_history_2024")
    choose(page, "id_subject", "Истор", subject.name_ru)
    page.fill("#id_title_ru", "История Казахстана, 5-9 классы (2024)")
    page.fill("#id_title_kz", "Қазақстан тарихы, 5-9 сыныптар (2024)")
    page.fill("#id_order_number", "399")
    page.locator("#sections-group .add-row a").click()
    page.fill("#id_sections-0-code", "1")
    page.fill("#id_sections-0-name_ru", "Развитие социальных отношений")
    page.fill("#id_sections-0-name_kz", "Әлеуметтік қатынастардың дамуы")
    save_and_continue(page)

    page.locator("#sections-group a.inlinechangelink").first.click()
    page.locator("#subsections-group .add-row a").click()
    page.fill("#id_subsections-0-code", "1.1")
    page.fill("#id_subsections-0-name_ru", "Образ жизни")
    save_and_continue(page)

    page.goto(site("/admin/curriculum/learningoutcome/add/"))
    choose(page, "id_framework", "goso_history", "История Казахстана, 5-9 классы (2024)")
    choose(page, "id_subsection", "Образ", "1.1. Образ жизни")
    page.fill("#id_grade", "5")
    page.fill("#id_code", "5.1.1.1")
    page.fill("#id_title_ru", "описывать образ жизни древних людей")
    page.fill("#id_title_kz", "ежелгі адамдардың өмір салтын сипаттау")
    save_and_continue(page)

    with super_admin_context():
        framework = Framework.objects.get(code="goso_history_2024")
        section = Section.objects.get(framework=framework)
        subsection = Subsection.objects.get(section=section)
        outcome = LearningOutcome.objects.get(framework=framework)
    assert (section.code, subsection.code, outcome.code, outcome.subsection_id) == ("1", "1.1", "5.1.1.1", subsection.pk)

    page.goto(site(f"/admin/curriculum/framework/{framework.pk}/tree/"))
    expect(page.locator(".goso-tree")).to_contain_text("5.1.1.1")
    screenshot("methodologist_framework_tree")
    page.goto(site(f"/admin/curriculum/learningoutcome/?framework__id__exact={framework.pk}"))
    expect(page.locator("#result_list")).to_contain_text("5.1.1.1")
    screenshot("methodologist_outcome_list")


def test_school_admin_maps_a_paragraph_to_an_outcome_through_the_autocomplete(page, site, screenshot, admin_a, paragraph_a, outcome):
    sign_in(page, site("/admin/login/", school="school-a"), admin_a)

    page.goto(site(f"/admin/textbooks/paragraph/{paragraph_a.pk}/change/", school="school-a"))
    expect(page.locator("#id_key_terms")).to_have_value("Тауке хан\nЖеты жаргы")
    page.locator("#outcome_links-group .add-row a").click()
    choose(page, "id_outcome_links-0-outcome", "7.2", outcome.code)
    page.fill("#id_outcome_links-0-confidence", "0.85")
    page.fill("#id_outcome_links-0-anchor", "стр. 14-15")
    save_and_continue(page)

    saved_row = page.locator("#outcome_links-group tr.has_original").first
    expect(saved_row).to_contain_text(outcome.code)
    expect(saved_row).to_contain_text(admin_a.username)
    screenshot("school_admin_paragraph_alignment")
    with super_admin_context():
        link = ParagraphOutcome.objects.get(paragraph=paragraph_a)
    assert (link.outcome_id, str(link.confidence), link.anchor, link.created_by_id) == (outcome.pk, "0.85", "стр. 14-15", admin_a.pk)


def test_another_schools_textbook_is_a_404_page(page, site, screenshot, admin_a, textbook_a, textbook_b):
    sign_in(page, site("/admin/login/", school="school-a"), admin_a)

    own = page.goto(site(f"/admin/textbooks/textbook/{textbook_a.pk}/change/", school="school-a"))
    other = page.goto(site(f"/admin/textbooks/textbook/{textbook_b.pk}/change/", school="school-a"))

    assert own.status == 200
    assert other.status == 404
    expect(page.locator("#content")).to_contain_text("Страница не найдена")
    assert textbook_b.title not in page.content()
    screenshot("school_admin_other_school_404")


def test_the_interface_switches_to_kazakh(page, site, screenshot, methodologist, outcome):
    sign_in(page, site("/admin/login/"), methodologist)
    page.goto(site("/admin/curriculum/learningoutcome/"))
    expect(page.locator("#content h1")).to_have_text("Цели обучения")  # the list's plural name (Russian)

    page.click(".goso-languages button[value=kk]")

    expect(page).to_have_url(re.compile(r"/kk/admin/curriculum/learningoutcome/$"))
    expect(page.locator("#site-name")).to_contain_text("МЖБС")
    expect(page.locator("#changelist-filter")).to_contain_text("аударма")
    expect(page.locator(".goso-languages button.current")).to_have_attribute("value", "kk")
    screenshot("interface_in_kazakh")

    page.goto(site("/kk/admin/"))
    page.click(".goso-languages button[value=ru]")
    expect(page).to_have_url(re.compile(r"//[^/]+/admin/$"))
    expect(page.locator("#site-name")).to_contain_text("ГОСО")

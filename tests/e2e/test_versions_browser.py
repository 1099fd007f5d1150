"""Create a version and align against it (issue 12), in headless Chromium (see conftest.py): a
methodologist cuts a new version of a framework, the old one turns read-only and marked; a school's
teacher aligns a paragraph and is offered the new version, with framework and version visible."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # every test here needs the `browser` fixture, which skips or (CI=true) fails saying so
    expect = None

from curriculum.models import Framework, Section, Subsection
from tenants.context import super_admin_context, tenant_context
from tests.e2e.conftest import SCREENSHOTS, e2e_db
from tests.e2e.test_admin_browser import choose, sign_in
from textbooks.models import Paragraph, ParagraphOutcome

pytestmark = [pytest.mark.e2e, e2e_db]


def test_create_a_version_and_align_against_it(
    browser, page, site, screenshot, methodologist, framework, outcome, teacher_a, textbook_a,
):
    sign_in(page, site("/admin/login/"), methodologist)
    page.goto(site(f"/admin/curriculum/framework/{framework.pk}/change/"))
    page.locator(".object-tools a", has_text="Новая версия").click()
    page.fill("#id_code", "goso_hist_kz_2022_11_21")
    page.fill("#id_order_number", "467")
    page.fill("#id_order_date", "2022-11-21")
    page.click("#content-main form input[type=submit]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    with super_admin_context():
        new = Framework.objects.get(code="goso_hist_kz_2022_11_21")
    assert new.previous_version_id == framework.pk

    # The old version: marked in the list, read-only with the reason and a link to the current one.
    page.goto(site("/admin/curriculum/framework/"))
    expect(page.locator("#result_list")).to_contain_text("заменена v2 (goso_hist_kz_2022_11_21)")
    screenshot("versions_framework_list")
    page.goto(site(f"/admin/curriculum/framework/{framework.pk}/change/"))
    warning = page.locator(".messagelist .warning")
    expect(warning).to_contain_text("заменённой версии")
    expect(page.locator("input[name=_save]")).to_have_count(0)
    screenshot("versions_superseded_read_only")
    warning.locator("a").click()
    expect(page).to_have_url(site(f"/admin/curriculum/framework/{new.pk}/change/"))
    page.locator(".object-tools a", has_text="Сравнить версии").click()
    expect(page.locator("#version-counts")).to_be_visible()
    screenshot("versions_compare")

    # A teacher of school A aligns a paragraph: the chooser offers the current version.
    teacher = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    sign_in(teacher, site("/admin/login/", school="school-a"), teacher_a)
    with tenant_context(school_id=teacher_a.school_id):
        paragraph = Paragraph.objects.filter(chapter__textbook=textbook_a).get()
    teacher.goto(site(f"/admin/textbooks/paragraph/{paragraph.pk}/change/", school="school-a"))
    expect(teacher.locator(".alignment-versions")).to_contain_text("текущую версию")
    teacher.locator("#outcome_links-group .add-row a").click()
    teacher.click("#id_outcome_links-0-outcome + .select2 .select2-selection")
    teacher.fill(".select2-container--open .select2-search__field", "7.2.1.1")
    options = teacher.locator(".select2-container--open .select2-results__option")
    expect(options.first).to_contain_text("История Казахстана (2022, v2) · 7.2.1.1 объяснять роль религии")
    assert options.count() == 1  # the superseded version is not offered
    options.first.click()
    teacher.click("input[name=_continue]")
    expect(teacher.locator(".messagelist .success")).to_be_visible()
    expect(teacher.locator("#outcome_links-group")).to_contain_text("(2022, v2)")
    with tenant_context(school_id=teacher_a.school_id):
        aligned = ParagraphOutcome.objects.select_related("outcome").get(paragraph=paragraph)
    assert aligned.outcome.framework_id == new.pk and aligned.created_by_id == teacher_a.pk
    teacher.screenshot(path=str(SCREENSHOTS / "versions_teacher_aligned.png"), full_page=True)
    # Widening offers the older version too, marked as superseded.
    teacher.locator(".alignment-versions a").click()
    teacher.locator("#outcome_links-group .add-row a").click()
    teacher.click("#id_outcome_links-1-outcome + .select2 .select2-selection")
    teacher.fill(".select2-container--open .select2-search__field", "7.2.1.1")
    expect(teacher.locator(".select2-container--open .select2-results__option", has_text="v1, заменена")).to_have_count(1)
    teacher.context.close()


def test_the_subsection_chooser_follows_the_chosen_framework(page, site, screenshot, methodologist, subject, subsection):
    with super_admin_context():
        other = Framework.objects.create(code="goso_hist_other", subject=subject, title_ru="Другая программа истории")
        other_section = Section.objects.create(framework=other, code="2", name_ru="Развитие культуры (другая)")
        Subsection.objects.create(section=other_section, code="2.1", name_ru="Мировоззрение (другая)")
    sign_in(page, site("/admin/login/"), methodologist)
    page.goto(site("/admin/curriculum/learningoutcome/add/"))
    choose(page, "id_framework", "Другая", "Другая программа истории")
    page.click("#id_subsection + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "2.1")
    options = page.locator(".select2-container--open .select2-results__option")
    expect(options.first).to_contain_text("Мировоззрение (другая)")
    expect(options).to_have_count(1)  # not the other framework's 2.1
    screenshot("versions_subsection_chooser_follows_framework")

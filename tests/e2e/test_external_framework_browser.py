"""An international framework from file to a school's coverage, in headless Chromium (issue 11, "done when"):
a methodologist imports a CASE package (previewed first) and crosswalks a GOSO outcome to one of its items;
a school administrator aligns a paragraph to another item and sees the textbook's coverage of the framework,
one item covered through the crosswalk and one directly."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips or (CI=true) fails saying so
    expect = None

from curriculum.models import Crosswalk, ExternalFramework
from tenants.context import super_admin_context
from tests.e2e.conftest import e2e_db
from tests.e2e.test_admin_browser import choose, save_and_continue, sign_in
from tests.test_case_roundtrip import case_sample
from textbooks.models import ExternalAlignment

pytestmark = [pytest.mark.e2e, e2e_db]

CROSSWALKED = "Differentiate between straight and curved lines"


def test_import_crosswalk_align_and_see_coverage(page, site, screenshot, methodologist, admin_a, alignment_a, outcome, textbook_a, paragraph_a):
    sign_in(page, site("/en/admin/login/"), methodologist)
    page.goto(site("/en/admin/curriculum/externalframework/import/"))
    page.set_input_files("#id_package", str(case_sample("Ordering.json")))
    page.click("input[name=preview]")
    expect(page.locator("input[name=import]")).to_be_visible()  # nothing written before the confirmation
    with super_admin_context():
        assert not ExternalFramework.objects.exists()
    screenshot("external-import-preview")
    page.click("input[name=import]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.get_by_text(CROSSWALKED)).to_be_visible()  # the framework's tree
    screenshot("external-framework-tree")

    page.goto(site(f"/en/admin/curriculum/learningoutcome/{outcome.pk}/change/"))
    page.locator("#crosswalks-group .add-row a").click()
    choose(page, "id_crosswalks-0-external_item", "curved", CROSSWALKED)
    page.select_option("#id_crosswalks-0-association_type", "exactMatchOf")
    save_and_continue(page)  # the outcome's own fields untouched: its subsection stays chosen
    with super_admin_context():
        assert Crosswalk.objects.filter(outcome=outcome, association_type="exactMatchOf").count() == 1
    page.locator("#logout-form button, #logout-form input[type=submit]").first.click()

    # The school: a paragraph already aligned to the GOSO outcome (alignment_a), and one direct alignment.
    sign_in(page, site("/en/admin/login/", school="school-a"), admin_a)
    page.goto(site(f"/en/admin/textbooks/paragraph/{paragraph_a.pk}/change/", school="school-a"))
    page.locator("#external_links-group .add-row a").click()
    choose(page, "id_external_links-0-external_item", "polygons with 3-6", "Identify and name polygons with 3-6 sides")
    save_and_continue(page)
    with super_admin_context():
        assert ExternalAlignment.objects.filter(paragraph=paragraph_a).count() == 1

    page.goto(site(f"/en/admin/textbooks/textbook/{textbook_a.pk}/change/", school="school-a"))
    page.get_by_role("link", name="Coverage: external framework").click()
    page.select_option("#id_framework", label="ACT Holistic Framework, Math")
    page.click("input[type=submit][value=Show]")
    expect(page.locator(".coverage-summary")).to_contain_text("2 of")
    expect(page.locator(".status.crosswalk")).to_have_count(1)
    expect(page.locator(".status.direct")).to_have_count(1)
    screenshot("external-coverage")

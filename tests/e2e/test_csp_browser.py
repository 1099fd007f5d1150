"""The Content-Security-Policy (config/settings.py) leaves the admin and Swagger UI working: pages
visited in Chromium log no CSP violation and their scripts run."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # every test here needs the `browser` fixture, which skips or (CI=true) fails saying so
    expect = None

from tests.e2e.conftest import e2e_db
from tests.e2e.test_admin_browser import sign_in

pytestmark = [pytest.mark.e2e, e2e_db]


@pytest.fixture
def violations(page):
    found = []
    page.on("console", lambda message: "Content Security Policy" in message.text and found.append(message.text))
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def test_admin_pages_work_under_the_policy(page, site, violations, methodologist, framework, global_textbook, outcome):
    sign_in(page, site("/admin/login/"), methodologist)
    assert "script-src 'self'" in page.request.get(site("/admin/")).headers["content-security-policy"]

    page.goto(site("/admin/curriculum/learningoutcome/"))
    page.locator("#changelist-filter").wait_for()  # filters are rendered
    page.goto(site(f"/admin/curriculum/framework/{framework.pk}/tree/"))
    expect(page.locator(".goso-tree")).to_be_visible()
    page.goto(site(f"/admin/textbooks/textbook/{global_textbook.pk}/coverage/"))
    page.goto(site("/admin/curriculum/learningoutcome/add/"))
    page.click("#id_subsection + .select2 .select2-selection")  # select2 (admin JavaScript) runs
    expect(page.locator(".select2-container--open .select2-search__field")).to_be_visible()

    assert violations == []


def test_swagger_ui_works_under_the_policy(page, site, violations, methodologist):
    sign_in(page, site("/admin/login/"), methodologist)

    page.goto(site("/api/docs/"))

    expect(page.locator(".opblock-summary").first).to_be_visible()  # the schema was fetched and rendered
    assert violations == []

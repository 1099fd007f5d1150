"""A school administrator copies a global textbook, and later takes over its update with a conflict,
in headless Chromium (see conftest.py for the set-up; screenshots in artifacts/screenshots/)."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # every test here needs the `browser` fixture, which skips or (CI=true) fails saying so
    expect = None

from tenants.context import super_admin_context, tenant_context
from tests.conftest import make_textbook
from tests.e2e.conftest import e2e_db
from tests.e2e.test_admin_browser import sign_in
from textbooks.models import Chapter, Paragraph, Textbook

pytestmark = [pytest.mark.e2e, e2e_db]


@pytest.fixture
def source(subject):
    with super_admin_context():
        return make_textbook(subject, chapters=1, paragraphs=2)


def test_school_admin_applies_a_fork_update_with_a_conflict(page, site, screenshot, source, school_a, admin_a):
    sign_in(page, site("/admin/login/", school="school-a"), admin_a)

    # Copy the global textbook; afterwards its page leads to the copy instead of copying again.
    page.goto(site(f"/admin/textbooks/textbook/{source.pk}/change/", school="school-a"))
    page.click("form.goso-fork button")
    expect(page.locator(".messagelist .success")).to_be_visible()
    with tenant_context(school_id=school_a.pk):
        fork = Textbook.objects.get(global_textbook=source, school=school_a)
    page.goto(site(f"/admin/textbooks/textbook/{source.pk}/change/", school="school-a"))
    expect(page.locator("form.goso-fork")).to_have_count(0)
    expect(page.locator(f'.object-tools a[href$="/admin/textbooks/textbook/{fork.pk}/change/"]')).to_be_visible()

    # The school edits paragraph 1001 of its copy; the methodologists edit it differently in the
    # global textbook and add paragraph 1003.
    with tenant_context(school_id=school_a.pk):
        Paragraph.objects.filter(chapter__textbook=fork, number=1001).update(title="Наше название")
    with super_admin_context():
        Paragraph.objects.filter(chapter__textbook=source, number=1001).update(title="Глобальное название")
        Paragraph.objects.create(chapter=Chapter.objects.get(textbook=source, number=1), number=1003, title="Новый параграф")

    # The list shows the copy has an update.
    page.goto(site("/admin/textbooks/textbook/?update=yes", school="school-a"))
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    screenshot("fork_update_list")
    page.locator(f'#result_list a[href$="/admin/textbooks/textbook/{fork.pk}/fork-update/"]').click()

    # The review: the conflict is highlighted with a choice; the addition can be taken over.
    conflict = page.locator('tbody.goso-fu-conflict[id="item-1.1001"]')
    expect(conflict).to_contain_text("Наше название")
    expect(conflict).to_contain_text("Глобальное название")
    expect(conflict.locator('input[type=radio][name="decide-1.1001"]')).to_have_count(2)
    expect(page.locator('input[type=checkbox][name=take][value="1.1003"]')).to_be_visible()
    screenshot("fork_update_review_conflict")

    # "Apply all non-conflicting" takes the new paragraph and leaves the conflict waiting.
    page.click("button[name=action][value=all]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator('tbody.goso-fu-conflict[id="item-1.1001"]')).to_be_visible()
    expect(page.locator('[id="item-1.1003"]')).to_have_count(0)

    # Marking reviewed without a choice is refused; keeping our version then closes the update.
    page.click("button[name=action][value=reviewed]")
    expect(page.locator(".messagelist .error")).to_be_visible()
    screenshot("fork_update_conflict_needs_a_choice")
    page.check('input[name="decide-1.1001"][value=ours]')
    page.click("button[name=action][value=reviewed]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator(".goso-fu-conflict")).to_have_count(0)
    screenshot("fork_update_reviewed")

    with tenant_context(school_id=school_a.pk):
        fork = Textbook.objects.get(pk=fork.pk)
        titles = dict(Paragraph.objects.filter(chapter__textbook=fork).values_list("number", "title"))
        source_version = Textbook.objects.get(pk=source.pk).version
    assert titles == {1001: "Наше название", 1002: "Параграф 2", 1003: "Новый параграф"}
    assert (fork.source_version, fork.is_customized) == (source_version, True)
    assert source_version > 1

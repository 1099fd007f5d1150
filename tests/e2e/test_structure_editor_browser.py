"""The framework tree as an editor, in Chromium, as the methodologist who uses it: renumber a branch
with the preview of its new codes, move an outcome by drag and drop and reorder one from the keyboard,
and see the new codes on the tree; no Content-Security-Policy violation on the way."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # every test here needs the `browser` fixture, which skips or (CI=true) fails saying so
    expect = None

from curriculum.models import LearningOutcome, Section, Subsection
from tenants.context import super_admin_context
from tests.e2e.conftest import e2e_db
from tests.e2e.test_admin_browser import sign_in
from tests.e2e.test_csp_browser import violations  # noqa: F401 (the fixture: CSP violations and page errors)
from textbooks.models import ParagraphOutcome

pytestmark = [pytest.mark.e2e, e2e_db]


@pytest.fixture
def tree(framework, outcome, global_alignment):
    """Section 2 > 2.1 > 7.2.1.1 (aligned), 7.2.1.2; section 3 > 3.1 > 7.3.1.1."""
    with super_admin_context():
        LearningOutcome.objects.create(framework=framework, subsection=outcome.subsection, grade=7, code="7.2.1.2", title_ru="описывать ханства")
        other = Section.objects.create(framework=framework, code="3", name_ru="Экономика")
        other_sub = Subsection.objects.create(section=other, code="3.1", name_ru="Хозяйство")
        LearningOutcome.objects.create(framework=framework, subsection=other_sub, grade=7, code="7.3.1.1", title_ru="хозяйство кочевников")
    return framework


def outcome_codes(page, subsection_code):
    row = page.locator("tr[data-kind=subsection]", has=page.locator(f"th a:text-is('{subsection_code}')"))
    return row.locator("li[data-kind=outcome] a.code").all_inner_texts()


def test_methodologist_renumbers_a_branch_with_the_preview(page, site, screenshot, violations, methodologist, tree, section, outcome):
    sign_in(page, site("/admin/login/"), methodologist)
    page.goto(site(f"/admin/curriculum/framework/{tree.pk}/tree/"))
    screenshot("structure_editor_tree")

    page.locator(f"a[href$='node=section:{section.pk}']").click()
    page.fill("#goso-new-code", "4")
    page.locator("input[type=submit]").first.click()
    preview = page.locator("#goso-renumber-preview")
    expect(preview).to_contain_text("7.2.1.1")
    expect(preview).to_contain_text("7.4.1.1")
    expect(preview).to_contain_text("2.1")
    expect(preview).to_contain_text("4.1")
    with super_admin_context():  # nothing saved before the confirmation
        assert Section.objects.get(pk=section.pk).code == "2"
    screenshot("structure_editor_renumber_preview")

    page.locator("input[name=confirm]").click()
    expect(page.locator(f"#section-{section.pk} caption")).to_contain_text("4.")
    assert outcome_codes(page, "4.1") == ["7.4.1.1", "7.4.1.2"]
    expect(page.locator(".messagelist")).to_contain_text("2 → 4")
    screenshot("structure_editor_renumbered")
    with super_admin_context():  # the alignment is still on the same outcome, now 7.4.1.1
        assert ParagraphOutcome.objects.get().outcome.code == "7.4.1.1"
    assert violations == []


def test_methodologist_moves_an_outcome_by_drag_and_drop_and_reorders_by_keyboard(
    page, site, screenshot, violations, methodologist, tree, outcome,
):
    sign_in(page, site("/admin/login/"), methodologist)
    page.goto(site(f"/admin/curriculum/framework/{tree.pk}/tree/"))
    with super_admin_context():
        target = Subsection.objects.get(section__framework=tree, code="3.1")
    item = page.locator(f"#outcome-{outcome.pk}")
    target_list = page.locator(f"#subsection-{target.pk} ul[data-subsection]").nth(2)  # grade 7 (grades 5-9)
    expect(target_list.locator("li")).to_have_count(1)

    item.locator(".goso-handle").drag_to(target_list.locator("li").first)
    expect(page.locator(".messagelist")).to_contain_text("7.2.1.1 → 7.3.1.2")
    order = outcome_codes(page, "3.1")
    assert sorted(order) == ["7.3.1.1", "7.3.1.2"]
    screenshot("structure_editor_moved")
    with super_admin_context():
        moved = LearningOutcome.objects.get(pk=outcome.pk)
        assert (moved.subsection_id, moved.code) == (target.pk, "7.3.1.2")

    # From the keyboard: focus the moved outcome's "up" (or "down") button and press Enter...
    step = "up" if order == ["7.3.1.1", "7.3.1.2"] else "down"
    page.locator(f"#outcome-{outcome.pk} button[value='{step}:outcome:{outcome.pk}']").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert outcome_codes(page, "3.1") == order[::-1]
    expect(page.locator(".messagelist")).to_be_visible()
    # ... or focus the item itself and press Alt+Arrow.
    page.locator(f"#outcome-{outcome.pk}").focus()
    with page.expect_navigation():
        page.keyboard.press("Alt+ArrowUp" if step == "down" else "Alt+ArrowDown")
    assert outcome_codes(page, "3.1") == order

    # And "Move to…" through the dialog, by keyboard: back to 2.1, as its next free number.
    page.locator(f"#outcome-{outcome.pk} button[data-op=move]").focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#goso-node-dialog")
    expect(dialog).to_be_visible()
    with super_admin_context():
        home = Subsection.objects.get(section__framework=tree, code="2.1")
    page.select_option("#goso-parent", str(home.pk))
    screenshot("structure_editor_move_dialog")
    with page.expect_navigation():
        dialog.locator("input[type=submit]").press("Enter")
    assert outcome_codes(page, "2.1") == ["7.2.1.2", "7.2.1.3"]
    assert violations == []


def test_methodologist_reorders_sections_by_drag_and_drop(page, site, screenshot, violations, methodologist, tree, section):
    sign_in(page, site("/admin/login/"), methodologist)
    page.goto(site(f"/admin/curriculum/framework/{tree.pk}/tree/"))
    with super_admin_context():
        other = Section.objects.get(framework=tree, code="3")
    tables = page.locator("table.goso-tree")
    assert tables.evaluate_all("tables => tables.map(table => table.id)") == [f"section-{section.pk}", f"section-{other.pk}"]

    page.locator(f"#section-{other.pk} caption .goso-handle").drag_to(page.locator(f"#section-{section.pk} caption"))
    expect(page.locator(".messagelist")).to_be_visible()
    assert tables.evaluate_all("tables => tables.map(table => table.id)") == [f"section-{other.pk}", f"section-{section.pk}"]
    screenshot("structure_editor_sections_reordered")
    with super_admin_context():  # the order is the display order; codes stay
        assert list(Section.objects.filter(framework=tree).order_by("display_order").values_list("code", flat=True)) == ["3", "2"]
    assert violations == []

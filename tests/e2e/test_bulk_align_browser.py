"""Alignment in bulk and lists that fit the screen, in headless Chromium (see conftest.py)."""

from decimal import Decimal

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # every test here needs the `browser` fixture, which skips or (CI=true) fails saying so
    expect = None

from curriculum.models import LearningOutcome
from tenants.context import super_admin_context
from tests.conftest import make_textbook
from tests.e2e.conftest import SCREENSHOTS, e2e_db
from tests.e2e.test_admin_browser import sign_in
from textbooks.models import Chapter, ParagraphOutcome

pytestmark = [pytest.mark.e2e, e2e_db]


@pytest.fixture
def outcomes(outcome):
    with super_admin_context():
        return [outcome] + [
            LearningOutcome.objects.create(
                framework=outcome.framework, subsection=outcome.subsection, grade=7, code=f"7.2.1.{n}",
                title_ru=f"объяснять значение событий XVIII века для истории края, пример {n}",
            )
            for n in range(2, 7)
        ]


@pytest.fixture
def chapter_a(subject, school_a):
    with super_admin_context():
        textbook = make_textbook(subject, school=school_a, title="Учебник школы A", chapters=1, paragraphs=4)
        return Chapter.objects.select_related("textbook").get(textbook=textbook)


def test_a_teacher_bulk_aligns_a_chapter(page, site, screenshot, teacher_a, chapter_a, outcomes):
    sign_in(page, site("/en/admin/login/", school="school-a"), teacher_a)
    page.goto(site(f"/en/admin/textbooks/chapter/{chapter_a.pk}/change/", school="school-a"))
    page.get_by_role("link", name="Align in bulk").click()
    expect(page.locator("table.alignment-grid")).to_be_visible()
    with super_admin_context():
        p1, p2, p3, _p4 = chapter_a.paragraphs.order_by("number")

    # The whole outcome text shows when its code gets the keyboard focus.
    page.locator("thead .code", has_text=outcomes[1].code).focus()
    expect(page.locator(f"#outcome-text-{outcomes[1].pk}")).to_be_visible()
    expect(page.locator(f"#outcome-text-{outcomes[1].pk}")).to_contain_text(outcomes[1].title_ru)

    page.check(f"input[name=cell-{p1.pk}-{outcomes[0].pk}]")
    page.fill(f"input[name=confidence-{p2.pk}-{outcomes[1].pk}]", "0.6")  # typing a confidence ticks the cell
    expect(page.locator(f"input[name=cell-{p2.pk}-{outcomes[1].pk}]")).to_be_checked()
    page.keyboard.press("Tab")  # keyboard: on to the next cell's checkbox, ticked with the space bar
    page.keyboard.press("Space")
    expect(page.locator(".grid-dirty")).to_contain_text("3")
    screenshot("bulk_align_before_save")

    page.click("input[name=save]")

    expect(page.locator(".messagelist .success")).to_contain_text("3 added, 0 changed, 0 removed")
    with super_admin_context():
        stored = {(a.paragraph_id, a.outcome_id): a.confidence for a in ParagraphOutcome.objects.filter(paragraph__chapter=chapter_a)}
    assert stored == {
        (p1.pk, outcomes[0].pk): Decimal("1.00"), (p2.pk, outcomes[1].pk): Decimal("0.60"),
        (p2.pk, outcomes[2].pk): Decimal("1.00"),
    }
    expect(page.locator(f"input[name=cell-{p2.pk}-{outcomes[1].pk}]")).to_be_checked()
    screenshot("bulk_align_saved")

    # Untick one, change a confidence: one removed, one changed.
    page.uncheck(f"input[name=cell-{p1.pk}-{outcomes[0].pk}]")
    page.fill(f"input[name=confidence-{p2.pk}-{outcomes[2].pk}]", "0.4")
    page.click("input[name=save]")
    expect(page.locator(".messagelist .success")).to_contain_text("0 added, 1 changed, 1 removed")


def changelists(page, site, prefix, school=None):
    page.goto(site(f"{prefix}/admin/", school=school))
    hrefs = page.eval_on_selector_all("#content-main .module th[scope=row] a", "links => links.map(a => a.getAttribute('href'))")
    assert len(hrefs) >= 9
    return hrefs


# The page, and the list inside it (Django lets a too wide table scroll in its own box, hiding columns).
WIDTHS = """() => [document.documentElement, document.querySelector('#changelist .results')]
    .filter(box => box).map(box => [box.scrollWidth, box.clientWidth])"""


@pytest.fixture
def long_texts(global_textbook, textbook_a, outcomes, section, subsection, framework):
    """Texts as long as real ones (the ministry's outcomes, textbook titles) in every list."""
    long = "Қазақстан тарихындағы маңызды оқиғалардың себептері мен салдарын түсіндіру және бағалау " * 3
    with super_admin_context():
        for textbook in (global_textbook, textbook_a):
            textbook.title = "История Казахстана (XVIII-XIX вв.): учебник для 7 класса общеобразовательной школы"
            textbook.save()
        outcomes[0].title_ru = outcomes[0].title_kz = long
        outcomes[0].save()
        section.name_ru = subsection.name_ru = "Развитие социальных отношений и культуры в период Казахского ханства"
        section.save()
        subsection.save()
        framework.title_ru = "Государственный общеобязательный стандарт: История Казахстана, 5-9 классы (приказ № 399)"
        framework.save()


@pytest.mark.parametrize("language", ["ru", "kk"])
@pytest.mark.parametrize("who", ["methodologist", "school_admin"])
def test_every_changelist_fits_a_1280_pixel_screen(
    browser, site, who, language, methodologist, admin_a, global_alignment, alignment_a, chapter_a, long_texts,
):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    user, school = (methodologist, None) if who == "methodologist" else (admin_a, "school-a")
    prefix = "" if language == "ru" else f"/{language}"
    sign_in(page, site(f"{prefix}/admin/login/", school=school), user)
    too_wide = {}
    for href in changelists(page, site, prefix, school):
        page.goto(site(href, school=school))
        page.locator("#changelist").wait_for()
        widths = page.evaluate(WIDTHS)
        page.screenshot(path=str(SCREENSHOTS / f"changelist_1280_{who}_{href.strip('/').replace('/', '_')}.png"))
        if any(scroll > client for scroll, client in widths):
            too_wide[href] = widths
    context.close()
    assert too_wide == {}


def test_the_chooser_shows_whole_texts_and_widens_to_other_grades(page, site, screenshot, teacher_a, chapter_a, outcomes):
    with super_admin_context():
        grade_8 = LearningOutcome.objects.create(
            framework=outcomes[0].framework, subsection=outcomes[0].subsection, grade=8, code="8.2.1.1",
            title_ru="сравнивать реформы XIX века в разных регионах Казахстана и оценивать их последствия для жизни людей",
        )
        paragraph = chapter_a.paragraphs.order_by("number").first()
    sign_in(page, site("/en/admin/login/", school="school-a"), teacher_a)
    page.goto(site(f"/en/admin/textbooks/paragraph/{paragraph.pk}/change/", school="school-a"))
    page.locator("#outcome_links-group .add-row a").click()
    page.click("#outcome_links-group .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "8.2")
    expect(page.locator(".select2-container--open .select2-results__option").first).to_contain_text("No results")

    page.keyboard.press("Escape")
    page.locator(".alignment-grades a", has_text="8").click()  # offer grade 8 too
    expect(page.locator(".alignment-grades a.chosen")).to_have_count(2)
    page.locator("#outcome_links-group .add-row a").click()
    page.click("#outcome_links-group .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "8.2")
    option = page.locator(".select2-container--open .select2-results__option", has_text=grade_8.code).first
    expect(option).to_contain_text(grade_8.title_ru)  # the whole text, not cut
    option.click()
    screenshot("alignment_chooser_other_grade")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    with super_admin_context():
        assert ParagraphOutcome.objects.filter(paragraph=paragraph, outcome=grade_8).exists()


def test_the_coverage_print_view(page, site, screenshot, admin_a, chapter_a, outcomes):
    sign_in(page, site("/en/admin/login/", school="school-a"), admin_a)
    page.goto(site(f"/en/admin/textbooks/textbook/{chapter_a.textbook_id}/coverage/?grades=7&grades=8", school="school-a"))
    expect(page.locator(".coverage-grid thead")).to_contain_text("Grade 8")
    page.get_by_role("link", name="Print view").click()
    expect(page.locator("#header")).to_be_hidden()
    expect(page.locator(".coverage-form")).to_be_hidden()
    expect(page.locator(".coverage-grid")).to_be_visible()
    screenshot("coverage_print_view")

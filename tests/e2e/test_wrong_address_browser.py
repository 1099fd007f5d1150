"""Signing in at the wrong school's address, in headless Chromium: the page says where the user's school
is, signing out works there, and the link leads to the user's own address (issue 12 item 6)."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips or (CI=true) fails saying so
    expect = None

from tests.conftest import PASSWORD
from tests.e2e.conftest import e2e_db

pytestmark = [pytest.mark.e2e, e2e_db]


def fill_login(page, user):
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def test_staff_signed_in_at_another_schools_address_find_their_way_out(page, site, screenshot, admin_b, school_a, school_b):
    page.goto(site("/en/admin/login/", school="school-a"))
    fill_login(page, admin_b)

    # Not a bare 403: the page names the problem and the way out.
    expect(page.locator("h1")).to_have_text("Wrong address")
    home = page.locator("#home-address")
    expect(home).to_have_attribute("href", site("/en/admin/", school="school-b"))
    screenshot("wrong-address-page")

    page.locator("#sign-out button").click()
    expect(page.locator("#user-tools")).to_have_count(0)
    page.goto(site("/en/admin/login/", school="school-a"))
    expect(page.locator("#id_username")).to_be_visible()  # signing in again is possible at any address

    # The user's own address: sign in there and work.
    page.goto(site("/en/admin/", school="school-b"))
    fill_login(page, admin_b)
    expect(page.locator("#user-tools")).to_be_visible()
    expect(page.locator("h1")).not_to_have_text("Wrong address")
    screenshot("wrong-address-own-school")


def test_a_methodologist_at_a_schools_address_is_sent_to_the_national_one(page, site, methodologist, school_a):
    page.goto(site("/en/admin/login/", school="school-a"))
    fill_login(page, methodologist)
    expect(page.locator("h1")).to_have_text("Wrong address")
    page.locator("#home-address").click()
    # Sessions belong to one address (host-only cookies): at the national one the methodologist signs in.
    expect(page).to_have_url(site("/en/admin/login/?next=/en/admin/"))
    fill_login(page, methodologist)
    expect(page).to_have_url(site("/en/admin/"))
    expect(page.locator("#user-tools")).to_be_visible()

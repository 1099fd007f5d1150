"""External CASE frameworks in headless Chromium: the tree page's search box (a static script: the
Content-Security-Policy forbids inline ones) and its collapsible branches."""

import json

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips or (CI=true) fails saying so
    expect = None

from curriculum.external import external_package_import
from curriculum.external_models import ExternalFramework
from tests.e2e.conftest import e2e_db
from tests.e2e.test_admin_browser import sign_in
from tests.test_case_external import rich_external

pytestmark = [pytest.mark.e2e, e2e_db]


def test_methodologist_searches_an_external_frameworks_tree(page, site, screenshot, methodologist):
    data = rich_external()
    external_package_import(data=json.loads(json.dumps(data)), source="cambridge.json")
    framework = ExternalFramework.objects.get(identifier=data["CFDocument"]["identifier"])
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, site("/admin/login/"), methodologist)

    page.goto(site(f"/admin/curriculum/externalframework/{framework.pk}/tree/"))
    nodes = page.locator("li.external-node")
    expect(nodes).to_have_count(3)
    page.fill("#external-tree-search", "multiply")
    expect(page.locator("li.external-node:not(.hidden)")).to_have_count(2)  # the item and its strand
    expect(page.locator("li.external-node:not(.hidden) .code").last).to_have_text("7Ni.02")
    screenshot("external_tree_search")
    page.fill("#external-tree-search", "")
    expect(page.locator("li.external-node:not(.hidden)")).to_have_count(3)
    page.locator("summary").first.click()  # collapse the strand
    expect(page.locator("li.external-node .code", has_text="7Ni.01")).to_be_hidden()
    assert not errors, errors

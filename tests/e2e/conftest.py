"""End-to-end tests: the admin in a real headless Chromium against a live server.

The browser: Debian's /usr/bin/chromium (`./dev test` installs it with apt where it can), driven by
Playwright's Python package; Playwright's own browser download is never used. Without chromium (or when it
does not start) the tests are skipped locally with a message saying so, and fail with CI=true
(tests/prerequisites.py).

The database: `live_server` serves from another thread, so test data must be committed, which
makes these tests transactional (pytest-django's `transactional_db`). A transactional test ends by
flushing the tables with TRUNCATE, which the runtime role may not do (it has only SELECT, INSERT,
UPDATE, DELETE). The `e2e_db` marker therefore lists the `owner` alias too: Django flushes only
non-mirror aliases, so the flush runs as the owner role (the tables' owner), while the app and the
test code keep running as the runtime role (`default`). Data is created through the chained
fixtures of tests/conftest.py, which use super_admin_context() (committed at once in this mode).

Hosts: the live server listens on localhost; a school is reached at school-a.localhost:<port>, which
Chromium resolves to the loopback address by itself.

Screenshots go to artifacts/screenshots/ (git-ignored).
"""

import os
from pathlib import Path

import pytest

from tests.prerequisites import missing, require

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

# Playwright's sync API keeps an asyncio loop in the test thread; Django would then refuse the
# ORM calls that the tests make between browser steps (SynchronousOnlyOperation). Nothing here is
# really asynchronous, so the check is switched off for this process.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

e2e_db = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


# Per module, not per session: closing the browser closes its keep-alive sockets, and with them the
# live server's threads that answer them and hold sessions on the test database (which must have
# none left when tests/test_schema_drift.py copies it or the run drops it).
@pytest.fixture(scope="module")
def browser():
    require(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM} (apt-get install chromium; ./dev test does it where it can)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require(sync_playwright is not None, "the playwright package (pip install the test requirements)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception as error:  # a broken browser install: one clear message, not a traceback per test
        playwright.stop()
        missing(f"a Chromium that starts ({CHROMIUM}: {error})")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def site(live_server):
    """URLs of the live server on the public host or on a school's host."""

    def url(path, *, school=None):
        base = live_server.url if school is None else live_server.url.replace("://localhost", f"://{school}.localhost")
        return f"{base}{path}"

    return url

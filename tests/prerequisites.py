"""What the suite needs but cannot provide itself: Chromium, pgbouncer, PostgreSQL's server binaries,
the shared data files. Locally a missing one skips the tests that need it, saying what to install;
with CI=true it fails them, since a CI run that is green because it skipped proves nothing.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings


def strict() -> bool:
    """CI=true (any of true/1/yes): a missing prerequisite is a failure."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def require(condition, what: str) -> None:
    """Skip (locally) or fail (CI=true) the current test or fixture unless `condition` holds.
    `what`: the missing thing and how to get it."""
    if not condition:
        missing(what)


def missing(what: str) -> None:
    """Skip (locally) or fail (CI=true): `what` is missing."""
    if strict():
        pytest.fail(f"missing prerequisite (CI=true: fails instead of skipping): {what}", pytrace=False)
    pytest.skip(f"missing prerequisite: {what}")


def shared_data(*parts: str) -> Path:
    """A file or folder of the shared data (settings.SHARED_DATA_DIR, by default ../shared/data beside
    the checkout), required to exist. The only place tests resolve the shared data."""
    return _required(Path(settings.SHARED_DATA_DIR).joinpath(*parts))


def shared_standard(*parts: str) -> Path:
    """A file of the published standards (the shared/standards folder beside SHARED_DATA_DIR), required."""
    return _required(Path(settings.SHARED_DATA_DIR).parent.joinpath("standards", *parts))


def _required(path: Path) -> Path:
    require(path.exists(), f"the shared file {path} (set SHARED_DATA_DIR to the shared/data folder)")
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With CI=true every skip is a failure, whatever raised it (a bare pytest.skip, an empty
    parametrize set): tests/conftest.py installs this hook."""
    outcome = yield
    report = outcome.get_result()
    if strict() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, which CI=true does not allow: {reason}"

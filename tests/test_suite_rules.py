"""The suite's own rules: fast hashing, prerequisites that skip locally and fail in CI, no skips or
machine paths outside tests/prerequisites.py."""

import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.hashers import get_hasher

from tests import prerequisites

TESTS = Path(__file__).resolve().parent


def test_the_suite_hashes_passwords_fast_and_production_does_not():
    assert get_hasher().algorithm == "md5"
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "tests.settings"  # inherited by manage.py and gunicorn
    from config import settings as production

    assert not hasattr(production, "PASSWORD_HASHERS")  # Django's default: PBKDF2 at 1,000,000 iterations


def test_a_missing_prerequisite_skips_locally(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    prerequisites.require(True, "nothing")
    with pytest.raises(pytest.skip.Exception, match="missing prerequisite: pgbouncer"):
        prerequisites.require(False, "pgbouncer")


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes"])
def test_a_missing_prerequisite_fails_in_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    prerequisites.require(True, "nothing")
    with pytest.raises(pytest.fail.Exception, match="CI=true.*pgbouncer"):
        prerequisites.require(False, "pgbouncer")


def test_a_missing_shared_file_names_its_path(monkeypatch, settings, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    settings.SHARED_DATA_DIR = tmp_path / "data"
    (tmp_path / "data" / "goso").mkdir(parents=True)
    (tmp_path / "standards").mkdir()
    assert prerequisites.shared_data("goso") == tmp_path / "data" / "goso"
    assert prerequisites.shared_standard() == tmp_path / "standards"
    with pytest.raises(pytest.skip.Exception, match=re.escape(str(tmp_path / "data" / "textbooks"))):
        prerequisites.shared_data("textbooks")


def _report_after_hook(longrepr, outcome="skipped", **extra):
    report = SimpleNamespace(outcome=outcome, longrepr=longrepr, **extra)
    report.skipped = outcome == "skipped"
    hook = prerequisites.pytest_runtest_makereport(item=None, call=None)
    next(hook)
    with pytest.raises(StopIteration):
        hook.send(SimpleNamespace(get_result=lambda: report))
    return report


def test_in_ci_any_skip_is_reported_as_a_failure(monkeypatch):
    monkeypatch.setenv("CI", "true")
    report = _report_after_hook(("tests/x.py", 1, "Skipped: got empty parameter set"))
    assert report.outcome == "failed" and "empty parameter set" in report.longrepr
    assert _report_after_hook(("x", 1, "r"), wasxfail="reason").outcome == "skipped"  # xfail is not a skip
    monkeypatch.delenv("CI")
    assert _report_after_hook(("tests/x.py", 1, "Skipped: no chromium")).outcome == "skipped"


def test_no_test_skips_by_itself_or_reads_machine_paths():
    # Skips go through tests/prerequisites.py (which fails them under CI=true); shared files through
    # its resolver (settings.SHARED_DATA_DIR), never a folder of one machine.
    skipping = re.compile(r"pytest\.skip\(|\.skipif\(|importorskip\(|mark\.skip\b")
    machine_path = re.compile(r"""["'](/work/|/home/|/Users/|/root/)""")
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name in ("prerequisites.py", "test_suite_rules.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if skipping.search(line) or machine_path.search(line):
                offenders.append(f"{path.relative_to(TESTS)}:{number}: {line.strip()}")
    assert offenders == []

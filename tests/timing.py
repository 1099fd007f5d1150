"""Where the suite's time went, per test file (setup, call and teardown added up), printed after every
run beside pytest's --durations list (pytest.ini): the file view shows which part of the suite to speed
up, the test view which test. tests/conftest.py installs the hooks."""

from collections import defaultdict

_SECONDS_PER_FILE: dict[str, float] = defaultdict(float)
SHOWN = 15


def pytest_runtest_logreport(report):
    _SECONDS_PER_FILE[report.nodeid.split("::", 1)[0]] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _SECONDS_PER_FILE:
        return
    total = sum(_SECONDS_PER_FILE.values())
    terminalreporter.section("time per test file")
    ranked = sorted(_SECONDS_PER_FILE.items(), key=lambda item: item[1], reverse=True)
    for path, seconds in ranked[:SHOWN]:
        terminalreporter.write_line(f"{seconds:8.1f} s {100 * seconds / total:5.1f}%  {path}")
    if len(ranked) > SHOWN:
        terminalreporter.write_line(f"{sum(seconds for _path, seconds in ranked[SHOWN:]):8.1f} s in {len(ranked) - SHOWN} more files")
    terminalreporter.write_line(f"{total:8.1f} s in tests (the rest of the wall time: start-up, database creation)")

"""import_goso: the nine real files, idempotence, dry run, deactivation, the command."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from curriculum.importing import goso_file_import
from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from tenants.context import super_admin_context
from tests.import_snapshot import database_snapshot, in_english  # noqa: F401 (fixture)
from tests.prerequisites import shared_data


def goso_files():
    """The nine real GOSO files of the shared data (a prerequisite)."""
    return sorted(shared_data("goso").glob("*.json"))


def history():
    """The real GOSO file of Kazakhstan's history (a prerequisite)."""
    return shared_data("goso", "goso_hist_kz_2022_09_16.json")


pytestmark = pytest.mark.usefixtures("in_english")


def write_json(path, data):
    # ASCII escapes, so that even a lone surrogate (\ud800) can be written for the error tests.
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def small_framework(**overrides):
    data = {
        "subject": {"code": "test_subject", "name_ru": "Тестовый предмет", "name_kz": None, "grade_from": 5, "grade_to": 9},
        "framework": {"code": "goso_test", "title_ru": "Тестовая программа", "title_kz": None, "order_number": "399",
                      "order_date": "2022-09-16", "appendix_number": None},
        "sections": [
            {"code": "1", "name_ru": "Раздел 1", "name_kz": "Бөлім 1", "subsections": [
                {"code": "1.1", "name_ru": "Подраздел 1.1", "name_kz": None},
                {"code": "1.2", "name_ru": "Подраздел 1.2", "name_kz": None},
            ]},
            {"code": "2", "name_ru": "Раздел 2", "name_kz": None, "subsections": [
                {"code": "2.1", "name_ru": "Подраздел 2.1", "name_kz": None},
            ]},
        ],
        "outcomes": [
            {"code": "5.1.1.1", "grade": 5, "title_ru": "цель 1", "title_kz": None},
            {"code": "5.1.1.2", "grade": 5, "title_ru": "цель 2", "title_kz": "мақсат 2"},
            {"code": "7.2.1.10", "grade": 7, "title_ru": "цель 10", "title_kz": None},
        ],
    }
    data.update(overrides)
    return data


def counts(framework_code):
    with super_admin_context():
        return (
            Section.objects.filter(framework__code=framework_code).count(),
            Subsection.objects.filter(section__framework__code=framework_code).count(),
            LearningOutcome.objects.filter(framework__code=framework_code).count(),
        )


def test_all_nine_real_files_import_and_a_second_run_changes_nothing(db):
    files = goso_files()
    assert len(files) == 9
    for path in files:
        report = goso_file_import(path=path)
        assert report.created > 0 and report.updated == 0
    with super_admin_context():
        assert Framework.objects.count() == 9
        english = Framework.objects.get(code="goso_english_5_9_2022_09_16")
        assert Subsection.objects.filter(section__framework=english).count() == 61
        history = Framework.objects.get(code="goso_hist_kz_2022_09_16")
        assert history.amendments == [{"order_number": "467", "date": "2022-11-21"}]
        assert history.order_date.isoformat() == "2022-09-16" and history.appendix_number == 61
        literature = Framework.objects.get(code="goso_russian_lit_5_9_2022_09_16")
        assert literature.title_kz == ""  # null in the file
        assert set(Section.objects.filter(framework=literature).values_list("name_kz", flat=True)) == {""}
        outcome = LearningOutcome.objects.get(framework=history, code="5.1.1.1")
        assert outcome.subsection.code == "1.1" and outcome.grade == 5 and outcome.title_kz == ""

    before = database_snapshot()
    for path in files:
        report = goso_file_import(path=path)
        assert (report.created, report.updated, report.missing) == (0, 0, 0)
        assert report.unchanged > 0 and not report.changes_anything
        assert "nothing changed" in report.summary()
    assert database_snapshot() == before  # not even updated_at moved


def test_dry_run_reports_the_plan_and_writes_nothing(db, tmp_path):
    path = write_json(tmp_path / "f.json", small_framework())
    before = database_snapshot()
    report = goso_file_import(path=path, dry_run=True)
    assert database_snapshot() == before
    assert report.changes["section"].created == ["1", "2"]
    assert report.changes["outcome"].created == ["5.1.1.1", "5.1.1.2", "7.2.1.10"]
    assert "  + outcome 7.2.1.10" in report.plan_lines()
    assert "dry run" in report.summary()


def test_changed_fields_are_reported_and_updated(db, tmp_path):
    path = write_json(tmp_path / "f.json", small_framework())
    goso_file_import(path=path)
    data = small_framework()
    data["sections"][1]["name_ru"] = "Раздел 2 (новый)"
    data["outcomes"][0]["title_kz"] = "мақсат 1"
    write_json(path, data)

    plan = goso_file_import(path=path, dry_run=True)
    assert plan.changes["section"].updated == {"2": ["name_ru"]}
    assert plan.changes["outcome"].updated == {"5.1.1.1": ["title_kz"]}
    assert "  ~ outcome 5.1.1.1: title_kz" in plan.plan_lines()

    report = goso_file_import(path=path)
    assert (report.created, report.updated) == (0, 2)
    with super_admin_context():
        assert Section.objects.get(framework__code="goso_test", code="2").name_ru == "Раздел 2 (новый)"
        assert LearningOutcome.objects.get(code="5.1.1.1").title_kz == "мақсат 1"


def test_missing_rows_are_reported_and_deactivated_only_when_asked(db, tmp_path):
    path = write_json(tmp_path / "f.json", small_framework())
    goso_file_import(path=path)
    data = small_framework()
    data["sections"] = data["sections"][:1]
    data["outcomes"] = data["outcomes"][:2]
    write_json(path, data)

    report = goso_file_import(path=path)
    assert report.changes["section"].missing == ["2"]
    assert report.changes["subsection"].missing == ["2.1"]
    assert report.changes["outcome"].missing == ["7.2.1.10"]
    with super_admin_context():
        assert LearningOutcome.objects.get(code="7.2.1.10").is_active  # reported, kept

    before = database_snapshot()
    plan = goso_file_import(path=path, deactivate_missing=True, dry_run=True)
    assert "  - outcome 7.2.1.10: not in the file, to be deactivated" in plan.plan_lines()
    assert database_snapshot() == before

    report = goso_file_import(path=path, deactivate_missing=True)
    assert report.missing == 3 and report.changes_anything
    with super_admin_context():
        assert not LearningOutcome.objects.get(code="7.2.1.10").is_active
        assert not Section.objects.get(framework__code="goso_test", code="2").is_active
    assert counts("goso_test") == (2, 3, 3)  # deactivated, never deleted

    # Listed again: active again.
    write_json(path, small_framework())
    report = goso_file_import(path=path)
    assert report.changes["outcome"].updated == {"7.2.1.10": ["is_active"]}


def test_outcomes_keep_file_order_and_numeric_code_order(db, tmp_path):
    data = small_framework()
    data["outcomes"] = [
        {"code": f"5.1.1.{number}", "grade": 5, "title_ru": f"цель {number}"} for number in (10, 9, 1, 2)
    ]
    goso_file_import(path=write_json(tmp_path / "f.json", data))
    with super_admin_context():
        by_code = list(LearningOutcome.objects.filter(framework__code="goso_test").values_list("code", flat=True))
        by_file = list(LearningOutcome.objects.order_by("display_order").values_list("code", flat=True))
    assert by_code == ["5.1.1.1", "5.1.1.2", "5.1.1.9", "5.1.1.10"]
    assert by_file == ["5.1.1.10", "5.1.1.9", "5.1.1.1", "5.1.1.2"]


def test_subject_can_be_referenced_by_code_alone(db, tmp_path, subject):
    data = small_framework(subject={"code": subject.code})
    report = goso_file_import(path=write_json(tmp_path / "f.json", data))
    assert report.changes["subject"].unchanged == 1
    with super_admin_context():
        assert Framework.objects.get(code="goso_test").subject == subject


def test_progress_is_reported_up_to_the_total(db, tmp_path):
    calls = []
    goso_file_import(path=write_json(tmp_path / "f.json", small_framework()), progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (8, 8)
    assert all(done <= total for done, total in calls)


def test_command_imports_and_summarises(db, tmp_path, capsys):
    path = write_json(tmp_path / "f.json", small_framework())
    call_command("import_goso", str(path), "--dry-run")
    assert "  + section 1" in capsys.readouterr().out
    assert counts("goso_test") == (0, 0, 0)

    call_command("import_goso", str(path), str(history()))
    out = capsys.readouterr().out
    assert "f.json: framework goso_test: created 10" in out
    assert "goso_hist_kz_2022_09_16.json: framework goso_hist_kz_2022_09_16: created" in out
    call_command("import_goso", str(path))
    assert "nothing changed" in capsys.readouterr().out


def test_command_continues_after_a_bad_file_and_fails_at_the_end(db, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    good = write_json(tmp_path / "good.json", small_framework())
    with pytest.raises(CommandError, match="1 of 2 files were not imported: .*bad.json"):
        call_command("import_goso", str(bad), str(good))
    captured = capsys.readouterr()
    assert "bad.json: invalid JSON at line 1" in captured.err
    assert counts("goso_test") == (2, 3, 3)
    with super_admin_context():
        assert Subject.objects.filter(code="test_subject").exists()


def test_progress_bar_draws_on_a_terminal_for_large_files_only():
    import io

    from django.core.management.base import OutputWrapper

    from curriculum.management.commands.import_goso import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    bar = ProgressBar(OutputWrapper(terminal), width=10)
    bar(10, 100)  # small: no bar
    assert terminal.getvalue() == ""
    bar(5000, 10000)
    bar(10000, 10000)
    bar.finish()
    assert terminal.getvalue() == "\r  [#####.....] 5000/10000\r  [##########] 10000/10000\n"

    redirected = io.StringIO()
    ProgressBar(OutputWrapper(redirected))(5000, 10000)
    assert redirected.getvalue() == ""

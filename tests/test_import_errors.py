"""Malformed GOSO files: each gives a clear message (file, JSON path, reason) and leaves every table
unchanged, checked by counts and checksums of all GOSO and textbook tables."""

import codecs
import json

import pytest

from curriculum.importing import ImportFileError, goso_file_import
from curriculum.models import LearningOutcome
from tenants.context import super_admin_context
from tests.import_snapshot import database_snapshot, in_english  # noqa: F401 (fixture)
from tests.test_import_goso import small_framework, write_json

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def existing(db, tmp_path, global_alignment):
    """A framework already imported (the bad file is a changed version of it), plus textbook content."""
    goso_file_import(path=write_json(tmp_path / "existing.json", small_framework()))
    return database_snapshot()


def assert_refused(path, expected, before):
    with pytest.raises(ImportFileError) as error:
        goso_file_import(path=path)
    messages = error.value.messages
    assert any(message.startswith(f"{path}: {expected}") for message in messages), messages
    assert database_snapshot() == before
    return messages


def changed(change):
    data = small_framework()
    change(data)
    return data


def set_in(path, value):
    """A change that sets data[a][b]... = value; path like ("sections", 0, "code")."""
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def remove(path):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


CASES = {
    "missing framework": (remove(("framework",)), "framework: is missing"),
    "missing section code": (remove(("sections", 1, "code")), "sections[1].code: is missing"),
    "missing outcome title": (remove(("outcomes", 2, "title_ru")), "outcomes[2].title_ru: is missing"),
    "unknown key": (set_in(("outcomes", 0, "title_kk"), "x"), "outcomes[0].title_kk: unknown key (expected one of:"),
    "grade as text": (set_in(("outcomes", 0, "grade"), "5"), 'outcomes[0].grade: "5" is not a grade (a whole number)'),
    "name as number": (set_in(("sections", 0, "name_ru"), 5), "sections[0].name_ru: expected text, got a number"),
    "sections as object": (set_in(("sections",), {"code": "1"}), "sections: expected a list, got an object"),
    "section as list": (set_in(("sections", 0), ["1"]), "sections[0]: expected an object, got a list"),
    "empty name": (set_in(("sections", 0, "name_ru"), "  "), "sections[0].name_ru: must not be empty"),
    "name too long": (set_in(("sections", 0, "name_ru"), "я" * 501), "sections[0].name_ru: is 501 characters long; at most 500"),
    "NUL in a text": (set_in(("outcomes", 1, "title_ru"), "a\x00b"), "outcomes[1].title_ru: contains a NUL character"),
    "lone surrogate": (set_in(("outcomes", 1, "title_ru"), "a\ud800b"), "outcomes[1].title_ru: contains an invalid Unicode character"),
    "bad date": (set_in(("framework", "order_date"), "16.09.2022"), 'framework.order_date: "16.09.2022" is not a date'),
    "bad amendment": (set_in(("framework", "amendments"), [{"order_number": "467"}]), "framework.amendments[0].date: is missing"),
    "appendix as text": (set_in(("framework", "appendix_number"), "53"), "framework.appendix_number: expected a whole number"),
    "bad section code": (set_in(("sections", 1, "code"), "II"), 'sections[1].code: "II" is not a section code'),
    "duplicate section": (set_in(("sections", 1, "code"), "1"), 'sections[1].code: duplicate code "1" (already at sections[0])'),
    "duplicate subsection": (
        set_in(("sections", 0, "subsections", 1, "code"), "1.1"),
        'sections[0].subsections[1].code: duplicate code "1.1" (already at sections[0].subsections[0])',
    ),
    "duplicate outcome": (set_in(("outcomes", 1, "code"), "5.1.1.1"), 'outcomes[1].code: duplicate code "5.1.1.1" (already at outcomes[0])'),
    "subsection of another section": (
        set_in(("sections", 1, "subsections", 0, "code"), "1.3"),
        'sections[1].subsections[0].code: "1.3" does not start with its section code "2"',
    ),
    "outcome code against its grade": (
        set_in(("outcomes", 0, "grade"), 6),
        'outcomes[0].code: "5.1.1.1" does not agree with grade 6 and subsection "1.1"',
    ),
    "outcome in no subsection of the file": (
        set_in(("outcomes", 0, "code"), "5.3.1.1"), 'outcomes[0].code: "5.3.1.1": its subsection "3.1" is not in this file',
    ),
    "malformed outcome code": (set_in(("outcomes", 0, "code"), "5.1.1"), 'outcomes[0].code: "5.1.1" is not a learning outcome code'),
    "grade out of range": (set_in(("outcomes", 0, "grade"), 12), "outcomes[0].grade: grade 12 is out of range (1-11)"),
    "grade outside the subject": (
        lambda d: d["outcomes"].append({"code": "4.1.1.1", "grade": 4, "title_ru": "x"}),
        "outcomes[3].grade: grade 4 is out of range (5-9) of the subject test_subject",
    ),
    "subject grades reversed": (set_in(("subject", "grade_from"), 10), "subject.grade_to: grade_to 9 is below grade_from 10"),
    "unknown subject": (set_in(("subject",), {"code": "astronomy"}), 'subject: unknown subject "astronomy"; give name_ru, grade_from, grade_to'),
    "bad subject code": (set_in(("subject", "code"), "Test Subject"), 'subject.code: "Test Subject" is not a subject code'),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_malformed_document_is_refused_and_changes_nothing(existing, tmp_path, case):
    change, expected = CASES[case]
    assert_refused(write_json(tmp_path / "bad.json", changed(change)), expected, existing)


def test_every_problem_is_reported_at_once(existing, tmp_path):
    data = changed(set_in(("sections", 1, "code"), "1"))
    data["outcomes"][0]["grade"] = 12
    messages = assert_refused(write_json(tmp_path / "bad.json", data), "sections[1].code", existing)
    assert f"{tmp_path / 'bad.json'}: outcomes[0].grade: grade 12 is out of range (1-11)" in messages


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "the file is empty"),
    (b"  \n\t ", "the file is empty"),
    (b'{"subject": ', "invalid JSON at line 1, column 13: Expecting value"),
    (b'{"subject": {}, }', "invalid JSON at line 1, column 17"),
    (b"[]", "$: expected an object, got a list"),
    (b"null", "$: expected an object, got null"),
    ('{"notes": "caf\xe9"}'.encode("latin-1"), "the file is not valid UTF-8 text (byte 0xe9 at offset 14)"),
])
def test_unreadable_file_is_refused_and_changes_nothing(existing, tmp_path, content, expected):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert_refused(path, expected, existing)


def test_a_missing_file_is_named(db, tmp_path):
    with pytest.raises(ImportFileError, match="nowhere.json: cannot read the file: No such file"):
        goso_file_import(path=tmp_path / "nowhere.json")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_byte_order_marks_and_utf16_are_decoded(db, tmp_path, encoding):
    path = tmp_path / "f.json"
    path.write_bytes(json.dumps(small_framework(), ensure_ascii=False).encode(encoding))
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(codecs.BOM_UTF8)
    report = goso_file_import(path=path)
    assert report.created == 10
    with super_admin_context():
        assert LearningOutcome.objects.get(code="5.1.1.2").title_kz == "мақсат 2"


def test_a_50_mb_file_is_refused_before_it_is_read(existing, tmp_path, monkeypatch, settings):
    settings.GOSO_IMPORT_MAX_FILE_BYTES = 20 * 1024 * 1024  # the default (80 MB) takes twice our largest export
    path = tmp_path / "huge.json"
    data = small_framework()
    outcome = {"code": "5.1.1.{}", "grade": 5, "title_ru": "ц" * 400}
    with path.open("w", encoding="utf-8") as stream:
        stream.write(json.dumps(data, ensure_ascii=False)[:-1] + ', "padding": [')
        chunk = json.dumps([outcome] * 1000, ensure_ascii=False)[1:-1]
        while stream.tell() < 50 * 1024 * 1024:
            stream.write(chunk + ",")
        stream.write("0]}")
    assert path.stat().st_size >= 50 * 1024 * 1024
    # Nothing may read it whole: a read would fail this test.
    monkeypatch.setattr("pathlib.Path.read_bytes", lambda self: pytest.fail("the file was read"))
    assert_refused(path, "the file is 50.3 MB; files up to 20.0 MB are accepted", existing)


def test_a_failure_while_writing_rolls_everything_back(existing, tmp_path, monkeypatch):
    """Sections and subsections are written before the outcomes: an error there undoes them too."""
    data = small_framework()
    data["sections"].append({"code": "3", "name_ru": "Раздел 3", "subsections": [{"code": "3.1", "name_ru": "3.1"}]})
    data["outcomes"].append({"code": "6.3.1.1", "grade": 6, "title_ru": "новая цель"})

    def failing_bulk_create(self, objs, *args, **kwargs):
        raise LearningOutcome.DoesNotExist("simulated failure")

    monkeypatch.setattr(type(LearningOutcome.objects), "bulk_create", failing_bulk_create)
    with pytest.raises(LearningOutcome.DoesNotExist):
        goso_file_import(path=write_json(tmp_path / "f.json", data))
    assert database_snapshot() == existing


def test_a_database_refusal_is_reported_with_the_file_name(existing, tmp_path, monkeypatch):
    """A rule only the database knows (here: the code trigger, reached by skipping our own check)."""
    monkeypatch.setattr("curriculum.importing.outcome_code_error", lambda *args, **kwargs: None)
    data = changed(set_in(("outcomes", 0, "grade"), 6))
    # The trigger's refusal, said as the JSON import says it (database_errors.py reads the values back).
    messages = assert_refused(write_json(tmp_path / "bad.json", data), "\"5.1.1.1\" does not agree with grade 6", existing)
    assert len(messages) == 1

"""import_textbook: the real textbook, idempotence, school copies, clear errors."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from curriculum.importing import ImportFileError, goso_file_import
from tenants.context import super_admin_context, tenant_context
from tests.import_snapshot import database_snapshot, in_english  # noqa: F401 (fixture)
from tests.prerequisites import shared_data
from tests.test_import_goso import history
from textbooks.importing import textbook_file_import
from textbooks.models import Chapter, Paragraph, Textbook


def real_textbook():
    """The real textbook of the shared data (a prerequisite)."""
    return shared_data("textbooks", "history_kz_7_ru.json")


pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def history_subject(db):
    goso_file_import(path=history())


def test_real_textbook_imports_globally_and_a_second_run_changes_nothing(history_subject):
    textbook, _report = textbook_file_import(path=real_textbook())
    with super_admin_context():
        textbook = Textbook.objects.get(pk=textbook.pk)
        assert textbook.school_id is None and textbook.subject.code == "history_kz"
        assert (textbook.grade_level, textbook.language, textbook.year, textbook.isbn) == (7, "ru", 2025, "978-601-07-1769-5")
        assert textbook.author.startswith("Т. Омарбеков")
        assert Chapter.objects.filter(textbook=textbook).count() == 6
        paragraphs = Paragraph.objects.filter(chapter__textbook=textbook)
        assert paragraphs.count() == 47
        first = paragraphs.get(number=1)
        assert first.key_terms[:2] == ["Тауке хан", "Жеты жаргы"]
        assert first.questions[1] == {"text": "Каковы основные цели джунгарского вторжения?"}
        assert not paragraphs.filter(number=8).exists()  # the source's gaps are kept

    before = database_snapshot()
    again, report = textbook_file_import(path=real_textbook())
    assert again.pk == textbook.pk
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1 + 6 + 47)
    assert database_snapshot() == before


def test_school_copy_is_separate_from_the_global_one(history_subject, school_a, capsys):
    textbook_file_import(path=real_textbook())
    call_command("import_textbook", str(real_textbook()), "--school", school_a.code)
    assert "created 54" in capsys.readouterr().out
    with tenant_context(school_id=school_a.pk):
        own = Textbook.objects.get(school=school_a)
        assert Paragraph.objects.filter(chapter__textbook=own, school=school_a).count() == 47
    with super_admin_context():
        assert Textbook.objects.count() == 2


def test_changed_paragraph_is_updated_in_place(history_subject, tmp_path):
    data = json.loads(real_textbook().read_text(encoding="utf-8"))
    textbook_file_import(path=real_textbook())
    data["chapters"][0]["paragraphs"][0]["title"] = "Новое название"
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    _textbook, report = textbook_file_import(path=path)
    assert report.changes["paragraph"].updated == {"paragraph 1 (chapter 1)": ["title"]}
    with super_admin_context():
        assert Paragraph.objects.get(number=1).title == "Новое название"


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["textbook"].update(subject_code="astronomy"), 'textbook.subject_code: unknown subject "astronomy"'),
    (lambda d: d["textbook"].update(grade_level=12), "textbook.grade_level: grade 12 is out of range (1-11)"),
    (lambda d: d["textbook"].update(language="en"), 'textbook.language: "en" is not a language'),
    (lambda d: d["chapters"][1]["paragraphs"][0].update(number=9), "chapters[1].paragraphs[1].number: duplicate paragraph number 9"),
    (lambda d: d["chapters"][0]["paragraphs"][2].update(key_terms="Абылай"), "chapters[0].paragraphs[2].key_terms: expected a list of texts"),
    (lambda d: d["chapters"][0]["paragraphs"][0].update(questions=[{"txt": "?"}]), 'chapters[0].paragraphs[0].questions[0]: expected an object with a "text"'),
    (lambda d: d["chapters"][2].pop("title"), "chapters[2].title: is missing"),
])
def test_bad_textbook_files_change_nothing(history_subject, tmp_path, change, expected):
    data = json.loads(real_textbook().read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = database_snapshot()
    with pytest.raises(ImportFileError) as error:
        textbook_file_import(path=path)
    assert any(message.startswith(f"{path}: {expected}") for message in error.value.messages), error.value.messages
    assert database_snapshot() == before


def test_command_refuses_an_unknown_school(history_subject):
    with pytest.raises(CommandError, match='No school with the code "nowhere"'):
        call_command("import_textbook", str(real_textbook()), "--school", "nowhere")

"""Spreadsheet export / import of sections, subsections and outcomes (CSV, XLSX): unchanged round trips
write nothing, row-level errors with the JSON import's rules, all or nothing."""

import html
import io

import openpyxl
import pytest
from django.utils import translation
from import_export.formats import base_formats

from curriculum.codes import subsection_code_error
from curriculum.importing import goso_file_import
from curriculum.models import LearningOutcome, Section, Subsection
from curriculum.spreadsheets import LearningOutcomeResource, SectionResource, SubsectionResource
from tenants.context import super_admin_context
from tests.import_snapshot import database_snapshot, in_english  # noqa: F401 (fixture)
from tests.test_import_goso import history, small_framework, write_json

pytestmark = pytest.mark.usefixtures("in_english")
RESOURCES = [SectionResource, SubsectionResource, LearningOutcomeResource]


@pytest.fixture
def frameworks(db, tmp_path, global_alignment):
    goso_file_import(path=write_json(tmp_path / "f.json", small_framework()))
    goso_file_import(path=history())


def export(resource_class, file_format):
    with super_admin_context():
        dataset = resource_class().export()
    return file_format().export_data(dataset)


def load(content, file_format):
    return file_format().create_dataset(content)


def run_import(resource_class, dataset, *, dry_run=False):
    with super_admin_context():
        return resource_class().import_data(
            dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True,
        )


def row_errors(result) -> list[str]:
    messages = []
    for row in result.invalid_rows:
        for field, errors in row.error_dict.items():
            messages += [f"row {row.number}: {field}: {error}" for error in errors]
    messages += [f"row {number}: {error.error}" for number, errors in result.row_errors() for error in errors]
    messages += [str(error.error) for error in result.base_errors]
    return messages


def csv_rows(resource_class):
    return export(resource_class, base_formats.CSV).splitlines()


@pytest.mark.parametrize("file_format", [base_formats.CSV, base_formats.XLSX], ids=["csv", "xlsx"])
@pytest.mark.parametrize("resource_class", RESOURCES, ids=lambda r: r.__name__)
def test_unchanged_export_reimports_without_writing(frameworks, resource_class, file_format):
    content = export(resource_class, file_format)
    before = database_snapshot()
    result = run_import(resource_class, load(content, file_format))
    assert not result.has_errors() and not result.has_validation_errors(), row_errors(result)
    assert result.totals["skip"] == len(result.rows) > 0
    assert result.totals["new"] == result.totals["update"] == 0
    assert database_snapshot() == before


def test_export_columns_and_order(frameworks):
    lines = csv_rows(LearningOutcomeResource)
    assert lines[0] == (
        "framework,subsection,grade,code,title_ru,title_kz,description_ru,description_kz,cognitive_level,is_sample,"
        "display_order,is_active"
    )
    test_rows = [line for line in lines if line.startswith("goso_test,")]
    assert [row.split(",")[3] for row in test_rows] == ["5.1.1.1", "5.1.1.2", "7.2.1.10"]
    assert csv_rows(SubsectionResource)[0] == "framework,section,code,name_ru,name_kz,description_ru,description_kz,display_order,is_active"


def test_preview_then_import_of_changed_and_new_rows(frameworks):
    dataset = load(export(SubsectionResource, base_formats.CSV), base_formats.CSV)
    index = next(i for i, row in enumerate(dataset.dict) if row["framework"] == "goso_test" and row["code"] == "1.2")
    row = list(dataset[index])
    row[dataset.headers.index("name_kz")] = "Бөлімше 1.2"
    dataset[index] = row
    dataset.append(["goso_test", "2", "2.2", "Подраздел 2.2", "", "", "", "2", "1"])

    before = database_snapshot()
    preview = run_import(SubsectionResource, dataset, dry_run=True)
    assert (preview.totals["update"], preview.totals["new"]) == (1, 1)
    assert database_snapshot() == before

    result = run_import(SubsectionResource, dataset)
    assert not result.has_errors() and (result.totals["update"], result.totals["new"]) == (1, 1)
    with super_admin_context():
        assert Subsection.objects.get(section__framework__code="goso_test", code="1.2").name_kz == "Бөлімше 1.2"
        assert Subsection.objects.get(section__framework__code="goso_test", code="2.2").section.code == "2"


OUTCOME_HEADERS = ["framework", "subsection", "grade", "code", "title_ru", "title_kz", "is_active"]
GOOD_OUTCOME = ["goso_test", "1.1", "5", "5.1.1.3", "новая цель", "", "1"]


def outcome_dataset(*changes):
    rows = [list(GOOD_OUTCOME)]
    extra = list(GOOD_OUTCOME)
    extra[OUTCOME_HEADERS.index("code")] = "5.1.1.4"
    for column, value in changes:
        extra[OUTCOME_HEADERS.index(column)] = value
    rows.append(extra)
    return load("\n".join(",".join(row) for row in [OUTCOME_HEADERS, *rows]), base_formats.CSV)


@pytest.mark.parametrize(("changes", "expected"), [
    ([("code", "6.1.1.4")], 'row 2: code: "6.1.1.4" does not agree with grade 5 and subsection "1.1"'),
    ([("code", "5.1.1")], 'row 2: code: "5.1.1" is not a learning outcome code'),
    ([("grade", "12")], "row 2: grade: grade 12 is out of range (1-11)"),
    ([("grade", "4"), ("code", "4.1.1.4")], "row 2: grade: grade 4 is out of range (5-9) of the subject test_subject"),
    ([("grade", "5.5")], 'row 2: grade: "5.5" is not a whole number'),
    ([("subsection", "9.9")], 'row 2: subsection: no subsection "9.9" in framework goso_test'),
    ([("framework", "goso_nowhere")], 'row 2: framework: no framework "goso_nowhere"'),
    ([("is_active", "maybe")], 'row 2: is_active: "maybe" is not a yes/no value (1 or 0)'),
    ([("title_ru", "")], "row 2: title_ru: This field cannot be blank."),
    ([("code", "5.1.1.1")], None),  # an update of an existing outcome: valid
    ([("code", "5.1.1.3")], 'row 2: __all__: duplicate code "5.1.1.3" in framework goso_test (already in row 1)'),
])
def test_row_level_errors_block_the_whole_file(frameworks, changes, expected):
    before = database_snapshot()
    result = run_import(LearningOutcomeResource, outcome_dataset(*changes))
    if expected is None:
        assert not result.has_errors() and not result.has_validation_errors(), row_errors(result)
        assert (result.totals["new"], result.totals["update"]) == (1, 1)
        return
    assert result.has_validation_errors()
    assert any(message.startswith(expected) for message in row_errors(result)), row_errors(result)
    assert database_snapshot() == before  # the valid first row was rolled back too


def test_subsection_of_another_section_is_refused(frameworks):
    dataset = load("framework,section,code,name_ru\ngoso_test,2,1.3,Подраздел", base_formats.CSV)
    result = run_import(SubsectionResource, dataset)
    assert row_errors(result) == ['row 1: code: "1.3" does not start with its section code "2"']


def test_bad_section_code_and_nul_text(frameworks):
    dataset = load("framework,code,name_ru\ngoso_test,II,Раздел\ngoso_test,3,a\x00b", base_formats.CSV)
    before = database_snapshot()
    result = run_import(SectionResource, dataset)
    assert 'row 1: code: "II" is not a section code (a number such as "2")' in row_errors(result)
    assert "row 2: name_ru: contains a NUL character" in row_errors(result)
    assert database_snapshot() == before


@pytest.mark.parametrize(("headers", "missing"), [
    ("framework,name_ru", '"code"'),
    ("framework,code", '"name_ru"'),
    ("code,name_ru", '"framework"'),
])
def test_a_missing_column_is_named(frameworks, headers, missing):
    dataset = load(f"{headers}\n" + ",".join(["goso_test", "3", "x"][: len(headers.split(","))]), base_formats.CSV)
    before = database_snapshot()
    result = run_import(SectionResource, dataset)
    assert result.has_errors()
    assert any(f"the spreadsheet has no column {missing}" in message for message in row_errors(result)), row_errors(result)
    assert database_snapshot() == before


def test_xlsx_numbers_are_not_taken_for_codes(frameworks):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["framework", "section", "code", "name_ru"])
    sheet.append(["goso_test", 2, 2.1, "Подраздел"])  # typed in Excel: 2.10 would be 2.1 too
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run_import(SubsectionResource, load(buffer.getvalue(), base_formats.XLSX))
    assert row_errors(result) == ["row 1: code: 2.1 is a number in the spreadsheet; type codes as text "
                                  "(a number loses trailing zeros: 2.10 becomes 2.1)"]


def test_deleted_outcomes_are_not_exported(frameworks):
    with super_admin_context():
        LearningOutcome.objects.filter(code="5.1.1.2").update(deleted_at="2026-01-01T00:00:00Z")
    assert not any(",5.1.1.2," in line for line in csv_rows(LearningOutcomeResource))
    with super_admin_context():
        assert Section.objects.filter(framework__code="goso_test").count() == 2


def admin_import(client, model, content, *, name="rows.csv"):
    """The admin's two steps: upload (a preview) and, when it allows, the confirmation."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")
    return client.post(
        f"/admin/curriculum/{model}/import/", {"format": "0", "import_file": upload}, HTTP_ACCEPT_LANGUAGE="en",
    )


def test_admin_preview_shows_row_errors_and_confirm_imports(client, methodologist, frameworks):
    client.force_login(methodologist)
    bad = "framework,section,code,name_ru\ngoso_test,2,1.3,Подраздел\n"
    preview = admin_import(client, "subsection", bad)
    assert preview.status_code == 200, preview
    assert not preview.context["form"].errors, preview.context["form"].errors
    with translation.override(preview.wsgi_request.LANGUAGE_CODE):  # the message in the page's language
        expected = subsection_code_error("1.3", section_code="2")
    assert row_errors(preview.context["result"]) == [f"row 1: code: {expected}"]
    assert html.escape(expected) in preview.content.decode()
    assert preview.context.get("confirm_form") is None  # errors: nothing to confirm

    good = "framework,section,code,name_ru\ngoso_test,2,2.2,Подраздел 2.2\n"
    preview = admin_import(client, "subsection", good)
    confirm = preview.context["confirm_form"]
    assert confirm is not None
    with super_admin_context():
        assert not Subsection.objects.filter(section__framework__code="goso_test", code="2.2").exists()  # preview: no write
    response = client.post("/admin/curriculum/subsection/process_import/", confirm.initial)
    assert response.status_code == 302
    with super_admin_context():
        assert Subsection.objects.get(section__framework__code="goso_test", code="2.2").name_ru == "Подраздел 2.2"


def test_admin_export_and_who_may_import(client, methodologist, admin_a, frameworks):
    client.force_login(methodologist)
    columns = {f"learningoutcomeresource_{name}": "on" for name in LearningOutcomeResource().get_export_headers()}
    response = client.post("/admin/curriculum/learningoutcome/export/", {"format": "0", "resource": "0", **columns})
    assert response.status_code == 200
    assert not response.context or not response.context["form"].errors, response.context["form"].errors
    assert response.content.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for UTF-8
    assert response.content.decode("utf-8-sig").startswith("framework,subsection,grade,code")

    client.force_login(admin_a)  # school staff read GOSO, never import it
    assert client.get("/admin/curriculum/section/import/").status_code == 403
    assert client.get("/admin/curriculum/section/").status_code == 200


def test_admin_framework_list_links_case_packages(client, methodologist, frameworks):
    from curriculum.case import document_identifier

    client.force_login(methodologist)
    page = client.get("/admin/curriculum/framework/").content.decode()
    assert f'/ims/case/v1p1/CFPackages/{document_identifier("goso_test", "kk")}?download=1' in page

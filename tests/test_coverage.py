"""Coverage and gap reports (textbooks/coverage.py): numbers checked against hand-computed cases,
framework and grade choice, exports, isolation and a fixed number of queries."""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from tenants.context import NO_CONTEXT, TenantContext, super_admin_context, tenant_context
from textbooks.coverage import coverage_csv, coverage_xlsx, textbook_coverage
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook
from textbooks.services import textbook_fork

SUPER = TenantContext(super_admin=True)


@pytest.fixture(autouse=True)
def _english():
    # Labels in exports are translated; these tests read the English ones.
    with translation.override("en"):
        yield


def build_framework(subject, code, outcome_codes, *, inactive=(), **fields):
    """A framework whose sections and subsections follow from the outcome codes (grade.s.ss.n)."""
    framework = Framework.objects.create(code=code, subject=subject, title_ru=code, **fields)
    outcomes = {}
    for outcome_code in outcome_codes:
        grade, section_code, subsection_number, _number = outcome_code.split(".")
        section, _ = Section.objects.get_or_create(framework=framework, code=section_code, defaults={"name_ru": f"Раздел {section_code}"})
        subsection_code = f"{section_code}.{subsection_number}"
        subsection, _ = Subsection.objects.get_or_create(section=section, code=subsection_code, defaults={"name_ru": f"Подраздел {subsection_code}"})
        outcomes[outcome_code] = LearningOutcome.objects.create(
            framework=framework, subsection=subsection, grade=int(grade), code=outcome_code,
            title_ru=f"цель {outcome_code}", is_active=outcome_code not in inactive,
        )
    return framework, outcomes


def build_textbook(subject, chapters, *, school=None, title="Учебник"):
    """chapters: {chapter number: [paragraph numbers]} -> (textbook, {paragraph number: paragraph})."""
    textbook = Textbook.objects.create(school=school, subject=subject, title=title, grade_level=7)
    paragraphs = {}
    for chapter_number, numbers in chapters.items():
        chapter = Chapter.objects.create(textbook=textbook, number=chapter_number, title=f"Глава {chapter_number}")
        for number in numbers:
            paragraphs[number] = Paragraph.objects.create(chapter=chapter, number=number, title=f"Параграф {number}")
    return textbook, paragraphs


def align(paragraph, outcome, confidence):
    return ParagraphOutcome.objects.create(paragraph=paragraph, outcome=outcome, confidence=Decimal(confidence))


@pytest.fixture
def report_case(subject):
    """The hand-computed case.

    Outcomes: section 1 = {7.1.1.1, 7.1.1.2 | 7.1.2.1}; section 2 = {7.2.1.1, 7.2.1.2, 8.2.1.1,
    7.2.1.3 inactive}. Paragraphs §1 §2 §3 (chapter 1) and §4 (chapter 2). Alignments: §1 -> 7.1.1.1
    (0.90), §2 -> 7.1.1.1 (0.50), §2 -> 7.2.1.1 (0.55), §3 -> 8.2.1.1 (1.00), §4 -> the inactive 7.2.1.3.
    """
    with super_admin_context():
        framework, outcomes = build_framework(
            subject, "coverage_case",
            ["7.1.1.1", "7.1.1.2", "7.1.2.1", "7.2.1.1", "7.2.1.2", "8.2.1.1", "7.2.1.3"], inactive={"7.2.1.3"},
        )
        textbook, paragraphs = build_textbook(subject, {1: [1, 2, 3], 2: [4]})
        align(paragraphs[1], outcomes["7.1.1.1"], "0.90")
        align(paragraphs[2], outcomes["7.1.1.1"], "0.50")
        align(paragraphs[2], outcomes["7.2.1.1"], "0.55")
        align(paragraphs[3], outcomes["8.2.1.1"], "1.00")
        align(paragraphs[4], outcomes["7.2.1.3"], "1.00")
    return framework, textbook


def outcome_of(coverage, code):
    return next(outcome for outcome in coverage.all_outcomes if outcome.code == code)


def labels(paragraphs):
    return [paragraph.label for paragraph in paragraphs]


def test_coverage_of_the_textbooks_grade(report_case):
    framework, textbook = report_case
    coverage = textbook_coverage(context=SUPER, textbook_id=textbook.pk)

    assert coverage.framework == framework
    assert coverage.grades == [7]
    # Five active grade-7 outcomes; 7.1.1.1 and 7.2.1.1 are taught.
    assert (coverage.outcomes_total, coverage.outcomes_covered, coverage.covered_share) == (5, 2, 0.4)
    assert [(s.code, s.outcomes_total, s.outcomes_covered, s.covered_share) for s in coverage.sections] == [
        ("1", 3, 1, 0.3333), ("2", 2, 1, 0.5),
    ]
    assert [[(ss.code, [o.code for o in ss.outcomes]) for ss in s.subsections] for s in coverage.sections] == [
        [("1.1", ["7.1.1.1", "7.1.1.2"]), ("1.2", ["7.1.2.1"])],
        [("2.1", ["7.2.1.1", "7.2.1.2"])],
    ]
    taught = outcome_of(coverage, "7.1.1.1")
    assert [(t.paragraph.label, t.confidence) for t in taught.taught_by] == [("§1", Decimal("0.90")), ("§2", Decimal("0.50"))]
    assert taught.best_confidence == Decimal("0.90")
    assert outcome_of(coverage, "7.1.1.2").covered is False
    assert outcome_of(coverage, "7.1.1.2").best_confidence is None
    # §3 teaches only a grade-8 outcome and §4 only an inactive one: both aligned to nothing here.
    assert coverage.paragraphs_total == 4
    assert labels(coverage.unaligned_paragraphs) == ["§3", "§4"]


def test_coverage_of_chosen_grades(report_case):
    _framework, textbook = report_case
    coverage = textbook_coverage(context=SUPER, textbook_id=textbook.pk, grades=["8", 7])

    assert coverage.grades == [7, 8]
    assert (coverage.outcomes_total, coverage.outcomes_covered, coverage.covered_share) == (6, 3, 0.5)
    assert [(s.code, s.outcomes_covered, s.outcomes_total) for s in coverage.sections] == [("1", 1, 3), ("2", 2, 3)]
    assert labels(coverage.unaligned_paragraphs) == ["§4"]


def test_alignments_below_the_minimum_confidence_do_not_count(report_case):
    _framework, textbook = report_case
    coverage = textbook_coverage(context=SUPER, textbook_id=textbook.pk, min_confidence="0.6")

    assert (coverage.outcomes_covered, coverage.covered_share) == (1, 0.2)
    assert [t.paragraph.label for t in outcome_of(coverage, "7.1.1.1").taught_by] == ["§1"]
    assert outcome_of(coverage, "7.2.1.1").covered is False
    assert labels(coverage.unaligned_paragraphs) == ["§2", "§3", "§4"]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"grades": [12]}, "grades"),
        ({"grades": ["seven"]}, "grades"),
        ({"min_confidence": "1.5"}, "min_confidence"),
        ({"min_confidence": "NaN"}, "min_confidence"),
        ({"min_confidence": "high"}, "min_confidence"),
        ({"grades": [2]}, "framework"),  # no framework of the subject has grade-2 outcomes
    ],
)
def test_bad_parameters_are_named(report_case, arguments, field):
    _framework, textbook = report_case
    with pytest.raises(ValidationError) as error:
        textbook_coverage(context=SUPER, textbook_id=textbook.pk, **arguments)
    assert field in error.value.message_dict


def test_framework_of_another_subject_is_refused(report_case):
    _framework, textbook = report_case
    with super_admin_context():
        other_subject = Subject.objects.create(code="biology", name_ru="Биология", grade_from=7, grade_to=9)
        other, _ = build_framework(other_subject, "biology_fw", ["7.1.1.1"])
    with pytest.raises(ValidationError, match="subject"):
        textbook_coverage(context=SUPER, textbook_id=textbook.pk, framework_id=other.pk)


def test_default_framework_is_the_one_in_force(report_case, subject):
    framework, textbook = report_case
    today = datetime.date.today()
    with super_admin_context():
        Framework.objects.filter(pk=framework.pk).update(valid_from=today - datetime.timedelta(days=30))
        expired, _ = build_framework(
            subject, "coverage_expired", ["7.1.1.1"], valid_from=today - datetime.timedelta(days=900),
            valid_to=today - datetime.timedelta(days=31),
        )
        future, _ = build_framework(subject, "coverage_future", ["7.1.1.1"], valid_from=today + datetime.timedelta(days=30))
        build_framework(subject, "coverage_grade_9_only", ["9.1.1.1"], valid_from=today)

    assert textbook_coverage(context=SUPER, textbook_id=textbook.pk).framework == framework
    # A framework not yet (or no longer) in force can still be chosen.
    chosen = textbook_coverage(context=SUPER, textbook_id=textbook.pk, framework_id=expired.pk)
    assert (chosen.framework, chosen.outcomes_total, chosen.outcomes_covered) == (expired, 1, 0)
    assert textbook_coverage(context=SUPER, textbook_id=textbook.pk, framework_id=future.pk).framework == future


def test_csv_export(report_case):
    _framework, textbook = report_case
    coverage = textbook_coverage(context=SUPER, textbook_id=textbook.pk)
    rows = list(csv.reader(io.StringIO(coverage_csv(coverage))))

    assert len(rows) == 1 + 5
    assert [row[4] for row in rows[1:]] == ["7.1.1.1", "7.1.1.2", "7.1.2.1", "7.2.1.1", "7.2.1.2"]
    assert rows[1][:2] == ["1", "Раздел 1"]
    assert rows[1][8:] == ["yes", "§1 (0.90); §2 (0.50)", "0.90"]
    assert rows[2][8:] == ["no", "", ""]


def test_exports_never_write_formulas(report_case):
    framework, textbook = report_case
    with super_admin_context():
        LearningOutcome.objects.filter(framework=framework, code="7.1.1.2").update(title_ru='=HYPERLINK("http://x")')
    coverage = textbook_coverage(context=SUPER, textbook_id=textbook.pk)

    rows = list(csv.reader(io.StringIO(coverage_csv(coverage))))
    assert rows[2][6] == "'=HYPERLINK(\"http://x\")"
    cell = load_workbook(io.BytesIO(coverage_xlsx(coverage)))["Outcomes"]["G3"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")


def test_xlsx_export(report_case):
    _framework, textbook = report_case
    workbook = load_workbook(io.BytesIO(coverage_xlsx(textbook_coverage(context=SUPER, textbook_id=textbook.pk))))

    assert workbook.sheetnames == ["Sections", "Outcomes", "Paragraphs aligned to nothing"]
    sections = [list(row) for row in workbook["Sections"].iter_rows(min_row=2, values_only=True)]
    assert sections == [["1", "Раздел 1", 3, 1, 0.3333], ["2", "Раздел 2", 2, 1, 0.5], ["Total", None, 5, 2, 0.4]]
    outcomes = list(workbook["Outcomes"].iter_rows(min_row=2, values_only=True))
    assert [row[4] for row in outcomes] == ["7.1.1.1", "7.1.1.2", "7.1.2.1", "7.2.1.1", "7.2.1.2"]
    assert outcomes[0][9:] == ("§1 (0.90); §2 (0.50)", 0.9)
    assert list(workbook["Paragraphs aligned to nothing"].iter_rows(min_row=2, values_only=True)) == [
        (1, 3, "Параграф 3"), (2, 4, "Параграф 4"),
    ]


# Isolation: a school sees the coverage of its own and global textbooks only, and only their own alignments.

def test_another_schools_textbook_is_not_found(school_a, textbook_b, alignment_b):
    with tenant_context(school_id=school_a.pk):
        with pytest.raises(Textbook.DoesNotExist):
            textbook_coverage(context=TenantContext(school_id=school_a.pk), textbook_id=textbook_b.pk)
    with tenant_context():
        with pytest.raises(Textbook.DoesNotExist):
            textbook_coverage(context=NO_CONTEXT, textbook_id=textbook_b.pk)


def test_school_reports_count_only_the_textbooks_own_alignments(school_a, school_b, report_case, subject):
    framework, global_textbook = report_case
    not_taught = LearningOutcome.objects.get(framework=framework, code="7.1.1.2")
    with tenant_context(school_id=school_a.pk):
        fork_a = textbook_fork(textbook=global_textbook, school=school_a)
        align(Paragraph.objects.get(chapter__textbook=fork_a, number=4), not_taught, "1.00")
    with tenant_context(school_id=school_b.pk):
        fork_b = textbook_fork(textbook=global_textbook, school=school_b)
        align(Paragraph.objects.get(chapter__textbook=fork_b, number=3), not_taught, "1.00")

    context_a = TenantContext(school_id=school_a.pk)
    with tenant_context(school_id=school_a.pk):
        global_report = textbook_coverage(context=context_a, textbook_id=global_textbook.pk)
        own_report = textbook_coverage(context=context_a, textbook_id=fork_a.pk)
        with pytest.raises(Textbook.DoesNotExist):
            textbook_coverage(context=context_a, textbook_id=fork_b.pk)
    # The global report is the same as the methodologist's: the fork's alignment is not in it.
    assert (global_report.outcomes_covered, labels(global_report.unaligned_paragraphs)) == (2, ["§3", "§4"])
    # The fork starts from the global alignments (copied) and adds its own, never school B's.
    assert (own_report.outcomes_covered, labels(own_report.unaligned_paragraphs)) == (3, ["§3"])
    assert [t.paragraph.label for t in outcome_of(own_report, "7.1.1.2").taught_by] == ["§4"]


def test_global_textbook_without_context(report_case):
    _framework, textbook = report_case
    with tenant_context():
        coverage = textbook_coverage(context=NO_CONTEXT, textbook_id=textbook.pk)
    assert (coverage.outcomes_total, coverage.outcomes_covered) == (5, 2)


def coverage_queries(subject, size):
    """Queries of one report on a textbook of `size` paragraphs against 10 x `size` outcomes."""
    with super_admin_context():
        codes = [f"7.{s}.{ss}.{n}" for s in range(1, 3) for ss in range(1, size + 1) for n in range(1, 6)]
        _framework, outcomes = build_framework(subject, f"queries_{size}", codes)
        textbook, paragraphs = build_textbook(subject, {1: range(1, size + 1)}, title=f"Size {size}")
        for number, paragraph in paragraphs.items():
            align(paragraph, outcomes[f"7.1.{number}.1"], "1.00")
            align(paragraph, outcomes[f"7.2.{number}.2"], "0.70")
    with CaptureQueriesContext(connection) as queries:
        coverage = textbook_coverage(context=SUPER, textbook_id=textbook.pk)
    assert (coverage.outcomes_total, coverage.outcomes_covered) == (10 * size, 2 * size)
    return len(queries)


def test_query_count_does_not_grow_with_size(subject):
    with super_admin_context():
        small = coverage_queries(subject, 2)
        large = coverage_queries(subject, 40)
    assert small == large == 5


# REST API: thin views over the report (textbooks/api/coverage.py).

def test_api_coverage_json(report_case, admin_a):
    from tests.api_support import api_client

    _framework, textbook = report_case
    response = api_client(admin_a, host="school-a.localhost").get(f"/api/v1/textbooks/{textbook.pk}/coverage/?grades=7,8")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["grades"], body["outcomes_total"], body["outcomes_covered"], body["covered_share"]) == ([7, 8], 6, 3, 0.5)
    assert [(s["code"], s["covered_share"]) for s in body["sections"]] == [("1", 0.3333), ("2", 0.6667)]
    first = body["sections"][0]["subsections"][0]["outcomes"][0]
    assert (first["code"], first["covered"], first["best_confidence"]) == ("7.1.1.1", True, 0.9)
    assert [(t["paragraph"]["number"], t["confidence"]) for t in first["taught_by"]] == [(1, 0.9), (2, 0.5)]
    assert [p["number"] for p in body["unaligned_paragraphs"]] == [4]


def test_api_coverage_downloads(report_case, admin_a):
    from tests.api_support import api_client

    _framework, textbook = report_case
    client = api_client(admin_a, host="school-a.localhost")
    csv_response = client.get(f"/api/v1/textbooks/{textbook.pk}/coverage/csv/")
    xlsx_response = client.get(f"/api/v1/textbooks/{textbook.pk}/coverage/xlsx/?min_confidence=0.6")

    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    # The Cyrillic title is kept, encoded for HTTP headers (RFC 6266).
    assert csv_response["Content-Disposition"] == "attachment; filename*=utf-8''coverage-%D1%83%D1%87%D0%B5%D0%B1%D0%BD%D0%B8%D0%BA-coverage_case.csv"
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert [row[4] for row in rows[1:]] == ["7.1.1.1", "7.1.1.2", "7.1.2.1", "7.2.1.1", "7.2.1.2"]
    assert xlsx_response.status_code == 200
    sections = load_workbook(io.BytesIO(xlsx_response.content)).worksheets[0]
    assert [row[2:] for row in sections.iter_rows(min_row=4, values_only=True)] == [(5, 1, 0.2)]


@pytest.mark.parametrize(
    ("query", "field"),
    [("grades=7,x", "grades"), ("grades=0", "grades"), ("min_confidence=2", "min_confidence"), ("framework=999999", "framework")],
)
def test_api_coverage_bad_parameters(report_case, admin_a, query, field):
    from tests.api_support import api_client, assert_error

    _framework, textbook = report_case
    response = api_client(admin_a, host="school-a.localhost").get(f"/api/v1/textbooks/{textbook.pk}/coverage/?{query}")
    assert_error(response, 400, "invalid", fields=[field])


def test_api_coverage_of_another_schools_textbook_is_not_found(admin_a, textbook_b, alignment_b):
    from tests.api_support import api_client, assert_error

    client = api_client(admin_a, host="school-a.localhost")
    for suffix in ("", "csv/", "xlsx/"):
        assert_error(client.get(f"/api/v1/textbooks/{textbook_b.pk}/coverage/{suffix}"), 404, "not_found")
    assert_error(client.get(f"/api/v1/textbooks/{2**70}/coverage/"), 404)


# Admin: the coverage page per textbook (textbooks/admin_views.py).

def coverage_url(textbook, export=None):
    if export:
        return reverse("admin:textbooks_textbook_coverage_export", args=[textbook.pk, export])
    return reverse("admin:textbooks_textbook_coverage", args=[textbook.pk])


def test_admin_coverage_page(client, methodologist, report_case):
    _framework, textbook = report_case
    client.force_login(methodologist)

    change_page = client.get(reverse("admin:textbooks_textbook_change", args=[textbook.pk]))
    assert coverage_url(textbook) in change_page.content.decode()
    response = client.get(coverage_url(textbook), {"grades": ["7", "8"]})
    assert response.status_code == 200
    coverage = response.context["coverage"]
    assert (coverage.grades, coverage.outcomes_covered, coverage.outcomes_total) == ([7, 8], 3, 6)
    html = response.content.decode()
    assert 'class="coverage-cell high"' in html and 'class="coverage-cell gap"' in html
    assert 'style="width: 67%"' in html  # section 2: 2 of 3 outcomes


def test_admin_coverage_downloads_and_bad_choices(client, admin_a, report_case):
    _framework, textbook = report_case
    client.force_login(admin_a)
    host = {"HTTP_HOST": "school-a.localhost"}

    download = client.get(coverage_url(textbook, "xlsx"), {"min_confidence": "0.6"}, **host)
    assert download.status_code == 200 and download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert [row[2:] for row in load_workbook(io.BytesIO(download.content)).worksheets[0].iter_rows(min_row=4, values_only=True)] == [(5, 1, 0.2)]
    refused = client.get(coverage_url(textbook), {"min_confidence": "5"}, **host)
    assert refused.status_code == 200 and refused.context["coverage"] is None
    assert refused.context["form"].errors["min_confidence"]


def test_admin_coverage_of_another_schools_textbook_is_not_found(client, admin_a, textbook_b):
    client.force_login(admin_a)
    for url in (coverage_url(textbook_b), coverage_url(textbook_b, "csv")):
        assert client.get(url, HTTP_HOST="school-a.localhost").status_code == 404



def _relative_luminance(hex_colour):
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_coverage_grid_colours_meet_wcag_aa():
    """Every coverage cell's text/background pair in the template has a contrast of at least 4.5:1."""
    template = Path(__file__).resolve().parents[1] / "textbooks/templates/admin/textbooks/textbook/coverage.html"
    rules = re.findall(r"\.coverage-cell\.(\w+)[^{]*\{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6}); \}", template.read_text())
    assert {kind for kind, _background, _text in rules} == {"high", "medium", "low", "gap"}
    for kind, background, text in rules:
        lighter, darker = sorted((_relative_luminance(background), _relative_luminance(text)), reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 4.5, kind


def test_coverage_grid_has_grade_headers_and_a_print_view(client, methodologist, global_textbook, outcome):
    client.force_login(methodologist)
    url = f"/en/admin/textbooks/textbook/{global_textbook.pk}/coverage/"

    page = client.get(url, {"grades": [7, 8]}).content.decode()
    assert '<th scope="col">Grade 7</th><th scope="col">Grade 8</th>' in page
    assert 'coverage_print.css" media="print"' in page  # printing drops the admin's chrome
    assert "print=1" in page  # the link to the print view

    printable = client.get(url, {"grades": [7, 8], "print": "1"}).content.decode()
    assert 'coverage_print.css" media="all"' in printable
    assert "Back to the coverage page" in printable

"""Coverage report of a 1,000-paragraph textbook against a 5,000-outcome framework (all of the
textbook's grade, the worst case), as the runtime role in a school's context: the school's fork of a
global textbook, 3,000 alignments covering 60% of the outcomes. Targets (issue 6): under 200 ms
(median) and a fixed number of queries; the CSV and XLSX exports are measured too.

The data lives under dedicated codes (bench_coverage) and is created once, so re-runs reuse it.
`python -m bench.bench_coverage` prints the figures as JSON.
"""

import json
import os
import time

if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.common import figure, median_ms, timed  # noqa: E402
from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection  # noqa: E402
from tenants.context import TenantContext, super_admin_context, tenant_context  # noqa: E402
from tenants.models import School  # noqa: E402
from textbooks.coverage import coverage_csv, coverage_xlsx, textbook_coverage  # noqa: E402
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook  # noqa: E402
from textbooks.services import textbook_fork  # noqa: E402

CODE = "bench_coverage"
SECTIONS, SUBSECTIONS_PER_SECTION, OUTCOMES_PER_SUBSECTION = 10, 10, 50  # 5,000 outcomes of grade 7
CHAPTERS, PARAGRAPHS_PER_CHAPTER, ALIGNMENTS_PER_PARAGRAPH = 20, 50, 3  # 1,000 paragraphs, 3,000 alignments
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
TARGET_MS = 200


def _framework(subject):
    framework = Framework.objects.filter(code=CODE).first()
    if framework is not None:
        return framework
    framework = Framework.objects.create(code=CODE, subject=subject, title_ru="Бенчмарк покрытия")
    sections = Section.objects.bulk_create(
        Section(framework=framework, code=str(s), name_ru=f"Раздел {s}") for s in range(1, SECTIONS + 1)
    )
    subsections = Subsection.objects.bulk_create(
        Subsection(section=section, code=f"{section.code}.{ss}", name_ru=f"Подраздел {section.code}.{ss}")
        for section in sections for ss in range(1, SUBSECTIONS_PER_SECTION + 1)
    )
    LearningOutcome.objects.bulk_create(
        LearningOutcome(
            framework=framework, subsection=subsection, grade=7, code=f"7.{subsection.code}.{n}",
            title_ru=f"учащийся умеет объяснять понятие {subsection.code} на уровне {n}",
        )
        for subsection in subsections for n in range(1, OUTCOMES_PER_SUBSECTION + 1)
    )
    return framework


def _global_textbook(subject, framework):
    textbook = Textbook.objects.filter(subject=subject, school__isnull=True, title=CODE).first()
    if textbook is not None:
        return textbook
    textbook = Textbook.objects.create(subject=subject, title=CODE, grade_level=7)
    chapters = Chapter.objects.bulk_create(
        Chapter(textbook=textbook, number=n, title=f"Глава {n}") for n in range(1, CHAPTERS + 1)
    )
    paragraphs = Paragraph.objects.bulk_create(
        Paragraph(chapter=chapter, number=chapter.number * 1000 + n, title=f"§{n}", content="текст " * 200)
        for chapter in chapters for n in range(1, PARAGRAPHS_PER_CHAPTER + 1)
    )
    outcomes = list(framework.outcomes.order_by("code_sort").values_list("id", flat=True))
    ParagraphOutcome.objects.bulk_create(
        ParagraphOutcome(paragraph=paragraph, outcome_id=outcomes[index * ALIGNMENTS_PER_PARAGRAPH + k])
        for index, paragraph in enumerate(paragraphs) for k in range(ALIGNMENTS_PER_PARAGRAPH)
    )
    return textbook


def _setup():
    with super_admin_context():
        subject, _ = Subject.objects.get_or_create(
            code=CODE, defaults={"name_ru": "Бенчмарк покрытия", "grade_from": 7, "grade_to": 7}
        )
        framework = _framework(subject)
        textbook = _global_textbook(subject, framework)
        school, _ = School.objects.get_or_create(code="bench-coverage", defaults={"name_ru": "Бенчмарк покрытия"})
    with tenant_context(school_id=school.pk):
        fork = Textbook.objects.filter(school=school, global_textbook=textbook).first()
        if fork is None:
            fork = textbook_fork(textbook=textbook, school=school)
    return school, fork


def run() -> list[dict]:
    school, fork = _setup()
    context = TenantContext(school_id=school.pk)
    samples, queries = [], []
    with tenant_context(school_id=school.pk):
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                report = textbook_coverage(context=context, textbook_id=fork.pk)
                samples.append(time.perf_counter() - start)
            queries.append(len(captured))
        exports = {name: [timed(lambda: export(report)) for _ in range(3)]
                   for name, export in (("csv", coverage_csv), ("xlsx", coverage_xlsx))}
    assert (report.outcomes_total, report.paragraphs_total) == (5000, 1000), "unexpected benchmark data"
    covered = f"{report.outcomes_covered} of {report.outcomes_total} outcomes covered"
    note = f"{report.paragraphs_total} paragraphs, {covered}; school context; median of {RUNS}"
    value = median_ms(samples)
    return [
        figure("coverage report (1,000 paragraphs x 5,000 outcomes)", value, "ms", f"< {TARGET_MS}", value < TARGET_MS, note=note),
        figure("coverage report: queries", max(queries), "queries", "fixed (5)", set(queries) == {5}, note=note),
        figure("coverage CSV export", median_ms(exports["csv"]), "ms", None, True, note="median of 3, report already computed"),
        figure("coverage XLSX export", median_ms(exports["xlsx"]), "ms", None, True, note="median of 3, report already computed"),
    ]

if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))

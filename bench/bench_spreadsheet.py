"""The admin's spreadsheet import preview of an unchanged XLSX export of 1,000 learning outcomes (issue 12,
item 7: "8-23 s for 926 rows"; target under 3 s).

The preview is django-import-export's dry run (`import_data(dry_run=True)`, what the admin's import page runs
before it shows the rows), of a file just exported from the same data. Measured twice in the same run:

- baseline: the ordinary django-import-export configuration (`preload = False`): each row looks its instance up
  with a query, its framework and subsection with one each, and the model's clean() reads the subject, section
  and framework of every row again; every row is wrapped in a savepoint;
- ours: the instances, frameworks, sections and subsections of the whole file loaded in a few queries up front
  (curriculum/spreadsheets.py, GosoResource.before_import), and a savepoint only around a row that writes.

Runs inside a transaction that is rolled back, as the runtime role in the super-admin context (methodologist).
`python -m bench.bench_spreadsheet` prints the figures as JSON.
"""

import json
import os
import statistics
import time

if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

from django.db import connection  # noqa: E402
from import_export.formats import base_formats  # noqa: E402

from bench.common import figure, rolled_back, timed  # noqa: E402
from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection  # noqa: E402
from curriculum.spreadsheets import LearningOutcomeResource  # noqa: E402
from tenants.context import super_admin_context  # noqa: E402

ROWS = int(os.environ.get("BENCH_SPREADSHEET_ROWS", "1000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
GRADES = range(5, 10)
TARGET_S = 3.0


class PerRowResource(LearningOutcomeResource):
    """The baseline: django-import-export's ordinary per-row loading, a savepoint around every row."""

    preload = False
    savepoint_per_row = True


def generated_outcomes(rows: int) -> Framework:
    """A framework of `rows` outcomes: 10 sections x 10 subsections, outcomes spread over grades 5-9."""
    subject = Subject.objects.create(code="bench_sheet", name_ru="Бенчмарк таблиц", grade_from=5, grade_to=9)
    framework = Framework.objects.create(code="bench_sheet_fw", subject=subject, title_ru="Программа для таблиц")
    sections = Section.objects.bulk_create(
        Section(framework=framework, code=str(number), name_ru=f"Раздел {number}") for number in range(1, 11)
    )
    subsections = Subsection.objects.bulk_create(
        Subsection(section=section, code=f"{section.code}.{number}", name_ru=f"Подраздел {section.code}.{number}")
        for section in sections for number in range(1, 11)
    )
    outcomes = []
    for index in range(rows):
        subsection = subsections[index % len(subsections)]
        grade = GRADES[(index // len(subsections)) % len(GRADES)]
        number = index // (len(subsections) * len(GRADES)) + 1
        outcomes.append(LearningOutcome(
            framework=framework, subsection=subsection, grade=grade, code=f"{grade}.{subsection.code}.{number}",
            title_ru=f"учащийся умеет объяснять понятие {subsection.code} ({grade} класс, {number})",
            title_kz=f"оқушы {subsection.code} ұғымын түсіндіре алады ({grade}, {number})",
        ))
    LearningOutcome.objects.bulk_create(outcomes)
    return framework


def preview(resource_class, dataset):
    """The admin's preview: a dry run of the whole file."""
    result = resource_class().import_data(
        dataset, dry_run=True, raise_errors=False, use_transactions=True, rollback_on_validation_errors=True,
    )
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == len(result.rows) == ROWS, result.totals
    return result


def measure_once() -> dict:
    """Seconds and queries of the preview, baseline and ours, on the same data."""
    with super_admin_context(), rolled_back():
        generated_outcomes(ROWS)
        content = base_formats.XLSX().export_data(
            LearningOutcomeResource().export(queryset=LearningOutcome.objects.filter(framework__code="bench_sheet_fw"))
        )
        measured = {}
        for name, resource_class in (("baseline", PerRowResource), ("ours", LearningOutcomeResource)):
            dataset = base_formats.XLSX().create_dataset(content)
            queries = []
            cpu = time.process_time()
            with connection.execute_wrapper(lambda execute, *args: (queries.append(1), execute(*args))[1]):
                seconds = timed(lambda: preview(resource_class, dataset))
            measured[name] = (seconds, len(queries), time.process_time() - cpu)
    return measured


def run() -> list[dict]:
    samples = [measure_once() for _ in range(RUNS)]
    baseline = statistics.median(sample["baseline"][0] for sample in samples)
    ours = statistics.median(sample["ours"][0] for sample in samples)
    baseline_queries, our_queries = samples[-1]["baseline"][1], samples[-1]["ours"][1]
    # The process's own CPU time: on a busy machine the wall time also counts waiting for a core.
    baseline_cpu = statistics.median(sample["baseline"][2] for sample in samples)
    our_cpu = statistics.median(sample["ours"][2] for sample in samples)
    note = (
        f"{ROWS} unchanged rows of an XLSX export, dry run as the admin's preview; median of {RUNS}; "
        f"queries: baseline {baseline_queries}, ours {our_queries}; Python CPU time: baseline {baseline_cpu:.2f} s, "
        f"ours {our_cpu:.2f} s"
    )
    return [
        figure(f"spreadsheet preview, {ROWS} unchanged rows: per-row loading (baseline)", round(baseline, 2), "s",
               None, True, note=note),
        figure(f"spreadsheet preview, {ROWS} unchanged rows", round(ours, 2), "s", f"< {TARGET_S:g}",
               ours < TARGET_S, note=note),
        figure("spreadsheet preview: queries for the whole file", our_queries, "queries", f"< {baseline_queries}",
               our_queries < baseline_queries, note=note),
    ]


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))

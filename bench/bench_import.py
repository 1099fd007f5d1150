"""import_goso of a generated framework with 10,000 learning outcomes: first import (everything is
created) and re-import of the unchanged file (nothing may be written), as the runtime role in the
super-admin context. Targets (issue 5): under 5 s and under 2 s with zero writes.

Runs inside one transaction that is rolled back, so it leaves no data behind.
`python -m bench.bench_import` prints the figures as JSON.
"""

import json
import os
import statistics
import tempfile
from contextlib import contextmanager
from pathlib import Path

if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

from django.db import connection  # noqa: E402

from bench.common import check_constraints_now, figure, rolled_back, timed  # noqa: E402
from curriculum.importing import goso_file_import  # noqa: E402

SECTIONS, SUBSECTIONS_PER_SECTION, GRADES, OUTCOMES_PER_GRADE = 10, 10, range(5, 10), 20  # 10 * 10 * 5 * 20 = 10,000
FRAMEWORK_CODE = "bench_import_10k"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def generated_framework() -> dict:
    return {
        "subject": {"code": "bench_import", "name_ru": "Бенчмарк импорта", "name_kz": "Импорт бенчмаркі",
                    "grade_from": GRADES[0], "grade_to": GRADES[-1]},
        "framework": {"code": FRAMEWORK_CODE, "title_ru": "Сгенерированная программа", "title_kz": None,
                      "document_type": "Типовая учебная программа", "order_number": "399", "order_date": "2022-09-16",
                      "appendix_number": None, "amendments": [{"order_number": "467", "date": "2022-11-21"}]},
        "sections": [
            {"code": str(s), "name_ru": f"Раздел {s}", "name_kz": f"{s}-бөлім", "subsections": [
                {"code": f"{s}.{ss}", "name_ru": f"Подраздел {s}.{ss}", "name_kz": None}
                for ss in range(1, SUBSECTIONS_PER_SECTION + 1)
            ]}
            for s in range(1, SECTIONS + 1)
        ],
        "outcomes": [
            {"code": f"{grade}.{s}.{ss}.{n}", "grade": grade,
             "title_ru": f"учащийся умеет объяснять понятие {s}.{ss} на уровне {n} ({grade} класс)",
             "title_kz": f"оқушы {s}.{ss} ұғымын {n} деңгейде түсіндіре алады"}
            for s in range(1, SECTIONS + 1) for ss in range(1, SUBSECTIONS_PER_SECTION + 1)
            for grade in GRADES for n in range(1, OUTCOMES_PER_GRADE + 1)
        ],
    }


@contextmanager
def counting_writes():
    """Counts INSERT / UPDATE / DELETE statements sent to the database inside the block."""
    writes = []

    def count(execute, sql, params, many, context):
        if sql.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield writes


def measure_once(path, outcomes) -> tuple[float, float, int]:
    """Seconds for the first import and the unchanged re-import, and the re-import's writes."""
    with rolled_back():
        reports = []
        first = timed(lambda: (reports.append(goso_file_import(path=path)), check_constraints_now()))
        with counting_writes() as writes:
            again = timed(lambda: reports.append(goso_file_import(path=path)))
    created, unchanged = reports
    assert len(created.changes["outcome"].created) == outcomes
    assert unchanged.unchanged == created.created and not unchanged.changes_anything
    return first, again, len(writes)


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"{FRAMEWORK_CODE}.json"
        data = generated_framework()
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        outcomes = len(data["outcomes"])
        size_mb = round(path.stat().st_size / 1024 / 1024, 1)
        samples = [measure_once(path, outcomes) for _ in range(RUNS)]
    first = statistics.median(sample[0] for sample in samples)
    again = statistics.median(sample[1] for sample in samples)
    writes = max(sample[2] for sample in samples)
    note = f"{outcomes} outcomes, {SECTIONS * SUBSECTIONS_PER_SECTION} subsections, {size_mb} MB file; median of {RUNS}"
    return [
        figure("import_goso: new framework", round(first, 2), "s", "< 5", first < 5, note=note),
        figure("import_goso: unchanged re-import", round(again, 2), "s", "< 2", again < 2, note=note),
        figure("import_goso: writes on unchanged re-import", writes, "statements", "0", writes == 0, note=note),
    ]


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))

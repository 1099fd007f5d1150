"""CASE service lookups at 20,000 outcomes (two generated frameworks of 10,000): CFItems/{id},
CFAssociations/{id}, CFDocuments/{id} and an unknown identifier, p95 over random identifiers through the
views (as the runtime role, no context: anonymous). Target (issue 11): p95 under 20 ms whatever the id.
Then the export of a 16,000-outcome framework as a CASE package and its import into an empty database,
in a child process so that its peak memory is the import's own (ru_maxrss).

Runs inside one transaction that is rolled back, so it leaves no data behind.
`python -m bench.bench_case` prints the figures as JSON.
"""

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

from django.test import RequestFactory  # noqa: E402

from bench.bench_import import generated_framework  # noqa: E402
from bench.common import figure, rolled_back  # noqa: E402
from curriculum.case import framework_package, import_case_file  # noqa: E402
from curriculum.case_views import cf_association, cf_document, cf_item  # noqa: E402
from curriculum.importing import goso_file_import  # noqa: E402
from curriculum.models import Framework, LearningOutcome  # noqa: E402
from tenants.context import super_admin_context  # noqa: E402

FRAMEWORKS = ("bench_case_a", "bench_case_b")
LARGE_OUTCOMES_PER_GRADE = 32  # 100 subsections x 5 grades x 32 = 16,000 outcomes
REQUESTS = int(os.environ.get("BENCH_CASE_REQUESTS", "300"))
TARGET_MS = 20


def p95_ms(view, identifiers, expected_status) -> float:
    factory = RequestFactory()
    samples = []
    for identifier in identifiers:
        request = factory.get("/ims/case/v1p1/x")
        started = time.perf_counter()
        response = view(request, str(identifier))
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == expected_status, (view.__name__, identifier, response.content[:200])
    samples.sort()
    return round(samples[int(len(samples) * 0.95) - 1], 2)


def run() -> list[dict]:
    rng = random.Random(11)
    with rolled_back(), tempfile.TemporaryDirectory() as directory:
        for code in FRAMEWORKS:
            data = generated_framework()
            data["subject"]["code"] = "bench_case"
            data["framework"]["code"] = code
            path = Path(directory) / f"{code}.json"
            path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            goso_file_import(path=path)
        outcomes = list(LearningOutcome.objects.filter(framework__code__in=FRAMEWORKS).values_list(
            "case_id_ru", "case_id_kk", "case_link_ru", "case_translation_id"))
        frameworks = list(Framework.objects.filter(code__in=FRAMEWORKS).values_list("case_id_ru", "case_id_kk"))
        sample = [rng.choice(outcomes) for _ in range(REQUESTS)]
        results = {
            "CFItems/{id}": p95_ms(cf_item, [rng.choice(row[:2]) for row in sample], 200),
            "CFAssociations/{id} (isChildOf, isTranslationOf)": p95_ms(
                cf_association, [rng.choice(row[2:]) for row in sample], 200),
            "CFDocuments/{id}": p95_ms(cf_document, [rng.choice(rng.choice(frameworks)) for _ in range(REQUESTS)], 200),
            "CFItems/{unknown id}": p95_ms(cf_item, [uuid.uuid4() for _ in range(REQUESTS)], 404),
        }
        total = len(outcomes)
    note = f"{total} outcomes in {len(FRAMEWORKS)} frameworks; {REQUESTS} random identifiers; p95 through the view"
    return [figure(f"CASE {name} p95", value, "ms", f"< {TARGET_MS}", value < TARGET_MS, note=note)
            for name, value in results.items()] + run_large()


def export_large(path: Path) -> tuple[float, int]:
    """Seconds to export a 16,000-outcome framework as a package (written to `path`), and its outcomes."""
    data = generated_framework()
    outcomes = [o for o in data["outcomes"]]
    data["outcomes"] = [
        dict(outcome, code=f"{outcome['code'].rsplit('.', 1)[0]}.{number}")
        for outcome in outcomes if outcome["code"].endswith(".1")
        for number in range(1, LARGE_OUTCOMES_PER_GRADE + 1)
    ]
    data["framework"]["code"] = "bench_case_large"
    with rolled_back():
        source = path.with_suffix(".goso.json")
        source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        goso_file_import(path=source)
        with super_admin_context():
            framework = Framework.objects.select_related("subject").get(code="bench_case_large")
            started = time.perf_counter()
            package = framework_package(framework=framework, language="ru", base_url="https://case.example.kz")
            seconds = time.perf_counter() - started
        path.write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    return seconds, len(data["outcomes"])


def import_in_child(path: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "bench.bench_case", "--import", str(path)], check=True,
                            capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    return json.loads(result.stdout)


def import_once(path: str) -> dict:
    """(child process) Import the package into the database, rolled back: seconds and peak memory."""
    with rolled_back():
        started = time.perf_counter()
        report = import_case_file(path=path)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "created": report.created}


def run_large() -> list[dict]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "large.case.json"
        export_seconds, outcomes = export_large(path)
        size_mb = path.stat().st_size / 1024 / 1024
        result = import_in_child(path)
    note = f"{outcomes} outcomes, {size_mb:.1f} MB package (indented JSON)"
    return [
        figure("CASE export of a package", round(export_seconds, 2), "s", "< 10", export_seconds < 10, note=note),
        figure("CASE import of the package into an empty database", round(result["seconds"], 1), "s", "< 60",
               result["seconds"] < 60, note=note),
        figure("CASE import: peak memory of the importing process", round(result["peak_mb"]), "MB",
               f"< {round(10 * size_mb)}", result["peak_mb"] < 10 * size_mb, note=note + "; target: 10x the file"),
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--import"]:
        print(json.dumps(import_once(sys.argv[2])))
    else:
        print(json.dumps(run(), ensure_ascii=False, indent=2))

"""CASE service lookups at 20,000 outcomes (two generated frameworks of 10,000): CFItems/{id},
CFAssociations/{id}, CFDocuments/{id} and an unknown identifier, p95 over random identifiers through the
views (as the runtime role, no context: anonymous). Target (issue 11): p95 under 20 ms whatever the id.

Runs inside one transaction that is rolled back, so it leaves no data behind.
`python -m bench.bench_case` prints the figures as JSON.
"""

import json
import os
import random
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
from curriculum.case_views import cf_association, cf_document, cf_item  # noqa: E402
from curriculum.importing import import_goso_file  # noqa: E402
from curriculum.models import Framework, LearningOutcome  # noqa: E402

FRAMEWORKS = ("bench_case_a", "bench_case_b")
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
            import_goso_file(path=path)
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
            for name, value in results.items()]


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))

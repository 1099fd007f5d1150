"""CASE service lookups at 20,000 outcomes (two generated frameworks of 10,000): CFItems/{id},
CFAssociations/{id}, CFDocuments/{id} and an unknown identifier, p95 over random identifiers through the
views (as the runtime role, no context: anonymous). Target (issue 11): p95 under 20 ms whatever the id.
Then the export of a 16,000-outcome framework as a CASE package and its import into an empty database,
in a child process so that its peak memory is the import's own (VmHWM, see own_peak_mb). External frameworks: lookups of
their items (CFItems/{id}) among 5,000 external items, and the import of a 30 MB external package (time and
peak memory, in a child process; the file is read whole, then checked and synced set-based).

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
from curriculum.external import external_package_import  # noqa: E402
from curriculum.importing import goso_file_import  # noqa: E402
from curriculum.models import Framework, LearningOutcome  # noqa: E402
from tenants.context import super_admin_context  # noqa: E402

FRAMEWORKS = ("bench_case_a", "bench_case_b")
LARGE_OUTCOMES_PER_GRADE = 32  # 100 subsections x 5 grades x 32 = 16,000 outcomes
REQUESTS = int(os.environ.get("BENCH_CASE_REQUESTS", "300"))
TARGET_MS = 20
EXTERNAL_LOOKUP_ITEMS = 5_000
EXTERNAL_IMPORT_MB = 30


def external_package(items: int, *, seed: int = 5) -> dict:
    """A synthetic external CASE package: `items` items in a tree of strands (100 children each), with
    isChildOf associations and one isRelatedTo per ten items; texts of a few hundred characters."""
    rng = random.Random(seed)
    base = "https://standards.example.org/ims/case/v1p0"
    document_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def new_id():
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def link(kind, identifier, title):
        return {"title": title, "identifier": identifier, "uri": f"{base}/{kind}/{identifier}"}

    document = link("CFDocuments", document_id, "Benchmark external framework")
    package = {"CFDocument": {"identifier": document_id, "uri": document["uri"], "creator": "Bench",
                              "title": document["title"], "lastChangeDateTime": "2024-01-01T00:00:00+00:00"},
               "CFItems": [], "CFAssociations": []}
    words = "number algebra geometry measure statistics probability reason model solve explain".split()
    strand = None
    for index in range(items):
        identifier = new_id()
        code = f"S{index // 100}" if index % 100 == 0 else f"S{index // 100}.{index % 100}"
        text = " ".join(rng.choice(words) for _ in range(40))
        package["CFItems"].append({
            "identifier": identifier, "uri": f"{base}/CFItems/{identifier}", "fullStatement": text,
            "humanCodingScheme": code, "CFItemType": "Strand" if index % 100 == 0 else "Standard",
            "educationLevel": ["07"], "lastChangeDateTime": "2024-01-01T00:00:00+00:00",
            "CFDocumentURI": document,
        })
        parent = document if index % 100 == 0 else strand
        association = new_id()
        package["CFAssociations"].append({
            "identifier": association, "uri": f"{base}/CFAssociations/{association}", "associationType": "isChildOf",
            "originNodeURI": link("CFItems", identifier, code), "destinationNodeURI": parent,
            "sequenceNumber": index % 100 + 1, "lastChangeDateTime": "2024-01-01T00:00:00+00:00",
            "CFDocumentURI": document,
        })
        if index % 10 == 9:
            related = new_id()
            package["CFAssociations"].append({
                "identifier": related, "uri": f"{base}/CFAssociations/{related}", "associationType": "isRelatedTo",
                "originNodeURI": link("CFItems", identifier, code),
                "destinationNodeURI": link("CFItems", package["CFItems"][index - 5]["identifier"], "x"),
                "lastChangeDateTime": "2024-01-01T00:00:00+00:00", "CFDocumentURI": document,
            })
        if index % 100 == 0:
            strand = link("CFItems", identifier, code)
    return package


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
        external = external_package(EXTERNAL_LOOKUP_ITEMS)
        external_package_import(data=external, source="bench")
        external_ids = [item["identifier"] for item in external["CFItems"]]
        sample = [rng.choice(outcomes) for _ in range(REQUESTS)]
        results = {
            "CFItems/{id}": p95_ms(cf_item, [rng.choice(row[:2]) for row in sample], 200),
            "CFAssociations/{id} (isChildOf, isTranslationOf)": p95_ms(
                cf_association, [rng.choice(row[2:]) for row in sample], 200),
            "CFDocuments/{id}": p95_ms(cf_document, [rng.choice(rng.choice(frameworks)) for _ in range(REQUESTS)], 200),
            "CFItems/{unknown id}": p95_ms(cf_item, [uuid.uuid4() for _ in range(REQUESTS)], 404),
            "CFItems/{external item id}": p95_ms(cf_item, [rng.choice(external_ids) for _ in range(REQUESTS)], 200),
        }
        total = len(outcomes)
    note = (f"{total} outcomes in {len(FRAMEWORKS)} frameworks and {EXTERNAL_LOOKUP_ITEMS} external items; "
            f"{REQUESTS} random identifiers; p95 through the view")
    return [figure(f"CASE {name} p95", value, "ms", f"< {TARGET_MS}", value < TARGET_MS, note=note)
            for name, value in results.items()] + run_large() + run_external()


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


def own_peak_mb() -> float:
    """This process's peak resident memory since it was exec'd (VmHWM of /proc/self/status: per address
    space, reset at exec). Not ru_maxrss: Linux carries the parent's peak across fork and exec, so a child
    of the benchmark, which held the exported package, reported the parent's 420 MB whatever it did."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the best there is


def own_peak_note(result) -> str:
    return f"the importing child's own peak (VmHWM, not ru_maxrss), {result['start_mb']:.0f} MB of it before the import"


def import_in_child(path: Path, option="--import") -> dict:
    result = subprocess.run([sys.executable, "-m", "bench.bench_case", option, str(path)], check=True,
                            capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    return json.loads(result.stdout)


def import_once(path: str) -> dict:
    """(child process) Import the package into the database, rolled back: seconds and peak memory."""
    start_mb = own_peak_mb()
    with rolled_back():
        started = time.perf_counter()
        report = import_case_file(path=path)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": own_peak_mb(), "start_mb": start_mb,
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
               f"< {round(10 * size_mb)}", result["peak_mb"] < 10 * size_mb, note=f"{note}; target: 10x the file; {own_peak_note(result)}"),
    ]


def run_external() -> list[dict]:
    """A 30 MB external package (compact JSON, as CASE servers serve it) imported in a child process."""
    items = EXTERNAL_IMPORT_MB * 1024 * 1024 // len(json.dumps(external_package(1000)).encode()) * 1000
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "external.case.json"
        # Written by another process, so that this one stays small (the importer's peak is its own anyway:
        # own_peak_mb).
        subprocess.run([sys.executable, "-m", "bench.bench_case", "--write-external", str(path), str(items)],
                       check=True, cwd=Path(__file__).resolve().parents[1])
        size_mb = path.stat().st_size / 1024 / 1024
        result = import_in_child(path, "--import-external")
    note = f"{items} items, {result['created']} objects, {size_mb:.1f} MB package (compact JSON)"
    return [
        figure("CASE external framework import", round(result["seconds"], 1), "s", "< 120", result["seconds"] < 120,
               note=note),
        figure("CASE external framework import: peak memory", round(result["peak_mb"]), "MB",
               f"< {round(15 * size_mb)}", result["peak_mb"] < 15 * size_mb, note=f"{note}; target: 15x the file; {own_peak_note(result)}"),
    ]


def import_external_once(path: str) -> dict:
    """(child process) Import an external package, rolled back: seconds and peak memory."""
    start_mb = own_peak_mb()
    with rolled_back():
        started = time.perf_counter()
        report = import_case_file(path=path)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": own_peak_mb(), "start_mb": start_mb,
            "created": sum(counts.created for counts in report.counts.values())}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--import"]:
        print(json.dumps(import_once(sys.argv[2])))
    elif sys.argv[1:2] == ["--write-external"]:
        Path(sys.argv[2]).write_text(json.dumps(external_package(int(sys.argv[3])), ensure_ascii=False), encoding="utf-8")
    elif sys.argv[1:2] == ["--import-external"]:
        print(json.dumps(import_external_once(sys.argv[2])))
    else:
        print(json.dumps(run(), ensure_ascii=False, indent=2))

"""Costs that follow the school, not the nation (issue 13 item 2).

Two databases with the same global content and schools of the same size: the national one (the
benchmark database, bench/scale.py: 7,500 schools) and a 100-school subset (`<database>_subset100`,
`python -m bench.scale_data --subset-of-schools 100`: the same 500 global textbooks, 4 copies per school,
the same alignments per paragraph), created, migrated and generated here on first use and kept.

For the middle school of each, every school-facing query is captured from the app code as the runtime
role in the school's context (the API's alignment list: its count, first page and a deep page by cursor,
and page 400 by number (OFFSET), informational; an outcome's paragraphs with their count; a paragraph's
outcomes; coverage of a textbook; the textbook list with its count). The captured SQL is then timed in both
databases alternately on every repetition (national, subset, national, ...; each sample after one untimed
execution), medians, after a VACUUM (ANALYZE) of both databases' school content (_maintain: the upkeep
autovacuum gives a real database). Target: national / subset <= 1.2 for each query but the informational
one; and at national size the deep page by cursor against the first page, <= 1.2.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import django
import psycopg

if __name__ == "__main__":  # the capture of the subset database, in a child process: Django first
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.common import figure, median_ms, time_once  # noqa: E402
from bench.scale import NATIONAL, national_data  # noqa: E402
from bench.scale_data import SCHOOL_CONTENT_TABLES, subset_of_schools  # noqa: E402
from tenants.context import TenantContext, super_admin_context, tenant_context  # noqa: E402
from tenants.database_roles import database_url_replace  # noqa: E402
from textbooks import selectors  # noqa: E402
from textbooks.coverage import textbook_coverage  # noqa: E402
from textbooks.models import ParagraphOutcome  # noqa: E402

REPETITIONS = int(os.environ.get("BENCH_SCHOOL_COSTS_REPETITIONS", "200"))
TARGET = 1.2
SUBSET_SCHOOLS = 100
DEEP_PAGE = 400  # page 400 of 50: rows 19,951-20,000 of a school's list
DEEP_CURSOR = f"alignment list: deep page by cursor (the rows of page {DEEP_PAGE})"
# Reported without a target: a page by number reads every index entry before it (the API's links are cursors).
INFORMATIONAL = {f"alignment list: page {DEEP_PAGE} by number (OFFSET)"}
PAGE = 50
SUBSET = "subset"  # the connection alias of the subset database
ROOT = Path(__file__).resolve().parent.parent


def _school_queries(context: TenantContext, *, paragraph, outcome, textbook_id) -> dict:
    """The school-facing reads, as the API runs them (selectors; pages of 50 with their counts). A deep
    page as a client reaches it, by the `next` links: a keyset page from the position of the row before
    page 400's first (found here, not timed); page 400 by number (OFFSET) for comparison."""
    pages = selectors.alignment_pages(context=context)
    deep = (DEEP_PAGE - 1) * PAGE
    with tenant_context(school_id=context.school_id):
        (before,) = pages[deep - 1:deep]
    position = tuple(getattr(before, name) for name in pages.order)
    return {
        "alignment list: count": lambda: pages.count(),
        "alignment list: first page": lambda: pages[0:PAGE],
        DEEP_CURSOR: lambda: pages.keyset(position=position, forward=True, size=PAGE + 1),
        f"alignment list: page {DEEP_PAGE} by number (OFFSET)": lambda: pages[deep:deep + PAGE],
        "an outcome's paragraphs (count and page)": lambda: (
            selectors.outcome_alignment_pages(context=context, outcome=outcome).count(),
            selectors.outcome_alignment_pages(context=context, outcome=outcome)[:PAGE],
        ),
        "a paragraph's outcomes": lambda: list(selectors.paragraph_alignments(context=context, paragraph=paragraph)),
        "coverage of a textbook (whole report)": lambda: textbook_coverage(context=context, textbook_id=textbook_id),
        "textbook list (count and page)": lambda: (
            selectors.textbook_list(context=context).count(), list(selectors.textbook_list(context=context)[:PAGE]),
        ),
    }


def capture(school_code: str) -> dict:
    """{query name: [SQL as sent]} for the school, and its id (run in the database of the process)."""
    with super_admin_context():
        alignment = (
            ParagraphOutcome.objects.filter(school__code=school_code)
            .select_related("paragraph__chapter", "outcome").order_by("paragraph_id", "outcome_id").first()
        )
    school_id = alignment.school_id
    queries = _school_queries(
        TenantContext(school_id=school_id), paragraph=alignment.paragraph, outcome=alignment.outcome,
        textbook_id=alignment.paragraph.chapter.textbook_id,
    )
    statements = {}
    for name, run in queries.items():
        with tenant_context(school_id=school_id), CaptureQueriesContext(connection) as captured:
            run()
        statements[name] = [query["sql"] for query in captured.captured_queries if "set_config" not in query["sql"]]
        if not statements[name]:
            raise RuntimeError(f"{name}: no SQL captured from the app code")
    return {"school_id": school_id, "statements": statements}


def _middle_school(schools: int) -> str:
    return f"scale-{schools // 2:05d}"


def _subset_urls() -> dict:
    database = f"{settings.DATABASES['default']['NAME']}_subset{SUBSET_SCHOOLS}"
    return {
        "DATABASE_URL": database_url_replace(os.environ["DATABASE_URL"], database=database),
        "DATABASE_OWNER_URL": database_url_replace(os.environ.get("DATABASE_OWNER_URL", os.environ["DATABASE_URL"]), database=database),
        "name": database,
    }


def _in_subset(*arguments, urls) -> str:
    env = {**os.environ, "DATABASE_URL": urls["DATABASE_URL"], "DATABASE_OWNER_URL": urls["DATABASE_OWNER_URL"]}
    return subprocess.run([sys.executable, *arguments], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def _subset_prepare(urls) -> tuple[float | None, dict]:
    """The subset database: created, migrated and generated unless it already is (then: generation None)."""
    subprocess.run([sys.executable, "-m", "tenants.database_roles", "create-database", urls["DATABASE_OWNER_URL"]],
                   cwd=ROOT, check=True, capture_output=True)
    _in_subset("manage.py", "migrate", "--no-input", "-v", "0", urls=urls)
    started = time.perf_counter()
    output = _in_subset("-m", "bench.scale_data", "--subset-of-schools", str(SUBSET_SCHOOLS), urls=urls)
    generation = None if "nothing to do" in output else round(time.perf_counter() - started, 1)
    captured = json.loads(_in_subset("-m", "bench.bench_school_costs", "capture", _middle_school(SUBSET_SCHOOLS), urls=urls))
    return generation, captured


def _maintain(owner_url: str) -> None:
    """VACUUM (ANALYZE) of the school content, as autovacuum would do on a real database: the other
    benchmarks write into the national one (rolled-back copies leave some 100,000 dead alignments and
    unmarked pages, below autovacuum's 20% threshold for millions of rows), the subset is untouched;
    measured as they are, the two would differ by their upkeep (heap fetches of index-only scans,
    planner statistics, dead index ends probed while planning), not by their number of schools."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        for table in SCHOOL_CONTENT_TABLES:
            conn.execute(f'VACUUM (ANALYZE) "{table}"')


def _subset_connection(urls) -> None:
    """A connection alias to the subset database, as the runtime role (like `default`)."""
    from urllib.parse import urlsplit

    parts = urlsplit(urls["DATABASE_URL"])
    connections.settings[SUBSET] = {**connections.settings["default"], "NAME": parts.path.lstrip("/"), "TEST": {}}


def _sample(*, using: str, school_id: int, statements: list[str]) -> float:
    with tenant_context(school_id=school_id, using=using), connections[using].cursor() as cursor:
        return time_once(cursor, statements)


def run() -> list[dict]:
    figures = []
    national_data()  # bench_rls reports its generation; here it only has to exist
    urls = _subset_urls()
    generation, subset = _subset_prepare(urls)
    subset_sizes = subset_of_schools(NATIONAL, SUBSET_SCHOOLS)
    figures.append(figure(
        f"generate_scale_data ({SUBSET_SCHOOLS}-school subset): generation", generation if generation is not None else "not measured",
        "s" if generation is not None else "", None, True,
        note=", ".join(f"{name} {value:,}" for name, value in vars(subset_sizes).items())
        + ("" if generation is not None else f"; already in {urls['name']}, so not generated in this run"),
    ))
    _maintain(os.environ.get("DATABASE_OWNER_URL", os.environ["DATABASE_URL"]))
    _maintain(urls["DATABASE_OWNER_URL"])
    _subset_connection(urls)
    national = capture(_middle_school(NATIONAL.schools))
    for name, national_statements in national["statements"].items():
        subset_statements = subset["statements"][name]
        target = None if name in INFORMATIONAL else TARGET
        big, small = [], []
        for _ in range(REPETITIONS):  # A, B, A, B ...: a burst of load hits both sides alike
            big.append(_sample(using="default", school_id=national["school_id"], statements=national_statements))
            small.append(_sample(using=SUBSET, school_id=subset["school_id"], statements=subset_statements))
        ratio = round(median_ms(big) / median_ms(small), 2)
        figures.append(figure(
            f"school cost at {NATIONAL.schools:,} vs {SUBSET_SCHOOLS} schools: {name}", ratio, "x",
            None if target is None else f"<= {target}", target is None or ratio <= target,
            note=("informational: the API's links reach deep pages by cursor; " if target is None else "")
                 + f"{median_ms(big)} ms at {NATIONAL.schools:,} schools vs {median_ms(small)} ms at {SUBSET_SCHOOLS} "
                 f"(school {_middle_school(NATIONAL.schools)} vs {_middle_school(SUBSET_SCHOOLS)}, 4 copies of 50 paragraphs "
                 f"each; median of {REPETITIONS} per side, sides alternating; {len(national_statements)} statement(s); "
                 "runtime role in the school's context; both databases' school content vacuumed and analyzed first)",
        ))
    connections[SUBSET].close()
    figures.append(_deep_against_first(national))
    return figures


def _deep_against_first(national: dict) -> dict:
    """At national size, the deep page by cursor against the first page (what a client's first request
    runs), alternating on every repetition: page N costs page 1."""
    samples = {"alignment list: first page": [], DEEP_CURSOR: []}
    for repetition in range(REPETITIONS):
        for name in sorted(samples, reverse=repetition % 2 == 1):  # which goes first alternates too
            samples[name].append(_sample(using="default", school_id=national["school_id"], statements=national["statements"][name]))
    first, deep = samples["alignment list: first page"], samples[DEEP_CURSOR]
    ratio = round(median_ms(deep) / median_ms(first), 2)
    return figure(
        f"alignment list at {NATIONAL.schools:,} schools: deep page by cursor vs first page", ratio, "x", f"<= {TARGET}",
        ratio <= TARGET,
        note=f"{median_ms(deep)} ms (rows of page {DEEP_PAGE}, from its cursor) vs {median_ms(first)} ms (page 1); "
             f"school {_middle_school(NATIONAL.schools)}; median of {REPETITIONS} each, alternating (and which goes first)",
    )


if __name__ == "__main__":  # `python -m bench.bench_school_costs capture <school code>`: the SQL, as JSON
    if sys.argv[1:2] != ["capture"] or len(sys.argv) != 3:
        sys.exit("usage: python -m bench.bench_school_costs capture <school code>")
    print(json.dumps(capture(sys.argv[2])))

"""Row-level security overhead on the hot queries at national scale.

Each hot query is what the app runs (the selectors' and the coverage report's SQL, captured while the
app code runs in a school's context, explicit school filter included). The same SQL is then timed:
- as the runtime role in the school's context (RLS applies), and
- as the table owner with RLS switched off (ALTER TABLE ... NO FORCE ROW LEVEL SECURITY inside a
  transaction that is rolled back: DDL is transactional, nothing stays changed),
alternating on every repetition (runtime, owner, runtime, owner ...; each sample after one untimed
execution on the same connection), so load bursts hit both sides alike; medians. Target: ratio <= 1.3.
EXPLAIN (ANALYZE, BUFFERS) of each query, as the runtime role and as the owner without RLS, goes to
bench/rls_plans.txt; each figure's note names the indexes the runtime role's plan uses.
"""

import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from bench.common import figure, median_ms, time_once
from bench.scale import NATIONAL, national_data
from tenants.context import TenantContext, super_admin_context, tenant_context
from textbooks import selectors
from textbooks.coverage import textbook_coverage
from textbooks.models import Paragraph, ParagraphOutcome, Textbook

REPETITIONS = int(os.environ.get("BENCH_RLS_REPETITIONS", "300"))  # per side, the sides alternating
TARGET = 1.3
PLANS_FILE = Path(__file__).resolve().parent / "rls_plans.txt"
RLS_TABLES = [
    "textbooks", "chapters", "paragraphs", "paragraph_outcomes",
    "subjects", "frameworks", "goso_sections", "goso_subsections", "learning_outcomes",
]


def _subjects(school_code: str):
    """A typical school's first aligned paragraph (of one of its forks), one of that paragraph's
    outcomes, and the fork."""
    with super_admin_context():
        alignment = (
            ParagraphOutcome.objects.filter(school__code=school_code)
            .select_related("paragraph__chapter__textbook", "outcome").order_by("paragraph_id").first()
        )
    return alignment.school_id, alignment.paragraph, alignment.outcome, alignment.paragraph.chapter.textbook


def _hot_queries(*, school_id: int, paragraph: Paragraph, outcome, textbook: Textbook) -> dict:
    context = TenantContext(school_id=school_id)
    pages = selectors.alignment_pages(context=context)  # what the API's list pages (AlignmentPages)
    return {
        "a school's mappings list (page)": lambda: pages[0:50],
        "a school's mappings list (count)": lambda: pages.count(),
        "a paragraph's outcomes": lambda: list(selectors.paragraph_alignments(context=context, paragraph=paragraph)),
        "an outcome's paragraphs (page)": lambda: list(selectors.outcome_alignments(context=context, outcome=outcome)[:50]),
        "coverage of a textbook (whole report)": lambda: textbook_coverage(context=context, textbook_id=textbook.pk),
    }


def _captured_sql(*, school_id: int, run) -> list[str]:
    """The statements the app code sends, as sent (Django binds parameters on the client side)."""
    with tenant_context(school_id=school_id), CaptureQueriesContext(connection) as captured:
        run()
    return [query["sql"] for query in captured.captured_queries if "set_config" not in query["sql"]]


def _runtime_sample(*, school_id, statements) -> float:
    with tenant_context(school_id=school_id), connection.cursor() as cursor:
        return time_once(cursor, statements)


@contextmanager
def _owner_without_rls():
    """A cursor of the table owner with RLS off for the block; rolled back, so the tables keep FORCE."""
    with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
        for table in RLS_TABLES:
            cursor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        yield cursor
        transaction.set_rollback(True, using="owner")


def _owner_sample(*, statements) -> float:
    # A transaction per sample: its ALTER TABLE locks would block the runtime side's next sample.
    with _owner_without_rls() as cursor:
        return time_once(cursor, statements)


def _explain(cursor, statements) -> list[str]:
    plans = []
    for sql in statements:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def _indexes(plans: list[str]) -> str:
    names = sorted({name for plan in plans for name in re.findall(r"Index (?:Only )?Scan (?:Backward )?(?:using|on) (\w+)", plan)})
    return ", ".join(names) or "none (sequential scans)"


def _school_predicate(plans: list[str]) -> str:
    """How the plan applies the school filter: through the school_id index, or as a filter on the
    few rows a more selective index (a paragraph's, an outcome's, a textbook's) found first."""
    if any(re.search(r"Index Cond: .*school_id", plan) for plan in plans):
        return "school_id matched in the index (Index Cond)"
    return "school_id checked as a filter on the rows a more selective index found"


def run() -> list[dict]:
    figures = list(national_data())
    school_code = f"scale-{NATIONAL.schools // 2:05d}"
    school_id, paragraph, outcome, textbook = _subjects(school_code)
    plan_lines = [f"EXPLAIN (ANALYZE, BUFFERS) as the runtime role in the context of school {school_code} (id {school_id})\n"]
    for name, run_app_code in _hot_queries(school_id=school_id, paragraph=paragraph, outcome=outcome, textbook=textbook).items():
        statements = _captured_sql(school_id=school_id, run=run_app_code)
        if not statements:
            raise RuntimeError(f"{name}: no SQL captured from the app code")
        runtime, owner = [], []
        for _ in range(REPETITIONS):  # A, B, A, B ...: a burst of load hits both sides alike
            runtime.append(_runtime_sample(school_id=school_id, statements=statements))
            owner.append(_owner_sample(statements=statements))
        with tenant_context(school_id=school_id), connection.cursor() as cursor:
            plans = _explain(cursor, statements)
        with _owner_without_rls() as cursor:
            owner_plans = _explain(cursor, statements)
        plan_lines.append(f"\n=== {name} ===\n")
        for sql, plan, owner_plan in zip(statements, plans, owner_plans):
            plan_lines.append(f"{sql}\n\n-- runtime role, school context (RLS on):\n{plan}\n\n-- owner, RLS off:\n{owner_plan}\n\n")
        ratio = round(median_ms(runtime) / median_ms(owner), 2)
        figures.append(figure(
            f"RLS overhead: {name}", ratio, "x", f"<= {TARGET}", ratio <= TARGET,
            note=f"runtime role {median_ms(runtime)} ms vs owner without RLS {median_ms(owner)} ms "
                 f"(median of {REPETITIONS} per side, sides alternating on every repetition, {len(statements)} statement(s)); "
                 f"indexes used: {_indexes(plans)}; {_school_predicate(plans)}; plans in bench/rls_plans.txt",
        ))
    PLANS_FILE.write_text("".join(plan_lines))
    return figures

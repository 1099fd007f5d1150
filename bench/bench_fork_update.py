"""Fork updates (textbooks/fork_updates.py) on the fork benchmark's textbook (1,000 paragraphs, 5,000
alignments): every paragraph changed in the global textbook, then the school's three-way review and
"take all non-conflicting", as the runtime role in the school's context. Statements are counted to
show the apply is set-based (the same count whatever the number of paragraphs)."""

import os

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.bench_fork import CHAPTERS, PARAGRAPHS_PER_CHAPTER, _setup
from bench.common import figure, median_ms, rolled_back, timed
from bench.scale_data import _analyze
from tenants.context import super_admin_context, tenant_context
from textbooks.fork_updates import fork_update_apply, fork_update_review
from textbooks.models import Paragraph
from textbooks.services import textbook_fork

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
MAX_STATEMENTS = 15


def run() -> list[dict]:
    with super_admin_context():
        school, textbook = _setup()
    _analyze()
    review_ms, apply_ms, statements = [], [], 0
    for _ in range(RUNS):
        with rolled_back():
            with tenant_context(school_id=school.pk):
                fork = textbook_fork(textbook=textbook, school=school)
            with super_admin_context():
                Paragraph.objects.filter(chapter__textbook=textbook).update(content="новый текст " * 100)
            with tenant_context(school_id=school.pk):
                review_ms.append(timed(lambda: fork_update_review(fork=fork)))
                with CaptureQueriesContext(connection) as captured:
                    apply_ms.append(timed(lambda: fork_update_apply(fork=fork, take_all_non_conflicting=True)))
                statements = len(captured.captured_queries)
    size = f"{CHAPTERS * PARAGRAPHS_PER_CHAPTER} paragraphs changed upstream; median of {RUNS}"
    return [
        figure("fork update: three-way review", median_ms(review_ms), "ms", None, True, note=size),
        figure("fork update: take all non-conflicting", median_ms(apply_ms), "ms", None, True, note=size),
        figure("fork update: statements of the apply", statements, "statements", f"<= {MAX_STATEMENTS}",
               statements <= MAX_STATEMENTS, note="one per kind of change, whatever the number of paragraphs"),
    ]

"""Alignment in bulk (textbooks/alignment_grid.py) at the grid's largest size, 4,000 cells (50 paragraphs x
80 outcomes), as the runtime role in the school's context: reading the grid, and saving it (2,000 cells
ticked: 1,000 alignments added, 250 changed, 250 removed) with the set-based service against a baseline
of one ORM write per changed cell (what the per-paragraph chooser amounts to)."""

import os
import secrets
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import bench_outcomes, check_constraints_now, figure, median_ms, rolled_back, timed
from bench.scale_data import _analyze
from tenants.context import TenantContext, super_admin_context, tenant_context
from tenants.models import Domain, Role, School, User
from textbooks.alignment_grid import MAX_GRID_CELLS, alignment_grid, alignments_bulk_set
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook

PARAGRAPHS, OUTCOMES = 50, 80
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def _setup():
    subject, outcomes = bench_outcomes("bench_bulk", OUTCOMES, title=lambda n: f"цель {n} " * 20)
    school, _ = School.objects.get_or_create(code="bench-bulk", defaults={"name_ru": "Бенчмарк"})
    textbook = Textbook.objects.filter(subject=subject, school=school).first()
    if textbook is None:
        textbook = Textbook.objects.create(subject=subject, school=school, title="Бенчмарк", grade_level=7)
        chapter = Chapter.objects.create(textbook=textbook, number=1, title="Глава")
        Paragraph.objects.bulk_create(Paragraph(chapter=chapter, number=n, title=f"§{n}") for n in range(1, PARAGRAPHS + 1))
    outcomes = [outcome.pk for outcome in outcomes]
    paragraphs = list(Paragraph.objects.filter(chapter__textbook=textbook).order_by("number").values_list("pk", flat=True))
    # The stored state: every other paragraph aligned to the first 20 outcomes at 0.5 (500 alignments).
    ParagraphOutcome.objects.filter(paragraph__chapter__textbook=textbook).delete()
    ParagraphOutcome.objects.bulk_create(
        ParagraphOutcome(paragraph_id=p, outcome_id=o, confidence=Decimal("0.50"))
        for p in paragraphs[::2] for o in outcomes[:20]
    )
    return school, textbook, paragraphs, outcomes


def _cells(paragraphs, outcomes):
    """The saved grid: 1,000 added, 250 changed (0.5 -> 0.8), 250 removed, the rest stay unaligned."""
    cells = []
    for index, paragraph in enumerate(paragraphs):
        for position, outcome in enumerate(outcomes):
            stored = index % 2 == 0 and position < 20
            if stored:
                value = "0.8" if position < 10 else None  # changed or removed
            else:
                value = "1" if position >= 60 else None  # added on the last 20 columns
            cells.append((paragraph, outcome, value))
    return cells


def per_cell_writes(*, textbook, cells, created_by=None):
    """Baseline: read the stored alignments, then one ORM statement per changed cell."""
    stored = {
        (link.paragraph_id, link.outcome_id): link
        for link in ParagraphOutcome.objects.filter(paragraph__chapter__textbook=textbook)
    }
    for paragraph, outcome, value in cells:
        link = stored.get((paragraph, outcome))
        if value is None and link is not None:
            link.delete()
        elif value is not None and link is None:
            ParagraphOutcome.objects.create(paragraph_id=paragraph, outcome_id=outcome, confidence=Decimal(value))
        elif value is not None and link.confidence != Decimal(value):
            ParagraphOutcome.objects.filter(pk=link.pk).update(confidence=Decimal(value))


def _page_client(school):
    """A teacher of the school signed in at the school's address (a fresh password each run)."""
    password = secrets.token_urlsafe(16)
    with super_admin_context():
        Domain.objects.get_or_create(domain="bench-bulk.localhost", defaults={"tenant": school, "is_primary": True})
        teacher = User.objects.filter(username="bench_bulk_teacher").first() or User(
            username="bench_bulk_teacher", role=Role.TEACHER, school=school, is_staff=True,
        )
        teacher.set_password(password)
        teacher.save()
    client = Client(HTTP_HOST="bench-bulk.localhost")
    assert client.login(username=teacher.username, password=password)
    return client


def run() -> list[dict]:
    with super_admin_context():
        school, textbook, paragraphs, outcomes = _setup()
    _analyze()
    cells = _cells(paragraphs, outcomes)
    assert len(cells) == MAX_GRID_CELLS
    sides = {"set_based": alignments_bulk_set, "per_cell": per_cell_writes}
    samples = {name: [] for name in sides}
    read_samples = []
    statements = {}
    for name, write in sides.items():
        with rolled_back(), tenant_context(school_id=school.pk), CaptureQueriesContext(connection) as queries:
            write(textbook=textbook, cells=cells)
        statements[name] = len(queries)
    with rolled_back(), tenant_context(school_id=school.pk):
        result = alignments_bulk_set(textbook=textbook, cells=cells)
    for _ in range(RUNS):
        for name, write in sides.items():
            with rolled_back(), tenant_context(school_id=school.pk):
                samples[name].append(timed(lambda: (write(textbook=textbook, cells=cells), check_constraints_now())))
        with rolled_back(), tenant_context(school_id=school.pk):
            read_samples.append(timed(lambda: alignment_grid(context=TenantContext(school_id=school.pk), textbook=textbook)))
    client, url = _page_client(school), f"/admin/textbooks/textbook/{textbook.pk}/align/"
    def page():
        response = client.get(url, secure=True)  # production settings redirect plain HTTP
        if response.status_code != 200 or b"alignment-grid-form" not in response.content:
            raise RuntimeError(f"the bulk alignment page answered {response.status_code}")

    page_samples = [timed(page) for _ in range(RUNS)]
    page_ms = median_ms(page_samples)
    ms = {name: median_ms(values) for name, values in samples.items()}
    speedup = round(ms["per_cell"] / ms["set_based"], 1)
    read_ms = median_ms(read_samples)
    size = f"{PARAGRAPHS} paragraphs x {OUTCOMES} outcomes = {len(cells)} cells; median of {RUNS}"
    return [
        figure("bulk alignment save, 4,000 cells (set-based)", ms["set_based"], "ms", "< 1000", ms["set_based"] < 1000,
               note=f"{size}; {result.added} added, {result.changed} changed, {result.removed} removed; "
                    f"{statements['set_based']} statements"),
        figure("the same save, one ORM write per changed cell (baseline)", ms["per_cell"], "ms", None, True,
               note=f"{size}; {statements['per_cell']} statements"),
        figure("bulk alignment save speed-up over per-cell writes", speedup, "x", "> 1", speedup > 1),
        figure("bulk alignment grid read, 4,000 cells", read_ms, "ms", "< 500", read_ms < 500, note=size),
        figure("bulk alignment admin page, 4,000 cells", page_ms, "ms", "< 1000", page_ms < 1000,
               note=f"{size}; the whole textbook's page through the test client, as a teacher"),
    ]

"""Reads on textbook content (selectors: keyword-only arguments)."""

from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from curriculum.models import LearningOutcome
from curriculum.selectors import outcomes_for_alignment
from tenants.context import TenantContext
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook


def outcomes_for_paragraph(*, paragraph: Paragraph, grades=None) -> QuerySet:
    """Outcomes a paragraph may be aligned to: those of its textbook's subject and grade (or the
    `grades` the user widened the choice to), and those it is aligned to already (so an existing
    alignment never becomes an invalid choice)."""
    textbook = paragraph.chapter.textbook
    suitable = outcomes_for_alignment(subject_id=textbook.subject_id, grades=grades or [textbook.grade_level])
    return LearningOutcome.objects.filter(
        Q(pk__in=suitable.values("pk")) | Q(pk__in=paragraph.outcome_links.values("outcome_id"))
    )


def visible_to(rows: QuerySet, *, context: TenantContext) -> QuerySet:
    """Global rows and the context's own school's rows; every row in the super-admin context.
    Row-level security filters the same way: saying it here keeps the intent explicit, so an
    unscoped read is never what the code asks for."""
    if context.super_admin:
        return rows
    return rows.filter(Q(school__isnull=True) | Q(school_id=context.school_id))


TEXTBOOK_ORDER = ("subject_id", "grade_level", "title", "id")


def textbook_list(*, context: TenantContext) -> QuerySet:
    return visible_to(Textbook.objects.all(), context=context).order_by(*TEXTBOOK_ORDER)


def textbook_pages(*, context: TenantContext, narrow=lambda rows: rows):
    """textbook_list() to paginate: in a school's context SchoolPages over the indexes textbooks_global_order
    and textbooks_school_order (the global textbooks and the school's own, each in list order)."""
    if context.school_id is None or context.super_admin:
        return narrow(textbook_list(context=context))
    ranges = _school_ranges(Textbook.objects.all(), context=context)
    return SchoolPages(textbook_list(context=context), ranges=[narrow(rows) for rows in ranges], order=TEXTBOOK_ORDER)


def chapter_list(*, context: TenantContext) -> QuerySet:
    return visible_to(Chapter.objects.all(), context=context).order_by("textbook_id", "sort_order", "number")


def paragraph_list(*, context: TenantContext) -> QuerySet:
    return (
        visible_to(Paragraph.objects.select_related("chapter"), context=context)
        .order_by("chapter__textbook_id", "chapter__sort_order", "chapter__number", "sort_order", "number")
    )


# What an alignment's readers show (the API's serializers, textbooks/api/serializers.py): the alignment, its
# outcome in brief, and its paragraph, chapter and textbook in brief. Paragraph texts (often kilobytes) stay
# unread: fetching and converting them was most of a list's database and Python time.
ALIGNMENT_COLUMNS = (
    "id", "paragraph_id", "outcome_id", "school_id", "confidence", "anchor", "notes", "created_by_id", "created_at",
    "outcome__id", "outcome__framework_id", "outcome__code", "outcome__grade", "outcome__title_ru", "outcome__title_kz",
    "outcome__is_active",
    "paragraph__id", "paragraph__chapter_id", "paragraph__school_id", "paragraph__number", "paragraph__title",
    "paragraph__chapter__id", "paragraph__chapter__textbook_id",
    "paragraph__chapter__textbook__id", "paragraph__chapter__textbook__school_id",
    "paragraph__chapter__textbook__title", "paragraph__chapter__textbook__grade_level", "paragraph__chapter__textbook__subject_id",
    "paragraph__chapter__textbook__language",
)


def alignment_list(*, context: TenantContext) -> QuerySet:
    # The outcome's and the textbook's grades tell a cross-grade alignment (ParagraphOutcome.is_cross_grade).
    return (
        visible_to(ParagraphOutcome.objects.select_related("outcome", "paragraph__chapter__textbook"), context=context)
        .only(*ALIGNMENT_COLUMNS)
        .order_by("paragraph_id", "outcome_id")
    )


ALIGNMENT_ORDER = ("paragraph_id", "outcome_id")


def _school_ranges(rows: QuerySet, *, context: TenantContext) -> list[QuerySet]:
    """The global rows and the school's own: what `visible_to` ORs together, as two separate ranges."""
    return [rows.filter(school__isnull=True), rows.filter(school_id=context.school_id)]


def keyset_beyond(order: tuple[str, ...], position: tuple, *, forward: bool = True) -> Q:
    """Rows after (`forward`) or before `position`, the values of `order`'s columns (the last one
    unique): the first column bounded as a range an index can start from (>=, <=), the ties broken
    by the others, so a keyset page reads from its position on, never the rows before it."""
    strict, bound = ("gt", "gte") if forward else ("lt", "lte")
    beyond = Q(**{f"{order[-1]}__{strict}": position[-1]})
    for name, value in zip(reversed(order[:-1]), reversed(position[:-1])):
        beyond = Q(**{f"{name}__{strict}": value}) | (Q(**{name: value}) & beyond)
    return Q(**{f"{order[0]}__{bound}": position[0]}) & beyond


def _descending(order: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"-{name}" for name in order)


class OrderedRows:
    """A queryset in `order` (ending in a unique column) for Django's Paginator (count and slices) and
    for keyset pages (`keyset`). One statement per page."""

    ordered = True

    def __init__(self, rows: QuerySet, *, order: tuple[str, ...]):
        self.rows, self.order = rows.order_by(*order), order

    def count(self) -> int:
        return self.rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list:
        return list(self.rows[window])

    def keyset(self, *, position: tuple | None, forward: bool, size: int) -> list:
        """Up to `size` rows after (`forward`) or before `position` (None: from the start or the end),
        in list order."""
        rows = self.rows if position is None else self.rows.filter(keyset_beyond(self.order, position, forward=forward))
        if forward:
            return list(rows[:size])
        return list(reversed(rows.order_by(*_descending(self.order))[:size]))


class SchoolCounted:
    """Rows for Django's Paginator (count() and slicing) whose count() adds the global rows and the school's
    own, counted apart: each is an index range ((school_id, ...) or (..., school_id)), so the count never
    reads other schools' index entries, however many schools there are. One statement."""

    ordered = True

    def __init__(self, rows: QuerySet, *, ranges: list[QuerySet], global_count_kept: bool = False):
        """`global_count_kept`: the first range is all the global rows of a table whose count the database
        keeps (GlobalRowCount): read that row instead of the index (counted afresh only if it is missing)."""
        self.rows, self.ranges, self.global_count_kept = rows, ranges, global_count_kept

    def count(self) -> int:
        parts, parameters = [], []
        for index, rows in enumerate(self.ranges):
            sql, params = rows.order_by().values("pk").query.sql_with_params()
            counted = f"(SELECT count(*) FROM ({sql}) AS range_rows)"
            if index == 0 and self.global_count_kept:
                counted = f"coalesce((SELECT row_count FROM global_row_counts WHERE table_name = %s), {counted})"
                params = (rows.model._meta.db_table, *params)
            parts.append(counted)
            parameters.extend(params)
        with connections[self.rows.db].cursor() as cursor:
            cursor.execute("SELECT " + " + ".join(parts), parameters)
            return cursor.fetchone()[0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list:
        return list(self.rows[window])


class SchoolPages(SchoolCounted):
    """SchoolCounted whose pages merge the two ranges too: each range is read from an index in list
    order (`order`, ending in a unique column), the first `stop` rows of each are merged, and only the
    page's rows are read. A page costs its offset plus its size in index entries, never a sort of all
    visible rows. One statement per page."""

    def __init__(self, rows: QuerySet, *, ranges: list[QuerySet], order: tuple[str, ...], global_count_kept: bool = False):
        super().__init__(rows.order_by(*order), ranges=[part.order_by(*order) for part in ranges],
                         global_count_kept=global_count_kept)
        self.order = order

    def __getitem__(self, window: slice) -> list:
        if not isinstance(window, slice) or window.step is not None:
            raise TypeError(f"{type(self).__name__} supports slices without a step only")
        start, stop = window.start or 0, window.stop
        if stop is None or start < 0 or stop <= start:
            return []
        heads = [rows.values_list("pk", *self.order)[:stop] for rows in self.ranges]
        page_sql, params = heads[0].union(heads[1], all=True).order_by(*self.order)[start:stop].query.sql_with_params()
        page_ids = RawSQL(f"SELECT page.pk FROM ({page_sql}) AS page", params)
        return list(self.rows.filter(pk__in=page_ids))

    def keyset(self, *, position: tuple | None, forward: bool, size: int) -> list:
        """Up to `size` rows after (`forward`) or before `position` (None: from the start or the end),
        in list order: each range read from its index starting at the position (backwards for rows
        before it), its first `size` rows merged, so any page costs what the first page costs."""
        direction = self.order if forward else _descending(self.order)
        ranges = self.ranges if position is None else [
            rows.filter(keyset_beyond(self.order, position, forward=forward)) for rows in self.ranges
        ]
        heads = [rows.order_by(*direction).values_list("pk", *self.order)[:size] for rows in ranges]
        page_sql, params = heads[0].union(heads[1], all=True).order_by(*direction)[:size].query.sql_with_params()
        page_ids = RawSQL(f"SELECT page.pk FROM ({page_sql}) AS page", params)
        return list(self.rows.filter(pk__in=page_ids))


class AlignmentPages(SchoolPages):
    """A school's alignment list at a cost that follows the school, not the nation: the global rows and
    the school's own rows are two ranges of the indexes alignments_global_order (paragraph_id, outcome_id)
    and alignments_school_order (school_id, paragraph_id, outcome_id), each read index-only and already in
    list order, so neither the count nor a page reads other schools' rows or sorts all visible rows.
    `narrow` applies the caller's filters (the API's filterset) to each range. Same rows, same order as
    alignment_list()."""

    def __init__(self, *, context: TenantContext, narrow=lambda rows: rows):
        ranges = _school_ranges(ParagraphOutcome.objects.all(), context=context)
        narrowed = [narrow(rows) for rows in ranges]
        # Unfiltered (the API's filter backend hands back the very queryset when no filter is asked for), the
        # global rows are all of them: their count is kept by the database (GlobalRowCount), one row to read
        # instead of some 80,000 index entries at national size.
        super().__init__(alignment_list(context=context), ranges=narrowed, order=ALIGNMENT_ORDER,
                         global_count_kept=narrowed[0] is ranges[0])


def alignment_pages(*, context: TenantContext, narrow=lambda rows: rows):
    """The alignment list to paginate by page number or keyset: AlignmentPages in a school's context;
    elsewhere (the super-admin context sees every school's rows anyway) the plain queryset's pages."""
    if context.school_id is None or context.super_admin:
        return OrderedRows(narrow(alignment_list(context=context)), order=ALIGNMENT_ORDER)
    return AlignmentPages(context=context, narrow=narrow)


def paragraph_alignments(*, context: TenantContext, paragraph: Paragraph) -> QuerySet:
    """A paragraph's alignments with their outcomes, in outcome code order."""
    return (
        alignment_list(context=context).filter(paragraph=paragraph)
        .order_by("outcome__framework_id", "outcome__code_sort")
    )


def outcome_alignments(*, context: TenantContext, outcome: LearningOutcome) -> QuerySet:
    """The paragraphs that teach an outcome, in the caller's textbooks and global ones. The outcome is the
    caller's, already loaded: read through its related manager, every row gets that instance without joining
    learning_outcomes again (four tables to plan instead of five; planning was most of the statement's time)."""
    return (
        visible_to(outcome.paragraph_links.select_related("paragraph__chapter__textbook"), context=context)
        .only(*(column for column in ALIGNMENT_COLUMNS if not column.startswith("outcome__")))
        .order_by("paragraph__chapter__textbook_id", "paragraph__chapter__sort_order", "paragraph__sort_order",
                  "paragraph__number", "id")
    )


def outcome_alignment_pages(*, context: TenantContext, outcome: LearningOutcome):
    """outcome_alignments() to paginate: in a school's context counted as SchoolCounted (the index
    alignments_outcome_school: the outcome's global rows and the school's, not every school's)."""
    rows = outcome_alignments(context=context, outcome=outcome)
    if context.school_id is None or context.super_admin:
        return rows
    return SchoolCounted(rows, ranges=_school_ranges(ParagraphOutcome.objects.filter(outcome=outcome), context=context))

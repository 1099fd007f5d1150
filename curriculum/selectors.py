"""Reads on GOSO reference data (selectors: keyword-only arguments)."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from curriculum.models import Framework, LearningOutcome, Section, Subsection


def outcomes_for_alignment(*, subject_id, grade=None, grades=None, queryset: QuerySet | None = None) -> QuerySet:
    """Outcomes a textbook of this subject and grade (or any of `grades`, when the user widens the
    choice) can be aligned to: the active outcomes of the subject's active frameworks for it."""
    queryset = LearningOutcome.objects.all() if queryset is None else queryset
    return queryset.filter(
        framework__subject_id=subject_id, grade__in=[grade] if grades is None else grades, is_active=True,
        deleted_at__isnull=True, framework__is_active=True, framework__deleted_at__isnull=True,
    )


@dataclass
class SubsectionRow:
    subsection: Subsection
    outcomes_by_grade: list[list[LearningOutcome]]


@dataclass
class SectionBlock:
    section: object
    rows: list[SubsectionRow] = field(default_factory=list)


@dataclass
class FrameworkTree:
    framework: Framework
    grades: list[int]
    sections: list[SectionBlock]
    outcome_count: int


def framework_tree(*, framework: Framework) -> FrameworkTree:
    """The whole framework at a glance: sections, their subsections and, per subsection, the outcomes
    of each grade (the layout of the ministry's syllabus tables). Three queries whatever its size."""
    outcomes = list(
        framework.outcomes.filter(deleted_at__isnull=True)
        .only("id", "framework_id", "code", "grade", "title_ru", "title_kz", "subsection_id", "is_active", "display_order")
        .order_by("display_order", "code_sort")  # siblings in their display order (the tree editor sets it)
    )
    subject = framework.subject
    grades = sorted(set(range(subject.grade_from, subject.grade_to + 1)) | {outcome.grade for outcome in outcomes})
    column = {grade: index for index, grade in enumerate(grades)}
    cells: dict[int, list[list[LearningOutcome]]] = {}
    for outcome in outcomes:
        row = cells.setdefault(outcome.subsection_id, [[] for _grade in grades])
        row[column[outcome.grade]].append(outcome)
    sections = framework.sections.order_by("display_order", "code_sort").prefetch_related(
        Prefetch("subsections", queryset=Subsection.objects.order_by("display_order", "code_sort"))
    )
    blocks = [
        SectionBlock(
            section=section,
            rows=[
                SubsectionRow(subsection, cells.get(subsection.pk, [[] for _grade in grades]))
                for subsection in section.subsections.all()
            ],
        )
        for section in sections
    ]
    return FrameworkTree(framework=framework, grades=grades, sections=blocks, outcome_count=len(outcomes))


def learning_outcome_list(
    *, outcomes: QuerySet | None = None, framework=None, grade=None, section=None, subsection=None,
    code_prefix: str | None = None, is_active: bool | None = None, search: str | None = None,
) -> QuerySet:
    """Outcomes (not soft-deleted) in code order, narrowed by any of the given filters.

    `code_prefix` matches whole segments: "7.2.1" finds 7.2.1.1 and 7.2.1.12 but not 7.2.10.1.
    `search` looks in the Russian and the Kazakh text (case-insensitive).
    """
    outcomes = LearningOutcome.objects.all() if outcomes is None else outcomes
    outcomes = outcomes.filter(deleted_at__isnull=True)
    if framework is not None:
        outcomes = outcomes.filter(framework=framework)
    if grade is not None:
        outcomes = outcomes.filter(grade=grade)
    if section is not None:
        outcomes = outcomes.filter(subsection__section=section)
    if subsection is not None:
        outcomes = outcomes.filter(subsection=subsection)
    if code_prefix:
        prefix = code_prefix.rstrip(".")
        outcomes = outcomes.filter(Q(code=prefix) | Q(code__startswith=f"{prefix}."))
    if is_active is not None:
        outcomes = outcomes.filter(is_active=is_active)
    if search:
        outcomes = outcomes.filter(Q(title_ru__icontains=search) | Q(title_kz__icontains=search))
    return outcomes.order_by("framework_id", "code_sort")


def framework_structure(*, frameworks: QuerySet | None = None) -> QuerySet:
    """Frameworks with their sections -> subsections -> outcomes prefetched in code order: four
    queries for a framework whatever its size."""
    frameworks = Framework.objects.all() if frameworks is None else frameworks
    outcomes = LearningOutcome.objects.filter(deleted_at__isnull=True).order_by("code_sort")
    subsections = Subsection.objects.order_by("code_sort").prefetch_related(Prefetch("outcomes", queryset=outcomes))
    sections = Section.objects.order_by("code_sort").prefetch_related(Prefetch("subsections", queryset=subsections))
    return frameworks.select_related("subject").prefetch_related(Prefetch("sections", queryset=sections))

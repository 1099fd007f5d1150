"""Restructuring a framework in place (services: keyword-only arguments, one transaction each): the tree
editor (curriculum/tree_views.py) and anything else that reorders, moves, renumbers, adds, edits or
deactivates sections, subsections and outcomes.

Codes follow curriculum/codes.py: renumbering a section or subsection re-derives every code below it
(section 1 -> 3: subsection 1.2 -> 3.2, outcome 7.1.2.4 -> 7.3.2.4), moving an outcome or subsection
gives it the next free number under its new parent. Rows keep their ids, so alignments, version links
and CASE identifiers (kept by the database, migration stable_case_identifiers) stay with them. Sibling order is the
`display_order` (CASE listEnumeration); codes are never reshuffled by a drag.

Only the super-admin (methodologist) context may do any of it (row-level security refuses others
anyway), and never on a superseded framework (one that has a newer version).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from curriculum.codes import outcome_code_error, section_code_error, subsection_code_error
from curriculum.models import Framework, LearningOutcome, Section, Subsection
from curriculum.services import GOSO_WRITERS_ONLY, goso_item_create, goso_item_update
from database_errors import user_errors_from_database
from tenants.context import require_super_admin

KINDS = {"section": Section, "subsection": Subsection, "outcome": LearningOutcome}
EDITABLE_FIELDS = {
    "section": ("name_ru", "name_kz"),
    "subsection": ("name_ru", "name_kz"),
    "outcome": ("title_ru", "title_kz"),
}


@dataclass(frozen=True)
class CodeChange:
    """One row whose code (and maybe parent) a restructuring changes."""

    kind: str
    pk: int
    old_code: str
    new_code: str
    text: str


def kind_of(node: models.Model) -> str:
    return next(kind for kind, model in KINDS.items() if isinstance(node, model))


def _label(node) -> str:
    """How a message names a row: "section 1 «Числа»"."""
    kinds = {"section": _("section"), "subsection": _("subsection"), "outcome": _("learning outcome")}
    text = getattr(node, "name_ru", None) or getattr(node, "title_ru", "")
    text = text if len(text) <= 60 else f"{text[:59]}…"
    return f"{kinds[kind_of(node)]} {node.code} «{text}»"


def framework_of(node: models.Model) -> Framework:
    if isinstance(node, Section):
        return node.framework
    if isinstance(node, Subsection):
        return node.section.framework
    return node.framework


def _refuse_unless_editable(framework: Framework) -> None:
    require_super_admin(GOSO_WRITERS_ONLY)
    newer = Framework.objects.filter(previous_version=framework).only("code").first()
    if newer is not None:
        raise ValidationError(
            _("“%(framework)s” is superseded by its newer version %(newer)s: change that version instead.")
            % {"framework": framework.code, "newer": newer.code},
            code="superseded",
        )


def _refuse(node, message: str, code: str):
    raise ValidationError(_("%(row)s: %(problem)s") % {"row": _label(node), "problem": message}, code=code)


def _siblings(node) -> models.QuerySet:
    """The rows the node is ordered among: a section's framework, a subsection's section, an outcome's
    subsection and grade (one cell of the tree)."""
    if isinstance(node, Section):
        return Section.objects.filter(framework_id=node.framework_id)
    if isinstance(node, Subsection):
        return Subsection.objects.filter(section_id=node.section_id)
    return LearningOutcome.objects.filter(subsection_id=node.subsection_id, grade=node.grade, deleted_at__isnull=True)


def _next_number(codes, prefix: str) -> int:
    numbers = [int(code.rsplit(".", 1)[1]) for code in codes if code.rsplit(".", 1)[0] == prefix]
    return max(numbers, default=0) + 1


# --- renumbering and moving: a plan first (the preview), then its application ----------------------


def _branch_plan(*, node, new_code: str, section: Section | None = None) -> list[CodeChange]:
    """The code changes of renumbering a section, or a subsection (possibly into another `section`)."""
    new_code = (new_code or "").strip()
    framework = framework_of(node)
    if isinstance(node, Section):
        if error := section_code_error(new_code):
            _refuse(node, error, "code_format")
        taken = Section.objects.filter(framework=framework, code=new_code).exclude(pk=node.pk).first()
        subsections = list(node.subsections.order_by("code_sort"))
        new_subsection_codes = {row.pk: f"{new_code}.{row.code.split('.', 1)[1]}" for row in subsections}
        changes = [CodeChange("section", node.pk, node.code, new_code, node.name_ru)]
    else:
        section = section or node.section
        if section.framework_id != framework.pk:
            _refuse(node, _("section %(code)s belongs to another framework") % {"code": section.code}, "other_framework")
        if error := subsection_code_error(new_code, section_code=section.code):
            _refuse(node, error, "code_format")
        taken = Subsection.objects.filter(section=section, code=new_code).exclude(pk=node.pk).first()
        subsections = [node]
        new_subsection_codes = {node.pk: new_code}
        changes = []
    if taken is not None:
        _refuse(node, _("the code %(code)s is already taken by %(other)s") % {"code": new_code, "other": _label(taken)}, "taken")
    changes += [
        CodeChange("subsection", row.pk, row.code, new_subsection_codes[row.pk], row.name_ru) for row in subsections
    ]
    outcomes = LearningOutcome.objects.filter(subsection__in=subsections).order_by("code_sort")
    outcome_changes = [
        CodeChange("outcome", row.pk, row.code, f"{row.grade}.{new_subsection_codes[row.subsection_id]}.{row.code.rsplit('.', 1)[1]}", row.title_ru)
        for row in outcomes.only("id", "code", "grade", "subsection_id", "title_ru")
    ]
    _refuse_outcome_collisions(framework, outcome_changes)
    return [change for change in changes + outcome_changes if change.old_code != change.new_code]


def _refuse_outcome_collisions(framework, changes: list[CodeChange]) -> None:
    """A new outcome code held by an outcome outside the change (also an inactive or deleted one)."""
    moving = {change.pk for change in changes}
    holder = (
        LearningOutcome.objects.filter(framework=framework, code__in=[change.new_code for change in changes])
        .exclude(pk__in=moving).first()
    )
    if holder is not None:
        change = next(change for change in changes if change.new_code == holder.code)
        raise ValidationError(
            _("learning outcome %(code)s cannot become %(new)s: that code is already taken by %(other)s") % {
                "code": change.old_code, "new": change.new_code, "other": _label(holder),
            },
            code="taken",
        )


# The cross-table code rules (deferrable constraint triggers, curriculum/migrations/0002): a branch is
# half renamed between two statements. Named, so that no other constraint's mode changes.
CODE_RULES = (
    "learning_outcomes_place", "goso_subsections_outcome_places", "goso_sections_outcome_places",
    "goso_subsections_code", "goso_sections_subsection_codes",
)


def _apply(changes: list[CodeChange], *, parent: tuple[models.Model, str, int] | None = None) -> list[CodeChange]:
    """Write the codes (and a moved row's new parent) in one transaction, the code rules checked
    once everything is written, before the block ends."""
    rules = ", ".join(CODE_RULES)
    with user_errors_from_database(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {rules} DEFERRED")
        if parent is not None:
            row, field, value = parent
            type(row).objects.filter(pk=row.pk).update(**{field: value})
        for kind, model in KINDS.items():
            rows = [model(pk=change.pk, code=change.new_code) for change in changes if change.kind == kind]
            if rows:
                model.objects.bulk_update(rows, ["code"], batch_size=1000)
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {rules} IMMEDIATE")
    return changes


def branch_renumber_preview(*, node: Section | Subsection, new_code: str) -> list[CodeChange]:
    """Old code -> new code of every row that renumbering `node` to `new_code` changes; writes nothing."""
    _refuse_unless_editable(framework_of(node))
    return _branch_plan(node=node, new_code=new_code)


def branch_renumber(*, node: Section | Subsection, new_code: str) -> list[CodeChange]:
    """Renumber a section or subsection and everything below it, in one transaction."""
    return _apply(branch_renumber_preview(node=node, new_code=new_code))


def _subsection_move_plan(*, subsection: Subsection, section: Section, code: str | None) -> list[CodeChange]:
    if code is None:
        code = f"{section.code}.{_next_number(section.subsections.values_list('code', flat=True), section.code)}"
    return _branch_plan(node=subsection, new_code=code, section=section)


def _outcome_move_plan(*, outcome: LearningOutcome, subsection: Subsection, code: str | None) -> list[CodeChange]:
    if subsection.section.framework_id != outcome.framework_id:
        _refuse(outcome, _("subsection %(code)s belongs to another framework") % {"code": subsection.code}, "other_framework")
    prefix = f"{outcome.grade}.{subsection.code}"
    if code is None:
        held = LearningOutcome.objects.filter(framework_id=outcome.framework_id, code__startswith=f"{prefix}.")
        code = f"{prefix}.{_next_number(held.exclude(pk=outcome.pk).values_list('code', flat=True), prefix)}"
    code = code.strip()
    if error := outcome_code_error(code, grade=outcome.grade, subsection_code=subsection.code):
        _refuse(outcome, error, "code_format")
    change = CodeChange("outcome", outcome.pk, outcome.code, code, outcome.title_ru)
    _refuse_outcome_collisions(outcome.framework, [change])
    return [change]


def node_move_preview(*, node: Subsection | LearningOutcome, parent: Section | Subsection, code: str | None = None) -> list[CodeChange]:
    """The code changes of moving a subsection to another section, or an outcome to another subsection
    (next free number there unless `code` is given); writes nothing."""
    _refuse_unless_editable(framework_of(node))
    if isinstance(node, Subsection) and isinstance(parent, Section):
        return _subsection_move_plan(subsection=node, section=parent, code=code)
    if isinstance(node, LearningOutcome) and isinstance(parent, Subsection):
        return _outcome_move_plan(outcome=node, subsection=parent, code=code)
    _refuse(node, _("it cannot be placed there"), "wrong_parent")


def node_move(*, node: Subsection | LearningOutcome, parent: Section | Subsection, code: str | None = None,
              order: list[int] | None = None) -> list[CodeChange]:
    """Move a subsection or outcome under `parent` (codes re-derived), in one transaction; `order`, the
    ids of its new siblings in their new order, places it among them."""
    changes = node_move_preview(node=node, parent=parent, code=code)
    field = "section_id" if isinstance(node, Subsection) else "subsection_id"
    with transaction.atomic():
        _apply(changes, parent=(node, field, parent.pk))
        if order:
            node.refresh_from_db()
            siblings_reorder(kind=kind_of(node), ids=order)
    return changes


# --- order among siblings ------------------------------------------------------------------------


def siblings_reorder(*, kind: str, ids: list[int]) -> None:
    """Put these siblings (all of one parent; for outcomes, of one grade too) in this order: their
    display_order becomes 1, 2, 3... Codes do not change (renumber for that)."""
    model = KINDS[kind]
    rows = {row.pk: row for row in model.objects.filter(pk__in=ids)}
    if not rows or len(rows) != len(set(ids)):
        raise ValidationError(_("Some of the rows to reorder no longer exist; reload the page."), code="missing")
    first = rows[ids[0]]
    _refuse_unless_editable(framework_of(first))
    parent_ids = set(_siblings(first).filter(pk__in=ids).values_list("pk", flat=True))
    if parent_ids != set(ids):
        _refuse(first, _("only rows of one parent can be put in order together"), "mixed_parents")
    with user_errors_from_database(), transaction.atomic():
        model.objects.bulk_update(
            [model(pk=pk, display_order=position) for position, pk in enumerate(ids, start=1)], ["display_order"]
        )


def sibling_step(*, node, step: int) -> None:
    """Move a row one place up (step -1) or down (+1) among its siblings."""
    ordered = list(_siblings(node).order_by("display_order", "code_sort").values_list("pk", flat=True))
    index = ordered.index(node.pk)
    target = index + step
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
        siblings_reorder(kind=kind_of(node), ids=ordered)
    else:
        _refuse_unless_editable(framework_of(node))


# --- adding, editing, deactivating in place ---------------------------------------------------------


def node_add(*, parent: Framework | Section | Subsection, grade: int | None = None, code: str | None = None,
             **texts) -> models.Model:
    """Add a section to a framework, a subsection to a section, or an outcome of `grade` to a
    subsection, with the next free code unless `code` is given, after its last sibling."""
    if isinstance(parent, Framework):
        framework, model, fields = parent, Section, {"framework": parent}
        siblings = Section.objects.filter(framework=parent)
        codes, prefix = siblings.values_list("code", flat=True), None
    elif isinstance(parent, Section):
        framework, model, fields = parent.framework, Subsection, {"section": parent}
        siblings = Subsection.objects.filter(section=parent)
        codes, prefix = siblings.values_list("code", flat=True), parent.code
    else:
        framework, model = parent.section.framework, LearningOutcome
        if grade is None:
            raise ValidationError({"grade": _("Choose the grade of the new learning outcome.")})
        fields = {"framework": framework, "subsection": parent, "grade": grade}
        siblings = LearningOutcome.objects.filter(subsection=parent, grade=grade)
        prefix = f"{grade}.{parent.code}"
        codes = LearningOutcome.objects.filter(framework=framework, code__startswith=f"{prefix}.").values_list("code", flat=True)
    _refuse_unless_editable(framework)
    if not code:
        code = str(max((int(c) for c in codes), default=0) + 1) if prefix is None else f"{prefix}.{_next_number(codes, prefix)}"
    allowed = {name: (value or "").strip() for name, value in texts.items() if name in EDITABLE_FIELDS[kind_of(model())]}
    display_order = (siblings.aggregate(last=Max("display_order"))["last"] or 0) + 1
    return goso_item_create(model=model, code=code.strip(), display_order=display_order, **fields, **allowed)


def node_edit(*, node, **texts) -> models.Model:
    """Change a row's names or texts (not its code: renumber or move for that)."""
    _refuse_unless_editable(framework_of(node))
    allowed = {name: (value or "").strip() for name, value in texts.items() if name in EDITABLE_FIELDS[kind_of(node)]}
    return goso_item_update(item=node, **allowed)


def node_set_active(*, node, active: bool) -> models.Model:
    """Deactivate (or reactivate) a row; it keeps its code, alignments and identifiers."""
    _refuse_unless_editable(framework_of(node))
    return goso_item_update(item=node, is_active=active)

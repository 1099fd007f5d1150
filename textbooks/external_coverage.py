"""Coverage of a textbook against an external framework (Cambridge, IB, NIS: curriculum's external store).

An item counts as covered when a paragraph of the textbook is aligned to it directly, or through a
crosswalk: the paragraph teaches a GOSO outcome that a methodologist marked an exact match of the item
(curriculum Crosswalk, exactMatchOf). So a school that aligned its textbook to GOSO sees its coverage of a
crosswalked international framework without aligning again. Weaker crosswalks (isRelatedTo, isPartOf)
are shown beside an item as hints but do not cover it: teaching part of an item is not teaching it.

The tally counts the framework's leaf items (those without current children): the others are headings
(strands, units) whose coverage is their children's. Deprecated items are left out. Seven queries
whatever the sizes; only the textbook's own paragraphs and alignments count (as in textbooks/coverage.py).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from curriculum.external import external_tree
from curriculum.models import Crosswalk, ExternalFramework
from tenants.context import TenantContext
from textbooks.coverage import ParagraphRef, Teaching, _min_confidence, share
from textbooks.models import ExternalAlignment, Paragraph, ParagraphOutcome, Textbook
from textbooks.selectors import visible_to

COVERING_CROSSWALKS = frozenset({Crosswalk.AssociationType.EXACT_MATCH_OF})


@dataclass(frozen=True)
class CrosswalkTeaching:
    """A paragraph teaches a GOSO outcome linked to the item by a crosswalk."""

    outcome_code: str
    association_type: str
    teaching: Teaching

    @property
    def covers(self) -> bool:
        return self.association_type in COVERING_CROSSWALKS


@dataclass
class ItemCoverage:
    id: int
    code: str
    statement: str
    depth: int
    is_leaf: bool = True
    taught_by: list[Teaching] = field(default_factory=list)
    through_crosswalks: list[CrosswalkTeaching] = field(default_factory=list)

    @property
    def covered_directly(self) -> bool:
        return bool(self.taught_by)

    @property
    def covered_through_crosswalk(self) -> bool:
        return any(teaching.covers for teaching in self.through_crosswalks)

    @property
    def covered(self) -> bool:
        return self.covered_directly or self.covered_through_crosswalk


@dataclass
class ExternalCoverage:
    textbook: Textbook
    framework: ExternalFramework
    min_confidence: Decimal | None
    items: list[ItemCoverage]  # the framework's tree in order, headings included (depth from 0)
    paragraphs_total: int
    unaligned_paragraphs: list[ParagraphRef]  # teaching none of the framework's items, directly or through a crosswalk

    @property
    def leaf_items(self) -> list[ItemCoverage]:
        return [item for item in self.items if item.is_leaf]

    @property
    def items_total(self) -> int:
        return len(self.leaf_items)

    @property
    def items_covered(self) -> int:
        return sum(1 for item in self.leaf_items if item.covered)

    @property
    def items_covered_directly(self) -> int:
        return sum(1 for item in self.leaf_items if item.covered_directly)

    @property
    def covered_share(self) -> float | None:
        return share(self.items_covered, self.items_total)


def _tree(framework: ExternalFramework) -> list[ItemCoverage]:
    """Current items depth first, in the order the framework's tree page shows them (curriculum)."""
    ordered: list[ItemCoverage] = []
    stack = [(node, 0) for node in reversed(external_tree(framework=framework))]
    while stack:  # without recursion: external trees can be deep
        node, depth = stack.pop()
        item = node["item"]
        if item.is_deprecated:
            continue
        current_children = [child for child in node["children"] if not child["item"].is_deprecated]
        ordered.append(ItemCoverage(
            id=item.pk, code=item.human_coding_scheme, statement=item.full_statement or item.abbreviated_statement,
            depth=depth, is_leaf=not current_children,
        ))
        stack.extend((child, depth + 1) for child in reversed(current_children))
    return ordered


def textbook_external_coverage(
    *, context: TenantContext, textbook_id: int, framework_id: int, min_confidence: Decimal | None = None,
) -> ExternalCoverage:
    """The coverage of a textbook visible in `context` against an external framework.

    Raises Textbook.DoesNotExist for a textbook the context cannot see, ValidationError for an unknown
    framework or a confidence out of range.
    """
    textbook = visible_to(Textbook.objects.all(), context=context).filter(pk=textbook_id).first()
    if textbook is None:
        raise Textbook.DoesNotExist(_("Textbook not found."))
    min_confidence = _min_confidence(min_confidence)
    framework = ExternalFramework.objects.filter(pk=framework_id).first()
    if framework is None:
        raise ValidationError({"framework": _("No external framework has this id.")})

    items = _tree(framework)
    by_id = {item.id: item for item in items}
    paragraphs = {
        row[0]: ParagraphRef(*row)
        for row in Paragraph.objects.filter(chapter__textbook=textbook)
        .order_by("chapter__sort_order", "chapter__number", "sort_order", "number")
        .values_list("id", "chapter__number", "number", "title")
    }
    aligned = set()

    direct = ExternalAlignment.objects.filter(paragraph__chapter__textbook=textbook, external_item__framework=framework)
    if min_confidence is not None:
        direct = direct.filter(confidence__gte=min_confidence)
    for paragraph_id, item_id, confidence in direct.order_by().values_list("paragraph_id", "external_item_id", "confidence"):
        if item_id in by_id:
            by_id[item_id].taught_by.append(Teaching(paragraphs[paragraph_id], confidence))
            aligned.add(paragraph_id)

    crosswalks: dict[int, list[tuple[int, str, str]]] = {}  # outcome -> (item, type, outcome code)
    for outcome_id, item_id, association_type, code in (
        Crosswalk.objects.filter(external_item__framework=framework).order_by()
        .values_list("outcome_id", "external_item_id", "association_type", "outcome__code")
    ):
        if item_id in by_id:
            crosswalks.setdefault(outcome_id, []).append((item_id, association_type, code))
    if crosswalks:
        through = ParagraphOutcome.objects.filter(paragraph__chapter__textbook=textbook, outcome_id__in=crosswalks)
        if min_confidence is not None:
            through = through.filter(confidence__gte=min_confidence)
        for paragraph_id, outcome_id, confidence in through.order_by().values_list("paragraph_id", "outcome_id", "confidence"):
            for item_id, association_type, code in crosswalks[outcome_id]:
                teaching = CrosswalkTeaching(code, association_type, Teaching(paragraphs[paragraph_id], confidence))
                by_id[item_id].through_crosswalks.append(teaching)
                if teaching.covers:
                    aligned.add(paragraph_id)

    order = {paragraph_id: index for index, paragraph_id in enumerate(paragraphs)}
    for item in items:
        item.taught_by.sort(key=lambda teaching: order[teaching.paragraph.id])
        item.through_crosswalks.sort(key=lambda crosswalk: (order[crosswalk.teaching.paragraph.id], crosswalk.outcome_code))
    return ExternalCoverage(
        textbook=textbook, framework=framework, min_confidence=min_confidence, items=items,
        paragraphs_total=len(paragraphs),
        unaligned_paragraphs=[paragraph for paragraph_id, paragraph in paragraphs.items() if paragraph_id not in aligned],
    )

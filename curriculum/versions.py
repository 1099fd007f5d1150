"""Framework versions: a new version of a framework for an amending order, and the links between the
outcomes of a version and its previous one.

A methodologist creates the new version (a copy of sections, subsections and outcomes), edits it,
and reviews the proposed links: same code, or similar text where a code changed. Accepted links are
what textbooks/versions.py carries alignments over by (curriculum knows nothing of textbooks).
The old version stays readable; the validity dates say which one is in force when.
"""

import datetime
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from curriculum.models import Framework, LearningOutcome, OutcomeVersionLink, Section, Subject, Subsection
from tenants.context import require_super_admin
from database_errors import user_errors_from_database
from languages import text_label

# Below this share of matching text (difflib's ratio) two outcomes with different codes are not proposed.
SIMILARITY_THRESHOLD = 0.6

# What a new version copies of sections and subsections (BRANCH_FIELDS) and of outcomes; anything
# else (identifiers, timestamps) the new rows get afresh.
BRANCH_FIELDS = ("code", "name_ru", "name_kz", "description_ru", "description_kz", "display_order", "is_active")
OUTCOME_FIELDS = (
    "grade", "code", "title_ru", "title_kz", "description_ru", "description_kz", "cognitive_level",
    "display_order", "is_sample", "is_active",
)


def _copy(row, fields, **extra):
    return type(row)(**{name: getattr(row, name) for name in fields}, **extra)


def framework_new_version(
    *, framework: Framework, code: str, order_number: str, order_date: datetime.date | None = None,
    valid_from: datetime.date | None = None, title_ru: str | None = None, title_kz: str | None = None,
) -> Framework:
    """Create the next version of `framework` (for the amending order `order_number`): a copy of its
    sections, subsections and outcomes, in force from `valid_from` (default: the order's date), with
    the old version ending the day before (unless it ended earlier). Proposes the outcome links
    (all "same code" at first).
    """
    require_super_admin(_("Only methodologists can create a new version of a framework."))
    code = (code or "").strip()
    valid_from = valid_from or order_date
    errors = {}
    if not code:
        errors["code"] = _("Give the new version a code.")
    elif Framework.objects.filter(code=code).exists():
        errors["code"] = _("A framework with the code “%(code)s” already exists.") % {"code": code}
    if valid_from is None:
        errors["valid_from"] = _("Give the date the new version takes effect (or the order's date).")
    elif framework.valid_from and valid_from <= framework.valid_from:
        errors["valid_from"] = _(
            "The new version must take effect after the current one (in force from %(date)s)."
        ) % {"date": framework.valid_from.isoformat()}
    if errors:
        raise ValidationError(errors)
    if newer := framework.next_versions.first():
        raise ValidationError(
            _("“%(framework)s” already has a newer version (%(code)s); create the next version from that one.")
            % {"framework": framework.code, "code": newer.code},
            code="has_newer_version",
        )

    with user_errors_from_database(), transaction.atomic():
        new = Framework.objects.create(
            code=code, subject_id=framework.subject_id, previous_version=framework,
            title_ru=title_ru or framework.title_ru, title_kz=framework.title_kz if title_kz is None else title_kz,
            document_type=framework.document_type, order_number=order_number, order_date=order_date,
            ministry_ru=framework.ministry_ru, ministry_kz=framework.ministry_kz,
            appendix_number=framework.appendix_number, amendments=framework.amendments, valid_from=valid_from,
        )
        # The old version ends the day before, unless it has ended earlier already.
        Framework.objects.filter(pk=framework.pk).exclude(valid_to__lt=valid_from).update(
            valid_to=valid_from - datetime.timedelta(days=1), updated_at=timezone.now()
        )
        sections = list(framework.sections.all())
        new_sections = Section.objects.bulk_create([_copy(row, BRANCH_FIELDS, framework=new) for row in sections])
        section_of = {old.pk: copy for old, copy in zip(sections, new_sections)}
        subsections = list(Subsection.objects.filter(section__framework=framework))
        new_subsections = Subsection.objects.bulk_create(
            [_copy(row, BRANCH_FIELDS, section=section_of[row.section_id]) for row in subsections]
        )
        subsection_of = {old.pk: copy for old, copy in zip(subsections, new_subsections)}
        LearningOutcome.objects.bulk_create(
            [
                _copy(row, OUTCOME_FIELDS, framework=new, subsection=subsection_of[row.subsection_id])
                for row in framework.outcomes.filter(deleted_at__isnull=True)
            ]
        )
        version_links_propose(framework=new)
    framework.refresh_from_db(fields=["valid_to", "updated_at"])
    return new


def _comparable(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _outcome_text(outcome) -> str:
    return _comparable(outcome.title_ru or outcome.title_kz)


def text_similarity(old, new) -> Decimal:
    """How much of the two outcomes' text is the same, 0 to 1 (Russian text, else Kazakh)."""
    ratio = SequenceMatcher(None, _outcome_text(old), _outcome_text(new), autojunk=False).ratio()
    return Decimal(str(round(ratio, 3)))


def _similar_pairs(old_outcomes, new_outcomes, threshold):
    """(ratio, old, new) for every pair of the same grade at or above the threshold, best first."""
    pairs = []
    for new in new_outcomes:
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(_outcome_text(new))
        for old in old_outcomes:
            if old.grade != new.grade:
                continue
            matcher.set_seq1(_outcome_text(old))
            if matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold:
                if (ratio := matcher.ratio()) >= threshold:
                    pairs.append((ratio, old, new))
    pairs.sort(key=lambda pair: (-pair[0], pair[1].code, pair[2].code))
    return pairs


def version_links_propose(*, framework: Framework, threshold: float = SIMILARITY_THRESHOLD) -> list[OutcomeVersionLink]:
    """(Re)compute the proposed links from the previous version's outcomes to `framework`'s.

    Decided links stay as they are: an outcome with an accepted link gets no other proposal, and a
    rejected pair is never proposed again. Each remaining old outcome is proposed the new outcome
    with its code, else the one with the most similar text (same grade, one to one).
    """
    require_super_admin(_("Only methodologists can review framework versions."))
    previous = framework.previous_version
    if previous is None:
        raise ValidationError(
            _("“%(framework)s” is not a new version of another framework.") % {"framework": framework.code},
            code="no_previous_version",
        )
    fields = ("id", "code", "grade", "title_ru", "title_kz")
    old_outcomes = list(previous.outcomes.filter(deleted_at__isnull=True).only(*fields).order_by("code_sort"))
    new_outcomes = list(framework.outcomes.filter(deleted_at__isnull=True).only(*fields).order_by("code_sort"))
    links = OutcomeVersionLink.objects.filter(new_outcome__framework=framework)
    with user_errors_from_database(), transaction.atomic():
        links.filter(status=OutcomeVersionLink.Status.PROPOSED).delete()
        decided = list(links.values_list("old_outcome_id", "new_outcome_id", "status"))
        decided_pairs = {(old_id, new_id) for old_id, new_id, _status in decided}
        matched_old = {old_id for old_id, _new, status in decided if status == OutcomeVersionLink.Status.ACCEPTED}
        matched_new = {new_id for _old, new_id, status in decided if status == OutcomeVersionLink.Status.ACCEPTED}

        proposals = []

        def propose(old, new, kind, similarity):
            proposals.append(OutcomeVersionLink(old_outcome=old, new_outcome=new, kind=kind, similarity=similarity))
            matched_old.add(old.pk)
            matched_new.add(new.pk)

        new_by_code = {outcome.code: outcome for outcome in new_outcomes}
        for old in old_outcomes:
            new = new_by_code.get(old.code)
            if old.pk in matched_old or new is None or new.pk in matched_new or (old.pk, new.pk) in decided_pairs:
                continue
            propose(old, new, OutcomeVersionLink.Kind.SAME_CODE, text_similarity(old, new))
        candidates = _similar_pairs(
            [outcome for outcome in old_outcomes if outcome.pk not in matched_old],
            [outcome for outcome in new_outcomes if outcome.pk not in matched_new],
            threshold,
        )
        for ratio, old, new in candidates:
            if old.pk not in matched_old and new.pk not in matched_new and (old.pk, new.pk) not in decided_pairs:
                propose(old, new, OutcomeVersionLink.Kind.SIMILAR_TEXT, Decimal(str(round(ratio, 3))))
        return OutcomeVersionLink.objects.bulk_create(proposals)


def version_links_decide(*, links, status: str, user=None) -> int:
    """Accept or reject links (or return them to "proposed"); returns how many were decided."""
    require_super_admin(_("Only methodologists can review framework versions."))
    if status not in OutcomeVersionLink.Status.values:
        raise ValidationError(_("Unknown link status “%(status)s”.") % {"status": status}, code="invalid_status")
    ids = [link.pk for link in links]
    undecided = status == OutcomeVersionLink.Status.PROPOSED
    with user_errors_from_database(), transaction.atomic():
        decided = OutcomeVersionLink.objects.filter(pk__in=ids).update(
            status=status, decided_by=None if undecided else user, decided_at=None if undecided else timezone.now()
        )
    return decided


@dataclass(frozen=True)
class TextChange:
    old_code: str
    new_code: str
    old_title_ru: str
    new_title_ru: str
    old_title_kz: str
    new_title_kz: str


def version_text_changes(*, framework: Framework) -> list[TextChange]:
    """The accepted links whose outcome text (Russian or Kazakh) differs between the two versions."""
    links = (
        accepted_links(framework=framework)
        .select_related("old_outcome", "new_outcome")
        .order_by("new_outcome__code_sort", "old_outcome__code_sort")
    )
    return [
        TextChange(
            link.old_outcome.code, link.new_outcome.code, link.old_outcome.title_ru, link.new_outcome.title_ru,
            link.old_outcome.title_kz, link.new_outcome.title_kz,
        )
        for link in links
        if (link.old_outcome.title_ru, link.old_outcome.title_kz) != (link.new_outcome.title_ru, link.new_outcome.title_kz)
    ]


def accepted_links(*, framework: Framework) -> QuerySet:
    return OutcomeVersionLink.objects.filter(new_outcome__framework=framework, status=OutcomeVersionLink.Status.ACCEPTED)


@dataclass
class VersionReview:
    framework: Framework
    previous: Framework
    links: list[OutcomeVersionLink]
    unlinked_old: list[LearningOutcome]  # removed, or still to be linked by hand
    unlinked_new: list[LearningOutcome]  # added in the new version
    counts: dict[str, int]


def version_review(*, framework: Framework) -> VersionReview:
    """Everything a methodologist reviews for a new version: the links (in the new version's code
    order) and the outcomes of either version that no link mentions. Four queries."""
    previous = framework.previous_version
    if previous is None:
        raise ValidationError(
            _("“%(framework)s” is not a new version of another framework.") % {"framework": framework.code},
            code="no_previous_version",
        )
    links = list(
        OutcomeVersionLink.objects.filter(new_outcome__framework=framework)
        .select_related("old_outcome", "new_outcome", "decided_by")
        .order_by("new_outcome__code_sort", "old_outcome__code_sort")
    )
    linked_old = {link.old_outcome_id for link in links}
    linked_new = {link.new_outcome_id for link in links}
    outcomes = LearningOutcome.objects.filter(deleted_at__isnull=True).order_by("code_sort")
    counts = {status: 0 for status in OutcomeVersionLink.Status.values}
    for link in links:
        counts[link.status] += 1
    return VersionReview(
        framework=framework,
        previous=previous,
        links=links,
        unlinked_old=[outcome for outcome in outcomes.filter(framework=previous) if outcome.pk not in linked_old],
        unlinked_new=[outcome for outcome in outcomes.filter(framework=framework) if outcome.pk not in linked_new],
        counts=counts,
    )


# Versions in sight ----------------------------------------------------------------------------
# Choosers, lists and the API name each framework with its subject, year and version number, and
# mark a version that a newer one supersedes (read-only then: migration 0007 refuses its writes).


@dataclass(frozen=True)
class FrameworkVersion:
    id: int
    code: str
    title: str
    subject: str
    year: int | None
    number: int  # 1 for a framework that is no new version of another
    previous_id: int | None
    next_id: int | None  # the version that supersedes this one
    current_id: int  # the newest version of this line (itself when not superseded)

    @property
    def is_superseded(self) -> bool:
        return self.next_id is not None

    @property
    def version(self) -> str:
        """"2022, v2"; "2018, v1, superseded" for an older version."""
        parts = [str(self.year)] if self.year else []
        parts.append(_("v%(number)s") % {"number": self.number})
        if self.is_superseded:
            parts.append(_("superseded"))
        return ", ".join(parts)

    @property
    def label(self) -> str:
        """Short, for prefixes and columns: "История Казахстана (2022, v2)"."""
        return f"{self.subject} ({self.version})"

    @property
    def full_label(self) -> str:
        """With the framework's own title, for framework choosers."""
        return f"{self.title} ({self.version})"


def framework_versions() -> dict[int, FrameworkVersion]:
    """Every framework's place in its line of versions: one query (frameworks are few)."""
    rows = {
        row["id"]: row
        for row in Framework.objects.values(
            "id", "code", "title_ru", "title_kz", "previous_version_id", "valid_from", "order_date", "subject__name_ru",
            "subject__name_kz",
        )
    }
    next_of = {row["previous_version_id"]: framework_id for framework_id, row in rows.items() if row["previous_version_id"]}

    def number(framework_id, seen=()):
        previous = rows[framework_id]["previous_version_id"]
        if previous is None or previous not in rows or previous in seen:
            return 1
        return number(previous, (*seen, framework_id)) + 1

    def current(framework_id):
        seen = {framework_id}
        while (following := next_of.get(framework_id)) is not None and following not in seen:
            seen.add(following)
            framework_id = following
        return framework_id

    versions = {}
    for framework_id, row in rows.items():
        date = row["valid_from"] or row["order_date"]
        versions[framework_id] = FrameworkVersion(
            id=framework_id, code=row["code"], year=date.year if date else None,
            # In the interface language (languages.py), as every other label.
            title=text_label(SimpleNamespace(title_ru=row["title_ru"], title_kz=row["title_kz"]), "title"),
            subject=text_label(SimpleNamespace(name_ru=row["subject__name_ru"], name_kz=row["subject__name_kz"]), "name"),
            number=number(framework_id), previous_id=row["previous_version_id"], next_id=next_of.get(framework_id),
            current_id=current(framework_id),
        )
    return versions


class VersionLabels:
    """Labels with framework and version for many rows at the cost of one query (loaded on first use)."""

    def __init__(self):
        self._versions = None

    def __getitem__(self, framework_id) -> FrameworkVersion:
        if self._versions is None:
            self._versions = remembered_framework_versions()
        if framework_id not in self._versions:
            self._versions = framework_versions()
        return self._versions[framework_id]

    def framework(self, framework) -> str:
        """The label of a framework (or framework id)."""
        return self[getattr(framework, "pk", framework)].label

    def framework_full(self, framework) -> str:
        return self[getattr(framework, "pk", framework)].full_label

    def outcome(self, outcome) -> str:
        """"История Казахстана (2022, v2) · 7.2.1.1 объяснять роль религии": the whole text."""
        return f"{self.framework(outcome.framework_id)} · {outcome.code} {text_label(outcome, 'title')}"

    def subsection(self, subsection) -> str:
        return f"{self.framework(subsection.section.framework_id)} · {subsection}"

    def section(self, section) -> str:
        return f"{self.framework(section.framework_id)} · {section}"


# framework_versions() for API responses, remembered by a process for a short time (a statement less per
# request): a framework or subject saved in this process clears it at once, other processes within the time.
VERSIONS_REMEMBERED_SECONDS = 30
_remembered_versions: list = [None, 0.0]


def remembered_framework_versions() -> dict[int, FrameworkVersion]:
    versions, until = _remembered_versions
    if versions is None or time.monotonic() > until:
        versions = framework_versions()
        _remembered_versions[:] = [versions, time.monotonic() + VERSIONS_REMEMBERED_SECONDS]
    return versions


def _forget_framework_versions(**kwargs):
    _remembered_versions[:] = [None, 0.0]


for _model in (Framework, Subject):
    post_save.connect(_forget_framework_versions, sender=_model, dispatch_uid=f"curriculum.versions.{_model.__name__}.saved")
    post_delete.connect(_forget_framework_versions, sender=_model, dispatch_uid=f"curriculum.versions.{_model.__name__}.deleted")


def framework_is_superseded(*, framework_id) -> bool:
    return Framework.objects.filter(previous_version_id=framework_id).exists()


def current_versions_only(outcomes: QuerySet) -> QuerySet:
    """Outcomes of frameworks that no newer version supersedes."""
    return outcomes.exclude(framework__in=Framework.objects.filter(next_versions__isnull=False).values("pk"))


# Version comparison ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeChange:
    old: LearningOutcome | None
    new: LearningOutcome | None
    kinds: tuple[str, ...]  # "changed" (text) and/or "renumbered" for a matched pair


@dataclass
class VersionComparison:
    old: Framework
    new: Framework
    added: list[LearningOutcome]
    removed: list[LearningOutcome]
    changed: list[OutcomeChange]  # text differs (it may be renumbered as well)
    renumbered: list[OutcomeChange]  # code differs (its text may have changed as well)
    unchanged: int

    @property
    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added), "removed": len(self.removed), "changed": len(self.changed),
            "renumbered": len(self.renumbered), "unchanged": self.unchanged,
        }


def version_line(*, framework_id, versions=None) -> list[int]:
    """The ids of every version of a framework (its line of versions), oldest first."""
    versions = framework_versions() if versions is None else versions
    line, seen = [], set()
    first = framework_id
    while versions[first].previous_id in versions and versions[first].previous_id not in seen:
        seen.add(first)
        first = versions[first].previous_id
    node = first
    while node is not None and node not in line:
        line.append(node)
        node = versions[node].next_id
    return line


def version_compare(*, old: Framework, new: Framework) -> VersionComparison:
    """What changed between two versions of the same line (either order: the older is `old`).

    Outcomes are matched through the accepted version links along the line (7.2.1.2 -> 7.2.1.5
    when a link says so), else by code; the rest are added or removed. A matched pair whose text
    (Russian or Kazakh) differs is changed, one whose code differs is renumbered. A few queries.
    """
    versions = framework_versions()
    line = version_line(framework_id=old.pk, versions=versions)
    if new.pk not in line or new.pk == old.pk:
        raise ValidationError(
            _("“%(new)s” is not another version of “%(old)s”: only versions of the same framework can be compared.")
            % {"new": new.code, "old": old.code},
            code="not_a_version",
        )
    if line.index(new.pk) < line.index(old.pk):
        old, new = new, old
    steps = line[line.index(old.pk): line.index(new.pk) + 1]
    fields = ("id", "framework_id", "code", "grade", "title_ru", "title_kz", "subsection_id")
    old_outcomes = list(old.outcomes.filter(deleted_at__isnull=True).only(*fields).order_by("code_sort"))
    new_outcomes = list(new.outcomes.filter(deleted_at__isnull=True).only(*fields).order_by("code_sort"))
    # Follow accepted links step by step through the versions in between (one query).
    step_links: dict[int, dict[int, int]] = {}
    for old_id, new_id, framework_id in OutcomeVersionLink.objects.filter(
        status=OutcomeVersionLink.Status.ACCEPTED, new_outcome__framework_id__in=steps[1:]
    ).values_list("old_outcome_id", "new_outcome_id", "new_outcome__framework_id"):
        step_links.setdefault(framework_id, {}).setdefault(old_id, new_id)
    new_by_id = {outcome.pk: outcome for outcome in new_outcomes}
    new_by_code = {outcome.code: outcome for outcome in new_outcomes}
    matched_new: set[int] = set()
    pairs, removed = [], []
    for outcome in old_outcomes:
        target = outcome.pk
        for framework_id in steps[1:]:
            target = step_links.get(framework_id, {}).get(target)
            if target is None:
                break
        counterpart = new_by_id.get(target) if target is not None else None
        if counterpart is None or counterpart.pk in matched_new:
            counterpart = new_by_code.get(outcome.code)
            if counterpart is not None and counterpart.pk in matched_new:
                counterpart = None
        if counterpart is None:
            removed.append(outcome)
            continue
        matched_new.add(counterpart.pk)
        pairs.append((outcome, counterpart))
    changed, renumbered, unchanged = [], [], 0
    for before, after in pairs:
        kinds = tuple(
            kind for kind, differs in (
                ("changed", (before.title_ru, before.title_kz) != (after.title_ru, after.title_kz)),
                ("renumbered", before.code != after.code),
            ) if differs
        )
        change = OutcomeChange(before, after, kinds)
        if "changed" in kinds:
            changed.append(change)
        if "renumbered" in kinds:
            renumbered.append(change)
        if not kinds:
            unchanged += 1
    added = [outcome for outcome in new_outcomes if outcome.pk not in matched_new]
    return VersionComparison(
        old=old, new=new, added=added, removed=removed, changed=changed, renumbered=renumbered, unchanged=unchanged,
    )

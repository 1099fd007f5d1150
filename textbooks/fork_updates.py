"""Fork updates, three-way: what changed in the global textbook since a school's copy took it over,
what the school changed in its copy, and taking the global changes over selectively or all at once.

The three sides of each chapter ("3") and paragraph ("3.2"), matched by number:
- base: the global content as the copy last took it over (textbooks.source_snapshot: written at the
  copy, then per chapter/paragraph by each apply);
- theirs: the global textbook now; ours: the copy now.
All three come from the database function textbook_content() (textbooks/migrations/0006, 0009), so they
have the same shape. Whatever differs between base and theirs is pending until decided: take theirs,
or keep ours (the base then moves to theirs, so the change is not offered again). A paragraph or
chapter the school changed itself, where the global one changed differently, is a conflict: only an
explicit decision resolves it, never "take all".

Alignments of a paragraph taken over, to GOSO outcomes ("alignments") and to external items
("external_alignments") alike, follow the global ones per outcome or item only where the school left
the alignment as copied (still absent, or the same confidence, anchor and notes as in the base); an
alignment the school added, changed or removed stays as the school has it.

Services take keyword-only arguments and apply in one transaction; row-level security lets a school
lock and write only its own copy.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Func
from django.utils.text import Truncator
from django.utils.translation import gettext as _, gettext_lazy

from curriculum.models import ExternalItem, LearningOutcome
from database_errors import user_errors_from_database
from textbooks.models import Chapter, Paragraph, Textbook
from textbooks.services import fork_sync

ALIGNMENTS = "alignments"
EXTERNAL_ALIGNMENTS = "external_alignments"
ALIGNMENT_KEYS = (ALIGNMENTS, EXTERNAL_ALIGNMENTS)
CHAPTER_FIELDS = ("title", "description", "sort_order")
PARAGRAPH_FIELDS = (
    "title", "content", "summary", "learning_objective", "lesson_objective", "key_terms", "questions", "sort_order",
)

THEIRS, OURS = "theirs", "ours"
KEY = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9})?", re.ASCII)


class Status(models.TextChoices):
    UNCHANGED = "unchanged", gettext_lazy("unchanged")
    LOCAL = "local", gettext_lazy("changed in this copy only")
    ADDED = "added", gettext_lazy("added in the global textbook")
    CHANGED = "changed", gettext_lazy("changed in the global textbook")
    REMOVED = "removed", gettext_lazy("removed from the global textbook")
    SAME = "same", gettext_lazy("changed alike in both")
    CONFLICT = "conflict", gettext_lazy("conflict: changed in both")


PENDING = frozenset({Status.ADDED, Status.CHANGED, Status.REMOVED, Status.SAME, Status.CONFLICT})


class TextbookContent(Func):
    function = "textbook_content"
    output_field = models.JSONField()


def item_key(chapter: int, paragraph: int | None = None) -> str:
    return str(chapter) if paragraph is None else f"{chapter}.{paragraph}"


def parse_key(key: str) -> tuple[int, int | None]:
    chapter, _dot, paragraph = key.partition(".")
    return int(chapter), int(paragraph) if paragraph else None


def item_label(key: str) -> str:
    chapter, paragraph = parse_key(key)
    if paragraph is None:
        return _("chapter %(chapter)s") % {"chapter": chapter}
    return _("paragraph %(paragraph)s of chapter %(chapter)s") % {"chapter": chapter, "paragraph": paragraph}


def _order(key: str):
    chapter, paragraph = parse_key(key)
    return chapter, -1 if paragraph is None else paragraph


def _fields(entry):
    return None if entry is None else {name: value for name, value in entry.items() if name not in ALIGNMENT_KEYS}


def _complete(content: dict) -> dict:
    """A base stored before textbook_content() had external alignments (migration 0009) lacks them: none."""
    return {
        key: entry if "." not in key or EXTERNAL_ALIGNMENTS in entry else {**entry, EXTERNAL_ALIGNMENTS: {}}
        for key, entry in content.items()
    }


def _differing(one, other) -> tuple[str, ...]:
    if one is None or other is None:
        return ()
    names = [name for name in (*CHAPTER_FIELDS, *PARAGRAPH_FIELDS, *ALIGNMENT_KEYS) if name in one or name in other]
    return tuple(dict.fromkeys(name for name in names if one.get(name) != other.get(name)))


@dataclass(frozen=True)
class Item:
    key: str
    status: str
    base: dict | None
    theirs: dict | None
    ours: dict | None

    @property
    def chapter_number(self) -> int:
        return parse_key(self.key)[0]

    @property
    def paragraph_number(self) -> int | None:
        return parse_key(self.key)[1]

    @property
    def is_chapter(self) -> bool:
        return self.paragraph_number is None

    @property
    def title(self) -> str:
        return (self.ours or self.theirs or self.base)["title"]

    @property
    def label(self) -> str:
        return item_label(self.key)

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    @property
    def conflict(self) -> bool:
        return self.status == Status.CONFLICT

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def upstream_fields(self) -> tuple[str, ...]:
        """What the global textbook changed since the copy took it over."""
        return _differing(self.base, self.theirs)

    @property
    def local_fields(self) -> tuple[str, ...]:
        """What the school changed in its copy since."""
        return _differing(self.base, self.ours)


def _aligned(items, kind: str) -> set[str]:
    return {target for item in items for side in (item.base, item.theirs, item.ours) if side for target in side.get(kind, {})}


@dataclass
class ForkReview:
    fork: Textbook
    source: Textbook
    base_known: bool
    items: list[Item]
    base: dict  # the copy's base (source_snapshot), completed by _complete; {} when not known

    # For display only (the apply never reads them): one query each, when first asked.
    @cached_property
    def outcome_codes(self) -> dict[str, str]:
        """Outcome id (text) -> code."""
        if not (ids := _aligned(self.items, ALIGNMENTS)):
            return {}
        return {str(pk): code for pk, code in LearningOutcome.objects.filter(pk__in=ids).values_list("pk", "code")}

    @cached_property
    def external_item_labels(self) -> dict[str, str]:
        """External item id (text) -> its code, else the start of its statement."""
        if not (ids := _aligned(self.items, EXTERNAL_ALIGNMENTS)):
            return {}
        rows = ExternalItem.objects.filter(pk__in=ids).values_list("pk", "human_coding_scheme", "abbreviated_statement", "full_statement")
        return {str(pk): code or Truncator(short or full).chars(60) for pk, code, short, full in rows}

    @property
    def pending(self) -> list[Item]:
        return [item for item in self.items if item.pending]

    @property
    def changes(self) -> list[Item]:
        """Every chapter and paragraph that differs on some side."""
        return [item for item in self.items if item.status != Status.UNCHANGED]

    @property
    def conflicts(self) -> list[Item]:
        return [item for item in self.items if item.conflict]

    @property
    def available(self) -> bool:
        """Something to take over or to mark reviewed."""
        return bool(self.pending) or (self.fork.source_version or 0) < self.source.version


def _status(base, theirs, ours, *, base_known: bool) -> str:
    if not base_known:
        return Status.UNCHANGED if theirs == ours else Status.CONFLICT
    if base == theirs:
        return Status.UNCHANGED if ours == base else Status.LOCAL
    if base is None:  # added in the global textbook
        if ours is None:
            return Status.ADDED
        return Status.SAME if _fields(ours) == _fields(theirs) else Status.CONFLICT
    if theirs is None:  # removed from it
        if ours is None:
            return Status.SAME
        return Status.REMOVED if ours == base else Status.CONFLICT
    if ours is None:  # changed there, removed here
        return Status.CONFLICT
    if _fields(ours) == _fields(base):
        return Status.CHANGED
    return Status.SAME if _fields(ours) == _fields(theirs) else Status.CONFLICT


def fork_update_review(*, fork: Textbook) -> ForkReview | None:
    """The three-way comparison of a school's copy with the global textbook it was copied from; None
    for a textbook that is not a copy of a (still visible) global textbook. One query."""
    if fork.global_textbook_id is None:
        return None
    both = Textbook.objects.defer(None).filter(pk__in=[fork.pk, fork.global_textbook_id])
    rows = {row.pk: row for row in both.annotate(content=TextbookContent("id"))}
    if fork.pk not in rows or fork.global_textbook_id not in rows:
        return None
    fork, source = rows[fork.pk], rows[fork.global_textbook_id]
    base_known = fork.source_snapshot is not None
    base, theirs, ours = _complete(fork.source_snapshot or {}), source.content, fork.content
    statuses = {
        key: _status(base.get(key), theirs.get(key), ours.get(key), base_known=base_known)
        for key in base.keys() | theirs.keys() | ours.keys()
    }
    for key, status in statuses.items():
        # Removing a chapter removes its paragraphs: a conflict unless each of ours goes as well.
        if status == Status.REMOVED and parse_key(key)[1] is None:
            inside = [other for other in ours if other.startswith(f"{key}.")]
            if any(statuses[other] != Status.REMOVED for other in inside):
                statuses[key] = Status.CONFLICT
    items = [Item(key, statuses[key], base.get(key), theirs.get(key), ours.get(key)) for key in sorted(statuses, key=_order)]
    return ForkReview(fork=fork, source=source, base_known=base_known, items=items, base=base)


@dataclass(frozen=True)
class ApplyReport:
    taken: int  # chapters and paragraphs taken over from the global textbook
    kept: int  # pending changes decided "keep ours"
    pending: int  # changes still to decide
    reviewed: bool  # the copy's base is the global textbook now (source_version moved)


def _labels(keys) -> str:
    return ", ".join(item_label(key) for key in sorted(keys, key=_order))


def _normalise(decisions) -> dict[str, str]:
    """{key or (chapter, paragraph): "theirs" | "ours"} -> {key: decision}."""
    chosen = {}
    for key, decision in (decisions or {}).items():
        if isinstance(key, tuple):
            key = item_key(*key)
        if not KEY.fullmatch(str(key)):
            raise ValidationError(
                _("There is no pending change of the global textbook for: %(items)s.") % {"items": str(key)[:50]},
                code="unknown_item",
            )
        if decision not in (THEIRS, OURS):
            raise ValidationError(
                _("Decide with “theirs” (take the global version) or “ours” (keep this copy's): %(item)s.")
                % {"item": item_label(key)},
                code="invalid_decision",
            )
        chosen[key] = decision
    return chosen


def _decide(review: ForkReview, decisions, *, take_all_non_conflicting: bool, mark_reviewed: bool) -> dict[str, str]:
    pending = {item.key: item for item in review.pending}
    chosen = _normalise(decisions)
    if unknown := set(chosen) - set(pending):
        raise ValidationError(
            _("There is no pending change of the global textbook for: %(items)s.") % {"items": _labels(unknown)},
            code="unknown_item",
        )
    if take_all_non_conflicting:
        chosen |= {key: THEIRS for key, item in pending.items() if not item.conflict and key not in chosen}
    # Taking a chapter's removal removes its paragraphs with it.
    for key, decision in list(chosen.items()):
        if decision == THEIRS and pending[key].is_chapter and pending[key].theirs is None:
            inside = [other for other in pending if other.startswith(f"{key}.")]
            if kept := [other for other in inside if chosen.get(other) == OURS]:
                raise ValidationError(
                    _("Decide alike a chapter removed in the global textbook and its paragraphs: %(chapter)s taken over, %(items)s kept.")
                    % {"chapter": item_label(key), "items": _labels(kept)},
                    code="inconsistent_decisions",
                )
            chosen |= {other: THEIRS for other in inside}
    undecided = [key for key in pending if key not in chosen]
    if mark_reviewed:
        if conflicts := [key for key in undecided if pending[key].conflict]:
            raise ValidationError(
                _("Decide each conflict before marking the update reviewed: %(items)s.") % {"items": _labels(conflicts)},
                code="undecided_conflict",
            )
        chosen |= {key: OURS for key in undecided}
    elif undecided and not review.base_known and chosen:
        raise ValidationError(
            _("This copy was made before copied versions were recorded: decide every difference at once (%(items)s).")
            % {"items": _labels(undecided)},
            code="undecided_conflict",
        )
    # A paragraph taken over needs its chapter in the copy.
    our_chapters = {item.key for item in review.items if item.is_chapter and item.ours is not None}
    for key, decision in chosen.items():
        item = pending[key]
        chapter = str(item.chapter_number)
        if decision == THEIRS and item.paragraph_number is not None and item.theirs is not None and item.ours is None:
            if chapter not in our_chapters and chosen.get(chapter) != THEIRS:
                raise ValidationError(
                    _("A paragraph cannot be taken over without its chapter; take both: %(item)s, %(chapter)s.")
                    % {"item": item_label(key), "chapter": item_label(chapter)},
                    code="missing_chapter",
                )
    return chosen


def _merged_alignments(item: Item, kind: str, *, base_known: bool) -> dict[str, dict]:
    """Per outcome (or external item): the global alignment where the school left it as copied, else
    the school's."""
    ours = (item.ours or {}).get(kind, {})
    base = (item.base or {}).get(kind, {}) if base_known else ours
    theirs = item.theirs.get(kind, {})
    merged = {}
    for target in base.keys() | theirs.keys() | ours.keys():
        value = theirs.get(target) if ours.get(target) == base.get(target) else ours.get(target)
        if value is not None:
            merged[target] = value
    return merged


# Columns written from the global version, with their types for jsonb_to_recordset.
CHAPTER_COLUMNS = {"title": "text", "description": "text", "sort_order": "integer"}
PARAGRAPH_COLUMNS = {
    "title": "text", "content": "text", "summary": "text", "learning_objective": "text", "lesson_objective": "text",
    "key_terms": "jsonb", "questions": "jsonb", "sort_order": "integer",
}


@dataclass(frozen=True)
class AlignmentTable:
    """One kind of alignment: its key in textbook_content(), its table, the column naming what the
    paragraph is aligned to, and the columns written from the global version (as textbook_content()
    gives them: confidence as text)."""

    key: str
    table: str
    target: str
    columns: dict


ALIGNMENT_TABLES = (
    AlignmentTable(ALIGNMENTS, "paragraph_outcomes", "outcome_id", {"confidence": "numeric", "anchor": "text", "notes": "text"}),
    AlignmentTable(EXTERNAL_ALIGNMENTS, "paragraph_external_items", "external_item_id", {"confidence": "numeric", "notes": "text"}),
)


def _json(rows) -> str:
    return json.dumps(rows, ensure_ascii=False, cls=DjangoJSONEncoder)


def _spec(columns: dict) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in columns.items())


def _update_sql(table: str, columns: dict, rows: list[dict]) -> tuple[str, list]:
    """One UPDATE for all `rows` ({"id", column: value}), the values passed as one JSON parameter."""
    assignments = ", ".join(f"{name} = v.{name}" for name in columns)
    return (
        f"UPDATE {table} AS target SET {assignments} FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, {_spec(columns)}) "
        "WHERE target.id = v.id",
        [_json(rows)],
    )


def _insert_sql(table: str, columns: dict, rows: list[dict], *, computed: dict | None = None) -> tuple[str, list]:
    """One INSERT ... SELECT for all `rows` (`computed`: {column: SQL expression}); school_id is filled
    in by the database (trigger)."""
    computed = computed or {}
    names = ", ".join([*columns, *computed])
    values = ", ".join([*columns, *computed.values()])
    return (
        f"INSERT INTO {table} ({names}) SELECT {values} FROM jsonb_to_recordset(%s::jsonb) AS v({_spec(columns)})",
        [_json(rows)],
    )


def _update(cursor, table: str, columns: dict, rows: list[dict]) -> None:
    if rows:
        cursor.execute(*_update_sql(table, columns, rows))


def _insert(cursor, table: str, columns: dict, rows: list[dict], *, returning: str) -> list[tuple]:
    if not rows:
        return []
    sql, params = _insert_sql(table, columns, rows)
    cursor.execute(f"{sql} RETURNING {returning}", params)
    return cursor.fetchall()


def _together(cursor, statements: list[tuple[str, list]]) -> None:
    """Run writes to different tables as one statement (data-modifying WITH queries), so that both
    kinds of alignment cost the statements of one."""
    if len(statements) == 1:
        cursor.execute(*statements[0])
    elif statements:
        cursor.execute(
            "WITH " + ", ".join(f"w{index} AS ({sql})" for index, (sql, _params) in enumerate(statements)) + " SELECT 1",
            [param for _sql, params in statements for param in params],
        )


def _current_sql(kind: AlignmentTable) -> str:
    """The alignments of some paragraphs, with their values in the shape of textbook_content()."""
    values = ", ".join(f"'{name}', {name}::text" if name == "confidence" else f"'{name}', {name}" for name in kind.columns)
    return (
        f"SELECT '{kind.key}'::text, id, paragraph_id, {kind.target}::text, jsonb_build_object({values})::text "
        f"FROM {kind.table} WHERE paragraph_id = ANY(%s::bigint[])"
    )


_CURRENT_ALIGNMENTS = " UNION ALL ".join(_current_sql(kind) for kind in ALIGNMENT_TABLES)


def _write_alignments(cursor, review: ForkReview, taken: dict[int, Item]) -> None:
    """Make the alignments of the paragraphs taken over ({paragraph id: item}) the merged ones, both
    kinds: one read, then at most one DELETE, one INSERT and one UPDATE for both tables together."""
    if not taken:
        return
    cursor.execute(_CURRENT_ALIGNMENTS, [list(taken)] * len(ALIGNMENT_TABLES))
    current = {(key, paragraph, target): (pk, json.loads(values)) for key, pk, paragraph, target, values in cursor.fetchall()}
    deletes, inserts, updates = [], [], []
    for kind in ALIGNMENT_TABLES:
        wanted = {
            (kind.key, paragraph, target): values
            for paragraph, item in taken.items()
            for target, values in _merged_alignments(item, kind.key, base_known=review.base_known).items()
        }
        gone = [pk for alignment, (pk, _values) in current.items() if alignment[0] == kind.key and alignment not in wanted]
        new = [
            {"paragraph_id": paragraph, kind.target: int(target), **values}
            for (_key, paragraph, target), values in wanted.items() if (kind.key, paragraph, target) not in current
        ]
        changed = [
            {"id": current[alignment][0], **values}
            for alignment, values in wanted.items() if alignment in current and current[alignment][1] != values
        ]
        if gone:
            deletes.append((f"DELETE FROM {kind.table} WHERE id = ANY(%s::bigint[])", [gone]))
        if new:
            columns = {"paragraph_id": "bigint", kind.target: "bigint", **kind.columns}
            inserts.append(_insert_sql(kind.table, columns, new, computed={"created_at": "now()"}))
        if changed:
            updates.append(_update_sql(kind.table, kind.columns, changed))
    for statements in (deletes, inserts, updates):
        _together(cursor, statements)


def _write(cursor, review: ForkReview, taken: list[Item]) -> None:
    """Make the copy's chapters, paragraphs and alignments of `taken` the global ones, set-based: a
    statement per kind of change whatever their number, the values passed as JSON."""
    fork = review.fork
    chapter_ids = dict(Chapter.objects.filter(textbook=fork).values_list("number", "pk"))
    paragraph_ids = {
        item_key(chapter, number): pk
        for chapter, number, pk in Paragraph.objects.filter(chapter__textbook=fork).values_list("chapter__number", "number", "pk")
    }
    removed_chapters = [item.key for item in taken if item.is_chapter and item.theirs is None and item.ours is not None]
    # Deletions through the ORM, which also follows any cascade a later model adds.
    Chapter.objects.filter(pk__in=[chapter_ids[parse_key(key)[0]] for key in removed_chapters]).delete()
    Paragraph.objects.filter(pk__in=[
        paragraph_ids[item.key] for item in taken
        if not item.is_chapter and item.theirs is None and item.ours is not None and str(item.chapter_number) not in removed_chapters
    ]).delete()

    kept = [item for item in taken if item.theirs is not None]
    chapters = [item for item in kept if item.is_chapter]
    rows = [
        {"textbook_id": fork.pk, "number": item.chapter_number, **{name: item.theirs[name] for name in CHAPTER_COLUMNS}}
        for item in chapters if item.ours is None
    ]
    chapter_ids |= dict(_insert(cursor, "chapters", {"textbook_id": "bigint", "number": "integer", **CHAPTER_COLUMNS}, rows, returning="number, id"))
    _update(cursor, "chapters", CHAPTER_COLUMNS, [
        {"id": chapter_ids[item.chapter_number], **{name: item.theirs[name] for name in CHAPTER_COLUMNS}}
        for item in chapters if item.ours is not None and _fields(item.ours) != _fields(item.theirs)
    ])

    paragraphs = [item for item in kept if not item.is_chapter]
    rows = [
        {"chapter_id": chapter_ids[item.chapter_number], "number": item.paragraph_number,
         **{name: item.theirs[name] for name in PARAGRAPH_COLUMNS}}
        for item in paragraphs if item.ours is None
    ]
    chapter_numbers = {pk: number for number, pk in chapter_ids.items()}
    created = _insert(cursor, "paragraphs", {"chapter_id": "bigint", "number": "integer", **PARAGRAPH_COLUMNS}, rows, returning="chapter_id, number, id")
    paragraph_ids |= {item_key(chapter_numbers[chapter], number): pk for chapter, number, pk in created}
    _update(cursor, "paragraphs", PARAGRAPH_COLUMNS, [
        {"id": paragraph_ids[item.key], **{name: item.theirs[name] for name in PARAGRAPH_COLUMNS}}
        for item in paragraphs if item.ours is not None and _fields(item.ours) != _fields(item.theirs)
    ])

    _write_alignments(cursor, review, {paragraph_ids[item.key]: item for item in paragraphs})


def fork_update_apply(
    *, fork: Textbook, decisions: Mapping | None = None, take_all_non_conflicting: bool = False,
    mark_reviewed: bool = False, source_version: int | None = None,
) -> ApplyReport:
    """Apply decisions on the pending changes of the global textbook to a school's copy, in one
    transaction.

    `decisions`: {"3.2" or (3, 2) (chapter 3 itself: "3" or (3, None)): "theirs" | "ours"}.
    `take_all_non_conflicting`: take every pending change that is not a conflict (as well).
    `mark_reviewed`: keep the copy's version of everything left undecided; every conflict must be
    decided. `source_version`: the global version the decisions were made on; if it moved meanwhile
    nothing is applied (the user reviews again).
    """
    with user_errors_from_database(), transaction.atomic(), connection.cursor() as cursor:
        # Row-level security lets a school lock (and so update) only its own copy.
        if not Textbook.objects.select_for_update().filter(pk=fork.pk).values_list("pk"):
            raise PermissionDenied(_("You can update only your own school's copies."))
        review = fork_update_review(fork=fork)
        if review is None:
            raise ValidationError(_("This textbook is not a copy of a global textbook."), code="not_a_copy")
        if source_version is not None and source_version != review.source.version:
            raise ValidationError(
                _("The global textbook changed while you were reviewing it (now version %(version)s): please review again.")
                % {"version": review.source.version},
                code="source_changed",
            )
        chosen = _decide(review, decisions, take_all_non_conflicting=take_all_non_conflicting, mark_reviewed=mark_reviewed)
        pending = {item.key: item for item in review.pending}
        with fork_sync(cursor, fork.pk):
            _write(cursor, review, [pending[key] for key, decision in chosen.items() if decision == THEIRS])
        # The base moves to the global version of every decided chapter and paragraph: the decided
        # entries are sent, not the whole record.
        theirs = review.source.content
        if review.base_known:
            snapshot = dict(review.base)
            for key in chosen:
                if key in theirs:
                    snapshot[key] = theirs[key]
                else:
                    snapshot.pop(key, None)
            removed, changed = [key for key in chosen if key not in theirs], {key: theirs[key] for key in chosen if key in theirs}
            update = "(coalesce(source_snapshot, '{}'::jsonb) - %(removed)s::text[]) || %(changed)s::jsonb"
        else:  # all decided at once (_decide), or nothing decided: still unknown
            snapshot = dict(theirs) if len(chosen) == len(pending) else None
            removed, changed = [], snapshot
            update = "%(changed)s::jsonb"
        reviewed = snapshot == theirs
        cursor.execute(
            f"UPDATE textbooks SET source_snapshot = {update}, "
            "source_version = CASE WHEN %(reviewed)s THEN %(version)s ELSE source_version END WHERE id = %(fork)s",
            {"removed": removed, "changed": None if changed is None else _json(changed), "reviewed": reviewed,
             "version": review.source.version, "fork": fork.pk},
        )
    return ApplyReport(
        taken=sum(decision == THEIRS for decision in chosen.values()),
        kept=sum(decision == OURS for decision in chosen.values()),
        pending=len(pending) - len(chosen), reviewed=reviewed,
    )

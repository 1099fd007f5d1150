"""The one write step of every import: rows keyed by a natural key (a code, a number) are created,
updated or reported missing, set-based (bulk_create / bulk_update in batches: COPY is refused under
row-level security); a dry run computes the same plan and writes nothing."""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

BATCH_SIZE = 1000


@dataclass
class Changes:
    """What an import does to one kind of row."""

    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # code -> changed fields
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)  # active in the database, absent from the file




@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), per kind of row."""

    path: str
    target: str  # what was imported, for the summary: "framework goso_..." or "textbook ..."
    kinds: tuple[str, ...]  # the kinds of row, in the order they are reported
    dry_run: bool = False
    deactivate_missing: bool = False
    changes: dict[str, Changes] = field(init=False)

    def __post_init__(self):
        self.changes = {kind: Changes() for kind in self.kinds}

    @property
    def created(self) -> int:
        return sum(len(changes.created) for changes in self.changes.values())

    @property
    def updated(self) -> int:
        return sum(len(changes.updated) for changes in self.changes.values())

    @property
    def unchanged(self) -> int:
        return sum(changes.unchanged for changes in self.changes.values())

    @property
    def missing(self) -> int:
        return sum(len(changes.missing) for changes in self.changes.values())

    @property
    def changes_anything(self) -> bool:
        return bool(self.created or self.updated or (self.missing and self.deactivate_missing))

    def plan_lines(self) -> list[str]:
        """One line per created, updated or missing row (the --dry-run plan)."""
        lines = []
        for kind, changes in self.changes.items():
            lines += [f"  + {kind} {code}" for code in changes.created]
            lines += [f"  ~ {kind} {code}: {', '.join(fields)}" for code, fields in changes.updated.items()]
            if not self.deactivate_missing:
                outcome = _("kept; --deactivate-missing deactivates it")
            else:
                outcome = _("to be deactivated") if self.dry_run else _("deactivated")
            lines += [f"  - {kind} {code}: {_('not in the file')}, {outcome}" for code in changes.missing]
        return lines

    def summary(self) -> str:
        totals = _("created %(created)s, updated %(updated)s, unchanged %(unchanged)s, missing %(missing)s") % {
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged, "missing": self.missing,
        }
        per_kind = "; ".join(
            f"{kind} +{len(c.created)} ~{len(c.updated)} ={c.unchanged} -{len(c.missing)}"
            for kind, c in self.changes.items()
        )
        if self.dry_run:
            verdict = _("dry run, nothing written")
        elif not self.changes_anything:
            verdict = _("nothing changed")
        elif self.missing and self.deactivate_missing:
            verdict = _("imported; missing rows deactivated")
        else:
            verdict = _("imported")
        return f"{self.path}: {self.target}: {totals} ({verdict}) [{per_kind}]"




def changed_fields(instance, values: dict) -> list[str]:
    return [name for name, value in values.items() if getattr(instance, name) != value]



def rows_sync(*, model, existing: dict, wanted: dict, changes: Changes, label=str, dry_run=False,
              deactivate_missing=False, progress=None) -> dict:
    """Make the rows of `model` match `wanted` (key -> field values); returns key -> instance for
    every existing and wanted row (new rows have no pk in a dry run).

    `existing`: key -> instance, the rows the file speaks for (loaded with at least the compared
    fields). Existing rows the file no longer lists are reported missing (only active ones, where
    the model has is_active) and, with deactivate_missing, deactivated: never deleted. progress(n)
    is called as rows are written.
    """
    to_create, to_update, changed_names = {}, [], set()
    for key, values in wanted.items():
        instance = existing.get(key)
        if instance is None:
            changes.created.append(label(key))
            to_create[key] = model(**values)
            continue
        changed = changed_fields(instance, values)
        if not changed:
            changes.unchanged += 1
            continue
        changes.updated[label(key)] = changed
        changed_names.update(changed)
        for name in changed:
            setattr(instance, name, values[name])
        to_update.append(instance)
    missing_keys = [key for key, instance in existing.items() if key not in wanted and getattr(instance, "is_active", True)]
    missing = [existing[key] for key in missing_keys]
    changes.missing.extend(label(key) for key in missing_keys)
    rows = {**existing, **to_create}
    if dry_run:
        return rows

    if deactivate_missing and missing:
        for instance in missing:
            instance.is_active = False
        to_update.extend(missing)
        changed_names.add("is_active")
    if to_update:
        if any(f.name == "updated_at" for f in model._meta.fields):
            now = timezone.now()
            for instance in to_update:
                instance.updated_at = now
            changed_names.add("updated_at")
        for start in range(0, len(to_update), BATCH_SIZE):
            model.objects.bulk_update(to_update[start:start + BATCH_SIZE], sorted(changed_names))
            if progress:
                progress(len(to_update[:start + BATCH_SIZE]))
    created = list(to_create.values())
    for start in range(0, len(created), BATCH_SIZE):
        model.objects.bulk_create(created[start:start + BATCH_SIZE])
        if progress:
            progress(len(created[:start + BATCH_SIZE]))
    return rows


def row_sync(*, model, instance, key, values: dict, changes: Changes, dry_run=False):
    """One row (a subject, a framework, a textbook) by the same rules: `instance` is the existing row
    or None, `values` the whole row to create or the fields to compare; returns the row."""
    existing = {} if instance is None else {key: instance}
    return rows_sync(model=model, existing=existing, wanted={key: values}, changes=changes, dry_run=dry_run)[key]

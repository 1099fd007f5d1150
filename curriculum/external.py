"""External CASE frameworks: import, re-sync, delete and serve back (models: curriculum/external_models.py).

A package that does not carry one of our CFDocument identifiers (or our identifier scheme: the UUIDv5 of
its extension's framework code) is an external framework. It is checked against the CASE schema (1.0,
with 1.1's isTranslationOf and ext: association types), then synced by identifier in ONE transaction:
new objects are created, changed ones updated, objects no longer in the package deprecated (never
deleted: alignments may point at them). A dry run computes the same counts and writes nothing.
Each object's JSON is stored as received (`original`), so the package served back is the package that
came in; the columns are derived from it for queries.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from curriculum.external_models import (
    Crosswalk, ExternalAssociation, ExternalDefinition, ExternalFramework, ExternalItem,
)
from importkit.fields import Problems
from importkit.files import ImportFileError, max_file_bytes, parse_json_bytes
from tenants.context import super_admin_context


def refuse_schema_problems(found: list[str], *, problems: Problems, source) -> None:
    """Raise ImportFileError with the schema's problems ("json.path: reason"), if any."""
    for problem in found:
        problems.add(*problem.split(": ", 1))
    if problems:
        raise ImportFileError(source, problems)

DEFINITION_KINDS = ("CFConcepts", "CFSubjects", "CFLicenses", "CFItemTypes", "CFAssociationGroupings")
RUBRICS = "CFRubrics"
PACKAGE_KEYS = ("CFDocument", "CFItems", "CFAssociations", "CFDefinitions", RUBRICS)
DEFAULT_FETCH_TIMEOUT = 30  # seconds, per network operation
KINDS = ("framework", "item", "association", "definition")


# ---------------------------------------------------------------------------------------------
# Reading a package: a file or a CFPackages URL


def package_from_url(url: str, *, timeout: float | None = None, max_bytes: int | None = None) -> dict:
    """The parsed package at a CFPackages URL: http(s) only, a timeout per network operation and a size
    limit on the body (read in chunks, refused as soon as it is exceeded)."""
    limit = max_bytes or max_file_bytes()
    timeout = timeout or getattr(settings, "CASE_FETCH_TIMEOUT", DEFAULT_FETCH_TIMEOUT)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ImportFileError(url, [_("only http and https URLs can be fetched")])
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise ImportFileError(url, [_too_big(int(declared), limit)])
            chunks, size = [], 0
            while chunk := response.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise ImportFileError(url, [_too_big(size, limit)])
                chunks.append(chunk)
    except urllib.error.HTTPError as error:
        raise ImportFileError(url, [_("the server answered %(status)s %(reason)s") % {
            "status": error.code, "reason": error.reason}]) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise ImportFileError(url, [_("cannot fetch the package: %(reason)s") % {"reason": reason}]) from None
    return parse_json_bytes(b"".join(chunks), source=url)


def _too_big(size, limit) -> str:
    return _("the package is larger than %(limit).1f MB (%(size).1f MB or more); raise GOSO_IMPORT_MAX_FILE_BYTES "
             "to accept it") % {"size": size / 1024 / 1024, "limit": limit / 1024 / 1024}


# ---------------------------------------------------------------------------------------------
# Checking a package


def package_is_ours(data) -> bool:
    """Is the package one of our GOSO frameworks: does it carry one of our CFDocument identifiers, or
    our export's framework extension (whose code must then agree with the identifier: the GOSO import
    checks that and refuses a contradiction)? Anything else is external."""
    from curriculum.case import case_object_find

    document = data.get("CFDocument") if isinstance(data, dict) else None
    if not isinstance(document, dict):
        return True  # not a package at all: the GOSO path reports what is wrong with it
    try:
        identifier = uuid.UUID(str(document.get("identifier")))
    except ValueError:
        return True
    ref = case_object_find(identifier=identifier)
    if ref is not None and ref.kind == "document":
        return True
    extensions = document.get("extensions")
    goso = extensions.get("goso") if isinstance(extensions, dict) else None
    return isinstance(goso, dict) and isinstance(goso.get("framework"), dict) and "code" in goso["framework"]


def external_schema_problems(data) -> list[str]:
    """The CASE schema's problems, with 1.1's custom association types ("ext:...") accepted."""
    from curriculum.case import schema_problems

    custom = {}
    if isinstance(data, dict) and isinstance(data.get("CFAssociations"), list):
        for index, association in enumerate(data["CFAssociations"]):
            kind = association.get("associationType") if isinstance(association, dict) else None
            if isinstance(kind, str) and kind.startswith("ext:") and len(kind) > 4:
                custom[index] = kind
                association["associationType"] = "isRelatedTo"  # checked as any other association
    try:
        return schema_problems(data)
    finally:
        for index, kind in custom.items():
            data["CFAssociations"][index]["associationType"] = kind


def _uuid(value) -> uuid.UUID:
    return uuid.UUID(str(value))


def _link_id(link):
    return _uuid(link["identifier"]) if isinstance(link, dict) and link.get("identifier") else None


def _text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@dataclass
class Package:
    """A checked package: its objects by identifier, in package order."""

    document: dict
    items: dict[uuid.UUID, dict]
    associations: dict[uuid.UUID, dict]
    definitions: dict[tuple[str, uuid.UUID], dict]
    extras: dict

    @property
    def identifier(self) -> uuid.UUID:
        return _uuid(self.document["identifier"])


def package_check(data, *, source) -> Package:
    """The package's objects, or ImportFileError listing every problem (schema, duplicate identifiers,
    identifiers that name one of our objects or another framework's, isChildOf cycles)."""
    try:
        problems = Problems()
        refuse_schema_problems(external_schema_problems(data), problems=problems, source=source)
        package = _collect(data, problems)
        if not problems:
            _check_identity(package, problems)
        if not problems:
            _check_cycles(package, problems)
    except RecursionError:
        raise ImportFileError(source, [_("the JSON is nested too deeply to be a CASE package")]) from None
    if problems:
        raise ImportFileError(source, problems)
    return package


def _collect(data, problems) -> Package:
    def unique(objects, path, key):
        seen = {}
        for index, case_object in enumerate(objects or []):
            identifier = key(case_object)
            if identifier in seen:
                problems.add(f"{path}[{index}].identifier", _(
                    'duplicate identifier "%(id)s" (already at %(first)s)'
                ) % {"id": case_object["identifier"], "first": f"{path}[{seen[identifier][0]}]"})
                continue
            seen[identifier] = (index, case_object)
        return {identifier: case_object for identifier, (_index, case_object) in seen.items()}

    items = unique(data.get("CFItems"), "CFItems", lambda item: _uuid(item["identifier"]))
    associations = unique(data.get("CFAssociations"), "CFAssociations", lambda assoc: _uuid(assoc["identifier"]))
    definitions = {}
    groups = dict(data.get("CFDefinitions") or {})
    groups[RUBRICS] = data.get(RUBRICS)
    for kind in (*DEFINITION_KINDS, RUBRICS):
        path = kind if kind == RUBRICS else f"CFDefinitions.{kind}"
        for identifier, definition in unique(groups.get(kind), path, lambda d: _uuid(d["identifier"])).items():
            definitions[(kind, identifier)] = definition
    extras = {key: value for key, value in data.items() if key not in PACKAGE_KEYS}
    # Which optional keys the package had (an empty list is something the package says).
    extras["_present"] = [key for key in PACKAGE_KEYS[1:] if key in data]
    if isinstance(data.get("CFDefinitions"), dict):
        extras["_definitions_present"] = [key for key in data["CFDefinitions"]]
    return Package(data["CFDocument"], items, associations, definitions, extras)


def _check_identity(package: Package, problems: Problems) -> None:
    """Identifiers are global: none may name one of our GOSO objects or another framework's object."""
    from curriculum.case import case_objects_find

    document_id = package.identifier
    framework = ExternalFramework.objects.filter(identifier=document_id).only("pk").first()
    own_pk = framework.pk if framework else None
    for path, model, identifiers in (
        ("CFItems", ExternalItem, package.items),
        ("CFAssociations", ExternalAssociation, package.associations),
    ):
        elsewhere = model.objects.filter(identifier__in=list(identifiers)).exclude(framework_id=own_pk)
        for identifier, title in elsewhere.values_list("identifier", "framework__title")[:5]:
            problems.add(f"{path}.{identifier}", _(
                'the identifier "%(id)s" is already used by the external framework "%(title)s"'
            ) % {"id": identifier, "title": title})
    found = case_objects_find(identifiers=[document_id, *package.items, *package.associations])
    for identifier, ref in found.items():
        if not ref.kind.startswith("external_"):
            problems.add(str(identifier), _(
                'the identifier "%(id)s" is one of our GOSO objects (a %(kind)s); an external package cannot reuse it'
            ) % {"id": identifier, "kind": ref.kind})
            break


def _parents(package: Package) -> dict:
    """item identifier -> (parent item identifier or None, sequence number): its first isChildOf
    association whose destination is the document or an item of the package."""
    parents = {}
    for association in package.associations.values():
        if association["associationType"] != "isChildOf":
            continue
        child, parent = _link_id(association["originNodeURI"]), _link_id(association["destinationNodeURI"])
        if child not in package.items or child in parents:
            continue
        if parent == package.identifier:
            parents[child] = (None, association.get("sequenceNumber"))
        elif parent in package.items:
            parents[child] = (parent, association.get("sequenceNumber"))
    return parents


def _check_cycles(package: Package, problems: Problems) -> None:
    parents = _parents(package)
    for start in parents:
        seen, node = {start}, parents[start][0]
        while node is not None:
            if node in seen:
                problems.add(f"CFItems.{start}", _(
                    "the isChildOf associations make a cycle through item %(id)s"
                ) % {"id": start})
                return
            seen.add(node)
            node = parents.get(node, (None, None))[0]


# ---------------------------------------------------------------------------------------------
# Columns derived from the original JSON


def _document_columns(document: dict) -> dict:
    return {
        "identifier": _uuid(document["identifier"]), "uri": document["uri"], "creator": document["creator"],
        "title": document["title"], "version": _text(document.get("version")),
        "language": _text(document.get("language")), "subject": [_text(s) for s in document.get("subject") or []],
        "adoption_status": _text(document.get("adoptionStatus")), "description": _text(document.get("description")),
        "publisher": _text(document.get("publisher")), "official_source_url": _text(document.get("officialSourceURL")),
        "license_uri": document.get("licenseURI"), "notes": _text(document.get("notes")),
        "case_version": _text(document.get("caseVersion")), "framework_type": _text(document.get("frameworkType")),
        "status_start_date": _text(document.get("statusStartDate")),
        "status_end_date": _text(document.get("statusEndDate")),
        "last_change_date_time": _text(document.get("lastChangeDateTime")), "original": document,
    }


def _item_columns(item: dict, position: int, parent_sequence) -> dict:
    item_type = item.get("CFItemTypeURI") if isinstance(item.get("CFItemTypeURI"), dict) else {}
    return {
        "identifier": _uuid(item["identifier"]), "uri": item["uri"],
        "human_coding_scheme": _text(item.get("humanCodingScheme")), "full_statement": item["fullStatement"],
        "abbreviated_statement": _text(item.get("abbreviatedStatement")),
        "alternative_label": _text(item.get("alternativeLabel")), "item_type": _text(item.get("CFItemType")),
        "item_type_identifier": _link_id(item_type), "item_type_uri": _text(item_type.get("uri")),
        "education_level": [_text(level) for level in item.get("educationLevel") or []],
        "language": _text(item.get("language")), "list_enumeration": _text(item.get("listEnumeration")),
        "notes": _text(item.get("notes")), "status_start_date": _text(item.get("statusStartDate")),
        "status_end_date": _text(item.get("statusEndDate")),
        "last_change_date_time": _text(item.get("lastChangeDateTime")),
        "sequence_number": parent_sequence, "position": position, "is_deprecated": False, "original": item,
    }


def _association_columns(association: dict, position: int) -> dict:
    origin, destination = association["originNodeURI"], association["destinationNodeURI"]
    return {
        "identifier": _uuid(association["identifier"]), "uri": association["uri"],
        "association_type": association["associationType"],
        "origin_identifier": _link_id(origin), "origin_uri": _text(origin.get("uri")),
        "origin_title": _text(origin.get("title")), "destination_identifier": _link_id(destination),
        "destination_uri": _text(destination.get("uri")), "destination_title": _text(destination.get("title")),
        "sequence_number": association.get("sequenceNumber"),
        "grouping_identifier": _link_id(association.get("CFAssociationGroupingURI")),
        "last_change_date_time": _text(association.get("lastChangeDateTime")), "position": position,
        "is_deprecated": False, "original": association,
    }


def _definition_columns(kind: str, definition: dict, position: int) -> dict:
    return {
        "kind": kind, "identifier": _uuid(definition["identifier"]), "uri": _text(definition.get("uri")),
        "title": _text(definition.get("title")), "position": position, "is_deprecated": False,
        "original": definition,
    }


# ---------------------------------------------------------------------------------------------
# Syncing


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deprecated: int = 0


@dataclass
class ExternalImportReport:
    """What an external import did (or, in a dry run, would do)."""

    path: str
    title: str
    identifier: str
    dry_run: bool = False
    is_new: bool = False
    counts: dict[str, KindCounts] = field(default_factory=lambda: {kind: KindCounts() for kind in KINDS})
    framework_pk: int | None = None

    @property
    def changes_anything(self) -> bool:
        return any(c.created or c.updated or c.deprecated for c in self.counts.values())

    def plan_lines(self) -> list[str]:
        return [
            f"  {kind}: +{c.created} ~{c.updated} ={c.unchanged} -{c.deprecated}" for kind, c in self.counts.items()
        ]

    def summary(self) -> str:
        items = self.counts["item"]
        totals = _(
            "external framework \"%(title)s\" (%(id)s): items created %(created)s, updated %(updated)s, "
            "unchanged %(unchanged)s, deprecated %(deprecated)s"
        ) % {"title": self.title, "id": self.identifier, "created": items.created, "updated": items.updated,
             "unchanged": items.unchanged, "deprecated": items.deprecated}
        if self.dry_run:
            verdict = _("dry run, nothing written")
        elif not self.changes_anything:
            verdict = _("nothing changed")
        else:
            verdict = _("imported")
        per_kind = "; ".join(f"{kind} +{c.created} ~{c.updated} ={c.unchanged} -{c.deprecated}"
                             for kind, c in self.counts.items())
        return f"{self.path}: {totals} ({verdict}) [{per_kind}]"


def _sync(model, *, existing: dict, wanted: dict, fixed: dict, counts: KindCounts, dry_run: bool) -> dict:
    """Create, update and deprecate the rows of one kind; returns key -> instance (saved unless dry_run)."""
    to_create, to_update, changed_names = [], [], set()
    for key, values in wanted.items():
        instance = existing.get(key)
        if instance is None:
            counts.created += 1
            to_create.append(model(**values, **fixed))
            continue
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        if not changed:
            counts.unchanged += 1
            continue
        counts.updated += 1
        changed_names.update(changed)
        for name in changed:
            setattr(instance, name, values[name])
        to_update.append(instance)
    gone = [instance for key, instance in existing.items() if key not in wanted and not instance.is_deprecated]
    counts.deprecated += len(gone)
    if dry_run:
        return existing
    for instance in gone:
        instance.is_deprecated = True
    if gone:
        changed_names.add("is_deprecated")
    if to_update or gone:
        now = timezone.now()
        for instance in [*to_update, *gone]:
            instance.updated_at = now
        model.objects.bulk_update([*to_update, *gone], sorted(changed_names | {"updated_at"}), batch_size=1000)
    model.objects.bulk_create(to_create, batch_size=1000)
    return {**existing, **{key: instance for key, instance in zip(
        [key for key in wanted if key not in existing], to_create)}}


def external_package_import(*, data, source, source_url: str = "", dry_run: bool = False) -> ExternalImportReport:
    """Import (or re-sync) an external CASE package; all or nothing. `source_url` is kept for later re-syncs."""
    package = package_check(data, source=source)
    _check_lengths(package, source)
    document = package.document
    report = ExternalImportReport(path=str(source), title=document["title"], identifier=str(package.identifier),
                                  dry_run=dry_run)
    with super_admin_context():
        _import(package, report, source_url=source_url, dry_run=dry_run)
    return report


def _check_lengths(package: Package, source) -> None:
    """Texts longer than the columns' limits (far above real frameworks) are named, never cut."""
    problems = Problems()

    def check(model, path, values):
        for name, value in values.items():
            field = model._meta.get_field(name)
            if isinstance(value, str) and field.max_length and len(value) > field.max_length:
                problems.add(path, _("%(field)s is too long (%(length)s characters; at most %(max)s)") % {
                    "field": field.verbose_name, "length": len(value), "max": field.max_length})

    check(ExternalFramework, "CFDocument", _document_columns(package.document))
    for index, item in enumerate(package.items.values()):
        check(ExternalItem, f"CFItems[{index}]", _item_columns(item, index, None))
    for index, association in enumerate(package.associations.values()):
        check(ExternalAssociation, f"CFAssociations[{index}]", _association_columns(association, index))
    for (kind, _identifier), definition in package.definitions.items():
        check(ExternalDefinition, kind, _definition_columns(kind, definition, 0))
    if problems:
        raise ImportFileError(source, problems)


def _import(package: Package, report: ExternalImportReport, *, source_url: str, dry_run: bool) -> None:
    framework = ExternalFramework.objects.select_for_update().filter(identifier=package.identifier).first()
    report.is_new = framework is None
    values = _document_columns(package.document) | {"package_extras": package.extras}
    if source_url:
        values["source_url"] = source_url
    counts = report.counts["framework"]
    if framework is None:
        counts.created += 1
        if dry_run:
            framework = None
        else:
            framework = ExternalFramework.objects.create(**values, last_synced_at=timezone.now())
    else:
        changed = [name for name, value in values.items() if getattr(framework, name) != value]
        if changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
        if not dry_run and changed:
            for name in changed:
                setattr(framework, name, values[name])
            framework.save()
    report.framework_pk = framework.pk if framework else None
    saved = framework is not None and framework.pk is not None

    def existing(model, key):
        if not saved:
            return {}
        return {key(row): row for row in model.objects.filter(framework=framework)}

    parents = _parents(package)
    items = _sync(
        ExternalItem, existing=existing(ExternalItem, lambda row: row.identifier),
        wanted={identifier: _item_columns(item, position, parents.get(identifier, (None, None))[1])
                for position, (identifier, item) in enumerate(package.items.items())},
        fixed={"framework": framework} if saved else {}, counts=report.counts["item"], dry_run=dry_run,
    )
    _sync(
        ExternalDefinition, existing=existing(ExternalDefinition, lambda row: (row.kind, row.identifier)),
        wanted={key: _definition_columns(key[0], definition, position)
                for position, (key, definition) in enumerate(package.definitions.items())},
        fixed={"framework": framework} if saved else {}, counts=report.counts["definition"], dry_run=dry_run,
    )
    if dry_run:
        _sync(ExternalAssociation, existing=existing(ExternalAssociation, lambda row: row.identifier),
              wanted={identifier: _association_columns(association, position)
                      for position, (identifier, association) in enumerate(package.associations.items())},
              fixed={}, counts=report.counts["association"], dry_run=True)
        return
    # Links to rows: items' parents, associations' ends (where they are items of this framework).
    item_pks = {identifier: row.pk for identifier, row in items.items() if row is not None}
    wanted = {}
    for position, (identifier, association) in enumerate(package.associations.items()):
        values = _association_columns(association, position)
        values["origin_item_id"] = item_pks.get(values["origin_identifier"])
        values["destination_item_id"] = item_pks.get(values["destination_identifier"])
        wanted[identifier] = values
    _sync(ExternalAssociation, existing=existing(ExternalAssociation, lambda row: row.identifier), wanted=wanted,
          fixed={"framework": framework}, counts=report.counts["association"], dry_run=False)
    _set_parents(items, parents)
    if report.changes_anything and not report.is_new:
        # A re-sync that changes nothing writes nothing (idempotent, like every import here).
        ExternalFramework.objects.filter(pk=framework.pk).update(last_synced_at=timezone.now())


def _set_parents(items: dict, parents: dict) -> None:
    """Items' parent links from their isChildOf associations: computed here from the rows' primary keys and
    written in one statement by primary key (only rows whose parent really changes). Deprecated items keep
    their last parent."""
    pks = {identifier: row.pk for identifier, row in items.items()}
    changes = {}
    for identifier, row in items.items():
        if identifier not in parents and not row.is_deprecated:
            wanted = None
        elif identifier in parents:
            wanted = pks.get(parents[identifier][0])
        else:
            continue
        if row.parent_id != wanted:
            changes[row.pk] = wanted
    if changes:
        with connection.cursor() as cursor:
            cursor.execute("""
                UPDATE external_items SET parent_id = link.parent
                FROM unnest(%(ids)s::bigint[], %(parents)s::bigint[]) AS link(id, parent)
                WHERE external_items.id = link.id""", {"ids": list(changes), "parents": list(changes.values())})


def external_framework_delete(*, framework: ExternalFramework) -> dict:
    """Delete an external framework with its items, associations, definitions and crosswalks; returns the
    counts deleted (one transaction, super-admin context)."""
    with super_admin_context():
        _total, per_model = ExternalFramework.objects.filter(pk=framework.pk).delete()
    return per_model


def external_url_import(*, url: str, dry_run: bool = False, expected: uuid.UUID | None = None):
    """Import a package from a CFPackages URL; the URL is kept for later re-syncs."""
    return _external_import(lambda: package_from_url(url), source=url, source_url=url, dry_run=dry_run,
                            expected=expected)


def external_file_import(*, path, source=None, dry_run: bool = False, expected: uuid.UUID | None = None):
    """Import an external package from a file."""
    from importkit.files import read_json_file

    return _external_import(lambda: read_json_file(path), source=source or str(path), source_url="",
                            dry_run=dry_run, expected=expected)


def _external_import(read, *, source, source_url, dry_run, expected):
    """Read a package, refuse one of ours (`import_case` imports those into GOSO) or, on a re-sync, another
    framework than `expected`, then import it."""
    try:
        data = read()
    except RecursionError:
        raise ImportFileError(source, [_("the JSON is nested too deeply to be a CASE package")]) from None
    if package_is_ours(data):
        raise ImportFileError(source, [_("this package is one of our GOSO frameworks; import it with import_case")])
    _check_expected(data, expected, source)
    return external_package_import(data=data, source=source, source_url=source_url, dry_run=dry_run)


def _check_expected(data, expected, source) -> None:
    if expected is None:
        return
    document = data.get("CFDocument") if isinstance(data, dict) else None
    identifier = str(document.get("identifier", "")).lower() if isinstance(document, dict) else ""
    if identifier != str(expected):
        raise ImportFileError(source, [_(
            'CFDocument.identifier: "%(id)s" is another framework; a re-sync expects "%(expected)s"'
        ) % {"id": identifier, "expected": expected}])


# ---------------------------------------------------------------------------------------------
# Serving back (selectors for the CASE service and the admin)


def _deprecated(original: dict, row) -> dict:
    """A deprecated object served by identifier: as received, with the day it left the package as its end."""
    if row.is_deprecated and not original.get("statusEndDate"):
        return {**original, "statusEndDate": row.updated_at.date().isoformat()}
    return original


def external_package(*, framework: ExternalFramework) -> dict:
    """The package as received (deprecated objects left out): four queries."""
    extras = dict(framework.package_extras or {})
    present = extras.pop("_present", list(PACKAGE_KEYS[1:]))
    definitions_present = extras.pop("_definitions_present", list(DEFINITION_KINDS))
    package = {"CFDocument": framework.original}
    live = {"is_deprecated": False}
    if "CFItems" in present:
        package["CFItems"] = list(framework.items.filter(**live).order_by("position").values_list("original", flat=True))
    if "CFAssociations" in present:
        package["CFAssociations"] = list(
            framework.associations.filter(**live).order_by("position").values_list("original", flat=True))
    grouped = {}
    for kind, original in framework.definitions.filter(**live).order_by("position").values_list("kind", "original"):
        grouped.setdefault(kind, []).append(original)
    if "CFDefinitions" in present or any(kind in grouped for kind in DEFINITION_KINDS):
        package["CFDefinitions"] = {kind: grouped.get(kind, []) for kind in DEFINITION_KINDS
                                    if kind in definitions_present or kind in grouped}
    if RUBRICS in present or RUBRICS in grouped:
        package[RUBRICS] = grouped.get(RUBRICS, [])
    return package | extras


def external_documents() -> list[dict]:
    return list(ExternalFramework.objects.order_by("title", "id").values_list("original", flat=True))


def external_item_served(*, item: ExternalItem) -> dict:
    return _deprecated(item.original, item)


def external_association_served(*, association: ExternalAssociation) -> dict:
    return _deprecated(association.original, association)


def external_item_associations(*, item: ExternalItem) -> list[dict]:
    """Every association that touches the item (either end), in package order: one indexed query."""
    rows = ExternalAssociation.objects.filter(
        Q(origin_identifier=item.identifier) | Q(destination_identifier=item.identifier)
    ).order_by("framework_id", "position")
    return [_deprecated(row.original, row) for row in rows]


def external_frameworks_listed():
    """Frameworks with their live item counts (admin list, API)."""
    return ExternalFramework.objects.annotate(
        item_count=Count("items", filter=Q(items__is_deprecated=False)))


def external_tree(*, framework: ExternalFramework) -> list[dict]:
    """The hierarchy as nested nodes {item, children}, ordered as the reference server orders children:
    sequenceNumber, then listEnumeration, then humanCodingScheme segment by segment; deprecated items
    last. Items with no isChildOf parent are roots."""
    items = list(framework.items.defer("original").order_by("position"))  # the JSON as received is not shown
    children = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)

    def order(item):
        sequence = item.sequence_number if item.sequence_number is not None else 2 ** 31
        return (item.is_deprecated, sequence, item.list_enumeration or "\uffff",
                [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in item.human_coding_scheme.split(".")],
                item.position)

    def nodes(parent_id, depth):
        if depth > 200:  # cycles are refused at import; a bound all the same
            return []
        return [{"item": item, "children": nodes(item.pk, depth + 1)}
                for item in sorted(children.get(parent_id, []), key=order)]

    return nodes(None, 0)


# ---------------------------------------------------------------------------------------------
# Crosswalks: GOSO outcome -> external item (methodologists; published in our CASE packages)


def crosswalk_create(*, outcome, external_item, association_type: str, notes: str = ""):
    from curriculum.services import GOSO_WRITERS_ONLY, _save
    from tenants.context import require_super_admin

    require_super_admin(GOSO_WRITERS_ONLY)
    return _save(Crosswalk(outcome=outcome, external_item=external_item, association_type=association_type,
                           notes=notes or ""))


def crosswalk_update(*, crosswalk, **fields):
    from curriculum.services import goso_item_update

    return goso_item_update(item=crosswalk, **fields)


def crosswalk_delete(*, crosswalk) -> None:
    from curriculum.services import GOSO_WRITERS_ONLY
    from tenants.context import require_super_admin

    require_super_admin(GOSO_WRITERS_ONLY)
    crosswalk.delete()

"""1EdTech CASE 1.1 interchange: a framework as a CFPackage (one per language) and back.

Export: the CFDocument is the framework; sections, subsections and learning outcomes are CFItems
whose humanCodingScheme is the GOSO code; the tree is isChildOf CFAssociations (with sequenceNumber
= display order). Every object has a UUID identifier, a URI and a lastChangeDateTime. Identifiers
are UUIDv5 from a fixed namespace and (framework code, language, kind, code), so they are the same
in every export and after any re-import, with no column to keep. Texts are in the package's language
("ru" or "kk"); an item with no Kazakh text carries the Russian one, marked `"language": "ru"`.
What CASE has no field for (the other language, the ministry order, grades, display order) travels
in CASE 1.1 `extensions` ({"goso": ...}), so importing either package reproduces the framework.

Import: a CFPackage becomes the GOSO JSON document of curriculum/importing.py and goes through the
same validation, upsert and single transaction. Packages that are not GOSO-shaped (codes that are
not section "2" / subsection "2.1" / outcome "7.2.1.2", items outside the section -> subsection ->
outcome tree) are refused with the reason; an isChildOf association to an object that is not in the
package (a dangling association) is an error. Other association types are ignored.
"""

import json
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from curriculum.codes import (
    OUTCOME_CODE_RE, SECTION_CODE_RE, SUBSECTION_CODE_RE, code_sort_key, outcome_code_error, subsection_code_error,
)
from curriculum.importing import goso_document_import
from curriculum.models import Framework, LearningOutcome, Section, Subsection
from importkit.fields import Problems
from importkit.files import ImportFileError, read_json_file

# Fixed forever: changing it would change every identifier ever published.
CASE_NAMESPACE = uuid.UUID("d58206d4-0848-48e7-9710-000277360ae9")
CASE_PATH = "/ims/case/v1p1"
CASE_VERSION = "1.1"
LANGUAGES = ("ru", "kk")
FIELD_SUFFIX = {"ru": "ru", "kk": "kz"}  # the models' Kazakh fields end in _kz
SCHEMA_PATH = Path(__file__).resolve().parent / "standards" / "case-v1p0-cfpackage-schema.json"
FOREIGN_CODES_SHOWN = 3  # a package from another standard fails on every item: name a few, count the rest
ITEM_TYPES = {"section": "Section", "subsection": "Subsection", "outcome": "Learning Objective"}


def case_identifier(*parts) -> str:
    return str(uuid.uuid5(CASE_NAMESPACE, "/".join(str(part) for part in parts)))


def document_identifier(framework_code: str, language: str) -> str:
    return case_identifier(framework_code, language)


def item_identifier(framework_code: str, language: str, kind: str, code: str) -> str:
    return case_identifier(framework_code, language, kind, code)


def case_base_url(request=None) -> str:
    """Where the CASE service is published: the request's own host, or CASE_BASE_URL for commands."""
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return getattr(settings, "CASE_BASE_URL", "http://localhost:8000").rstrip("/")


def _timestamp(value) -> str:
    return value.isoformat(timespec="seconds")


def _localized(ru: str, kz: str, language: str) -> tuple[str, str]:
    """The text in `language` and the language it is really in (Russian when Kazakh is missing)."""
    if language == "kk" and kz:
        return kz, "kk"
    return ru, "ru"


# ---------------------------------------------------------------------------------------------
# Export


def framework_as_goso(framework: Framework) -> dict:
    """The framework's subject and framework blocks in the GOSO JSON file format."""
    subject = framework.subject
    return {
        "subject": {"code": subject.code, "name_ru": subject.name_ru, "name_kz": subject.name_kz,
                    "grade_from": subject.grade_from, "grade_to": subject.grade_to},
        "framework": {
            "code": framework.code, "title_ru": framework.title_ru, "title_kz": framework.title_kz,
            "document_type": framework.document_type, "order_number": framework.order_number,
            "order_date": framework.order_date.isoformat() if framework.order_date else None,
            "ministry_ru": framework.ministry_ru, "ministry_kz": framework.ministry_kz,
            "appendix_number": framework.appendix_number, "amendments": framework.amendments,
            "valid_from": framework.valid_from.isoformat() if framework.valid_from else None,
            "valid_to": framework.valid_to.isoformat() if framework.valid_to else None,
        },
    }


def _node_fields(row) -> dict:
    return {name: getattr(row, name) for name in (
        "name_ru", "name_kz", "description_ru", "description_kz", "display_order",
    )}


def _outcome_fields(outcome) -> dict:
    return {name: getattr(outcome, name) for name in (
        "grade", "title_ru", "title_kz", "description_ru", "description_kz", "cognitive_level", "is_sample",
        "display_order",
    )}


def framework_package(*, framework: Framework, language: str, base_url: str) -> dict:
    """The framework's CFPackage in `language` ("ru" or "kk"): its active sections, subsections and outcomes."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}")
    document = framework_document(framework=framework, language=language, base_url=base_url)
    document_link = {"title": document["title"], "identifier": document["identifier"], "uri": document["uri"]}
    framework_changed = _timestamp(framework.updated_at)
    items, associations = [], []

    def add(kind, code, ru, kz, parent_link, sequence, changed, extension, **extra):
        identifier = item_identifier(framework.code, language, kind, code)
        statement, statement_language = _localized(ru, kz, language)
        item = {
            "identifier": identifier, "uri": f"{base_url}{CASE_PATH}/CFItems/{identifier}",
            "fullStatement": statement, "humanCodingScheme": code, "CFItemType": ITEM_TYPES[kind],
            "language": statement_language, "lastChangeDateTime": changed, "CFDocumentURI": document_link,
            **extra, "extensions": {"goso": extension},
        }
        items.append(item)
        association_id = case_identifier(framework.code, language, "isChildOf", identifier, parent_link["identifier"])
        associations.append({
            "identifier": association_id, "uri": f"{base_url}{CASE_PATH}/CFAssociations/{association_id}",
            "associationType": "isChildOf", "sequenceNumber": sequence,
            "originNodeURI": {"title": code, "identifier": identifier, "uri": item["uri"]},
            "destinationNodeURI": parent_link, "lastChangeDateTime": changed, "CFDocumentURI": document_link,
        })
        return {"title": code, "identifier": identifier, "uri": item["uri"]}

    sections = Section.objects.filter(framework=framework, is_active=True).order_by("code_sort")
    subsections = Subsection.objects.filter(section__framework=framework, section__is_active=True, is_active=True)
    outcomes = LearningOutcome.objects.filter(
        framework=framework, is_active=True, deleted_at__isnull=True, subsection__is_active=True,
        subsection__section__is_active=True,
    )
    section_links = {}
    for section in sections:
        section_links[section.pk] = add(
            "section", section.code, section.name_ru, section.name_kz, document_link, section.display_order,
            framework_changed, _node_fields(section),
        )
    subsection_links = {}
    for subsection in subsections.order_by("code_sort"):
        subsection_links[subsection.pk] = add(
            "subsection", subsection.code, subsection.name_ru, subsection.name_kz,
            section_links[subsection.section_id], subsection.display_order, framework_changed, _node_fields(subsection),
        )
    for outcome in outcomes.order_by("code_sort"):
        add(
            "outcome", outcome.code, outcome.title_ru, outcome.title_kz, subsection_links[outcome.subsection_id],
            outcome.display_order, _timestamp(outcome.updated_at), _outcome_fields(outcome),
            educationLevel=[f"{outcome.grade:02d}"],
        )
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}


def framework_document(*, framework: Framework, language: str, base_url: str) -> dict:
    identifier = document_identifier(framework.code, language)
    title, title_language = _localized(framework.title_ru, framework.title_kz, language)
    ministry, _ministry_language = _localized(framework.ministry_ru, framework.ministry_kz, language)
    subject_name, _subject_language = _localized(framework.subject.name_ru, framework.subject.name_kz, language)
    document = {
        "identifier": identifier, "uri": f"{base_url}{CASE_PATH}/CFDocuments/{identifier}",
        "creator": ministry or "GOSO Curriculum", "title": title, "lastChangeDateTime": _timestamp(framework.updated_at),
        "publisher": ministry, "subject": [subject_name], "language": language, "caseVersion": CASE_VERSION,
        "frameworkType": framework.document_type, "adoptionStatus": "Adopted" if framework.is_active else "Deprecated",
        "CFPackageURI": {"title": title, "identifier": identifier, "uri": f"{base_url}{CASE_PATH}/CFPackages/{identifier}"},
        "extensions": {"goso": framework_as_goso(framework) | {"title_language": title_language}},
    }
    if framework.order_number:
        document["version"] = framework.order_number
    if framework.valid_from:
        document["statusStartDate"] = framework.valid_from.isoformat()
    if framework.valid_to:
        document["statusEndDate"] = framework.valid_to.isoformat()
    return document


# ---------------------------------------------------------------------------------------------
# Reading (selectors for the CASE service)


def published_frameworks():
    return Framework.objects.filter(is_active=True, deleted_at__isnull=True).select_related("subject").order_by("code")


def framework_for_document(identifier: str) -> tuple[Framework, str] | None:
    """The (framework, language) whose CFDocument / CFPackage has this identifier."""
    wanted = str(identifier).lower()
    for framework in published_frameworks():
        for language in LANGUAGES:
            if document_identifier(framework.code, language) == wanted:
                return framework, language
    return None


def framework_for_item(identifier: str) -> tuple[Framework, str] | None:
    """The (framework, language) of the package that holds the CFItem with this identifier."""
    wanted = str(identifier).lower()
    for framework in published_frameworks():
        codes = [
            *(("section", code) for code in Section.objects.filter(framework=framework).values_list("code", flat=True)),
            *(("subsection", code) for code in Subsection.objects.filter(
                section__framework=framework).values_list("code", flat=True)),
            *(("outcome", code) for code in LearningOutcome.objects.filter(
                framework=framework).values_list("code", flat=True)),
        ]
        for language in LANGUAGES:
            if any(item_identifier(framework.code, language, kind, code) == wanted for kind, code in codes):
                return framework, language
    return None


# ---------------------------------------------------------------------------------------------
# Import


def _is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if "T" not in value.upper():
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return True


@cache
def package_validator():
    """The CFPackage schema's validator. Dates and date-times are told apart (the schema's
    statusStartDate is oneOf date / date-time: without format checks a date would match both)."""
    import jsonschema

    formats = jsonschema.FormatChecker(formats=["date", "email", "ipv4", "ipv6", "regex"])
    formats.checks("date-time", raises=ValueError)(_is_date_time)
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=formats)


def _json_path(parts) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "$"


def schema_problems(data) -> list[str]:
    """Disagreements with the CASE CFPackage JSON schema, as "json.path: reason"."""
    errors = sorted(package_validator().iter_errors(data), key=lambda error: list(map(str, error.absolute_path)))
    return [f"{_json_path(error.absolute_path)}: {error.message}" for error in errors]


def _language_of(document) -> str:
    language = str(document.get("language") or "").lower()
    return "kk" if language in ("kk", "kz", "kaz", "kk-kz") else "ru"


class _Tree:
    """Items by identifier and each item's isChildOf parent, with problems named by CASE paths."""

    def __init__(self, data, problems: Problems):
        self.document = data["CFDocument"]
        self.items = {}
        self.paths = {}
        for index, item in enumerate(data.get("CFItems", [])):
            identifier = item["identifier"].lower()
            if identifier in self.items:
                problems.add(f"CFItems[{index}].identifier", _('duplicate identifier "%(id)s" (already at %(first)s)') % {
                    "id": identifier, "first": self.paths[identifier],
                })
            self.items[identifier] = item
            self.paths[identifier] = f"CFItems[{index}]"
        document_id = self.document["identifier"].lower()
        self.parents = {}  # child identifier -> (parent identifier or None for the document, sequence, path)
        for index, association in enumerate(data.get("CFAssociations", [])):
            if association["associationType"] != "isChildOf":
                continue
            path = f"CFAssociations[{index}]"
            child = association["originNodeURI"]["identifier"].lower()
            parent = association["destinationNodeURI"]["identifier"].lower()
            if child not in self.items:
                problems.add(f"{path}.originNodeURI.identifier", _(
                    '"%(id)s" is not an item of this package (a dangling association)'
                ) % {"id": child})
                continue
            if parent != document_id and parent not in self.items:
                problems.add(f"{path}.destinationNodeURI.identifier", _(
                    '"%(id)s" is neither this package\'s CFDocument nor one of its items (a dangling association)'
                ) % {"id": parent})
                continue
            if child in self.parents:
                problems.add(path, _("%(item)s has a second parent; a GOSO item has exactly one") % {
                    "item": self.paths[child],
                })
                continue
            self.parents[child] = (None if parent == document_id else parent, association.get("sequenceNumber"), path)


def _goso_extension(case_object: dict, path: str, problems: Problems) -> dict:
    """The object's CASE 1.1 extension {"goso": {...}} written by our export ({} when absent)."""
    extensions = case_object.get("extensions") or {}
    extension = extensions.get("goso") if isinstance(extensions, dict) else None
    if extension is not None and not isinstance(extension, dict):
        problems.add(f"{path}.extensions.goso", _("expected an object"))
    return extension if isinstance(extension, dict) else {}


def _goso_rows(tree: _Tree, language: str, problems: Problems):
    """Sections (with subsections) and outcomes in the GOSO JSON format, plus GOSO path -> CASE path."""
    suffix = FIELD_SUFFIX[language]
    kinds, codes, foreign = {}, {}, []
    for identifier, item in tree.items.items():
        path = tree.paths[identifier]
        code = item.get("humanCodingScheme")
        if not code:
            problems.add(f"{path}.humanCodingScheme", _(
                'is missing; GOSO items are identified by their code (section "2", subsection "2.1", outcome "7.2.1.2")'
            ))
            continue
        kind = next((kind for kind, pattern in (
            ("section", SECTION_CODE_RE), ("subsection", SUBSECTION_CODE_RE), ("outcome", OUTCOME_CODE_RE),
        ) if pattern.match(code)), None)
        if kind is None:
            foreign.append((path, code))
            continue
        kinds[identifier], codes[identifier] = kind, code
        if identifier not in tree.parents:
            problems.add(path, _('item "%(code)s" is not in the tree (no isChildOf association)') % {"code": code})
    for path, code in foreign[:FOREIGN_CODES_SHOWN]:
        problems.add(f"{path}.humanCodingScheme", _(
            '"%(code)s" is not a GOSO code (section "2", subsection "2.1" or outcome "7.2.1.2"): '
            "this package is not a GOSO framework"
        ) % {"code": code})
    if len(foreign) > FOREIGN_CODES_SHOWN:
        problems.add("CFItems", _("and %(count)s more items whose codes are not GOSO codes") % {
            "count": len(foreign) - FOREIGN_CODES_SHOWN,
        })
    if problems:
        return None

    expected_parent = {"section": None, "subsection": "section", "outcome": "subsection"}
    nodes = {}
    for identifier, item in tree.items.items():
        kind, code, path = kinds[identifier], codes[identifier], tree.paths[identifier]
        parent, sequence, association_path = tree.parents[identifier]
        parent_kind = kinds.get(parent) if parent else None
        if parent_kind != expected_parent[kind]:
            problems.add(association_path, _("%(kind)s \"%(code)s\" is a child of %(parent)s; expected %(expected)s") % {
                "kind": kind, "code": code, "parent": f'{parent_kind} "{codes[parent]}"' if parent else _("the document"),
                "expected": expected_parent[kind] or _("the document"),
            })
            continue
        extension = _goso_extension(item, path, problems)
        statement = item["fullStatement"]
        statement_language = _language_of(item) if item.get("language") else language
        text_key = "title" if kind == "outcome" else "name"
        row = {"code": code, **extension}
        row[f"{text_key}_{FIELD_SUFFIX[statement_language]}"] = statement
        if statement_language != language:  # the Kazakh package fell back to Russian: no Kazakh text
            row.setdefault(f"{text_key}_{suffix}", None)
        if row.get("display_order") is None and isinstance(sequence, int):
            row["display_order"] = sequence
        if kind == "outcome":
            row.setdefault("grade", int(code.split(".")[0]))
            if error := outcome_code_error(code, grade=row["grade"], subsection_code=codes[parent]):
                problems.add(f"{path}.humanCodingScheme", error)
        elif kind == "subsection":
            if error := subsection_code_error(code, section_code=codes[parent]):
                problems.add(f"{path}.humanCodingScheme", error)
        nodes[identifier] = (kind, row, parent, path)
    if problems:
        return None

    def order(identifier):
        row = nodes[identifier][1]
        return (row.get("display_order") or 0, code_sort_key(row["code"]))

    case_paths = {}
    sections = []
    for identifier in sorted((i for i, node in nodes.items() if node[0] == "section"), key=order):
        section = dict(nodes[identifier][1], subsections=[])
        case_paths[f"sections[{len(sections)}]"] = nodes[identifier][3]
        children = (i for i, node in nodes.items() if node[0] == "subsection" and node[2] == identifier)
        for child in sorted(children, key=order):
            case_paths[f"sections[{len(sections)}].subsections[{len(section['subsections'])}]"] = nodes[child][3]
            section["subsections"].append(nodes[child][1])
        sections.append(section)
    outcomes = []
    for identifier in sorted((i for i, node in nodes.items() if node[0] == "outcome"), key=order):
        case_paths[f"outcomes[{len(outcomes)}]"] = nodes[identifier][3]
        outcomes.append(nodes[identifier][1])
    return sections, outcomes, case_paths


def goso_document_from_package(data, *, subject_code: str | None = None, source="") -> tuple[dict, dict]:
    """The GOSO JSON document of a CFPackage and a map of its JSON paths to the package's paths.

    Raises ImportFileError (naming `source`) for a package that is not valid CASE or not GOSO-shaped.
    """
    problems = Problems()
    for problem in schema_problems(data):
        problems.add(*problem.split(": ", 1))
    if problems:
        raise ImportFileError(source, problems)
    tree = _Tree(data, problems)
    language = _language_of(tree.document)
    rows = _goso_rows(tree, language, problems) if not problems else None
    if rows is None:
        raise ImportFileError(source, problems)
    sections, outcomes, case_paths = rows

    extension = _goso_extension(tree.document, "CFDocument", problems)
    framework = extension.get("framework") or {}
    if not isinstance(framework, dict):
        problems.add("CFDocument.extensions.goso.framework", _("expected an object"))
    subject = {"code": subject_code} if subject_code else extension.get("subject")
    if not subject:
        problems.add("CFDocument", _(
            "the package names no GOSO subject; import it into an existing subject with --subject CODE"
        ))
    if problems:
        raise ImportFileError(source, problems)
    framework = dict(framework)
    framework.setdefault("code", f"case-{tree.document['identifier'].lower()}")
    # A Kazakh package may carry the Russian title (the framework has no Kazakh one).
    title_language = extension.get("title_language") if extension.get("title_language") in FIELD_SUFFIX else language
    framework[f"title_{FIELD_SUFFIX[title_language]}"] = tree.document["title"]
    framework.setdefault("title_ru", tree.document["title"])
    document = {"subject": subject, "framework": framework, "sections": sections, "outcomes": outcomes}
    return document, case_paths | {"framework": "CFDocument", "subject": "CFDocument.extensions.goso.subject"}


def _case_error(error: str, case_paths: dict) -> str:
    """'outcomes[3].title_ru: ...' -> 'CFItems[17].title_ru: ...' (the path the package's author knows)."""
    path, _sep, reason = error.partition(": ")
    for goso_path in sorted(case_paths, key=len, reverse=True):
        if path == goso_path or path.startswith(goso_path + ".") or path.startswith(goso_path + "["):
            return f"{case_paths[goso_path]}{path[len(goso_path):]} ({goso_path}): {reason}"
    return error


def import_case_file(*, path, subject_code: str | None = None, dry_run=False, deactivate_missing=False):
    """Import a CASE CFPackage file (ours or another GOSO-shaped one) as a framework; all or nothing."""
    source = str(path)
    document, case_paths = goso_document_from_package(read_json_file(path), subject_code=subject_code, source=source)
    try:
        return goso_document_import(document, source=source, dry_run=dry_run, deactivate_missing=deactivate_missing)
    except ImportFileError as error:
        raise ImportFileError(source, [_case_error(problem, case_paths) for problem in error.errors]) from error

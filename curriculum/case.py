"""1EdTech CASE 1.1 interchange: a framework as a CFPackage (one per language) and back.

Export: the CFDocument is the framework; sections, subsections and learning outcomes are CFItems
whose humanCodingScheme is the GOSO code; the tree is isChildOf CFAssociations whose sequenceNumber is
the rank among siblings in GOSO order (display order, then code: no ties) and whose listEnumeration
keeps the display order itself. Identifiers are UUIDv5 from a fixed namespace and (framework code,
language, kind, code); the database stores them (curriculum/migrations/0005: a trigger computes them
whoever writes the row), so every lookup by identifier is one indexed query. Texts are in the package's
language ("ru" or "kk"); a Kazakh item with no Kazakh text carries the Russian one marked
`"language": "ru"` and a note saying the translation is missing. The kk package is linked to the ru
one with isTranslationOf (document to document, item to item); accepted version links are replacedBy.
Sample outcomes (is_sample: demonstration text, not the ministry's) make the document "Draft", never
"Adopted", and each says so in its notes. URIs come from settings.CASE_BASE_URL only.
What CASE has no field for (the other language, the ministry order, grades) travels in CASE 1.1
`extensions` ({"goso": ...}), so importing either package reproduces the framework.

Import: a CFPackage becomes the GOSO JSON document of curriculum/importing.py and goes through the
same validation, upsert and single transaction. The framework is found by the CFDocument identifier
(ours, of either language); extensions may add to the CASE fields but never contradict them. A package
that is not one of ours (by identifier, or by our identifier scheme) goes to the store of external
frameworks (curriculum/external.py), never republished under our identifiers.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from curriculum.case_models import FrameworkChange
from curriculum.codes import (
    OUTCOME_CODE_RE, SECTION_CODE_RE, SUBSECTION_CODE_RE, code_sort_key, outcome_code_error, subsection_code_error,
)
from curriculum.external import external_package_import, package_is_ours, refuse_schema_problems
from curriculum.importing import goso_document_import
from curriculum.models import (
    Crosswalk, Framework, LearningOutcome, OutcomeVersionLink, Section, Subject, Subsection,
)
from importkit.fields import Problems
from importkit.files import ImportFileError, read_json_file

# Fixed forever: changing it would change every identifier ever published (also in migration 0005).
CASE_NAMESPACE = uuid.UUID("d58206d4-0848-48e7-9710-000277360ae9")
CASE_PATH = "/ims/case/v1p1"
CASE_VERSION = "1.1"
LANGUAGES = ("ru", "kk")
FIELD_SUFFIX = {"ru": "ru", "kk": "kz"}  # the models' Kazakh fields end in _kz
SCHEMA_PATH = Path(__file__).resolve().parent / "standards" / "case-v1p0-cfpackage-schema.json"
FOREIGN_CODES_SHOWN = 3  # a package from another standard fails on every item: name a few, count the rest
KINDS = ("section", "subsection", "outcome")
CASE_1_1_ASSOCIATION_TYPES = ("isTranslationOf",)
# Item types: title per language, hierarchy code, description per language.
ITEM_TYPES = {
    "section": ({"ru": "Раздел", "kk": "Бөлім", "en": "Section"}, "1", {
        "ru": "Раздел типовой учебной программы (ГОСО)", "kk": "Үлгілік оқу бағдарламасының бөлімі (МЖБС)",
    }),
    "subsection": ({"ru": "Подраздел", "kk": "Бөлімше", "en": "Subsection"}, "2", {
        "ru": "Подраздел раздела программы", "kk": "Бағдарлама бөлімінің бөлімшесі",
    }),
    "outcome": ({"ru": "Цель обучения", "kk": "Оқу мақсаты", "en": "Learning Objective"}, "3", {
        "ru": "Цель обучения с кодом класс.раздел.подраздел.номер (7.2.1.2)",
        "kk": "Сынып.бөлім.бөлімше.нөмір кодымен оқу мақсаты (7.2.1.2)",
    }),
}
MISSING_TRANSLATION = "Қазақ тіліндегі мәтіні жоқ; орыс тіліндегі мәтін берілген (перевод на казахский отсутствует)."
SAMPLE_NOTE = {
    "ru": "Образец: демонстрационный текст, не из документа министерства.",
    "kk": "Үлгі: көрсетуге арналған мәтін, министрлік құжатынан емес.",
}
OFFICIAL_SOURCE = "https://adilet.zan.kz/"  # where Kazakhstan's orders are registered


def case_identifier(*parts) -> str:
    return str(uuid.uuid5(CASE_NAMESPACE, "/".join(str(part) for part in parts)))


def document_identifier(framework_code: str, language: str) -> str:
    return case_identifier(framework_code, language)


def item_identifier(framework_code: str, language: str, kind: str, code: str) -> str:
    return case_identifier(framework_code, language, kind, code)


def item_type_identifier(kind: str, language: str) -> str:
    return case_identifier("CFItemType", language, kind)


def subject_identifier(subject_code: str, language: str) -> str:
    return case_identifier("CFSubject", language, subject_code)


def case_base_url() -> str:
    """Where the CASE service is published (settings.CASE_BASE_URL), never the request's Host header."""
    return settings.CASE_BASE_URL.rstrip("/")


def case_uri(base_url: str, kind: str, identifier) -> str:
    return f"{base_url}{CASE_PATH}/{kind}/{identifier}"


def _timestamp(value) -> str:
    return value.isoformat(timespec="seconds")


def _localized(ru: str, kz: str, language: str) -> tuple[str, str]:
    """The text in `language` and the language it is really in (Russian when Kazakh is missing)."""
    if language == "kk" and kz:
        return kz, "kk"
    return ru, "ru"


def _case_id(row, language) -> str:
    return str(getattr(row, f"case_id_{language}"))


# ---------------------------------------------------------------------------------------------
# Looking up identifiers: one indexed query, whatever the size


@dataclass(frozen=True)
class CaseRef:
    """What an identifier names: a framework object (kind, pk) in a language, as the object itself
    ("object"), its isChildOf association ("isChildOf") or its kk -> ru isTranslationOf association; or an
    accepted outcome version link ("replacedBy")."""

    kind: str  # "document", "section", "subsection", "outcome", "version_link"
    pk: int
    language: str
    role: str


_TABLES = {"document": "frameworks", "section": "goso_sections", "subsection": "goso_subsections",
           "outcome": "learning_outcomes"}
_COLUMNS = (("case_id_ru", "ru", "object"), ("case_id_kk", "kk", "object"), ("case_link_ru", "ru", "isChildOf"),
            ("case_link_kk", "kk", "isChildOf"), ("case_translation_id", "kk", "isTranslationOf"))
# (kind, table, identifier column, language, role, extra condition): every unique identifier index.
_LOOKUPS = [
    *((kind, table, column, language, role, "") for kind, table in _TABLES.items() for column, language, role in _COLUMNS
      if not (kind == "document" and role == "isChildOf")),
    *(("version_link", "outcome_version_links", f"case_id_{language}", language, "replacedBy", " AND status = 'accepted'")
      for language in LANGUAGES),
    # Crosswalks to external items, published in our packages (curriculum/external_models.py).
    *(("crosswalk", "outcome_crosswalks", f"case_id_{language}", language, "crosswalk", "") for language in LANGUAGES),
    # External frameworks: their own identifiers (unique indexes; a definition's per framework).
    *((kind, table, "identifier", "", "object", "") for kind, table in (
        ("external_document", "external_frameworks"), ("external_item", "external_items"),
        ("external_association", "external_associations"), ("external_definition", "external_definitions"),
    )),
]


def _lookup_sql(select: str, match: str) -> str:
    return " UNION ALL ".join(
        f"(SELECT {select.format(column=column)}'{kind}', id, '{language}', '{role}' FROM {table} "
        f"WHERE {column} {match}{condition})"
        for kind, table, column, language, role, condition in _LOOKUPS
    )


LOOKUP_SQL = _lookup_sql("", "= %(id)s") + " LIMIT 1"
# Many identifiers at once (an import checking that none is taken): one statement, every index.
# The identifiers are bound once (a CTE), not once per index: 8,000 of them would otherwise be 21 copies.
LOOKUP_MANY_SQL = "WITH wanted AS (SELECT unnest(%(ids)s::uuid[]) AS id) " + _lookup_sql(
    "{column}, ", "IN (SELECT id FROM wanted)")


def case_object_find(*, identifier: uuid.UUID) -> CaseRef | None:
    """The object an identifier names (every unique index of migration 0005, in one statement)."""
    with connection.cursor() as cursor:
        cursor.execute(LOOKUP_SQL, {"id": identifier})
        row = cursor.fetchone()
    return CaseRef(*row) if row else None


def case_objects_find(*, identifiers) -> dict[uuid.UUID, CaseRef]:
    """identifier -> the object it names, for those of `identifiers` that name one (one statement)."""
    with connection.cursor() as cursor:
        cursor.execute(LOOKUP_MANY_SQL, {"ids": list(identifiers)})
        return {row[0]: CaseRef(*row[1:]) for row in cursor.fetchall()}


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


NODE_FIELDS = ("name_ru", "name_kz", "description_ru", "description_kz", "display_order")
OUTCOME_FIELDS = ("grade", "title_ru", "title_kz", "description_ru", "description_kz", "cognitive_level", "is_sample",
                  "display_order")


def _link(title, identifier, uri) -> dict:
    return {"title": title, "identifier": str(identifier), "uri": uri}


class _PackageWriter:
    """Builds the CASE objects of one framework in one language."""

    def __init__(self, framework: Framework, language: str, base_url: str, last_change=None):
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}")
        self.framework, self.language, self.base_url, self.last_change = framework, language, base_url, last_change
        identifier = _case_id(framework, language)
        title, _title_language = _localized(framework.title_ru, framework.title_kz, language)
        self.document_link = _link(title, identifier, case_uri(base_url, "CFDocuments", identifier))

    @property
    def document(self) -> dict:
        # Built on demand: an item or association needs only the link (no query for samples).
        return framework_document(framework=self.framework, language=self.language, base_url=self.base_url,
                                  last_change=self.last_change)

    def item_type_link(self, kind) -> dict:
        identifier = item_type_identifier(kind, self.language)
        return _link(ITEM_TYPES[kind][0][self.language], identifier, case_uri(self.base_url, "CFItemTypes", identifier))

    def item(self, kind: str, row) -> dict:
        code = row.code
        identifier = _case_id(row, self.language)
        ru, kz = (row.title_ru, row.title_kz) if kind == "outcome" else (row.name_ru, row.name_kz)
        statement, statement_language = _localized(ru, kz, self.language)
        fields = _outcome_fields(row) if kind == "outcome" else {name: getattr(row, name) for name in NODE_FIELDS}
        item = {
            "identifier": identifier, "uri": case_uri(self.base_url, "CFItems", identifier),
            "fullStatement": statement, "humanCodingScheme": code, "listEnumeration": str(row.display_order),
            "CFItemType": ITEM_TYPES[kind][0][self.language], "CFItemTypeURI": self.item_type_link(kind),
            "language": statement_language, "lastChangeDateTime": _timestamp(row.updated_at),
            "CFDocumentURI": self.document_link,
        }
        notes = []
        if statement_language != self.language:
            notes.append(MISSING_TRANSLATION)
        if kind == "outcome":
            item["educationLevel"] = [f"{row.grade:02d}"]
            if row.is_sample:
                notes.append(SAMPLE_NOTE[self.language])
        if not row.is_active or getattr(row, "deleted_at", None):
            # Deactivated: served as deprecated, from the day it was deactivated.
            item["statusEndDate"] = row.updated_at.date().isoformat()
        if notes:
            item["notes"] = " ".join(notes)
        item["extensions"] = {"goso": fields | ({"is_active": False} if not row.is_active else {})}
        return item

    def child_of(self, kind, row, parent_link, sequence) -> dict:
        identifier = str(getattr(row, f"case_link_{self.language}"))
        item_id = _case_id(row, self.language)
        return {
            "identifier": identifier, "uri": case_uri(self.base_url, "CFAssociations", identifier),
            "associationType": "isChildOf", "sequenceNumber": sequence,
            "originNodeURI": _link(row.code, item_id, case_uri(self.base_url, "CFItems", item_id)),
            "destinationNodeURI": parent_link, "lastChangeDateTime": _timestamp(row.updated_at),
            "CFDocumentURI": self.document_link,
        }

    def translation_of(self, kind, row) -> dict:
        """kk object isTranslationOf ru object (CASE 1.1); served in the kk package only."""
        identifier = str(row.case_translation_id)
        endpoint = "CFDocuments" if kind == "document" else "CFItems"
        title = self.framework.title_ru if kind == "document" else row.code
        origin_title = (self.framework.title_kz or self.framework.title_ru) if kind == "document" else row.code
        return {
            "identifier": identifier, "uri": case_uri(self.base_url, "CFAssociations", identifier),
            "associationType": "isTranslationOf",
            "originNodeURI": _link(origin_title, row.case_id_kk, case_uri(self.base_url, endpoint, row.case_id_kk)),
            "destinationNodeURI": _link(title, row.case_id_ru, case_uri(self.base_url, endpoint, row.case_id_ru)),
            "lastChangeDateTime": _timestamp(row.updated_at), "CFDocumentURI": self.document_link,
        }

    def replaced_by(self, link: OutcomeVersionLink) -> dict:
        old, new = link.old_outcome, link.new_outcome
        old_id, new_id = _case_id(old, self.language), _case_id(new, self.language)
        identifier = _case_id(link, self.language)
        return {
            "identifier": identifier, "uri": case_uri(self.base_url, "CFAssociations", identifier),
            "associationType": "replacedBy",
            "originNodeURI": _link(old.code, old_id, case_uri(self.base_url, "CFItems", old_id)),
            "destinationNodeURI": _link(new.code, new_id, case_uri(self.base_url, "CFItems", new_id)),
            "lastChangeDateTime": _timestamp(link.decided_at or link.created_at),
            # The association belongs to the old version's document, in whichever package it is listed.
            "CFDocumentURI": self.document_link if old.framework_id == self.framework.pk else _PackageWriter(
                old.framework, self.language, self.base_url).document_link,
        }

    def crosswalk(self, crosswalk) -> dict:
        """A methodologist's link from an outcome to an external item (curriculum/external_models.py): the
        external end keeps its publisher's identifier and URI."""
        outcome, item = crosswalk.outcome, crosswalk.external_item
        outcome_id = _case_id(outcome, self.language)
        identifier = str(getattr(crosswalk, f"case_id_{self.language}"))
        association = {
            "identifier": identifier, "uri": case_uri(self.base_url, "CFAssociations", identifier),
            "associationType": crosswalk.association_type,
            "originNodeURI": _link(outcome.code, outcome_id, case_uri(self.base_url, "CFItems", outcome_id)),
            "destinationNodeURI": _link(item.human_coding_scheme or item.full_statement[:100], item.identifier, item.uri),
            "lastChangeDateTime": _timestamp(crosswalk.updated_at), "CFDocumentURI": self.document_link,
        }
        if crosswalk.notes:
            association["notes"] = crosswalk.notes  # CASE 1.1: notes on associations
        return association

    def definitions(self) -> dict:
        return {
            "CFItemTypes": [item_type_definition(kind=kind, language=self.language, base_url=self.base_url)
                            for kind in KINDS],
            "CFSubjects": [subject_definition(subject=self.framework.subject, language=self.language,
                                              base_url=self.base_url)],
        }


def _outcome_fields(outcome) -> dict:
    return {name: getattr(outcome, name) for name in OUTCOME_FIELDS}


def item_type_definition(*, kind: str, language: str, base_url: str) -> dict:
    titles, hierarchy, descriptions = ITEM_TYPES[kind]
    identifier = item_type_identifier(kind, language)
    return {
        "identifier": identifier, "uri": case_uri(base_url, "CFItemTypes", identifier), "title": titles[language],
        "description": descriptions[language], "hierarchyCode": hierarchy, "typeCode": titles["en"],
        "lastChangeDateTime": "2024-01-01T00:00:00+00:00",  # fixed: the types are part of the code
    }


def subject_definition(*, subject: Subject, language: str, base_url: str) -> dict:
    identifier = subject_identifier(subject.code, language)
    title, _title_language = _localized(subject.name_ru, subject.name_kz, language)
    return {
        "identifier": identifier, "uri": case_uri(base_url, "CFSubjects", identifier), "title": title,
        "hierarchyCode": subject.code, "lastChangeDateTime": _timestamp(subject.updated_at),
    }


def _ordered_siblings(rows, parent_of):
    """Rank among siblings in GOSO order (display order, then code): 1, 2, 3... with no ties."""
    ranks, counters = {}, {}
    for row in sorted(rows, key=lambda row: (parent_of(row), row.display_order, list(row.code_sort))):
        counters[parent_of(row)] = counters.get(parent_of(row), 0) + 1
        ranks[row.pk] = counters[parent_of(row)]
    return ranks


def framework_package(*, framework: Framework, language: str, base_url: str, last_change=None) -> dict:
    """The framework's CFPackage in `language` ("ru" or "kk"): its active sections, subsections and outcomes.
    `last_change`: framework_last_change(framework), when the caller has it already."""
    writer = _PackageWriter(framework, language, base_url, last_change)
    sections = list(Section.objects.filter(framework=framework, is_active=True).order_by("display_order", "code_sort"))
    subsections = list(Subsection.objects.filter(
        section__framework=framework, section__is_active=True, is_active=True).order_by("display_order", "code_sort"))
    outcomes = list(LearningOutcome.objects.filter(
        framework=framework, is_active=True, deleted_at__isnull=True, subsection__is_active=True,
        subsection__section__is_active=True,
    ).order_by("code_sort"))
    items, associations = [], []
    links = {}
    for kind, rows, parent_of in (
        ("section", sections, lambda row: 0),
        ("subsection", subsections, lambda row: row.section_id),
        ("outcome", outcomes, lambda row: row.subsection_id),
    ):
        ranks = _ordered_siblings(rows, parent_of)
        for row in sorted(rows, key=lambda row: list(row.code_sort)):
            item = writer.item(kind, row)
            items.append(item)
            parent = writer.document_link if kind == "section" else links[(KINDS[KINDS.index(kind) - 1], parent_of(row))]
            links[(kind, row.pk)] = _link(row.code, item["identifier"], item["uri"])
            associations.append(writer.child_of(kind, row, parent, ranks[row.pk]))
            if language == "kk":
                associations.append(writer.translation_of(kind, row))
    if language == "kk":
        associations.append(writer.translation_of("document", framework))
    # Both directions: the old version's package says what replaced its items, the new one's what they replace.
    accepted = OutcomeVersionLink.objects.filter(
        Q(old_outcome__framework=framework) | Q(new_outcome__framework=framework),
        status=OutcomeVersionLink.Status.ACCEPTED,
    ).select_related("old_outcome__framework", "new_outcome").order_by("old_outcome__code_sort", "new_outcome_id")
    associations += [writer.replaced_by(link) for link in accepted]
    associations += [writer.crosswalk(crosswalk) for crosswalk in framework_crosswalks(framework=framework)]
    return {"CFDocument": writer.document, "CFItems": items, "CFAssociations": associations,
            "CFDefinitions": writer.definitions()}


def framework_crosswalks(*, framework: Framework, outcome=None):
    """Crosswalks of the framework's published outcomes (or of one outcome) to external items."""
    crosswalks = Crosswalk.objects.filter(
        outcome__framework=framework, outcome__is_active=True, outcome__deleted_at__isnull=True,
    ).select_related("outcome", "external_item").order_by("outcome__code_sort", "external_item__position", "pk")
    return crosswalks.filter(outcome=outcome) if outcome is not None else crosswalks


def framework_has_samples(framework: Framework) -> bool:
    return LearningOutcome.objects.filter(framework=framework, is_sample=True, is_active=True).exists()


def framework_document(*, framework: Framework, language: str, base_url: str, has_samples: bool | None = None,
                       last_change=None) -> dict:
    """The CFDocument. Its lastChangeDateTime is the last change of anything in its package (mirrors
    re-fetch a package when it moves); `has_samples` and `last_change` are computed when not given."""
    identifier = _case_id(framework, language)
    title, title_language = _localized(framework.title_ru, framework.title_kz, language)
    ministry, _ministry_language = _localized(framework.ministry_ru, framework.ministry_kz, language)
    subject = framework.subject
    subject_name, _subject_language = _localized(subject.name_ru, subject.name_kz, language)
    if has_samples is None:
        has_samples = framework_has_samples(framework)
    subject_id = subject_identifier(subject.code, language)
    document = {
        "identifier": identifier, "uri": case_uri(base_url, "CFDocuments", identifier),
        "creator": ministry or "GOSO Curriculum", "title": title,
        "lastChangeDateTime": _timestamp(last_change or framework_last_change(framework)),
        "publisher": ministry, "subject": [subject_name],
        "subjectURI": [_link(subject_name, subject_id, case_uri(base_url, "CFSubjects", subject_id))],
        "language": language, "caseVersion": CASE_VERSION,
        # Sample texts are not the ministry's: the package as a whole is then a draft, not the adopted standard.
        "adoptionStatus": "Deprecated" if not framework.is_active else ("Draft" if has_samples else "Adopted"),
        "officialSourceURL": OFFICIAL_SOURCE,
        "CFPackageURI": _link(title, identifier, case_uri(base_url, "CFPackages", identifier)),
        "extensions": {"goso": framework_as_goso(framework) | {"title_language": title_language}},
    }
    if language == "ru" and framework.document_type:
        document["frameworkType"] = framework.document_type  # Russian only: never under a Kazakh title
    notes = []
    if framework.order_number:
        document["version"] = framework.order_number
        notes.append(f"№ {framework.order_number}" + (f", {framework.order_date.isoformat()}" if framework.order_date else ""))
    if title_language != language:
        notes.append(MISSING_TRANSLATION)
    if has_samples:
        notes.append(SAMPLE_NOTE[language])
    if notes:
        document["notes"] = " ".join(notes)
    if framework.valid_from:
        document["statusStartDate"] = framework.valid_from.isoformat()
    if framework.valid_to:
        document["statusEndDate"] = framework.valid_to.isoformat()
    return document


# ---------------------------------------------------------------------------------------------
# Reading (selectors for the CASE service)


def published_frameworks():
    # case_change: the content's last change (curriculum/case_models.py), in the same query.
    return Framework.objects.filter(is_active=True, deleted_at__isnull=True).select_related(
        "subject", "case_change").order_by("code")


def framework_documents(*, base_url: str) -> list[dict]:
    """Every published CFDocument (two queries whatever the number of frameworks)."""
    frameworks = list(published_frameworks())
    with_samples = set(LearningOutcome.objects.filter(is_sample=True, is_active=True, framework__in=frameworks)
                       .values_list("framework_id", flat=True).distinct())
    return [
        framework_document(framework=framework, language=language, base_url=base_url,
                           has_samples=framework.pk in with_samples, last_change=framework_last_change(framework))
        for framework in frameworks for language in LANGUAGES
    ]


def framework_last_change(framework: Framework):
    """When anything in the framework's package last changed (Last-Modified of its package): the framework,
    its subject, or its content as the triggers of migration 0013 keep it (one primary-key lookup, none
    when the framework was loaded with select_related("case_change"))."""
    try:
        content = framework.case_change.changed_at
    except FrameworkChange.DoesNotExist:
        content = None  # nothing in it has changed since the framework itself
    return max(filter(None, (framework.updated_at, framework.subject.updated_at, content)))


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
def case_schema() -> dict:
    """The CASE 1.0 CFPackage schema with the CASE 1.1 association type isTranslationOf (1.1 publishes no
    package schema: its additions are checked by their shapes on top of 1.0). Do not modify the result."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    association_type = schema["definitions"]["CFPackageAssociation"]["properties"]["associationType"]
    association_type["enum"] = [*association_type["enum"], *CASE_1_1_ASSOCIATION_TYPES]
    return schema


def case_format_checker():
    """Dates and date-times told apart (the schema's statusStartDate is oneOf date / date-time: without
    format checks a date would match both)."""
    import jsonschema

    formats = jsonschema.FormatChecker(formats=["date", "email", "ipv4", "ipv6", "regex"])
    formats.checks("date-time", raises=ValueError)(_is_date_time)
    return formats


@cache
def package_validator():
    """The CFPackage schema's validator."""
    import jsonschema

    return jsonschema.Draft4Validator(case_schema(), format_checker=case_format_checker())


def _json_path(parts) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "$"


@cache
def fast_package_validator():
    """The same schema compiled by jsonschema-rs: some 50 times faster (0.4 s instead of 20 s for a
    16,000-outcome package). It only says yes or no; the messages come from package_validator()."""
    import jsonschema_rs

    def date_time(value):
        try:
            return _is_date_time(value)
        except ValueError:
            return False

    return jsonschema_rs.Draft4Validator(case_schema(), validate_formats=True, formats={"date-time": date_time})


def schema_problems(data) -> list[str]:
    """Disagreements with the CASE CFPackage JSON schema, as "json.path: reason"."""
    if fast_package_validator().is_valid(data):
        return []
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


def _existing_rows(framework: Framework | None) -> dict:
    """(kind, code) -> the GOSO fields of the framework's rows today, and (kind, code) of each stored
    identifier: what a package without our extensions leaves as it is (three queries)."""
    rows, identifiers = {}, {}
    if framework is None:
        return rows, identifiers
    for kind, queryset, names in (
        ("section", Section.objects.filter(framework=framework), NODE_FIELDS),
        ("subsection", Subsection.objects.filter(section__framework=framework), NODE_FIELDS),
        ("outcome", LearningOutcome.objects.filter(framework=framework), OUTCOME_FIELDS),
    ):
        for row in queryset.only("code", "case_id_ru", "case_id_kk", *names):
            rows[(kind, row.code)] = {name: getattr(row, name) for name in names}
            for language in LANGUAGES:
                identifiers[str(getattr(row, f"case_id_{language}"))] = (kind, row.code)
    return rows, identifiers


def _contradiction(problems, path, field, extension_value, case_field, case_value):
    problems.add(f"{path}.extensions.goso.{field}", _(
        '"%(extension)s" contradicts %(case_field)s "%(case)s"; extensions may add to the CASE fields, never change them'
    ) % {"extension": extension_value, "case_field": case_field, "case": case_value})


def _goso_rows(tree: _Tree, language: str, problems: Problems, existing=None):
    """Sections (with subsections) and outcomes in the GOSO JSON format, plus GOSO path -> CASE path.
    `existing`: the target framework's rows and identifiers (fields a package without extensions keeps)."""
    existing_rows, existing_ids = existing or ({}, {})
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
        if identifier in existing_ids and existing_ids[identifier] != (kind, code):
            problems.add(f"{path}.humanCodingScheme", _(
                '"%(code)s" contradicts the identifier, which is %(kind)s "%(known)s" of this framework'
            ) % {"code": code, "kind": existing_ids[identifier][0], "known": existing_ids[identifier][1]})
            continue
        if "code" in extension and extension["code"] != code:
            _contradiction(problems, path, "code", extension["code"], "humanCodingScheme", code)
            continue
        levels = item.get("educationLevel") or []
        if kind == "outcome" and "grade" in extension and levels and [f"{extension['grade']:02d}" if isinstance(
                extension["grade"], int) else extension["grade"]] != levels:
            _contradiction(problems, path, "grade", extension["grade"], "educationLevel", ", ".join(levels))
            continue
        row = {"code": code, **existing_rows.get((kind, code), {}), **extension}
        enumeration = item.get("listEnumeration")
        if "display_order" not in extension and isinstance(enumeration, str) and enumeration.isdigit():
            row["display_order"] = int(enumeration)
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
        # A display_order of the wrong type sorts as 0 here and is reported by the GOSO rules.
        row = nodes[identifier][1]
        display_order = row.get("display_order")
        valid = isinstance(display_order, int) and not isinstance(display_order, bool)
        return (display_order if valid else 0, code_sort_key(row["code"]))

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
    refuse_schema_problems(schema_problems(data), problems=problems, source=source)
    tree = _Tree(data, problems)
    language = _language_of(tree.document)
    extension = _goso_extension(tree.document, "CFDocument", problems)
    framework_extension = extension.get("framework") or {}
    if not isinstance(framework_extension, dict):
        problems.add("CFDocument.extensions.goso.framework", _("expected an object"))
        framework_extension = {}
    target = _target_framework(tree.document, language, framework_extension, problems)
    rows = _goso_rows(tree, language, problems, _existing_rows(target)) if not problems else None
    if rows is None:
        raise ImportFileError(source, problems)
    sections, outcomes, case_paths = rows

    current = framework_as_goso(target) if target else {"subject": None, "framework": {}}
    subject = {"code": subject_code} if subject_code else (extension.get("subject") or current["subject"])
    if not subject:
        problems.add("CFDocument", _(
            "the package names no GOSO subject; import it into an existing subject with --subject CODE"
        ))
    # A Kazakh package may carry the Russian title (the framework has no Kazakh one).
    title_language = extension.get("title_language") if extension.get("title_language") in FIELD_SUFFIX else language
    title_key = f"title_{FIELD_SUFFIX[title_language]}"
    if title_key in framework_extension and framework_extension[title_key] != tree.document["title"]:
        _contradiction(problems, "CFDocument", f"framework.{title_key}", framework_extension[title_key], "title",
                       tree.document["title"])
    if problems:
        raise ImportFileError(source, problems)
    framework = current["framework"] | framework_extension
    framework.setdefault("code", f"case-{tree.document['identifier'].lower()}")
    framework[title_key] = tree.document["title"]
    framework.setdefault("title_ru", tree.document["title"])
    document = {"subject": subject, "framework": framework, "sections": sections, "outcomes": outcomes}
    return document, case_paths | {"framework": "CFDocument", "subject": "CFDocument.extensions.goso.subject"}


def _target_framework(document: dict, language: str, framework_extension: dict, problems: Problems):
    """The framework this package updates: the one whose CFDocument identifier it carries (None: a new
    one). The extension's framework code may repeat that, never name another framework."""
    identifier = document["identifier"].lower()
    ref = case_object_find(identifier=uuid.UUID(identifier))
    code = framework_extension.get("code")
    if ref is not None and ref.kind == "document" and ref.role == "object":
        target = Framework.objects.select_related("subject").get(pk=ref.pk)
        if code is not None and code != target.code:
            problems.add("CFDocument.extensions.goso.framework.code", _(
                '"%(code)s" contradicts the CFDocument identifier %(id)s, which is framework "%(target)s"'
            ) % {"code": code, "id": identifier, "target": target.code})
        if ref.language != language:
            problems.add("CFDocument.language", _(
                '"%(language)s" contradicts the identifier %(id)s, which is the "%(known)s" document of "%(target)s"'
            ) % {"language": document.get("language"), "id": identifier, "known": ref.language, "target": target.code})
        return target
    if ref is not None:
        problems.add("CFDocument.identifier", _("%(id)s is not a CFDocument here but a %(kind)s") % {
            "id": identifier, "kind": ref.kind})
    elif code is not None and document_identifier(str(code), language) != identifier:
        problems.add("CFDocument.extensions.goso.framework.code", _(
            '"%(code)s" is not the framework of the CFDocument identifier %(id)s (a package updates only the '
            "framework whose identifier it carries)"
        ) % {"code": code, "id": identifier})
    return None


def _case_error(error: str, case_paths: dict) -> str:
    """'outcomes[3].title_ru: ...' -> 'CFItems[17].title_ru: ...' (the path the package's author knows)."""
    path, _sep, reason = error.partition(": ")
    for goso_path in sorted(case_paths, key=len, reverse=True):
        if path == goso_path or path.startswith(goso_path + ".") or path.startswith(goso_path + "["):
            return f"{case_paths[goso_path]}{path[len(goso_path):]} ({goso_path}): {reason}"
    return error


DATABASE_INTEGER = (-2 ** 31, 2 ** 31 - 1)


def _integers_out_of_range(value, path="") -> list[str]:
    """Whole numbers that no integer column can hold (the GOSO rules check types, the database the rest)."""
    if isinstance(value, dict):
        return [problem for key, item in value.items()
                for problem in _integers_out_of_range(item, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [problem for index, item in enumerate(value) for problem in _integers_out_of_range(item, f"{path}[{index}]")]
    if isinstance(value, int) and not isinstance(value, bool) and not DATABASE_INTEGER[0] <= value <= DATABASE_INTEGER[1]:
        return [f"{path}: " + _("%(value)s is out of range (whole numbers up to %(maximum)s)") % {
            "value": value, "maximum": DATABASE_INTEGER[1]}]
    return []


def import_case_file(*, path, subject_code: str | None = None, dry_run=False, deactivate_missing=False):
    """Import a CASE CFPackage file; all or nothing. One of our frameworks (by its CFDocument identifier)
    updates that framework; any other package is an external framework (curriculum/external.py)."""
    source = str(path)
    try:
        data = read_json_file(path)
        if not package_is_ours(data):
            return external_package_import(data=data, source=source, dry_run=dry_run)
        document, case_paths = goso_document_from_package(data, subject_code=subject_code, source=source)
        del data  # not needed while the document is written: a lower peak of memory
    except RecursionError:
        raise ImportFileError(source, [_("the JSON is nested too deeply to be a CASE package")]) from None
    if problems := _integers_out_of_range(document):
        raise ImportFileError(source, [_case_error(problem, case_paths) for problem in problems])
    try:
        return goso_document_import(document, source=source, dry_run=dry_run, deactivate_missing=deactivate_missing)
    except ImportFileError as error:
        raise ImportFileError(source, [_case_error(problem, case_paths) for problem in error.errors]) from error


# ---------------------------------------------------------------------------------------------
# Promotion of an external framework to GOSO

GOSO_LANGUAGES = ("ru", "kk", "kz", "kaz", "kk-kz")


def external_framework_promote(*, framework, code: str, subject_code: str, dry_run: bool = False):
    """Import a GOSO-shaped external framework (its codes are GOSO codes: section "2", subsection "2.1",
    outcome "7.2.1.2", in that tree) into GOSO as the new framework `code` of the subject `subject_code`:
    through the GOSO import, in one transaction, all or nothing. The external framework stays as its
    publisher made it (crosswalks and schools' alignments point at it); the GOSO one gets our identifiers.
    `dry_run`: the report of what would be created, nothing written. Refusals are ImportFileError."""
    from curriculum.external import external_package
    from curriculum.services import GOSO_WRITERS_ONLY
    from tenants.context import require_super_admin

    require_super_admin(GOSO_WRITERS_ONLY)
    source = framework.title
    language = str(framework.original.get("language") or "ru").lower()
    problems = []
    if language not in GOSO_LANGUAGES:
        problems.append(_('the framework is in "%(language)s"; GOSO frameworks are in Russian or Kazakh') % {
            "language": language[:20]})
    if Framework.objects.filter(code=code).exists():
        problems.append(_('a GOSO framework with the code "%(code)s" exists already: a promotion creates a new '
                          "framework, choose another code") % {"code": code})
    if not Subject.objects.filter(code=subject_code).exists():
        problems.append(_('there is no GOSO subject with the code "%(code)s"') % {"code": subject_code})
    if problems:
        raise ImportFileError(source, problems)
    package = _as_goso_package(external_package(framework=framework), code=code)
    document, case_paths = goso_document_from_package(package, subject_code=subject_code, source=source)
    try:
        return goso_document_import(document, source=source, dry_run=dry_run)
    except ImportFileError as error:
        raise ImportFileError(source, [_case_error(problem, case_paths) for problem in error.errors]) from error


def _as_goso_package(package: dict, *, code: str) -> dict:
    """The package under our document identifier for `code` (so the GOSO import creates that framework,
    never updates the one the publisher's identifier might name), its tree rooted there. Only the tree
    (isChildOf) is GOSO's: other associations (precedes, isRelatedTo, ext:...) stay with the external one."""
    document = package["CFDocument"]
    old = str(document["identifier"]).lower()
    new = document_identifier(code, _language_of(document))
    extensions = document.get("extensions") if isinstance(document.get("extensions"), dict) else {}
    associations = []
    for association in package.get("CFAssociations", []):
        if not isinstance(association, dict) or association.get("associationType") != "isChildOf":
            continue
        destination = association.get("destinationNodeURI") or {}
        if str(destination.get("identifier", "")).lower() == old:
            association = dict(association, destinationNodeURI=dict(destination, identifier=new))
        associations.append(association)
    return dict(package, CFAssociations=associations, CFDocument=dict(
        document, identifier=new, extensions={**extensions, "goso": {"framework": {"code": code}}}))

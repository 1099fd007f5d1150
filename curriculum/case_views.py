"""The read-only CASE 1.1 service (1EdTech "CASE Service" paths under /ims/case/v1p1/, and /ims/case/v1p0/
as aliases: other CASE servers mirror a provider through the 1.0 paths).

GOSO is public reference data, so the service answers anonymous requests, from any origin (CORS), with
ETag / Last-Modified (conditional requests get 304), Cache-Control and HEAD. Identifiers are those of
curriculum/case.py; every lookup is one indexed query (case_object_find). `{id}.json` is the same as `{id}`.
Errors use the specification's imsx_StatusInfo shape (not the /api/ one): a malformed identifier is
`invaliduuid` (400), an unknown one `unknownobject` (404), another method than GET/HEAD/OPTIONS 405.
Included in config/urls.py outside i18n_patterns, so the paths carry no language prefix.
"""

import hashlib
import json
import re
import uuid
from functools import wraps

from django.contrib import admin
from django.http import HttpResponse, JsonResponse
from django.urls import path, reverse
from django.utils.cache import get_conditional_response
from django.utils.html import format_html_join
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from curriculum.case import (
    KINDS, LANGUAGES, CaseRef, _PackageWriter, _link, _ordered_siblings, case_base_url, case_object_find,
    case_uri, document_identifier, framework_crosswalks, framework_document, framework_documents, framework_last_change,
    framework_package, item_type_definition, item_type_identifier, subject_definition, subject_identifier,
)
from curriculum.case_openapi import case_openapi
from curriculum.external import (
    external_association_served, external_documents, external_item_associations, external_item_served,
    external_package,
)
from curriculum.external_models import (
    Crosswalk, ExternalAssociation, ExternalDefinition, ExternalFramework, ExternalItem,
)
from curriculum.models import Framework, LearningOutcome, OutcomeVersionLink, Section, Subject, Subsection

ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")
CACHE_CONTROL = "public, max-age=60"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match, If-Modified-Since",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, X-Total-Count",
}
MODELS = {"section": Section, "subsection": Subsection, "outcome": LearningOutcome}
EXTERNAL_MODELS = {"external_document": ExternalFramework, "external_item": ExternalItem,
                   "external_association": ExternalAssociation}


class CaseError(Exception):
    def __init__(self, status, code_minor, description, field="sourcedId"):
        super().__init__(description)
        self.status, self.code_minor, self.description, self.field = status, code_minor, description, field


def status_info(*, status, code_minor, description, field="sourcedId") -> JsonResponse:
    """The specification's imsx_StatusInfo error body."""
    return JsonResponse({
        "imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": description,
        "imsx_codeMinor": {"imsx_codeMinorField": [
            {"imsx_codeMinorFieldName": field, "imsx_codeMinorFieldValue": code_minor},
        ]},
    }, status=status, json_dumps_params={"ensure_ascii": False})


def _unknown(kind, identifier):
    return CaseError(404, "unknownobject", _('No %(kind)s with the identifier "%(id)s".') % {
        "kind": kind, "id": identifier,
    })


def _with_cors(response):
    for name, value in CORS_HEADERS.items():
        response[name] = value
    return response


def case_endpoint(view):
    """Methods, identifier parsing, conditional GET, caching, CORS and errors for one CASE endpoint.

    The view returns (data, last_modified or None, extra headers) or raises CaseError."""
    @wraps(view)
    def endpoint(request, identifier=None):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Allow"] = ", ".join(ALLOWED_METHODS)
            return _with_cors(response)
        if request.method not in ("GET", "HEAD"):
            response = status_info(status=405, code_minor="unsupportedmethod", field="method", description=_(
                "The CASE service is read-only: %(method)s is not allowed (only GET and HEAD)."
            ) % {"method": request.method})
            response["Allow"] = ", ".join(ALLOWED_METHODS)
            return _with_cors(response)
        try:
            if identifier is None:
                data, last_modified, headers = view(request)
            else:
                text = identifier.removesuffix(".json")
                try:
                    parsed = uuid.UUID(text)
                except ValueError:
                    raise CaseError(400, "invaliduuid", _('"%(id)s" is not a valid UUID.') % {
                        "id": text[:100]}) from None  # echoed back, so bounded
                data, last_modified, headers = view(request, parsed)
        except CaseError as error:
            response = status_info(status=error.status, code_minor=error.code_minor, description=error.description,
                                   field=error.field)
            if request.method == "HEAD":
                response["Content-Length"] = str(len(response.content))
                response.content = b""
            return _with_cors(response)
        body = json.dumps(data, ensure_ascii=False).encode()
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        timestamp = int(last_modified.timestamp()) if last_modified else None  # HTTP dates have whole seconds
        response = get_conditional_response(request, etag=etag, last_modified=timestamp)
        if response is None:
            response = HttpResponse(b"" if request.method == "HEAD" else body, content_type="application/json")
            response["Content-Length"] = str(len(body))
        response["ETag"] = etag
        if timestamp:
            response["Last-Modified"] = http_date(timestamp)
        response["Cache-Control"] = CACHE_CONTROL
        for name, value in headers.items():
            response[name] = value
        return _with_cors(response)

    # Read-only: another method is answered 405 in the imsx shape, not refused by the CSRF check first.
    return csrf_exempt(endpoint)


# ---------------------------------------------------------------------------------------------
# CFDocuments: paging, sorting, filtering, field selection (the specification's query parameters)

FILTER_RE = re.compile(r"^\s*(?P<field>[A-Za-z]+)\s*(?P<op>!=|>=|<=|=|>|<|~)\s*'?(?P<value>.*?)'?\s*$")


def _integer(request, name, default, minimum, maximum=None):
    raw = request.GET.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        if maximum is None:
            message = _('%(name)s must be a whole number of at least %(minimum)s, not "%(value)s".')
        else:
            message = _('%(name)s must be a whole number from %(minimum)s to %(maximum)s, not "%(value)s".')
        raise CaseError(400, "invaliddata", message % {
            "name": name, "minimum": minimum, "maximum": maximum, "value": raw}, field=name)
    return value


def _comparable(value):
    if isinstance(value, list):
        return " ".join(map(str, value))
    if isinstance(value, dict):
        return value.get("title", "")
    return "" if value is None else str(value)


def _matches(document, clause):
    match = FILTER_RE.match(clause)
    if match is None:
        raise CaseError(400, "invalid_filter_field", _(
            "filter: \"%(clause)s\" is not field, operator (=, !=, >, >=, <, <=, ~) and value."
        ) % {"clause": clause}, field="filter")
    field, op, value = match["field"], match["op"], match["value"]
    if field not in document and field not in DOCUMENT_FIELDS:
        raise CaseError(400, "invalid_filter_field", _(
            "filter: \"%(field)s\" is not a field of a CFDocument."
        ) % {"field": field}, field="filter")
    actual = _comparable(document.get(field))
    return {
        "=": actual == value, "!=": actual != value, ">": actual > value, ">=": actual >= value,
        "<": actual < value, "<=": actual <= value, "~": value.lower() in actual.lower(),
    }[op]


DOCUMENT_FIELDS = (
    "identifier", "uri", "creator", "title", "lastChangeDateTime", "officialSourceURL", "publisher", "description",
    "subject", "subjectURI", "language", "version", "adoptionStatus", "statusStartDate", "statusEndDate",
    "licenseURI", "notes", "caseVersion", "frameworkType", "CFPackageURI", "extensions",
)


@case_endpoint
def cf_documents(request):
    documents = framework_documents(base_url=case_base_url()) + external_documents()
    if raw_filter := request.GET.get("filter"):
        joiner = " OR " if " OR " in raw_filter else " AND "
        clauses = raw_filter.split(joiner)
        test = any if joiner == " OR " else all
        documents = [d for d in documents if test(_matches(d, clause) for clause in clauses)]
    if sort := request.GET.get("sort"):
        if sort not in DOCUMENT_FIELDS:
            raise CaseError(400, "invalid_sort_field", _("sort: \"%(field)s\" is not a field of a CFDocument.") % {
                "field": sort}, field="sort")
        order_by = request.GET.get("orderBy", "asc")
        if order_by not in ("asc", "desc"):
            raise CaseError(400, "invaliddata", _('orderBy must be "asc" or "desc", not "%(value)s".') % {
                "value": order_by}, field="orderBy")
        documents.sort(key=lambda d: _comparable(d.get(sort)), reverse=order_by == "desc")
    total = len(documents)
    offset = _integer(request, "offset", 0, 0)
    limit = _integer(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    documents = documents[offset:offset + limit]
    if fields := request.GET.get("fields"):
        wanted = [name.strip() for name in fields.split(",") if name.strip()]
        if unknown := [name for name in wanted if name not in DOCUMENT_FIELDS]:
            raise CaseError(400, "invalid_selection_field", _(
                "fields: \"%(field)s\" is not a field of a CFDocument."
            ) % {"field": unknown[0]}, field="fields")
        documents = [{name: d[name] for name in wanted if name in d} for d in documents]
    return {"CFDocuments": documents}, None, {"X-Total-Count": str(total), **_page_links(request, total, offset, limit)}


def _page_links(request, total, offset, limit) -> dict:
    """RFC 8288 Link header to the first, previous, next and last pages (on CASE_BASE_URL, not the Host)."""
    def page(start):
        query = request.GET.copy()
        query["offset"], query["limit"] = str(start), str(limit)
        return f"<{case_base_url()}{request.path}?{query.urlencode()}>"

    last = max(0, (total - 1) // limit * limit)
    links = [f'{page(0)}; rel="first"', f'{page(last)}; rel="last"']
    if offset + limit < total:
        links.append(f'{page(offset + limit)}; rel="next"')
    if offset > 0:
        links.append(f'{page(max(0, offset - limit))}; rel="prev"')
    return {"Link": ", ".join(links)}


# ---------------------------------------------------------------------------------------------
# Objects by identifier


def _found(identifier, kinds, roles=("object",), ref=None) -> CaseRef | None:
    """`ref`: the identifier's lookup when the view made it already (one query per request)."""
    ref = ref or case_object_find(identifier=identifier)
    return ref if ref and ref.kind in kinds and ref.role in roles else None


def _external(ref: CaseRef | None, kind: str):
    """The external framework's row that `ref` names (curriculum/external_models.py), or None."""
    if ref is None or ref.kind != kind:
        return None
    return EXTERNAL_MODELS[kind].objects.filter(pk=ref.pk).first()


def _published_framework(pk) -> Framework | None:
    return Framework.objects.select_related("subject", "case_change").filter(
        pk=pk, is_active=True, deleted_at__isnull=True).first()


def _document_ref(identifier, ref=None):
    ref = _found(identifier, ("document",), ref=ref)
    framework = _published_framework(ref.pk) if ref else None
    if framework is None:
        raise _unknown("CFDocument", identifier)
    return framework, ref.language


@case_endpoint
def cf_document(request, identifier):
    ref = case_object_find(identifier=identifier)
    if external := _external(ref, "external_document"):
        return external.original, external.updated_at, {}
    framework, language = _document_ref(identifier, ref)
    last_change = framework_last_change(framework)
    document = framework_document(framework=framework, language=language, base_url=case_base_url(),
                                  last_change=last_change)
    return document, last_change, {}


@case_endpoint
def cf_package(request, identifier):
    ref = case_object_find(identifier=identifier)
    if external := _external(ref, "external_document"):
        headers = {"Content-Disposition": f'attachment; filename="{external.identifier}.case.json"'} if (
            request.GET.get("download")) else {}
        return external_package(framework=external), external.updated_at, headers
    framework, language = _document_ref(identifier, ref)
    last_change = framework_last_change(framework)
    package = framework_package(framework=framework, language=language, base_url=case_base_url(),
                                last_change=last_change)
    headers = {}
    if request.GET.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="{framework.code}.{language}.case.json"'
    return package, last_change, headers


def _item_row(ref: CaseRef):
    """The section, subsection or outcome of `ref` in a published framework (one query), or None."""
    related = {"section": ["framework__subject"], "subsection": ["section__framework__subject"],
               "outcome": ["framework__subject", "subsection"]}[ref.kind]
    row = MODELS[ref.kind].objects.select_related(*related).filter(pk=ref.pk).first()
    if row is None:
        return None, None
    framework = row.section.framework if ref.kind == "subsection" else row.framework
    if not framework.is_active or framework.deleted_at:
        return None, None
    return row, framework


def _item(identifier, ref=None):
    ref = _found(identifier, KINDS, ref=ref)
    row, framework = _item_row(ref) if ref else (None, None)
    if row is None:
        raise _unknown("CFItem", identifier)
    return ref, row, _PackageWriter(framework, ref.language, case_base_url())


@case_endpoint
def cf_item(request, identifier):
    ref = case_object_find(identifier=identifier)
    if external := _external(ref, "external_item"):
        return external_item_served(item=external), external.updated_at, {}
    ref, row, writer = _item(identifier, ref)
    return writer.item(ref.kind, row), row.updated_at, {}


def _parent_link(writer: _PackageWriter, kind, row):
    if kind == "section":
        return writer.document_link
    parent = row.section if kind == "subsection" else row.subsection
    parent_id = str(getattr(parent, f"case_id_{writer.language}"))
    return _link(parent.code, parent_id, case_uri(writer.base_url, "CFItems", parent_id))


def _sequence(kind, row):
    """The row's rank among its siblings (one query)."""
    parent_field = {"section": "framework_id", "subsection": "section_id", "outcome": "subsection_id"}[kind]
    siblings = MODELS[kind].objects.filter(**{parent_field: getattr(row, parent_field), "is_active": True})
    ranks = _ordered_siblings(siblings.only("pk", "display_order", "code_sort", parent_field),
                              lambda sibling: getattr(sibling, parent_field))
    return ranks.get(row.pk)


def _child_of(writer, kind, row):
    return writer.child_of(kind, row, _parent_link(writer, kind, row), _sequence(kind, row))


def _version_link(ref: CaseRef):
    """An accepted version link whose old outcome's framework is published (one query), or None."""
    link = OutcomeVersionLink.objects.select_related(
        "old_outcome__framework__subject", "new_outcome").filter(pk=ref.pk).first()
    framework = link.old_outcome.framework if link else None
    return link if framework and framework.is_active and not framework.deleted_at else None


@case_endpoint
def cf_association(request, identifier):
    found = case_object_find(identifier=identifier)
    if external := _external(found, "external_association"):
        return external_association_served(association=external), external.updated_at, {}
    if found is not None and found.kind == "crosswalk":
        crosswalk = Crosswalk.objects.select_related("outcome__framework__subject", "external_item").filter(
            pk=found.pk).first()
        framework = crosswalk.outcome.framework if crosswalk else None
        if framework and framework.is_active and not framework.deleted_at and crosswalk.outcome.is_active:
            writer = _PackageWriter(framework, found.language, case_base_url())
            return writer.crosswalk(crosswalk), crosswalk.updated_at, {}
    ref = _found(identifier, ("document", "version_link", *KINDS), roles=("isChildOf", "isTranslationOf", "replacedBy"),
                 ref=found)
    if ref is not None and ref.kind == "version_link":
        if link := _version_link(ref):
            writer = _PackageWriter(link.old_outcome.framework, ref.language, case_base_url())
            return writer.replaced_by(link), link.decided_at or link.created_at, {}
    elif ref is not None and ref.kind == "document":
        framework = _published_framework(ref.pk)
        if framework is not None:
            writer = _PackageWriter(framework, "kk", case_base_url())
            return writer.translation_of("document", framework), framework.updated_at, {}
    elif ref is not None:
        row, framework = _item_row(ref)
        if row is not None:
            writer = _PackageWriter(framework, ref.language, case_base_url())
            if ref.role == "isTranslationOf":
                return writer.translation_of(ref.kind, row), row.updated_at, {}
            return _child_of(writer, ref.kind, row), row.updated_at, {}
    raise _unknown("CFAssociation", identifier)


@case_endpoint
def cf_item_associations(request, identifier):
    """The item and every association that touches it: its parent link, its children's, its translation
    and its version links (a fixed number of queries)."""
    ref = case_object_find(identifier=identifier)
    if external := _external(ref, "external_item"):
        return {"CFItem": external_item_served(item=external),
                "CFAssociations": external_item_associations(item=external)}, external.updated_at, {}
    ref, row, writer = _item(identifier, ref)
    associations = [_child_of(writer, ref.kind, row)]
    if ref.kind != "outcome":
        child_kind = KINDS[KINDS.index(ref.kind) + 1]
        parent_field = "section" if child_kind == "subsection" else "subsection"
        children = MODELS[child_kind].objects.filter(**{parent_field: row, "is_active": True})
        ranks = _ordered_siblings(list(children), lambda child: 0)
        link = _link(row.code, str(getattr(row, f"case_id_{writer.language}")),
                     case_uri(writer.base_url, "CFItems", getattr(row, f"case_id_{writer.language}")))
        associations += [writer.child_of(child_kind, child, link, ranks[child.pk])
                         for child in sorted(children, key=lambda child: ranks[child.pk])]
    associations.append(writer.translation_of(ref.kind, row))
    if ref.kind == "outcome":
        links = OutcomeVersionLink.objects.filter(status=OutcomeVersionLink.Status.ACCEPTED).filter(
            old_outcome=row) | OutcomeVersionLink.objects.filter(
            status=OutcomeVersionLink.Status.ACCEPTED, new_outcome=row)
        associations += [writer.replaced_by(link) for link in links.select_related("old_outcome__framework", "new_outcome")]
        associations += [writer.crosswalk(crosswalk) for crosswalk in framework_crosswalks(
            framework=writer.framework, outcome=row)]
    return {"CFItem": writer.item(ref.kind, row), "CFAssociations": associations}, row.updated_at, {}


@case_endpoint
def cf_item_type(request, identifier):
    for kind in KINDS:
        for language in LANGUAGES:
            if item_type_identifier(kind, language) == str(identifier):
                return item_type_definition(kind=kind, language=language, base_url=case_base_url()), None, {}
    return _external_definition("CFItemTypes", "CFItemType", identifier)


@case_endpoint
def cf_subject(request, identifier):
    for subject in Subject.objects.filter(is_active=True):  # a few dozen rows, one query
        for language in LANGUAGES:
            if subject_identifier(subject.code, language) == str(identifier):
                return subject_definition(subject=subject, language=language, base_url=case_base_url()), \
                    subject.updated_at, {}
    return _external_definition("CFSubjects", "CFSubject", identifier)


def _external_definition(kind, name, identifier):
    """A definition of an external framework (the first that has this identifier: one indexed query)."""
    definition = ExternalDefinition.objects.filter(identifier=identifier, kind=kind).order_by("pk").first()
    if definition is None:
        raise _unknown(name, identifier)
    return definition.original, definition.updated_at, {}


def _none_published(kind):
    """GOSO publishes no concepts, licenses, rubrics or association groupings: only external frameworks'."""
    @case_endpoint
    def view(request, identifier):
        return _external_definition(kind, kind.removesuffix("s"), identifier)

    view.__name__ = f"cf_{kind}"
    return view


@case_endpoint
def discovery(request):
    return case_openapi(base_url=case_base_url()), None, {}


class CaseDownloadAdminMixin:
    """Adds a "CASE" column to a framework admin list: download links to its ru and kk packages."""

    def get_list_display(self, request):
        return [*super().get_list_display(request), "case_packages"]

    @admin.display(description="CASE")
    def case_packages(self, framework):
        links = (
            # The stored identifier: it stays when the framework's code changes (migration stable_case_identifiers).
            (reverse("case:cf-package", args=[getattr(framework, f"case_id_{language}")]) + "?download=1", language)
            for language in LANGUAGES
        )
        return format_html_join(" ", '<a href="{}">{}</a>', links)


app_name = "case"
urlpatterns = [
    path("discovery", discovery, name="discovery"),
    path("CFDocuments", cf_documents, name="cf-documents"),
    path("CFDocuments/<str:identifier>", cf_document, name="cf-document"),
    path("CFPackages/<str:identifier>", cf_package, name="cf-package"),
    path("CFItems/<str:identifier>", cf_item, name="cf-item"),
    path("CFItemAssociations/<str:identifier>", cf_item_associations, name="cf-item-associations"),
    path("CFAssociations/<str:identifier>", cf_association, name="cf-association"),
    path("CFItemTypes/<str:identifier>", cf_item_type, name="cf-item-type"),
    path("CFSubjects/<str:identifier>", cf_subject, name="cf-subject"),
    *(path(f"{kind}/<str:identifier>", _none_published(kind), name=f"cf-{kind.lower()}")
      for kind in ("CFConcepts", "CFLicenses", "CFRubrics", "CFAssociationGroupings")),
]

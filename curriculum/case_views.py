"""The read-only CASE 1.1 service (1EdTech "CASE Service" paths under /ims/case/v1p1/).

GOSO is public reference data, so the service answers anonymous requests (row-level security still
applies: with no context only reference rows are visible). Identifiers are those of curriculum/case.py:
one CFDocument / CFPackage per framework and language; each CFItem's URI resolves too (CFAssociation URIs
are identifiers only: associations are served inside their package). Included in config/urls.py outside
i18n_patterns, so the paths carry no language prefix.
"""

from functools import wraps

from django.contrib import admin
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from curriculum.case import (
    LANGUAGES, case_base_url, document_identifier, framework_document, framework_for_document, framework_for_item,
    framework_package, published_frameworks,
)


def _not_found(identifier, kind="CFDocument"):
    # The CASE service's imsx_StatusInfo shape.
    return JsonResponse({
        "imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_CodeMinor": {"imsx_codeMinorField": [
            {"imsx_codeMinorFieldName": "sourcedId", "imsx_codeMinorFieldValue": "unknownobject"},
        ]},
        "imsx_description": _('No %(kind)s with the identifier "%(id)s".') % {"kind": kind, "id": identifier},
    }, status=404)


def _read_only(view):
    """GET and HEAD only; any other method is a 405 in the service's imsx shape. No CSRF check: the
    service changes nothing and knows no session, so a POST is simply the wrong method (not a 403)."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({
                "imsx_codeMajor": "failure", "imsx_severity": "error",
                "imsx_CodeMinor": {"imsx_codeMinorField": [
                    {"imsx_codeMinorFieldName": "method", "imsx_codeMinorFieldValue": "unsupportedmethod"},
                ]},
                "imsx_description": _("The CASE service is read-only: use GET."),
            }, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return wrapper


def _json(data):
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@_read_only
def cf_documents(request):
    base_url = case_base_url(request)
    return _json({"CFDocuments": [
        framework_document(framework=framework, language=language, base_url=base_url)
        for framework in published_frameworks() for language in LANGUAGES
    ]})


@_read_only
def cf_document(request, identifier):
    found = framework_for_document(identifier)
    if found is None:
        return _not_found(identifier)
    framework, language = found
    return _json(framework_document(framework=framework, language=language, base_url=case_base_url(request)))


@_read_only
def cf_package(request, identifier):
    found = framework_for_document(identifier)
    if found is None:
        return _not_found(identifier)
    framework, language = found
    package = framework_package(framework=framework, language=language, base_url=case_base_url(request))
    response = _json(package)
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{framework.code}.{language}.case.json"'
    return response


@_read_only
def cf_item(request, identifier):
    found = framework_for_item(identifier)
    if found is not None:
        framework, language = found
        package = framework_package(framework=framework, language=language, base_url=case_base_url(request))
        for item in package["CFItems"]:
            if item["identifier"] == str(identifier).lower():
                return _json(item)
    return _not_found(identifier, kind="CFItem")


class CaseDownloadAdminMixin:
    """Adds a "CASE" column to a framework admin list: download links to its ru and kk packages."""

    def get_list_display(self, request):
        return [*super().get_list_display(request), "case_packages"]

    @admin.display(description="CASE")
    def case_packages(self, framework):
        links = (
            (reverse("case:cf-package", args=[document_identifier(framework.code, language)]) + "?download=1", language)
            for language in LANGUAGES
        )
        return format_html_join(" ", '<a href="{}">{}</a>', links)


app_name = "case"
urlpatterns = [
    path("CFDocuments", cf_documents, name="cf-documents"),
    path("CFDocuments/<str:identifier>", cf_document, name="cf-document"),
    path("CFPackages/<str:identifier>", cf_package, name="cf-package"),
    path("CFItems/<str:identifier>", cf_item, name="cf-item"),
]

"""The CASE service's own description (OpenAPI 3.0, served at /ims/case/v1p1/discovery): every path, its
parameters, and the response shapes, built from the bundled CASE schema's definitions (the same ones the
import validates against), so contract tests can check every response against it."""

import copy
import json

from curriculum.case import CASE_PATH, CASE_VERSION, case_schema

OBJECT_ENDPOINTS = {  # path -> (definition of the answer, summary)
    "CFDocuments/{sourcedId}": ("CFPackageDocument", "A framework in one language"),
    "CFPackages/{sourcedId}": ("CFPackage", "A framework in one language with its items and associations"),
    "CFItems/{sourcedId}": ("CFPackageItem", "A section, subsection or learning outcome"),
    "CFItemAssociations/{sourcedId}": ("CFItemAssociations", "An item and every association that touches it"),
    "CFAssociations/{sourcedId}": ("CFPackageAssociation", "An association (isChildOf, isTranslationOf, replacedBy)"),
    "CFAssociationGroupings/{sourcedId}": ("CFAssociationGrouping", "An association grouping (none published)"),
    "CFConcepts/{sourcedId}": ("CFConcept", "A concept (none published)"),
    "CFItemTypes/{sourcedId}": ("CFItemType", "An item type"),
    "CFLicenses/{sourcedId}": ("CFLicense", "A license (none published)"),
    "CFRubrics/{sourcedId}": ("CFRubric", "A rubric (none published)"),
    "CFSubjects/{sourcedId}": ("CFSubject", "A subject"),
}
LIST_PARAMETERS = ("limit", "offset", "sort", "orderBy", "filter", "fields")

STATUS_INFO = {
    "type": "object",
    "required": ["imsx_codeMajor", "imsx_severity", "imsx_description", "imsx_codeMinor"],
    "additionalProperties": False,
    "properties": {
        "imsx_codeMajor": {"enum": ["failure"]},
        "imsx_severity": {"enum": ["error"]},
        "imsx_description": {"type": "string", "minLength": 1},
        "imsx_codeMinor": {
            "type": "object", "required": ["imsx_codeMinorField"], "additionalProperties": False,
            "properties": {"imsx_codeMinorField": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False,
                "required": ["imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"],
                "properties": {"imsx_codeMinorFieldName": {"type": "string"}, "imsx_codeMinorFieldValue": {"enum": [
                    "invaliduuid", "unknownobject", "unsupportedmethod", "invaliddata", "invalid_sort_field",
                    "invalid_filter_field", "invalid_selection_field",
                ]}},
            }}},
        },
    },
}


def _components() -> dict:
    schema = case_schema()
    # "#/definitions/X" -> "#/components/schemas/X"
    text = json.dumps(schema["definitions"]).replace('"#/definitions/', '"#/components/schemas/')
    schemas = json.loads(text)
    # CASE 1.1 custom association types ("ext:..."), which external frameworks may use (curriculum/external.py).
    association_type = schemas["CFPackageAssociation"]["properties"]["associationType"]
    schemas["CFPackageAssociation"]["properties"]["associationType"] = {"anyOf": [
        association_type, {"type": "string", "pattern": "^ext:.+"}]}
    package = {key: value for key, value in copy.deepcopy(schema).items() if key != "definitions"}
    schemas["CFPackage"] = json.loads(json.dumps(package).replace('"#/definitions/', '"#/components/schemas/'))
    schemas["CFDocumentSet"] = {"type": "object", "required": ["CFDocuments"], "additionalProperties": False,
                                "properties": {"CFDocuments": {"type": "array", "items": {
                                    "$ref": "#/components/schemas/CFPackageDocument"}}}}
    # With `fields`, each document holds only the named fields.
    schemas["CFDocumentSelection"] = {"type": "object", "required": ["CFDocuments"], "additionalProperties": False,
                                      "properties": {"CFDocuments": {"type": "array", "items": {
                                          "type": "object", "minProperties": 1,
                                          "properties": schemas["CFPackageDocument"]["properties"]}}}}
    schemas["CFDocumentList"] = {"anyOf": [{"$ref": "#/components/schemas/CFDocumentSet"},
                                           {"$ref": "#/components/schemas/CFDocumentSelection"}]}
    schemas["CFItemAssociations"] = {
        "type": "object", "required": ["CFItem", "CFAssociations"], "additionalProperties": False,
        "properties": {"CFItem": {"$ref": "#/components/schemas/CFPackageItem"}, "CFAssociations": {
            "type": "array", "items": {"$ref": "#/components/schemas/CFPackageAssociation"}}},
    }
    schemas["imsx_StatusInfo"] = STATUS_INFO
    return {"schemas": schemas}


def _json(ref) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*statuses) -> dict:
    return {str(status): {"description": "imsx_StatusInfo", "content": _json("imsx_StatusInfo")} for status in statuses}


def case_openapi(*, base_url: str) -> dict:
    paths = {"/CFDocuments": {"get": {
        "summary": "Every published framework, in Russian and in Kazakh", "operationId": "getAllCFDocuments",
        "parameters": [{"name": name, "in": "query", "required": False, "schema": {
            "type": "integer" if name in ("limit", "offset") else "string"}} for name in LIST_PARAMETERS],
        "responses": {"200": {"description": "CFDocuments; the total in X-Total-Count", "content": _json("CFDocumentList")},
                      **_errors(400, 405)},
    }}}
    for path, (definition, summary) in OBJECT_ENDPOINTS.items():
        paths[f"/{path}"] = {"get": {
            "summary": summary, "operationId": "get" + path.split("/")[0],
            "parameters": [{"name": "sourcedId", "in": "path", "required": True,
                            "schema": {"type": "string", "format": "uuid"}}],
            "responses": {"200": {"description": summary, "content": _json(definition)}, **_errors(400, 404, 405)},
        }}
    return {
        "openapi": "3.0.3",
        "info": {"title": "GOSO CASE service", "version": CASE_VERSION,
                 "description": "1EdTech CASE 1.1 read service of Kazakhstan's state education standard (GOSO)."},
        "servers": [{"url": f"{base_url}{CASE_PATH}"}, {"url": f"{base_url}{CASE_PATH.replace('v1p1', 'v1p0')}"}],
        "paths": paths,
        "components": _components(),
    }

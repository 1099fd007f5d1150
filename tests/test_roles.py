"""Roles from one source (issue 10, finding 4): config/roles.py declares what each role may do per
model and action, and the whole declaration is walked through both interfaces — every model x action
x role through the admin's permission methods, and through the API wherever an endpoint offers the
action — so the admin, the API and the declaration cannot disagree. (Pages, 404s for other schools'
rows and read-only forms: tests/test_admin_permissions.py.)"""

from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from config.roles import (
    ACTIONS, ADD, ALIGN, ANONYMOUS, ANY_ROW_ACTIONS, CHANGE, DELETE, FORK, IMPORT, ROLE_ACTIONS, ROLES, VIEW,
    RolePermission, RolePermissions,
)
from tenants.context import super_admin_context
from tenants.models import Role
from tests.api_support import API, api_client
from textbooks.models import Chapter, ExternalAlignment, Textbook

pytestmark = pytest.mark.django_db

USERS = {Role.METHODOLOGIST: "methodologist", Role.SCHOOL_ADMIN: "admin_a", Role.TEACHER: "teacher_a"}
HOSTS = {Role.METHODOLOGIST: "testserver", Role.SCHOOL_ADMIN: "school-a.localhost", Role.TEACHER: "school-a.localhost",
         ANONYMOUS: "testserver"}
# Registered by an app the token change removes (DRF authtoken -> knox); nothing else may be undeclared.
NOT_YET_DECLARED = {"authtoken.tokenproxy"}


def declared(model, role, action) -> bool:
    return action in ROLE_ACTIONS.get(model, {}).get(role, ())


def user_of(role, request):
    return AnonymousUser() if role == ANONYMOUS else request.getfixturevalue(USERS[role])


# The admin ------------------------------------------------------------------------------------


def admin_instances():
    """(model label, ModelAdmin or inline instance) for everything the admin site shows."""
    for model, model_admin in admin.site._registry.items():
        yield model._meta.label_lower, model_admin
        for inline in model_admin.inlines:
            yield inline.model._meta.label_lower, inline(model, admin.site)


def test_every_admin_model_is_declared_and_every_declared_model_is_in_the_admin():
    shown = {label for label, _model_admin in admin_instances()}
    assert shown - NOT_YET_DECLARED == set(ROLE_ACTIONS)
    for label, model_admin in admin_instances():
        if label not in NOT_YET_DECLARED:
            assert isinstance(model_admin, RolePermissions), label


def admin_allows(model_admin, request, action, obj=None) -> bool:
    inline = not isinstance(model_admin, admin.ModelAdmin)
    if action == VIEW:
        return model_admin.has_view_permission(request, obj)
    if action == ADD:
        return model_admin.has_add_permission(request, obj) if inline else model_admin.has_add_permission(request)
    if action == CHANGE:
        return model_admin.has_change_permission(request, obj)
    if action == DELETE:
        return model_admin.has_delete_permission(request, obj)
    if action == FORK:
        return model_admin.has_fork_permission(request, obj)
    if action == IMPORT:
        return model_admin.has_import_permission(request)
    return model_admin.role_allows(request, action, obj)  # ALIGN: alignment pages and carry-over


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_follows_the_declaration(role, request):
    http_request = RequestFactory().get("/admin/")
    http_request.user = user_of(role, request)
    checked = 0
    for label, model_admin in admin_instances():
        if label in NOT_YET_DECLARED:
            continue
        for action in ACTIONS:
            assert admin_allows(model_admin, http_request, action) == declared(label, role, action), (label, role, action)
            checked += 1
        if isinstance(model_admin, admin.ModelAdmin):
            assert model_admin.has_module_permission(http_request) == declared(label, role, VIEW), label
    assert checked >= len(ROLE_ACTIONS) * len(ACTIONS)


@pytest.mark.parametrize("role", [Role.SCHOOL_ADMIN, Role.TEACHER])
def test_school_staff_act_on_their_own_schools_rows_only(role, request, textbook_a, global_textbook, textbook_b):
    http_request = RequestFactory().get("/admin/")
    http_request.user = user_of(role, request)
    with super_admin_context():
        chapters = {textbook.pk: Chapter.objects.get(textbook=textbook) for textbook in (textbook_a, global_textbook, textbook_b)}
    for model, model_admin in admin.site._registry.items():
        if model not in (Textbook, Chapter):
            continue
        label = model._meta.label_lower
        for textbook in (textbook_a, global_textbook, textbook_b):
            obj = textbook if model is Textbook else chapters[textbook.pk]
            own = textbook is textbook_a
            for action in ACTIONS:
                expected = declared(label, role, action) and (own or action in ANY_ROW_ACTIONS)
                if action in (IMPORT, ADD):
                    continue  # list-level for a ModelAdmin (an inline's add is decided on the parent)
                assert admin_allows(model_admin, http_request, action, obj) == expected, (label, textbook.title, action)


# The API --------------------------------------------------------------------------------------


def api_routes(patterns=None, prefix=""):
    """(route, view class, {method: viewset action} or None) of every /api/v1/ endpoint."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from api_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and prefix.startswith("api/v1/"):
            view = getattr(pattern.callback, "cls", None)
            if view is not None and "auth" not in str(pattern.pattern):
                yield prefix + str(pattern.pattern), view, getattr(pattern.callback, "actions", None)


def declared_pair(view_class, method, action):
    view = view_class()
    view.swagger_fake_view = True  # no request: querysets are built, never run
    view.action, view.kwargs, view.request = action, {}, None
    return RolePermission.model_and_action(SimpleNamespace(method=method.upper()), view)


def exposed_pairs():
    pairs = set()
    for route, view_class, actions in api_routes():
        methods = actions or {method: None for method in ("get", "post", "put", "patch", "delete")
                              if hasattr(view_class, method)}
        for method, action in methods.items():
            pairs.add(declared_pair(view_class, method, action))
    return pairs


# One or more requests per (model, action) the API offers; `o` holds the objects (own school's rows
# for school staff, so that only the role decides).
GOSO_PATHS = {
    "curriculum.subject": "subjects/{o.subject.pk}", "curriculum.framework": "frameworks/{o.framework.pk}",
    "curriculum.section": "sections/{o.section.pk}", "curriculum.subsection": "subsections/{o.subsection.pk}",
    "curriculum.learningoutcome": "outcomes/{o.outcome.pk}",
}
API_REQUESTS = {}
for _model, _path in GOSO_PATHS.items():
    API_REQUESTS[_model, VIEW] = [("get", _path + "/", None), ("get", _path.split("/")[0] + "/", None)]
    API_REQUESTS[_model, ADD] = [("post", _path.split("/")[0] + "/", {})]
    API_REQUESTS[_model, CHANGE] = [("patch", _path + "/", {}), ("put", _path + "/", {}), ("post", _path + "/deactivate/", None)]
API_REQUESTS["curriculum.framework", VIEW].append(("get", "frameworks/{o.framework.pk}/structure/", None))
API_REQUESTS.update({
    ("curriculum.crosswalk", VIEW): [("get", "crosswalks/", None), ("get", "crosswalks/{o.crosswalk.pk}/", None)],
    ("curriculum.crosswalk", ADD): [("post", "crosswalks/", {})],
    ("curriculum.crosswalk", CHANGE): [("patch", "crosswalks/{o.crosswalk.pk}/", {})],
    ("curriculum.crosswalk", DELETE): [("delete", "crosswalks/{o.crosswalk.pk}/", None)],
})
API_REQUESTS.update({
    ("textbooks.textbook", VIEW): [
        ("get", "textbooks/", None), ("get", "textbooks/{o.textbook_a.pk}/", None),
        ("get", "textbooks/{o.textbook_a.pk}/coverage/", None), ("get", "textbooks/{o.textbook_a.pk}/coverage/csv/", None),
        ("get", "textbooks/{o.textbook_a.pk}/coverage/xlsx/", None),
        ("get", "textbooks/{o.textbook_a.pk}/external-coverage/?framework={o.crosswalk.external_item.framework_id}", None),
    ],
    ("textbooks.textbook", FORK): [("post", "textbooks/{o.global_textbook.pk}/fork/", {"school": "{o.school_a.pk}"})],
    # Applying an update of the global textbook to a copy (textbook_a is none: a 400 once allowed).
    ("textbooks.textbook", CHANGE): [("post", "textbooks/{o.textbook_a.pk}/fork-update/apply/", {})],
    ("textbooks.chapter", VIEW): [("get", "chapters/", None), ("get", "chapters/{o.chapter_a.pk}/", None)],
    ("textbooks.paragraph", VIEW): [
        ("get", "paragraphs/", None), ("get", "paragraphs/{o.paragraph_a.pk}/", None),
        ("get", "paragraphs/{o.paragraph_a.pk}/outcomes/", None),
    ],
    ("textbooks.paragraph", ALIGN): [("put", "paragraphs/{o.paragraph_a.pk}/outcomes/", {"alignments": []})],
    ("textbooks.paragraphoutcome", VIEW): [
        ("get", "alignments/", None), ("get", "alignments/{o.alignment_a.pk}/", None),
        ("get", "outcomes/{o.outcome.pk}/paragraphs/", None),
    ],
    ("textbooks.paragraphoutcome", ADD): [("post", "alignments/", {})],
    ("textbooks.paragraphoutcome", CHANGE): [("patch", "alignments/{o.alignment_a.pk}/", {"confidence": "0.5"})],
    ("textbooks.paragraphoutcome", DELETE): [("delete", "alignments/{o.alignment_a.pk}/", None)],
    ("textbooks.externalalignment", VIEW): [
        ("get", "external-alignments/", None), ("get", "external-alignments/{o.external_alignment_a.pk}/", None),
    ],
    ("textbooks.externalalignment", ADD): [("post", "external-alignments/", {})],
    ("textbooks.externalalignment", CHANGE): [
        ("patch", "external-alignments/{o.external_alignment_a.pk}/", {"confidence": "0.5"}),
    ],
    ("textbooks.externalalignment", DELETE): [("delete", "external-alignments/{o.external_alignment_a.pk}/", None)],
})


def test_every_action_the_api_offers_is_walked_below():
    assert exposed_pairs() == set(API_REQUESTS)


class Objects:
    def __init__(self, request):
        self.request = request

    def __getattr__(self, name):
        return self.request.getfixturevalue(name)


def fill(template, objects):
    if isinstance(template, dict):
        return {key: fill(value, objects) for key, value in template.items()}
    if isinstance(template, str):
        text = template.format(o=objects)
        return int(text) if text.isdigit() else text
    return template


@pytest.fixture
def crosswalk(outcome):
    from tests.test_case_external import make_crosswalk

    return make_crosswalk(outcome)


@pytest.fixture
def external_alignment_a(paragraph_a, crosswalk):
    with super_admin_context():
        return ExternalAlignment.objects.create(paragraph=paragraph_a, external_item=crosswalk.external_item)


@pytest.fixture
def chapter_a(textbook_a):
    with super_admin_context():
        return Chapter.objects.get(textbook=textbook_a)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model, action", sorted(API_REQUESTS))
def test_the_api_follows_the_declaration(model, action, role, request):
    objects = Objects(request)
    user = None if role == ANONYMOUS else user_of(role, request)
    client = api_client(user, host=HOSTS[role])
    allowed = declared(model, role, action)
    for method, path, body in API_REQUESTS[model, action]:
        url = f"{API}/{fill(path, objects)}"
        response = getattr(client, method)(url, fill(body, objects), format="json")
        if allowed:
            assert response.status_code < 500 and response.status_code not in (401, 403, 404), (method, url, response.content[:300])
        else:
            expected = 401 if role == ANONYMOUS else 403
            assert response.status_code == expected, (method, url, response.content[:300])


def test_a_teacher_cannot_fork_a_global_textbook_through_the_api(teacher_a, global_textbook, school_a):
    """Finding 4: the API answered 201 where the admin refuses."""
    response = api_client(teacher_a, host="school-a.localhost").post(
        f"{API}/textbooks/{global_textbook.pk}/fork/", {"school": school_a.pk}, format="json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    with super_admin_context():
        assert not Textbook.objects.filter(global_textbook=global_textbook).exists()

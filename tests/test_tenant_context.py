"""The tenant context: where it is set, that it never outlives its transaction, and that no context
means no school data (fail closed)."""

import json
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory

from tenants.context import activate, current_context, NO_CONTEXT, super_admin_context, tenant_context, TenantContext
from tenants.middleware import SchoolHostMiddleware, TenantContextMiddleware
from tests.conftest import make_school, make_textbook, make_user
from tenants.models import Role
from textbooks.models import Textbook

# Tests that commit for real: the runtime role may not TRUNCATE, so Django flushes the tables
# through the `owner` connection after each test (`default` is its mirror).
committing = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


def visible_titles():
    return sorted(Textbook.objects.values_list("title", flat=True))


@pytest.fixture
def two_schools_committed(subject):
    with super_admin_context():
        school_a, school_b = make_school("school-a", 1), make_school("school-b", 2)
        make_textbook(subject, title="global")
        make_textbook(subject, school=school_a, title="A")
        make_textbook(subject, school=school_b, title="B")
        users = {
            "a": make_user("admin_a", role=Role.SCHOOL_ADMIN, school=school_a),
            "b": make_user("admin_b", role=Role.SCHOOL_ADMIN, school=school_b),
        }
    return school_a, school_b, users


def serve(view, *, host, user):
    """One request through the tenant middlewares (authentication already done)."""
    request = RequestFactory().get("/", HTTP_HOST=host)
    request.user = user
    return SchoolHostMiddleware(TenantContextMiddleware(view))(request)


def list_textbooks(request):
    return JsonResponse({"titles": visible_titles()})


def write_then_fail(request):
    Textbook.objects.filter(title="A").update(title="A (changed by a failing request)")
    raise RuntimeError("the view failed half-way")


@committing
def test_context_needs_a_transaction():
    with pytest.raises(RuntimeError, match="inside a transaction"):
        activate(TenantContext(school_id=1))


@committing
def test_context_ends_with_its_transaction(two_schools_committed):
    school_a, _, _ = two_schools_committed
    with tenant_context(school_id=school_a.pk):
        assert visible_titles() == ["A", "global"]
    # Committed: the next transaction on the same connection starts with no context.
    with transaction.atomic():
        assert current_context() == NO_CONTEXT
        assert visible_titles() == ["global"]


@committing
def test_one_connection_serves_school_a_then_school_b(two_schools_committed, settings):
    settings.ALLOWED_HOSTS = [".localhost"]
    _, _, users = two_schools_committed
    response_a = serve(list_textbooks, host="school-a.localhost", user=users["a"])
    backend_connection = connection.connection
    response_b = serve(list_textbooks, host="school-b.localhost", user=users["b"])
    assert connection.connection is backend_connection  # the same PostgreSQL session
    assert json.loads(response_a.content)["titles"] == ["A", "global"]
    assert json.loads(response_b.content)["titles"] == ["B", "global"]


@committing
def test_school_b_after_a_request_of_school_a_that_raised(two_schools_committed, settings):
    settings.ALLOWED_HOSTS = [".localhost"]
    _, _, users = two_schools_committed
    with pytest.raises(RuntimeError):
        serve(write_then_fail, host="school-a.localhost", user=users["a"])
    response_b = serve(list_textbooks, host="school-b.localhost", user=users["b"])
    assert json.loads(response_b.content)["titles"] == ["B", "global"]
    with super_admin_context():
        assert Textbook.objects.filter(title="A").exists()  # the failed request's write was rolled back


@committing
def test_a_failed_response_rolls_back_its_writes(two_schools_committed, settings):
    settings.ALLOWED_HOSTS = [".localhost"]
    _, _, users = two_schools_committed

    def write_then_answer_400(request):
        Textbook.objects.filter(title="A").update(title="changed")
        return HttpResponse(status=400)

    assert serve(write_then_answer_400, host="school-a.localhost", user=users["a"]).status_code == 400
    with super_admin_context():
        assert Textbook.objects.filter(title="A").exists()


@committing
def test_anonymous_and_unresolved_requests_see_no_school_data_and_cannot_write(two_schools_committed):
    with super_admin_context():
        assert Textbook.objects.filter(school__isnull=False).count() == 2  # the rows exist

    def try_everything(request):
        updated = Textbook.objects.update(title="changed")
        return JsonResponse({"titles": visible_titles(), "updated": updated})

    response = serve(try_everything, host="localhost", user=AnonymousUser())
    assert json.loads(response.content) == {"titles": ["global"], "updated": 0}
    with transaction.atomic():  # no context at all
        assert Textbook.objects.filter(school__isnull=False).count() == 0
    with super_admin_context():
        assert not Textbook.objects.filter(title="changed").exists()


@committing
def test_parallel_connections_keep_their_own_context(two_schools_committed):
    school_a, school_b, _ = two_schools_committed
    barrier = threading.Barrier(2, timeout=10)
    seen = {}

    def work(school, name):
        try:
            with tenant_context(school_id=school.pk):
                barrier.wait()  # both contexts are set before either reads
                seen[name] = visible_titles()
                barrier.wait()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(school_a, "a")), threading.Thread(target=work, args=(school_b, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"a": ["A", "global"], "b": ["B", "global"]}


def test_nested_contexts_restore_the_outer_one(school_a, school_b):
    with tenant_context(school_id=school_a.pk):
        with super_admin_context():
            assert current_context().super_admin
        assert current_context() == TenantContext(school_id=school_a.pk)
        with pytest.raises(ZeroDivisionError):
            with tenant_context(school_id=school_b.pk):
                1 / 0
        assert current_context() == TenantContext(school_id=school_a.pk)

"""The isolation matrix: SELECT / INSERT / UPDATE / DELETE x {own school, other school, global row}
x {school A's context, no context, super admin}, for every table, through the ORM and through raw
SQL, as the runtime role. Every refused write is followed by a re-read as super admin proving that
nothing changed.
"""

import pytest
from django.db import DatabaseError, connection, transaction

from curriculum.models import ExternalFramework, ExternalItem, Framework, LearningOutcome, Section, Subject, Subsection
from tenants.context import super_admin_context, tenant_context
from tenants.models import Domain, Role, School, User
from textbooks.models import Chapter, ExternalAlignment, Paragraph, ParagraphOutcome, Textbook

CONTEXTS = ["school_a", "no_context", "super_admin"]
OWNERS = ["own", "other", "global"]
PATHS = ["orm", "sql"]

VISIBLE = {
    "school_a": {"own", "global"},
    "no_context": {"global"},
    "super_admin": {"own", "other", "global"},
}
WRITABLE = {
    "school_a": {"own"},
    "no_context": set(),
    "super_admin": {"own", "other", "global"},
}


def enter(context_name, school_a):
    if context_name == "school_a":
        return tenant_context(school_id=school_a.pk)
    if context_name == "super_admin":
        return super_admin_context()
    return tenant_context()


def attempt(write):
    """Run a write in a savepoint; return (rows affected or None, refused by the database)."""
    try:
        with transaction.atomic():
            return write(), False
    except DatabaseError as error:
        assert getattr(error.__cause__, "sqlstate", None) == "42501", error
        return None, True


def sql_rowcount(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def sql_ids(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table}")
        return {row[0] for row in cursor.fetchall()}


# --------------------------------------------------------------------------------------------
# School content: textbooks, chapters, paragraphs, paragraph_outcomes, paragraph_external_items

CONTENT_MODELS = {
    "textbooks": Textbook, "chapters": Chapter, "paragraphs": Paragraph, "paragraph_outcomes": ParagraphOutcome,
    "paragraph_external_items": ExternalAlignment,
}
ALIGNMENTS = [ParagraphOutcome, ExternalAlignment]
DESCENDANTS = {
    "textbooks": [
        *((model, "paragraph__chapter__textbook_id") for model in ALIGNMENTS),
        (Paragraph, "chapter__textbook_id"), (Chapter, "textbook_id"),
    ],
    "chapters": [*((model, "paragraph__chapter_id") for model in ALIGNMENTS), (Paragraph, "chapter_id")],
    "paragraphs": [(model, "paragraph_id") for model in ALIGNMENTS],
    "paragraph_outcomes": [],
    "paragraph_external_items": [],
}
TEXT_COLUMN = {
    "textbooks": "title", "chapters": "title", "paragraphs": "title", "paragraph_outcomes": "notes",
    "paragraph_external_items": "notes",
}


@pytest.fixture
def external_items(db):
    """Two items of an external framework (reference data): one aligned in every school, one to insert."""
    with super_admin_context():
        framework = ExternalFramework.objects.create(
            identifier="6c3e63c1-0d2a-4c55-9d8f-000000000001", uri="https://example.org/f", creator="Cambridge",
            title="Cambridge Lower Secondary Mathematics", original={}, last_synced_at="2026-01-01T00:00:00Z",
        )
        return [
            ExternalItem.objects.create(
                framework=framework, identifier=f"6c3e63c1-0d2a-4c55-9d8f-00000000001{number}",
                uri=f"https://example.org/i{number}", full_statement=f"item {number}", original={}, position=number,
            )
            for number in (1, 2)
        ]


@pytest.fixture
def content_rows(alignment_a, alignment_b, global_alignment, external_items):
    """table -> owner -> (row id, parent id for inserting a sibling)."""
    rows = {}
    with super_admin_context():
        for owner, link in {"own": alignment_a, "other": alignment_b, "global": global_alignment}.items():
            paragraph = Paragraph.objects.select_related("chapter__textbook").get(pk=link.paragraph_id)
            textbook = paragraph.chapter.textbook
            external = ExternalAlignment.objects.create(paragraph=paragraph, external_item=external_items[0])
            rows.setdefault("textbooks", {})[owner] = (textbook.pk, textbook.school_id)
            rows.setdefault("chapters", {})[owner] = (paragraph.chapter_id, textbook.pk)
            rows.setdefault("paragraphs", {})[owner] = (paragraph.pk, paragraph.chapter_id)
            rows.setdefault("paragraph_outcomes", {})[owner] = (link.pk, paragraph.pk)
            rows.setdefault("paragraph_external_items", {})[owner] = (external.pk, paragraph.pk)
    return rows


@pytest.fixture
def second_outcome(subsection):
    with super_admin_context():
        return LearningOutcome.objects.create(
            framework=subsection.section.framework, subsection=subsection, grade=7, code="7.2.1.2", title_ru="второй"
        )


def insert_content(table, parent_id, path, *, subject, outcome, external_item):
    if path == "orm":
        if table == "textbooks":
            return Textbook.objects.create(school_id=parent_id, subject=subject, title="new", grade_level=7)
        if table == "chapters":
            return Chapter.objects.create(textbook_id=parent_id, number=99, title="new")
        if table == "paragraphs":
            return Paragraph.objects.create(chapter_id=parent_id, number=99, title="new")
        if table == "paragraph_external_items":
            return ExternalAlignment.objects.create(paragraph_id=parent_id, external_item=external_item)
        return ParagraphOutcome.objects.create(paragraph_id=parent_id, outcome=outcome)
    statements = {
        "textbooks": (
            "INSERT INTO textbooks (school_id, subject_id, title, grade_level, language, author, publisher, isbn,"
            " version, is_customized, is_active, created_at, updated_at)"
            " VALUES (%s, %s, 'new', 7, 'ru', '', '', '', 1, false, true, now(), now())",
            [parent_id, subject.pk],
        ),
        "chapters": (
            "INSERT INTO chapters (textbook_id, number, title, description, sort_order) VALUES (%s, 99, 'new', '', 0)",
            [parent_id],
        ),
        "paragraphs": (
            "INSERT INTO paragraphs (chapter_id, number, sort_order, title, content, summary, learning_objective,"
            " lesson_objective, key_terms, questions) VALUES (%s, 99, 0, 'new', '', '', '', '', '[]', '[]')",
            [parent_id],
        ),
        "paragraph_outcomes": (
            "INSERT INTO paragraph_outcomes (paragraph_id, outcome_id, confidence, anchor, notes, created_at)"
            " VALUES (%s, %s, 1, '', '', now())",
            [parent_id, outcome.pk],
        ),
        "paragraph_external_items": (
            "INSERT INTO paragraph_external_items (paragraph_id, external_item_id, confidence, notes, created_at)"
            " VALUES (%s, %s, 1, '', now())",
            [parent_id, external_item.pk],
        ),
    }
    return sql_rowcount(*statements[table])


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("context_name", CONTEXTS)
@pytest.mark.parametrize("table", CONTENT_MODELS)
def test_content_select(table, context_name, path, content_rows, school_a):
    with enter(context_name, school_a):
        if path == "orm":
            seen = set(CONTENT_MODELS[table].objects.values_list("pk", flat=True))
        else:
            seen = sql_ids(table)
    expected = {content_rows[table][owner][0] for owner in VISIBLE[context_name]}
    assert seen == expected


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("context_name", CONTEXTS)
@pytest.mark.parametrize("table", CONTENT_MODELS)
def test_content_update(table, context_name, owner, path, content_rows, school_a):
    row_id = content_rows[table][owner][0]
    column = TEXT_COLUMN[table]
    model = CONTENT_MODELS[table]
    with enter(context_name, school_a):
        if path == "orm":
            affected, refused = attempt(lambda: model.objects.filter(pk=row_id).update(**{column: "changed"}))
        else:
            affected, refused = attempt(lambda: sql_rowcount(f"UPDATE {table} SET {column} = 'changed' WHERE id = %s", [row_id]))
    allowed = owner in WRITABLE[context_name]
    assert (affected == 1) is allowed and not refused
    with super_admin_context():
        assert (getattr(model.objects.get(pk=row_id), column) == "changed") is allowed


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("context_name", CONTEXTS)
@pytest.mark.parametrize("table", CONTENT_MODELS)
def test_content_delete(table, context_name, owner, path, content_rows, school_a):
    row_id = content_rows[table][owner][0]
    model = CONTENT_MODELS[table]
    if path == "sql":
        # Raw SQL does not cascade (Django's foreign keys cascade in Python): delete a childless row.
        with super_admin_context():
            for child_model, lookup in DESCENDANTS[table]:
                child_model.objects.filter(**{lookup: row_id}).delete()
    with enter(context_name, school_a):
        if path == "orm":
            affected, refused = attempt(lambda: model.objects.filter(pk=row_id).delete()[0])
        else:
            affected, refused = attempt(lambda: sql_rowcount(f"DELETE FROM {table} WHERE id = %s", [row_id]))
    allowed = owner in WRITABLE[context_name]
    assert bool(affected) is allowed and not refused
    with super_admin_context():
        assert model.objects.filter(pk=row_id).exists() is not allowed


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("context_name", CONTEXTS)
@pytest.mark.parametrize("table", CONTENT_MODELS)
def test_content_insert(table, context_name, owner, path, content_rows, school_a, subject, second_outcome, external_items):
    parent_id = content_rows[table][owner][1]
    model = CONTENT_MODELS[table]
    with super_admin_context():
        before = model.objects.count()
    with enter(context_name, school_a):
        _, refused = attempt(lambda: insert_content(table, parent_id, path, subject=subject, outcome=second_outcome, external_item=external_items[1]))
    allowed = owner in WRITABLE[context_name]
    assert refused is not allowed
    with super_admin_context():
        assert model.objects.count() == before + (1 if allowed else 0)
        if allowed and table != "textbooks":
            # The copied school_id is the parent's, whoever wrote the row.
            newest = model.objects.latest("pk")
            expected_school = {"own": school_a.pk, "global": None}.get(owner, "other")
            if expected_school != "other":
                assert newest.school_id == expected_school


# --------------------------------------------------------------------------------------------
# Reference data: GOSO, schools, domains. Everyone reads; only the super-admin context writes.

@pytest.fixture
def reference_rows(outcome, school_b):
    with super_admin_context():
        subsection = outcome.subsection
        return {
            "subjects": (Subject, subsection.section.framework.subject_id, "name_ru"),
            "frameworks": (Framework, subsection.section.framework_id, "title_ru"),
            "goso_sections": (Section, subsection.section_id, "name_ru"),
            "goso_subsections": (Subsection, subsection.pk, "name_ru"),
            "learning_outcomes": (LearningOutcome, outcome.pk, "title_ru"),
            "schools": (School, school_b.pk, "name_ru"),
            "school_domains": (Domain, Domain.objects.get(tenant=school_b).pk, "domain"),
        }


def insert_reference(table, n):
    """Row number n of a reference table (a leaf: nothing refers to it)."""
    if table == "subjects":
        return Subject.objects.create(code=f"new_subject{n}", name_ru="Новый", grade_from=1, grade_to=4)
    if table == "frameworks":
        return Framework.objects.create(code=f"new_fw{n}", subject=Subject.objects.first(), title_ru="Новая")
    if table == "goso_sections":
        return Section.objects.create(framework=Framework.objects.first(), code=str(10 + n), name_ru="Новый")
    if table == "goso_subsections":
        return Subsection.objects.create(section=Section.objects.first(), code=f"2.{10 + n}", name_ru="Новый")
    if table == "learning_outcomes":
        subsection = Subsection.objects.select_related("section").first()
        return LearningOutcome.objects.create(
            framework_id=subsection.section.framework_id, subsection=subsection, grade=8, code=f"8.2.1.{1 + n}",
            title_ru="Новая",
        )
    if table == "schools":
        return School.objects.create(code=f"new-school-{n}", name_ru="Новая")
    return Domain.objects.create(domain=f"new{n}.localhost", tenant=School.objects.first())


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("context_name", CONTEXTS)
@pytest.mark.parametrize(
    "table", ["subjects", "frameworks", "goso_sections", "goso_subsections", "learning_outcomes", "schools", "school_domains"]
)
def test_reference_tables(table, context_name, path, reference_rows, school_a):
    model, row_id, column = reference_rows[table]
    writable = context_name == "super_admin"
    with super_admin_context():
        leaf_id = insert_reference(table, 1).pk
        before = model.objects.count()
    with enter(context_name, school_a):
        # Readable in every context.
        if path == "orm":
            assert model.objects.filter(pk=row_id).exists()
            updated, refused = attempt(lambda: model.objects.filter(pk=row_id).update(**{column: "changed"}))
            deleted, delete_refused = attempt(lambda: model.objects.filter(pk=leaf_id).delete()[0])
        else:
            assert row_id in sql_ids(table)
            updated, refused = attempt(lambda: sql_rowcount(f"UPDATE {table} SET {column} = 'changed' WHERE id = %s", [row_id]))
            deleted, delete_refused = attempt(lambda: sql_rowcount(f"DELETE FROM {table} WHERE id = %s", [leaf_id]))
        assert (updated == 1) is writable and not refused
        assert bool(deleted) is writable and not delete_refused
        _, insert_refused = attempt(lambda: insert_reference(table, 2))
        assert insert_refused is not writable
    with super_admin_context():
        assert (getattr(model.objects.get(pk=row_id), column) == "changed") is writable
        assert model.objects.filter(pk=leaf_id).exists() is not writable
        # Writable: one row deleted and one inserted; otherwise nothing changed.
        assert model.objects.count() == before


# --------------------------------------------------------------------------------------------
# Accounts: readable in every context (identity precedes context); a school writes only its staff.

@pytest.mark.parametrize("context_name", CONTEXTS)
def test_accounts(context_name, admin_a, admin_b, methodologist, school_a):
    allowed = {"school_a": {admin_a.pk}, "no_context": set(), "super_admin": {admin_a.pk, admin_b.pk, methodologist.pk}}
    with enter(context_name, school_a):
        assert {admin_a.pk, admin_b.pk, methodologist.pk} <= set(User.objects.values_list("pk", flat=True))
        for user in (admin_a, admin_b, methodologist):
            updated, refused = attempt(lambda: User.objects.filter(pk=user.pk).update(first_name="changed"))
            assert (updated == 1) is (user.pk in allowed[context_name]) and not refused
        _, refused = attempt(lambda: User.objects.create_user("new_methodologist", role=Role.METHODOLOGIST))
        assert refused is (context_name != "super_admin")
    with super_admin_context():
        changed = set(User.objects.filter(first_name="changed").values_list("pk", flat=True))
        assert changed == allowed[context_name]


# --------------------------------------------------------------------------------------------
# Credentials (issue 10, findings 1 and 2): raw SQL as the runtime role, in every context. Secret
# tables refuse every statement; the re-read goes through the identity functions (the only way in)
# and proves nothing changed.

SECRET_STATEMENTS = {
    "user_credentials": [
        "SELECT password FROM user_credentials",
        "UPDATE user_credentials SET password = 'x'",
        "DELETE FROM user_credentials",
        "INSERT INTO user_credentials (user_id, password) VALUES (%(user)s, 'x')",
    ],
    "django_session": [
        "SELECT session_key, session_data FROM django_session",
        "UPDATE django_session SET expire_date = now() + interval '1 year'",
        "DELETE FROM django_session",
        "INSERT INTO django_session (session_key, session_data, expire_date) VALUES ('forged', 'x', now() + interval '1 day')",
    ],
    "api_tokens": [
        "SELECT digest, token_key, user_id FROM api_tokens",
        "UPDATE api_tokens SET user_id = %(user)s",
        "DELETE FROM api_tokens",
        "INSERT INTO api_tokens (digest, token_key, user_id, created) VALUES ('forged', 'forged', %(user)s, now())",
    ],
}


@pytest.fixture
def credentials_everywhere(admin_a, admin_b, methodologist):
    """A session and an API token for the methodologist and for school B's administrator."""
    from django.contrib.sessions.backends.base import SessionBase

    from tenants.sessions import SessionStore
    from tenants.services import token_create

    created = {}
    for user in (methodologist, admin_b):
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session.create()
        token, _ = token_create(user=user)
        created[user.pk] = (session.session_key, session.load(), token)
    assert isinstance(session, SessionBase)
    return created


def assert_credentials_unchanged(created, users):
    from django.contrib.auth import authenticate

    from tenants import credentials
    from tenants.sessions import SessionStore
    from tests.conftest import PASSWORD

    for user in users:
        session_key, session_data, token = created[user.pk]
        assert SessionStore(session_key).load() == session_data
        digests = credentials.token_candidates(token_key=token[:15])
        assert [user_id for _digest, user_id, _expiry in digests] == [user.pk]
        assert authenticate(username=user.username, password=PASSWORD) == user


@pytest.mark.parametrize("context_name", CONTEXTS)
@pytest.mark.parametrize("table", SECRET_STATEMENTS)
def test_secret_tables_refuse_every_statement(table, context_name, school_a, admin_b, methodologist, credentials_everywhere):
    with enter(context_name, school_a):
        for statement in SECRET_STATEMENTS[table]:
            _, refused = attempt(lambda: sql_rowcount(statement, {"user": admin_b.pk}))
            assert refused, statement
    assert_credentials_unchanged(credentials_everywhere, [methodologist, admin_b])


@pytest.mark.parametrize("context_name", CONTEXTS)
def test_users_hold_no_hash_to_read(context_name, school_a, admin_a, methodologist):
    with enter(context_name, school_a):
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT password FROM users")
            assert cursor.fetchall() == [("",)]


@pytest.mark.parametrize("context_name", CONTEXTS)
def test_identity_functions_serve_one_key_and_only_governed_users(context_name, school_a, admin_a, admin_b, credentials_everywhere):
    from tenants import credentials

    with enter(context_name, school_a):
        # Another school's user: no token minted, none revoked.
        _, refused = attempt(lambda: credentials.token_insert(digest="d" * 128, token_key="k" * 15, user_id=admin_b.pk, expiry=None))
        assert refused is (context_name != "super_admin")
        revoked, refused = attempt(lambda: credentials.tokens_delete_for_user(user_id=admin_b.pk))
        assert not refused and (revoked > 0) is (context_name == "super_admin")
        # A session or token is found only by its own key.
        assert credentials.session_load(key="") is None
        assert credentials.token_candidates(token_key="") == []


# Finding 2: privilege flags and credentials of users the context does not govern.
PRIVILEGE_WRITES = {
    "superuser": ("UPDATE users SET is_superuser = true WHERE id = %(user)s", "is_superuser", False),
    "staff": ("UPDATE users SET is_staff = false WHERE id = %(user)s", "is_staff", True),
    "role": ("UPDATE users SET role = CASE WHEN role = 'teacher' THEN 'school_admin' ELSE 'teacher' END WHERE id = %(user)s",
             "role", None),
    "school": ("UPDATE users SET school_id = CASE WHEN school_id = %(school_a)s THEN %(school_b)s ELSE %(school_a)s END"
               " WHERE id = %(user)s", "school_id", None),
    "password": ("UPDATE users SET password = 'pbkdf2_sha256$1$x$y' WHERE id = %(user)s", None, None),
    "active": ("UPDATE users SET is_active = false WHERE id = %(user)s", "is_active", True),
}


@pytest.mark.parametrize("context_name", CONTEXTS)
@pytest.mark.parametrize("write", PRIVILEGE_WRITES)
@pytest.mark.parametrize("target", ["teacher_a", "admin_b", "methodologist"])
def test_privilege_flags_and_credentials(request, target, write, context_name, school_a, school_b, admin_b, methodologist):
    from django.contrib.auth import authenticate

    from tests.conftest import PASSWORD

    user = request.getfixturevalue(target)
    sql, column, _ = PRIVILEGE_WRITES[write]
    # Who governs whom: school A its own staff; the super-admin context everyone; nobody but the
    # super-admin context makes a superuser (and only a methodologist can be one).
    governed = {"school_a": {"teacher_a"}, "no_context": set(), "super_admin": {"teacher_a", "admin_b", "methodologist"}}
    allowed = target in governed[context_name]
    if write == "superuser":
        allowed = context_name == "super_admin" and target == "methodologist"
    if write in ("role", "school") and target == "methodologist":
        allowed = False  # a methodologist belongs to no school (constraint)
    if write == "school":
        allowed = allowed and context_name == "super_admin"  # a school never gives its staff away
    with super_admin_context():
        before = User.objects.filter(pk=user.pk).values().get()
    with enter(context_name, school_a):
        try:
            with transaction.atomic():
                affected = sql_rowcount(sql, {"user": user.pk, "school_a": school_a.pk, "school_b": school_b.pk})
            refused = False
        except DatabaseError as error:
            assert getattr(error.__cause__, "sqlstate", None) in ("42501", "23514"), error
            affected, refused = 0, True
    assert (affected == 1) is allowed, (affected, refused)
    with super_admin_context():
        after = User.objects.filter(pk=user.pk).values().get()
    changed = {key for key in before if before[key] != after[key]}
    if not allowed:
        assert changed == set()
        assert authenticate(username=user.username, password=PASSWORD) == user
    elif write == "password":
        # Stored in user_credentials (not in users), the epoch moved: old sessions end.
        assert changed == {"credentials_epoch"} and after["password"] == ""
        assert authenticate(username=user.username, password=PASSWORD) is None
    else:
        assert column in changed


@pytest.mark.parametrize("context_name", CONTEXTS)
def test_admin_log_only_for_the_schools_own_staff(context_name, school_a, admin_a, admin_b, methodologist):
    from django.contrib.admin.models import ADDITION, LogEntry

    def log(user):
        return LogEntry.objects.create(user_id=user.pk, action_flag=ADDITION, object_repr="x", change_message="")

    with super_admin_context():
        entries = {user.pk: log(user).pk for user in (admin_a, admin_b, methodologist)}
    visible = {"school_a": {admin_a.pk}, "no_context": set(), "super_admin": set(entries)}[context_name]
    with enter(context_name, school_a):
        assert sql_ids("django_admin_log") == {entries[user_id] for user_id in visible}
        for user in (admin_a, admin_b, methodologist):
            _, refused = attempt(lambda: log(user))
            assert refused is (user.pk not in visible), user
            updated, refused = attempt(lambda: sql_rowcount("UPDATE django_admin_log SET object_repr = 'forged' WHERE id = %s", [entries[user.pk]]))
            assert (updated == 1) is (user.pk in visible) and not refused
    with super_admin_context():
        forged = set(LogEntry.objects.filter(object_repr="forged").values_list("user_id", flat=True))
        assert forged == visible
        assert LogEntry.objects.count() == len(entries) + len(visible)


@pytest.mark.parametrize("context_name", CONTEXTS)
@pytest.mark.parametrize("table", ["django_migrations", "django_content_type", "auth_permission"])
def test_registries_are_read_only_at_run_time(table, context_name, school_a):
    statements = {
        "django_migrations": ("INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'x', now())",
                              "UPDATE django_migrations SET name = name", "DELETE FROM django_migrations"),
        "django_content_type": ("INSERT INTO django_content_type (app_label, model) VALUES ('x', 'x')",
                                "UPDATE django_content_type SET model = model", "DELETE FROM django_content_type"),
        "auth_permission": ("INSERT INTO auth_permission (name, content_type_id, codename) SELECT 'x', min(id), 'x' FROM django_content_type",
                            "UPDATE auth_permission SET name = name", "DELETE FROM auth_permission"),
    }[table]
    with super_admin_context():
        before = sql_rowcount(f"SELECT 1 FROM {table}", [])
    assert before > 0
    with enter(context_name, school_a):
        for statement in statements:
            _, refused = attempt(lambda: sql_rowcount(statement, []))
            assert refused, statement
    with super_admin_context():
        assert sql_rowcount(f"SELECT 1 FROM {table}", []) == before


def test_set_based_user_inserts_keep_credentials_out_of_users(school_a):
    """Scale data inserts users in SQL, without the epoch, re-runnable with ON CONFLICT DO NOTHING."""
    from django.contrib.auth import authenticate
    from django.contrib.auth.hashers import make_password

    insert = (
        "INSERT INTO users (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,"
        " date_joined, role, school_id) VALUES (%s, false, 'bulk', '', '', '', true, true, now(), 'teacher', %s)"
        " ON CONFLICT (username) DO NOTHING"
    )
    with super_admin_context():
        assert sql_rowcount(insert, [make_password("first-password-1"), school_a.pk]) == 1
        assert sql_rowcount(insert, [make_password("second-password-2"), school_a.pk]) == 0
        user = User.objects.get(username="bulk")
        assert user.password == "" and len(user.credentials_epoch) == 32
    assert authenticate(username="bulk", password="first-password-1") == user
    assert authenticate(username="bulk", password="second-password-2") is None

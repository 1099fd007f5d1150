"""Database refusals as clear user-facing errors (never a 500).

Row-level security refuses a write with SQLSTATE 42501; constraints and our triggers with 23xxx.
Both become Django errors the admin and the API already know how to show: PermissionDenied and
ValidationError (with the constraint's own message where the model declares one).
"""

from contextlib import contextmanager
from functools import cache

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, DataError, IntegrityError
from django.utils.functional import Promise
from django.utils.translation import gettext as _

INSUFFICIENT_PRIVILEGE = "42501"


@cache
def _declared_constraint_messages() -> dict:
    """Constraint name -> the message its model declares (only those that declare one); rules the
    database checks in triggers are declared in the model's `database_rule_messages`."""
    messages = {
        constraint.name: constraint.violation_error_message
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if constraint.violation_error_message != constraint.default_violation_error_message
    }
    for model in apps.get_models():
        messages.update(getattr(model, "database_rule_messages", {}))
    return messages


def database_error_as_user_error(error: DatabaseError) -> Exception:
    """The PermissionDenied or ValidationError that explains `error` to a user."""
    cause = getattr(error, "__cause__", None)
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == INSUFFICIENT_PRIVILEGE:
        return PermissionDenied(_("You are not allowed to change this content."))
    diagnostic = getattr(cause, "diag", None)
    constraint = getattr(diagnostic, "constraint_name", None)
    declared = _declared_constraint_messages().get(constraint)
    if isinstance(declared, Promise | str):
        return ValidationError(str(declared), code=constraint)
    if declared is not None:  # a rule that reads its values back from the database's message
        primary = getattr(diagnostic, "message_primary", None) or ""
        message = declared(primary) or _refusal_message(sqlstate, diagnostic, constraint)
        return ValidationError(str(message), code=constraint)
    if isinstance(error, IntegrityError) or sqlstate and sqlstate.startswith("23"):
        return ValidationError(_refusal_message(sqlstate, diagnostic, constraint), code=constraint or "integrity")
    if isinstance(error, DataError) or sqlstate and sqlstate.startswith("22"):  # a value of the wrong form
        return ValidationError(_refusal_message(sqlstate, diagnostic, constraint), code="invalid")
    return error


# SQLSTATE classes of integrity refusals.
UNIQUE, CHECK, NOT_NULL, FOREIGN_KEY = "23505", "23514", "23502", "23503"


def _refusal_message(sqlstate, diagnostic, constraint) -> str:
    """A translated message naming the fields of a refusal no model declares a message for; never the
    database's own text (it names constraints and tables)."""
    model, names = _constraint_fields(constraint)
    if not names:  # a unique index or column of its own: PostgreSQL names the columns ("Key (code)=(x) ...")
        detail = getattr(diagnostic, "message_detail", None) or ""
        names = [name.strip() for name in detail.partition("(")[2].partition(")")[0].split(",") if name.strip()]
        names += [column] if (column := getattr(diagnostic, "column_name", None)) else []
    model = model or _model_of_table(getattr(diagnostic, "table_name", None))
    fields = ", ".join(_field_label(model, name) for name in names) or _("this value")
    if sqlstate == UNIQUE:
        return _("Another row already has the same %(fields)s.") % {"fields": fields}
    if sqlstate == NOT_NULL:
        return _("%(fields)s is required.") % {"fields": fields}
    if sqlstate == FOREIGN_KEY:
        return _("%(fields)s refers to a row that does not exist or is still in use.") % {"fields": fields}
    return _("The value of %(fields)s is not allowed.") % {"fields": fields}


@cache
def _constraints_by_name() -> dict:
    return {constraint.name: (model, constraint) for model in apps.get_models() for constraint in model._meta.constraints}


def _constraint_fields(name) -> tuple:
    """(model, field names) of a constraint the models declare."""
    if name not in _constraints_by_name():
        return None, []
    model, constraint = _constraints_by_name()[name]
    if getattr(constraint, "fields", None):
        return model, list(constraint.fields)
    names = []

    def walk(node):
        for child in getattr(node, "children", []):
            if isinstance(child, tuple):
                names.append(child[0].split("__")[0]) if child[0].split("__")[0] not in names else None
            else:
                walk(child)

    walk(getattr(constraint, "condition", None))
    return model, names


def _model_of_table(table):
    return next((model for model in apps.get_models() if model._meta.db_table == table), None)


def _field_label(model, name) -> str:
    """A field's verbose name (by field or column name), or the name itself."""
    for field in model._meta.concrete_fields if model else []:
        if name in (field.name, field.column):
            return str(field.verbose_name)
    return name


@contextmanager
def user_errors_from_database():
    """Turn refusals by the database inside the block into PermissionDenied / ValidationError."""
    try:
        yield
    except DatabaseError as error:
        translated = database_error_as_user_error(error)
        if translated is error:
            raise
        raise translated from error

"""Database refusals as clear user-facing errors (never a 500).

Row-level security refuses a write with SQLSTATE 42501; constraints and our triggers with 23xxx.
Both become Django errors the admin and the API already know how to show: PermissionDenied and
ValidationError (with the constraint's own message where the model declares one).
"""

from contextlib import contextmanager
from functools import cache

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError
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
    if constraint in _declared_constraint_messages():
        return ValidationError(str(_declared_constraint_messages()[constraint]), code=constraint)
    primary = getattr(diagnostic, "message_primary", None) or str(error)
    if isinstance(error, IntegrityError) or sqlstate and sqlstate.startswith("23"):
        return ValidationError(primary, code=constraint or "integrity")
    return error


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

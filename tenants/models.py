import secrets

from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin
from knox.models import AbstractAuthToken

from languages import text_label
from tenants.credentials import password_hash_for_check


class School(TenantMixin):
    """A school: the tenant. Isolation is by rows (school_id + row-level security), not by schema,
    so every school lives in the public schema and no schema is ever created or dropped."""

    schema_name = models.CharField(max_length=63, default="public", editable=False)
    auto_create_schema = False
    auto_drop_schema = False

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=255)
    name_kz = models.CharField(_("name (Kazakh)"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "schools"
        ordering = ["name_ru"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        constraints = [
            models.CheckConstraint(condition=Q(schema_name="public"), name="schools_live_in_public_schema"),
        ]

    def __str__(self):
        return text_label(self, "name")

    def _check_schema_name_is_unique(self):
        # django-tenants refuses two tenants in one schema; sharing `public` is this design's point.
        return None

    def delete(self, *args, **kwargs):
        # Never let django-tenants drop a schema: every school shares `public`.
        return models.Model.delete(self, *args, **kwargs)


class Domain(DomainMixin):
    """A host name that resolves to a school (django-tenants' Domain)."""

    class Meta:
        db_table = "school_domains"
        verbose_name = _("school domain")
        verbose_name_plural = _("school domains")


class Role(models.TextChoices):
    METHODOLOGIST = "methodologist", _("Methodologist (super admin)")
    SCHOOL_ADMIN = "school_admin", _("School administrator")
    TEACHER = "teacher", _("Teacher")


def new_credentials_epoch() -> str:
    return secrets.token_hex(16)


class AccountManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `createsuperuser` makes a methodologist: the national, school-less super admin.
        extra_fields.setdefault("role", Role.METHODOLOGIST)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person. Methodologists maintain national content and belong to no school; school staff
    (administrators and teachers) belong to exactly one school."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("school")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.TEACHER)
    # Changes with the password (here and, for any other writer, in a database trigger): sessions are
    # bound to it instead of to the hash, which the runtime role cannot read.
    credentials_epoch = models.CharField(max_length=32, default=new_credentials_epoch, editable=False)

    objects = AccountManager()

    class Meta:
        db_table = "users"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["school"], name="users_school_idx")]
        constraints = [
            # A methodologist belongs to no school; school staff belong to one. Together with the
            # row-level security of this table, a school can never create a methodologist.
            models.CheckConstraint(
                condition=(Q(role=Role.METHODOLOGIST, school__isnull=True) | (~Q(role=Role.METHODOLOGIST) & Q(school__isnull=False))),
                name="users_role_matches_school",
                violation_error_message=_("A methodologist belongs to no school; school staff belong to one school."),
            ),
            models.CheckConstraint(
                condition=Q(is_superuser=False) | Q(role=Role.METHODOLOGIST),
                name="users_superuser_is_methodologist",
                violation_error_message=_("Only a methodologist can be a superuser."),
            ),
        ]

    # Password hashes live in `user_credentials`, which the runtime role cannot read: a database
    # trigger moves whatever is written to `users.password` there and leaves the column empty.

    def check_password(self, raw_password):
        # No rehash-on-login setter: the login runs before the user's context, where the row is
        # not writable; hashes are upgraded at the next password change.
        # A hash set on this instance (set_password) is the one to check; a loaded row holds none.
        encoded = self.password or password_hash_for_check(user_id=self.pk)
        return check_password(raw_password, encoded)

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.credentials_epoch = new_credentials_epoch()

    def _get_session_auth_hash(self, secret=None):
        # Django binds a session to an HMAC of the password hash; ours binds it to the epoch, which
        # changes with the password, so a password change still ends every other session.
        key_salt = "tenants.models.User.get_session_auth_hash"
        return salted_hmac(key_salt, self.credentials_epoch, secret=secret, algorithm="sha256").hexdigest()

    @property
    def is_methodologist(self) -> bool:
        return self.role == Role.METHODOLOGIST

    @property
    def is_school_admin(self) -> bool:
        return self.role == Role.SCHOOL_ADMIN


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox): only its digest is stored, it expires (settings.REST_KNOX
    TOKEN_TTL) and is revoked on logout, password change, deactivation and school deactivation.

    The runtime role has no privilege on this table: tokens are created, looked up and revoked only
    through the identity functions (tenants/credentials.py). The user link is DO_NOTHING in Python
    because the runtime role cannot read the table to cascade; a trigger deletes a user's tokens.
    """

    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="api_tokens", verbose_name=_("user"))

    class Meta:
        db_table = "api_tokens"
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class UserCredential(models.Model):
    """A user's password hash, out of `users`: the runtime role has no privilege on this table; a
    trigger on `users` writes it, and `identity_password_hash` reads the one being checked."""

    # No foreign key: the trigger writes this row BEFORE its user row exists (and `INSERT ... ON CONFLICT
    # DO NOTHING` may then never insert it); identity_password_hash joins users, so such a row is inert.
    user = models.OneToOneField(User, on_delete=models.DO_NOTHING, primary_key=True, related_name="+", db_constraint=False)
    password = models.CharField(max_length=128)

    class Meta:
        db_table = "user_credentials"
        verbose_name = _("password hash")
        verbose_name_plural = _("password hashes")

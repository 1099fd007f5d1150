"""Who may do what: the one declaration (ROLE_ACTIONS) of each role's actions per model, read by the
admin (RolePermissions, on every ModelAdmin and inline) and by the API (RolePermission, the default
DRF permission class). Row-level security enforces the same rules in the database; these checks keep
buttons, forms and answers honest and refuse clearly before the database has to.

Models are named "app_label.model" (config wires the apps together; no app imports another's rules).
For school staff every action on an existing object except view and fork is limited to their own
school's objects (for an inline the object is the parent): global content is read-only for schools,
and another school's rows are invisible (a 404: row-level security hides them). Fork copies a global
textbook into a school (methodologists: any school; school administrators: their own). Align sets a
paragraph's outcomes in one call; import is the spreadsheet import of GOSO lists. Anonymous callers
may do nothing here (the admin asks them to sign in, the API answers 401; CASE is public elsewhere).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from tenants.models import Role

VIEW, ADD, CHANGE, DELETE, FORK, ALIGN, IMPORT = "view", "add", "change", "delete", "fork", "align", "import"
ACTIONS = (VIEW, ADD, CHANGE, DELETE, FORK, ALIGN, IMPORT)
ANONYMOUS = "anonymous"
ROLES = (Role.METHODOLOGIST, Role.SCHOOL_ADMIN, Role.TEACHER, ANONYMOUS)
# Actions school staff may take on another school's or a global object (all others: own rows only).
ANY_ROW_ACTIONS = frozenset({VIEW, FORK})

EVERYTHING = frozenset({VIEW, ADD, CHANGE, DELETE})
READ_ONLY = frozenset({VIEW})

_GOSO = {Role.METHODOLOGIST: EVERYTHING, Role.SCHOOL_ADMIN: READ_ONLY, Role.TEACHER: READ_ONLY}
_GOSO_LIST = {**_GOSO, Role.METHODOLOGIST: EVERYTHING | {IMPORT}}  # lists with a spreadsheet import
_CONTENT = {Role.METHODOLOGIST: EVERYTHING, Role.SCHOOL_ADMIN: EVERYTHING, Role.TEACHER: READ_ONLY}

ROLE_ACTIONS: dict[str, dict[str, frozenset]] = {
    # GOSO: methodologists maintain it, school staff read it.
    "curriculum.subject": _GOSO,
    "curriculum.framework": _GOSO,
    "curriculum.section": _GOSO_LIST,
    "curriculum.subsection": _GOSO_LIST,
    "curriculum.learningoutcome": _GOSO_LIST,
    # External CASE frameworks: imported, re-synced and deleted as a whole (never edited by hand); school
    # staff browse them (they align to external items). Crosswalks: GOSO outcome -> external item.
    "curriculum.externalframework": {**_GOSO, Role.METHODOLOGIST: frozenset({VIEW, DELETE, IMPORT})},
    "curriculum.externalitem": {**_GOSO, Role.METHODOLOGIST: READ_ONLY},
    "curriculum.crosswalk": _GOSO,
    # Schools and their hosts: the national level only. Accounts: a school administrator manages
    # their school's staff.
    "tenants.school": {Role.METHODOLOGIST: EVERYTHING},
    "tenants.domain": {Role.METHODOLOGIST: EVERYTHING},
    "tenants.user": {Role.METHODOLOGIST: EVERYTHING, Role.SCHOOL_ADMIN: EVERYTHING},
    # Content: global textbooks are the methodologists', a school's own are its staff's. Teachers
    # edit and align paragraphs but never add, delete or restructure textbooks and chapters.
    # Align on textbooks: carry alignments over to a new framework version (all of a school's).
    # Change on a school's copy includes taking over updates of its global textbook (fork updates).
    "textbooks.textbook": {
        **_CONTENT, Role.METHODOLOGIST: EVERYTHING | {FORK, ALIGN}, Role.SCHOOL_ADMIN: EVERYTHING | {FORK, ALIGN},
    },
    "textbooks.chapter": _CONTENT,
    "textbooks.paragraph": {
        Role.METHODOLOGIST: EVERYTHING | {ALIGN}, Role.SCHOOL_ADMIN: EVERYTHING | {ALIGN},
        Role.TEACHER: frozenset({VIEW, CHANGE, ALIGN}),
    },
    "textbooks.paragraphoutcome": {Role.METHODOLOGIST: EVERYTHING, Role.SCHOOL_ADMIN: EVERYTHING, Role.TEACHER: EVERYTHING},
    "textbooks.externalalignment": {Role.METHODOLOGIST: EVERYTHING, Role.SCHOOL_ADMIN: EVERYTHING, Role.TEACHER: EVERYTHING},
    # Login lockouts (django-axes): the methodologist reviews them and may lift one by deleting it.
    "axes.accessattempt": {Role.METHODOLOGIST: frozenset({VIEW, DELETE})},
}


def role_of(user) -> str:
    if not (user.is_authenticated and user.is_active):
        return ANONYMOUS
    return user.role


def belongs_to_users_school(*, user, obj) -> bool:
    return getattr(obj, "school_id", None) is not None and obj.school_id == user.school_id


def role_allows(*, user, model: str, action: str, obj=None) -> bool:
    """May `user` take `action` on `model` (an "app_label.model" label), on `obj` if given?"""
    if action not in ROLE_ACTIONS.get(model, {}).get(role_of(user), ()):
        return False
    if obj is None or action in ANY_ROW_ACTIONS or user.is_methodologist:
        return True
    return belongs_to_users_school(user=user, obj=obj)


# The admin ------------------------------------------------------------------------------------


class RolePermissions:
    """has_*_permission of a ModelAdmin or inline from ROLE_ACTIONS (for an inline `obj` is the parent).
    The admin lets only staff in; an undeclared model is refused to everyone (fail closed)."""

    def role_allows(self, request, action, obj=None) -> bool:
        return request.user.is_staff and role_allows(
            user=request.user, model=self.model._meta.label_lower, action=action, obj=obj
        )

    def has_module_permission(self, request):
        return self.role_allows(request, VIEW)

    def has_view_permission(self, request, obj=None):
        return self.role_allows(request, VIEW, obj)

    def has_add_permission(self, request, obj=None):
        return self.role_allows(request, ADD, obj)

    def has_change_permission(self, request, obj=None):
        return self.role_allows(request, CHANGE, obj)

    def has_delete_permission(self, request, obj=None):
        return self.role_allows(request, DELETE, obj)

    def has_fork_permission(self, request, obj=None):
        return self.role_allows(request, FORK, obj)

    def has_import_permission(self, request):
        return self.role_allows(request, IMPORT)


# The API --------------------------------------------------------------------------------------

# DRF viewset actions -> declared actions; views name others in `role_actions` (e.g. {"fork": FORK}).
_VIEWSET_ACTIONS = {
    "list": VIEW, "retrieve": VIEW, "create": ADD, "update": CHANGE, "partial_update": CHANGE, "destroy": DELETE,
}


class RolePermission(permissions.BasePermission):
    """ROLE_ACTIONS for API views (REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES).

    The model is the view's `role_model` or its queryset's; the action comes from the viewset action
    (`role_actions` of the view for its own actions) or, for plain views, from the method (reads are
    view). An object check (`check_object_permissions`) applies the own-school rule.
    """

    message = _("Your role does not allow this action.")

    @staticmethod
    def model_and_action(request, view) -> tuple[str, str]:
        model = getattr(view, "role_model", None)
        if model is None:
            model = view.get_queryset().model._meta.label_lower
        name = getattr(view, "action", None)
        extra = getattr(view, "role_actions", {})
        if name in extra:
            return model, extra[name]
        if name in _VIEWSET_ACTIONS:
            return model, _VIEWSET_ACTIONS[name]
        if request.method in permissions.SAFE_METHODS:
            return model, VIEW
        return model, CHANGE

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 (an authenticator sends WWW-Authenticate)
        model, action = self.model_and_action(request, view)
        return role_allows(user=request.user, model=model, action=action)

    def has_object_permission(self, request, view, obj):
        model, action = self.model_and_action(request, view)
        return role_allows(user=request.user, model=model, action=action, obj=obj)

from django.db import migrations

from tenants.rls import ACCOUNTS, REFERENCE, EnableRowSecurity, GrantRuntimeAccess


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [
        # Row access (never TRUNCATE) for the runtime and super-admin roles, also on later tables.
        GrantRuntimeAccess(),
        EnableRowSecurity(table="schools", kind=REFERENCE),
        EnableRowSecurity(table="school_domains", kind=REFERENCE),
        EnableRowSecurity(table="users", kind=ACCOUNTS),
        # Group and permission memberships are managed nationally.
        EnableRowSecurity(table="users_groups", kind=REFERENCE),
        EnableRowSecurity(table="users_user_permissions", kind=REFERENCE),
    ]

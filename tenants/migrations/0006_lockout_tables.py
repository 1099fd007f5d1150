"""django-axes' tables (login lockouts) are outside row-level security, on tenants.rls.TABLES_WITHOUT_RLS:
the attempts table and its expiry table keep their row access (logins precede any tenant context); the disabled ones get none."""

from django.db import migrations

from tenants.migration_sql import RoleSQL

UNUSED = "public.axes_accesslog, public.axes_accessfailurelog"


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0005_identity_boundary"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        RoleSQL(
            f"REVOKE ALL ON {UNUSED} FROM {{runtime}}, {{super_admin}};",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {UNUSED} TO {{runtime}}, {{super_admin}};",
            comment="django-axes' unused tables: no access for the runtime roles",
        ),
    ]

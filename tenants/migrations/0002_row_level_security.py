from django.db import migrations

from tenants.rls import EnableRowSecurity, GrantRuntimeAccess


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [
        # Row access (never TRUNCATE) for the runtime and super-admin roles, also on later tables.
        GrantRuntimeAccess(privileges="SELECT, INSERT, UPDATE, DELETE"),
        EnableRowSecurity(
            table="schools",
            kind="reference",
            policies={
                "schools_read_all": """CREATE POLICY "schools_read_all" ON "schools" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "schools_super_admin_all": """CREATE POLICY "schools_super_admin_all" ON "schools" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="school_domains",
            kind="reference",
            policies={
                "school_domains_read_all": """CREATE POLICY "school_domains_read_all" ON "school_domains" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "school_domains_super_admin_all": """CREATE POLICY "school_domains_super_admin_all" ON "school_domains" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="users",
            kind="accounts",
            policies={
                "users_read_all": """CREATE POLICY "users_read_all" ON "users" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "users_write_own_school": """CREATE POLICY "users_write_own_school" ON "users" AS PERMISSIVE FOR ALL TO {runtime} USING (school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint)) WITH CHECK (school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint))""",
                "users_super_admin_all": """CREATE POLICY "users_super_admin_all" ON "users" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        # Group and permission memberships are managed nationally.
        EnableRowSecurity(
            table="users_groups",
            kind="reference",
            policies={
                "users_groups_read_all": """CREATE POLICY "users_groups_read_all" ON "users_groups" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "users_groups_super_admin_all": """CREATE POLICY "users_groups_super_admin_all" ON "users_groups" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="users_user_permissions",
            kind="reference",
            policies={
                "users_user_permissions_read_all": """CREATE POLICY "users_user_permissions_read_all" ON "users_user_permissions" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "users_user_permissions_super_admin_all": """CREATE POLICY "users_user_permissions_super_admin_all" ON "users_user_permissions" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
    ]

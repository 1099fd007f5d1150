"""A read-only token lookup for read replicas: identity_token_lookup deletes the expired tokens it meets,
which a hot standby (read-only transactions) refuses; identity_token_find only skips them
(tenants.context.token_user_activate uses it on the replica)."""

from django.db import migrations

from tenants.migration_sql import RoleSQL

FUNCTION = """
CREATE FUNCTION public.identity_token_find(p_token_key varchar)
RETURNS TABLE (digest varchar, user_id bigint, expiry timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT t.digest, t.user_id, t.expiry FROM public.api_tokens t
    WHERE t.token_key = p_token_key AND (t.expiry IS NULL OR t.expiry > clock_timestamp())
$$;
REVOKE ALL ON FUNCTION public.identity_token_find(varchar) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.identity_token_find(varchar) TO {runtime}, {super_admin};
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0006_lockout_tables")]

    operations = [
        RoleSQL(FUNCTION, "DROP FUNCTION public.identity_token_find(varchar);",
                comment="Read-only token lookup (read replicas)"),
    ]

"""Identity inside the isolation boundary (README, "Security model").

Password hashes move out of `users` into `user_credentials`; sessions, API tokens and hashes are
reached only through SECURITY DEFINER functions that touch one row by its key; a trigger keeps
privilege flags and credentials honest whatever SQL writes `users`; every other table is under
row-level security or on tenants.rls.TABLES_WITHOUT_RLS with exactly the privileges listed there.

The functions are owned by the owner role (creating a separate NOLOGIN role needs CREATEROLE, which
the owner does not have): each is `SET search_path = ''` and EXECUTE is revoked from PUBLIC.
"""

from django.db import migrations

from tenants.migration_sql import RoleSQL
from tenants.rls import EnableRowSecurity

IS_SUPER_ADMIN = "(SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')"
CURRENT_SCHOOL = "(SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint)"

# knox's own table (unused: the token model is tenants.ApiToken) keeps no link to users, so that
# nothing outside the app's models blocks deleting or flushing users.
KNOX_TABLE = """
DO $$
DECLARE constraint_name text;
BEGIN
    FOR constraint_name IN SELECT conname FROM pg_constraint
            WHERE conrelid = 'public.knox_authtoken'::regclass AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE public.knox_authtoken DROP CONSTRAINT %I', constraint_name);
    END LOOP;
END $$;
"""
KNOX_TABLE_REVERSE = """
ALTER TABLE public.knox_authtoken ADD CONSTRAINT knox_authtoken_user_id_fk_users_id
    FOREIGN KEY (user_id) REFERENCES public.users (id) DEFERRABLE INITIALLY DEFERRED;
"""

# Runs as the owner (SECURITY DEFINER) so it can write user_credentials and api_tokens; it acts only
# on the row being written, which row-level security has already admitted (or will refuse, undoing all).
USERS_TRIGGER = f"""
CREATE FUNCTION public.identity_users_before_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    stored varchar;
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM public.api_tokens WHERE user_id = OLD.id;
        DELETE FROM public.user_credentials WHERE user_id = OLD.id;
        RETURN OLD;
    END IF;
    IF NEW.credentials_epoch IS NULL THEN  -- writers that do not know the column (set-based inserts)
        NEW.credentials_epoch := replace(gen_random_uuid()::text, '-', '');
    END IF;
    IF NOT {IS_SUPER_ADMIN} AND NEW.is_superuser AND (TG_OP = 'INSERT' OR NOT OLD.is_superuser) THEN
        RAISE EXCEPTION 'only the super-admin context makes a superuser' USING ERRCODE = '42501';
    END IF;
    IF NEW.password <> '' THEN
        SELECT c.password INTO stored FROM public.user_credentials c WHERE c.user_id = NEW.id;
        IF stored IS DISTINCT FROM NEW.password THEN
            INSERT INTO public.user_credentials (user_id, password) VALUES (NEW.id, NEW.password)
                ON CONFLICT (user_id) DO UPDATE SET password = EXCLUDED.password;
            IF TG_OP = 'UPDATE' THEN
                -- A new password ends every session (epoch) and every API token.
                IF NEW.credentials_epoch IS NOT DISTINCT FROM OLD.credentials_epoch THEN
                    NEW.credentials_epoch := replace(gen_random_uuid()::text, '-', '');
                END IF;
                DELETE FROM public.api_tokens WHERE user_id = NEW.id;
            END IF;
        END IF;
        NEW.password := '';
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.is_active AND NOT NEW.is_active THEN
        DELETE FROM public.api_tokens WHERE user_id = NEW.id;
    END IF;
    RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION public.identity_users_before_write() FROM PUBLIC;
CREATE TRIGGER users_identity_guard BEFORE INSERT OR UPDATE OR DELETE ON public.users
    FOR EACH ROW EXECUTE FUNCTION public.identity_users_before_write();

CREATE FUNCTION public.identity_school_deactivated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    DELETE FROM public.api_tokens t USING public.users u WHERE u.id = t.user_id AND u.school_id = NEW.id;
    RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION public.identity_school_deactivated() FROM PUBLIC;
CREATE TRIGGER schools_revoke_tokens_on_deactivation AFTER UPDATE OF is_active ON public.schools
    FOR EACH ROW WHEN (OLD.is_active AND NOT NEW.is_active) EXECUTE FUNCTION public.identity_school_deactivated();

-- Existing hashes move out (the owner is subject to FORCE, and no write policy names it).
ALTER TABLE public.users NO FORCE ROW LEVEL SECURITY;
UPDATE public.users SET password = password WHERE password <> '';
ALTER TABLE public.users FORCE ROW LEVEL SECURITY;
"""

USERS_TRIGGER_REVERSE = """
ALTER TABLE public.users NO FORCE ROW LEVEL SECURITY;
DROP TRIGGER users_identity_guard ON public.users;
UPDATE public.users u SET password = c.password FROM public.user_credentials c WHERE c.user_id = u.id;
ALTER TABLE public.users FORCE ROW LEVEL SECURITY;
DROP FUNCTION public.identity_users_before_write();
DROP TRIGGER schools_revoke_tokens_on_deactivation ON public.schools;
DROP FUNCTION public.identity_school_deactivated();
"""

GOVERNS = f"""
CREATE FUNCTION public.identity_governs(p_user_id bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT EXISTS (
        SELECT 1 FROM public.users u
        WHERE u.id = p_user_id AND ({IS_SUPER_ADMIN} OR u.school_id = {CURRENT_SCHOOL})
    )
$$;
"""

# The narrow path: each function reads or writes one row given its key (or one user's rows).
FUNCTIONS = GOVERNS + """
CREATE FUNCTION public.identity_password_hash(p_user_id bigint) RETURNS varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT c.password FROM public.user_credentials c JOIN public.users u ON u.id = c.user_id
    WHERE c.user_id = p_user_id AND u.is_active
$$;

CREATE FUNCTION public.identity_session_load(p_key varchar) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT s.session_data FROM public.django_session s WHERE s.session_key = p_key AND s.expire_date > clock_timestamp()
$$;

CREATE FUNCTION public.identity_session_exists(p_key varchar) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT EXISTS (SELECT 1 FROM public.django_session s WHERE s.session_key = p_key)
$$;

CREATE FUNCTION public.identity_session_save(p_key varchar, p_data text, p_expire timestamptz, p_must_create boolean)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    IF p_must_create THEN
        INSERT INTO public.django_session (session_key, session_data, expire_date) VALUES (p_key, p_data, p_expire)
            ON CONFLICT (session_key) DO NOTHING;
    ELSE
        UPDATE public.django_session SET session_data = p_data, expire_date = p_expire WHERE session_key = p_key;
    END IF;
    RETURN FOUND;
END $$;

CREATE FUNCTION public.identity_session_delete(p_key varchar) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
    DELETE FROM public.django_session WHERE session_key = p_key
$$;

CREATE FUNCTION public.identity_sessions_clear_expired() RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
    WITH gone AS (DELETE FROM public.django_session WHERE expire_date < clock_timestamp() RETURNING 1) SELECT count(*) FROM gone
$$;

CREATE FUNCTION public.identity_token_lookup(p_token_key varchar)
RETURNS TABLE (digest varchar, user_id bigint, expiry timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    DELETE FROM public.api_tokens t WHERE t.token_key = p_token_key AND t.expiry <= clock_timestamp();
    RETURN QUERY SELECT t.digest, t.user_id, t.expiry FROM public.api_tokens t WHERE t.token_key = p_token_key;
END $$;

CREATE FUNCTION public.identity_token_create(p_digest varchar, p_token_key varchar, p_user_id bigint, p_expiry timestamptz)
RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    IF NOT public.identity_governs(p_user_id) THEN
        RAISE EXCEPTION 'a token only for a user of the current context' USING ERRCODE = '42501';
    END IF;
    INSERT INTO public.api_tokens (digest, token_key, user_id, created, expiry) VALUES (p_digest, p_token_key, p_user_id, now(), p_expiry);
    RETURN now();
END $$;

CREATE FUNCTION public.identity_token_delete(p_digest varchar) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
    WITH gone AS (DELETE FROM public.api_tokens WHERE digest = p_digest RETURNING 1) SELECT count(*) FROM gone
$$;

CREATE FUNCTION public.identity_tokens_delete_for_user(p_user_id bigint) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
    WITH gone AS (
        DELETE FROM public.api_tokens WHERE user_id = p_user_id AND public.identity_governs(p_user_id) RETURNING 1
    ) SELECT count(*) FROM gone
$$;
"""

CALLABLE = [
    "identity_password_hash(bigint)",
    "identity_session_load(varchar)",
    "identity_session_exists(varchar)",
    "identity_session_save(varchar, text, timestamptz, boolean)",
    "identity_session_delete(varchar)",
    "identity_sessions_clear_expired()",
    "identity_token_lookup(varchar)",
    "identity_token_create(varchar, varchar, bigint, timestamptz)",
    "identity_token_delete(varchar)",
    "identity_tokens_delete_for_user(bigint)",
]
FUNCTION_GRANTS = "REVOKE ALL ON FUNCTION public.identity_governs(bigint) FROM PUBLIC;\n" + "".join(
    f"REVOKE ALL ON FUNCTION public.{signature} FROM PUBLIC;\n"
    f"GRANT EXECUTE ON FUNCTION public.{signature} TO {{runtime}}, {{super_admin}};\n"
    for signature in CALLABLE
)
FUNCTIONS_REVERSE = "".join(f"DROP FUNCTION public.{signature};\n" for signature in CALLABLE) + (
    "DROP FUNCTION public.identity_governs(bigint);\n"
)

# Tables outside row-level security get exactly the privileges of tenants.rls.TABLES_WITHOUT_RLS.
PRIVILEGES = """
REVOKE ALL ON public.django_session, public.api_tokens, public.user_credentials, public.knox_authtoken
    FROM {runtime}, {super_admin};
REVOKE INSERT, UPDATE, DELETE ON public.django_migrations, public.django_content_type, public.auth_permission
    FROM {runtime}, {super_admin};
DROP TABLE IF EXISTS public.authtoken_token;
"""
PRIVILEGES_REVERSE = """
GRANT SELECT, INSERT, UPDATE, DELETE ON public.django_session, public.api_tokens, public.user_credentials,
    public.knox_authtoken, public.django_migrations,
    public.django_content_type, public.auth_permission TO {runtime}, {super_admin};
"""


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_user_credentials"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("sessions", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        RoleSQL(PRIVILEGES, PRIVILEGES_REVERSE, comment="Allowlisted tables get only their listed privileges"),
        RoleSQL(KNOX_TABLE, KNOX_TABLE_REVERSE, comment="knox's unused table keeps no link to users"),
        RoleSQL(USERS_TRIGGER, USERS_TRIGGER_REVERSE, comment="Privilege flags and credentials guarded on users"),
        RoleSQL(FUNCTIONS + FUNCTION_GRANTS, FUNCTIONS_REVERSE, comment="Identity functions: one row by its key"),
        # Groups are managed nationally, like users_groups; admin history per school.
        EnableRowSecurity(
            table="auth_group",
            kind="reference",
            policies={
                "auth_group_read_all": """CREATE POLICY "auth_group_read_all" ON "auth_group" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "auth_group_super_admin_all": """CREATE POLICY "auth_group_super_admin_all" ON "auth_group" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="auth_group_permissions",
            kind="reference",
            policies={
                "auth_group_permissions_read_all": """CREATE POLICY "auth_group_permissions_read_all" ON "auth_group_permissions" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "auth_group_permissions_super_admin_all": """CREATE POLICY "auth_group_permissions_super_admin_all" ON "auth_group_permissions" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="django_admin_log",
            kind="admin_log",
            policies={
                "django_admin_log_read_write_own_staff": """CREATE POLICY "django_admin_log_read_write_own_staff" ON "django_admin_log" AS PERMISSIVE FOR ALL TO {runtime} USING (user_id IN (SELECT id FROM public.users WHERE school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint))) WITH CHECK (user_id IN (SELECT id FROM public.users WHERE school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint)))""",
                "django_admin_log_super_admin_all": """CREATE POLICY "django_admin_log_super_admin_all" ON "django_admin_log" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
    ]

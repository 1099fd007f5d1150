"""Stored CASE identifiers: CFItems/{id} and friends become one indexed lookup instead of hashing every
code of every framework per request. The values are the UUIDv5 of curriculum/case.py (the same as
published before), computed by a trigger from the framework code and the object's code whoever writes
the row (ORM, bulk SQL, renumbering); a code change cascades to the children's identifiers.
Sections and subsections get `updated_at`; the trigger bumps `updated_at` only when a row's content
really changes (CASE lastChangeDateTime). UUIDv5 needs SHA-1: uuid-ossp's where the extension is available
(a trusted extension: the database owner may create it, in the schema goso_ext; the schema and the
extension are left in place on reverse, other objects may use them), a PL/pgSQL one otherwise
(PORTABLE_UUID5).
"""

from django.db import migrations, models

# UUIDv5 (RFC 4122: SHA-1 of namespace || name, version and variant bits set) in PL/pgSQL, since SHA-1 is
# not built into PostgreSQL. Where the uuid-ossp extension exists (any PostgreSQL with contrib, e.g.
# Debian's) goso_case_uuid uses its uuid_generate_v5 (fast); elsewhere (the pgserver wheel ships no
# contrib) this portable one, which gives the same values, some 0.05 ms each.
PORTABLE_UUID5 = r"""
CREATE OR REPLACE FUNCTION goso_sha1(data bytea) RETURNS bytea IMMUTABLE STRICT LANGUAGE plpgsql AS $$
DECLARE
    m32 CONSTANT int8 := 4294967295;
    h0 int8 := 1732584193; h1 int8 := 4023233417; h2 int8 := 2562383102; h3 int8 := 271733878; h4 int8 := 3285377520;
    a int8; b int8; c int8; d int8; e int8; t int8;
    w int8[] := array_fill(0::int8, ARRAY[80]);
    msg bytea := data || '\x80'::bytea;
    j int;
BEGIN
    msg := msg || decode(repeat('00', ((120 - length(msg)) % 64 + 64) % 64), 'hex') || int8send(length(data)::int8 * 8);
    FOR block IN 0 .. length(msg) / 64 - 1 LOOP
        FOR i IN 0 .. 15 LOOP
            j := block * 64 + i * 4;
            w[i + 1] := (get_byte(msg, j)::int8 << 24) | (get_byte(msg, j + 1)::int8 << 16)
                        | (get_byte(msg, j + 2)::int8 << 8) | get_byte(msg, j + 3)::int8;
        END LOOP;
        FOR i IN 16 .. 79 LOOP
            t := w[i - 2] # w[i - 7] # w[i - 13] # w[i - 15];
            w[i + 1] := ((t << 1) | (t >> 31)) & m32;
        END LOOP;
        a := h0; b := h1; c := h2; d := h3; e := h4;
        FOR i IN 1 .. 20 LOOP
            t := ((((a << 5) | (a >> 27)) & m32) + ((b & c) | (~b & m32 & d)) + e + 1518500249 + w[i]) & m32;
            e := d; d := c; c := ((b << 30) | (b >> 2)) & m32; b := a; a := t;
        END LOOP;
        FOR i IN 21 .. 40 LOOP
            t := ((((a << 5) | (a >> 27)) & m32) + (b # c # d) + e + 1859775393 + w[i]) & m32;
            e := d; d := c; c := ((b << 30) | (b >> 2)) & m32; b := a; a := t;
        END LOOP;
        FOR i IN 41 .. 60 LOOP
            t := ((((a << 5) | (a >> 27)) & m32) + ((b & c) | (b & d) | (c & d)) + e + 2400959708 + w[i]) & m32;
            e := d; d := c; c := ((b << 30) | (b >> 2)) & m32; b := a; a := t;
        END LOOP;
        FOR i IN 61 .. 80 LOOP
            t := ((((a << 5) | (a >> 27)) & m32) + (b # c # d) + e + 3395469782 + w[i]) & m32;
            e := d; d := c; c := ((b << 30) | (b >> 2)) & m32; b := a; a := t;
        END LOOP;
        h0 := (h0 + a) & m32; h1 := (h1 + b) & m32; h2 := (h2 + c) & m32; h3 := (h3 + d) & m32; h4 := (h4 + e) & m32;
    END LOOP;
    RETURN substring(int8send(h0) from 5) || substring(int8send(h1) from 5) || substring(int8send(h2) from 5)
        || substring(int8send(h3) from 5) || substring(int8send(h4) from 5);
END $$;

-- PL/pgSQL, not SQL: its plan is kept for the session (a SQL function with a FROM is planned per call).
CREATE OR REPLACE FUNCTION goso_uuid5(namespace uuid, name text) RETURNS uuid IMMUTABLE STRICT LANGUAGE plpgsql AS $$
DECLARE
    h bytea := substring(goso_sha1(uuid_send(namespace) || convert_to(name, 'UTF8')) from 1 for 16);
BEGIN
    RETURN encode(set_byte(set_byte(h, 6, (get_byte(h, 6) & 15) | 80), 8, (get_byte(h, 8) & 63) | 128), 'hex')::uuid;
END $$
"""

# curriculum.case.CASE_NAMESPACE (fixed forever). goso_case_uuid is the same everywhere; what differs by
# installation lives in the schema goso_ext, outside the schema snapshot (tenants/schema.py): uuid-ossp's
# uuid_generate_v5 where PostgreSQL has the extension, else the portable goso_uuid5.
CASE_UUID = [
    "CREATE SCHEMA IF NOT EXISTS goso_ext",
    "GRANT USAGE ON SCHEMA goso_ext TO PUBLIC",
    """
DO $do$
BEGIN
    IF EXISTS (SELECT FROM pg_available_extensions WHERE name = 'uuid-ossp') THEN
        CREATE EXTENSION IF NOT EXISTS "uuid-ossp" SCHEMA goso_ext;
        CREATE OR REPLACE FUNCTION goso_ext.uuid5(namespace uuid, name text) RETURNS uuid IMMUTABLE STRICT
        LANGUAGE sql AS $f$ SELECT goso_ext.uuid_generate_v5(namespace, name) $f$;
    ELSE
        CREATE OR REPLACE FUNCTION goso_ext.uuid5(namespace uuid, name text) RETURNS uuid IMMUTABLE STRICT
        LANGUAGE sql AS $f$ SELECT public.goso_uuid5(namespace, name) $f$;
    END IF;
END
$do$
""",
    """
CREATE OR REPLACE FUNCTION goso_case_uuid(name text) RETURNS uuid IMMUTABLE STRICT LANGUAGE sql
AS $$ SELECT goso_ext.uuid5('d58206d4-0848-48e7-9710-000277360ae9'::uuid, name) $$
""",
]

# Ignored when deciding whether a row really changed.
BOOKKEEPING = "ARRAY['updated_at', 'case_id_ru', 'case_id_kk', 'case_translation_id', 'case_link_ru', 'case_link_kk']"

IDENTIFIERS = f"""
CREATE OR REPLACE FUNCTION goso_case_identifiers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    framework_code text;
    kind text;
    parent_ru uuid;
    parent_kk uuid;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.updated_at := coalesce(NEW.updated_at, now());  -- set-based writers may leave it out
    ELSE
        IF to_jsonb(NEW) - {BOOKKEEPING} IS DISTINCT FROM to_jsonb(OLD) - {BOOKKEEPING} THEN
            NEW.updated_at := now();
        ELSE
            NEW.updated_at := OLD.updated_at;
        END IF;
    END IF;
    IF TG_TABLE_NAME = 'frameworks' THEN
        NEW.case_id_ru := goso_case_uuid(NEW.code || '/ru');
        NEW.case_id_kk := goso_case_uuid(NEW.code || '/kk');
        NEW.case_translation_id := goso_case_uuid(
            NEW.code || '/kk/isTranslationOf/' || NEW.case_id_kk || '/' || NEW.case_id_ru);
        RETURN NEW;
    ELSIF TG_TABLE_NAME = 'goso_sections' THEN
        kind := 'section';
        SELECT f.code, f.case_id_ru, f.case_id_kk INTO framework_code, parent_ru, parent_kk
        FROM frameworks f WHERE f.id = NEW.framework_id;
    ELSIF TG_TABLE_NAME = 'goso_subsections' THEN
        kind := 'subsection';
        SELECT f.code, s.case_id_ru, s.case_id_kk INTO framework_code, parent_ru, parent_kk
        FROM goso_sections s JOIN frameworks f ON f.id = s.framework_id WHERE s.id = NEW.section_id;
    ELSE
        kind := 'outcome';
        SELECT f.code, s.case_id_ru, s.case_id_kk INTO framework_code, parent_ru, parent_kk
        FROM goso_subsections s, frameworks f WHERE s.id = NEW.subsection_id AND f.id = NEW.framework_id;
    END IF;
    NEW.case_id_ru := goso_case_uuid(framework_code || '/ru/' || kind || '/' || NEW.code);
    NEW.case_id_kk := goso_case_uuid(framework_code || '/kk/' || kind || '/' || NEW.code);
    NEW.case_link_ru := goso_case_uuid(framework_code || '/ru/isChildOf/' || NEW.case_id_ru || '/' || parent_ru);
    NEW.case_link_kk := goso_case_uuid(framework_code || '/kk/isChildOf/' || NEW.case_id_kk || '/' || parent_kk);
    NEW.case_translation_id := goso_case_uuid(
        framework_code || '/kk/isTranslationOf/' || NEW.case_id_kk || '/' || NEW.case_id_ru);
    RETURN NEW;
END $$
"""

# A parent's new identifiers change its children's (framework code) or their parent links.
CASCADE = """
CREATE OR REPLACE FUNCTION goso_case_identifiers_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'frameworks' THEN
        UPDATE goso_sections SET code = code WHERE framework_id = NEW.id;
    ELSIF TG_TABLE_NAME = 'goso_sections' THEN
        UPDATE goso_subsections SET code = code WHERE section_id = NEW.id;
    ELSIF TG_TABLE_NAME = 'goso_subsections' THEN
        UPDATE learning_outcomes SET code = code WHERE subsection_id = NEW.id;
    ELSE
        UPDATE outcome_version_links SET old_outcome_id = old_outcome_id
        WHERE old_outcome_id = NEW.id OR new_outcome_id = NEW.id;
    END IF;
    RETURN NULL;
END $$
"""

# An accepted version link is published as the replacedBy association old -> new, per language.
VERSION_LINK = """
CREATE OR REPLACE FUNCTION goso_case_version_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_ru uuid; old_kk uuid; new_ru uuid; new_kk uuid;
BEGIN
    SELECT case_id_ru, case_id_kk INTO old_ru, old_kk FROM learning_outcomes WHERE id = NEW.old_outcome_id;
    SELECT case_id_ru, case_id_kk INTO new_ru, new_kk FROM learning_outcomes WHERE id = NEW.new_outcome_id;
    NEW.case_id_ru := goso_case_uuid('replacedBy/ru/' || old_ru || '/' || new_ru);
    NEW.case_id_kk := goso_case_uuid('replacedBy/kk/' || old_kk || '/' || new_kk);
    RETURN NEW;
END $$
"""

TABLES = ("frameworks", "goso_sections", "goso_subsections", "learning_outcomes")
PARENT_TABLES = TABLES  # an outcome is the "parent" of its version links


def _forwards():
    statements = [PORTABLE_UUID5, *CASE_UUID, IDENTIFIERS, CASCADE,
                  VERSION_LINK, "CREATE TRIGGER outcome_version_links_case_identifiers BEFORE INSERT OR UPDATE ON "
                  "outcome_version_links FOR EACH ROW EXECUTE FUNCTION goso_case_version_link()"]
    for table in TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_case_identifiers BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION goso_case_identifiers()"
        )
    for table in PARENT_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_case_cascade AFTER UPDATE ON {table} FOR EACH ROW "
            "WHEN (OLD.case_id_ru IS DISTINCT FROM NEW.case_id_ru OR OLD.case_link_ru IS DISTINCT FROM NEW.case_link_ru) "
            "EXECUTE FUNCTION goso_case_identifiers_cascade()"
            if table != "frameworks" else
            f"CREATE TRIGGER {table}_case_cascade AFTER UPDATE ON {table} FOR EACH ROW "
            "WHEN (OLD.case_id_ru IS DISTINCT FROM NEW.case_id_ru) EXECUTE FUNCTION goso_case_identifiers_cascade()"
        )
    # Fill: the owner is subject to FORCEd row-level security, so lift it for the statement.
    statements += [f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY" for table in (*TABLES, "outcome_version_links")]
    statements.append("UPDATE frameworks SET code = code")  # cascades to every section, subsection, outcome
    statements += [f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY" for table in (*TABLES, "outcome_version_links")]
    return statements


def _backwards():
    return [
        "DROP TRIGGER IF EXISTS outcome_version_links_case_identifiers ON outcome_version_links",
        "DROP FUNCTION IF EXISTS goso_case_version_link()",
        *(f"DROP TRIGGER IF EXISTS {table}_case_cascade ON {table}" for table in PARENT_TABLES),
        *(f"DROP TRIGGER IF EXISTS {table}_case_identifiers ON {table}" for table in TABLES),
        "DROP FUNCTION IF EXISTS goso_case_identifiers_cascade()",
        "DROP FUNCTION IF EXISTS goso_case_identifiers()",
        "DROP FUNCTION IF EXISTS goso_case_uuid(text)",
        "DROP FUNCTION IF EXISTS goso_ext.uuid5(uuid, text)",
        "DROP FUNCTION IF EXISTS goso_uuid5(uuid, text)",
        "DROP FUNCTION IF EXISTS goso_sha1(bytea)",
    ]


class Migration(migrations.Migration):

    dependencies = [
        ('curriculum', '0004_domain_rules'),
    ]

    operations = [
        migrations.AddField(
            model_name='framework',
            name='case_id_kk',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE identifier (Kazakh)'),
        ),
        migrations.AddField(
            model_name='framework',
            name='case_id_ru',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE identifier (Russian)'),
        ),
        migrations.AddField(
            model_name='framework',
            name='case_translation_id',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE translation link'),
        ),
        migrations.AddField(
            model_name='learningoutcome',
            name='case_id_kk',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE identifier (Kazakh)'),
        ),
        migrations.AddField(
            model_name='learningoutcome',
            name='case_id_ru',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE identifier (Russian)'),
        ),
        migrations.AddField(
            model_name='learningoutcome',
            name='case_link_kk',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE parent link (Kazakh)'),
        ),
        migrations.AddField(
            model_name='learningoutcome',
            name='case_link_ru',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE parent link (Russian)'),
        ),
        migrations.AddField(
            model_name='learningoutcome',
            name='case_translation_id',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE translation link'),
        ),
        migrations.AddField(
            model_name='section',
            name='case_id_kk',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE identifier (Kazakh)'),
        ),
        migrations.AddField(
            model_name='section',
            name='case_id_ru',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE identifier (Russian)'),
        ),
        migrations.AddField(
            model_name='section',
            name='case_link_kk',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE parent link (Kazakh)'),
        ),
        migrations.AddField(
            model_name='section',
            name='case_link_ru',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE parent link (Russian)'),
        ),
        migrations.AddField(
            model_name='section',
            name='case_translation_id',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE translation link'),
        ),
        migrations.AddField(
            model_name='section',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, verbose_name='updated at'),
        ),
        migrations.AddField(
            model_name='subsection',
            name='case_id_kk',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE identifier (Kazakh)'),
        ),
        migrations.AddField(
            model_name='subsection',
            name='case_id_ru',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE identifier (Russian)'),
        ),
        migrations.AddField(
            model_name='subsection',
            name='case_link_kk',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE parent link (Kazakh)'),
        ),
        migrations.AddField(
            model_name='subsection',
            name='case_link_ru',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE parent link (Russian)'),
        ),
        migrations.AddField(
            model_name='subsection',
            name='case_translation_id',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE translation link'),
        ),
        migrations.AddField(
            model_name='subsection',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, verbose_name='updated at'),
        ),
        migrations.AddField(
            model_name='outcomeversionlink',
            name='case_id_kk',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE identifier (Kazakh)'),
        ),
        migrations.AddField(
            model_name='outcomeversionlink',
            name='case_id_ru',
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True, verbose_name='CASE identifier (Russian)'),
        ),
        migrations.AddIndex(
            model_name='learningoutcome',
            index=models.Index(condition=models.Q(('is_sample', True)), fields=['framework'], name='learning_outcomes_samples_idx'),
        ),
        migrations.RunSQL(_forwards(), reverse_sql=_backwards()),
    ]

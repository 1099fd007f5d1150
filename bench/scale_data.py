"""Synthetic national-scale data for benchmarks and load tests: `python -m bench.scale_data [--scale small]`
(`./dev bench` runs it through bench/scale.py). Benchmark data, so it lives beside the product, not in it.

National sizes by default (issue 13): 7,500 schools, each with staff (an administrator and a teacher),
30 frameworks / 20,000 outcomes, 500 global textbooks of 50 paragraphs, 30,000 school copies and
5,000,000 alignments. `--subset-of-schools 100` keeps every school-sized figure (textbooks per school,
alignments per paragraph, the global content) and shrinks the nation: the database the "costs follow
the school" benchmark compares with.

Set-based: each stage is one INSERT ... SELECT over generate_series. Small stages run as the runtime
role in the super-admin context; the three big ones (fork chapters, fork paragraphs, alignments) run as
the tables' owner with the tenant column computed in the SELECT, and inside their transaction switch off
what costs per row: FORCE ROW LEVEL SECURITY (the owner then bypasses the policies), the per-row trigger
that copies school_id from the parent (and the one that would mark the fresh copies customised), the
foreign keys and the indexes that back no constraint, which are added back (one set-based validation or
sort each) before the same transaction commits. The table is a
normal one afterwards: nothing of that is visible outside the transaction, and a failure rolls it all back.

Every generated row carries a `scale` prefix in a natural key (school and subject codes, framework
codes, the ISBN of textbooks). Each stage is one transaction that also records the stage as done in
scale_data.stages (a schema of the owner's, out of the runtime role's reach), with the sizes: an
interrupted run (Ctrl-C, a crash, a killed process) leaves no half stage, and the next run with the same
sizes resumes at the first stage not recorded; a run with other sizes than the recorded ones is refused
(generate into a fresh database). Progress goes to stderr, one line per stage with its rows and seconds.

The data is consistent with the database's own rules: outcome codes are grade.section.subsection.n of
their subsection, school_id on chapters, paragraphs and alignments is their textbook's, and forks keep
global_textbook_id and source_version like textbooks.services.textbook_fork.
"""

import argparse
import json
import os
import signal
import sys
import time
from dataclasses import asdict, dataclass, fields, replace

from django.contrib.auth.hashers import make_password
from django.db import connection, connections, transaction

from tenants.context import super_admin_context

SECTIONS_PER_FRAMEWORK = 5
SUBSECTIONS_PER_SECTION = 4
CHAPTERS_PER_TEXTBOOK = 5
GRADES = 11
MAX_SCHOOLS = 99_999  # school codes are scale-00001 .. scale-99999

SCHOOLS = "scale-%"
SUBJECTS = r"scale\_%"
FRAMEWORKS = "scale-%"
TEXTBOOKS = "scale-%"  # by ISBN; forks copy their global textbook's ISBN


@dataclass(frozen=True)
class Sizes:
    schools: int = 7_500
    frameworks: int = 30
    outcomes: int = 20_000
    textbooks: int = 500
    paragraphs_per_textbook: int = 50
    forks: int = 30_000
    alignments: int = 5_000_000

    def errors(self) -> list[str]:
        problems = [f"{name} must be at least 1" for name, value in asdict(self).items() if value < 1]
        if self.schools > MAX_SCHOOLS:
            problems.append(f"schools must be at most {MAX_SCHOOLS}")
        if self.forks > self.schools * self.textbooks:
            problems.append(
                f"forks ({self.forks}) cannot exceed schools x textbooks ({self.schools * self.textbooks}): "
                "a school forks each global textbook at most once"
            )
        if self.outcomes < self.frameworks * GRADES:
            problems.append(f"outcomes must be at least frameworks x {GRADES} so that every grade has outcomes")
        return problems


def subset_of_schools(sizes: Sizes, schools: int) -> Sizes:
    """The same nation's global content and the same school sizes (copies per school, alignments per
    paragraph) with fewer schools: what "a school of the same size in a smaller nation" means."""
    if not 1 <= schools <= sizes.schools:
        raise ValueError(f"a subset needs from 1 to {sizes.schools} schools")
    forks = sizes.forks * schools // sizes.schools
    paragraphs = sizes.textbooks * sizes.paragraphs_per_textbook
    alignments = sizes.alignments * (paragraphs + forks * sizes.paragraphs_per_textbook) // (
        paragraphs + sizes.forks * sizes.paragraphs_per_textbook)
    return replace(sizes, schools=schools, forks=forks, alignments=alignments)


PRESETS = {
    "national": Sizes(),
    # Enough schools for the concurrency tests (50+), small enough to generate in a few seconds.
    "small": Sizes(schools=60, frameworks=3, outcomes=990, textbooks=10, paragraphs_per_textbook=10, forks=120, alignments=3_000),
}


@dataclass(frozen=True)
class Stage:
    name: str
    target: str  # the parameter holding the wanted count
    count_sql: str
    insert_sql: str
    bulk_table: str | None = None  # run as the owner without per-row costs (see the module's docstring)


def _pad(expression: str) -> str:
    return f"lpad(({expression})::text, 5, '0')"


def _staff_stage(name: str, *, role: str, username: str) -> Stage:
    """One user of `role` per generated school, named `username` + the school's number."""
    return Stage(
        name, "schools",
        f"""SELECT count(*) FROM users u JOIN schools s ON s.id = u.school_id
            WHERE s.code LIKE %(schools_like)s AND u.role = '{role}'""",
        f"""
        INSERT INTO users (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                           date_joined, role, school_id)
        SELECT %(unusable_password)s, false, '{username}' || substring(s.code FROM 7), '', '', '', true, true,
               now(), '{role}', s.id
        FROM schools s WHERE s.code LIKE %(schools_like)s
        ON CONFLICT (username) DO NOTHING
        """,
    )


STAGES = [
    Stage(
        "schools", "schools",
        "SELECT count(*) FROM schools WHERE code LIKE %(schools_like)s",
        f"""
        INSERT INTO schools (schema_name, code, name_ru, name_kz, is_active, created_at)
        SELECT 'public', 'scale-' || {_pad('n')}, 'Школа (нагрузка) № ' || n, n || ' мектеп (жүктеме)', true, now()
        FROM generate_series(1, %(schools)s) n
        ON CONFLICT (code) DO NOTHING
        """,
    ),
    Stage(
        "school domains", "schools",
        "SELECT count(*) FROM school_domains d JOIN schools s ON s.id = d.tenant_id WHERE s.code LIKE %(schools_like)s",
        """
        INSERT INTO school_domains (domain, is_primary, tenant_id)
        SELECT s.code || '.localhost', true, s.id FROM schools s WHERE s.code LIKE %(schools_like)s
        ON CONFLICT (domain) DO NOTHING
        """,
    ),
    # One administrator and one teacher per school (scale-admin-00001, scale-teacher-00001), without a
    # usable password: load generators give them API tokens.
    _staff_stage("school administrators", role="school_admin", username="scale-admin-"),
    _staff_stage("school teachers", role="teacher", username="scale-teacher-"),
    Stage(
        "subjects", "frameworks",
        "SELECT count(*) FROM subjects WHERE code LIKE %(subjects_like)s",
        """
        INSERT INTO subjects (code, name_ru, name_kz, grade_from, grade_to, is_active, created_at, updated_at)
        SELECT 'scale_' || lpad(n::text, 3, '0'), 'Предмет (нагрузка) ' || n, '', 1, 11, true, now(), now()
        FROM generate_series(1, %(frameworks)s) n
        ON CONFLICT (code) DO NOTHING
        """,
    ),
    Stage(
        "frameworks", "frameworks",
        "SELECT count(*) FROM frameworks WHERE code LIKE %(frameworks_like)s",
        """
        INSERT INTO frameworks (code, subject_id, title_ru, title_kz, document_type, order_number, ministry_ru,
                                ministry_kz, amendments, is_active, created_at, updated_at)
        SELECT 'scale-' || substring(s.code FROM 7), s.id, 'Программа (нагрузка) ' || substring(s.code FROM 7),
               '', '', '', '', '', '[]'::jsonb, true, now(), now()
        FROM subjects s WHERE s.code LIKE %(subjects_like)s
        ON CONFLICT (code) DO NOTHING
        """,
    ),
    Stage(
        "sections", "sections",
        "SELECT count(*) FROM goso_sections s JOIN frameworks f ON f.id = s.framework_id WHERE f.code LIKE %(frameworks_like)s",
        """
        INSERT INTO goso_sections (framework_id, code, name_ru, name_kz, description_ru, description_kz,
                                   display_order, is_active)
        SELECT f.id, n::text, 'Раздел ' || n, '', '', '', n, true
        FROM frameworks f CROSS JOIN generate_series(1, %(sections_per_framework)s) n
        WHERE f.code LIKE %(frameworks_like)s
        ON CONFLICT (framework_id, code) DO NOTHING
        """,
    ),
    Stage(
        "subsections", "subsections",
        """SELECT count(*) FROM goso_subsections ss JOIN goso_sections s ON s.id = ss.section_id
           JOIN frameworks f ON f.id = s.framework_id WHERE f.code LIKE %(frameworks_like)s""",
        """
        INSERT INTO goso_subsections (section_id, code, name_ru, name_kz, description_ru, description_kz,
                                      display_order, is_active)
        SELECT s.id, s.code || '.' || n, 'Подраздел ' || s.code || '.' || n, '', '', '', n, true
        FROM goso_sections s JOIN frameworks f ON f.id = s.framework_id
        CROSS JOIN generate_series(1, %(subsections_per_section)s) n
        WHERE f.code LIKE %(frameworks_like)s
        ON CONFLICT (section_id, code) DO NOTHING
        """,
    ),
    Stage(
        # Outcome j of a framework: grade j % 11 + 1, then the subsections in turn, then the number:
        # code = grade.section.subsection.n, as the database's trigger requires. Outcomes are spread
        # over the frameworks as evenly as possible.
        "learning outcomes", "outcomes",
        "SELECT count(*) FROM learning_outcomes o JOIN frameworks f ON f.id = o.framework_id WHERE f.code LIKE %(frameworks_like)s",
        """
        WITH numbered AS (
            SELECT f.id, row_number() OVER (ORDER BY f.code) - 1 AS k, count(*) OVER () AS total
            FROM frameworks f WHERE f.code LIKE %(frameworks_like)s
        ), places AS (
            SELECT fw.id AS framework_id, j, j %% 11 + 1 AS grade, (j / 11) %% %(subsections_per_framework)s AS place,
                   j / (11 * %(subsections_per_framework)s) + 1 AS n
            FROM numbered fw
            CROSS JOIN LATERAL generate_series(
                0, %(outcomes)s / fw.total + (CASE WHEN fw.k < %(outcomes)s %% fw.total THEN 1 ELSE 0 END) - 1
            ) j
        )
        INSERT INTO learning_outcomes (framework_id, subsection_id, grade, code, title_ru, title_kz, description_ru,
                                       description_kz, cognitive_level, display_order, is_sample, is_active,
                                       created_at, updated_at)
        SELECT p.framework_id, ss.id, p.grade, p.grade || '.' || ss.code || '.' || p.n,
               'Цель обучения ' || p.grade || '.' || ss.code || '.' || p.n, '', '', '', '', p.j, true, true, now(), now()
        FROM places p
        JOIN goso_sections s ON s.framework_id = p.framework_id
                            AND s.code = (p.place / %(subsections_per_section)s + 1)::text
        JOIN goso_subsections ss ON ss.section_id = s.id
                                AND ss.code = s.code || '.' || (p.place %% %(subsections_per_section)s + 1)
        ON CONFLICT (framework_id, code) DO NOTHING
        """,
    ),
    Stage(
        # Global textbook t: subject t % frameworks, grade t % 11; ISBN scale-0000t is its key.
        "global textbooks", "textbooks",
        "SELECT count(*) FROM textbooks WHERE school_id IS NULL AND isbn LIKE %(textbooks_like)s",
        f"""
        INSERT INTO textbooks (school_id, subject_id, title, grade_level, language, author, publisher, year, isbn,
                               version, is_customized, is_active, created_at, updated_at)
        SELECT NULL, s.id, 'Учебник (нагрузка) ' || t, (t - 1) %% 11 + 1, CASE WHEN t %% 2 = 0 THEN 'kk' ELSE 'ru' END,
               'Автор ' || t, 'Издательство', 2024, 'scale-' || {_pad('t')}, 1, false, true, now(), now()
        FROM generate_series(1, %(textbooks)s) t
        JOIN subjects s ON s.code = 'scale_' || lpad(((t - 1) %% %(frameworks)s + 1)::text, 3, '0')
        WHERE NOT EXISTS (SELECT 1 FROM textbooks x WHERE x.school_id IS NULL AND x.isbn = 'scale-' || {_pad('t')})
        """,
    ),
    Stage(
        "global chapters", "global_chapters",
        """SELECT count(*) FROM chapters c JOIN textbooks t ON t.id = c.textbook_id
           WHERE t.school_id IS NULL AND t.isbn LIKE %(textbooks_like)s""",
        """
        INSERT INTO chapters (textbook_id, number, title, description, sort_order)
        SELECT t.id, n, 'Глава ' || n, '', n
        FROM textbooks t CROSS JOIN generate_series(1, %(chapters_per_textbook)s) n
        WHERE t.school_id IS NULL AND t.isbn LIKE %(textbooks_like)s
        ON CONFLICT (textbook_id, number) DO NOTHING
        """,
    ),
    Stage(
        # Paragraph p of a textbook goes to chapter (p - 1) % chapters + 1; its number p is unique
        # in the textbook, hence in its chapter.
        "global paragraphs", "global_paragraphs",
        """SELECT count(*) FROM paragraphs p JOIN chapters c ON c.id = p.chapter_id JOIN textbooks t ON t.id = c.textbook_id
           WHERE t.school_id IS NULL AND t.isbn LIKE %(textbooks_like)s""",
        """
        INSERT INTO paragraphs (chapter_id, number, sort_order, title, content, summary, learning_objective,
                                lesson_objective, key_terms, questions)
        SELECT c.id, p, p, '§' || p || '. Тема ' || p,
               'Текст параграфа ' || p || ' учебника ' || t.id || '.', '', '', '',
               '["термин"]'::jsonb, '[{"text": "Вопрос?"}]'::jsonb
        FROM textbooks t
        CROSS JOIN generate_series(1, %(paragraphs_per_textbook)s) p
        JOIN chapters c ON c.textbook_id = t.id AND c.number = (p - 1) %% %(chapters_per_textbook)s + 1
        WHERE t.school_id IS NULL AND t.isbn LIKE %(textbooks_like)s
        ON CONFLICT (chapter_id, number) DO NOTHING
        """,
    ),
    Stage(
        # Fork f: school f % schools + 1 forks global textbook (f / schools + f % schools) % textbooks + 1,
        # so a school never forks the same textbook twice (forks <= schools x textbooks).
        "school forks", "forks",
        "SELECT count(*) FROM textbooks WHERE school_id IS NOT NULL AND isbn LIKE %(textbooks_like)s",
        f"""
        INSERT INTO textbooks (school_id, subject_id, title, grade_level, language, author, publisher, year, isbn,
                               version, global_textbook_id, source_version, is_customized, is_active,
                               created_at, updated_at)
        SELECT s.id, g.subject_id, g.title, g.grade_level, g.language, g.author, g.publisher, g.year, g.isbn,
               1, g.id, g.version, false, true, now(), now()
        FROM generate_series(0, %(forks)s - 1) f
        JOIN schools s ON s.code = 'scale-' || {_pad('f %% %(schools)s + 1')}
        JOIN textbooks g ON g.school_id IS NULL
                        AND g.isbn = 'scale-' || {_pad('(f / %(schools)s + f %% %(schools)s) %% %(textbooks)s + 1')}
        ON CONFLICT (school_id, global_textbook_id) WHERE global_textbook_id IS NOT NULL DO NOTHING
        """,
    ),
    Stage(
        "fork chapters", "fork_chapters",
        """SELECT count(*) FROM chapters c JOIN textbooks t ON t.id = c.textbook_id
           WHERE t.school_id IS NOT NULL AND t.isbn LIKE %(textbooks_like)s""",
        """
        INSERT INTO chapters (textbook_id, school_id, number, title, description, sort_order)
        SELECT fork.id, fork.school_id, c.number, c.title, c.description, c.sort_order
        FROM textbooks fork JOIN chapters c ON c.textbook_id = fork.global_textbook_id
        WHERE fork.school_id IS NOT NULL AND fork.isbn LIKE %(textbooks_like)s
        ORDER BY fork.school_id, fork.id, c.number
        ON CONFLICT (textbook_id, number) DO NOTHING
        """,
        bulk_table="chapters",
    ),
    Stage(
        "fork paragraphs", "fork_paragraphs",
        """SELECT count(*) FROM paragraphs p JOIN chapters c ON c.id = p.chapter_id JOIN textbooks t ON t.id = c.textbook_id
           WHERE t.school_id IS NOT NULL AND t.isbn LIKE %(textbooks_like)s""",
        """
        INSERT INTO paragraphs (chapter_id, school_id, number, sort_order, title, content, summary, learning_objective,
                                lesson_objective, key_terms, questions)
        SELECT new_chapter.id, fork.school_id, p.number, p.sort_order, p.title, p.content, p.summary,
               p.learning_objective, p.lesson_objective, p.key_terms, p.questions
        FROM textbooks fork
        JOIN chapters new_chapter ON new_chapter.textbook_id = fork.id
        JOIN chapters old_chapter ON old_chapter.textbook_id = fork.global_textbook_id AND old_chapter.number = new_chapter.number
        JOIN paragraphs p ON p.chapter_id = old_chapter.id
        WHERE fork.school_id IS NOT NULL AND fork.isbn LIKE %(textbooks_like)s
        ORDER BY fork.school_id, new_chapter.id, p.number  -- a school's rows together on disk
        ON CONFLICT (chapter_id, number) DO NOTHING
        """,
        bulk_table="paragraphs",
    ),
    Stage(
        # Spread the alignments evenly over every generated paragraph (global and forks, in id order):
        # paragraph r gets floor((r+1)T/P) - floor(rT/P) of them, to outcomes of its textbook's subject
        # and grade, taken in turn from position r.
        "alignments", "alignments",
        """SELECT count(*) FROM paragraph_outcomes WHERE outcome_id IN (
               SELECT o.id FROM learning_outcomes o JOIN frameworks f ON f.id = o.framework_id
               WHERE f.code LIKE %(frameworks_like)s)""",
        """
        WITH outcome AS (
            SELECT o.id, f.subject_id, o.grade,
                   row_number() OVER (PARTITION BY f.subject_id, o.grade ORDER BY o.id) - 1 AS position
            FROM learning_outcomes o JOIN frameworks f ON f.id = o.framework_id
            WHERE f.code LIKE %(frameworks_like)s
        ), available AS (
            SELECT subject_id, grade, count(*) AS outcomes FROM outcome GROUP BY subject_id, grade
        ), paragraph AS (
            SELECT p.id, p.school_id, t.subject_id, t.grade_level, row_number() OVER (ORDER BY p.id) - 1 AS r,
                   count(*) OVER () AS total
            FROM paragraphs p JOIN chapters c ON c.id = p.chapter_id JOIN textbooks t ON t.id = c.textbook_id
            WHERE t.isbn LIKE %(textbooks_like)s
        ), wanted AS MATERIALIZED (  -- so that outcomes are joined on (subject, grade, position) by hash
            SELECT p.id AS paragraph_id, p.school_id, p.subject_id, p.grade_level, (p.r + k) %% a.outcomes AS position, p.r
            FROM paragraph p
            JOIN available a ON a.subject_id = p.subject_id AND a.grade = p.grade_level
            CROSS JOIN LATERAL generate_series(
                0, (p.r + 1) * %(alignments)s / p.total - p.r * %(alignments)s / p.total - 1
            ) k
        )
        INSERT INTO paragraph_outcomes (paragraph_id, school_id, outcome_id, confidence, anchor, notes, created_at)
        SELECT w.paragraph_id, w.school_id, o.id, 0.50 + (w.r %% 51) / 100.0, '', '', now()
        FROM wanted w
        JOIN outcome o ON o.subject_id = w.subject_id AND o.grade = w.grade_level AND o.position = w.position
        ORDER BY w.school_id NULLS FIRST, w.paragraph_id, o.id  -- a school's rows together on disk
        ON CONFLICT (paragraph_id, outcome_id) DO NOTHING
        """,
        bulk_table="paragraph_outcomes",
    ),
]

ANALYZED_TABLES = [
    "schools", "school_domains", "users", "subjects", "frameworks", "goso_sections", "goso_subsections",
    "learning_outcomes", "textbooks", "chapters", "paragraphs", "paragraph_outcomes",
]


def _parameters(sizes: Sizes) -> dict:
    chapters_per_textbook = min(CHAPTERS_PER_TEXTBOOK, sizes.paragraphs_per_textbook)
    return {
        **asdict(sizes),
        "sections": sizes.frameworks * SECTIONS_PER_FRAMEWORK,
        "subsections": sizes.frameworks * SECTIONS_PER_FRAMEWORK * SUBSECTIONS_PER_SECTION,
        "subsections_per_framework": SECTIONS_PER_FRAMEWORK * SUBSECTIONS_PER_SECTION,
        "sections_per_framework": SECTIONS_PER_FRAMEWORK,
        "subsections_per_section": SUBSECTIONS_PER_SECTION,
        "chapters_per_textbook": chapters_per_textbook,
        "global_chapters": sizes.textbooks * chapters_per_textbook,
        "global_paragraphs": sizes.textbooks * sizes.paragraphs_per_textbook,
        "fork_chapters": sizes.forks * chapters_per_textbook,
        "fork_paragraphs": sizes.forks * sizes.paragraphs_per_textbook,
        "unusable_password": make_password(None),
        "schools_like": SCHOOLS,
        "subjects_like": SUBJECTS,
        "frameworks_like": FRAMEWORKS,
        "textbooks_like": TEXTBOOKS,
    }


MARKERS = "scale_data.stages"
SCHOOL_CONTENT_TABLES = ("textbooks", "chapters", "paragraphs", "paragraph_outcomes")
# Tests only: kill the process (SIGKILL) inside the named stage's transaction, after its INSERT and
# before its commit, to prove that an interrupted run leaves no half stage and resumes.
CRASH_IN_STAGE = "SCALE_DATA_CRASH_IN_STAGE"


class ScaleDataRefused(ValueError):
    """The database holds scale data this run must not add to (other sizes)."""


def _count(sql: str, parameters: dict) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchone()[0]


def _owner():
    return connections["owner"]


def _markers_create() -> None:
    """The record of finished stages: the owner's, out of the runtime role's reach (no USAGE on the schema)."""
    with _owner().cursor() as cursor:
        cursor.execute("CREATE SCHEMA IF NOT EXISTS scale_data")
        cursor.execute(f"""CREATE TABLE IF NOT EXISTS {MARKERS} (
            stage text PRIMARY KEY, sizes jsonb NOT NULL, inserted bigint NOT NULL, seconds numeric,
            finished_at timestamptz NOT NULL DEFAULT now())""")


def _markers_read() -> dict[str, dict]:
    with _owner().cursor() as cursor:
        cursor.execute(f"SELECT stage, sizes FROM {MARKERS}")
        return dict(cursor.fetchall())


def _marker_write(stage: Stage, sizes: Sizes, inserted: int, seconds: float | None) -> None:
    with _owner().cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MARKERS} (stage, sizes, inserted, seconds) VALUES (%s, %s, %s, %s)",
            [stage.name, json.dumps(asdict(sizes)), inserted, seconds],
        )


def _refuse_other_sizes(sizes: Sizes, parameters: dict, markers: dict) -> None:
    """Scale data of other sizes is never topped up (the distribution of alignments depends on every
    size): refuse, and say what the database holds. Data of the same sizes without markers (made by an
    earlier version of this module) is adopted when every stage's count is exactly its target."""
    wanted = asdict(sizes)
    recorded = [json.loads(value) if isinstance(value, str) else value for value in markers.values()]
    if recorded and any(value != wanted for value in recorded):
        raise ScaleDataRefused(
            f"this database holds scale data of other sizes ({_sizes_text(recorded[0])}); generate "
            "into a fresh database (for ./dev bench: drop the benchmark database)"
        )
    if recorded:
        return
    with super_admin_context():
        counts = {stage.name: _count(stage.count_sql, parameters) for stage in STAGES}
    if not any(counts.values()):
        return
    if all(counts[stage.name] == parameters[stage.target] for stage in STAGES):
        with transaction.atomic(using="owner"):
            for stage in STAGES:
                _marker_write(stage, sizes, counts[stage.name], None)
        return
    raise ScaleDataRefused(
        "this database holds scale data of other sizes or from an interrupted run of an earlier version ("
        + ", ".join(f"{name} {count:,}" for name, count in counts.items())
        + "); generate into a fresh database (for ./dev bench: drop the benchmark database)"
    )


def _sizes_text(values: dict) -> str:
    return ", ".join(f"{name} {value:,}" for name, value in values.items())


def _run_as_runtime(stage: Stage, parameters: dict) -> int:
    with super_admin_context(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fail inside the stage, not at commit
        cursor.execute(stage.insert_sql, parameters)
        inserted = cursor.rowcount
        _check_stage(stage, parameters, using="default")
        _crash_if_asked(stage)
        return inserted


def _run_as_owner(stage: Stage, parameters: dict) -> int:
    """The stage's INSERT without per-row costs, inside the owner's transaction (see the docstring)."""
    table = stage.bulk_table
    with _owner().cursor() as cursor:
        cursor.execute(
            """SELECT conname, pg_get_constraintdef(oid), confrelid::regclass::text FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype = 'f'""",
            [table],
        )
        foreign_keys = cursor.fetchall()
        # Per row, the copy of school_id (it is in the SELECT); per statement, marking the copies customised
        # (they are fresh copies, as textbooks.services.textbook_fork makes them under app.fork_sync) and
        # raising the version of the global textbooks given alignments (0009): the generated alignments are
        # part of the version the copies copied (their source_version).
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = ANY (%s) ORDER BY tgname",
            [table, [f"{table}_copy_school", f"{table}_insert_marks_customized", f"{table}_insert_raises_version"]],
        )
        triggers = [name for (name,) in cursor.fetchall()]
        cursor.execute("SET LOCAL work_mem = '256MB'")  # the ORDER BY that keeps a school's rows together
        # Every school-content table: the stage reads them, and re-adding a foreign key validates it
        # with the owner's eyes (reference tables and accounts are readable by everyone anyway).
        unforced = SCHOOL_CONTENT_TABLES
        for name in unforced:
            cursor.execute(f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY")
        for name in triggers:
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"')
        # Indexes that back no constraint are built again after the INSERT (one sort each instead of a
        # million random insertions); the primary key and unique constraints stay (ON CONFLICT needs them).
        cursor.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
               WHERE i.indrelid = %s::regclass AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition, _referenced in foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute(stage.insert_sql, parameters)
        inserted = cursor.rowcount
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition, _referenced in foreign_keys:  # validated here, set-based, before the commit
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        _check_stage(stage, parameters, using="owner")  # while the owner still sees the rows
        for name in triggers:
            cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{name}"')
        for name in unforced:
            cursor.execute(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY")
        _crash_if_asked(stage)
        return inserted


def _check_stage(stage: Stage, parameters: dict, *, using: str) -> None:
    """Before the stage is recorded as done: it made what it should have (inside its transaction)."""
    with connections[using].cursor() as cursor:
        cursor.execute(stage.count_sql, parameters)
        have = cursor.fetchone()[0]
    if have < parameters[stage.target]:
        raise RuntimeError(f"stage {stage.name}: {have:,} rows after its INSERT, {parameters[stage.target]:,} wanted")


def _crash_if_asked(stage: Stage) -> None:
    if os.environ.get(CRASH_IN_STAGE) == stage.name:
        os.kill(os.getpid(), signal.SIGKILL)


def _backend_cpu_seconds(using: str) -> float | None:
    """CPU seconds the connection's PostgreSQL backend has used (/proc, when the server runs on this
    machine): a figure of the work itself, whatever else loads the machine."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scale_data_generate(*, sizes: Sizes, log=print) -> dict:
    """Create whatever scale data is missing for `sizes`, stage by stage, each stage one transaction
    that records it as done. Returns {stage name: (rows inserted, seconds, PostgreSQL CPU seconds or None)}
    of the stages this call ran.
    Raises ValueError on impossible sizes, ScaleDataRefused on a database holding other sizes."""
    if problems := sizes.errors():
        raise ValueError("; ".join(problems))
    parameters = _parameters(sizes)
    with _owner().cursor() as cursor:
        # The owner's commits (each stage's last, its ANALYZEs) wait for their WAL, even where
        # synchronous_commit is off (a development cluster): VACUUM sets a tuple's hint bits, and so
        # marks its page all-visible, only once the commits of its transaction's clog group are on
        # disk; right after asynchronous commits it would leave the fresh pages not all-visible, and
        # autovacuum would not come back to them (VACUUM reset its count of inserted rows).
        cursor.execute("SET synchronous_commit = on")
    try:
        return _generate(sizes=sizes, parameters=parameters, log=log)
    finally:
        with _owner().cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _generate(*, sizes: Sizes, parameters: dict, log) -> dict:
    _markers_create()
    markers = _markers_read()
    _refuse_other_sizes(sizes, parameters, markers)
    markers = _markers_read()
    report, started = {}, time.perf_counter()
    for number, stage in enumerate(STAGES, start=1):
        if stage.name in markers:
            continue
        log(f"[{number}/{len(STAGES)}] {stage.name} ...")
        backend = "owner" if stage.bulk_table else "default"
        cpu_before = _backend_cpu_seconds(backend)
        stage_started = time.perf_counter()
        try:
            # The owner's transaction (the marker, and a bulk stage's rows) commits last: a crash between
            # the two commits leaves a stage done but unrecorded, and its INSERT is idempotent.
            with transaction.atomic(using="owner"), transaction.atomic():
                inserted = (_run_as_owner if stage.bulk_table else _run_as_runtime)(stage, parameters)
                seconds = round(time.perf_counter() - stage_started, 1)
                _marker_write(stage, sizes, inserted, seconds)
        except KeyboardInterrupt:
            log(f"[{number}/{len(STAGES)}] {stage.name}: interrupted, rolled back (nothing of it was kept); "
                "run again with the same sizes to resume here")
            raise
        cpu_after = _backend_cpu_seconds(backend)
        _analyze()  # the next stages' plans depend on the sizes this one made
        cpu = None if None in (cpu_before, cpu_after) else round(cpu_after - cpu_before, 1)
        report[stage.name] = (inserted, seconds, cpu)
        log(f"[{number}/{len(STAGES)}] {stage.name}: {inserted:,} rows in {seconds} s"
            + ("" if cpu is None else f" (PostgreSQL CPU {cpu} s)"))
    if report:
        vacuum_started = time.perf_counter()
        unset = _vacuum()
        log(f"vacuum (index-only scans need the visibility map): {round(time.perf_counter() - vacuum_started, 1)} s")
        if unset:
            log(f"warning: pages of {', '.join(unset)} are not all-visible (a transaction older than the load was "
                "open): index-only scans read the table until VACUUM runs again")
    log(f"total: {round(time.perf_counter() - started, 1)} s" if report else "nothing to do: the scale data is complete")
    return report


def _analyze():
    """Fresh planner statistics after a bulk load (only the tables' owner may ANALYZE them)."""
    with _owner().cursor() as cursor:
        for table in ANALYZED_TABLES:
            cursor.execute(f'ANALYZE "{table}"')


def _vacuum() -> list[str]:
    """Set the visibility map after the bulk load (autovacuum would, later): a count or a page of ids
    is then an index-only scan. Outside any transaction, as VACUUM requires. Returns the tables left
    with pages not all-visible (a transaction older than the load still open)."""
    with _owner().cursor() as cursor:
        for table in SCHOOL_CONTENT_TABLES:
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')
        cursor.execute(
            "SELECT relname FROM pg_class WHERE oid = ANY (%s::regclass[]) AND relallvisible < relpages",
            [list(SCHOOL_CONTENT_TABLES)],
        )
        return [name for (name,) in cursor.fetchall()]


def scale_school_codes(*, limit: int | None = None) -> list[str]:
    """Codes of generated schools, in order (scale-00001, ...)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code FROM schools WHERE code LIKE %s ORDER BY code" + (" LIMIT %s" if limit else ""),
            [SCHOOLS, limit] if limit else [SCHOOLS],
        )
        return [code for (code,) in cursor.fetchall()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale_data",
        description=(
            "Generate synthetic national-scale data for benchmarks and load tests (schools scale-00001... with an "
            "administrator and a teacher each, GOSO frameworks, global textbooks, school copies, alignments). "
            "Set-based, one transaction per stage; an interrupted run resumes at the first unfinished stage; a "
            "database holding other sizes is refused. Progress on stderr."
        ),
    )
    parser.add_argument("--scale", choices=sorted(PRESETS), default="national",
                        help="Preset sizes (default: national); the options below override them.")
    for field in fields(Sizes):
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=int, dest=field.name,
                            help=f"default {field.default:,} (national), {getattr(PRESETS['small'], field.name):,} (small)")
    parser.add_argument("--subset-of-schools", type=int, metavar="N",
                        help="the same global content and school sizes with N schools (forks and alignments scaled)")
    options = vars(parser.parse_args(argv))
    scale, subset = options.pop("scale"), options.pop("subset_of_schools")
    sizes = replace(PRESETS[scale], **{name: value for name, value in options.items() if value is not None})
    try:
        if subset is not None:
            sizes = subset_of_schools(sizes, subset)
        print(f"Sizes: {', '.join(f'{name}={value:,}' for name, value in vars(sizes).items())}", flush=True)
        started = time.perf_counter()
        report = scale_data_generate(sizes=sizes, log=lambda line: print(f"  {line}", file=sys.stderr, flush=True))
    except ValueError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted: the stages finished so far are kept; run again with the same sizes to resume.", file=sys.stderr)
        return 130
    rows = sum(inserted for inserted, _seconds, _cpu in report.values())
    print(f"Generated {rows:,} rows in {round(time.perf_counter() - started, 1)} s" if report
          else "nothing to do: the scale data is complete", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    sys.exit(main())

"""Synthetic national-scale data for benchmarks and load tests: `python -m bench.scale_data [--scale small]`
(`./dev bench` runs it through bench/scale.py). Benchmark data, so it lives beside the product, not in it.

Set-based: each stage is one INSERT ... SELECT over generate_series, run as the runtime role in the
super-admin context (COPY is refused under row-level security). Every generated row carries a `scale`
prefix in a natural key (school and subject codes, framework codes, the ISBN of textbooks), and every
stage inserts only the rows that are missing, so a second run with the same sizes does nothing and an
interrupted run resumes. Each stage is one transaction: a stage that fails leaves nothing behind.

The data is consistent with the database's own rules: outcome codes are grade.section.subsection.n of
their subsection, school_id on chapters, paragraphs and alignments is filled in by the triggers, and
forks keep global_textbook_id and source_version like textbooks.services.textbook_fork.
"""

import argparse
import os
import sys
import time
from dataclasses import asdict, dataclass, fields, replace

from django.contrib.auth.hashers import make_password
from django.db import connection, connections

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
    schools: int = 1_000
    frameworks: int = 30
    outcomes: int = 20_000
    textbooks: int = 500
    paragraphs_per_textbook: int = 50
    forks: int = 20_000
    alignments: int = 1_000_000

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


def _pad(expression: str) -> str:
    return f"lpad(({expression})::text, 5, '0')"


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
    Stage(
        # One administrator per school (scale-admin-00001), without a usable password: load
        # generators give them API tokens.
        "school administrators", "schools",
        "SELECT count(*) FROM users u JOIN schools s ON s.id = u.school_id WHERE s.code LIKE %(schools_like)s",
        """
        INSERT INTO users (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                           date_joined, role, school_id)
        SELECT %(unusable_password)s, false, 'scale-admin-' || substring(s.code FROM 7), '', '', '', true, true,
               now(), 'school_admin', s.id
        FROM schools s WHERE s.code LIKE %(schools_like)s
        ON CONFLICT (username) DO NOTHING
        """,
    ),
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
        INSERT INTO chapters (textbook_id, number, title, description, sort_order)
        SELECT fork.id, c.number, c.title, c.description, c.sort_order
        FROM textbooks fork JOIN chapters c ON c.textbook_id = fork.global_textbook_id
        WHERE fork.school_id IS NOT NULL AND fork.isbn LIKE %(textbooks_like)s
        ON CONFLICT (textbook_id, number) DO NOTHING
        """,
    ),
    Stage(
        "fork paragraphs", "fork_paragraphs",
        """SELECT count(*) FROM paragraphs p JOIN chapters c ON c.id = p.chapter_id JOIN textbooks t ON t.id = c.textbook_id
           WHERE t.school_id IS NOT NULL AND t.isbn LIKE %(textbooks_like)s""",
        """
        INSERT INTO paragraphs (chapter_id, number, sort_order, title, content, summary, learning_objective,
                                lesson_objective, key_terms, questions)
        SELECT new_chapter.id, p.number, p.sort_order, p.title, p.content, p.summary, p.learning_objective,
               p.lesson_objective, p.key_terms, p.questions
        FROM textbooks fork
        JOIN chapters new_chapter ON new_chapter.textbook_id = fork.id
        JOIN chapters old_chapter ON old_chapter.textbook_id = fork.global_textbook_id AND old_chapter.number = new_chapter.number
        JOIN paragraphs p ON p.chapter_id = old_chapter.id
        WHERE fork.school_id IS NOT NULL AND fork.isbn LIKE %(textbooks_like)s
        ON CONFLICT (chapter_id, number) DO NOTHING
        """,
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
            SELECT p.id, t.subject_id, t.grade_level, row_number() OVER (ORDER BY p.id) - 1 AS r,
                   count(*) OVER () AS total
            FROM paragraphs p JOIN chapters c ON c.id = p.chapter_id JOIN textbooks t ON t.id = c.textbook_id
            WHERE t.isbn LIKE %(textbooks_like)s
        ), wanted AS MATERIALIZED (  -- so that outcomes are joined on (subject, grade, position) by hash
            SELECT p.id AS paragraph_id, p.subject_id, p.grade_level, (p.r + k) %% a.outcomes AS position, p.r
            FROM paragraph p
            JOIN available a ON a.subject_id = p.subject_id AND a.grade = p.grade_level
            CROSS JOIN LATERAL generate_series(
                0, (p.r + 1) * %(alignments)s / p.total - p.r * %(alignments)s / p.total - 1
            ) k
        )
        INSERT INTO paragraph_outcomes (paragraph_id, outcome_id, confidence, anchor, notes, created_at)
        SELECT w.paragraph_id, o.id, 0.50 + (w.r %% 51) / 100.0, '', '', now()
        FROM wanted w
        JOIN outcome o ON o.subject_id = w.subject_id AND o.grade = w.grade_level AND o.position = w.position
        ON CONFLICT (paragraph_id, outcome_id) DO NOTHING
        """,
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


def _count(sql: str, parameters: dict) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchone()[0]


def scale_data_generate(*, sizes: Sizes, log=print) -> dict:
    """Create whatever scale data is missing for `sizes`. Returns {stage name: (rows inserted, seconds)}."""
    if problems := sizes.errors():
        raise ValueError("; ".join(problems))
    parameters = _parameters(sizes)
    report, started = {}, time.perf_counter()
    for stage in STAGES:
        stage_started = time.perf_counter()
        with super_admin_context():
            have = _count(stage.count_sql, parameters)
            if have >= parameters[stage.target]:
                continue
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fail inside the stage, not at commit
                cursor.execute(stage.insert_sql, parameters)
                inserted = cursor.rowcount
        _analyze()  # the next stages' plans depend on the sizes this one made
        report[stage.name] = (inserted, round(time.perf_counter() - stage_started, 1))
        log(f"{stage.name}: {inserted:,} rows in {report[stage.name][1]} s")
    log(f"total: {round(time.perf_counter() - started, 1)} s" if report else "nothing to do: the scale data is complete")
    return report


def _analyze():
    """Fresh planner statistics after a bulk load (only the tables' owner may ANALYZE them)."""
    with connections["owner"].cursor() as cursor:
        for table in ANALYZED_TABLES:
            cursor.execute(f'ANALYZE "{table}"')


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
            "Generate synthetic national-scale data for benchmarks and load tests (schools scale-00001..., their "
            "administrators, GOSO frameworks, global textbooks, school forks, alignments). Set-based and "
            "repeatable: only missing rows are inserted, so a second run with the same sizes does nothing."
        ),
    )
    parser.add_argument("--scale", choices=sorted(PRESETS), default="national",
                        help="Preset sizes (default: national); the options below override them.")
    for field in fields(Sizes):
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=int, dest=field.name,
                            help=f"default {field.default:,} (national), {getattr(PRESETS['small'], field.name):,} (small)")
    options = vars(parser.parse_args(argv))
    scale = options.pop("scale")
    sizes = replace(PRESETS[scale], **{name: value for name, value in options.items() if value is not None})
    print(f"Sizes: {', '.join(f'{name}={value:,}' for name, value in vars(sizes).items())}", flush=True)
    try:
        scale_data_generate(sizes=sizes, log=lambda line: print(f"  {line}", flush=True))
    except ValueError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    sys.exit(main())

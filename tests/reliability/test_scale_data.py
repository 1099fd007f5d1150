"""bench/scale_data.py: the sizes asked for, consistent rows, a second run that does nothing, an interrupted
run that keeps no half stage and resumes, and other sizes refused."""

import signal
import subprocess
import sys

import psycopg
import pytest

from bench.scale_data import CRASH_IN_STAGE, PRESETS
from tests.reliability.conftest import OWNER, ROOT, RUNTIME, SCALE_COUNTS, SUPER_ADMIN, super_admin_cursor

pytestmark = pytest.mark.reliability

SMALL = PRESETS["small"]


def test_small_preset_has_the_sizes_asked_for_and_consistent_rows(scratch_cluster):
    # Counted right after generation, before the load tests wrote alignments.
    assert scratch_cluster.generated == (
        SMALL.schools, SMALL.frameworks, SMALL.outcomes, SMALL.textbooks, SMALL.forks, SMALL.alignments,
    )
    with super_admin_cursor(scratch_cluster) as cursor:
        # Every fork copies its global textbook's paragraphs; every alignment is its paragraph's school's,
        # to an outcome of the paragraph's subject and grade.
        cursor.execute("""
            SELECT count(*) FROM textbooks fork JOIN chapters c ON c.textbook_id = fork.id
            JOIN paragraphs p ON p.chapter_id = c.id WHERE fork.global_textbook_id IS NOT NULL
        """)
        assert cursor.fetchone()[0] == SMALL.forks * SMALL.paragraphs_per_textbook
        cursor.execute("""
            SELECT count(*) FROM paragraph_outcomes po
            JOIN paragraphs p ON p.id = po.paragraph_id JOIN chapters c ON c.id = p.chapter_id
            JOIN textbooks t ON t.id = c.textbook_id JOIN learning_outcomes o ON o.id = po.outcome_id
            JOIN frameworks f ON f.id = o.framework_id
            WHERE po.school_id IS DISTINCT FROM t.school_id OR f.subject_id <> t.subject_id OR o.grade <> t.grade_level
        """)
        assert cursor.fetchone()[0] == 0


def test_a_second_run_with_the_same_sizes_does_nothing(scratch_cluster):
    output = scratch_cluster.python("-m", "bench.scale_data", "--scale", "small").stdout
    assert "nothing to do" in output, output


def test_impossible_sizes_are_refused_with_a_clear_message(scratch_cluster):
    with pytest.raises(subprocess.CalledProcessError) as refused:
        scratch_cluster.python("-m", "bench.scale_data", "--scale", "small", "--forks", "100000")
    assert "forks (100000) cannot exceed schools x textbooks (600)" in refused.value.stderr


# Interrupted runs: a database of their own in the scratch cluster (generated from nothing).

RESUME_DATABASE = "goso_scale_resume"
BULK_TABLES = ("chapters", "paragraphs", "paragraph_outcomes")


@pytest.fixture(scope="module")
def empty_database(scratch_cluster):
    """The environment of a second database in the scratch cluster: migrated, no scale data."""
    env = scratch_cluster.app_env(
        DATABASE_URL=scratch_cluster.url(RUNTIME, database=RESUME_DATABASE),
        DATABASE_OWNER_URL=scratch_cluster.url(OWNER, database=RESUME_DATABASE),
    )
    for command in (["-m", "tenants.database_roles", "create-database", env["DATABASE_OWNER_URL"]],
                    ["manage.py", "migrate", "--no-input", "-v", "0"]):
        subprocess.run([sys.executable, *command], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=600)
    return env


def generate(env, *arguments, crash_in=None):
    env = {**env, **({CRASH_IN_STAGE: crash_in} if crash_in else {})}
    return subprocess.run([sys.executable, "-m", "bench.scale_data", "--scale", "small", *arguments],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def read(env, sql):
    """As the runtime role in the super-admin context (catalogs are readable by every role)."""
    with psycopg.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT set_config('app.is_super_admin', 'true', true), set_config('role', %s, true)", [SUPER_ADMIN])
        cursor.execute(sql)
        return cursor.fetchall()


def table_state(env) -> dict:
    """What the bulk stages switch off inside their transaction: FORCE row-level security, the per-row
    copy trigger, the foreign keys and the indexes. Outside the transaction they must always be there."""
    return {
        table: read(env, f"""
            SELECT c.relforcerowsecurity,
                   (SELECT tgenabled FROM pg_trigger WHERE tgrelid = c.oid AND tgname = '{table}_copy_school'),
                   (SELECT count(*) FROM pg_constraint WHERE conrelid = c.oid AND contype = 'f'),
                   (SELECT array_agg(pg_get_indexdef(indexrelid) ORDER BY indexrelid::regclass::text)
                    FROM pg_index WHERE indrelid = c.oid)
            FROM pg_class c WHERE c.oid = '{table}'::regclass""")[0]
        for table in BULK_TABLES
    }


def test_a_run_killed_inside_a_stage_keeps_nothing_of_it_and_the_next_run_resumes(empty_database):
    env = empty_database
    before = table_state(env)
    assert all(force and trigger == "O" and foreign_keys >= 2 and len(indexes) >= 3
               for force, trigger, foreign_keys, indexes in before.values()), before

    # SIGKILL inside "fork paragraphs" (an owner-run bulk stage), after its INSERT, before its commit.
    killed = generate(env, crash_in="fork paragraphs")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "[15/16] fork paragraphs ..." in killed.stderr and "fork paragraphs:" not in killed.stderr
    assert read(env, "SELECT count(*) FROM chapters WHERE school_id IS NOT NULL") == [(SMALL.forks * 5,)]  # recorded before
    assert read(env, "SELECT count(*) FROM paragraphs WHERE school_id IS NOT NULL") == [(0,)]
    assert read(env, "SELECT count(*) FROM paragraph_outcomes") == [(0,)]
    assert table_state(env) == before  # DDL of the stage rolled back with it: normal tables

    resumed = generate(env)
    assert resumed.returncode == 0, resumed.stderr
    # Only the stages not recorded ran again.
    assert "[14/16] fork chapters" not in resumed.stderr and "[15/16] fork paragraphs: " in resumed.stderr, resumed.stderr
    assert read(env, SCALE_COUNTS) == [(SMALL.schools, SMALL.frameworks, SMALL.outcomes, SMALL.textbooks, SMALL.forks, SMALL.alignments)]
    assert read(env, "SELECT count(*) FROM users WHERE role = 'teacher' AND username LIKE 'scale-teacher-%'") == [(SMALL.schools,)]
    assert table_state(env) == before
    # The final VACUUM marked every page all-visible (index-only scans need it), though this cluster commits
    # asynchronously (synchronous_commit = off), as a development cluster may.
    assert "warning" not in resumed.stderr, resumed.stderr
    assert read(env, """SELECT relname, relpages, relallvisible FROM pg_class
                        WHERE relname IN ('textbooks', 'chapters', 'paragraphs', 'paragraph_outcomes')
                          AND relallvisible < relpages""") == []
    assert "nothing to do" in generate(env).stdout


def test_a_run_with_other_sizes_is_refused_and_changes_nothing(empty_database):
    env = empty_database
    assert generate(env).returncode == 0  # complete (after the test above, or from nothing)
    counts = read(env, SCALE_COUNTS)
    refused = generate(env, "--alignments", str(SMALL.alignments + 1))
    assert refused.returncode == 1
    assert "this database holds scale data of other sizes" in refused.stderr and "fresh database" in refused.stderr
    assert read(env, SCALE_COUNTS) == counts

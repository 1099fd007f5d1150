"""bench/scale_data.py: the sizes asked for, consistent rows, and a second run that does nothing."""

import subprocess

import pytest

from tests.reliability.conftest import super_admin_cursor
from bench.scale_data import PRESETS

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

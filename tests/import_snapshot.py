"""Counts and checksums of every GOSO and textbook table, read in the super-admin context: a failed
import must leave them all exactly as they were."""

import pytest
from django.db import connection
from django.utils import translation

from tenants.context import super_admin_context

TABLES = (
    "subjects", "frameworks", "goso_sections", "goso_subsections", "learning_outcomes",
    "textbooks", "chapters", "paragraphs", "paragraph_outcomes",
)


def database_snapshot() -> dict:
    snapshot = {}
    with super_admin_context(), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t"
            )
            snapshot[table] = cursor.fetchone()
    return snapshot


@pytest.fixture
def in_english():
    """Messages are compared in English (the project's default language is Russian)."""
    with translation.override("en"):
        yield

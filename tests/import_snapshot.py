"""Counts and checksums of every GOSO and textbook table, read in the super-admin context: a failed
import must leave them all exactly as they were."""

import pytest
from django.apps import apps
from django.db import connection
from django.utils import translation

from tenants.context import super_admin_context



def content_models():
    """Every table of the GOSO and textbook apps (a new one is covered without editing this file)."""
    return [
        model for label in ("curriculum", "textbooks")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]


def database_snapshot() -> dict:
    snapshot = {}
    with super_admin_context(), connection.cursor() as cursor:
        for model in content_models():
            table, pk = model._meta.db_table, model._meta.pk.column
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.{pk}), '')) FROM {table} t"
            )
            snapshot[table] = cursor.fetchone()
    return snapshot


@pytest.fixture
def in_english():
    """Messages are compared in English (the project's default language is Russian)."""
    with translation.override("en"):
        yield

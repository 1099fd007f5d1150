"""A row's updated_at (its CASE lastChangeDateTime) moves only when its content changes (0005) — but in a
BEFORE UPDATE trigger a stored generated column is still NULL in NEW, so code_sort always differed and
every UPDATE, even one that changed nothing (a save from the admin, the identifier cascade), moved it.
code_sort is derived from code: it is ignored like the other bookkeeping columns."""

import importlib

from django.db import migrations

PREVIOUS = importlib.import_module("curriculum.migrations.0008_stable_case_identifiers")
IDENTIFIERS = PREVIOUS.IDENTIFIERS.replace(
    PREVIOUS.BOOKKEEPING, PREVIOUS.BOOKKEEPING.replace("ARRAY['updated_at', ", "ARRAY['updated_at', 'code_sort', "))
assert IDENTIFIERS != PREVIOUS.IDENTIFIERS


class Migration(migrations.Migration):

    dependencies = [
        ("curriculum", "0013_framework_changes"),
    ]

    operations = [migrations.RunSQL([IDENTIFIERS], reverse_sql=[PREVIOUS.IDENTIFIERS])]

"""Keep the policies the migrations create equal to POLICY_KINDS (tenants/rls.py), and write the
migrations that do it (`manage.py rls_migration`).

Replaying every migration's EnableRowSecurity and ReplaceRowSecurityPolicies gives, per table, the
policy kind and the exact SQL a freshly migrated database has; `rls_drift()` compares that with what
POLICY_KINDS generates today. `makemigrations --check` and tests/test_schema_drift.py fail on any
difference, naming the table and the policy.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db.migrations.loader import MigrationLoader

from tenants.rls import POLICY_KINDS, EnableRowSecurity, ReplaceRowSecurityPolicies, policies_frozen

FIX = "run `python manage.py rls_migration` to write the migration"


@dataclass
class TableRls:
    table: str
    kind: str
    policies: dict[str, str]
    app_label: str  # the app whose migration last set the policies
    migration: str


@dataclass
class Drift:
    table: str
    kind: str
    app_label: str
    old: dict[str, str] = field(default_factory=dict)  # as the migrations create them
    new: dict[str, str] = field(default_factory=dict)  # as POLICY_KINDS defines them

    def __str__(self):
        changed = sorted(set(self.old) & set(self.new))
        added = sorted(set(self.new) - set(self.old))
        removed = sorted(set(self.old) - set(self.new))
        parts = [f"{label} {', '.join(names)}" for label, names in
                 (("changed", changed), ("added", added), ("removed", removed)) if names]
        return (f"row-level security of table {self.table}: POLICY_KINDS[{self.kind!r}] in tenants/rls.py differs from "
                f"what the migrations create ({'; '.join(parts)}): {FIX}")


def _migrations_in_order(loader: MigrationLoader):
    seen = set()
    for leaf in sorted(loader.graph.leaf_nodes()):
        for key in loader.graph.forwards_plan(leaf):
            if key not in seen:
                seen.add(key)
                yield loader.graph.nodes[key]


def _loader() -> MigrationLoader:
    return MigrationLoader(None, ignore_no_migrations=True)


def rls_tables(*, loader: MigrationLoader | None = None) -> dict[str, TableRls]:
    """Table -> its policies as the migrations, replayed in order, create them."""
    tables: dict[str, TableRls] = {}
    for migration in _migrations_in_order(loader or _loader()):
        for operation in migration.operations:
            if isinstance(operation, EnableRowSecurity):
                tables[operation.table] = TableRls(
                    operation.table, operation.kind, dict(operation.policies or {}), migration.app_label, migration.name
                )
            elif isinstance(operation, ReplaceRowSecurityPolicies):
                current = tables[operation.table]
                for name in operation.old:
                    current.policies.pop(name, None)
                current.policies.update(operation.new)
                current.kind, current.app_label, current.migration = operation.kind, migration.app_label, migration.name
    return tables


def unfrozen_operations(*, loader: MigrationLoader | None = None) -> list[tuple[object, EnableRowSecurity]]:
    """(migration, operation) for every EnableRowSecurity written without its policies."""
    return [
        (migration, operation)
        for migration in _migrations_in_order(loader or _loader())
        for operation in migration.operations
        if isinstance(operation, EnableRowSecurity) and operation.policies is None
    ]


def rls_drift(*, loader: MigrationLoader | None = None) -> list[Drift]:
    """Every table whose policies in POLICY_KINDS differ from what the migrations create."""
    drift = []
    for table in sorted(rls := rls_tables(loader=loader)):
        state = rls[table]
        if state.kind not in POLICY_KINDS:
            drift.append(Drift(table, state.kind, state.app_label, old=state.policies))
            continue
        expected = policies_frozen(table=table, kind=state.kind)
        old = {name: sql for name, sql in state.policies.items() if expected.get(name) != sql}
        new = {name: sql for name, sql in expected.items() if state.policies.get(name) != sql}
        if old or new:
            drift.append(Drift(table, state.kind, state.app_label, old=old, new=new))
    return drift


def rls_problems() -> list[str]:
    """What `makemigrations --check` and the tests report: unfrozen operations and drift."""
    loader = _loader()
    problems = [
        f"{migration.app_label}.{migration.name}: EnableRowSecurity(table={operation.table!r}) carries no policies: "
        "run `python manage.py rls_migration --freeze`"
        for migration, operation in unfrozen_operations(loader=loader)
    ]
    if problems:  # drift is measured on frozen migrations only
        return problems
    return [str(drift) for drift in rls_drift(loader=loader)]


# Writing migrations -------------------------------------------------------------------------------

def _literal(text: str) -> str:
    # Policy SQL quotes identifiers with " and strings with ': a triple-quoted literal keeps it readable.
    if '"""' in text or "\\" in text or text.endswith('"'):
        return repr(text)
    return f'"""{text}"""'


def _render_policies(policies: dict[str, str], indent: str) -> str:
    lines = [f'{indent}    "{name}": {_literal(sql)},' for name, sql in policies.items()]
    return "{\n" + "\n".join(lines) + f"\n{indent}}}"


def operation_render(operation, indent: str = "        ") -> str:
    """Python source of an EnableRowSecurity or ReplaceRowSecurityPolicies, one argument per line."""
    inner = indent + "    "
    lines = [f"{operation.__class__.__name__}(", f'{inner}table="{operation.table}",', f'{inner}kind="{operation.kind}",']
    if isinstance(operation, EnableRowSecurity):
        lines.append(f"{inner}policies={_render_policies(operation.policies, inner)},")
    else:
        lines.append(f"{inner}old={_render_policies(operation.old, inner)},")
        lines.append(f"{inner}new={_render_policies(operation.new, inner)},")
    lines.append(f"{indent})")
    return "\n".join(lines)


MIGRATION_TEMPLATE = '''"""{doc}

Written by `manage.py rls_migration` from tenants/rls.py (POLICY_KINDS); the SQL is frozen here so
that later edits of POLICY_KINDS need a migration of their own.
"""

from django.db import migrations

from tenants.rls import {imports}


class Migration(migrations.Migration):
    dependencies = [{dependencies}]

    operations = [
{operations}
    ]
'''


def migration_write(*, app_label: str, operations: list, doc: str, dry_run: bool = False) -> tuple[Path, str]:
    """Write a migration of `app_label` holding `operations` after the app's latest migration."""
    loader = _loader()
    leaves = [name for app, name in loader.graph.leaf_nodes() if app == app_label]
    if len(leaves) != 1:
        raise ValueError(f"app {app_label!r} must have exactly one latest migration, it has {leaves}")
    leaf = leaves[0]
    number = int(re.match(r"\d+", leaf).group()) + 1
    tables = sorted({operation.table for operation in operations})
    name = f"{number:04d}_rls_{'_'.join(tables) if len(tables) <= 2 else 'policies'}"
    module = loader.migrations_module(app_label)[0]
    directory = Path(__import__(module, fromlist=["__file__"]).__file__).parent
    source = MIGRATION_TEMPLATE.format(
        doc=doc,
        imports=", ".join(sorted({operation.__class__.__name__ for operation in operations})),
        dependencies=f'("{app_label}", "{leaf}")',
        operations="\n".join(f"        {operation_render(operation)}," for operation in operations),
    )
    path = directory / f"{name}.py"
    if not dry_run:
        path.write_text(source, encoding="utf-8")
    return path, source


def migrations_freeze() -> list[Path]:
    """Fill in the policies of every EnableRowSecurity(table=..., kind=...) written without them,
    in place in its migration file, from POLICY_KINDS as it is now."""
    changed = []
    for migration, operation in unfrozen_operations():
        module = __import__(migration.__module__, fromlist=["__file__"])
        path = Path(module.__file__)
        source = path.read_text(encoding="utf-8")
        pattern = re.compile(
            r"^(?P<indent>[ \t]*)EnableRowSecurity\(\s*table\s*=\s*[\"']" + re.escape(operation.table)
            + r"[\"']\s*,\s*kind\s*=\s*[^,)]+,?\s*\)", re.MULTILINE
        )
        match = pattern.search(source)
        if match is None:
            raise ValueError(f"{path}: cannot find EnableRowSecurity(table={operation.table!r}, kind=...) to freeze")
        frozen = EnableRowSecurity(
            table=operation.table, kind=operation.kind, policies=policies_frozen(table=operation.table, kind=operation.kind)
        )
        indent = match.group("indent")
        path.write_text(source[:match.start()] + indent + operation_render(frozen, indent) + source[match.end():],
                        encoding="utf-8")
        changed.append(path)
    return changed

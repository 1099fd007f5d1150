"""The app's PostgreSQL roles and database, created from one place: `./dev` (its local cluster), the reliability
tests (their throwaway cluster) and whoever sets up an external server use this module.

- owner (LOGIN, CREATEDB): owns the database and the tables, runs the migrations (DATABASE_OWNER_URL);
- runtime (LOGIN, NOINHERIT): serves requests (DATABASE_URL); may SET ROLE to the super-admin role without
  inheriting its policies;
- super admin (NOLOGIN, `<runtime>_super_admin`, as DATABASE_SUPER_ADMIN_ROLE defaults in config/settings.py).
None is a superuser or may bypass row-level security.

    python -m tenants.database_roles create --superuser-url postgresql://postgres@HOST:PORT/postgres \\
        --env-file roles.env      # the password from PGPASSWORD or ~/.pgpass, never on the command line
    python -m tenants.database_roles url URL --database NAME    # URL with another database, query kept
    python -m tenants.database_roles create-database URL        # as the URL's role, if missing

Safe to repeat: existing roles get their attributes and new passwords (written to the env file), or the
passwords an existing .env holds (`--keep-passwords-of .env`: a cluster made again keeps .env right).
Runs before Django is set up: no settings, no models.
"""

import argparse
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

DEFAULT_DATABASE = "goso"
DEFAULT_OWNER = "goso_owner"
DEFAULT_RUNTIME = "goso_app"
NOT_PRIVILEGED = "NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOREPLICATION"
OWNER_ATTRIBUTES = f"LOGIN CREATEDB INHERIT {NOT_PRIVILEGED}"
# NOINHERIT: the runtime role may SET ROLE to the super-admin role, but does not get its policies.
RUNTIME_ATTRIBUTES = f"LOGIN NOINHERIT NOCREATEDB {NOT_PRIVILEGED}"
SUPER_ADMIN_ATTRIBUTES = f"NOLOGIN INHERIT NOCREATEDB {NOT_PRIVILEGED}"


def super_admin_role_name(runtime: str) -> str:
    return f"{runtime}_super_admin"


# ---------------------------------------------------------------------------------------------------------------
# Database URLs, changed with a parser: user info, host, query string (?sslmode=require) and fragment are kept.
def database_url_replace(url: str, *, database: str | None = None, user: str | None = None,
                         password: str | None = None) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError("not a database URL (expected postgresql://user:password@host:port/database)")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if user is not None or password is not None:
        old_user, _, old_password = userinfo.partition(":")
        new_user = quote(user, safe="") if user is not None else old_user
        new_password = quote(password, safe="") if password is not None else old_password
        userinfo, at = (f"{new_user}:{new_password}" if new_password else new_user), "@"
    path = "/" + quote(database, safe="") if database is not None else parts.path
    return urlunsplit((parts.scheme, f"{userinfo}{at}{hostport}", path, parts.query, parts.fragment))


# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatabaseRoles:
    owner: str
    runtime: str
    owner_password: str
    runtime_password: str
    database: str

    @property
    def super_admin(self) -> str:
        return super_admin_role_name(self.runtime)

    def urls(self, superuser_url: str) -> dict[str, str]:
        """The app's settings for these roles, on the superuser URL's host, port and query string."""
        return {
            "DATABASE_URL": database_url_replace(
                superuser_url, user=self.runtime, password=self.runtime_password, database=self.database),
            "DATABASE_OWNER_URL": database_url_replace(
                superuser_url, user=self.owner, password=self.owner_password, database=self.database),
        }


def _role_upsert(conn, name: str, attributes: str, password: str | None) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone()
    statement = sql.SQL("ALTER ROLE {} WITH " if exists else "CREATE ROLE {} WITH ").format(sql.Identifier(name))
    statement += sql.SQL(attributes)
    if password is not None:
        statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
    conn.execute(statement)


def database_roles_create(*, superuser_url: str, database: str = DEFAULT_DATABASE, owner: str = DEFAULT_OWNER,
                          runtime: str = DEFAULT_RUNTIME, owner_password: str | None = None,
                          runtime_password: str | None = None) -> DatabaseRoles:
    """Creates (or resets) the three roles and the database owned by the owner role, as a superuser."""
    roles = DatabaseRoles(
        owner=owner, runtime=runtime, database=database,
        owner_password=owner_password or secrets.token_urlsafe(32),
        runtime_password=runtime_password or secrets.token_urlsafe(32),
    )
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        _role_upsert(conn, roles.owner, OWNER_ATTRIBUTES, roles.owner_password)
        _role_upsert(conn, roles.runtime, RUNTIME_ATTRIBUTES, roles.runtime_password)
        _role_upsert(conn, roles.super_admin, SUPER_ADMIN_ATTRIBUTES, None)
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(roles.super_admin), sql.Identifier(roles.runtime)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(owner)))
    return roles


def database_create(*, url: str, maintenance_database: str = "postgres") -> bool:
    """Creates the URL's database as the URL's role (which needs CREATEDB) unless it exists; True if created."""
    database = urlsplit(url).path.lstrip("/")
    if not database:
        raise ValueError("the URL names no database")
    with psycopg.connect(database_url_replace(url, database=maintenance_database), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return True


def env_file_read(path: Path) -> dict[str, str]:
    """KEY=value lines of a .env file (`export` and quotes allowed, comments skipped); {} if there is none."""
    values = {}
    try:
        lines = Path(path).read_text().splitlines()
    except FileNotFoundError:
        return values
    for line in lines:
        key, equals, value = line.strip().removeprefix("export ").partition("=")
        if equals and not key.lstrip().startswith("#"):
            value = value.strip()
            if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[key.strip()] = value
    return values


def passwords_in_urls(urls: list[str], *, roles: tuple[str, ...]) -> dict[str, str]:
    """The passwords these URLs give the named roles: a recreated cluster keeps the ones .env already holds."""
    passwords = {}
    for url in urls:
        parts = urlsplit(url)
        if parts.username and unquote(parts.username) in roles and parts.password:
            passwords[unquote(parts.username)] = unquote(parts.password)
    return passwords


def env_file_write(path: Path, values: dict[str, str]) -> None:
    """KEY=value lines, readable by the file's owner only (they hold passwords)."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.writelines(f"{key}={value}\n" for key, value in values.items())
    temporary.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tenants.database_roles", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create (or reset) the roles and the database, as a superuser")
    create.add_argument("--superuser-url", required=True,
                        help="a superuser's URL; its password from PGPASSWORD or ~/.pgpass, not the command line")
    create.add_argument("--env-file", required=True, type=Path,
                        help="where to write DATABASE_URL and DATABASE_OWNER_URL (mode 600)")
    create.add_argument("--database", default=DEFAULT_DATABASE)
    create.add_argument("--owner", default=DEFAULT_OWNER)
    create.add_argument("--runtime", default=DEFAULT_RUNTIME)
    create.add_argument("--keep-passwords-of", type=Path, metavar="ENV_FILE",
                        help="reuse the roles' passwords found in this file's DATABASE_URL and DATABASE_OWNER_URL")
    url = commands.add_parser("url", help="print the URL with another database (query string kept)")
    url.add_argument("url")
    url.add_argument("--database", required=True)
    create_database = commands.add_parser("create-database", help="create the URL's database unless it exists")
    create_database.add_argument("url")
    arguments = parser.parse_args(argv)

    try:
        if arguments.command == "url":
            print(database_url_replace(arguments.url, database=arguments.database))
        elif arguments.command == "create-database":
            created = database_create(url=arguments.url)
            print(f"Database {urlsplit(arguments.url).path.lstrip('/')} {'created' if created else 'exists'}.")
        else:
            kept = {}
            if arguments.keep_passwords_of:
                settings = env_file_read(arguments.keep_passwords_of)
                kept = passwords_in_urls([settings.get("DATABASE_URL", ""), settings.get("DATABASE_OWNER_URL", "")],
                                         roles=(arguments.owner, arguments.runtime))
            roles = database_roles_create(superuser_url=arguments.superuser_url, database=arguments.database,
                                          owner=arguments.owner, runtime=arguments.runtime,
                                          owner_password=kept.get(arguments.owner),
                                          runtime_password=kept.get(arguments.runtime))
            env_file_write(arguments.env_file, roles.urls(arguments.superuser_url))
            print(f"Roles {roles.owner} (owner), {roles.runtime} (runtime), {roles.super_admin} (super admin) "
                  f"and database {roles.database} ready; their URLs are in {arguments.env_file}.")
    except (ValueError, psycopg.Error) as error:
        # libpq's messages name the host and the role, never the password.
        print(f"Error: {error}".strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

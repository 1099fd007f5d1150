"""`./dev` and the database URL helper it uses: the real code, run on sample input (no database needed)."""

import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tenants.database_roles import database_url_replace, env_file_read, passwords_in_urls

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "dev"


def dev_function(script: str, *arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs `script` in bash with dev's functions loaded (dev returns before its command dispatch when sourced)."""
    return subprocess.run(
        ["/bin/bash", "-c", f'source "{DEV}" && {script}', "dev-test", *arguments],
        capture_output=True, text=True, env=env if env is not None else os.environ.copy(), timeout=60,
    )


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://goso_app:secret@db.example:5432/goso?sslmode=require",
     "postgresql://goso_app:secret@db.example:5432/goso_bench?sslmode=require"),
    ("postgres://u:p%40ss%2Fword@[::1]:6432/goso?sslmode=verify-full&target_session_attrs=read-write#x",
     "postgres://u:p%40ss%2Fword@[::1]:6432/goso_bench?sslmode=verify-full&target_session_attrs=read-write#x"),
    ("postgres://u@localhost/goso", "postgres://u@localhost/goso_bench"),
    ("postgres://u:p@h:5432/goso/?sslmode=require", "postgres://u:p@h:5432/goso_bench?sslmode=require"),
])
def test_bench_url_keeps_query_string(url, expected):
    """dev's bench_database_url: the query string (?sslmode=...) stays and only the database changes; the sed it
    replaces left such a URL unchanged, so the benchmarks loaded a million rows into the main database."""
    assert database_url_replace(url, database="goso_bench") == expected
    result = dev_function('bench_database_url "$1"', url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_url_with_new_credentials_is_quoted():
    url = database_url_replace(
        "postgresql://postgres@127.0.0.1:54330/postgres?sslmode=disable",
        user="goso_app", password="a/b@c:d?e", database="goso",
    )
    assert url == "postgresql://goso_app:a%2Fb%40c%3Ad%3Fe@127.0.0.1:54330/goso?sslmode=disable"


def test_not_a_url_is_refused():
    with pytest.raises(ValueError, match="not a database URL"):
        database_url_replace("goso", database="goso_bench")
    result = subprocess.run([sys.executable, "-m", "tenants.database_roles", "url", "goso", "--database", "x"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert "not a database URL" in result.stderr


def test_env_file_written_once_then_only_appended(tmp_path):
    env_file = tmp_path / ".env"
    first = dev_function('env_file_add "$1" "DATABASE_URL=postgres://a" "SECRET_KEY=first" "DEBUG=true"', str(env_file))
    assert first.returncode == 0, first.stderr
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert re.findall(r"^(\w+)=(.*)$", env_file.read_text(), re.M) == [
        ("DATABASE_URL", "postgres://a"), ("SECRET_KEY", "first"), ("DEBUG", "true"),
    ]
    # The user's edits: another URL (quoted, exported), DEBUG off, a comment, a key of their own.
    edited = '# mine\nexport DATABASE_URL="postgres://b?sslmode=require"\nSECRET_KEY=first\nDEBUG = false\nOWN=1\n'
    env_file.write_text(edited)
    second = dev_function(
        'env_file_add "$1" "DATABASE_URL=postgres://a" "DATABASE_OWNER_URL=postgres://o" "SECRET_KEY=second" '
        '"DEBUG=true"', str(env_file),
    )
    assert second.returncode == 0, second.stderr
    assert env_file.read_text() == edited + "DATABASE_OWNER_URL=postgres://o\n"
    assert "Added DATABASE_OWNER_URL" in second.stdout


def _fake_python(directory: Path, name: str, version: str) -> None:
    """An interpreter that answers the two questions dev asks: its version and whether it is 3.11 or newer."""
    major, minor = (int(part) for part in version.split(".")[:2])
    script = directory / name
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "--version" ]; then echo "Python {version}"; exit 0; fi\n'
        f"exit {0 if (major, minor) >= (3, 11) else 1}\n"
    )
    script.chmod(0o755)


def _bare_path(tmp_path: Path) -> Path:
    """A PATH holding only the tools dev's functions need, so the machine's own Pythons stay out of sight."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("cut", "dirname"):
        (bin_dir / tool).symlink_to(subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip())
    return bin_dir


def test_old_python_is_refused_with_the_reason(tmp_path):
    bin_dir = _bare_path(tmp_path)
    _fake_python(bin_dir, "python3", "3.9.2")
    result = dev_function("find_python", env={"PATH": str(bin_dir)})
    assert result.returncode == 1
    assert "Python 3.11 or newer is needed" in result.stderr
    assert "python3 (3.9.2)" in result.stderr


def test_newer_python_preferred_to_an_old_python3(tmp_path):
    bin_dir = _bare_path(tmp_path)
    _fake_python(bin_dir, "python3", "3.9.2")
    _fake_python(bin_dir, "python3.12", "3.12.1")
    result = dev_function("find_python", env={"PATH": str(bin_dir)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(bin_dir / "python3.12")


def test_ci_fails_when_test_packages_cannot_be_installed():
    """With CI=true a missing browser or pgbouncer stops ./dev test with the reason; locally it is a notice."""
    probe = 'missing_test_packages() { echo chromium; echo pgbouncer; }; apt_install() { return 1; }; ensure_test_packages'
    in_ci = dev_function(probe, env={**os.environ, "CI": "true"})
    assert in_ci.returncode == 1
    assert "CI=true: the tests need chromium pgbouncer, which could not be installed" in in_ci.stderr
    local = dev_function(probe + " && echo carried-on", env={**os.environ, "CI": ""})
    assert local.returncode == 0, local.stderr
    assert "carried-on" in local.stdout


def test_help_is_the_header_comment_and_lists_every_command():
    header = []
    for line in DEV.read_text().splitlines()[1:]:
        if not line.startswith("#"):
            break
        header.append(re.sub(r"^# ?", "", line))
    result = subprocess.run([str(DEV), "help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert result.stdout.splitlines() == header
    commands = re.findall(r"^    (\w+)\) ", DEV.read_text(), re.M)
    assert commands, "dev's command dispatch was not found"
    for command in commands:
        assert f"./dev {command}" in result.stdout, f"./dev {command} is missing from the help text"
    unknown = subprocess.run([str(DEV), "no-such-command"], capture_output=True, text=True, timeout=30)
    assert unknown.returncode == 2
    assert unknown.stderr.splitlines() == header


def test_database_in_env_file_other_than_the_local_one_is_external(tmp_path):
    """A DATABASE_URL the user put in .env (or the environment) is used as is: no local cluster is started."""
    pg = tmp_path / "pg"
    pg.mkdir()
    env_file = tmp_path / ".env"
    probe = f'PGROOT="{pg}"; external_database && echo external || echo local'
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DATABASE_")}

    def answer(url: str | None = None, **extra) -> str:
        if url is not None:
            env_file.write_text(f'DATABASE_URL="{url}"\n')
        result = dev_function(probe, env={**environment, "ENV_FILE": str(env_file), **extra})
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert answer() == "local"  # no .env yet
    (pg / "port").write_text("54330\n")
    assert answer("postgresql://goso_app:x@127.0.0.1:54330/goso") == "local"  # dev's own
    assert answer("postgresql://me:y@db.example:5432/goso?sslmode=require") == "external"
    assert answer("postgresql://me:y@127.0.0.1:5433/goso") == "external"  # another local server
    assert answer("postgresql://goso_app:x@127.0.0.1:54330/goso", DATABASE_URL="postgresql://me:y@db.example/g") == "external"
    # .pg/ deleted: .env's loopback port names the cluster to make again, unless a server already answers there.
    (pg / "port").unlink()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        busy = listener.getsockname()[1]
        assert answer(f"postgresql://goso_app:x@127.0.0.1:{busy}/goso") == "external"
    assert answer(f"postgresql://goso_app:x@127.0.0.1:{busy}/goso") == "local"


def test_recreated_cluster_keeps_the_passwords_of_env(tmp_path):
    """`create --keep-passwords-of .env`: the roles of a cluster made again get the passwords .env holds."""
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\n"
        'export DATABASE_URL="postgresql://goso_app:r%40n%2Ftime@127.0.0.1:54330/goso?sslmode=disable"\n'
        "DATABASE_OWNER_URL='postgresql://goso_owner:own-er@127.0.0.1:54330/goso'\n"
        "OTHER=postgresql://someone:else@127.0.0.1/goso\n"
    )
    settings = env_file_read(env_file)
    assert passwords_in_urls(list(settings.values()), roles=("goso_owner", "goso_app")) == {
        "goso_app": "r@n/time", "goso_owner": "own-er",
    }
    assert env_file_read(tmp_path / "missing.env") == {}


def _pins(path: Path) -> dict[str, str]:
    """name -> version of every `name[extras]==version` line (names normalised as pip does)."""
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;#\\]+)", path.read_text(), re.M)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pins}


@pytest.mark.parametrize(("listed", "lock"), [
    ("requirements.txt", "requirements.lock"),
    ("requirements-dev.txt", "requirements-dev.lock"),
])
def test_locks_hold_every_listed_package_at_its_version(listed, lock):
    """A package added to a list without `./dev lock` would be missing from the install ./dev makes."""
    locked = _pins(ROOT / lock)
    for name, version in _pins(ROOT / listed).items():
        assert locked.get(name) == version, f"{name}=={version} of {listed} is not in {lock}: run ./dev lock"


def test_dev_lock_pins_the_runtime_lock_versions():
    runtime, dev = _pins(ROOT / "requirements.lock"), _pins(ROOT / "requirements-dev.lock")
    assert runtime
    assert {name: dev.get(name) for name in runtime} == runtime

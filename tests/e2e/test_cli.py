"""The `opsdesk` command as an operator runs it: real subprocesses against a SQLite file.

CONTRACT.md, "CLI": `admin create` prints the admin's token; `demo` loads once; `migrate` can be
run again; `serve` answers on the port it was given. A wrong flag, a missing setting or an
unreachable database ends with one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select

from opsdesk.core.db.engine import make_engine
from opsdesk.core.db.schema import metadata
from opsdesk.tickets.tables import tickets
from opsdesk.users import repo as users_repo
from opsdesk.users.tables import users

COMMAND_TIMEOUT_S = 120
STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0
UNREACHABLE_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/none"


@dataclass(frozen=True)
class Cli:
    """Runs `python -m opsdesk` in its own directory against its own SQLite database."""

    workdir: Path
    database_path: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database_path}"

    def env(self, **settings: str) -> dict[str, str]:
        # Only the settings a test names reach opsdesk; stray OPSDESK_* values would hide defaults.
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("OPSDESK_")}
        return {**inherited, "OPSDESK_DATABASE_URL": self.database_url, **settings}

    def run(self, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "opsdesk", *args],
            cwd=self.workdir,
            env=self.env(**settings),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )

    def count(self, table: Any) -> int:
        engine = make_engine(self.database_url, pool_size=1)
        try:
            with engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        finally:
            engine.dispose()

    def user_of_token(self, token: str) -> Any:
        """The user the token authenticates as, or None."""
        engine = make_engine(self.database_url, pool_size=1)
        try:
            with engine.connect() as conn:
                user_id = users_repo.get_user_id_by_token(conn, token)
                return None if user_id is None else users_repo.get_user(conn, user_id)
        finally:
            engine.dispose()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(workdir=tmp_path, database_path=tmp_path / "opsdesk.db")


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr


def assert_one_line_failure(result: subprocess.CompletedProcess[str], *mentions: str) -> str:
    """A non-zero exit with exactly one `opsdesk: ...` line on stderr that names each of `mentions`."""
    transcript = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode != 0, transcript
    assert "Traceback" not in result.stderr + result.stdout, transcript
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, transcript
    line = lines[0]
    assert line.startswith("opsdesk:"), transcript
    for mention in mentions:
        assert mention.lower() in line.lower(), transcript
    return line


# --- admin create ------------------------------------------------------------------------------


def test_admin_create_prints_the_given_token_and_that_token_authenticates(cli: Cli) -> None:
    result = cli.run("admin", "create", "--email", "ada@example.com", "--name", "Ada Admin", "--token", "tok-3f9a")

    assert_ok(result)
    assert result.stdout.split() == ["tok-3f9a"]
    admin = cli.user_of_token("tok-3f9a")
    assert admin is not None
    assert (admin.email, admin.name, admin.role.value) == ("ada@example.com", "Ada Admin", "admin")
    assert cli.user_of_token("tok-3f9b") is None


def test_admin_create_without_a_token_prints_a_new_one_that_authenticates(cli: Cli) -> None:
    result = cli.run("admin", "create", "--email", "ada@example.com", "--name", "Ada Admin")

    assert_ok(result)
    printed = result.stdout.split()
    assert len(printed) == 1
    assert len(printed[0]) >= 20
    admin = cli.user_of_token(printed[0])
    assert admin is not None
    assert admin.email == "ada@example.com"


def test_admin_create_twice_with_one_email_fails_with_one_line(cli: Cli) -> None:
    assert_ok(cli.run("admin", "create", "--email", "ada@example.com", "--name", "Ada", "--token", "first-token"))

    again = cli.run("admin", "create", "--email", "ada@example.com", "--name", "Ada Two", "--token", "second-token")

    assert_one_line_failure(again, "ada@example.com")
    assert again.stdout.strip() == ""
    assert cli.user_of_token("second-token") is None
    first = cli.user_of_token("first-token")
    assert first is not None
    assert first.name == "Ada"
    assert cli.count(users) == 1


# --- wrong command lines -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "mention"),
    [
        pytest.param(["admin", "create", "--email", "a@example.com", "--name", "A", "--colour", "red"], "--colour"),
        pytest.param(["admin", "create", "--name", "A"], "--email"),
        pytest.param(["admin", "create", "--email", "a@example.com"], "--name"),
        pytest.param(["admin"], "admin"),
        pytest.param(["frobnicate"], "frobnicate"),
        pytest.param([], "command"),
        pytest.param(["serve", "--port", "eighty"], "--port"),
    ],
    ids=[
        "unknown-flag",
        "missing-email",
        "missing-name",
        "missing-subcommand",
        "unknown-command",
        "nothing",
        "bad-port",
    ],
)
def test_a_wrong_command_line_fails_with_one_line_and_touches_nothing(cli: Cli, args: list[str], mention: str) -> None:
    result = cli.run(*args)

    assert_one_line_failure(result, mention)
    assert not cli.database_path.exists()


# --- settings and the database -----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["migrate"], id="migrate"),
        pytest.param(["admin", "create", "--email", "a@example.com", "--name", "A"], id="admin-create"),
        pytest.param(["demo"], id="demo"),
        pytest.param(["serve", "--port", "1"], id="serve"),
    ],
)
def test_an_unreachable_database_fails_with_one_line(cli: Cli, args: list[str]) -> None:
    result = cli.run(*args, OPSDESK_DATABASE_URL=UNREACHABLE_DATABASE)

    assert_one_line_failure(result, "database")


@pytest.mark.parametrize(
    ("settings", "mention"),
    [
        pytest.param({"OPSDESK_CLOCK": "bogus"}, "OPSDESK_CLOCK", id="clock"),
        pytest.param(
            {"OPSDESK_CLOCK": "manual", "OPSDESK_CLOCK_START": "yesterday"}, "OPSDESK_CLOCK_START", id="start"
        ),
        pytest.param({"OPSDESK_MAX_BODY_BYTES": "lots"}, "OPSDESK_MAX_BODY_BYTES", id="body-limit"),
        pytest.param({"OPSDESK_DATABASE_URL": "not a database"}, "OPSDESK_DATABASE_URL", id="database-url"),
    ],
)
def test_a_bad_setting_fails_with_one_line_naming_it(cli: Cli, settings: dict[str, str], mention: str) -> None:
    result = cli.run("migrate", **settings)

    assert_one_line_failure(result, mention)
    assert not cli.database_path.exists()


def test_migrate_twice_is_fine(cli: Cli) -> None:
    first = cli.run("migrate")
    second = cli.run("migrate")

    assert_ok(first)
    assert_ok(second)
    engine = make_engine(cli.database_url, pool_size=1)
    try:
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert_ok(cli.run("admin", "create", "--email", "ada@example.com", "--name", "Ada", "--token", "after-migrate"))
    assert cli.user_of_token("after-migrate") is not None


# --- demo --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """A database that `opsdesk demo` has loaded once (the load takes a while, so it is shared)."""
    workdir = tmp_path_factory.mktemp("demo")
    demo = Cli(workdir=workdir, database_path=workdir / "opsdesk.db")
    loaded = demo.run("demo")
    assert_ok(loaded)
    assert "loaded" in loaded.stdout
    return demo


def test_demo_loads_once_and_a_second_run_does_nothing(demo_cli: Cli) -> None:
    ticket_count, user_count = demo_cli.count(tickets), demo_cli.count(users)
    assert ticket_count > 0
    assert user_count > 0

    again = demo_cli.run("demo")

    assert_ok(again)
    assert "nothing" in again.stdout.lower()
    assert (demo_cli.count(tickets), demo_cli.count(users)) == (ticket_count, user_count)


# --- serve -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Answer:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, response.headers.get("Content-Type", ""), response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.headers.get("Content-Type", ""), exc.read())


def basic(login: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{secret}".encode()).decode()}


@dataclass(frozen=True)
class Server:
    base_url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"opsdesk serve exited with {server.process.returncode}:\n{server.log()}")
        try:
            if fetch(f"{server.base_url}/healthz").status == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"/healthz did not answer 200 within {STARTUP_TIMEOUT_S:.0f} s:\n{server.log()}")


@pytest.fixture
def server(demo_cli: Cli) -> Iterator[Server]:
    """`opsdesk serve` on a free port, on the system clock, over the demo database."""
    port = free_port()
    log_path = demo_cli.workdir / f"serve-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "opsdesk", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=demo_cli.workdir,
            env=demo_cli.env(OPSDESK_CLOCK="system"),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    running = Server(f"http://127.0.0.1:{port}", log_path, process)
    try:
        wait_until_healthy(running)
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=SHUTDOWN_TIMEOUT_S)


class HomePage(HTMLParser):
    """The parts of the home page a newcomer reads: headings, links and the rows of its tables."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.headings: list[str] = []
        self.links: list[str] = []
        self.rows: list[list[str]] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(tag)
        if tag == "a":
            self.links.extend(value for name, value in attrs if name == "href" and value)
        elif tag == "tr":
            self.rows.append([])
        elif tag in {"td", "th"} and self.rows:
            self.rows[-1].append("")
        elif tag in {"h1", "h2"}:
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if "title" in self._open:
            self.title += data
        if {"h1", "h2"} & set(self._open) and self.headings:
            self.headings[-1] += data
        if {"td", "th"} & set(self._open) and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data.strip()

    def logins(self) -> list[tuple[str, str]]:
        """(email, password) for each table row whose cell holds an email, the password next to it."""
        found = []
        for cells in self.rows:
            for index, cell in enumerate(cells[:-1]):
                if "@" in cell:
                    found.append((cell, cells[index + 1]))
        return found


def test_serve_answers_health_home_page_and_hides_the_test_clock(server: Server) -> None:
    assert fetch(f"{server.base_url}/healthz").status == 200

    home = fetch(f"{server.base_url}/")
    assert home.status == 200
    assert home.content_type.startswith("text/html")
    page = HomePage()
    page.feed(home.body.decode())
    assert "opsdesk" in page.title.lower() or any("opsdesk" in heading.lower() for heading in page.headings)
    assert "/docs" in page.links
    assert fetch(f"{server.base_url}/docs").status == 200

    logins = page.logins()
    assert len(logins) >= 2, page.rows
    credentials_by_role: dict[str, dict[str, str]] = {}
    for email, password in logins:
        me = fetch(f"{server.base_url}/api/v2/users/me.json", headers=basic(email, password))
        assert me.status == 200, f"the home page lists {email} / {password}, which cannot log in: {me.body!r}"
        assert me.json()["user"]["email"] == email
        credentials_by_role[me.json()["user"]["role"]] = basic(email, password)
        assert email in server.log(), "serve prints the demo logins when it starts"
    assert {"admin", "end-user"} <= set(credentials_by_role)

    assert fetch(f"{server.base_url}/api/test/clock").status == 404
    move = fetch(f"{server.base_url}/api/test/clock", method="POST", headers=credentials_by_role["admin"])
    assert move.status == 404


def test_serve_stops_cleanly(server: Server) -> None:
    server.process.terminate()
    server.process.wait(timeout=SHUTDOWN_TIMEOUT_S)

    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says why it stopped.
    assert server.process.returncode in {0, -signal.SIGTERM}, server.log()
    assert "Traceback" not in server.log()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{server.base_url}/healthz", timeout=2)

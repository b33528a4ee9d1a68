"""Fixtures for the compatibility tests: a live opsdesk on 127.0.0.1 driven by real clients.

The server runs as a subprocess (``python -m opsdesk serve``) against a fresh SQLite database in
a temporary directory, on the manual clock starting 2026-03-02T09:00:00Z, so these tests see
exactly what a user who installed opsdesk would see. Clients are pointed at it the documented
way: zenpy reads ``ZENPY_FORCE_NETLOC`` / ``ZENPY_FORCE_SCHEME`` on every request.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

# zenpy ships neither inline types nor stubs.
from zenpy import Zenpy  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from pathlib import Path

ADMIN_EMAIL = "admin@example.com"
ADMIN_NAME = "Ada Admin"
ADMIN_TOKEN = "compat-admin-token"
CLOCK_START = "2026-03-02T09:00:00Z"
ZENPY_SUBDOMAIN = "opsdesk"  # zenpy insists on one even when ZENPY_FORCE_NETLOC overrides it
STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0
LOG_TAIL_CHARS = 4000


@dataclass(frozen=True)
class LiveServer:
    """A running ``opsdesk serve`` on 127.0.0.1 and the admin created before it started."""

    base_url: str
    port: int
    admin_email: str
    admin_name: str
    admin_token: str
    database_url: str
    log_path: Path


@dataclass(frozen=True)
class Exchange:
    """One HTTP request a client made and what came back (recorded from the client's side)."""

    method: str
    url: str
    status_code: int
    request_body: bytes | None
    response_json: Any

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


@dataclass
class ZenpyFactory:
    """Builds zenpy clients for any user; closes their HTTP sessions at the end of the run."""

    live_server: LiveServer
    _clients: list[Any] = field(default_factory=list)

    def __call__(self, email: str, *, token: str | None = None, password: str | None = None) -> Any:
        """A zenpy client for ``email`` with an API token or a password (exactly one).

        ``disable_cache=True`` because zenpy otherwise serves objects it saw in the last 30 s
        (including those returned by create/update) instead of re-reading them.
        """
        if (token is None) == (password is None):
            msg = "give exactly one of token= or password="
            raise ValueError(msg)
        client = Zenpy(
            subdomain=ZENPY_SUBDOMAIN,
            email=email,
            token=token,
            password=password,
            disable_cache=True,
        )
        self._clients.append(client)
        return client

    def close_all(self) -> None:
        for client in self._clients:
            # Every Api object of one Zenpy instance shares this requests.Session.
            client.users.session.close()
        self._clients.clear()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(log_path: Path) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(no server log: {exc})"
    return text[-LOG_TAIL_CHARS:]


def _healthz_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_status: int | None = None
    while time.monotonic() < deadline:
        exit_code = process.poll()
        if exit_code is not None:
            msg = (
                f"opsdesk serve exited with status {exit_code} before /healthz answered 200.\n"
                f"--- tail of {log_path} ---\n{_log_tail(log_path)}"
            )
            raise RuntimeError(msg)
        last_status = _healthz_status(f"{base_url}/healthz")
        if last_status == 200:
            return
        time.sleep(0.1)
    msg = (
        f"opsdesk serve did not answer 200 on {base_url}/healthz within {STARTUP_TIMEOUT_S:.0f} s "
        f"(last status: {last_status}).\n--- tail of {log_path} ---\n{_log_tail(log_path)}"
    )
    raise RuntimeError(msg)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``opsdesk serve --no-worker`` on a free port with a fresh database and one admin."""
    workdir = tmp_path_factory.mktemp("compat-server")
    database_url = f"sqlite:///{workdir / 'compat.db'}"
    env = {
        **os.environ,
        "OPSDESK_DATABASE_URL": database_url,
        "OPSDESK_CLOCK": "manual",
        "OPSDESK_CLOCK_START": CLOCK_START,
    }
    # Links in responses must come from the request's Host header, not from this setting;
    # leaving a stray value in place would hide a server that gets that wrong.
    env.pop("OPSDESK_BASE_URL", None)

    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "opsdesk",
            "admin",
            "create",
            "--email",
            ADMIN_EMAIL,
            "--name",
            ADMIN_NAME,
            "--token",
            ADMIN_TOKEN,
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if created.returncode != 0:
        msg = (
            f"`opsdesk admin create` failed with status {created.returncode}\n"
            f"stdout:\n{created.stdout}\nstderr:\n{created.stderr}"
        )
        raise RuntimeError(msg)
    if ADMIN_TOKEN not in created.stdout:
        msg = f"`opsdesk admin create --token T` must print T; it printed:\n{created.stdout}"
        raise RuntimeError(msg)

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = workdir / "server.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "opsdesk",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-worker",
            ],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(process, base_url, log_path)
            yield LiveServer(
                base_url=base_url,
                port=port,
                admin_email=ADMIN_EMAIL,
                admin_name=ADMIN_NAME,
                admin_token=ADMIN_TOKEN,
                database_url=database_url,
                log_path=log_path,
            )
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def zenpy_env(live_server: LiveServer) -> Iterator[None]:
    """Points every zenpy client at the live server for the whole run, then restores the env.

    zenpy reads these variables when it builds each URL, not when the client is created, so
    they have to stay set while any test talks to the server.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZENPY_FORCE_NETLOC", f"127.0.0.1:{live_server.port}")
        patch.setenv("ZENPY_FORCE_SCHEME", "http")
        yield


@pytest.fixture(scope="session")
def zenpy_factory(
    live_server: LiveServer,
    zenpy_env: None,
) -> Iterator[ZenpyFactory]:
    """``zenpy_factory(email, token=...)`` or ``zenpy_factory(email, password=...)``."""
    factory = ZenpyFactory(live_server)
    try:
        yield factory
    finally:
        factory.close_all()


@pytest.fixture(scope="session")
def zenpy_admin(live_server: LiveServer, zenpy_factory: ZenpyFactory) -> Any:
    """A zenpy client authenticated as the admin with ``admin@example.com/token:…``."""
    return zenpy_factory(live_server.admin_email, token=live_server.admin_token)


Recorder = Callable[[Any], AbstractContextManager[list[Exchange]]]


@contextmanager
def _recording(client: Any) -> Iterator[list[Exchange]]:
    """Records every HTTP exchange the zenpy ``client`` makes inside the block.

    Uses a requests response hook on the client's session, so the zenpy calls themselves stay
    unchanged; tests use it to check the pages a listing really fetched.
    """
    exchanges: list[Exchange] = []

    def hook(response: Any, *_args: Any, **_kwargs: Any) -> Any:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        body = response.request.body
        exchanges.append(
            Exchange(
                method=response.request.method,
                url=response.request.url,
                status_code=response.status_code,
                request_body=body.encode() if isinstance(body, str) else body,
                response_json=payload,
            )
        )
        return response

    hooks: list[Any] = client.users.session.hooks["response"]
    hooks.append(hook)
    try:
        yield exchanges
    finally:
        hooks.remove(hook)


@pytest.fixture(scope="session")
def record_http() -> Recorder:
    """``with record_http(client) as exchanges:`` lists the HTTP exchanges made in the block."""
    return _recording

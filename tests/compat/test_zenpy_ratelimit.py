"""zenpy against a rate-limited opsdesk: it sleeps through our 429's Retry-After and retries alone.

The server here is a second live opsdesk, not the session's `live_server`, because its limits are
tiny: the admin may make 2 requests per 4-second "minute" (`OPSDESK_RATE_WINDOW_SECONDS`), so a
slot frees every 2 s and the third quick call is told to wait 2 s instead of 30.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from zenpy import Zenpy  # type: ignore[import-untyped]

from tests.compat.conftest import (
    ADMIN_EMAIL,
    ADMIN_NAME,
    ADMIN_TOKEN,
    CLOCK_START,
    ZENPY_SUBDOMAIN,
    LiveServer,
    _free_port,
    _stop,
    _wait_until_healthy,
)

LIMITED_ENV = {"OPSDESK_RATE_LIMITS": "admin=2", "OPSDESK_RATE_WINDOW_SECONDS": "4"}


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`opsdesk serve --no-worker` with the limits above, a fresh database and one admin."""
    workdir = tmp_path_factory.mktemp("compat-limited-server")
    database_url = f"sqlite:///{workdir / 'compat.db'}"
    env = {
        **os.environ,
        **LIMITED_ENV,
        "OPSDESK_DATABASE_URL": database_url,
        "OPSDESK_CLOCK": "manual",
        "OPSDESK_CLOCK_START": CLOCK_START,
    }
    admin = ["admin", "create", "--email", ADMIN_EMAIL, "--name", ADMIN_NAME, "--token", ADMIN_TOKEN]
    created = subprocess.run(
        [sys.executable, "-m", "opsdesk", *admin],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = workdir / "server.log"
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "opsdesk", *serve],
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


@pytest.fixture
def limited_zenpy(limited_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A zenpy admin client pointed at the limited server (for this test only)."""
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", f"127.0.0.1:{limited_server.port}")
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    client = Zenpy(subdomain=ZENPY_SUBDOMAIN, email=ADMIN_EMAIL, token=ADMIN_TOKEN, disable_cache=True)
    try:
        yield client
    finally:
        client.users.session.close()


def test_zenpy_waits_out_retry_after_and_its_call_succeeds(limited_zenpy: Any) -> None:
    seen: list[tuple[int, str | None]] = []

    def hook(response: Any, *_args: Any, **_kwargs: Any) -> Any:
        seen.append((response.status_code, response.headers.get("Retry-After")))
        return response

    limited_zenpy.users.session.hooks["response"].append(hook)
    assert limited_zenpy.users.me().email == ADMIN_EMAIL
    assert limited_zenpy.users.me().email == ADMIN_EMAIL
    started = time.monotonic()
    third = limited_zenpy.users.me()
    waited = time.monotonic() - started

    assert third.email == ADMIN_EMAIL
    assert [status for status, _ in seen] == [200, 200, 429, 200]
    retry_after = seen[2][1]
    assert retry_after is not None
    assert retry_after.isdigit()
    assert int(retry_after) >= 1
    assert waited >= int(retry_after)  # zenpy slept the whole Retry-After before retrying

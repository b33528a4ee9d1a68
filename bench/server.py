"""The real opsdesk server as a child process, driven only through its CLI and HTTP API.

`create_admin()` runs `opsdesk admin create` (which migrates the database first), `run_opsdesk()`
any other command;
`running_server()` runs `opsdesk serve --no-worker` (with `--workers N` for N > 1 API processes)
on a free loopback port, waits for `/healthz` to answer 200 and, for N > 1, for all N workers to
accept connections, and stops the server again, also when the benchmark fails.
"""

import contextlib
import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.proc import accepting_processes

ADMIN_EMAIL = "bench@example.com"
ADMIN_NAME = "Bench"
ADMIN_TOKEN = "bench-token"  # noqa: S105 (a throwaway token for a throwaway database)
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
LOG_TAIL_LINES = 40


class ServerError(RuntimeError):
    """The server could not be prepared, started or used; the message carries its log tail."""


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.splitlines()[-lines:]) or "(server log is empty)"


def _environment(database_url: str, port: int | None) -> dict[str, str]:
    environment = dict(os.environ)
    environment["OPSDESK_DATABASE_URL"] = database_url
    environment["OPSDESK_CLOCK"] = "system"
    environment.pop("OPSDESK_SMTP_URL", None)  # a benchmark sends no mail
    # The benchmark measures throughput, so its one admin token is not rate limited.
    environment["OPSDESK_RATE_LIMITS"] = "end-user=0,agent=0,admin=0"
    if port is not None:
        environment["OPSDESK_BASE_URL"] = f"http://127.0.0.1:{port}"
    return environment


def run_opsdesk(database_url: str, workdir: Path, arguments: list[str], timeout_s: float) -> None:
    """`python -m opsdesk ARGUMENTS` against `database_url`, its output in a log in `workdir`
    named after the command (`admin create` → admin-create.log); raises ServerError with the
    log's tail when it fails or runs past `timeout_s`."""
    words = list(itertools.takewhile(lambda argument: not argument.startswith("-"), arguments))
    name = f"`opsdesk {' '.join(words)}`"
    log_path = workdir / f"{'-'.join(words)}.log"
    with log_path.open("wb") as log:
        try:
            completed = subprocess.run(
                [sys.executable, "-m", "opsdesk", *arguments],
                cwd=workdir,
                env=_environment(database_url, None),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ServerError(f"{name} hung:\n{log_tail(log_path)}") from exc
    if completed.returncode != 0:
        raise ServerError(f"{name} exited with {completed.returncode}:\n{log_tail(log_path)}")


def create_admin(database_url: str, workdir: Path) -> None:
    """Migrate the database and create the benchmark's admin agent with its API token."""
    arguments = ["admin", "create", "--email", ADMIN_EMAIL, "--name", ADMIN_NAME, "--token", ADMIN_TOKEN]
    run_opsdesk(database_url, workdir, arguments, START_TIMEOUT_S * 3)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningServer:
    port: int
    pid: int
    """The `opsdesk serve` process; under `--workers N` the supervisor of the N workers."""
    log_path: Path
    workers: int = 1

    def request_json(self, method: str, path: str, authorization: str, body: object | None = None) -> tuple[int, Any]:
        """One request on a fresh connection: (status, decoded JSON body or None)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Authorization": authorization, "Accept": "application/json"}
            if payload is not None:
                headers["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw.decode("utf-8", errors="replace")


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _wait_until_started(process: subprocess.Popen[bytes], port: int, workers: int, log_path: Path) -> None:
    """Until /healthz answers 200 and, for several workers, every one of them accepts.

    /healthz answers as soon as the first worker serves; connections opened before the others
    have started would all land on that one and stay there (keep-alive), so the benchmark also
    waits until `workers` processes watch the listening socket.
    """
    deadline = time.monotonic() + START_TIMEOUT_S
    accepting = 0
    while True:
        if process.poll() is not None:
            raise ServerError(
                f"`opsdesk serve` exited with {process.returncode} before it was ready:\n{log_tail(log_path)}"
            )
        if _healthy(port):
            if workers == 1:
                return
            accepting = len(accepting_processes(process.pid, port))
            if accepting >= workers:
                return
        if time.monotonic() > deadline:
            waited_for = "/healthz did not answer 200" if not accepting else f"only {accepting} of {workers} workers"
            raise ServerError(f"{waited_for} within {START_TIMEOUT_S:.0f} s:\n{log_tail(log_path)}")
        time.sleep(0.1)


@contextmanager
def running_server(database_url: str, workdir: Path, workers: int = 1) -> Iterator[RunningServer]:
    """`opsdesk serve --no-worker [--workers N]` on a free port, every worker accepting when
    yielded, stopped afterwards."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    port = free_port()
    log_path = workdir / "server.log"
    command = [
        sys.executable, "-m", "opsdesk", "serve",
        "--host", "127.0.0.1", "--port", str(port), "--no-worker",
    ]  # fmt: skip
    if workers > 1:
        command += ["--workers", str(workers)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=_environment(database_url, port),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so nothing it starts outlives it
        )
    try:
        _wait_until_started(process, port, workers, log_path)
        yield RunningServer(port=port, pid=process.pid, log_path=log_path, workers=workers)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ask the server to shut down; kill its process group if it has not within the timeout."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        else:
            return
    with contextlib.suppress(ProcessLookupError):  # the group is already empty
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()

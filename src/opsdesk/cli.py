"""The `opsdesk` command line (CONTRACT.md, "CLI").

Every failure ends with one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from opsdesk.core.db.engine import make_engine
from opsdesk.core.db.migrate import upgrade
from opsdesk.core.db.uow import writing
from opsdesk.core.errors import OpsdeskError
from opsdesk.core.settings import Settings, SettingsError
from opsdesk.datagen import DEFAULT_SEED, ProgressBar, generate_tickets
from opsdesk.delivery.service import MailSettings, mail_settings
from opsdesk.tickets.access import Role
from opsdesk.users import repo as users_repo
from opsdesk.users import service as users_service
from opsdesk.worker.runner import run_worker, start_in_thread

DEMO_TICKETS = 200  # the demo built through the services; past it, tickets are generated in bulk


class CliError(Exception):
    """A failure to report as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"opsdesk: {message} (see `opsdesk --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="opsdesk", description="Self-hosted support operations.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = commands.add_parser("serve", help="serve the API and web pages (applies migrations first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--no-worker", action="store_true", help="do not run background duties in this process")
    serve.add_argument("--workers", type=int, default=1, help="API processes (PostgreSQL or SQLite WAL)")
    commands.add_parser("worker", help="run the background worker alone (any number against one PostgreSQL)")
    commands.add_parser("migrate", help="apply database migrations")
    admin = commands.add_parser("admin", help="manage administrators")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, parser_class=_Parser)
    create = admin_commands.add_parser("create", help="create an admin agent and print its API token")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--token", help="use this API token instead of a random one")
    create.add_argument("--password")
    demo = commands.add_parser("demo", help="load the demo data set (once), then top it up to --tickets")
    demo.add_argument(
        "--tickets",
        type=_ticket_count,
        default=DEMO_TICKETS,
        help=f"tickets in all; past {DEMO_TICKETS}, the rest are generated in bulk (seeded, resumable)",
    )
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated tickets")
    return parser


def _ticket_count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of tickets, got {value!r}")
    return count


def _migrate(settings: Settings) -> None:
    upgrade(settings.database_url)


def _admin_create(settings: Settings, args: argparse.Namespace) -> None:
    _migrate(settings)
    engine = make_engine(settings.database_url, pool_size=1)
    now = settings.make_clock().now()
    try:
        with writing(engine) as conn:
            if users_repo.get_user_by_email(conn, args.email.strip().lower()) is not None:
                raise CliError(f"a user with email {args.email} already exists")
            values = {"name": args.name, "email": args.email, "role": Role.ADMIN.value, "verified": True}
            if args.password:
                values["password"] = args.password
            user = users_service.create_user(conn, actor=None, values=values, now=now)
            token = users_service.issue_token(
                conn, user_id=user.id, token=args.token, now=now, description="created by `opsdesk admin create`"
            )
    finally:
        engine.dispose()
    print(token)  # noqa: T201 - the token is this command's output


def _demo(settings: Settings, args: argparse.Namespace) -> None:
    from opsdesk.demo import load_demo  # noqa: PLC0415 - only this command needs the demo builder

    _migrate(settings)
    engine = make_engine(settings.database_url, pool_size=1)
    now = settings.make_clock().now()
    try:
        loaded = load_demo(engine, now, tickets=min(args.tickets, DEMO_TICKETS))
        generated = None
        if args.tickets > DEMO_TICKETS:
            generated = generate_tickets(
                engine, total=args.tickets, now=now, seed=args.seed, progress=ProgressBar(sys.stderr)
            )
    finally:
        engine.dispose()
    message = "demo data loaded" if loaded else "demo data already present"
    if generated is not None and generated.written:
        message += f"; generated {generated.written:,} tickets ({generated.total:,} in all)"
    elif not loaded:
        message += "; nothing to do"
    print(message)  # noqa: T201


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn  # noqa: PLC0415 - keeps the other commands fast to start

    from opsdesk.web.app import DEMO_LOGINS, create_app  # noqa: PLC0415

    _migrate(settings)
    make_engine(settings.database_url, pool_size=1).dispose()
    print(f"opsdesk serving on http://{args.host}:{args.port}  (API docs: /docs)", file=sys.stderr)  # noqa: T201
    for role, email, password in DEMO_LOGINS:
        print(f"  demo login, {role}: {email} / {password}", file=sys.stderr)  # noqa: T201
    if args.workers > 1:
        if not args.no_worker:  # one worker beside the API processes, in the supervisor
            start_in_thread(make_engine(settings.database_url, pool_size=2), settings.make_clock(), _mail(settings))
        uvicorn.run(
            "opsdesk.web.asgi:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="warning",
            access_log=False,
        )
        return
    app = create_app(settings)
    if not args.no_worker:
        # The same clock as the API's, so that the manual test clock drives this worker too.
        start_in_thread(app.state.context.engine, app.state.context.clock, _mail(settings))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


def _mail(settings: Settings) -> MailSettings:
    return mail_settings(settings.smtp_url, settings.base_url)


def _worker(settings: Settings) -> None:
    _migrate(settings)
    engine = make_engine(settings.database_url, pool_size=2)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print("opsdesk worker running; stop it with Ctrl-C or SIGTERM", file=sys.stderr)  # noqa: T201
    try:
        run_worker(engine, settings.make_clock(), stop, mail=_mail(settings))
    finally:
        engine.dispose()


def run(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command == "migrate":
        _migrate(settings)
        print("database is up to date")  # noqa: T201
    elif args.command == "admin":
        _admin_create(settings, args)
    elif args.command == "demo":
        _demo(settings, args)
    elif args.command == "serve":
        _serve(settings, args)
    elif args.command == "worker":
        _worker(settings)


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        run(argv)
    except (CliError, SettingsError) as exc:
        _fail(str(exc))
    except OpsdeskError as exc:
        _fail(exc.description)
    except OperationalError as exc:
        _fail(f"cannot reach the database: {str(exc.orig).strip().splitlines()[0] if exc.orig else exc}")
    except ArgumentError as exc:
        _fail(f"OPSDESK_DATABASE_URL is not a database URL: {exc}")
    except SQLAlchemyError as exc:
        _fail(f"database error: {str(exc).splitlines()[0]}")
    except ModuleNotFoundError as exc:
        _fail(f"a database driver is missing: {exc.name}")
    except KeyboardInterrupt:
        sys.exit(130)


def _fail(message: str) -> NoReturn:
    print(f"opsdesk: {message}", file=sys.stderr)  # noqa: T201
    sys.exit(1)


if __name__ == "__main__":
    main()

"""The `opsdesk` command line (CONTRACT.md, "CLI").

Every failure ends with one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from opsdesk.core.db.engine import make_engine
from opsdesk.core.db.migrate import upgrade
from opsdesk.core.db.uow import writing
from opsdesk.core.errors import OpsdeskError
from opsdesk.core.settings import Settings, SettingsError
from opsdesk.tickets.access import Role
from opsdesk.users import repo as users_repo
from opsdesk.users import service as users_service


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
    commands.add_parser("migrate", help="apply database migrations")
    admin = commands.add_parser("admin", help="manage administrators")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, parser_class=_Parser)
    create = admin_commands.add_parser("create", help="create an admin agent and print its API token")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--token", help="use this API token instead of a random one")
    create.add_argument("--password")
    demo = commands.add_parser("demo", help="load the demo data set (once)")
    demo.add_argument("--tickets", type=int, default=200, help="how many tickets the demo holds")
    return parser


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
    try:
        loaded = load_demo(engine, settings.make_clock().now(), tickets=args.tickets)
    finally:
        engine.dispose()
    print("demo data loaded" if loaded else "demo data already present; nothing to do")  # noqa: T201


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn  # noqa: PLC0415 - keeps the other commands fast to start

    from opsdesk.web.app import DEMO_LOGINS, create_app  # noqa: PLC0415

    _migrate(settings)
    make_engine(settings.database_url, pool_size=1).dispose()
    print(f"opsdesk serving on http://{args.host}:{args.port}  (API docs: /docs)", file=sys.stderr)  # noqa: T201
    for role, email, password in DEMO_LOGINS:
        print(f"  demo login, {role}: {email} / {password}", file=sys.stderr)  # noqa: T201
    if args.workers > 1:
        uvicorn.run(
            "opsdesk.web.asgi:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="warning",
            access_log=False,
        )
        return
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning", access_log=False)


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

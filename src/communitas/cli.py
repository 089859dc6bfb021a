"""The command line: ``communitas init | serve | demo build | import | export | audit | users``."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import ROLE_LABELS, Role
from communitas.config import Settings, get_settings
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.demo.plan import Scale
from communitas.errors import CommunitasError
from communitas.i18n import _, translate

app = typer.Typer(help="Communitas: resilient emergency governance of urban communities.",
                  no_args_is_help=True)
demo_app = typer.Typer(help="Demo city.", no_args_is_help=True)
audit_app = typer.Typer(help="Event log audit.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")

console = Console()
err_console = Console(stderr=True)


def t(msgid: str, **params: object) -> str:
    return translate(msgid, get_settings().locale, **params)


def _fail(exc: CommunitasError) -> typer.Exit:
    message = translate(exc.message, get_settings().locale, **exc.params)
    err_console.print(f"[red]{exc.code}[/red]: {message}")
    if exc.details:
        err_console.print(exc.details)
    return typer.Exit(code=2)


def _session_factory(settings: Settings) -> sessionmaker[Session]:
    engine = make_engine(settings.database_url)
    migrate(engine)
    return make_session_factory(engine)


@app.command()
def init(
    admin_password: Annotated[str | None, typer.Option(help="password for the 'admin' account")]
    = None,
) -> None:
    """Create or upgrade the database, install the default catalogue and an admin account."""
    from communitas.auth import service as auth
    from communitas.auth.schemas import UserCreate
    from communitas.resources import service as resources

    settings = get_settings()
    factory = _session_factory(settings)
    with unit_of_work(factory) as session:
        resources.install_default_catalogue(session, principal=SYSTEM)
        try:
            auth.get_user(session, username="admin")
            console.print(t("Database is up to date at {url}", url=settings.database_url))
            return
        except CommunitasError:
            pass
        password = admin_password or secrets.token_urlsafe(12)
        auth.create_user(session, principal=SYSTEM, data=UserCreate(
            username="admin", password=password, role=Role.PLATFORM_ADMIN,
            display_name="Platform admin"))
    console.print(t("Database ready at {url}", url=settings.database_url))
    console.print(t("Admin account: {user} / {password}", user="admin", password=password))


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="build the demo city first if the database is empty")]
    = False,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Run the platform (API and pages) with migrations applied at start-up."""
    import uvicorn

    from communitas.api.app import create_app
    from communitas.demo import loader

    settings = get_settings()
    factory = _session_factory(settings)
    if demo:
        with unit_of_work(factory) as session:
            if loader.is_empty(session):
                console.print(t("Building the demo city (seed {seed})…", seed=loader.DEMO_SEED))
                loader.build_demo(session, seed=loader.DEMO_SEED, scale="district",
                                  progress=True)
        with unit_of_work(factory) as session:
            _print_demo_logins(session)
    host, port = host or settings.host, port or settings.port
    console.print(t("Communitas is running at {url}", url=f"http://{host}:{port}/"))
    console.print(t("API documentation: {url}", url=f"http://{host}:{port}/docs"))
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def _print_demo_logins(session: Session) -> None:
    from communitas.demo import loader

    table = Table(title=t("Demo logins (password: {password})", password=loader.DEMO_PASSWORD))
    table.add_column(t("Username"))
    table.add_column(t("Role"))
    table.add_column(t("Scope"))
    for login in loader.demo_logins(session):
        table.add_row(login.username, t(ROLE_LABELS[login.role]), login.scope_label)
    console.print(table)


@demo_app.command("build")
def demo_build(
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same city")]
    = 42,
    scale: Annotated[Scale, typer.Option(help="district (300 communities) or city (~6,000)")]
    = "district",
) -> None:
    """Generate the demo city into the configured database (which must hold no areas)."""
    from communitas.demo import loader

    factory = _session_factory(get_settings())
    try:
        with unit_of_work(factory) as session:
            summary = loader.build_demo(session, seed=seed, scale=scale, progress=True)
    except CommunitasError as exc:
        raise _fail(exc) from exc
    with unit_of_work(factory) as session:
        _print_demo_logins(session)
    table = Table(title=t("Demo city built"))
    table.add_column(t("Statistic"))
    table.add_column(t("Value"), justify="right")
    for key, value in summary.items():
        table.add_row(key, f"{value:,.4g}" if isinstance(value, float) else f"{value:,}")
    console.print(table)


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the event hash chain and name the first broken row."""
    from communitas.events import verify_chain

    factory = _session_factory(get_settings())
    with unit_of_work(factory) as session:
        checked, broken = verify_chain(session)
    if broken is None:
        console.print(t("Event chain intact: {count} events verified", count=checked))
        return
    err_console.print(t("Event chain broken at event {seq} ({reason}); {count} events before it "
                        "verified", seq=broken.seq, reason=broken.reason, count=checked))
    raise typer.Exit(code=1)


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[Role, typer.Option()],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    area: Annotated[str | None, typer.Option(help="area code of the scope")] = None,
    organisation: Annotated[str | None, typer.Option(help="organisation code")] = None,
    person: Annotated[str | None, typer.Option(help="person code (residents)")] = None,
) -> None:
    """Create an account."""
    from communitas.auth import service as auth
    from communitas.auth.schemas import UserCreate

    factory = _session_factory(get_settings())
    try:
        with unit_of_work(factory) as session:
            auth.create_user(session, principal=SYSTEM, data=UserCreate(
                username=username, password=password, role=role, scope_area_code=area,
                scope_org_code=organisation, person_code=person))
    except CommunitasError as exc:
        raise _fail(exc) from exc
    console.print(t("Created user {user}", user=username))


@users_app.command("list")
def users_list() -> None:
    """List accounts with their roles and scopes."""
    from communitas.auth import service as auth

    factory = _session_factory(get_settings())
    table = Table()
    for column in (_("Username"), _("Role"), _("Scope")):
        table.add_column(t(column))
    with unit_of_work(factory) as session:
        for user in auth.list_users(session, principal=SYSTEM):
            read = auth.user_read(session, user)
            table.add_row(read.username, t(ROLE_LABELS[read.role]),
                          read.scope_area_code or read.scope_org_code or read.person_code or "")
    console.print(table)


@app.command("import")
def import_file(
    kind: Annotated[str, typer.Argument(help="areas | organisations | people | resource-types "
                                             "| holdings")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
) -> None:
    """Import a CSV or GeoJSON file; a bad row rejects the whole file."""
    from communitas.transfer import service as transfer

    factory = _session_factory(get_settings())
    try:
        with unit_of_work(factory) as session:
            count = transfer.import_file(session, principal=SYSTEM, kind=kind, path=path)
    except CommunitasError as exc:
        raise _fail(exc) from exc
    console.print(t("Imported {count} rows from {file}", count=count, file=str(path)))


@app.command("export")
def export_file(
    kind: Annotated[str, typer.Argument(help="areas | organisations | people | resource-types "
                                             "| holdings")],
    path: Annotated[Path, typer.Argument(dir_okay=False)],
    within: Annotated[str | None, typer.Option(help="area code of a subtree")] = None,
) -> None:
    """Export to CSV or GeoJSON (by the file's extension). Sensitive fields are never exported."""
    from communitas.transfer import service as transfer

    factory = _session_factory(get_settings())
    try:
        with unit_of_work(factory) as session:
            count = transfer.export_file(session, principal=SYSTEM, kind=kind, path=path,
                                   within=within)
    except CommunitasError as exc:
        raise _fail(exc) from exc
    console.print(t("Exported {count} rows to {file}", count=count, file=str(path)))


if __name__ == "__main__":
    app()

"""The command line: ``communitas init | serve | demo build | import | export | audit | users
| cap``."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from communitas.alerts.cli import notices_app
from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import ROLE_LABELS, Role
from communitas.community.cli import metrics_app, mutual_aid_app
from communitas.config import Settings, get_settings
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.demo.plan import Scale
from communitas.errors import CommunitasError
from communitas.i18n import _, translate
from communitas.modes.activation_cli import activations_app, report_app
from communitas.modes.levels import Mode
from communitas.routine.cli import routine_app
from communitas.supervision.cli import supervision_app
from communitas.tasks.cli import tasks_app

if TYPE_CHECKING:
    from communitas.alerts.cap import CapReading

app = typer.Typer(help="Communitas: resilient emergency governance of urban communities.",
                  no_args_is_help=True)
demo_app = typer.Typer(help="Demo city.", no_args_is_help=True)
audit_app = typer.Typer(help="Event log audit.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
cap_app = typer.Typer(help="CAP 1.2 alerts (GB/T 35965.1 identifiers).", no_args_is_help=True)
app.add_typer(cap_app, name="cap")
plans_app = typer.Typer(help="Response plans (YAML files).", no_args_is_help=True)
modes_app = typer.Typer(help="Area modes: normal, watch, emergency levels IV–I, recovery.",
                        no_args_is_help=True)
app.add_typer(plans_app, name="plans")
app.add_typer(modes_app, name="modes")
app.add_typer(tasks_app, name="tasks")
app.add_typer(notices_app, name="notices")
from communitas.drills.cli import assess, drill_app  # noqa: E402  (sub-app in its package)

app.add_typer(drill_app, name="drill")
app.command()(assess)
app.add_typer(mutual_aid_app, name="mutual-aid")
app.add_typer(metrics_app, name="metrics")
app.add_typer(routine_app, name="routine")
app.add_typer(supervision_app, name="supervision")
app.add_typer(activations_app, name="activations")
app.add_typer(report_app, name="report")

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


@contextmanager
def _use_case() -> Iterator[Session]:
    """One unit of work on the configured database; a refusal exits 2 with its message."""
    factory = _session_factory(get_settings())
    try:
        with unit_of_work(factory) as session:
            yield session
    except CommunitasError as exc:
        raise _fail(exc) from exc


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
    from communitas.modes import plan_service as plan_library
    from communitas.resources import service as resources

    settings = get_settings()
    factory = _session_factory(settings)
    with unit_of_work(factory) as session:
        resources.install_default_catalogue(session, principal=SYSTEM)
        plan_library.install_plan_library(session, principal=SYSTEM)
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
    scheduler: Annotated[bool, typer.Option(
        help="run the timers (escalation, expiry) in this process; turn off when a "
             "`communitas worker` runs them")] = True,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="API processes sharing the port (the timers run once, here)")] = 1,
    access_log: Annotated[bool, typer.Option(
        help="log every HTTP request (turn off behind a proxy that logs them)")] = True,
) -> None:
    """Run the platform (API and pages) with migrations applied at start-up."""
    import uvicorn

    from communitas.api.app import create_app
    from communitas.demo import loader
    from communitas.scheduler import Scheduler, default_jobs

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
    timers = Scheduler(factory, default_jobs(settings)) if scheduler else None
    if timers is not None:
        timers.start()
    try:
        if workers == 1:
            uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                        access_log=access_log)
        else:  # each process builds its app from the same environment
            uvicorn.run("communitas.api.app:create_app", factory=True, workers=workers,
                        host=host, port=port, log_level="info", access_log=access_log)
    finally:
        if timers is not None:
            timers.stop()


@app.command()
def worker(
    tick: Annotated[float, typer.Option(help="seconds between checks for due timers")] = 15.0,
) -> None:
    """Run the timers alone, for deployments with several API processes."""
    from communitas.scheduler import Scheduler, default_jobs

    settings = get_settings()
    timers = Scheduler(_session_factory(settings), default_jobs(settings))
    console.print(t("Worker running the timers every {seconds} s", seconds=tick))
    try:
        while True:
            timers.run_due()
            time.sleep(tick)
    except KeyboardInterrupt:
        return


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

    with _use_case() as session:
        summary = loader.build_demo(session, seed=seed, scale=scale, progress=True)
    with _use_case() as session:
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

    with _use_case() as session:
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

    with _use_case() as session:
        auth.create_user(session, principal=SYSTEM, data=UserCreate(
            username=username, password=password, role=role, scope_area_code=area,
            scope_org_code=organisation, person_code=person))
    console.print(t("Created user {user}", user=username))


@users_app.command("list")
def users_list() -> None:
    """List accounts with their roles and scopes."""
    from communitas.auth import service as auth

    table = Table()
    for column in (_("Username"), _("Role"), _("Scope")):
        table.add_column(t(column))
    with _use_case() as session:
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

    with _use_case() as session:
        count = transfer.import_file(session, principal=SYSTEM, kind=kind, path=path)
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

    with _use_case() as session:
        count = transfer.export_file(session, principal=SYSTEM, kind=kind, path=path,
                               within=within)
    console.print(t("Exported {count} rows to {file}", count=count, file=str(path)))


CapFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a CAP 1.2 XML file")]
OasisOnly = Annotated[bool, typer.Option(
    "--oasis", help="plain CAP 1.2: an identifier outside GB/T 35965.1 is a warning")]


def _read_cap_or_exit(path: Path, oasis: bool) -> CapReading:
    """The valid alert in ``path``, or exit 2 listing each problem with its element."""
    from communitas.alerts.cap import read_cap

    locale = get_settings().locale
    try:
        reading = read_cap(path.read_bytes(), gbt_identifier=not oasis)
    except CommunitasError as exc:
        message = translate(exc.message, locale, **exc.params)
        err_console.print(f"{exc.code}: {message}", markup=False, highlight=False,
                          soft_wrap=True)
        for detail in exc.details or []:
            text = detail.get("message_zh") if locale == "zh_CN" else None
            err_console.print(f"  {detail['element']}: {text or detail['message']}",
                              markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from exc
    for warning in reading.warnings:
        text = translate(warning.msgid, locale, **warning.params)
        err_console.print(t("warning") + f"  {warning.element}: {text}", markup=False,
                          highlight=False, soft_wrap=True)
    return reading


@cap_app.command("validate")
def cap_validate(path: CapFile, oasis: OasisOnly = False) -> None:
    """Check a CAP 1.2 file against the schema and the rules; exit 2 naming each problem."""
    alert = _read_cap_or_exit(path, oasis).alert
    msgid = _("CAP 1.2 file is valid: {file} ({msg_type}, {status}, {count} info blocks)")
    params = {"file": path.name, "msg_type": alert.msg_type, "status": alert.status,
              "count": len(alert.infos)}
    console.print(f"OK {translate(msgid, 'zh_CN', **params)} / {translate(msgid, 'en', **params)}",
                  markup=False, highlight=False, soft_wrap=True)


@cap_app.command("import")
def cap_import(path: CapFile, oasis: OasisOnly = False) -> None:
    """Import a CAP 1.2 file as a received notice; the same identifier again changes nothing."""
    from communitas.alerts import cap_service

    _read_cap_or_exit(path, oasis)  # a bad file exits 2 naming each element
    with _use_case() as session:
        receipt = cap_service.import_cap(session, principal=SYSTEM, xml=path.read_bytes(),
                                         oasis=oasis)
    notice = receipt.notice
    msgid = (_("Imported {identifier} as notice {id} ({msg_type}, {status}); areas covered: "
               "{count}") if receipt.created else
             _("Already imported: {identifier} is notice {id}; nothing changed"))
    console.print(t(msgid, identifier=notice.identifier, id=notice.id, msg_type=notice.msg_type,
                    status=notice.status, count=len(notice.covered_area_codes)),
                  markup=False, highlight=False, soft_wrap=True)


@cap_app.command("areas")
def cap_areas(path: CapFile, oasis: OasisOnly = False) -> None:
    """List the communities of the configured database that a CAP alert covers."""
    from communitas.alerts.area_mapping import covered_areas
    from communitas.areas import service as areas
    from communitas.areas.codes import AreaKind

    alert = _read_cap_or_exit(path, oasis).alert
    with _use_case() as session:
        communities = {a.code: a for a in session.execute(
            areas.list_areas(session, kind=AreaKind.COMMUNITY)).scalars()}
        codes = covered_areas(alert.all_areas,
                              [(code, a.geometry) for code, a in communities.items()])
        rows = [(code, communities[code].name_zh, communities[code].name_en) for code in codes]
    if not rows:
        console.print(t("The alert covers no community in this database"))
        return
    console.print(t("Communities covered by {identifier}: {count}", identifier=alert.identifier,
                    count=len(rows)), soft_wrap=True)
    table = Table()
    for column in (_("Code"), _("Name (Chinese)"), _("Name (English)")):
        table.add_column(t(column))
    for row in rows:
        table.add_row(*row)
    console.print(table)


@app.command()
def allocate(
    problem: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                            help="problem file (JSON, see docs/allocation.md)")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="plan file to write")],
    method: Annotated[str, typer.Option(help="optimal (lexicographic) or greedy (baseline)")]
    = "optimal",
) -> None:
    """Plan shipments for a problem file on its own (no database); exit 2 if it is invalid."""
    from communitas.dispatch.greedy import solve_greedy
    from communitas.dispatch.optimiser import solve
    from communitas.dispatch.plan import write_plan
    from communitas.dispatch.problem import load_problem

    if method not in ("optimal", "greedy"):
        err_console.print(t("Unknown method {value}; use optimal or greedy", value=method),
                          markup=False, highlight=False)
        raise typer.Exit(code=2)
    try:
        parsed = load_problem(problem)
    except CommunitasError as exc:
        err_console.print(f"{exc.code}: {t(exc.message, **exc.params)}", markup=False,
                          highlight=False, soft_wrap=True)
        for detail in exc.details or []:
            err_console.print(f"  {detail['path']}: {t(detail['message'])}", markup=False,
                              highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from exc
    plan = solve_greedy(parsed) if method == "greedy" else solve(parsed)
    write_plan(plan, out)
    metrics = plan.metrics
    table = Table(title=t("Plan written to {file}", file=str(out)))
    table.add_column(t("Statistic"))
    table.add_column(t("Value"), justify="right")
    worst = metrics["worst_fill_ratio"]
    for label, value in (
        (t("Status"), plan.status),
        (t("Weighted unmet demand"), f"{metrics['objective']['weighted_unmet']:,}"),
        (t("Unmet units by priority (1/2/3/4)"),
         "/".join(str(v) for v in metrics["unmet_by_priority"].values())),
        (t("Worst fill ratio by priority (1/2/3/4)"),
         "/".join("-" if v is None else f"{v:.2f}" for v in worst.values())),
        (t("Mean travel minutes"), f"{metrics['mean_travel_minutes']:.1f}"),
        (t("Shipments"), f"{metrics['shipments']:,}"),
    ):
        table.add_row(label, value)
    console.print(table)


@plans_app.command("import")
def plans_import(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Import a YAML plan file; one bad field rejects the whole file, by line and field."""
    from communitas.modes import plan_service

    with _use_case() as session:
        report = plan_service.import_plan_text(
            session, principal=SYSTEM, text=path.read_text(encoding="utf-8"),
            file=path.name)
    for ref in report.created:
        console.print(f"{ref.hazard} {ref.level.value} {ref.area_kind} v{ref.version}")
    console.print(t("Imported {count} plans from {file}; {unchanged} unchanged",
                    count=len(report.created), file=str(path),
                    unchanged=len(report.unchanged)))


@plans_app.command("export")
def plans_export(directory: Annotated[Path, typer.Argument(file_okay=False)]) -> None:
    """Write the latest version of every plan, one YAML file per hazard."""
    from communitas.modes import plan_service

    with _use_case() as session:
        paths = plan_service.export_plan_dir(session, principal=SYSTEM, directory=directory)
    console.print(t("Exported {count} plan files to {file}", count=len(paths),
                    file=str(directory)))


@plans_app.command("validate")
def plans_validate(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Check a plan file against the schema and the resource catalogue; imports nothing."""
    from communitas.modes import plan_service

    with _use_case() as session:
        plans = plan_service.validate_plan_text(
            session, text=path.read_text(encoding="utf-8"), file=path.name)
    console.print(t("{file}: {count} plans are valid", file=str(path), count=len(plans)))


@modes_app.command("set")
def modes_set(
    area: Annotated[str, typer.Argument(help="area code")],
    level: Annotated[Mode, typer.Argument(help="the mode to set")],
    reason: Annotated[str, typer.Option(help="why (recorded in the event log)")],
    hazard: Annotated[str | None, typer.Option(help="flood, typhoon, earthquake …")] = None,
) -> None:
    """Set an area's mode as the platform (the transition rules still apply)."""
    from communitas.modes import service as modes
    from communitas.modes.levels import MODE_LABELS
    from communitas.modes.schemas import ModeSet

    with _use_case() as session:
        switch = modes.set_mode(session, principal=SYSTEM, code=area,
                                data=ModeSet(level=level, reason=reason, hazard=hazard))
    console.print(t("{area}: {before} → {after} (effective {effective})", area=area,
                    before=t(MODE_LABELS[switch.from_mode]),
                    after=t(MODE_LABELS[switch.to_mode]),
                    effective=t(MODE_LABELS[switch.effective_after])))


@modes_app.command("show")
def modes_show(area: Annotated[str, typer.Argument(help="area code")]) -> None:
    """Show an area's effective mode and where it comes from."""
    from communitas.modes import service as modes
    from communitas.modes.levels import MODE_LABELS

    with _use_case() as session:
        read = modes.get_effective_mode(session, code=area)
    table = Table(title=f"{read.area_code} — {t(MODE_LABELS[read.mode])}")
    table.add_column(t("Field"))
    table.add_column(t("Value"))
    for label, value in ((_("Set on"), read.source_code), (_("Own setting"), read.own_mode),
                         (_("Hazard"), read.hazard), (_("Reason"), read.reason),
                         (_("Set by"), read.set_by), (_("Set at"), read.set_at)):
        table.add_row(t(label), "" if value is None else str(value))
    console.print(table)


if __name__ == "__main__":
    app()

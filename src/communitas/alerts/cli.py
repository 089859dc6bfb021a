"""``communitas notices``: run the outbox worker once and list the dead letters."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from communitas.auth.permissions import SYSTEM
from communitas.config import get_settings
from communitas.i18n import _, translate

notices_app = typer.Typer(help="Notices: delivery outbox and dead letters.",
                          no_args_is_help=True)
console = Console()


def t(msgid: str, **params: object) -> str:
    return translate(msgid, get_settings().locale, **params)


@notices_app.command("deliver")
def deliver(
    max_batches: Annotated[int | None, typer.Option(help="stop after this many batches per "
                                                         "channel")] = None,
) -> None:
    """Deliver every due notice now (what the scheduler does every few seconds)."""
    from communitas.alerts.channels import senders_from_settings
    from communitas.alerts.delivery import drain
    from communitas.alerts.outbox import OutboxPolicy
    from communitas.cli import _session_factory

    settings = get_settings()
    report = drain(_session_factory(settings), senders=senders_from_settings(settings),
                   policy=OutboxPolicy.from_settings(settings), max_batches=max_batches)
    console.print(t("Delivered {delivered}, to retry {retried}, dead letters {dead}",
                    delivered=report.delivered, retried=report.retried, dead=report.dead))


@notices_app.command("dead-letters")
def dead_letters(
    page_size: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """List deliveries that gave up (addresses are never shown)."""
    from communitas.alerts import subscriptions
    from communitas.alerts.models import DeliveryStatus
    from communitas.cli import _use_case

    with _use_case() as session:
        page = subscriptions.list_deliveries(session, principal=SYSTEM,
                                             status=DeliveryStatus.DEAD, page_size=page_size)
    console.print(t("Dead letters: {count}", count=page.total))
    table = Table()
    for column in (_("Delivery"), _("Notice"), _("Channel"), _("Recipient"), _("Attempts"),
                   _("Reason")):
        table.add_column(t(column))
    for row in page.items:
        recipient = row.person_code or f"subscription {row.subscription_id}"
        table.add_row(str(row.id), str(row.notice_id), row.channel.value, recipient,
                      str(row.attempts), row.last_error or "")
    console.print(table)

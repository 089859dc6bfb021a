"""The four daily jobs. Each finds what is due, drops what the ledger says it already
issued, and issues a task for the rest; all run as the platform and never commit."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.actors.kinds import OrganisationKind
from communitas.actors.models import Organisation, OrganisationArea
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.clock import Clock, SystemClock
from communitas.config import Settings
from communitas.events import EventDraft, record_events
from communitas.i18n import _, translate
from communitas.resources import service as resources
from communitas.resources.lookups import CHINA_TZ, today
from communitas.resources.models import HoldingCondition
from communitas.resources.reserves import reserve_gaps
from communitas.resources.schemas import ReserveGapRead
from communitas.routine.models import DrillSchedule, DrillStatus, RoutineItem
from communitas.tasks import service as tasks
from communitas.tasks.records import is_active_task
from communitas.tasks.schemas import TaskCreate

__all__ = [
    "RoutinePolicy", "remind_drills", "remind_qualifications", "rotate_expiring_stock",
    "start_of", "top_up_reserves",
]

MAX_CHECKLIST = 50
# Who prepares a drill: the committee of a community, the street office of a street.
_KEEPER = {AreaKind.COMMUNITY: OrganisationKind.NEIGHBOURHOOD_COMMITTEE,
           AreaKind.STREET: OrganisationKind.STREET_OFFICE}
PAGE = 500


@dataclass(frozen=True)
class RoutinePolicy:
    rotation_days: int = 30
    qualification_days: int = 30
    drill_reminder_days: int = 7
    topup_due_days: int = 14
    locale: str = "zh_CN"

    @classmethod
    def from_settings(cls, settings: Settings) -> RoutinePolicy:
        return cls(rotation_days=settings.routine_rotation_days,
                   qualification_days=settings.routine_qualification_days,
                   drill_reminder_days=settings.routine_drill_reminder_days,
                   topup_due_days=settings.routine_topup_due_days, locale=settings.locale)


@dataclass(frozen=True)
class Due:
    """One item a job would issue: its ledger key and the task that carries it."""

    key: str
    task: TaskCreate


def start_of(day: date) -> datetime:
    """Midnight in China of ``day``, in UTC (expiry dates are last usable days)."""
    return datetime.combine(day, time(0), CHINA_TZ).astimezone(UTC)


def _issue(session: Session, *, job: str, period: str, due: Sequence[Due],
           clock: Clock) -> list[RoutineItem]:
    """Issue the items the ledger does not hold yet: tasks, ledger rows and events."""
    if not due:
        return []
    known = set(session.execute(select(RoutineItem.key).where(
        RoutineItem.job == job, RoutineItem.key.in_([d.key for d in due]))).scalars())
    fresh = [d for d in due if d.key not in known]
    if not fresh:
        return []
    try:
        # A concurrent run (the API's beside the scheduler's) that issued the same keys
        # first makes the ledger insert fail: this run then issues nothing, and leaves
        # no task or event behind.
        with session.begin_nested():
            return _write(session, job=job, period=period, fresh=fresh, clock=clock)
    except IntegrityError:
        return []


def _write(session: Session, *, job: str, period: str, fresh: list[Due], clock: Clock
           ) -> list[RoutineItem]:
    created = tasks.create_tasks(session, principal=SYSTEM, items=[d.task for d in fresh],
                                 clock=clock)
    now = clock.now()
    items = [RoutineItem(job=job, key=d.key, period=period, area_id=task.area_id,
                         task_id=task.id, created_at=now)
             for d, task in zip(fresh, created, strict=True)]
    session.add_all(items)
    session.flush()
    record_events(session, actor=SYSTEM.actor, clock=clock, drafts=[
        EventDraft(action="routine.issued", subject_type="routine_item", subject_id=item.id,
                   area_code=d.task.area_code,
                   payload={"job": job, "key": d.key, "period": period, "task_id": item.task_id})
        for d, item in zip(fresh, items, strict=True)])
    return items


def _holder(session: Session, area_code: str, kind: OrganisationKind) -> str | None:
    """The organisation of ``kind`` registered in or serving the area, if there is one."""
    page = actors.list_organisations(session, principal=SYSTEM, within=area_code, kind=kind,
                                     page_size=1)
    return page.items[0].code if page.items else None


def _holders(session: Session, area_codes: set[str], kind: OrganisationKind
             ) -> dict[str, str | None]:
    """:func:`_holder` for many areas with three reads: per area, the first organisation of
    ``kind`` (by code, in the database's order as ``list_organisations`` sorts) whose home
    or any served area lies in the area's subtree."""
    if not area_codes:
        return {}
    by_path = {path: code for code, path in session.execute(
        select(Area.code, Area.path).where(Area.code.in_(sorted(area_codes))))}
    homes = session.execute(select(Organisation.code, Area.path)
                            .join(Area, Area.id == Organisation.home_area_id)
                            .where(Organisation.kind == kind)).all()
    served = session.execute(select(Organisation.code, Area.path)
                             .join(OrganisationArea,
                                   OrganisationArea.organisation_id == Organisation.id)
                             .join(Area, Area.id == OrganisationArea.area_id)
                             .where(Organisation.kind == kind)).all()
    paths: dict[str, list[str]] = defaultdict(list)
    for code, path in [*homes, *served]:
        paths[code].append(path)
    ordered = list(session.execute(select(Organisation.code).where(Organisation.kind == kind)
                                   .order_by(Organisation.code)).scalars())
    found: dict[str, str | None] = dict.fromkeys(area_codes)
    for org in ordered:  # the first by code wins: an area's subtree holds a path when the
        for path in paths[org]:  # area's own path is one of the path's prefixes
            cut = 0
            while (cut := path.find("/", cut) + 1) > 0:
                area_code = by_path.get(path[:cut])
                if area_code is not None and found[area_code] is None:
                    found[area_code] = org
    return found


# --- reserve top-ups --------------------------------------------------------------------------

def top_up_reserves(session: Session, *, clock: Clock | None = None,
                    policy: RoutinePolicy | None = None) -> list[RoutineItem]:
    """One top-up task per community with a reserve gap, per month, for its committee."""
    clock, policy = clock or SystemClock(), policy or RoutinePolicy()
    on = today(clock)
    period = on.strftime("%Y-%m")
    roots = session.execute(select(Area.code).where(Area.parent_id.is_(None))
                            .order_by(Area.code)).scalars()
    # a community still working on its last top-up gets no new one: its gaps are not even
    # worked out (a city's 150,000 community × type gaps a day, in a long drill)
    busy = _topping_up(session)
    short: dict[str, list[ReserveGapRead]] = defaultdict(list)
    for root in roots:
        for gap in reserve_gaps(session, principal=SYSTEM, within=root, on=on, clock=clock,
                                skip=busy):
            if gap.gap > 0:
                short[gap.community_code].append(gap)
    due_at = clock.now() + timedelta(days=policy.topup_due_days)
    holders = _holders(session, set(short), OrganisationKind.NEIGHBOURHOOD_COMMITTEE)
    due = [Due(key=f"{code}:{period}", task=_topup_task(
        code, gaps, period, due_at, policy.locale, holders[code]))
        for code, gaps in sorted(short.items())]
    return _issue(session, job="topup", period=period, due=due, clock=clock)


def _topping_up(session: Session) -> set[str]:
    """Communities whose earlier top-up task is still active: no second one piles up; the
    new month's task follows once that one is done (or given up)."""
    return set(session.execute(select(Area.code).distinct()
                               .select_from(RoutineItem)
                               .join(Area, Area.id == RoutineItem.area_id)
                               .where(RoutineItem.job == "topup",
                                      is_active_task(RoutineItem.task_id))).scalars())


def _topup_task(code: str, gaps: list[ReserveGapRead], period: str, due_at: datetime,
                locale: str, holder: str | None) -> TaskCreate:
    gaps = sorted(gaps, key=lambda g: (-g.shortfall, g.resource_type_code))
    lines = [translate(_("{type}: {gap} {unit} short of {required} (within reach {held})"),
                       locale, type=g.resource_type_code, gap=f"{g.gap:g}", unit=g.unit,
                       required=g.required, held=f"{g.held_within_reach:g}") for g in gaps]
    return TaskCreate(
        title=translate(_("Top up the community reserve ({period})"), locale, period=period),
        description="\n".join(lines)[:2000], priority=3, due_at=due_at, area_code=code,
        checklist=[f"{g.resource_type_code} +{math.ceil(g.gap)} {g.unit}"[:200]
                   for g in gaps[:MAX_CHECKLIST]],
        assignee_org_code=holder,
        source_kind="routine_topup", source_id=period)


# --- stock rotation ---------------------------------------------------------------------------

def rotate_expiring_stock(session: Session, *, clock: Clock | None = None,
                          policy: RoutinePolicy | None = None) -> list[RoutineItem]:
    """A rotation task for the holder of each good holding expiring within N days."""
    clock, policy = clock or SystemClock(), policy or RoutinePolicy()
    on = today(clock)
    query = resources.list_holdings(
        session, principal=SYSTEM, expiring_before=on + timedelta(days=policy.rotation_days + 1),
        condition=HoldingCondition.GOOD)
    rows = [h for h in session.execute(query).scalars()
            if h.quantity > 0 and h.expires_on is not None and h.expires_on >= on]
    due = [Due(key=f"{h.id}:{h.expires_on}", task=TaskCreate(
        title=translate(_("Rotate {quantity} {unit} of {type} expiring on {date}"),
                        policy.locale, quantity=h.quantity, unit=h.resource_type.unit,
                        type=read.resource_type_code, date=h.expires_on.isoformat()),
        description=translate(_("Use it in normal service or hand it on before it expires, "
                                "then restock and record the new expiry date."), policy.locale),
        priority=3, due_at=start_of(h.expires_on), area_code=read.area_code,
        assignee_org_code=read.organisation_code, source_kind="routine_rotation",
        source_id=str(h.id)))
        for h, read in zip(rows, resources.holding_reads(session, rows), strict=True)
        if h.expires_on is not None]
    return _issue(session, job="rotation", period=on.isoformat(), due=due, clock=clock)


# --- qualifications ---------------------------------------------------------------------------

def remind_qualifications(session: Session, *, clock: Clock | None = None,
                          policy: RoutinePolicy | None = None) -> list[RoutineItem]:
    """A reminder task for each person whose qualification expires within N days; it sits in
    the person's area, so their committee sees it too."""
    clock, policy = clock or SystemClock(), policy or RoutinePolicy()
    on = today(clock)
    before = on + timedelta(days=policy.qualification_days + 1)
    due: list[Due] = []
    page = 1
    while True:
        found = actors.expiring_qualifications(session, principal=SYSTEM, before=before,
                                               page=page, page_size=PAGE)
        due += [Due(key=f"{q.person_code}:{q.name}:{q.expires_on}"[:160], task=TaskCreate(
            title=translate(_("Renew the qualification \u201c{name}\u201d before {date}"),
                            policy.locale, name=q.name, date=q.expires_on.isoformat())[:200],
            priority=4, due_at=start_of(q.expires_on), area_code=q.area_code,
            assignee_person_code=q.person_code, source_kind="routine_qualification",
            source_id=q.person_code))
            for q in found.items if q.expires_on >= on]
        if page * PAGE >= found.total:
            break
        page += 1
    return _issue(session, job="qualification", period=on.isoformat(), due=due, clock=clock)


# --- drill reminders --------------------------------------------------------------------------

def remind_drills(session: Session, *, clock: Clock | None = None,
                  policy: RoutinePolicy | None = None) -> list[RoutineItem]:
    """A preparation task for the committee (or street office) of each drill within N days."""
    clock, policy = clock or SystemClock(), policy or RoutinePolicy()
    now = clock.now()
    rows = session.execute(
        select(DrillSchedule, Area.code, Area.kind).join(Area, Area.id == DrillSchedule.area_id)
        .where(DrillSchedule.status == DrillStatus.SCHEDULED,
               DrillSchedule.scheduled_at >= now,
               DrillSchedule.scheduled_at < now + timedelta(days=policy.drill_reminder_days))
        .order_by(DrillSchedule.scheduled_at, DrillSchedule.id)).all()
    due = [Due(key=f"{drill.id}:{drill.scheduled_at.isoformat()}", task=TaskCreate(
        title=translate(_("Prepare the drill \u201c{title}\u201d on {date}"), policy.locale,
                        title=drill.title,
                        date=drill.scheduled_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
                        )[:200],
        priority=3, due_at=drill.scheduled_at, area_code=code,
        assignee_org_code=_holder(session, code, _KEEPER[kind]),
        source_kind="routine_drill", source_id=str(drill.id)))
        for drill, code, kind in rows]
    return _issue(session, job="drill_reminder", period=today(clock).isoformat(), due=due,
                  clock=clock)

"""Residents' offers and needs, and the matches the platform proposes between them.

A match shows each side the other's post (kind, description, the display name it chose) and,
once both accept, the contact note the other side wrote for that moment — never anything
from the person record.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.community import lookups
from communitas.community.lookups import PersonRef
from communitas.community.matching import OpenPost, best_counterpart
from communitas.community.models import (
    AidMatch,
    AidPost,
    MatchStatus,
    PostDirection,
    PostStatus,
)
from communitas.community.places import places_of
from communitas.community.schemas import MatchRead, PostCreate, PostRead
from communitas.errors import Conflict, NotFound, PermissionDenied
from communitas.events import record_event
from communitas.i18n import _

__all__ = ["answer_match", "close_post", "create_post", "list_posts", "match_reads",
           "my_matches", "post_reads"]


def _owner(session: Session, principal: Principal, person_code: str | None) -> PersonRef:
    if person_code is None:
        if principal.person_id is None:
            raise PermissionDenied(_("Only an account linked to a person can post"),
                                   code="not_a_person")
        return lookups.people_by_id(session, [principal.person_id])[principal.person_id]
    person = lookups.people_by_code(session, [person_code], "person_code")[person_code]
    if person.id != principal.person_id:
        require(principal, Permission.AID_MANAGE, area_path=person.area_path)
    return person


def create_post(session: Session, *, principal: Principal, data: PostCreate,
                clock: Clock | None = None) -> tuple[AidPost, AidMatch | None]:
    """Post an offer or a need and propose the best open counterpart, if there is one."""
    person = _owner(session, principal, data.person_code)
    area_id = (lookups.area_by_code(session, data.area_code).id if data.area_code
               else person.area_id)
    now = (clock or SystemClock()).now()
    post = AidPost(person_id=person.id, direction=data.direction, kind=data.kind,
                   area_id=area_id, description=data.description,
                   display_name=data.display_name, contact_note=data.contact_note,
                   status=PostStatus.OPEN, created_by=principal.actor, created_at=now)
    session.add(post)
    session.flush()
    code = session.get(Area, area_id).code  # type: ignore[union-attr]
    record_event(session, actor=principal.actor, action="aid_post.created",
                 subject_type="aid_post", subject_id=post.id, area_code=code, clock=clock,
                 payload={"direction": post.direction.value, "kind": post.kind.value})
    return post, _propose(session, principal, post, clock)


def _open_post(session: Session, post: AidPost) -> OpenPost:
    place = places_of(session, [post.area_id])[post.area_id]
    return OpenPost(post.id, post.person_id, post.kind.value, place)


def _propose(session: Session, principal: Principal, post: AidPost, clock: Clock | None
             ) -> AidMatch | None:
    """A proposal for an open post not already in one: the nearest open counterpart of the
    same kind in the same community that is not in a proposal either."""
    if post.status is not PostStatus.OPEN or _busy(session, [post.id]):
        return None
    me = _open_post(session, post)
    if me.place.community_id is None:
        return None
    community = session.get(Area, me.place.community_id)
    assert community is not None
    low, high = community.subtree_bounds()
    other = (PostDirection.NEED if post.direction is PostDirection.OFFER
             else PostDirection.OFFER)
    rows = list(session.execute(select(AidPost).join(Area, Area.id == AidPost.area_id).where(
        AidPost.direction == other, AidPost.kind == post.kind,
        AidPost.status == PostStatus.OPEN, Area.path >= low, Area.path < high)
        # Locked, so two posts proposed at once (PostgreSQL) never take the same counterpart.
        .with_for_update(of=AidPost)).scalars())
    excluded = _busy(session, [r.id for r in rows]) | _tried(session, post.id)
    places = places_of(session, [r.area_id for r in rows])
    best = best_counterpart(me, [OpenPost(r.id, r.person_id, r.kind.value, places[r.area_id])
                                 for r in rows], excluded)
    if best is None:
        return None
    counterpart, basis, metres = best
    offer, need = ((post.id, counterpart.post_id) if post.direction is PostDirection.OFFER
                   else (counterpart.post_id, post.id))
    match = AidMatch(offer_id=offer, need_id=need, status=MatchStatus.PROPOSED, basis=basis,
                     distance_m=metres, created_at=(clock or SystemClock()).now())
    session.add(match)
    session.flush()
    record_event(session, actor=principal.actor, action="aid_match.proposed",
                 subject_type="aid_match", subject_id=match.id, area_code=community.code,
                 clock=clock, payload={"offer": offer, "need": need, "basis": basis,
                                       "kind": post.kind.value})
    return match


def _busy(session: Session, post_ids: Sequence[int]) -> set[int]:
    """Posts already in a proposal waiting for answers."""
    rows = session.execute(select(AidMatch.offer_id, AidMatch.need_id).where(
        AidMatch.status == MatchStatus.PROPOSED,
        or_(AidMatch.offer_id.in_(post_ids), AidMatch.need_id.in_(post_ids)))).all()
    return {pid for row in rows for pid in row} & set(post_ids)


def _tried(session: Session, post_id: int) -> set[int]:
    """Counterparts this post was matched with before (declined ones are not proposed again)."""
    rows = session.execute(select(AidMatch.offer_id, AidMatch.need_id).where(
        or_(AidMatch.offer_id == post_id, AidMatch.need_id == post_id))).all()
    return {pid for row in rows for pid in row} - {post_id}


def _side(session: Session, principal: Principal, match: AidMatch) -> tuple[AidPost, AidPost]:
    """(the caller's post, the other post). Each side answers for itself: consent to share
    a contact with someone stays personal, so staff cannot answer for a resident here."""
    offer, need = session.get(AidPost, match.offer_id), session.get(AidPost, match.need_id)
    assert offer is not None and need is not None
    if principal.person_id == offer.person_id:
        return offer, need
    if principal.person_id == need.person_id:
        return need, offer
    raise PermissionDenied(_("Only the two residents of a match can answer it"),
                           code="not_your_match")


def answer_match(session: Session, *, principal: Principal, match_id: int, accept: bool,
                 clock: Clock | None = None) -> AidMatch:
    """One side accepts or declines; both accepting makes the match, a decline frees both
    posts and proposes new counterparts for them."""
    match = session.get(AidMatch, match_id, with_for_update=True)
    if match is None:
        raise NotFound(_("Unknown match {value}"), code="unknown_match", value=match_id)
    mine, theirs = _side(session, principal, match)
    if match.status is not MatchStatus.PROPOSED:
        raise Conflict(_("This match is {state}"), code="match_state", state=match.status.value)
    now = (clock or SystemClock()).now()
    if not accept:
        match.status, match.closed_at = MatchStatus.DECLINED, now
    else:
        stamp = "offer_accepted_at" if mine.direction is PostDirection.OFFER else (
            "need_accepted_at")
        setattr(match, stamp, now)
        if match.offer_accepted_at and match.need_accepted_at:
            match.status, match.closed_at = MatchStatus.ACCEPTED, now
            mine.status = theirs.status = PostStatus.MATCHED
    session.flush()
    action = ("declined" if not accept else
              "accepted" if match.status is MatchStatus.ACCEPTED else "answered")
    record_event(session, actor=principal.actor, action=f"aid_match.{action}",
                 subject_type="aid_match", subject_id=match.id, clock=clock,
                 payload={"side": mine.direction.value})
    if not accept:
        for post in (theirs, mine):
            _propose(session, principal, post, clock)
    return match


def close_post(session: Session, *, principal: Principal, post_id: int,
               clock: Clock | None = None) -> AidPost:
    """The owner (or staff in scope) withdraws a post; its pending proposal is declined."""
    post = session.get(AidPost, post_id)
    if post is None:
        raise NotFound(_("Unknown post {value}"), code="unknown_post", value=post_id)
    owner = lookups.people_by_id(session, [post.person_id])[post.person_id]
    if principal.person_id != owner.id:
        require(principal, Permission.AID_MANAGE, area_path=owner.area_path)
    now = (clock or SystemClock()).now()
    post.status = PostStatus.CLOSED
    for match in session.execute(select(AidMatch).where(
            AidMatch.status == MatchStatus.PROPOSED,
            or_(AidMatch.offer_id == post.id, AidMatch.need_id == post.id))).scalars():
        match.status, match.closed_at = MatchStatus.DECLINED, now
    session.flush()
    record_event(session, actor=principal.actor, action="aid_post.closed",
                 subject_type="aid_post", subject_id=post.id, clock=clock, payload={})
    return post


def post_reads(session: Session, posts: Sequence[AidPost]) -> list[PostRead]:
    codes = dict(session.execute(select(Area.id, Area.code).where(
        Area.id.in_({p.area_id for p in posts}))).all())
    return [PostRead(id=p.id, direction=p.direction, kind=p.kind, description=p.description,
                     display_name=p.display_name, area_code=codes[p.area_id], status=p.status,
                     created_at=p.created_at) for p in posts]


def list_posts(session: Session, *, principal: Principal, within: str | None = None,
               mine: bool = False, status: PostStatus | None = None) -> list[PostRead]:
    """A resident's own posts, or (staff with aid.manage) the posts of an area."""
    query = select(AidPost).order_by(AidPost.id)
    if mine:
        query = query.where(AidPost.person_id == (principal.person_id or -1))
    else:
        area = lookups.area_by_code(session, within or principal.scope_area_code or "",
                                    "within")
        require(principal, Permission.AID_MANAGE, area_path=area.path)
        low, high = area.subtree_bounds()
        query = query.join(Area, Area.id == AidPost.area_id).where(Area.path >= low,
                                                                   Area.path < high)
    if status is not None:
        query = query.where(AidPost.status == status)
    return post_reads(session, list(session.execute(query).scalars()))


def match_reads(session: Session, principal: Principal, matches: Sequence[AidMatch]
                ) -> list[MatchRead]:
    posts = {p.id: p for p in session.execute(select(AidPost).where(AidPost.id.in_(
        {m.offer_id for m in matches} | {m.need_id for m in matches}))).scalars()}
    reads = {r.id: r for r in post_reads(session, list(posts.values()))}
    out = []
    for m in matches:
        own_offer = posts[m.offer_id].person_id == principal.person_id
        mine, theirs = (m.offer_id, m.need_id) if own_offer else (m.need_id, m.offer_id)
        out.append(MatchRead(
            id=m.id, status=m.status, basis=m.basis, distance_m=m.distance_m,
            mine=reads[mine], theirs=reads[theirs],
            their_contact_note=posts[theirs].contact_note
            if m.status is MatchStatus.ACCEPTED else None))
    return out


def my_matches(session: Session, *, principal: Principal) -> list[MatchRead]:
    if principal.person_id is None:
        raise PermissionDenied(_("Only an account linked to a person can post"),
                               code="not_a_person")
    own = select(AidPost.id).where(AidPost.person_id == principal.person_id)
    rows = session.execute(select(AidMatch).where(
        or_(AidMatch.offer_id.in_(own), AidMatch.need_id.in_(own))).order_by(AidMatch.id))
    return match_reads(session, principal, list(rows.scalars()))

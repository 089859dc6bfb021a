"""Filling role slots with the indexed pools chooses exactly as scanning every candidate
for every slot does (the rule as first written, kept here as the reference)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from communitas.modes.activation import Candidate, Filled, Slot, assign_holders
from communitas.modes.plans import PlanRole


def _scan_nearest(candidates: Sequence[Candidate], slot_path: str,
                  plan_path: str) -> list[Candidate]:
    parts = slot_path.strip("/").split("/")
    for n in range(len(parts), 0, -1):
        scope = "/" + "/".join(parts[:n]) + "/"
        inside = [c for c in candidates if c.path.startswith(scope)]
        if inside:
            return inside
        if scope == plan_path:
            break
    above = sorted({c.path for c in candidates if plan_path.startswith(c.path)},
                   key=len, reverse=True)
    return [c for c in candidates if above and c.path == above[0]]


def _by_scanning(slots: Sequence[Slot], candidates: Sequence[Candidate],
                 plan_path: str) -> list[Filled]:
    used: set[tuple[str, str, int]] = set()
    out = []
    for slot in slots:
        pool = sorted((c for c in candidates if c.match == slot.role.default_holder),
                      key=lambda c: (c.stand_in, len(c.path), c.path, c.code))
        filled = Filled(slot)
        for cand in _scan_nearest(pool, slot.area_path, plan_path):
            if len(filled.holders) >= slot.role.count:
                break
            key = (slot.role.key.value, cand.kind, cand.id)
            if key not in used:
                used.add(key)
                filled.holders.append(cand)
        out.append(filled)
    return out


def test_indexed_pools_choose_as_scanning_does() -> None:
    rng = random.Random(7)
    paths = ["/1/", "/1/2/"] + [f"/1/2/{s}/" for s in range(3, 6)] + [
        f"/1/2/{s}/{c}/" for s in range(3, 6) for c in range(10, 14)] + [
        f"/1/2/{s}/{c}/{g}/" for s in range(3, 6) for c in range(10, 14) for g in (1, 2)]
    refs = ["role:grid_worker", "person_kind:cadre", "organisation_kind:volunteer_team"]
    candidates = [Candidate(kind=rng.choice(["user", "person", "organisation"]), id=i,
                            code=f"C{i:03d}", path=rng.choice(paths), match=rng.choice(refs),
                            stand_in=rng.random() < 0.2) for i in range(120)]
    roles = [PlanRole.model_validate({"key": key, "title": {"zh": "角色", "en": "Role"},
                                      "default_holder": ref, "count": count})
             for key, ref, count in (("grid_lead", "role:grid_worker", 1),
                                     ("deputy", "person_kind:cadre", 2),
                                     ("volunteer_lead", "organisation_kind:volunteer_team", 3),
                                     ("medical", "sector:health", 1))]
    for plan_path in ("/1/2/", "/1/2/4/", "/1/2/5/12/"):
        slot_paths = [p for p in paths if p.startswith(plan_path)]
        slots = [Slot(role, path.strip("/").split("/")[-1], path)
                 for role in roles for path in slot_paths]
        chosen = assign_holders(slots, candidates, plan_path)
        assert chosen == _by_scanning(slots, candidates, plan_path)
        assert any(f.holders for f in chosen) and any(not f.holders for f in chosen)

from communitas.auth.permissions import SYSTEM
from communitas.clock import FixedClock
from communitas.modes import service as modes, activation_service as acts
from communitas.modes.schemas import ModeSet
from communitas.modes.levels import Mode
from tests.modes import T0
from tests.modes.activation_helpers import build_activation_world, activation_counts
from tests.factories import COMMUNITY_A1, STREET_A

def test_smoke(db):
    build_activation_world(db)
    clock = FixedClock(T0)
    modes.set_mode(db, principal=SYSTEM, code=STREET_A, clock=clock,
                   data=ModeSet(level=Mode.LEVEL_I, reason="x", hazard="rainstorm"))
    print(activation_counts(db))
    page = acts.list_activations(db, principal=SYSTEM)
    for a in page.items:
        print(a.model_dump())
        d = acts.get_activation(db, principal=SYSTEM, activation_id=a.id)
        for r in d.roles: print("  ", r.role_key, r.slot_code, r.holder_kind, r.holder_code)
        for i in d.items: print("  ", i.kind, i.code, i.state)
    modes.set_mode(db, principal=SYSTEM, code=STREET_A, clock=clock,
                   data=ModeSet(level=Mode.RECOVERY, reason="over"))
    print(activation_counts(db))
    for a in acts.list_activations(db, principal=SYSTEM).items:
        print(a.status, a.counts, a.end_reason)

"""Every table, imported in one place so Alembic and tests see the whole schema."""

from __future__ import annotations

from communitas.actors import models as actors_models
from communitas.alerts import models as alerts_models
from communitas.areas import models as areas_models
from communitas.auth import models as auth_models
from communitas.community import models as community_models
from communitas.db import Base
from communitas.dispatch import models as dispatch_models
from communitas.events import Event, EventChainHead
from communitas.modes import activation_models
from communitas.modes import models as modes_models
from communitas.resources import models as resources_models
from communitas.routine import models as routine_models
from communitas.supervision import models as supervision_models
from communitas.tasks import models as tasks_models

metadata = Base.metadata

__all__ = [
    "Event", "EventChainHead", "activation_models", "actors_models", "alerts_models",
    "areas_models", "auth_models", "community_models", "dispatch_models", "metadata",
    "modes_models", "resources_models", "routine_models", "supervision_models", "tasks_models",
]

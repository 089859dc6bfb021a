"""Task tests build a dozen accounts each; hash their passwords with cheap Argon2 settings
(the same code path, only the cost parameters differ) so the suite stays quick."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from communitas.auth import service as auth


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))
    yield

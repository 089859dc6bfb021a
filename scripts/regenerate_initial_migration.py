"""Regenerate migrations/versions/0001_initial.py from the models.

Only for the period before the first release, while no database in the field has the
schema; after that, add new revisions with `alembic revision --autogenerate` instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from communitas.db import MIGRATIONS_DIR, alembic_config

TARGET = MIGRATIONS_DIR / "versions" / "0001_initial.py"


def main() -> None:
    TARGET.unlink(missing_ok=True)
    later = sorted(p for p in TARGET.parent.glob("0*.py") if p != TARGET)
    with tempfile.TemporaryDirectory() as tmp:
        aside = [p.rename(Path(tmp) / p.name) for p in later]  # revisions built on 0001
        try:
            cfg = alembic_config(f"sqlite:///{Path(tmp) / 'empty.db'}")
            command.revision(cfg, message="initial schema", autogenerate=True,
                             rev_id="0001_initial")
        finally:
            for moved, original in zip(aside, later, strict=True):
                moved.rename(original)
    generated = next((MIGRATIONS_DIR / "versions").glob("0001_initial_*.py"))
    generated.rename(TARGET)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()

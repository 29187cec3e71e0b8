"""Regenerate the initial migration from the models (before the first release only)."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command

from advocacy.db import MIGRATIONS, alembic_config, make_engine

if __name__ == "__main__":
    for old in (MIGRATIONS / "versions").glob("*.py"):
        old.unlink()
    tmp = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/advocacy-regen.db")
    tmp.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    command.revision(alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001")

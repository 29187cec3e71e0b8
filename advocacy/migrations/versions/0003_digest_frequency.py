"""A member's digest frequency: every digest, alerts only, or a monthly summary. Existing members keep getting
every digest (the server default fills their rows).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("digest_frequency", sa.String(length=16), nullable=False, server_default="every"))


def downgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.drop_column("digest_frequency")

"""Delivery group: the key of the email a delivery will carry (members with equal keys share one email), so a
send can claim a provider request's worth of rows at a time, in group order, from several processes at once.
Adds a nullable column and an index; keeps every row (existing rows get no key and are sent ungrouped-safe).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(sa.Column("group_key", sa.String(40), nullable=True))
        batch_op.create_index("ix_delivery_claim", ["mailing_id", "status", "group_key", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_index("ix_delivery_claim")
        batch_op.drop_column("group_key")

"""Engagement: SendGrid's events per delivery, suppressed addresses, and the calls each district attended.
Only adds tables; keeps every row.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from advocacy.models.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engagement_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("mailing_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"], name="fk_engagement_event_delivery_id_delivery",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["mailing_id"], ["mailing.id"], name="fk_engagement_event_mailing_id_mailing",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name="fk_engagement_event_member_id_member",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_engagement_event"),
        sa.UniqueConstraint("event_id", name="uq_engagement_event_event_id"),
    )
    for column in ("event", "delivery_id", "mailing_id", "member_id"):
        op.create_index(f"ix_engagement_event_{column}", "engagement_event", [column])
    op.create_table(
        "suppression",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name="fk_suppression_member_id_member",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_suppression"),
        sa.UniqueConstraint("email", name="uq_suppression_email"),
    )
    op.create_index("ix_suppression_member_id", "suppression", ["member_id"])
    op.create_table(
        "call_attendance",
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("ticked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name="fk_call_attendance_call_id_call", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"], name="fk_call_attendance_district_id_district",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("call_id", "district_id", name="pk_call_attendance"),
    )


def downgrade() -> None:
    op.drop_table("call_attendance")
    op.drop_index("ix_suppression_member_id", table_name="suppression")
    op.drop_table("suppression")
    for column in ("event", "delivery_id", "mailing_id", "member_id"):
        op.drop_index(f"ix_engagement_event_{column}", table_name="engagement_event")
    op.drop_table("engagement_event")

"""Collaboratives: many on one host. A `collaborative` table; every table a collaborative owns gets
`collaborative_id` (and its unique keys become unique per collaborative); the tagger's verdict moves off the shared
`bill` into `bill_relevance`, one row per collaborative and bill. An existing database becomes collaborative 1
("default"), which holds every row it had: nothing is lost. Downgrading works while only collaborative 1 has rows.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OWNED = (
    "tag_assessment", "curation", "audit_entry", "district", "member", "member_alias", "staff_user", "mailing",
    "mailing_item", "delivery", "inbound_message", "call", "question", "question_bill", "agenda_item",
    "saved_search", "engagement_event", "suppression", "call_attendance", "action_template", "action_taken",
    "alert_reminder",
)
# table -> the columns that were unique on the whole database and are now unique within a collaborative
UNIQUE = {
    "tag_assessment": ("bill_id", "tag"), "curation": ("bill_id",), "district": ("name",), "member": ("email",),
    "member_alias": ("email",), "staff_user": ("email",), "mailing": ("key",), "inbound_message": ("sha256",),
    "call": ("starts_at",), "saved_search": ("name",), "engagement_event": ("event_id",),
    "suppression": ("email",), "action_template": ("bill_id",),
}


def _uq(table: str, columns: tuple[str, ...]) -> str:
    return f"uq_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    op.create_table(
        "collaborative",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_collaborative"),
        sa.UniqueConstraint("slug", name="uq_collaborative_slug"),
    )
    op.execute("INSERT INTO collaborative (id, slug, name, created_at) VALUES (1, 'default', '', CURRENT_TIMESTAMP)")
    if op.get_bind().dialect.name == "postgresql":  # the next collaborative must not collide with id 1
        op.execute("SELECT setval(pg_get_serial_sequence('collaborative', 'id'), 1)")
    for table in OWNED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("collaborative_id", sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET collaborative_id = 1")
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("collaborative_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(f"fk_{table}_collaborative_id_collaborative", "collaborative",
                                        ["collaborative_id"], ["id"])
            batch_op.create_index(f"ix_{table}_collaborative_id", ["collaborative_id"], unique=False)
            if table in UNIQUE:
                batch_op.drop_constraint(_uq(table, UNIQUE[table]), type_="unique")
                both = ("collaborative_id", *UNIQUE[table])
                batch_op.create_unique_constraint(_uq(table, both), list(both))
    _move_relevance_off_bill()
    # The search index is shared by the host: a collaborative's commentary is matched in its own rows instead.
    op.execute("UPDATE search_document SET commentary = '' WHERE commentary <> ''")


def _move_relevance_off_bill() -> None:
    op.create_table(
        "bill_relevance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("collaborative_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bill_id"], ["bill.id"], name="fk_bill_relevance_bill_id_bill", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["collaborative_id"], ["collaborative.id"],
                                name="fk_bill_relevance_collaborative_id_collaborative"),
        sa.PrimaryKeyConstraint("id", name="pk_bill_relevance"),
        sa.UniqueConstraint("collaborative_id", "bill_id", name="uq_bill_relevance_collaborative_id_bill_id"),
    )
    op.create_index("ix_bill_relevance_bill_id", "bill_relevance", ["bill_id"], unique=False)
    op.create_index("ix_bill_relevance_collaborative_id", "bill_relevance", ["collaborative_id"], unique=False)
    op.execute("INSERT INTO bill_relevance (bill_id, relevant, score, tagged_at, collaborative_id) "
               "SELECT id, relevant, relevance_score, tagged_at, 1 FROM bill "
               "WHERE tagged_at IS NOT NULL OR relevant")
    with op.batch_alter_table("bill") as batch_op:
        batch_op.drop_column("relevant")
        batch_op.drop_column("relevance_score")
        batch_op.drop_column("tagged_at")


def downgrade() -> None:
    with op.batch_alter_table("bill") as batch_op:
        batch_op.add_column(sa.Column("relevant", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("relevance_score", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE bill SET relevant = r.relevant, relevance_score = r.score, tagged_at = r.tagged_at "
               "FROM bill_relevance AS r WHERE r.bill_id = bill.id AND r.collaborative_id = 1")
    op.drop_table("bill_relevance")
    for table in reversed(OWNED):
        with op.batch_alter_table(table) as batch_op:
            if table in UNIQUE:
                batch_op.drop_constraint(_uq(table, ("collaborative_id", *UNIQUE[table])), type_="unique")
                batch_op.create_unique_constraint(_uq(table, UNIQUE[table]), list(UNIQUE[table]))
            batch_op.drop_index(f"ix_{table}_collaborative_id")
            batch_op.drop_constraint(f"fk_{table}_collaborative_id_collaborative", type_="foreignkey")
            batch_op.drop_column("collaborative_id")
    op.drop_table("collaborative")

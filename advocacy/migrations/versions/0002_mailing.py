"""Every outgoing email is a mailing: rename `digest` to `mailing`, `digest_item` to `mailing_item`, every
`digest_id` to `mailing_id` (with the indexes and constraints named after them), and give each delivery its
channel. Keeps every row.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Every table that points at a mailing: (name after the upgrade, unique with member_id, indexed, on delete)
REFERRERS = (
    ("mailing_item", False, True, "CASCADE"),
    ("delivery", True, True, "CASCADE"),
    ("action_taken", True, True, "CASCADE"),
    ("alert_reminder", False, False, "CASCADE"),
    ("inbound_message", False, False, None),
)
# The mailing tables' own foreign keys: (table after the upgrade, column, referred table)
OWN_KEYS = (("mailing", "bill_id", "bill"), ("mailing", "call_id", "call"),
            ("mailing_item", "bill_id", "bill"), ("mailing_item", "hearing_id", "hearing"))


def _names(old: str, new: str) -> list[tuple[str, str, str, str]]:
    """(table as it will be named, kind, old name, new name) of every index and constraint to rename."""
    out = []
    for name, unique, indexed, _ in REFERRERS:
        table, before = name.replace("mailing", new), name.replace("mailing", old)
        out.append((table, "fk", f"fk_{before}_{old}_id_{old}", f"fk_{table}_{new}_id_{new}"))
        if unique:
            out.append((table, "uq", f"uq_{before}_{old}_id_member_id", f"uq_{table}_{new}_id_member_id"))
        if indexed:
            out.append((table, "ix", f"ix_{before}_{old}_id", f"ix_{table}_{new}_id"))
    for name, column, target in OWN_KEYS:
        table, before = name.replace("mailing", new), name.replace("mailing", old)
        out.append((table, "fk", f"fk_{before}_{column}_{target}", f"fk_{table}_{column}_{target}"))
    for name in ("mailing", "mailing_item"):
        out.append((name.replace("mailing", new), "pk", f"pk_{name.replace('mailing', old)}", f"pk_{name.replace('mailing', new)}"))
    out.append((new, "uq", f"uq_{old}_key", f"uq_{new}_key"))
    return out


def _rename_postgresql(old: str, new: str) -> None:
    op.rename_table(old, new)
    op.rename_table(f"{old}_item", f"{new}_item")
    for name, *_ in REFERRERS:
        op.alter_column(name.replace("mailing", new), f"{old}_id", new_column_name=f"{new}_id")
    for table, kind, before, after in _names(old, new):
        if kind == "ix":
            op.execute(f"ALTER INDEX {before} RENAME TO {after}")
        else:
            op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {before} TO {after}")


def _rename_sqlite(old: str, new: str) -> None:
    """SQLite cannot rename a constraint: each table is rebuilt with the new names (foreign keys are off)."""
    op.rename_table(old, new)
    op.rename_table(f"{old}_item", f"{new}_item")
    names = _names(old, new)
    columns = {name.replace("mailing", new): f"{old}_id" for name, *_ in REFERRERS}
    own = {(t.replace("mailing", new), c): target.replace("mailing", new) for t, c, target in OWN_KEYS}
    ondelete = {name.replace("mailing", new): rule for name, _, _, rule in REFERRERS}
    for table in dict.fromkeys(t for t, *_ in names):
        mine = [n for n in names if n[0] == table]
        with op.batch_alter_table(table, recreate="always") as batch:
            for _, kind, before, _ in mine:
                if kind == "ix":
                    batch.drop_index(before)
                elif kind != "pk":
                    batch.drop_constraint(before, type_={"fk": "foreignkey", "uq": "unique"}[kind])
            if table in columns:
                batch.alter_column(columns[table], new_column_name=f"{new}_id")
        with op.batch_alter_table(table, recreate="always") as batch:
            for _, kind, _, after in mine:
                _create(batch, kind, after, table, new, own, ondelete.get(table))


def _create(batch, kind: str, name: str, table: str, new: str, own: dict, ondelete: str | None) -> None:  # type: ignore[no-untyped-def]
    if kind == "pk":
        batch.create_primary_key(name, ["id"])
    elif kind == "ix":
        batch.create_index(name, [f"{new}_id"])
    elif kind == "uq":
        batch.create_unique_constraint(name, ["key"] if name.endswith("_key") else [f"{new}_id", "member_id"])
    elif name.startswith(f"fk_{table}_{new}_id_"):
        batch.create_foreign_key(name, new, [f"{new}_id"], ["id"], ondelete=ondelete)
    else:
        column = next(c for (t, c) in own if t == table and name == f"fk_{table}_{c}_{own[(t, c)]}")
        batch.create_foreign_key(name, own[(table, column)], [column], ["id"])


def _rename(old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rename_sqlite(old, new)
    else:
        _rename_postgresql(old, new)


def upgrade() -> None:
    _rename("digest", "mailing")
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("channel", sa.String(16), nullable=False, server_default="email"))


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("channel")
    _rename("mailing", "digest")

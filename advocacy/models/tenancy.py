"""Many collaboratives on one host: which rows are whose, and the one place that scopes every query by it.

Shared (collected once per jurisdiction): sources, bills and all that hangs off them, legislators, locks and job
runs. Owned by one collaborative: every model that mixes in `Owned` (tags, curation, members, mailings,
deliveries, questions, calls, agendas, staff users, saved searches...).

A session from `scoped_sessions(engine, collaborative_id)` sees and writes only its collaborative's owned rows:
- reads, updates and deletes get `collaborative_id = <id>` added to every owned entity they touch, joins and
  relationship loads included (`do_orm_execute` with `with_loader_criteria`, SQLAlchemy's multi-tenant pattern);
- inserts are stamped by the column's default, which reads the id from the engine's execution options, so ORM
  flushes, bulk inserts and Core inserts through that session all get it. An insert of an owned row through an
  unscoped engine fails (`UnscopedWrite`) rather than land in no collaborative.
A route or a command never filters by collaborative itself: it gets its session from the App, which is bound to one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, ForeignKey, String, event, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, sessionmaker, with_loader_criteria

from advocacy.models.base import Base, utcnow

COLLABORATIVE = "advocacy_collaborative"  # the execution option (and Session.info key) naming the collaborative
DEFAULT_SLUG = "default"  # the collaborative a single-collaborative database was migrated into (id 1)


class UnscopedWrite(Exception):
    """An owned row was written through a session bound to no collaborative."""


class Collaborative(Base):
    __tablename__ = "collaborative"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _stamp(context: Any) -> int:
    collaborative = context.execution_options.get(COLLABORATIVE)
    if collaborative is None:
        raise UnscopedWrite("an owned row needs a session bound to a collaborative (App.sessions)")
    return int(collaborative)


class Owned:
    """Mixed into every model a collaborative owns: the column, its default, and so its scoping."""

    collaborative_id: Mapped[int] = mapped_column(ForeignKey("collaborative.id"), index=True, default=_stamp)


def collaborative_id(engine: Engine, slug: str, name: str = "") -> int:
    """The id of the collaborative called `slug`, added on first use (a new collaborative file on the host)."""
    with engine.begin() as conn:
        found = conn.scalar(select(Collaborative.id).where(Collaborative.slug == slug))
        if found is not None:
            return int(found)
    try:
        with engine.begin() as conn:
            return int(conn.execute(insert(Collaborative).values(slug=slug, name=name, created_at=utcnow())
                                    .returning(Collaborative.id)).scalar_one())
    except IntegrityError:  # another process added it first
        with engine.begin() as conn:
            return int(conn.execute(select(Collaborative.id).where(Collaborative.slug == slug)).scalar_one())


def scoped_sessions(engine: Engine, collaborative_id: int) -> sessionmaker[Session]:
    """Sessions that see and write only `collaborative_id`'s owned rows (shared rows are seen by all)."""
    bound = engine.execution_options(**{COLLABORATIVE: collaborative_id})
    return sessionmaker(bound, expire_on_commit=False, info={COLLABORATIVE: collaborative_id})


@event.listens_for(Session, "do_orm_execute")
def _scope(state: ORMExecuteState) -> None:
    collaborative = state.session.info.get(COLLABORATIVE)
    if collaborative is None or state.is_column_load or state.is_relationship_load:
        return  # relationship loads inherit the criteria of the statement that loaded their parent
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(with_loader_criteria(
            Owned, lambda cls: cls.collaborative_id == collaborative, include_aliases=True))

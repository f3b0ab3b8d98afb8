"""Database engine, sessions and the declarative base.

One engine per process, created lazily (so an rq worker creates its own after the fork). Services
take a `Session` and only flush; whoever opened the session commits (`session_scope`, or the
request dependency in the web layer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from infra.settings import get_settings

T = TypeVar("T")

# Stable constraint names on both PostgreSQL and SQLite, so migrations can drop what they create.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().sqlalchemy_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def insert_new(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bulk-insert the rows (dicts of `model`'s columns) whose `id` is not in the table yet;
    returns those. With ids derived from what caused a row, writing the same thing twice
    writes it once; under a race, the primary key refuses the second transaction."""
    unique = {r["id"]: r for r in rows}
    if not unique:
        return []
    known = set(session.scalars(select(model.id).where(model.id.in_(unique))))
    fresh = [r for i, r in unique.items() if i not in known]
    insert_rows(session, model, fresh)
    return fresh


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts of `model`'s columns) in one executemany, through the table's Core
    insert rather than the ORM's bulk insert: the same statement at a fraction of the Python
    cost a row (the recorder's largest cost; docs/benchmarks.md)."""
    if rows:
        session.execute(model.__table__.insert(), rows)


def insert_once(session: Session, row: T, find: Callable[[], T | None]) -> tuple[T, bool]:
    """Insert `row` unless `find()` already finds its twin. When two transactions race, the
    table's unique constraint decides: the loser's savepoint rolls back and it gets the winner's
    row. Returns (the row that stands, whether this call inserted it)."""
    existing = find()
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        winner = find()
        if winner is None:  # the constraint that fired was another one
            raise
        return winner, False
    return row, True


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def after_commit(session: Session, name: str, item: Any, run: Callable[[list[Any]], None]) -> None:
    """Hand `item` to `run` once this session commits, with every other item collected under
    `name` in the same transaction; a rollback forgets them. For what other processes must
    only see once the rows exist: a cache bump, a job that reads them."""
    pending = session.info.setdefault("onecode_after_commit", {})
    pending.setdefault(name, (run, []))[1].append(item)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for run, items in session.info.pop("onecode_after_commit", {}).values():
        run(items)


@event.listens_for(Session, "after_rollback")
def _forget_after_commit(session: Session) -> None:
    session.info.pop("onecode_after_commit", None)

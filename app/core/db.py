"""Declarative base, naming convention and the `@transactional` service decorator."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import ParamSpec, TypeVar

from sqlalchemy import DateTime, MetaData, Numeric
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

class Base(DeclarativeBase):
    """Base of every model; one metadata with a stable constraint naming convention."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={Decimal: Numeric(14, 2), datetime: DateTime(timezone=True)},
    )


P = ParamSpec("P")
R = TypeVar("R")


def transactional(func: Callable[P, R]) -> Callable[P, R]:
    """Run a service function in one transaction: commit on success, roll back on error.

    Nested calls join the outer transaction; only the outermost call commits.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from app.core.extensions import db

        session = db.session
        info = session.info
        depth = info.get("transactional_depth", 0)
        info["transactional_depth"] = depth + 1
        try:
            result = func(*args, **kwargs)
            if depth == 0:
                session.commit()
            return result
        except BaseException:
            if depth == 0:
                session.rollback()
            raise
        finally:
            info["transactional_depth"] = depth

    return wrapper


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the current transaction commits; it is dropped on rollback.

    This is how work is enqueued "only after the database commit": a worker must never
    pick up an id whose row it cannot see yet.
    """
    from app.core.extensions import db

    db.session.info.setdefault("after_commit", []).append(callback)


def _run_after_commit(session) -> None:
    callbacks = session.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


def _drop_after_commit(session) -> None:
    session.info.pop("after_commit", None)


def install_commit_hooks() -> None:
    """Wire `after_commit` into every SQLAlchemy session (called once by `create_app`)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _run_after_commit):
        event.listen(Session, "after_commit", _run_after_commit)
        event.listen(Session, "after_rollback", _drop_after_commit)


def insert_ignoring_duplicates(table, index_elements: list[str]):
    """An INSERT that silently skips rows whose unique key exists (PostgreSQL and SQLite)."""
    from app.core.extensions import db

    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing(index_elements=index_elements)


def on_postgresql() -> bool:
    """True when the session's database is PostgreSQL (some statements have a faster form there)."""
    from app.core.extensions import db

    return db.session.get_bind().dialect.name == "postgresql"


def commit_without_waiting_for_disk() -> None:
    """Let this transaction's COMMIT return before its WAL reaches the disk (PostgreSQL only).

    For work that a crash may lose without harm because it is redone or reconciled: a database
    crash can forget the last fraction of a second of such commits, never corrupt them, and any
    later ordinary commit (a claim) makes them durable first.
    """
    from sqlalchemy import text

    from app.core.extensions import db

    if on_postgresql():
        db.session.execute(text("SET LOCAL synchronous_commit = off"))


def among(column, values: list):
    """`column IN values`, sent as one array parameter on PostgreSQL.

    A long `IN (...)` list is a bind parameter per value: thousands of them make the statement
    slow to build, send and parse. `= ANY(array)` is one parameter however many values.
    """
    if on_postgresql():
        from sqlalchemy import any_, cast
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(cast(list(values), ARRAY(column.type)))
    return column.in_(list(values))


def _unicode_case(dbapi_connection, _record) -> None:
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        # SQLite's own lower()/upper() fold ASCII only; PostgreSQL folds every letter (Ł, Ś, Ż).
        dbapi_connection.create_function("lower", 1, _fold(str.lower), deterministic=True)
        dbapi_connection.create_function("upper", 1, _fold(str.upper), deterministic=True)


def _fold(method):
    return lambda value: method(value) if isinstance(value, str) else value


def install_sqlite_functions() -> None:
    """Make SQLite fold letter case like PostgreSQL, so text rules match the same rows on both."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _unicode_case):
        event.listen(Engine, "connect", _unicode_case)


def reads_outside_a_transaction(view: Callable[P, R]) -> Callable[P, R]:
    """Run a view that only reads with its statements outside a transaction (autocommit).

    For pages served many times a second: no BEGIN and COMMIT round trips, and PostgreSQL keeps
    the connection's prepared statements (psycopg forgets them on every ROLLBACK, so the page's
    statements would be planned again on the next request). Each statement sees what was committed
    when it started; a view that writes must not use it. Put it outermost, before any decorator
    that reads (the signed-in user is loaded on the connection it chooses).
    """

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from app.core.extensions import db

        session = db.session()
        if not session.in_transaction():
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return view(*args, **kwargs)

    return wrapper

"""The per-file SQLite writer queue: many writer threads, no "database is locked", no lost
rows, and the write turn always comes back (commit, rollback, failed statement, close)."""

from __future__ import annotations

import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from fincall.core.db import make_engine
from fincall.core.sqlite_writer import WriterLockedConnection, writer_lock


@pytest.fixture
def engine(tmp_path: Path):
    eng = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter (id, n) VALUES (1, 0)"))
        conn.execute(text("CREATE TABLE log (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
    yield eng
    eng.dispose()


def test_many_writer_threads_all_commit_in_turn(engine) -> None:
    """Read-modify-write under the write turn: 32 threads × 25 increments lose none, and
    none fails with "database is locked" (SQLite's own busy timeout is not what serialises
    them: the busy timeout is set to 0 here)."""

    def work(_: int) -> None:
        for _ in range(25):
            with engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA busy_timeout=0")
                conn.execute(text("UPDATE counter SET n = n WHERE id = 1"))  # takes the turn
                n = conn.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                conn.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
                conn.execute(text("INSERT INTO log (n) VALUES (:n)"), {"n": n + 1})

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(work, range(32)))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 32 * 25
        numbers = conn.execute(text("SELECT n FROM log ORDER BY n")).scalars().all()
    assert numbers == list(range(1, 32 * 25 + 1))


def _turn_is_free(engine) -> bool:
    lock = writer_lock(os.path.abspath(engine.url.database))
    if lock.acquire(timeout=0):
        lock.release()
        return True
    return False


def test_turn_returns_after_rollback_failed_statement_and_close(engine) -> None:
    with pytest.raises(ZeroDivisionError):
        with engine.begin() as conn:
            conn.execute(text("UPDATE counter SET n = 5 WHERE id = 1"))
            assert not _turn_is_free(engine)  # held while the write transaction is open
            raise ZeroDivisionError
    assert _turn_is_free(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 0  # rolled back

    with pytest.raises(Exception, match="UNIQUE|constraint"):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO counter (id, n) VALUES (1, 1)"))
    assert _turn_is_free(engine)

    raw = engine.raw_connection()
    raw.cursor().execute("UPDATE counter SET n = 7 WHERE id = 1")
    assert not _turn_is_free(engine)
    raw.invalidate()  # the DB-API connection is closed without a commit
    assert _turn_is_free(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 0


def test_reads_do_not_wait_for_the_write_turn(engine) -> None:
    with engine.begin() as writer:
        writer.execute(text("UPDATE counter SET n = 9 WHERE id = 1"))
        seen: list[int] = []
        reader = threading.Thread(
            target=lambda: seen.append(
                engine.connect().execute(text("SELECT n FROM counter")).scalar_one()
            )
        )
        reader.start()
        reader.join(timeout=10)
        assert seen == [0]  # WAL: the reader sees the last committed value, without waiting


def test_a_writer_that_never_gets_the_turn_fails_with_a_clear_error(tmp_path: Path) -> None:
    path = str(tmp_path / "t.db")
    lock = threading.Lock()
    a = sqlite3.connect(path, factory=WriterLockedConnection, check_same_thread=False)
    b = sqlite3.connect(path, factory=WriterLockedConnection, check_same_thread=False)
    a.setup_writer_lock(lock, 5.0)
    b.setup_writer_lock(lock, 0.05)
    a.cursor().execute("CREATE TABLE t (x INTEGER)")
    a.cursor().execute("INSERT INTO t VALUES (1)")  # a holds the turn until it commits
    with pytest.raises(sqlite3.OperationalError, match="no write turn"):
        b.execute("INSERT INTO t VALUES (2)")  # Connection.execute queues too
    a.commit()
    b.cursor().execute("INSERT INTO t VALUES (2)")
    b.commit()
    assert sorted(r[0] for r in a.cursor().execute("SELECT x FROM t")) == [1, 2]
    a.close()
    b.close()

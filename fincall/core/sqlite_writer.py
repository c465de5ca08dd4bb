"""One writer at a time per SQLite file, queued in the process instead of in SQLite.

SQLite lets one connection write at a time. A second writer gets SQLITE_BUSY and its busy
handler sleeps and polls (1, 2, 5 … 100 ms between tries), so under many concurrent writers
some wait seconds while others keep winning the lock. Here every connection of the process
takes a per-file lock just before its first write statement (the moment Python's sqlite3 opens
the transaction) and gives it back when the transaction ends: waiting writers queue on a
condition variable and get the database the moment it is free. Readers never take it (WAL
readers do not block writers). Another process on the same file still meets SQLite's own
locking and busy timeout, so correctness never depends on this lock, only the waiting does.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def writer_lock(database: str) -> threading.Lock:
    """The process-wide lock of one database file (by its path as given)."""
    with _locks_guard:
        return _locks.setdefault(database, threading.Lock())


def _writes(sql: str) -> bool:
    return sql.lstrip()[:7].upper().startswith(_WRITE_VERBS)


class WriterLockedConnection(sqlite3.Connection):
    """A sqlite3 connection that holds its file's writer lock while a write transaction runs."""

    _writer: threading.Lock | None = None
    _wait_s: float = 30.0
    _holding: bool = False

    def setup_writer_lock(self, lock: threading.Lock, wait_s: float) -> None:
        self._writer = lock
        self._wait_s = wait_s

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or WriterLockedCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        return self.cursor().executemany(sql, seq_of_parameters)

    def before_statement(self, sql: str) -> None:
        if self._writer is None or self._holding or not _writes(sql):
            return
        if not self._writer.acquire(timeout=self._wait_s):
            raise sqlite3.OperationalError(
                f"database is locked: no write turn within {self._wait_s:.0f} s"
            )
        self._holding = True

    def after_statement(self) -> None:
        # a failed first write, or a write in autocommit mode, leaves no transaction open
        if self._holding and not self.in_transaction:
            self._release()

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            assert self._writer is not None
            self._writer.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()


class WriterLockedCursor(sqlite3.Cursor):
    connection: WriterLockedConnection

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        conn = self.connection
        conn.before_statement(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            conn.after_statement()

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        conn = self.connection
        conn.before_statement(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            conn.after_statement()

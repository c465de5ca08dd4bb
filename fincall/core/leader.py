"""One node does it: a PostgreSQL session-level advisory lock elects the node that runs a
singleton job (routing dispatcher, campaign runner). On SQLite there is one process."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine


class LeaderLock:
    def __init__(self, engine: Engine, key: int) -> None:
        self.engine = engine
        self.key = key
        self._conn: Connection | None = None

    def held(self) -> bool:
        """Whether this node is (or has just become) the leader; cheap to call every tick."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._conn is None:
            self._conn = self.engine.connect()
        got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
        self._conn.commit()
        return bool(got)

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()  # ends the session, which frees the advisory lock
            self._conn = None

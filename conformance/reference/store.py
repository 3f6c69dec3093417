"""Where the reference server keeps values: in memory, or durably in SQLite."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import NamedTuple, Protocol


class Namespace(NamedTuple):
    """Upstream namespaces data by (app, acting user, prefix padded to 2 bytes)."""

    app: str
    user: str
    prefix: bytes


class Store(Protocol):
    def get(self, namespace: Namespace, key: bytes) -> bytes | None: ...

    def set(self, namespace: Namespace, key: bytes, value: bytes) -> None: ...

    def delete(self, namespace: Namespace, key: bytes) -> bool:
        """Remove the entry; True when it existed."""
        ...

    def close(self) -> None: ...


class MemoryStore:
    """A dict behind a lock; gone when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[tuple[Namespace, bytes], bytes] = {}

    def get(self, namespace: Namespace, key: bytes) -> bytes | None:
        with self._lock:
            return self._data.get((namespace, key))

    def set(self, namespace: Namespace, key: bytes, value: bytes) -> None:
        with self._lock:
            self._data[(namespace, key)] = value

    def delete(self, namespace: Namespace, key: bytes) -> bool:
        with self._lock:
            return self._data.pop((namespace, key), None) is not None

    def snapshot(self) -> dict[tuple[Namespace, bytes], bytes]:
        """A copy of every entry, for tests that check what a client left behind."""
        with self._lock:
            return dict(self._data)

    def close(self) -> None:
        pass


class SqliteStore:
    """One SQLite file; every statement commits (and syncs) before the server answers.

    A single connection behind a lock: SQLite serialises writers anyway, and one connection
    keeps the write-ahead log simple. ``synchronous=FULL`` makes each acknowledged set survive
    a crash of the process or the machine.
    """

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        # Autocommit (isolation_level=None): each statement is its own durable transaction.
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS kv (app TEXT NOT NULL, user TEXT NOT NULL,"
            " prefix BLOB NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
            " PRIMARY KEY (app, user, prefix, key)) WITHOUT ROWID"
        )

    def get(self, namespace: Namespace, key: bytes) -> bytes | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM kv WHERE app=? AND user=? AND prefix=? AND key=?",
                (*namespace, key),
            ).fetchone()
        return None if row is None else bytes(row[0])

    def set(self, namespace: Namespace, key: bytes, value: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO kv (app, user, prefix, key, value) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (app, user, prefix, key) DO UPDATE SET value=excluded.value",
                (*namespace, key, value),
            )

    def delete(self, namespace: Namespace, key: bytes) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM kv WHERE app=? AND user=? AND prefix=? AND key=?", (*namespace, key)
            )
        return cursor.rowcount > 0

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(spec: str) -> Store:
    """``memory`` or ``sqlite:PATH``, as given to ``--store``."""
    if spec == "memory":
        return MemoryStore()
    kind, _, path = spec.partition(":")
    if kind == "sqlite" and path:
        return SqliteStore(path)
    raise ValueError(f"store {spec!r} is neither 'memory' nor 'sqlite:PATH'")

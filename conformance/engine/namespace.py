"""The run's key namespace: every key it may address, and every key it wrote.

Each run has a marker (``kvc-<8 hex digits>``) that every key it touches contains; nothing
else is ever addressed. Every write attempt is noted before it is sent, with the identity
that sent it, so that the cleanup removes its effect whether or not an answer came back, with
one delete by that identity. A check's own delete that the server acknowledged removes the
entry from the ledger, unless it was written again since the delete was sent: the cleanup's
delete would be the same request again.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable, Iterable

Entry = tuple[int, str, str]  # (identity, prefix, key) of a write attempt


def new_marker() -> str:
    return f"kvc-{secrets.token_hex(4)}"


class RunNamespace:
    def __init__(self, marker: str | None = None) -> None:
        self.marker = marker or new_marker()
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._written: set[Entry] = set()
        self._versions: dict[Entry, int] = {}  # writes noted per entry

    def new_key(self, label: str = "") -> str:
        with self._lock:
            number = next(self._counter)
        return f"{self.marker}-{number}{label}"

    def guard(self, address: str, kv_root: str) -> None:
        """Refuse a key or URL outside the run's namespace; the bare KV root names none."""
        if self.marker not in address and address.rstrip("/") != kv_root:
            raise AssertionError(f"suite bug: {address!r} is outside this run's namespace")

    def note_write(self, entry: Entry) -> Callable[[], None]:
        """Note a write about to be sent; returns what withdraws the note if it never was
        (the run's clock refused it): the cleanup then has nothing to delete for it."""
        with self._lock:
            pending = entry in self._written
            self._written.add(entry)
            version = self._versions[entry] = self._versions.get(entry, 0) + 1

        def withdraw() -> None:
            with self._lock:
                if self._versions.get(entry) == version and not pending:
                    self._written.discard(entry)

        return withdraw

    def version(self, entry: Entry) -> int:
        """How many writes of ``entry`` were noted so far (taken before sending a delete)."""
        with self._lock:
            return self._versions.get(entry, 0)

    def forget(self, entry: Entry, version: int) -> None:
        """``entry``'s delete, sent when it had ``version`` writes, was acknowledged: nothing
        is left to clean up unless it was written since. Only for deletes that no write of
        the same entry was in flight with (one thread's own keys)."""
        with self._lock:
            if self._versions.get(entry, 0) == version:
                self._written.discard(entry)

    def take(self, entries: Iterable[Entry] | None = None) -> set[Entry]:
        """Remove and return the noted writes among ``entries`` (default: all), to delete."""
        with self._lock:
            chosen = set(self._written) if entries is None else set(entries) & self._written
            self._written -= chosen
        return chosen

    @property
    def pending(self) -> int:
        """Entries noted and not (yet) deleted."""
        with self._lock:
            return len(self._written)

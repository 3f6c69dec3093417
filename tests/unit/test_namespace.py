"""The run's ledger of writes: what the cleanup must delete, and what it need not."""

from __future__ import annotations

from conformance.engine.namespace import RunNamespace

ENTRY = (0, "", "kvc-1-key")


def test_a_write_refused_before_sending_leaves_nothing_to_delete() -> None:
    namespace = RunNamespace()
    withdraw = namespace.note_write(ENTRY)
    withdraw()
    assert namespace.pending == 0


def test_a_withdrawn_write_keeps_an_earlier_one() -> None:
    namespace = RunNamespace()
    namespace.note_write(ENTRY)  # sent: the server may hold it
    namespace.note_write(ENTRY)()  # refused before sending
    assert namespace.take() == {ENTRY}


def test_an_acknowledged_delete_forgets_the_entry_unless_written_since() -> None:
    namespace = RunNamespace()
    namespace.note_write(ENTRY)
    namespace.forget(ENTRY, namespace.version(ENTRY))
    assert namespace.pending == 0
    namespace.note_write(ENTRY)
    before = namespace.version(ENTRY)
    namespace.note_write(ENTRY)  # written again while the delete was in flight
    namespace.forget(ENTRY, before)
    assert namespace.take() == {ENTRY}

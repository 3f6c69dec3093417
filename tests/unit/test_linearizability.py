"""The linearizability checker on hand-made histories of one key."""

from __future__ import annotations

import random

from conformance.engine.linearizability import Operation, check, minimal_violation, timeline


def op(
    client: str, kind: str, value: str | None, invoked: float, completed: float | None
) -> Operation:
    return Operation(client, kind, value, invoked, completed)  # type: ignore[arg-type]


def test_sequential_history_is_linearizable() -> None:
    history = [
        op("A", "get", None, 0, 1),
        op("A", "set", "x", 2, 3),
        op("A", "get", "x", 4, 5),
        op("A", "delete", None, 6, 7),
        op("A", "get", None, 8, 9),
    ]
    assert check(history).outcome == "linearizable"


def test_read_of_old_value_after_acknowledged_set_is_not() -> None:
    history = [op("A", "set", "x", 0, 1), op("A", "set", "y", 2, 3), op("B", "get", "x", 4, 5)]
    assert check(history).outcome == "not linearizable"


def test_overlapping_operations_may_take_effect_in_either_order() -> None:
    history = [
        op("A", "set", "x", 0, 10),
        op("B", "set", "y", 1, 9),
        op("C", "get", "x", 11, 12),  # x last: possible, the two sets overlapped
        op("D", "get", "x", 13, 14),
    ]
    assert check(history).outcome == "linearizable"
    flipped = [*history[:2], op("C", "get", "x", 11, 12), op("D", "get", "y", 13, 14)]
    assert check(flipped).outcome == "not linearizable"


def test_read_concurrent_with_a_write_sees_old_or_new() -> None:
    base = [op("A", "set", "x", 0, 1), op("A", "set", "y", 2, 8)]
    for seen in ("x", "y"):
        assert check([*base, op("B", "get", seen, 3, 4)]).outcome == "linearizable"
    # ... but not the new one, then the old one again (no time travel).
    travel = [*base, op("B", "get", "y", 3, 4), op("B", "get", "x", 5, 6)]
    assert check(travel).outcome == "not linearizable"


def test_value_never_written_is_not() -> None:
    assert check([op("A", "get", "ghost", 0, 1)]).outcome == "not linearizable"


def test_read_absent_before_first_write_and_after_delete() -> None:
    history = [
        op("A", "get", None, 0, 1),
        op("A", "set", "x", 2, 3),
        op("B", "delete", None, 4, 5),
        op("A", "get", "x", 6, 7),  # the delete was acknowledged before: stale
    ]
    assert check(history).outcome == "not linearizable"
    assert check([*history[:3], op("A", "get", None, 6, 7)]).outcome == "linearizable"


def test_unknown_outcome_may_take_effect_late_or_never() -> None:
    lost = op("A", "set", "x", 0, None)  # timed out
    assert check([lost, op("B", "get", "x", 10, 11)]).outcome == "linearizable"
    assert check([lost, op("B", "get", None, 10, 11)]).outcome == "linearizable"
    # It cannot take effect before it was sent.
    assert check([op("B", "get", "x", 0, 1), op("A", "set", "x", 2, None)]).outcome == (
        "not linearizable"
    )


def test_budget_exhausted_is_unknown() -> None:
    history = [op(f"C{i}", "set", f"v{i}", 0, 100) for i in range(12)]
    history.append(op("R", "get", "nope", 101, 102))
    assert check(history, budget=50).outcome == "unknown"


def test_random_histories_from_a_real_register_are_linearizable() -> None:
    """Histories produced by an atomic register, with overlap, always pass."""
    rng = random.Random(5)
    for _ in range(200):
        state: str | None = None
        history = []
        clock = 0.0
        for n in range(30):
            kind = rng.choice(["set", "get", "delete"])
            invoked = clock + rng.random()
            effect = invoked + rng.random()
            completed = effect + rng.random() * 3  # answers arrive late: overlap
            if kind == "set":
                state = f"v{n}"
                history.append(op("A", "set", state, invoked, completed))
            elif kind == "delete":
                state = None
                history.append(op("A", "delete", None, invoked, completed))
            else:
                history.append(op("A", "get", state, invoked, completed))
            clock = effect
        assert check(history).outcome == "linearizable"


def test_minimal_violation_keeps_only_what_explains_it() -> None:
    history = [
        op("A", "set", "a", 0, 1),
        op("B", "get", "a", 2, 3),
        op("A", "set", "b", 4, 5),
        op("C", "get", "b", 5.5, 6),
        op("B", "get", "a", 7, 8),  # stale: b was acknowledged at 5
        op("A", "set", "c", 9, 10),
        op("B", "get", "c", 11, 12),
    ]
    minimal = minimal_violation(history)
    assert [o.describe() for o in minimal] == ["set a", "set b", "get -> a"]
    lines = timeline(minimal)
    assert lines[0] == "    0.00 ..  1000.00 ms  A     set a"  # times are seconds
    assert lines[-1] == " 7000.00 ..  8000.00 ms  B     get -> a"

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


def test_minimal_violation_never_blames_a_read_its_concurrent_set_explains() -> None:
    # The read at 0 returns x, which the set invoked at 1 (while the read was open) legally
    # explains; the violation is the read at 6, of x after y was acknowledged.
    history = [
        op("A#1", "get", "x", 0, 2),
        op("A#2", "set", "x", 1, 3),
        op("A#3", "set", "y", 4, 5),
        op("A#1", "get", "x", 6, 7),
    ]
    minimal = minimal_violation(history)
    assert [(o.client, o.describe()) for o in minimal] == [
        ("A#2", "set x"),
        ("A#3", "set y"),
        ("A#1", "get -> x"),
    ]
    assert check(minimal).outcome == "not linearizable"


def test_minimal_violation_keeps_the_delete_an_absent_read_may_have_seen() -> None:
    # The absent read at 4 is explained by the delete concurrent with it; what is impossible
    # is the read at 8, of x after z was acknowledged.
    history = [
        op("A#1", "set", "x", 0, 1),
        op("A#2", "delete", None, 2, 5),
        op("A#3", "get", None, 4, 6),
        op("A#1", "set", "z", 6.5, 7),
        op("A#3", "get", "x", 8, 9),
    ]
    minimal = minimal_violation(history)
    assert check(minimal).outcome == "not linearizable"
    described = [o.describe() for o in minimal]
    assert "get -> x" in described
    assert "set x" in described
    if "get -> absent" in described:  # then the delete that explains it is shown too
        assert "delete" in described


def test_a_minimal_violation_is_a_violation_of_the_whole() -> None:
    # Random histories of a faulty register (reads may return any earlier value): whatever
    # part is shown, it keeps every set whose value it shows read.
    rng = random.Random(5)
    for _ in range(200):
        history: list[Operation] = []
        values: list[str | None] = [None]
        t = 0.0
        for n in range(8):
            start = t + rng.random()
            end = start + rng.random() * 2
            kind = rng.choice(["set", "get", "delete"])
            if kind == "set":
                values.append(f"v{n}")
                history.append(op(f"C{n % 3}", "set", f"v{n}", start, end))
            elif kind == "get":
                history.append(op(f"C{n % 3}", "get", rng.choice(values), start, end))
            else:
                history.append(op(f"C{n % 3}", "delete", None, start, end))
            t = start
        if check(history).outcome != "not linearizable":
            continue
        minimal = minimal_violation(history)
        assert check(minimal).outcome == "not linearizable"
        shown = {o.value for o in minimal if o.kind == "set"}
        read = {o.value for o in minimal if o.kind == "get" and o.value is not None}
        # A read of a value no set wrote is shown only where the whole has no such set.
        assert read - shown <= read - {o.value for o in history if o.kind == "set"}

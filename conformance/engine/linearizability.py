"""Is a concurrent history of one key linearizable? (Wing & Gong's search with Lowe's
memoisation, as in Knossos and Porcupine, for a register with set, get and delete.)

Each operation has the time it was invoked and the time its answer arrived. The history is
linearizable when every operation can be placed at one instant between those two times so
that, in that order, each get returns what the last set left (or absent after a delete or at
the start). An operation whose outcome is unknown (it timed out) may take effect at any instant
after its invocation, or never. Sets write unique values, which keeps the search small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["set", "get", "delete"]
Outcome = Literal["linearizable", "not linearizable", "unknown"]
ABSENT = None
DEFAULT_BUDGET = 200_000  # search steps before giving up with "unknown"


@dataclass(frozen=True)
class Operation:
    client: str  # who issued it, e.g. "A#2"
    kind: Kind
    value: str | None  # set: the value written; get: the value read (None: absent)
    invoked: float
    completed: float | None  # None: the outcome is unknown (timeout, dropped connection)

    def describe(self) -> str:
        shown = "absent" if self.value is None else self.value
        if self.kind == "set":
            return f"set {shown}"
        if self.kind == "get":
            return f"get -> {shown}"
        return "delete"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    steps: int


def check(history: Sequence[Operation], budget: int = DEFAULT_BUDGET) -> Verdict:
    """Search for a linearization of the history, starting from an absent key."""
    # Reads whose answer never came tell nothing; drop them.
    ops = [op for op in history if not (op.kind == "get" and op.completed is None)]
    if not ops:
        return Verdict("linearizable", 0)
    # Events in time order; at equal times, invocations first (the operations overlap).
    events: list[tuple[float, int, int]] = []
    for index, op in enumerate(ops):
        events.append((op.invoked, 0, index))
        events.append((op.completed if op.completed is not None else float("inf"), 1, index))
    events.sort()
    count = len(events)
    # A doubly linked list over the events, so placed operations can be lifted out and put
    # back; head and tail are sentinels.
    head, tail = count, count + 1
    nxt = [*range(1, count), tail, 0, -1]
    prv = [head, *range(count - 1), -1, count - 1]
    call_at: dict[int, int] = {}
    return_at: dict[int, int] = {}
    for position, (_, is_return, index) in enumerate(events):
        (return_at if is_return else call_at)[index] = position

    def lift(position: int) -> None:
        nxt[prv[position]] = nxt[position]
        prv[nxt[position]] = prv[position]

    def unlift(position: int) -> None:
        prv[nxt[position]] = position
        nxt[prv[position]] = position

    state: str | None = ABSENT
    linearized = 0  # bit i: operation i has been placed
    seen: set[tuple[int, str | None]] = set()
    stack: list[tuple[int, str | None]] = []  # (operation index, state before it)
    position = nxt[head]
    steps = 0
    while nxt[head] != tail:
        steps += 1
        if steps > budget:
            return Verdict("unknown", steps)
        _, is_return, index = events[position]
        op = ops[index]
        if is_return and op.completed is None:
            # Only operations of unknown outcome remain: they may never have taken effect.
            return Verdict("linearizable", steps)
        if not is_return:
            allowed, after = _apply(state, op)
            marked = linearized | (1 << index)
            if allowed and (marked, after) not in seen:
                seen.add((marked, after))
                stack.append((index, state))
                state, linearized = after, marked
                lift(call_at[index])
                lift(return_at[index])
                position = nxt[head]
            else:
                position = nxt[position]
            continue
        # The answer of an operation not yet placed: undo the last placement and try on.
        if not stack:
            return Verdict("not linearizable", steps)
        index, state = stack.pop()
        linearized &= ~(1 << index)
        unlift(return_at[index])
        unlift(call_at[index])
        position = nxt[call_at[index]]
    return Verdict("linearizable", steps)


def _apply(state: str | None, op: Operation) -> tuple[bool, str | None]:
    if op.kind == "set":
        return True, op.value
    if op.kind == "delete":
        return True, ABSENT
    return op.value == state, state


def minimal_violation(
    history: Sequence[Operation], budget: int = DEFAULT_BUDGET
) -> list[Operation]:
    """A smallest part of a non-linearizable history that is itself not linearizable, and
    shows why the whole is not: each operation left is needed, and none was left out that
    could explain a read in it.

    Leaving out an operation is sound when no read kept could have seen it: any other get
    (a linearization of the whole, restricted, is one of the part), and any write but the
    set each kept read returned (sets write unique values, so that set is the last write
    before the read in every linearization) and a delete that might explain an absent read
    (one invoked before that read was answered)."""
    kept = [op for op in history if not (op.kind == "get" and op.completed is None)]
    # The first answers that make it impossible: the shortest prefix by invocation that,
    # with the writes its reads need, is not linearizable.
    ordered = sorted(kept, key=lambda op: op.invoked)
    for end in range(1, len(ordered) + 1):
        trial = _with_what_reads_need(ordered[:end], ordered)
        if check(trial, budget).outcome == "not linearizable":
            kept = trial
            break
    for _ in range(3):  # a few passes; each removal is rechecked, so the result stays valid
        changed = False
        for op in list(reversed(kept)):
            if _needed_by_a_read(op, kept):
                continue
            trial = [o for o in kept if o is not op]
            if check(trial, budget).outcome == "not linearizable":
                kept = trial
                changed = True
        if not changed:
            break
    return sorted(kept, key=lambda op: op.invoked)


def _needed_by_a_read(op: Operation, part: Sequence[Operation]) -> bool:
    """Whether a get of ``part`` may have seen write ``op``: its value, or its delete."""
    if op.kind == "set":
        return any(o.kind == "get" and o.value == op.value for o in part)
    if op.kind == "delete":
        return any(
            o.kind == "get"
            and o.value is ABSENT
            and o.completed is not None
            and op.invoked < o.completed
            for o in part
        )
    return False


def _with_what_reads_need(
    part: Sequence[Operation], history: Sequence[Operation]
) -> list[Operation]:
    """``part`` and every write of ``history`` that one of its gets may have seen."""
    chosen = {id(op) for op in part}
    return [op for op in history if id(op) in chosen or _needed_by_a_read(op, part)]


def timeline(ops: Sequence[Operation]) -> list[str]:
    """Operations as lines of a timeline, times in ms from the first invocation."""
    if not ops:
        return []
    origin = min(op.invoked for op in ops)
    lines = []
    for op in sorted(ops, key=lambda o: o.invoked):
        start = (op.invoked - origin) * 1000
        end = "   ?    " if op.completed is None else f"{(op.completed - origin) * 1000:8.2f}"
        lines.append(f"{start:8.2f} .. {end} ms  {op.client:5} {op.describe()}")
    return lines

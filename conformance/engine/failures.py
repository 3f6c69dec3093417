"""What a check raises: a failure that explains itself to the server's author."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.engine.requirements import Requirement
from conformance.wire.exchange import Exchange, curl_on_one_connection
from conformance.wire.framing import out_of_step

MAX_STEPS_SHOWN = 30
MAX_REASON = 300  # characters of a failure's one-line reason


class RequirementFailure(AssertionError):
    """A requirement was not met: id, level, statement, expected vs received, reproduction."""

    def __init__(
        self,
        requirement: Requirement,
        expected: str,
        received: str,
        steps: Sequence[Exchange] = (),
    ) -> None:
        self.requirement = requirement
        self.expected = expected
        self.received = received
        self.steps = tuple(steps)
        self.example: dict[str, object] | None = None  # set when Hypothesis drew the input
        super().__init__(self.render())

    @property
    def reason(self) -> str:
        """The failure in one line, for the summary and the requirement matrix."""
        line = f"expected {self.expected}; received {self.received}"
        line = " ".join(line.split())
        return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"

    def render(self) -> str:
        lines = [
            self.requirement.title(),
            f"  Expected: {self.expected}",
            f"  Received: {self.received}",
        ]
        if self.steps:
            shown = self.steps[-MAX_STEPS_SHOWN:]
            skipped = len(self.steps) - len(shown)
            variables = sorted({variable for step in shown for variable in step.variables()})
            hint = f" (set {' and '.join(variables)} first)" if variables else ""
            lines.append(f"  Reproduce with{hint}:")
            if skipped:
                lines.append(f"    ({skipped} earlier requests of this check not shown)")
            for number, step in enumerate(shown, start=skipped + 1):
                lines.append(f"    {number}. {step.curl()}")
                lines.append(f"       -> {step.summary()}")
            lines.extend(_connection_lines(shown[-1]))
        return "\n".join(lines)


def _connection_lines(last: Exchange) -> list[str]:
    """Where the answer may belong to another request: why, and the requests as they went
    over the one connection (separate curl commands open one each and show nothing)."""
    first = last.misread or last  # the answer on the shared connection, if sent again
    note = out_of_step(first)
    if note is None:
        return []
    # Sent again after a stray answer, the request gets the extra one.
    together = [first, first] if first.stray or first.previous is None else [first.previous, first]
    return [
        f"  Connection: {note}",
        "  Reproduce on one connection (bash):",
        f"    {curl_on_one_connection(together)}",
    ]


class NotTested(Exception):
    """The requirement cannot be judged with this configuration (e.g. only one token)."""


class OutOfTime(NotTested):
    """The run reached --max-duration (raised by the run clock): a request was not sent, or
    was cut short by the run's limit rather than by --kv-timeout, so it says nothing about the
    server. (Raised inside Hypothesis, it may come out wrapped: the plugin looks for it in
    causes and groups.)"""

    def __init__(self) -> None:
        super().__init__("not finished: the run reached --max-duration")


class Stopped(NotTested):
    """The run stopped its checks: the server left too many requests without an answer
    (``--kv-unanswered-limit``), so what a check would make of the next one says nothing
    about its own requirement."""


class Unsupported(Exception):
    """The server does not offer the optional feature this requirement concerns."""


class NotApplicable(Exception):
    """The server never reached the situation the requirement governs (an oversize value it
    stored whole cannot leave an old value behind), as another requirement allows."""

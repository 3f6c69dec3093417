"""A failure's text (``RequirementFailure.render()`` as the plugin reports it) read back into
its parts, for the HTML report's Failures block: what was expected and received, whole and
with their line breaks, and every step of the reproduction with its answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "  Expected: ..." / "  Received: ...": the first line of each; more lines follow indented.
EXPECTED, RECEIVED = "  Expected: ", "  Received: "
# "  Reproduce with (set $KV_TOKEN first):"
HEADING = re.compile(r"^  (Reproduce with\b.*?):?$")
# A numbered step, "1. curl ..." (or "1. python3 -c ... | curl ..." for a binary body).
STEP = re.compile(r"^\d+\. ")
# After the steps, when the answer may belong to another request: why, and one command that
# sends the requests over one connection as the suite did.
CONNECTION = "  Connection: "


@dataclass(frozen=True)
class FailureText:
    """What a failure's text says, in the report's terms."""

    expected: str  # whole, line breaks kept, continuation lines dedented
    received: str
    heading: str  # "Reproduce with (set $KV_TOKEN first)", or "" without steps
    steps: tuple[str, ...]  # the reproduction's lines: "1. curl ...", "   -> 200 ...", ...
    step_count: int  # numbered steps among them
    test: str  # node id of the test whose failure this is


def read_failure(text: str, requirement_id: str, nodeid: str) -> FailureText | None:
    """The parts of ``requirement_id``'s failure in ``text`` (a test's report may hold two:
    its own check's, then HTTP-01's); None when the text is not a requirement failure."""
    # Only \n ends a line: a body in a curl line may hold U+2028 and the like, which
    # str.splitlines() would also split at.
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith(f"{requirement_id} (")), 0)
    at = next((i for i in range(start, len(lines)) if lines[i].startswith(EXPECTED)), None)
    if at is None:
        return None
    expected, at = _field(lines, at, EXPECTED)
    if at >= len(lines) or not lines[at].startswith(RECEIVED):
        return None
    received, at = _field(lines, at, RECEIVED)
    heading = ""
    steps: list[str] = []
    if at < len(lines) and (match := HEADING.match(lines[at])):
        heading = match[1]
        at += 1
        while at < len(lines) and lines[at].startswith("    "):
            steps.append(lines[at][4:])
            at += 1
        # The one-connection command: its note, its heading, its line.
        if at < len(lines) and lines[at].startswith(CONNECTION):
            steps.append(lines[at][2:])
            at += 1
            while at < len(lines) and lines[at].startswith("  "):
                steps.append(lines[at].strip())
                at += 1
    count = sum(1 for line in steps if STEP.match(line))
    return FailureText(expected, received, heading, tuple(steps), count, nodeid)


def _field(lines: list[str], at: int, label: str) -> tuple[str, int]:
    """A field's text from its first line through its continuation lines (indented deeper
    than the field's label); the index of the line after it."""
    parts = [lines[at][len(label) :]]
    at += 1
    while at < len(lines) and lines[at].startswith("   "):
        parts.append(lines[at])
        at += 1
    if len(parts) > 1:
        # Keep the continuation's own layout (a timeline's columns), less its common indent.
        indent = min(
            (len(part) - len(part.lstrip()) for part in parts[1:] if part.strip()), default=0
        )
        parts[1:] = [part[indent:] for part in parts[1:]]
    return "\n".join(parts), at

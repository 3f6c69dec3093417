"""The closing lines of a run in the terminal, rendered from the run record."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.engine.record import RunRecord
from conformance.engine.verdicts import VERDICTS


@dataclass(frozen=True)
class Line:
    text: str
    bold: bool = False


def verdict_lines(record: RunRecord) -> list[str]:
    """One line per judged requirement: verdict, id, level, statement, reason."""
    return [
        f"{entry.verdict.upper():14} {entry.id:8} {entry.level:6} {entry.statement}"
        + (f"  [{entry.reason}]" if entry.reason and entry.verdict != "pass" else "")
        for entry in record.requirements
    ]


def closing_lines(record: RunRecord) -> list[Line]:
    """The run's verdict and what to do next: incomplete, cleanup, seed, baseline, tokens."""
    settings = record.settings
    lines: list[Line] = [Line(f"Warning: {text}.", bold=True) for text in record.warnings]
    if record.incomplete_reason:
        lines.append(Line(f"Incomplete run: {record.incomplete_reason}."))
    counts = ", ".join(f"{record.count(v)} {v}" for v in VERDICTS if record.count(v))
    lines.append(Line(f"{record.verdict} ({settings.profile} profile): {counts}", bold=True))
    cleanup = record.facts
    if cleanup.left_behind:
        lines.append(
            Line(
                f"Cleanup: {cleanup.left_behind} keys of this run may be left behind (their "
                f"deletes got no answer, or 502-504, three times); each contains "
                f"{', '.join(cleanup.markers)}."
            )
        )
    lines.append(Line(f"Traffic: {record.traffic}."))
    lines.append(Line(f"Seed {settings.seed}: rerun with --seed {settings.seed}."))
    comparison = record.comparison
    if comparison is not None and settings.baseline is not None:
        lines.append(
            Line(
                f"Against the baseline {settings.baseline.path}: regressions "
                f"{len(comparison.regressions)}, known failures {len(comparison.known)}, "
                f"improvements {len(comparison.improvements)}."
            )
        )
        for title, changes in (
            ("Regression", comparison.regressions),
            ("Known", comparison.known),
            ("Improvement", comparison.improvements),
        ):
            lines.extend(
                Line(f"  {title}: {change.id} was {change.before}, is {change.after}")
                for change in changes
            )
    if record.count("not tested") and len(record.tokens) < 2:
        lines.append(
            Line(
                "Some requirements were not tested: give --token twice, with tokens of two "
                "different users, for a conformance verdict."
            )
        )
    return lines

"""A run's lines in the terminal: the opening line, and the closing lines rendered from the
run record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from conformance.engine.config import Settings
from conformance.engine.record import RunRecord
from conformance.engine.verdicts import VERDICTS


@dataclass(frozen=True)
class Line:
    text: str
    bold: bool = False


def opening_line(
    settings: Settings, *, url: str | None, proxy: str | None, markers: str | Mapping[str, str]
) -> str:
    """Where the run goes, how, its seed and its run marker: one ``markers`` string, or one
    per xdist worker (worker id -> marker). ``url`` is None when each worker has an embedded
    server of its own, on a port the controller does not know."""
    where = "embedded reference server" if settings.embedded else "target"
    where += f" {url}" if url is not None else " (one per worker, each on its own port)"
    faults = settings.reference_faults
    if faults:
        where += f" with faults {', '.join(faults)}"
    if settings.reference_latency_ms:
        where += f" {settings.reference_latency_ms:g} ms away (--kv-reference-latency)"
    if proxy is not None:
        where += f" via proxy {proxy}"
    if not settings.embedded and settings.network.insecure:
        where += " (TLS certificates NOT verified: --kv-insecure)"
    if isinstance(markers, str):
        marked = f"run marker {markers}"
    else:
        by_worker = ", ".join(f"{marker} ({worker})" for worker, marker in markers.items())
        marked = f"{len(markers)} workers, run markers {by_worker}"
    return (
        f"kv-conformance: {where}, profile {settings.profile}, seed {settings.seed} "
        f"(rerun with --seed {settings.seed}), {marked}"
    )


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

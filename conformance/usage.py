"""``kv-conformance --help``: the suite's own options first, and briefly.

The options come from their one definition (``conformance/plugin/options.py``); pytest's
whole help, which lists every option of pytest and its plugins, is behind ``--help-pytest``.
"""

from __future__ import annotations

import textwrap

from conformance.plugin.options import OPTIONS

HELP_PYTEST = "--help-pytest"
# The option column, as argparse lays it out: the help starts at this column, or on the next
# line when the option is longer.
_INDENT, _COLUMN = 2, 26

_ABOUT = (
    "Runs the conformance suite for the key-value HTTP API of the Mattermost Apps framework "
    "against the server at --target-url, or, without it, against an embedded reference "
    "server, and gives each requirement a verdict. Exit status: 0 conformant, 1 a "
    "requirement failed, 2 the run could not judge (bad options, a target that cannot be "
    "tested, requirements not tested, an interrupted run)."
)
# Options of kv-conformance itself and the pytest options users most often need; the rest of
# pytest's are behind --help-pytest.
_OWN = (
    ("-h, --help", "this help"),
    (
        HELP_PYTEST,
        "pytest's full help: every option of pytest and its plugins, which kv-conformance "
        "passes on to pytest",
    ),
    ("-V, --version", "the suite's version, then pytest's, Hypothesis' and schemathesis'"),
    (
        "-k EXPRESSION",
        "run only the checks whose names match; the run's verdict is then PARTIAL at best",
    ),
    ("-n N", "spread the checks over N worker processes (needs the parallel extra, pytest-xdist)"),
)
_REPORTS = (
    "The verdicts, the traffic and the seed are printed in the terminal. Report files are "
    "written only where you ask for them:"
)
_REPORT_OPTIONS = (
    ("--kv-summary=PATH", "the JSON summary"),
    ("--junitxml=PATH", "JUnit XML, for CI"),
    ("--html=PATH --self-contained-html", "the HTML report (one file)"),
)
_EXAMPLES = (
    (
        "the embedded reference server, which conforms",
        ("kv-conformance",),
    ),
    (
        "your server: tokens of two different users, all three reports",
        (
            "kv-conformance --target-url https://chat.example.com \\",
            '    --token "$TOKEN_OF_USER_1" --token "$TOKEN_OF_USER_2" \\',
            "    --kv-summary=reports/summary.json --junitxml=reports/junit.xml \\",
            "    --html=reports/report.html --self-contained-html",
        ),
    ),
    (
        "what a failure looks like: a fault in the embedded server",
        ("kv-conformance --kv-reference-fault delete-is-noop -k deleted_key",),
    ),
)


def short_help(width: int = 100) -> str:
    """The text of ``kv-conformance --help``, wrapped to ``width`` columns."""
    width = max(width, 60)
    lines = ["usage: kv-conformance [options] [pytest options]", ""]
    lines += textwrap.wrap(_ABOUT, width, break_on_hyphens=False)
    lines += ["", "Options of the suite (pytest --help lists them too):"]
    for option in OPTIONS:
        lines += _entry(option.shown, option.help, width)
    lines += ["", "Other options:"]
    for shown, text in _OWN:
        lines += _entry(shown, text, width)
    lines += [""]
    lines += textwrap.wrap(_REPORTS, width, break_on_hyphens=False)
    for shown, text in _REPORT_OPTIONS:
        lines += _entry(shown, text, width, column=_INDENT + 36)
    lines += ["", "Examples:"]
    for about, command in _EXAMPLES:
        lines += [f"  # {about}", *(f"  {line}" for line in command)]
    return "\n".join(lines) + "\n"


def _entry(shown: str, text: str, width: int, column: int = _COLUMN) -> list[str]:
    """One option and its help, argparse-style: the help in a column of its own."""
    head = " " * _INDENT + shown
    rest = textwrap.wrap(text, width - column, break_on_hyphens=False) or [""]
    if len(head) + 2 <= column:
        first = [head.ljust(column) + rest[0]]
        rest = rest[1:]
    else:
        first = [head]
    return first + [" " * column + line for line in rest]

"""A run that stopped before any check (bad configuration, a target that cannot be tested):
one sentence in the terminal, and every output still written and saying it.

The sentence becomes an error of a pseudo-test, ``kv-conformance::configuration``, reported
to the other plugins as a test's setup error, so that JUnit XML records it and the HTML
report lists it; the JSON summary gets verdict ERROR with the sentence as its reason; the
HTML report says it above everything else (``conformance.report.html``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

EXIT_CONFIGURATION = 2
STOPPED: pytest.StashKey[str] = pytest.StashKey()  # the sentence the run stopped with
NODE_ID = "kv-conformance::configuration"


def stop_for_configuration(config: pytest.Config, sentence: str) -> NoReturn:
    """End the run before any check: exit status 2, the sentence, no traceback."""
    if STOPPED not in config.stash:
        config.stash[STOPPED] = sentence
        config.pluginmanager.register(Stopped(config, sentence), "kv-conformance-stopped")
    pytest.exit(f"kv-conformance: {sentence}", returncode=EXIT_CONFIGURATION)


class Stopped:
    def __init__(self, config: pytest.Config, sentence: str) -> None:
        self._config = config
        self._sentence = sentence

    @pytest.hookimpl(tryfirst=True)  # before junitxml and pytest-html write their files
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for report in self._reports():
            self._config.hook.pytest_runtest_logreport(report=report)
        path = self._config.getoption("kv_summary", None)
        if path:
            # Here, not at the top: the plugin's entry module imports this one, and stays cheap.
            from conformance.report.summary import write_stopped_summary  # noqa: PLC0415

            write_stopped_summary(Path(path), self._sentence, self._target())

    @pytest.hookimpl(trylast=True)  # after the terminal reporter has kept its account of it
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # pytest's closing line would name its internals ("_pytest.outcomes.Exit: ..."): the
        # sentence is what the user needs, alone.
        reporter = self._config.pluginmanager.get_plugin("terminalreporter")
        account = getattr(reporter, "_keyboardinterrupt_memo", None)
        crash = getattr(account, "reprcrash", None)
        if isinstance(excinfo.value, pytest.exit.Exception) and crash is not None:
            crash.message = excinfo.value.msg

    def _reports(self) -> list[pytest.TestReport]:
        common = {
            "nodeid": NODE_ID,
            "location": ("kv-conformance", None, "configuration"),
            "keywords": {"kv-conformance": 1},
            "sections": [],
            "duration": 0.0,
            "user_properties": [("requirement", "")],
        }
        return [
            pytest.TestReport(
                outcome="failed",
                longrepr=f"kv-conformance: {self._sentence}",
                when="setup",
                **common,  # type: ignore[arg-type]
            ),
            pytest.TestReport(outcome="passed", longrepr=None, when="teardown", **common),  # type: ignore[arg-type]
        ]

    def _target(self) -> str:
        given = self._config.getoption("target_url", None) or os.environ.get("KV_TARGET_URL")
        if not given:
            return "embedded reference server"
        # Here, not at the top, as above.
        from conformance.urls import without_credentials  # noqa: PLC0415

        return without_credentials(given)

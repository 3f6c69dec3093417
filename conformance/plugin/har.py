"""``--kv-har PATH``: the run's exchanges as one HAR file, and each failure's links to them.

A serial run records into a part file beside PATH and writes PATH from it when the session
finishes (also after a configuration error, an interrupt or --max-duration: the HAR of what
was sent). Under pytest-xdist each worker records into its own part in a folder the
controller made, and the controller merges the parts into the one HAR. Exchange numbers
(``_kvExchange``) are unique across the workers: worker k of n numbers k+1, k+1+n, ...

Imported by the plugin's entry module, so it imports nothing heavy at the top.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.plugin.parallel import is_controller
from conformance.plugin.stopped import stop_for_configuration

if TYPE_CHECKING:
    from conformance.engine.target import Numbering
    from conformance.wire.exchange import Exchange
    from conformance.wire.har import HarRecorder

PARTS = "kv_har_parts"  # workerinput key: the folder the workers write their parts into
HAR_OUTPUT: pytest.StashKey[HarOutput] = pytest.StashKey()
NAME = "kv-conformance-har"


class HarOutput:
    """The HAR of this pytest process: where it records, and who writes the file."""

    def __init__(self, config: pytest.Config, path: Path) -> None:
        self.config = config
        self.path = path
        self._recorder: HarRecorder | None = None
        workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
        self._worker = workerinput
        self._parts: Path | None = None  # the controller's folder of worker parts
        self._written: int | None = None  # entries in the file, once written
        folder = _folder(path)  # made now: an unwritable place is a configuration error
        if workerinput is None and is_controller(config):
            self._parts = Path(tempfile.mkdtemp(prefix=f".{path.name}.parts-", dir=folder))

    @classmethod
    def register(cls, config: pytest.Config) -> None:
        given = config.getoption("kv_har", None)
        if not given:
            return
        path = Path(given).absolute()
        if path.is_dir():
            stop_for_configuration(config, f"--kv-har must name a file, not the folder {given}")
        try:
            output = cls(config, path)
        except OSError as error:
            stop_for_configuration(
                config,
                f"--kv-har {given}: cannot write the file there ({error.strerror}: "
                f"{error.filename}); name a file in a folder you can write to",
            )
        config.stash[HAR_OUTPUT] = output
        config.pluginmanager.register(output, NAME)

    # -- what the run records into ---------------------------------------------------------

    def recorder(self) -> HarRecorder:
        """This process's recorder (created on first use)."""
        from conformance.wire.har import HarRecorder  # noqa: PLC0415 (only in a run)

        if self._recorder is None:
            if self._worker is not None:
                worker = str(self._worker["workerid"])
                part = Path(str(self._worker[PARTS])) / f"{worker}.jsonl"
                self._recorder = HarRecorder(part, connection_prefix=f"{worker}-")
            else:
                handle, name = tempfile.mkstemp(
                    prefix=f".{self.path.name}.", suffix=".part", dir=_folder(self.path)
                )
                os.close(handle)
                self._recorder = HarRecorder(Path(name))
        return self._recorder

    # -- the end ---------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[PARTS] = str(self._parts)

    @pytest.hookimpl(trylast=True)  # after the run's final sweep (its own sessionfinish)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._recorder is not None:
            self._recorder.close()
        if self._worker is not None:
            return  # the controller merges the parts
        if self.config.option.collectonly:  # nothing was sent
            self._remove_parts()
            return
        from conformance import __version__  # noqa: PLC0415 (only at the end of a run)
        from conformance.wire.har import write_har  # noqa: PLC0415

        if self._parts is not None:
            parts = sorted(self._parts.glob("*.jsonl"))
        else:
            parts = [self._recorder.part] if self._recorder is not None else []
        try:
            self._written = write_har(self.path, parts, version=__version__)
        except OSError as error:
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(
                    f"kv-conformance: could not write --kv-har {self.path}: {error}"
                )
        finally:
            self._remove_parts()

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        failed = self._recorder.failed if self._recorder is not None else None
        if failed is not None:
            terminalreporter.write_line(
                f"kv-conformance: the HAR stopped recording ({failed}): it holds only the "
                "exchanges written before that"
            )
        if self._written is not None:
            terminalreporter.write_sep(
                "-", f"HAR of the run's exchanges: {self.path} ({self._written} entries)"
            )

    def _remove_parts(self) -> None:
        if self._parts is not None:
            shutil.rmtree(self._parts, ignore_errors=True)
        elif self._recorder is not None:
            self._recorder.part.unlink(missing_ok=True)

    # -- a failure's links -------------------------------------------------------------------

    def link(self) -> str:
        """The HAR file as the HTML report links it: relative to the report's folder."""
        html = self.config.getoption("htmlpath", None)
        start = Path(html).absolute().parent if html else Path.cwd()
        return Path(os.path.relpath(self.path, start)).as_posix()


def worker_numbering(config: pytest.Config) -> Numbering:
    """Exchange numbers unique across xdist workers: worker k of n takes k+1, k+1+n, ..."""
    from conformance.engine.target import Numbering  # noqa: PLC0415 (only in a run)

    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is None:
        return Numbering()
    index = int(str(workerinput["workerid"]).removeprefix("gw") or 0)
    return Numbering(first=index + 1, step=int(workerinput.get("workercount", 1)))


def evidence_extras(steps: Sequence[Exchange], har: str | None) -> list[dict[str, Any]]:
    """pytest-html extras for a failure: its exchanges by number (and method, URL and
    answer), and with --kv-har a link to the file; empty without numbered exchanges."""
    from conformance.engine.failures import MAX_STEPS_SHOWN  # noqa: PLC0415 (only in a run)

    numbered = [step for step in steps if step.number]
    if not numbered:
        return []
    # The requests the failure's curl lines show, numbered as they are there.
    shown = numbered[-MAX_STEPS_SHOWN:]
    earlier = len(numbered) - len(shown)
    numbers = ", ".join(str(step.number) for step in shown)
    where = (
        f' in <a href="{escape(har, quote=True)}">{escape(Path(har).name)}</a> '
        f"(<code>_kvExchange</code> {numbers})"
        if har
        else " (numbers of the run's exchanges; --kv-har PATH records them all as HAR)"
    )
    rows = "".join(
        f"<li><code>#{step.number}</code> {escape(step.method)} {escape(step.redacted_url)}"
        f" &rarr; {escape(step.summary())}</li>"
        for step in shown
    )
    more = f"<p>({earlier} earlier exchanges of this failure not listed)</p>" if earlier else ""
    block = (
        f'<div class="kv-exchanges"><p>Exchanges of this failure{where}:</p>'
        f'{more}<ol start="{earlier + 1}">{rows}</ol></div>'
    )
    extras: list[dict[str, Any]] = [_extra(block, "html", None)]
    if har:
        extras.append(_extra(har, "url", f"HAR: exchanges {numbers}"))
    return extras


def _extra(content: str, format_type: str, name: str | None) -> dict[str, Any]:
    """What ``pytest_html.extras.extra`` makes (built here: pytest-html may not be loaded)."""
    return {
        "name": name,
        "format_type": format_type,
        "content": content,
        "mime_type": None,
        "extension": None,
    }


def _folder(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.parent

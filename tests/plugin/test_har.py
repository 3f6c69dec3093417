"""--kv-har: one HAR 1.2 file with every exchange the run's traffic counted, no token in it,
and each failure's report row linking to its exchanges by number; also under -n 2 and when
the run stops at the preflight."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance.reference import ReferenceServer
from tests.support.suite_run import run_pytest

pytestmark = pytest.mark.slow

TOKENS = ["planted-secret-one-7f3a", "planted-secret-two-9c1d"]
FAILED = "test_delete.py::test_deleted_key_reads_absent"
ENTRY = {"startedDateTime", "time", "request", "response", "cache", "timings"}
REQUEST = {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize"}
RESPONSE = {"status", "statusText", "httpVersion", "cookies", "headers", "content"}


def run(pytester: pytest.Pytester, server: ReferenceServer, *args: str) -> pytest.RunResult:
    return run_pytest(
        pytester,
        f"--target-url={server.url}",
        f"--token={TOKENS[0]}",
        f"--token={TOKENS[1]}",
        "--seed=5",
        "--kv-har=out/run.har",
        "--html=out/report.html",
        "--self-contained-html",
        "--kv-summary=out/summary.json",
        *args,
        timeout=240,
    )


def har_entries(folder: Path) -> list[dict[str, Any]]:
    """The HAR's entries, after checking the file's HAR 1.2 shape."""
    text = (folder / "run.har").read_text(encoding="utf-8")
    for token in TOKENS:
        assert token not in text
    log = json.loads(text)["log"]
    assert log["version"] == "1.2"
    assert log["creator"]["name"] == "kv-conformance"
    entries: list[dict[str, Any]] = log["entries"]
    for entry in entries:
        assert set(entry) >= ENTRY, entry
        assert set(entry["request"]) >= REQUEST, entry
        assert set(entry["response"]) >= RESPONSE, entry
        assert {"size", "mimeType"} <= set(entry["response"]["content"])
        assert entry["_kvTest"]
    started = [entry["startedDateTime"] for entry in entries]
    assert started == sorted(started)
    numbers = [entry["_kvExchange"] for entry in entries]
    assert len(set(numbers)) == len(numbers)
    return entries


def summary(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return data


def traffic(folder: Path) -> int:
    return int(summary(folder)["traffic"]["requests"])


def exchanges_of(folder: Path, requirement: str) -> list[int]:
    """The summary's exchange numbers of a failed requirement."""
    entry = next(entry for entry in summary(folder)["requirements"] if entry["id"] == requirement)
    numbers: list[int] = entry["exchanges"]
    return numbers


def report_extras(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Each test's pytest-html extras, from the data the report's script draws its rows from."""
    page = (folder / "report.html").read_text(encoding="utf-8")
    blob = re.search(r'data-jsonblob="([^"]*)"', page)
    assert blob is not None
    tests = json.loads(html.unescape(blob.group(1)))["tests"]
    return {
        nodeid.rpartition("suite/")[2]: [extra for row in rows for extra in row.get("extras", [])]
        for nodeid, rows in tests.items()
    }


def test_har_holds_every_exchange_and_the_failure_links_to_its_own(
    pytester: pytest.Pytester,
) -> None:
    with ReferenceServer(TOKENS, faults=["delete-is-noop"]) as server:
        result = run(pytester, server, "-k", "deleted_key or auth or keys")
    assert result.ret == 1
    out = Path(pytester.path) / "out"
    entries = har_entries(out)
    assert len(entries) == traffic(out) > 50
    result.stdout.fnmatch_lines(
        [f"*HAR of the run's exchanges: {out}/run.har ({len(entries)} entries)*"]
    )
    assert not [path.name for path in out.iterdir() if path.name.startswith(".")]
    tokens = {
        header["value"]
        for entry in entries
        for header in entry["request"]["headers"]
        if header["name"] == "Authorization"
    }
    assert {"Bearer $KV_TOKEN", "Bearer $KV_TOKEN_B"} <= tokens
    senders = {entry["_kvTest"].rpartition("suite/")[2] for entry in entries}
    assert {"preflight", FAILED} <= senders

    extras = report_extras(out)
    links = [extra for extra in extras[FAILED] if extra["format_type"] == "url"]
    assert [link["content"] for link in links] == ["run.har"]
    block = next(extra["content"] for extra in extras[FAILED] if extra["format_type"] == "html")
    cited = [int(number) for number in re.findall(r"<code>#(\d+)</code>", block)]
    assert cited
    assert f"_kvExchange</code> {', '.join(map(str, cited))}" in block
    assert links[0]["name"] == f"HAR: exchanges {', '.join(map(str, cited))}"
    by_number = {entry["_kvExchange"]: entry for entry in entries}
    assert set(cited) <= set(by_number)
    assert {by_number[n]["_kvTest"].rpartition("suite/")[2] for n in cited} == {FAILED}
    assert exchanges_of(out, "DEL-01") == cited
    assert "exchanges" not in next(e for e in summary(out)["requirements"] if e["id"] == "AUTH-01")
    # The last one is the read that found the deleted value still there.
    last = by_number[cited[-1]]
    assert last["request"]["method"] == "GET"
    assert last["response"]["status"] == 200
    assert last["response"]["content"]["text"] == '{"doomed":true}'
    # Passing tests link to nothing.
    assert not any(extras[nodeid] for nodeid in extras if nodeid != FAILED and "auth" in nodeid)


def test_two_workers_write_one_har(pytester: pytest.Pytester) -> None:
    with ReferenceServer(TOKENS, faults=["delete-is-noop"]) as server:
        result = run(pytester, server, "-n", "2", "-k", "deleted_key or set or isolated")
    assert result.ret == 1
    out = Path(pytester.path) / "out"
    entries = har_entries(out)
    assert len(entries) == traffic(out)
    assert {entry["connection"].partition("-")[0] for entry in entries} == {"gw0", "gw1"}
    assert sorted(path.name for path in out.iterdir()) == ["report.html", "run.har", "summary.json"]
    block = next(
        extra["content"] for extra in report_extras(out)[FAILED] if extra["format_type"] == "html"
    )
    cited = {int(number) for number in re.findall(r"<code>#(\d+)</code>", block)}
    assert cited
    assert cited <= {entry["_kvExchange"] for entry in entries}
    assert set(exchanges_of(out, "DEL-01")) == cited


def test_a_run_stopped_by_the_preflight_still_writes_what_it_sent(
    pytester: pytest.Pytester,
) -> None:
    with ReferenceServer(["some-other-token-0b3c"]) as server:
        result = run(pytester, server)
    assert result.ret == 2
    out = Path(pytester.path) / "out"
    entries = har_entries(out)
    # The preflight's set, refused, and the sweep's delete of what it might have written.
    assert [(e["request"]["method"], e["response"]["status"], e["_kvTest"]) for e in entries] == [
        ("POST", 401, "preflight"),
        ("DELETE", 401, "final sweep"),
    ]


@pytest.mark.parametrize(
    ("given", "sentence"),
    [
        (".", "--kv-har must name a file, not the folder ."),
        ("taken/run.har", "--kv-har taken/run.har: cannot write the file there (File exists: "),
    ],
    ids=["folder", "unwritable"],
)
def test_a_har_path_that_cannot_work_is_one_sentence(
    pytester: pytest.Pytester, given: str, sentence: str
) -> None:
    (Path(pytester.path) / "taken").write_text("a file where a folder would be", encoding="utf-8")
    result = run_pytest(pytester, f"--kv-har={given}", "--collect-only")
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 2
    assert sentence in output
    assert "Traceback" not in output

"""HAR entries (--kv-har): shape, redaction of every secret, bodies, missing answers, and
the merge of parts into one file ordered by start time."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import replace
from pathlib import Path

import harfile
import pytest

from conformance.wire.exchange import Exchange, Redactor
from conformance.wire.har import MAX_BODY_BYTES, HarRecorder, har_entry, write_har

SECRET = "planted-secret-token-5e1f9a"
PROXY_SECRET = "proxy-password-77aa"
REDACTOR = Redactor({SECRET: "KV_TOKEN", PROXY_SECRET: "KV_PROXY"})
URL = "http://127.0.0.1:8065/plugins/com.mattermost.apps/api/v1/kv/kvc-1-x"


def exchange(body: bytes | None = b'{"a":1}', **answer: object) -> Exchange:
    request = REDACTOR.request(
        "POST",
        f"{URL}?access_token={SECRET}&x=",
        {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"},
        body,
    )
    return REDACTOR.answer(
        request,
        int(str(answer.get("status", 200))),
        {"Content-Type": "application/json", "X-Echo": SECRET},
        bytes(answer.get("response", b'{"changed":true}')),  # type: ignore[call-overload]
        0.012,
    )


def test_an_entry_has_the_fields_browsers_import_and_no_secret() -> None:
    echoed = f'{{"proxy":"{PROXY_SECRET}"}}'.encode()
    entry = har_entry(
        exchange(body=f'{{"t":"{SECRET}"}}'.encode(), response=echoed), REDACTOR, test="t::x"
    )
    assert SECRET not in json.dumps(entry)
    assert PROXY_SECRET not in json.dumps(entry)
    assert {"startedDateTime", "time", "request", "response", "cache", "timings"} <= set(entry)
    request, response = entry["request"], entry["response"]
    assert request["url"] == f"{URL}?access_token=$KV_TOKEN&x="
    assert {"name": "access_token", "value": "$KV_TOKEN"} in request["queryString"]
    assert {"name": "x", "value": ""} in request["queryString"]
    assert {"name": "Authorization", "value": "Bearer $KV_TOKEN"} in request["headers"]
    assert request["postData"] == {
        "mimeType": "application/json",
        "text": '{"t":"$KV_TOKEN"}',
    }
    assert (response["status"], response["statusText"]) == (200, "OK")
    assert {"name": "x-echo", "value": "$KV_TOKEN"} in response["headers"]
    assert response["content"] == {
        "size": len(echoed),
        "mimeType": "application/json",
        "text": '{"proxy":"$KV_PROXY"}',
    }
    assert entry["time"] == entry["timings"]["wait"] == 12.0
    assert entry["_kvTest"] == "t::x"


def test_a_body_that_is_not_utf8_is_base64_and_still_redacted() -> None:
    body = b"\xff\xfe" + SECRET.encode() + b"\x00"
    entry = har_entry(exchange(response=body), REDACTOR, test="t")
    content = entry["response"]["content"]
    assert content["encoding"] == "base64"
    assert base64.b64decode(content["text"]) == b"\xff\xfe$KV_TOKEN\x00"
    assert content["size"] == len(body)


def test_a_long_body_is_cut_and_says_so() -> None:
    body = b'"' + b"a" * (2 * MAX_BODY_BYTES) + b'"'
    content = har_entry(exchange(response=body), REDACTOR, test="t")["response"]["content"]
    assert len(content["text"]) == MAX_BODY_BYTES
    assert content["comment"] == f"the first {MAX_BODY_BYTES} of {len(body)} bytes"


def test_a_missing_answer_is_status_0_with_its_error() -> None:
    request = REDACTOR.request("GET", URL, {"Authorization": f"Bearer {SECRET}"}, None)
    missing = replace(request, error="connection reset by the server")
    entry = har_entry(missing, REDACTOR, test="t")
    assert entry["response"]["status"] == 0
    assert entry["response"]["_error"] == "connection reset by the server"
    assert entry["comment"] == "no answer: connection reset by the server"
    assert "postData" not in entry["request"]


def test_parts_merge_into_one_har_ordered_by_start(tmp_path: Path) -> None:
    parts = [tmp_path / "gw0.jsonl", tmp_path / "gw1.jsonl"]
    recorders = [HarRecorder(part, connection_prefix=f"gw{n}-") for n, part in enumerate(parts)]
    base = exchange()
    for number, started in [(3, 30.0), (1, 10.0), (2, 20.0), (4, 20.0)]:
        numbered = replace(base, number=number, started_at=started, connection=number)
        recorders[number % 2].record(numbered, REDACTOR, test="t")
    for recorder in recorders:
        recorder.close()
    with parts[0].open("a", encoding="utf-8") as cut:
        cut.write('{"startedDateTime": "20')  # a worker killed mid-line
    har = tmp_path / "out" / "run.har"
    assert write_har(har, parts, version="9.9") == 4
    log = json.loads(har.read_text(encoding="utf-8"))["log"]
    assert log["version"] == "1.2"
    assert log["creator"] == {"name": "kv-conformance", "version": "9.9"}
    assert [entry["_kvExchange"] for entry in log["entries"]] == [1, 2, 4, 3]
    assert log["entries"][0]["connection"] == "gw1-1"
    assert not list((tmp_path / "out").glob(".*"))  # nothing written beside it is left


def test_nothing_recorded_writes_an_empty_har(tmp_path: Path) -> None:
    har = tmp_path / "run.har"
    assert write_har(har, [tmp_path / "absent.jsonl"], version="1") == 0
    assert json.loads(har.read_text(encoding="utf-8"))["log"]["entries"] == []


def test_an_entry_is_what_schemathesis_har_writer_makes_of_the_same_fields() -> None:
    """harfile (schemathesis' HAR writer) rebuilds each standard field of an entry as is."""
    ours = har_entry(exchange(), REDACTOR, test="t")
    request, response = ours["request"], ours["response"]
    buffer = io.StringIO()
    with harfile.open(buffer) as har:
        har.add_entry(
            startedDateTime=ours["startedDateTime"],
            time=ours["time"],
            request=harfile.Request(
                method=request["method"],
                url=request["url"],
                httpVersion=request["httpVersion"],
                headers=[harfile.Record(**header) for header in request["headers"]],
                queryString=[harfile.Record(**query) for query in request["queryString"]],
                postData=harfile.PostData(**request["postData"]),
                bodySize=request["bodySize"],
            ),
            response=harfile.Response(
                status=response["status"],
                statusText=response["statusText"],
                httpVersion=response["httpVersion"],
                headers=[harfile.Record(**header) for header in response["headers"]],
                content=harfile.Content(**response["content"]),
                bodySize=response["bodySize"],
            ),
            timings=harfile.Timings(**ours["timings"]),
        )
    theirs = json.loads(buffer.getvalue())["log"]["entries"][0]
    assert {name: value for name, value in ours.items() if not name.startswith("_")} == theirs


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_stops_the_recording_not_the_run() -> None:
    recorder = HarRecorder(Path("/dev/full"))
    for _ in range(100):  # more than the file's buffer holds
        recorder.record(exchange(), REDACTOR, test="t")
    recorder.close()
    assert recorder.failed == "No space left on device"

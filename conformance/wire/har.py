"""Every exchange of a run as HAR 1.2 (``--kv-har``), as browsers' developer tools import it.

A ``HarRecorder`` turns each exchange into a HAR entry as it happens and appends it, one JSON
line, to a part file: a run sends thousands of requests (bodies up to 1 MiB), so nothing but
an index stays in memory. ``write_har`` then merges one or more parts (a serial run's, or one
per pytest-xdist worker) into the one HAR file, its entries ordered by the time each request
started. Every token and proxy credential is redacted as in the curl lines (``$KV_TOKEN``),
in the URL, the headers and both bodies. The suite's own fields start with ``_``, as HAR
allows: ``_kvExchange`` (the number failures cite), ``_kvConnection``, ``_kvTest``.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any, Final
from urllib.parse import parse_qsl, urlsplit

from conformance.wire.exchange import Exchange, Redactor
from conformance.wire.transport import USER_AGENT

# Bodies are at most 1 MiB (the client's limit); a HAR holds the start of each, enough to
# read a value of the 8192-byte contract many times over, and says how much it left out.
MAX_BODY_BYTES: Final = 64 * 1024
HTTP_VERSION: Final = "HTTP/1.1"


class HarRecorder:
    """Appends one HAR entry per exchange to ``part`` (JSON lines); any thread may record.

    Once closed it records nothing more: what the part holds is what the run's traffic
    counted (see ``Target.observe``)."""

    def __init__(self, part: Path, *, connection_prefix: str = "") -> None:
        self.part = part
        self._prefix = connection_prefix  # an xdist worker's name: connections are per process
        self._lock = threading.Lock()
        self._file: IO[str] | None = part.open("a", encoding="utf-8")
        self.recorded = 0
        # Why recording stopped early (a full disk, say): the run goes on without it.
        self.failed: str | None = None

    def record(
        self, exchange: Exchange, redactor: Redactor, *, test: str, requirement: str = ""
    ) -> None:
        entry = har_entry(exchange, redactor, test=test, requirement=requirement)
        if exchange.connection:
            entry["connection"] = entry["_kvConnection"] = f"{self._prefix}{exchange.connection}"
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            if self._file is None:
                return
            try:
                self._file.write(line)
            except OSError as error:
                self.failed = error.strerror or str(error)
                self._close()
                return
            self.recorded += 1

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as error:  # what was still buffered could not be written
                self.failed = self.failed or error.strerror or str(error)
            self._file = None


def har_entry(
    exchange: Exchange, redactor: Redactor, *, test: str, requirement: str = ""
) -> dict[str, Any]:
    """One HAR 1.2 entry; a request without an answer has status 0 and says why."""
    milliseconds = round(exchange.seconds * 1000, 3)
    started = exchange.started_at or 0.0
    entry: dict[str, Any] = {
        "startedDateTime": datetime.fromtimestamp(started, UTC).isoformat(timespec="milliseconds"),
        "time": milliseconds,
        "request": _request(exchange, redactor),
        "response": _response(exchange, redactor),
        "cache": {},
        # Only the whole exchange is timed; -1: not known, as HAR says.
        "timings": {
            "send": 0,
            "wait": milliseconds,
            "receive": 0,
            "blocked": -1,
            "dns": -1,
            "connect": -1,
            "ssl": -1,
        },
        "_kvExchange": exchange.number,
        "_kvTest": test,
    }
    if requirement:
        entry["_kvRequirement"] = requirement
    if exchange.status is None:
        # Where Chrome puts a failed request's error (response._error), and said in words.
        entry["comment"] = f"no answer: {exchange.error}"
    if exchange.misread is not None:
        # Sent again on a fresh connection: the answer first read was another request's.
        entry["_kvFirstAnswer"] = exchange.misread.summary()
    if exchange.stray:
        entry["_kvUnaskedAfterAnswer"] = exchange.stray
    return entry


def _request(exchange: Exchange, redactor: Redactor) -> dict[str, Any]:
    url = exchange.redacted_url
    parts = urlsplit(url)
    headers = [("Host", parts.netloc), ("User-Agent", USER_AGENT), *exchange.request_headers]
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": url,
        "httpVersion": HTTP_VERSION,
        "cookies": [],
        "headers": [{"name": n, "value": redactor.redact(v)} for n, v in headers],
        "queryString": [
            {"name": n, "value": v} for n, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": len(exchange.request_body or b""),
    }
    if exchange.request_body is not None:
        mime = next((v for n, v in exchange.request_headers if n.lower() == "content-type"), "")
        request["postData"] = {
            "mimeType": mime,
            **_body(exchange.request_body, redactor),
        }
    return request


def _response(exchange: Exchange, redactor: Redactor) -> dict[str, Any]:
    if exchange.status is None:
        return {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": exchange.error,
        }
    body = exchange.response_body
    content: dict[str, Any] = {"size": len(body), "mimeType": exchange.content_type or ""}
    if body:
        content.update(_body(body, redactor))
    return {
        "status": exchange.status,
        "statusText": _phrase(exchange.status),
        "httpVersion": HTTP_VERSION,
        "cookies": [],
        "headers": [{"name": n, "value": v} for n, v in exchange.response_headers.items()],
        "content": content,
        "redirectURL": exchange.response_headers.get("location", ""),
        "headersSize": -1,
        "bodySize": len(body),
    }


def _body(body: bytes, redactor: Redactor) -> dict[str, Any]:
    """``text`` (and ``encoding: base64`` when not UTF-8 text), redacted, at most
    MAX_BODY_BYTES of it."""
    shown = body[:MAX_BODY_BYTES]
    fields: dict[str, Any] = {}
    try:
        fields["text"] = redactor.redact(shown.decode("utf-8"))
    except UnicodeDecodeError:
        # Latin-1 maps bytes to characters one to one, so a token (ASCII) is found and the
        # other bytes come back unchanged.
        redacted = redactor.redact(shown.decode("latin-1")).encode("latin-1")
        fields["text"] = base64.b64encode(redacted).decode("ascii")
        fields["encoding"] = "base64"
    if len(shown) < len(body):
        fields["comment"] = f"the first {len(shown)} of {len(body)} bytes"
    return fields


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def write_har(path: Path, parts: Iterable[Path], *, version: str) -> int:
    """Write the HAR file at ``path`` from the entries in ``parts``, ordered by start time;
    returns how many. A part cut off mid-line (a worker killed) loses only that line. The
    file appears whole or not at all (written beside it, then renamed)."""
    index: list[tuple[str, int, Path, int, int]] = []  # (started, number, part, offset, size)
    for part in parts:
        if not part.exists():
            continue
        offset = 0
        with part.open("rb") as lines:
            for line in lines:
                try:
                    head = json.loads(line)
                except ValueError:
                    head = None
                if isinstance(head, dict):
                    index.append(
                        (
                            str(head["startedDateTime"]),
                            int(head["_kvExchange"]),
                            part,
                            offset,
                            len(line),
                        )
                    )
                offset += len(line)
    index.sort(key=lambda item: item[:2])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.writing")
    try:
        with temporary.open("wb") as out:
            log = {"version": "1.2", "creator": {"name": "kv-conformance", "version": version}}
            out.write(json.dumps({"log": log})[:-2].encode() + b',"pages":[],"entries":[\n')
            readers: dict[Path, IO[bytes]] = {}
            try:
                for number, (_, _, part, offset, size) in enumerate(index):
                    reader = readers.get(part) or readers.setdefault(part, part.open("rb"))
                    reader.seek(offset)
                    entry = reader.read(size).rstrip(b"\n")
                    out.write((b",\n" if number else b"") + entry)
            finally:
                for reader in readers.values():
                    reader.close()
            out.write(b"\n]}}\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return len(index)

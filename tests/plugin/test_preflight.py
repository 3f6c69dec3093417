"""Servers that are not a KV API, and tokens a server refuses: the preflight names the cause
in one sentence and stops with exit 2 before any check runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conformance.reference import Identity, ReferenceServer
from tests.support.suite_run import run_pytest

pytestmark = pytest.mark.slow


@contextmanager
def serving(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="other-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the stdlib's name)
        pass

    def answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class LoginPage(Quiet):
    """A site's front end: every address answers with its sign-in page."""

    def do_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        page = b"<!DOCTYPE html><html><head><title>Sign in - Example</title></head></html>"
        self.answer(200, "text/html; charset=utf-8", page)

    do_GET = do_POST = do_DELETE = do_any


class MattermostWithoutApps(Quiet):
    """Mattermost's answers where the Apps plugin is missing: its routes are not found."""

    def do_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path.startswith("/api/v4/system/ping"):
            self.answer(
                200, "application/json", b'{"ActiveSearchBackend":"database","status":"OK"}'
            )
        else:
            self.answer(404, "text/plain; charset=utf-8", b"404 page not found\n")

    do_GET = do_POST = do_DELETE = do_any


class StaticFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def stops_with(result: pytest.RunResult, *fragments: str) -> None:
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 2, output[-3000:]
    assert "Traceback" not in output
    assert "collected" not in output or "0 selected" in output or "deselected" in output
    for fragment in fragments:
        assert fragment in output, output[-3000:]


def run(pytester: pytest.Pytester, url: str, *args: str) -> pytest.RunResult:
    return run_pytest(
        pytester,
        f"--target-url={url}",
        "--token=token-a",
        "--token=token-b",
        *args,
        in_process=True,
    )


def test_a_static_file_server(pytester: pytest.Pytester, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html><title>Files</title></html>")
    with serving(partial(StaticFiles, directory=str(tmp_path))) as url:
        result = run(pytester, url)
    stops_with(result, "answered 501 to a set (POST)", "that is not the KV API", "--kv-path")


def test_a_login_page(pytester: pytest.Pytester) -> None:
    with serving(LoginPage) as url:
        result = run(pytester, url)
    stops_with(result, "a web page, not the KV API", "'Sign in - Example'")


def test_a_mattermost_without_the_apps_plugin(pytester: pytest.Pytester) -> None:
    with serving(MattermostWithoutApps) as url:
        result = run(pytester, url)
    stops_with(result, f"a Mattermost server answers at {url}, but not the KV API")
    stops_with(result, "enable the Apps plugin (com.mattermost.apps)")


def test_a_wrong_path_on_a_kv_server(pytester: pytest.Pytester) -> None:
    with ReferenceServer(["token-a", "token-b"]) as server:
        result = run(pytester, server.url, "--kv-path=/api/kv")
    stops_with(result, "answered 404 to a set", "--kv-path (now /api/kv)")


def test_a_token_that_is_no_app_session_gets_the_servers_reason(
    pytester: pytest.Pytester,
) -> None:
    tokens = {"token-a": Identity("user-1"), "token-b": Identity("user-2", app_session=False)}
    with ReferenceServer(tokens) as server:
        result = run(pytester, server.url)
    stops_with(result, "the server rejected token B (401: ", "not an app session", "README")

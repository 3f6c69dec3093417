"""Bad configuration ends with one sentence saying what to do, never a traceback."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conformance.reference import ReferenceServer
from tests.support.suite_run import run_pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(["tok-a", "tok-b"]) as running:
        yield running


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_pytest(pytester, *args, in_process=True)


def assert_one_sentence(result: pytest.RunResult, sentence: str) -> None:
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 2
    assert sentence in output
    assert "Traceback" not in output
    assert "_pytest." not in output  # no library internals around the sentence


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_nothing_listening(pytester: pytest.Pytester) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    result = run(pytester, "--target-url", url, "--token", "a", "--token", "b")
    assert_one_sentence(result, f"nothing listens at 127.0.0.1:{port} (connection refused)")
    assert_one_sentence(result, "start the server or correct --target-url")


def test_wrong_path(pytester: pytest.Pytester, server: ReferenceServer) -> None:
    result = run(pytester, "--target-url", server.url, "--token", "tok-a", "--kv-path", "/api/kv")
    assert_one_sentence(result, "answered 404 to a set; check --target-url")


def test_rejected_token(pytester: pytest.Pytester, server: ReferenceServer) -> None:
    result = run(pytester, "--target-url", server.url, "--token", "tok-a", "--token", "wrong")
    # With the server's reason: upstream's says whether the token is no app session.
    assert_one_sentence(result, "the server rejected token B (401: ")
    assert "wrong" not in result.stdout.str().replace("--token wrong", "")


def test_target_without_tokens(pytester: pytest.Pytester, server: ReferenceServer) -> None:
    result = run(pytester, "--target-url", server.url)
    assert_one_sentence(result, "give the tokens of two different users of your server")


def test_not_a_url(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--target-url", "localhost:8065", "--token", "a")
    assert_one_sentence(result, "--target-url must be an http:// or https:// URL")


def test_one_token_leaves_isolation_not_tested(
    pytester: pytest.Pytester, server: ReferenceServer
) -> None:
    result = run(pytester, "--target-url", server.url, "--token", "tok-a", "-k", "isolat")
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        [
            "NOT TESTED*ISO-01*needs a second identity: give --token twice*",
            "NOT CONFORMANT (core profile): 1 not tested",
            "Some requirements were not tested: give --token twice*",
        ]
    )


def test_environment_variables(
    pytester: pytest.Pytester, server: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KV_TARGET_URL", server.url)
    monkeypatch.setenv("KV_TOKENS", "tok-a, tok-b")
    monkeypatch.setenv("KV_PROFILE", "mattermost")
    result = run(pytester, "-k", "isolat or byte_for_byte")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            f"kv-conformance: target {server.url}, profile mattermost*",
            "PARTIAL (mattermost profile): 2 pass",
        ]
    )


def test_a_run_that_stops_still_writes_every_output(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    port = free_port()
    html, junit, summary = tmp_path / "r.html", tmp_path / "j.xml", tmp_path / "s.json"
    result = run(
        pytester,
        f"--target-url=http://127.0.0.1:{port}",
        "--token=token-aaaa",
        "--token=token-bbbb",
        f"--html={html}",
        "--self-contained-html",
        f"--junitxml={junit}",
        f"--kv-summary={summary}",
    )
    sentence = f"nothing listens at 127.0.0.1:{port} (connection refused)"
    assert_one_sentence(result, sentence)
    data = json.loads(summary.read_text())
    assert (data["verdict"], data["complete"]) == ("ERROR", False)
    assert data["incomplete_reason"].startswith(sentence)
    assert data["configuration"]["target"] == f"http://127.0.0.1:{port}"
    case = ElementTree.parse(junit).getroot().find(".//testcase")
    assert case is not None
    error = case.find("error")
    assert error is not None
    assert sentence in (error.text or "")
    page = html.read_text()
    assert 'id="kv-verdict" style="color:#cf222e">ERROR' in page
    assert sentence in page


@pytest.mark.parametrize(
    ("args", "environ", "sentence"),
    [
        (["--target-url="], {}, "--target-url is empty"),
        ([], {"KV_TARGET_URL": ""}, "KV_TARGET_URL is empty"),
        (["--token=token-aaaa", "--token=token-bbbb"], {}, "tokens were given"),
    ],
)
def test_an_empty_url_never_falls_back_to_the_embedded_server(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    environ: dict[str, str],
    sentence: str,
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    result = run(pytester, *args)
    assert_one_sentence(result, sentence)
    assert "kv-conformance: embedded reference server" not in result.stdout.str()  # no run

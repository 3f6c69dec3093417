"""The public client: Go-driver calls, curl reproductions, redaction, no redirects."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from conformance.reference import ReferenceServer
from conformance.wire.client import KVClient, KVError
from conformance.wire.exchange import Exchange, Redactor, near_misses


@pytest.fixture
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(["secret-a", "secret-b"]) as running:
        yield running


def test_driver_calls(server: ReferenceServer) -> None:
    client = KVClient(server.url, "secret-a")
    assert client.set("k", {"n": 1}) is True
    assert client.get("k") == {"n": 1}
    assert client.set("k", None, prefix="p") is True
    assert client.get("k", prefix="p") is None
    client.delete("k")
    assert client.get("k") == {}  # upstream's answer for an absent key
    client.close()


def test_driver_raises_on_rejection(server: ReferenceServer) -> None:
    client = KVClient(server.url, "not-a-token")
    with pytest.raises(KVError, match="401"):
        client.set("k", 1)
    client.close()


def test_keys_are_percent_encoded_whole(server: ReferenceServer) -> None:
    client = KVClient(server.url, "secret-a")
    assert client.url("a/b %41?", prefix="p").endswith("/kv/p/a%2Fb%20%2541%3F")
    client.set("a/b %41?", "odd")
    assert client.get("a/b %41?") == "odd"
    client.close()


def test_exchange_redacts_every_secret(server: ReferenceServer) -> None:
    seen: list[Exchange] = []
    client = KVClient(
        server.url, "secret-a", secrets={"secret-b": "KV_TOKEN_B"}, on_exchange=seen.append
    )
    client.send("GET", "k", authorization="Basic secret-b")
    client.send("GET", "k")
    text = " ".join(step.curl() for step in seen)
    assert "secret" not in text
    assert '"Authorization: Basic $KV_TOKEN_B"' in text
    assert '"Authorization: Bearer $KV_TOKEN"' in text
    client.close()


def test_curl_reproduces_the_request_exactly(server: ReferenceServer) -> None:
    """The curl line, with the token exported, sends the same bytes (checked via python -c)."""
    seen: list[Exchange] = []
    client = KVClient(server.url, "secret-a", on_exchange=seen.append)
    body = b'"' + b"x" * 9000 + b'"'
    client.send("POST", "k", body=body)
    command = seen[0].curl()
    assert command.startswith("python3 -c ")
    writer = command.split(" | ")[0]
    produced = subprocess.run(
        ["sh", "-c", writer.replace("python3", sys.executable, 1)],
        capture_output=True,
        check=True,
    ).stdout
    assert produced == body
    client.close()


def test_transport_failure_is_an_exchange_not_an_exception() -> None:
    server = ReferenceServer(["t"]).start()
    url = server.url
    server.stop()
    client = KVClient(url, "t", timeout=2)
    exchange = client.send("GET", "k")
    assert exchange.status is None
    assert exchange.error is not None
    assert "no answer" in exchange.summary()
    client.close()


def test_echoed_tokens_are_redacted_in_answers() -> None:
    client = KVClient("http://127.0.0.1:9", "secret-a", secrets={"secret-b": "KV_TOKEN_B"})
    request = client.redactor.request(
        "GET", "http://127.0.0.1:9/kv/k?access_token=secret-b", {"Cookie": "t=secret-a"}, None
    )
    answer = client.redactor.answer(
        request, 401, {"X-Echo": "secret-a"}, b"unknown token secret-b", 0.1
    )
    shown = answer.summary() + answer.curl() + str(answer.response_headers)
    assert "secret" not in shown
    assert "$KV_TOKEN_B" in answer.summary()
    client.close()


def test_short_tokens_are_redacted_as_words_never_inside_other_words() -> None:
    # The README's own --token A --token B: "Bearer" and "charset" must stay readable.
    redactor = Redactor({"A": "KV_TOKEN", "a": "KV_TOKEN", "B": "KV_TOKEN_B"})
    assert redactor.redact("Bearer B") == "Bearer $KV_TOKEN_B"
    assert redactor.redact("text/html; charset=utf-8") == "text/html; charset=utf-8"
    assert redactor.redact('{"token":"A"} a') == '{"token":"$KV_TOKEN"} $KV_TOKEN'
    assert redactor.redact("kvc-0123abcd-1-A/AB") == "kvc-0123abcd-1-A/AB"


def test_near_misses_of_tokens_are_shown_as_bash_expansions_that_derive_them() -> None:
    token, other = "k7w3yq1o8jfxbr5tzaec9mnd4h", "SHORT-TOK"  # long; short, in capitals
    redactor = Redactor({}, tokens={token: "KV_TOKEN", other: "KV_TOKEN_B"})
    shown = {miss: redactor.redact(f"Bearer {miss}") for miss, _ in near_misses(token)}
    assert shown == {
        token.upper(): "Bearer ${KV_TOKEN^^}",
        token[:-1]: "Bearer ${KV_TOKEN%?}",
        token + "x": "Bearer ${KV_TOKEN}x",
    }
    assert redactor.redact(f"x{token[:-1]}y {token}") == "x${KV_TOKEN%?}y $KV_TOKEN"
    assert redactor.redact("short-tok SHORT-TOKx") == "${KV_TOKEN_B,,} ${KV_TOKEN_B}x"
    request = redactor.request("GET", "http://h/kv/k", {"Authorization": f"Bearer {token}x"}, None)
    assert request.variables() == ["$KV_TOKEN"]
    for name, value in ((token, "KV_TOKEN"), (other, "KV_TOKEN_B")):
        for miss, expansion in near_misses(name):
            derived = subprocess.run(
                ["bash", "-c", f'printf %s "{expansion % value}"'],
                env={value: name},
                capture_output=True,
                text=True,
                check=True,
            )
            assert derived.stdout == miss
    # Too short to cut or change without redacting common words ("a" for "A").
    assert near_misses("A") == near_misses("abcdefg") == ()


def test_long_secrets_are_redacted_wherever_they_appear() -> None:
    secret = "k7w3yq1o8jfxbr5tzaec9mnd4h"  # 26 characters, as Mattermost's tokens
    redactor = Redactor({secret: "KV_TOKEN"})
    assert redactor.redact(f"x{secret}y ?access_token={secret}") == (
        "x$KV_TOKENy ?access_token=$KV_TOKEN"
    )

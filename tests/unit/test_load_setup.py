"""The Locust profile's configuration and the wording of its preflight, without Locust."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import conformance.engine.preflight
import conformance.wire.network
from conformance.engine.config import ConfigError
from conformance.tools.loadsetup import LoadConfig, check_host, in_profile_terms

SUITE_ONLY = re.compile(r"--(?:target-url|token|kv-[a-z-]+)\b")


@pytest.mark.parametrize(
    "module", [conformance.engine.preflight, conformance.wire.network], ids=lambda m: m.__name__
)
def test_every_suite_option_in_a_preflight_sentence_has_the_profiles_name(module: object) -> None:
    # A new sentence naming a suite option the profile does not have would tell a Locust user
    # to pass an option Locust rejects.
    source = Path(str(getattr(module, "__file__", ""))).read_text(encoding="utf-8")
    named = set(SUITE_ONLY.findall(source))
    assert named  # the scan finds what it looks for
    for option in sorted(named):
        assert not SUITE_ONLY.search(in_profile_terms(f"give {option} PATH")), option


def test_sentences_are_translated_whole() -> None:
    said = in_profile_terms(
        "nothing listens at h:1 (connection refused); start the server or correct --target-url"
    )
    assert said.endswith("correct --host")
    assert in_profile_terms("or --kv-proxy none to connect directly").endswith(
        "or KV_PROXY=none to connect directly"
    )


def test_tokens_are_trimmed_and_the_rest_defaults() -> None:
    config = LoadConfig.from_environ({"KV_TOKENS": " token-a , token-b "})
    assert config.tokens == ("token-a", "token-b")
    assert config.kv_path == "/plugins/com.mattermost.apps/api/v1/kv"
    assert config.timeout == 10.0
    assert config.secrets == {"token-a": "KV_TOKEN", "token-b": "KV_TOKEN_B"}


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({}, "KV_TOKENS is not set"),
        ({"KV_TOKENS": " , "}, "KV_TOKENS is empty"),
        ({"KV_TOKENS": "a"}, "KV_TOKENS holds one token"),
        ({"KV_TOKENS": "a,b,c"}, "KV_TOKENS holds 3 tokens, not 2"),
        ({"KV_TOKENS": "a,a"}, "the same token twice"),
        ({"KV_TOKENS": "a,b", "KV_PATH": "kv"}, "KV_PATH must start with /"),
        ({"KV_TOKENS": "a,b", "KV_TIMEOUT": "0"}, "KV_TIMEOUT must be a positive number"),
        ({"KV_TOKENS": "a,b", "KV_TIMEOUT": "inf"}, "KV_TIMEOUT must be a positive number"),
        ({"KV_TOKENS": "a,b", "KV_PROXY": "socks5://p:1"}, "is not an http:// proxy"),
        ({"KV_TOKENS": "a,b", "KV_CA_BUNDLE": "/no/such/ca.pem"}, "(from KV_CA_BUNDLE)"),
    ],
)
def test_a_configuration_that_cannot_work_is_one_sentence(
    environ: dict[str, str], says: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        LoadConfig.from_environ(environ)
    assert says in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("host", "says"),
    [
        (None, "no --host"),
        ("chat.example.com", "must be an http:// or https:// URL"),
        ("https://user:secret-4b1e@chat.example.com", "without a query, fragment or user name"),
        ("http://127.0.0.1:70000", "--host has a bad port"),
        ("http://127.0.0.1:99999", "give a port from 1 to 65535"),
        ("http://127.0.0.1:abc", "--host has a bad port"),
        ("http://127.0.0.1:0", "--host has a bad port"),
        ("http://::1:8080", "an IPv6 address goes in brackets"),
        ("http://:8080", "--host has no host name"),
        ("http://[::1", "a [ without its ]"),
        ("http://user:secret-4b1e@[::1:8065", "cannot be read as a URL"),
        ("http://[xyz]:80", "does not appear to be an IPv4 or IPv6 address"),
    ],
)
def test_a_host_that_cannot_work_is_one_sentence(host: str | None, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        check_host(host)
    assert says in str(raised.value)
    assert "secret-4b1e" not in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_base_url_with_a_path_is_kept_without_its_last_slash() -> None:
    assert check_host("https://chat.example.com/chat/") == "https://chat.example.com/chat"

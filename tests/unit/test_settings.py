"""Settings: what the command line and the environment say, validated once, each mistake one
sentence (ConfigError) saying what to do."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.engine.config import ConfigError, Settings


def build(**options: Any) -> Settings:
    return Settings.build(options.get, {})


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("http://127.0.0.1:99999", "--target-url has a bad port: not 'http://127.0.0.1:99999'"),
        ("http://127.0.0.1:abc", "--target-url has a bad port"),
        ("http://[::1", "--target-url cannot be read as a URL (a [ without its ]"),
        (
            "http://user:secret@[::1",
            "--target-url cannot be read as a URL (a [ without its ] or a ] without its [): not 'http://[::1'",
        ),
        ("http://:8080", "--target-url has no host name"),
        (
            "http://127.0.0.1:0",
            "--target-url has a bad port: not 'http://127.0.0.1:0'; give a port from 1 to 65535",
        ),
        ("localhost:8065", "--target-url must be an http:// or https:// URL"),
    ],
)
def test_a_target_url_that_cannot_work(url: str, sentence: str) -> None:
    with pytest.raises(ConfigError) as raised:
        build(target_url=url, kv_tokens=["a", "b"])
    assert sentence in str(raised.value)
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize(
    ("option", "sentence"),
    [
        ("kv_timeout", "--kv-timeout must be a positive number of seconds"),
        ("kv_examples", "--kv-examples must be at least 1"),
    ],
)
def test_zero_is_refused_not_replaced_by_the_default(option: str, sentence: str) -> None:
    with pytest.raises(ConfigError, match=sentence):
        build(**{option: 0})


def test_a_proxy_url_that_is_not_a_url() -> None:
    with pytest.raises(ConfigError, match="the proxy URL http://\\[::1 is not a URL"):
        build(target_url="http://127.0.0.1:8065", kv_tokens=["a", "b"], kv_proxy="http://u:p@[::1")

"""How the suite reaches a server: proxy variables read as curl reads them, credentials never
shown, curl lines that take the same route, and options that cannot work refused at once."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance.engine.config import ConfigError, Settings
from conformance.wire.exchange import Redactor
from conformance.wire.network import Network, NetworkError, NetworkOptions, Proxy, bypassed


def options(proxy: str | None = None, **environ: str) -> NetworkOptions:
    return NetworkOptions.from_sources(
        ca_bundle=None,
        insecure=False,
        client_cert=None,
        client_key=None,
        proxy=proxy,
        environ=environ,
    )


def test_proxy_variables_lower_case_first_and_all_proxy_as_fallback() -> None:
    found = options(
        http_proxy="http://lower:1", HTTP_PROXY="http://upper:2", ALL_PROXY="http://all:3"
    )
    network = Network(found)
    assert network.proxy_for("http", "kv.example") == Proxy.parse("http://lower:1")
    assert network.proxy_for("https", "kv.example") == Proxy.parse("http://all:3")


def test_upper_case_http_proxy_is_ignored_in_a_cgi_script() -> None:
    found = options(HTTP_PROXY="http://evil:1", REQUEST_METHOD="GET")
    assert Network(found).proxy_for("http", "kv.example") is None


def test_kv_proxy_overrides_the_environment_and_none_ignores_it() -> None:
    given = Network(options("http://chosen:8080", HTTPS_PROXY="http://env:1", NO_PROXY="*"))
    assert given.proxy_for("https", "kv.example") == Proxy.parse("http://chosen:8080")
    direct = Network(options("none", HTTPS_PROXY="http://env:1"))
    assert direct.proxy_for("https", "kv.example") is None
    # curl would read HTTPS_PROXY itself: its line says not to.
    assert direct.curl_options("https://kv.example/x") == ("--noproxy", "'*'")


@pytest.mark.parametrize(
    ("host", "no_proxy", "exempt"),
    [
        ("kv.example.com", "example.com", True),
        ("kv.example.com", ".example.com", True),
        ("kv.example.com", "*.example.com", True),
        ("example.com", "example.com:8065", True),
        ("notexample.com", "example.com", False),
        ("10.1.2.3", "10.0.0.0/8", True),
        ("11.1.2.3", "10.0.0.0/8", False),
        ("::1", "[::1]", True),
        ("anything", "*", True),
        ("kv.example.com", "", False),
        ("kv.example.com", " , other.org ,", False),
    ],
)
def test_no_proxy_as_curl_reads_it(host: str, no_proxy: str, exempt: bool) -> None:
    assert bypassed(host, no_proxy) is exempt


def test_no_proxy_exempts_a_host_from_the_proxy() -> None:
    network = Network(options(HTTPS_PROXY="http://p:1", NO_PROXY="internal.example"))
    assert network.proxy_for("https", "kv.internal.example") is None
    assert network.proxy_for("https", "kv.example") is not None


def test_proxy_credentials_are_a_secret_and_curl_lines_name_a_variable() -> None:
    network = Network(options("http://user:p%40ss-word@proxy.example:3128"))
    proxy = network.proxy_for("http", "kv.example")
    assert proxy is not None
    assert proxy.authorization == "Basic dXNlcjpwQHNzLXdvcmQ="
    assert network.curl_options("http://kv.example/x") == ("-x", '"$KV_PROXY"')
    redactor = Redactor(network.secrets)
    shown = redactor.redact("via http://user:p%40ss-word@proxy.example:3128 (p@ss-word)")
    assert "ss-word" not in shown
    assert "dXNlcjpwQHNzLXdvcmQ=" not in redactor.redact("Basic dXNlcjpwQHNzLXdvcmQ=")


def test_a_proxy_without_credentials_is_shown_as_it_is() -> None:
    network = Network(options("proxy.example:3128"))  # no scheme: http://, as curl takes it
    assert network.curl_options("http://kv.example/x") == ("-x", "http://proxy.example:3128")
    assert network.secrets == {}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("socks5://proxy:1080", "not an http:// proxy"),
        ("https://proxy:443", "not an http:// proxy"),
        ("http://user:secret@proxy:port", "bad port"),
    ],
)
def test_unusable_proxies_are_refused_without_their_credentials(url: str, message: str) -> None:
    with pytest.raises(NetworkError, match=message) as raised:
        Proxy.parse(url)
    assert "secret" not in str(raised.value)


def test_curl_lines_carry_trust_and_client_certificate() -> None:
    chosen = NetworkOptions(ca_bundle="/etc/ca dir/ca.pem", client_cert="c.pem", client_key="k")
    assert Network(chosen).curl_options("https://kv.example/x") == (
        "--cacert",
        "'/etc/ca dir/ca.pem'",
        "--cert",
        "c.pem",
        "--key",
        "k",
    )
    assert Network(NetworkOptions(insecure=True)).curl_options("https://kv.example/x") == ("-k",)
    assert Network(chosen).curl_options("http://kv.example/x") == ()


def test_every_ca_variable_the_environment_sets_is_trusted() -> None:
    # A machine may point REQUESTS_CA_BUNDLE at the system's bundle; SSL_CERT_FILE still counts.
    found = options(REQUESTS_CA_BUNDLE="/system.pem", SSL_CERT_FILE="/private.pem")
    assert found.environment_cas == (
        ("REQUESTS_CA_BUNDLE", "/system.pem"),
        ("SSL_CERT_FILE", "/private.pem"),
    )
    only = NetworkOptions.from_sources(
        ca_bundle="/mine.pem",
        insecure=False,
        client_cert=None,
        client_key=None,
        proxy=None,
        environ={"SSL_CERT_FILE": "/private.pem"},
    )
    assert only.environment_cas == ()  # --kv-ca-bundle: its CAs only, as curl --cacert


def build(**given: Any) -> Settings:
    return Settings.build(given.get, {})


TARGET = {"target_url": "https://kv.example", "kv_tokens": ["a", "b"]}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"kv_ca_bundle": "/nonexistent/ca.pem"}, "the CA bundle /nonexistent/ca.pem"),
        ({"kv_client_key": "k.pem"}, "--kv-client-key needs --kv-client-cert"),
        ({"kv_client_cert": "/nonexistent/c.pem"}, "the client certificate /nonexistent/c.pem"),
        ({"kv_proxy": "socks5://p:1"}, "not an http:// proxy"),
        ({"kv_path": ""}, "--kv-path must be an absolute path"),
        ({"kv_path": "api/kv"}, "--kv-path must be an absolute path"),
        ({"kv_path": "/api//kv"}, "--kv-path must be an absolute path"),
        ({"kv_path": "/api/../kv"}, "--kv-path must be an absolute path"),
        ({"kv_path": "/kv?x=1"}, "--kv-path must be an absolute path"),
        ({"target_url": "https://kv.example/?next=/"}, "without a query"),
        ({"target_url": "https://user:pw@kv.example"}, "user name"),
    ],
)
def test_options_that_cannot_work_are_one_sentence(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("?", r"\?")):
        build(**{**TARGET, **given})


def test_credentials_in_the_target_url_are_not_echoed() -> None:
    with pytest.raises(ConfigError, match="user name") as raised:
        build(**{**TARGET, "target_url": "https://admin:hunter2@kv.example/chat"})
    assert "hunter2" not in str(raised.value)
    assert "'https://kv.example/chat'" in str(raised.value)


def test_kv_path_root_and_trailing_slash() -> None:
    assert build(**TARGET, kv_path="/").kv_path == ""
    assert build(**TARGET, kv_path="/api/kv/").kv_path == "/api/kv"
    assert build(**TARGET).kv_path == "/plugins/com.mattermost.apps/api/v1/kv"


def test_network_options_need_a_target() -> None:
    with pytest.raises(ConfigError, match="apply to a server given by --target-url"):
        build(kv_insecure=True)


@pytest.mark.parametrize(
    ("given", "environ", "message"),
    [
        ({"target_url": ""}, {}, "--target-url is empty"),
        ({"target_url": "  "}, {}, "--target-url is empty"),
        ({}, {"KV_TARGET_URL": ""}, "KV_TARGET_URL is empty"),
        ({"kv_tokens": ["x", "y"]}, {}, "tokens were given (--token or KV_TOKENS) but no server"),
        ({}, {"KV_TOKENS": "x,y"}, "but no server"),
        ({}, {"KV_TOKENS": ""}, "but no server"),  # an unset CI secret arrives empty
    ],
)
def test_the_embedded_server_runs_only_when_no_target_is_given(
    given: dict[str, Any], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.build(given.get, environ)


def test_no_target_at_all_is_the_embedded_server() -> None:
    assert Settings.build(lambda name: None, {"KV_PROFILE": "core"}).embedded

"""What the preflight's first answers say about the configuration, as one sentence.

Before any check runs, each identity sets and deletes one key. If no answer came, or the
answer shows that what answers is not a KV API (a web page, a static file server, a gateway
that cannot reach its upstream, a Mattermost without the Apps plugin) or does not take the
token, the run stops with one sentence that names the cause and what to change. Anything else,
even a wrong answer, is left to the checks to judge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from conformance.wire.exchange import Exchange

REDIRECTS = frozenset({301, 302, 303, 307, 308})
GATEWAY_FAILURES = frozenset({502, 504})  # 503 may be the server's own answer (overload)
MATTERMOST_PING = "/api/v4/system/ping"
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
REASON_CHARS = 160


@dataclass(frozen=True)
class Place:
    """Where the preflight sent its set, and how."""

    base_url: str
    kv_path: str  # "" for the root of the host
    proxy: str | None  # the proxy as shown, if the request went through one
    timeout: float

    @property
    def where(self) -> str:
        return f"{self.base_url}{self.kv_path}/{{key}}"

    @property
    def path_shown(self) -> str:
        return self.kv_path or "/"


TLS_ADVICE = {
    "tls-untrusted": "give its CA with --kv-ca-bundle PATH (or REQUESTS_CA_BUNDLE or "
    "SSL_CERT_FILE), or skip verification with --kv-insecure",
    "tls-name": "use a host name the certificate names in --target-url, or --kv-insecure to "
    "skip verification",
    "tls-expired": "renew the server's certificate (or check this machine's clock), or "
    "--kv-insecure to skip verification",
    "tls-plain": "that port speaks plain HTTP: use http:// in --target-url",
    "tls-client-cert": "the server wants a client certificate it trusts: give one with "
    "--kv-client-cert PATH --kv-client-key PATH",
    "tls-protocol": "the suite speaks TLS 1.2 and newer; enable one of them on the server",
    "tls": "check that the port speaks TLS, and the server's TLS settings",
}


def unanswered(exchange: Exchange, place: Place) -> str:
    """The sentence for a preflight request that got no answer."""
    parts = urlsplit(place.base_url)
    host, kind, error = parts.hostname, exchange.error_kind or "other", exchange.error
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if kind in TLS_ADVICE:
        return f"TLS with {host}:{port} failed: {error}; {TLS_ADVICE[kind]}"
    if kind == "dns":
        return (
            f"the host name {host} is not found (DNS); correct --target-url, or, if the server "
            "is reachable only through a proxy, set HTTPS_PROXY / HTTP_PROXY or --kv-proxy"
        )
    if kind == "refused":
        return (
            f"nothing listens at {host}:{port} (connection refused); start the server or "
            "correct --target-url"
        )
    if kind == "proxy-unreachable":
        return (
            f"the proxy cannot be reached ({error}); correct HTTPS_PROXY / HTTP_PROXY or "
            "--kv-proxy, or --kv-proxy none to connect directly"
        )
    if kind == "proxy-refused":
        wants_credentials = "407" in (error or "")
        credentials = " (it wants credentials: http://USER:PASSWORD@host:port)"
        credentials = credentials if wants_credentials else ""
        return (
            f"the proxy {place.proxy} did not open a tunnel to {host}:{port}: {error}"
            f"{credentials}; check the proxy URL and that the proxy may reach the server"
        )
    if kind == "timeout":
        return (
            f"{place.base_url} gave no answer within {place.timeout:g} s; check the address "
            "(a firewall may drop the packets) or raise --kv-timeout"
        )
    tls_hint = " (if that port speaks TLS, use https://)" if parts.scheme == "http" else ""
    return (
        f"no usable answer from {place.base_url} ({error}){tls_hint}; check --target-url: "
        "scheme, host and port"
    )


def not_a_kv_api(
    exchange: Exchange,
    place: Place,
    identity: str,
    redact: Callable[[str], str],
    is_mattermost: Callable[[], bool],
) -> str | None:
    """The sentence for an answer to the preflight's set that no KV API gives, or None."""
    status = exchange.status
    assert status is not None
    title = page_title(exchange, redact)
    shown = f" ({title!r})" if title else ""
    if status in REDIRECTS:
        location = exchange.response_headers.get("location", "?")
        return (
            f"{place.where} redirects to {location}; give the final address as --target-url "
            "(the suite never follows redirects, so tokens never reach another host)"
        )
    if status == 407 and place.proxy:
        return (
            f"the proxy {place.proxy} asks for credentials (407); put them in the proxy URL: "
            "http://USER:PASSWORD@host:port"
        )
    if status in (401, 403):
        reason = exchange.body_preview if exchange.response_body else "no reason given"
        return (
            f"the server rejected token {identity} ({status}: {reason[:REASON_CHARS]}); pass "
            "tokens it accepts with --token (from Mattermost: app-session tokens, see "
            "'Testing a deployed server' in the README)"
        )
    if status == 404:
        if is_mattermost():
            return (
                f"a Mattermost server answers at {place.base_url}, but not the KV API: install "
                "and enable the Apps plugin (com.mattermost.apps), or correct --kv-path (now "
                f"{place.path_shown})"
            )
        return (
            f"{place.where} answered 404 to a set{shown}; check --target-url (the site's base "
            f"URL) and --kv-path (now {place.path_shown})"
        )
    if status in (405, 501):
        return (
            f"{place.where} answered {status} to a set (POST){shown}: that is not the KV API "
            f"(a static web server?); check --target-url (the site's base URL) and --kv-path "
            f"(now {place.path_shown})"
        )
    if status in GATEWAY_FAILURES:
        via = f"the proxy {place.proxy} or a gateway" if place.proxy else "a gateway or proxy"
        return (
            f"{place.where} answered {status} to a set{shown}: {via} in front of the KV "
            "server could not reach it; check that the server runs and the gateway's upstream"
        )
    body = exchange.response_body.lower()
    if status == 400 and b"https port" in body:
        return f"{place.base_url} speaks TLS on that port{shown}: use https:// in --target-url"
    if status == 400 and b"ssl certificate" in body:
        return f"the server wants a TLS client certificate{shown}: {TLS_ADVICE['tls-client-cert']}"
    if 200 <= status < 300 and _is_html(exchange):
        return (
            f"{place.where} answered a set with {status} {exchange.content_type or ''}{shown}: "
            "a web page, not the KV API (a login page, or a site's front end?); check "
            f"--target-url and --kv-path (now {place.path_shown})"
        ).replace("  ", " ")
    return None


def mattermost_ping(exchange: Exchange) -> bool:
    """Whether an answer to GET /api/v4/system/ping is Mattermost's."""
    if exchange.status != 200:
        return False
    try:
        answer = json.loads(exchange.response_body)
    except ValueError:
        return False
    return isinstance(answer, dict) and "status" in answer


def page_title(exchange: Exchange, redact: Callable[[str], str]) -> str | None:
    if not _is_html(exchange):
        return None
    match = _TITLE.search(exchange.response_body)
    if match is None:
        return None
    text = " ".join(match.group(1).decode("utf-8", "replace").split())
    return redact(text[:REASON_CHARS]) or None


def _is_html(exchange: Exchange) -> bool:
    content_type = (exchange.content_type or "").lower()
    start = exchange.response_body.lstrip()[:15].lower()
    return "html" in content_type or start.startswith((b"<!doctype html", b"<html"))

"""How the suite reaches the server: whom it trusts, what certificate it shows, which proxy.

``NetworkOptions`` is the user's choice, resolved once from the options and the environment
(the same variables curl and requests read), so that every part of the suite reaches the
server the same way. ``Network`` applies it: one TLS context for the run, the proxy for a URL
(``NO_PROXY`` honoured), the secrets that must never be shown (proxy credentials), and the
curl options that reach the server the same way in a reproduction line.
"""

from __future__ import annotations

import base64
import ipaddress
import shlex
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote, urlsplit

from conformance.urls import without_credentials

# The variable a proxy URL with credentials is shown as (in curl lines: -x "$KV_PROXY").
PROXY_VARIABLE: Final = "KV_PROXY"
# Variables that name CA bundles (requests reads the first two, curl the second, OpenSSL the
# third). Machines often set several, to the system's bundle: each one the environment names
# is trusted, so that setting any one of them to a private CA works whatever the others say.
CA_BUNDLE_VARIABLES: Final = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")
DIRECT: Final = "none"  # --kv-proxy none: ignore the proxy variables


class NetworkError(ValueError):
    """An option that cannot work (a missing file, a proxy URL of another scheme)."""


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy: where it listens, and its Basic credentials if the URL had some."""

    host: str
    port: int
    authorization: str | None  # the Proxy-Authorization header's value
    shown: str  # the URL as it may be printed: with credentials, $KV_PROXY
    secrets: tuple[str, ...]  # strings that reveal the credentials

    @classmethod
    def parse(cls, url: str) -> Proxy:
        # curl and requests take "host:port" as an http:// proxy.
        try:
            parts = urlsplit(url if "://" in url else f"http://{url}")
        except ValueError:  # an unclosed [
            raise NetworkError(f"the proxy URL {without_credentials(url)} is not a URL") from None
        if parts.scheme != "http":
            raise NetworkError(
                f"the proxy {without_credentials(url)} is not an http:// proxy; the suite "
                "speaks to HTTP proxies only (CONNECT carries https through them)"
            )
        shown = without_credentials(url)
        try:
            port = parts.port or 80
        except ValueError:
            raise NetworkError(f"the proxy URL {shown} has a bad port") from None
        if not parts.hostname:
            raise NetworkError(f"the proxy URL {shown} names no host")
        if parts.username is None:
            return cls(parts.hostname, port, None, f"http://{parts.hostname}:{port}", ())
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        encoded = base64.b64encode(credentials.encode()).decode()
        secrets = (url, encoded, credentials, unquote(parts.password or ""))
        return cls(
            parts.hostname,
            port,
            f"Basic {encoded}",
            f"${PROXY_VARIABLE}",
            tuple(s for s in secrets if s),
        )


@dataclass(frozen=True)
class NetworkOptions:
    """What the user chose; ``from_sources`` reads options first, then the environment."""

    ca_bundle: str | None = None  # --kv-ca-bundle: trust these CAs only (as curl --cacert)
    # Without it: the system store, and the bundle each variable names (variable, path).
    environment_cas: tuple[tuple[str, str], ...] = ()
    insecure: bool = False
    client_cert: str | None = None
    client_key: str | None = None
    # Proxy URL by scheme ("http", "https", "all") and the NO_PROXY list, as read at start.
    proxies: Mapping[str, str] = field(default_factory=dict)
    no_proxy: str = ""
    direct: bool = False  # --kv-proxy none: the proxy variables were ignored

    @classmethod
    def from_sources(
        cls,
        *,
        ca_bundle: str | None,
        insecure: bool,
        client_cert: str | None,
        client_key: str | None,
        proxy: str | None,
        environ: Mapping[str, str],
    ) -> NetworkOptions:
        environment_cas = tuple(
            (name, environ[name]) for name in CA_BUNDLE_VARIABLES if environ.get(name)
        )
        if proxy == DIRECT:
            proxies: dict[str, str] = {}
        elif proxy:
            proxies = {"http": proxy, "https": proxy}
        else:
            proxies = _proxies_from(environ)
        no_proxy = "" if proxy else proxies.pop("no", "")
        proxies.pop("no", None)
        return cls(
            ca_bundle=ca_bundle or None,
            environment_cas=() if ca_bundle else environment_cas,
            insecure=insecure,
            client_cert=client_cert or None,
            client_key=client_key or None,
            proxies=proxies,
            no_proxy=no_proxy,
            direct=proxy == DIRECT,
        )

    def check(self) -> None:
        """Raise ``NetworkError`` now for what would fail at the first request."""
        if self.client_key and not self.client_cert:
            raise NetworkError("--kv-client-key needs --kv-client-cert (the certificate)")
        tls_context(self)
        for url in self.proxies.values():
            Proxy.parse(url)

    def describe(self) -> dict[str, object]:
        """For the summary and the report: nothing secret."""
        return {
            "tls_verification": not self.insecure,
            "ca_bundle": self.ca_bundle,
            "ca_bundles_from_environment": dict(self.environment_cas),
            "client_certificate": self.client_cert,
            "proxies": {scheme: Proxy.parse(url).shown for scheme, url in self.proxies.items()},
            "no_proxy": self.no_proxy or None,
        }


def _proxies_from(environ: Mapping[str, str]) -> dict[str, str]:
    """The proxy variables as urllib (and so curl-like tools) reads them: lower case first."""
    found: dict[str, str] = {}
    for name, value in environ.items():
        lower = name.lower()
        if value and lower.endswith("_proxy") and name in (lower, lower.upper()):
            scheme = lower[: -len("_proxy")]
            # The upper-case form of http_proxy is ignored in CGI scripts (httpoxy), as urllib does.
            if name == "HTTP_PROXY" and "REQUEST_METHOD" in environ:
                continue
            if name == lower or scheme not in found:
                found[scheme] = value
    return {s: v for s, v in found.items() if s in ("http", "https", "all", "no")}


def tls_context(options: NetworkOptions) -> ssl.SSLContext:
    """The run's TLS context: the CA bundle, or the system store and the environment's."""
    bundles = (
        [("--kv-ca-bundle", options.ca_bundle)] if options.ca_bundle else options.environment_cas
    )
    # With --kv-ca-bundle only its CAs; otherwise the system's (SSL_CERT_DIR included) too.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not options.ca_bundle:
        context.load_default_certs()
    for source, path in bundles:
        try:
            context.load_verify_locations(cafile=path)
        except FileNotFoundError:
            raise NetworkError(f"the CA bundle {path} (from {source}) does not exist") from None
        except ssl.SSLError as error:
            raise NetworkError(
                f"the CA bundle {path} (from {source}) holds no certificate in PEM form "
                f"({error.reason or error})"
            ) from None
    if options.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if options.client_cert:
        try:
            context.load_cert_chain(options.client_cert, options.client_key)
        except FileNotFoundError:
            raise NetworkError(
                f"the client certificate {options.client_cert} or its key does not exist"
            ) from None
        except ssl.SSLError as error:
            raise NetworkError(
                f"the client certificate {options.client_cert} and key could not be loaded "
                f"({error.reason or error}); give a PEM certificate and its unencrypted key"
            ) from None
    return context


class Network:
    """``NetworkOptions`` applied; shared by every client of a run (thread-safe)."""

    def __init__(self, options: NetworkOptions | None = None) -> None:
        self.options = options or NetworkOptions()
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self._proxies = {scheme: Proxy.parse(url) for scheme, url in self.options.proxies.items()}

    @property
    def context(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                self._context = tls_context(self.options)
            return self._context

    def proxy_for(self, scheme: str, host: str) -> Proxy | None:
        proxy = self._proxies.get(scheme) or self._proxies.get("all")
        if proxy is None:
            return None
        return None if bypassed(host, self.options.no_proxy) else proxy

    def proxy_shown(self, url: str) -> str | None:
        """The proxy requests to ``url`` go through, as it may be shown (credentials hidden)."""
        parts = urlsplit(url)
        proxy = self.proxy_for(parts.scheme, parts.hostname or "")
        return proxy.shown if proxy is not None else None

    @property
    def secrets(self) -> dict[str, str]:
        """Strings to redact, each mapped to the variable shown instead."""
        return {s: PROXY_VARIABLE for proxy in self._proxies.values() for s in proxy.secrets}

    def curl_options(self, url: str) -> tuple[str, ...]:
        """curl options that reach ``url`` as the suite does (trust, certificate, proxy)."""
        parts = urlsplit(url)
        words: list[str] = []
        proxy = self.proxy_for(parts.scheme, parts.hostname or "")
        if proxy is not None:
            words += ["-x", f'"{proxy.shown}"' if "$" in proxy.shown else proxy.shown]
        elif self.options.proxies or self.options.direct:
            words += ["--noproxy", "'*'"]  # curl would read the proxy variables otherwise
        if parts.scheme == "https":
            if self.options.insecure:
                words.append("-k")
            elif self.options.ca_bundle:
                words += ["--cacert", shlex.quote(self.options.ca_bundle)]
            if self.options.client_cert:
                words += ["--cert", shlex.quote(self.options.client_cert)]
                if self.options.client_key:
                    words += ["--key", shlex.quote(self.options.client_key)]
        return tuple(words)


def bypassed(host: str, no_proxy: str) -> bool:
    """Whether NO_PROXY exempts ``host``, as curl reads it: ``*``, domains (a leading dot or
    ``*.`` optional, subdomains included), addresses and CIDR ranges; a ``:port`` is ignored."""
    host = host.lower().strip("[]")
    return any(_matches(host, item.strip().lower()) for item in no_proxy.split(","))


def _matches(host: str, entry: str) -> bool:
    if entry == "*":
        return True
    if entry.startswith("[") and "]" in entry:
        entry = entry[1 : entry.index("]")]
    elif entry.count(":") == 1:
        entry = entry.partition(":")[0]
    entry = entry.removeprefix("*").lstrip(".")
    if "/" in entry:
        try:
            return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return False
    return bool(entry) and (host == entry or host.endswith(f".{entry}"))

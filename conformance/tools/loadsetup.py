"""The Locust profile's configuration and preflight, in plain Python (no Locust import).

The profile (``loadtest.py``) reads its configuration once, from ``--host`` and the
environment, and before any user starts sends a set, a read and a delete of one marked key per
identity. Whatever cannot work ends there with one sentence, worded in the profile's own
options (``--host``, ``KV_TOKENS``, ``KV_PATH``, ...), never with a traceback or a flood of
failures.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from conformance.engine import preflight
from conformance.engine.config import ConfigError
from conformance.engine.preflight import Place
from conformance.urls import base_url_problem
from conformance.wire.client import DEFAULT_KV_PATH, DEFAULT_TIMEOUT, KVClient
from conformance.wire.exchange import Exchange
from conformance.wire.network import Network, NetworkError, NetworkOptions

IDENTITIES = ("A", "B")
TOKEN_VARIABLES = ("KV_TOKEN", "KV_TOKEN_B")
PREFLIGHT_TIMEOUT = 10.0

# The suite's preflight sentences name the suite's options; the profile's are these.
_OPTION_NAMES = {
    "--target-url": "--host",
    "--token": "KV_TOKENS",
    "--kv-path": "KV_PATH",
    "--kv-proxy none": "KV_PROXY=none",
    "--kv-proxy": "KV_PROXY",
    "--kv-ca-bundle PATH": "KV_CA_BUNDLE=PATH",
    "--kv-ca-bundle": "KV_CA_BUNDLE",
    "--kv-insecure": "KV_INSECURE=1",
    "--kv-client-cert PATH": "KV_CLIENT_CERT=PATH",
    "--kv-client-key PATH": "KV_CLIENT_KEY=PATH",
    "--kv-client-cert": "KV_CLIENT_CERT",
    "--kv-client-key": "KV_CLIENT_KEY",
    "--kv-timeout": "KV_TIMEOUT",
}
_OPTION = re.compile(
    "|".join(re.escape(name) for name in sorted(_OPTION_NAMES, key=len, reverse=True))
)


def in_profile_terms(sentence: str) -> str:
    """A suite sentence with the suite's options replaced by the profile's."""
    return _OPTION.sub(lambda match: _OPTION_NAMES[match.group(0)], sentence)


@dataclass(frozen=True)
class LoadConfig:
    """What every user of the profile shares: the tokens, where the routes are, the network."""

    tokens: tuple[str, str]
    kv_path: str
    timeout: float
    network: Network

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LoadConfig:
        """Raises ``ConfigError`` (one sentence) for a configuration that cannot work."""
        tokens = tuple(token.strip() for token in environ.get("KV_TOKENS", "").split(","))
        tokens = tuple(token for token in tokens if token)
        if len(tokens) != 2:
            if "KV_TOKENS" not in environ:
                given = "KV_TOKENS is not set"
            elif len(tokens) < 2:
                given = "KV_TOKENS holds one token" if tokens else "KV_TOKENS is empty"
            else:
                given = f"KV_TOKENS holds {len(tokens)} tokens, not 2"
            raise ConfigError(
                f"{given}: set KV_TOKENS=TOKEN_A,TOKEN_B, the tokens of two different users of "
                "the server"
            )
        if tokens[0] == tokens[1]:
            raise ConfigError(
                "KV_TOKENS holds the same token twice: give two different users' tokens"
            )
        kv_path = environ.get("KV_PATH", DEFAULT_KV_PATH)
        if not kv_path.startswith("/"):
            raise ConfigError(f"KV_PATH must start with /, not {kv_path!r}")
        text = environ.get("KV_TIMEOUT", str(DEFAULT_TIMEOUT))
        try:
            timeout = float(text)
        except ValueError:
            timeout = -1.0
        if not 0 < timeout < float("inf"):
            raise ConfigError(f"KV_TIMEOUT must be a positive number of seconds, not {text!r}")
        options = NetworkOptions.from_sources(
            ca_bundle=environ.get("KV_CA_BUNDLE"),
            insecure=environ.get("KV_INSECURE", "") not in ("", "0"),
            client_cert=environ.get("KV_CLIENT_CERT"),
            client_key=environ.get("KV_CLIENT_KEY"),
            proxy=environ.get("KV_PROXY"),
            environ=environ,
        )
        try:
            options.check()
        except NetworkError as error:
            raise ConfigError(in_profile_terms(str(error))) from None
        return cls((tokens[0], tokens[1]), kv_path, timeout, Network(options))

    @property
    def secrets(self) -> dict[str, str]:
        """Each token and the variable that stands for it in curl lines."""
        return dict(zip(self.tokens, TOKEN_VARIABLES, strict=True))

    def client(self, host: str, identity: int) -> KVClient:
        """A client of identity 0 (A) or 1 (B) on ``host``; the caller closes it."""
        return KVClient(
            host,
            self.tokens[identity],
            kv_path=self.kv_path,
            timeout=self.timeout,
            token_variable=TOKEN_VARIABLES[identity],
            secrets=self.secrets,
            network=self.network,
        )


def check_host(host: str | None) -> str:
    """The base URL from ``--host``; raises ``ConfigError`` if there is none or it is no URL."""
    if not host:
        raise ConfigError(
            "no --host: give the KV server's base (site) URL, e.g. --host https://chat.example.com"
        )
    problem = base_url_problem(host, "--host")
    if problem is not None:
        raise ConfigError(problem)
    return host.rstrip("/")


def run_preflight(config: LoadConfig, host: str) -> None:
    """Set, read and delete one marked key per identity; raises ``ConfigError`` with the
    sentence of the first thing that cannot work (nothing listening, not a KV API, a rejected
    token, ...)."""
    key = f"kvc-load-{secrets.token_hex(4)}-preflight"
    for identity in range(len(IDENTITIES)):
        client = config.client(host, identity)
        try:
            _preflight_one(client, config, host, key, identity)
        finally:
            client.close()


def _preflight_one(
    client: KVClient, config: LoadConfig, host: str, key: str, identity: int
) -> None:
    proxy = config.network.proxy_for(urlsplit(host).scheme, urlsplit(host).hostname or "")
    place = Place(host, client.kv_path, proxy.shown if proxy else None, config.timeout)
    name = IDENTITIES[identity]

    def is_mattermost() -> bool:
        url = f"{host}{preflight.MATTERMOST_PING}"
        return preflight.mattermost_ping(client.send("GET", key, url=url))

    written = client.send("POST", key, body=b"true")
    _answered(written, place)
    problem = preflight.not_a_kv_api(written, place, name, client.redactor.redact, is_mattermost)
    if problem is not None:
        raise ConfigError(in_profile_terms(problem))
    if written.status not in (200, 201):
        raise ConfigError(_refused("set", written, name))
    read = client.send("GET", key)
    _answered(read, place)
    if read.status is not None and read.status >= 400:
        raise ConfigError(_refused("read", read, name))
    deleted = client.send("DELETE", key)
    _answered(deleted, place)
    if deleted.status is not None and deleted.status >= 400:
        raise ConfigError(_refused("delete", deleted, name))


def _answered(exchange: Exchange, place: Place) -> None:
    if exchange.status is None:
        raise ConfigError(in_profile_terms(preflight.unanswered(exchange, place)))


def _refused(what: str, exchange: Exchange, name: str) -> str:
    return (
        f"identity {name}'s {what} of a marked key answered {exchange.summary()}; the profile "
        f"needs a server that takes both tokens' sets, reads and deletes: {exchange.curl()}"
    )

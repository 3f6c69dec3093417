"""The suite's configuration: built once from options and environment, then read-only."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.engine.baseline import Baseline, BaselineError
from conformance.engine.requirements import PROFILES
from conformance.reference.faults import Faults
from conformance.urls import base_url_problem
from conformance.wire.client import DEFAULT_KV_PATH, DEFAULT_TIMEOUT
from conformance.wire.network import NetworkError, NetworkOptions

DEFAULT_EXAMPLES = 40
THOROUGH_EXAMPLES = 500
DEFAULT_SEQUENCE_STEPS = 20
THOROUGH_SEQUENCE_STEPS = 60
# Operations per concurrent client in the concurrency checks.
DEFAULT_CONCURRENT_OPERATIONS = 40
THOROUGH_CONCURRENT_OPERATIONS = 200
MIN_DURATION_SECONDS = 10.0
# A default run takes seconds on loopback and under a minute across a network; this bounds a
# run against a server that stops answering now and then (0: no limit).
DEFAULT_MAX_DURATION_SECONDS = 900.0
# Requests in flight at once: enough that a run across a network takes about its longest
# chain of dependent round trips rather than their sum; few enough for a small server (a
# browser opens 6 connections per host; a thread-per-connection server serves 16 easily).
DEFAULT_CONNECTIONS = 32
MAX_CONNECTIONS = 256
# Requests of the run left without an answer (timeout, reset, cut off) before the remaining
# checks are not tested: each of them would only fail HTTP-01 again, after its timeout.
DEFAULT_UNANSWERED_LIMIT = 3
# How long entries written at the start must survive (DUR-01): past "a few seconds" of expiry,
# and about as long as the rest of the default run takes, so that it waits little or not at all.
DEFAULT_HOLD_SECONDS = 5.0
THOROUGH_HOLD_SECONDS = 60.0


class ConfigError(Exception):
    """Bad configuration; the message is one sentence saying what to do."""


@dataclass(frozen=True)
class Settings:
    target_url: str | None  # None: the embedded reference server
    tokens: tuple[str, ...]
    profile: str = "core"
    kv_path: str = DEFAULT_KV_PATH
    timeout: float = DEFAULT_TIMEOUT
    strict: bool = False
    seed: int = 0
    examples: int = DEFAULT_EXAMPLES
    sequence_steps: int = DEFAULT_SEQUENCE_STEPS
    reference_faults: tuple[str, ...] = ()
    reference_latency_ms: float = 0.0  # the embedded server holds each answer this long
    baseline: Baseline | None = None  # an earlier run's summary: only regressions fail
    concurrent_operations: int = DEFAULT_CONCURRENT_OPERATIONS
    hold_seconds: float = DEFAULT_HOLD_SECONDS
    restart_command: str | None = None  # --restart-cmd: run between writes and reads (RST-01)
    max_duration: float | None = None  # --max-duration: seconds for the whole run; None: none
    connections: int = DEFAULT_CONNECTIONS  # --kv-connections: requests in flight at once
    unanswered_limit: int = DEFAULT_UNANSWERED_LIMIT  # 0: never stop for missing answers
    # Trust, client certificate and proxy (options first, then the environment).
    network: NetworkOptions = field(default_factory=NetworkOptions)

    @property
    def embedded(self) -> bool:
        return self.target_url is None

    @classmethod
    def build(cls, option: Callable[[str], Any], environ: Mapping[str, str]) -> Settings:
        """From pytest options (``option(name)``), falling back to the environment."""
        target_url = _target_url(option, environ)
        tokens = tuple(option("kv_tokens") or ())
        if not tokens and environ.get("KV_TOKENS"):
            tokens = tuple(t.strip() for t in environ["KV_TOKENS"].split(",") if t.strip())
        if target_url is None and (tokens or "KV_TOKENS" in environ):
            # Tokens are for a server of the user's: testing the embedded one instead would
            # pass a CI job whose URL variable is unset.
            raise ConfigError(
                "tokens were given (--token or KV_TOKENS) but no server: set --target-url or "
                "KV_TARGET_URL to its base URL (give neither to test the embedded reference "
                "server)"
            )
        profile = option("kv_profile") or environ.get("KV_PROFILE") or "core"
        kv_path = option("kv_path")
        seed = option("kv_seed")
        thorough = bool(option("kv_thorough"))
        default_examples = THOROUGH_EXAMPLES if thorough else DEFAULT_EXAMPLES
        settings = cls(
            target_url=target_url,
            tokens=tokens,
            profile=profile,
            kv_path=_kv_path(DEFAULT_KV_PATH if kv_path is None else kv_path),
            timeout=float(_given(option("kv_timeout"), DEFAULT_TIMEOUT)),
            strict=bool(option("kv_strict")),
            seed=int(seed) if seed is not None else secrets.randbelow(2**32),
            examples=int(_given(option("kv_examples"), default_examples)),
            sequence_steps=THOROUGH_SEQUENCE_STEPS if thorough else DEFAULT_SEQUENCE_STEPS,
            reference_faults=tuple(option("kv_reference_faults") or ()),
            reference_latency_ms=float(option("kv_reference_latency") or 0.0),
            baseline=_load_baseline(option("kv_baseline")),
            concurrent_operations=(
                THOROUGH_CONCURRENT_OPERATIONS if thorough else DEFAULT_CONCURRENT_OPERATIONS
            ),
            hold_seconds=float(
                option("kv_hold")
                if option("kv_hold") is not None
                else THOROUGH_HOLD_SECONDS
                if thorough
                else DEFAULT_HOLD_SECONDS
            ),
            restart_command=option("kv_restart_cmd") or None,
            max_duration=_max_duration(option("kv_max_duration")),
            connections=_count(option("kv_connections"), DEFAULT_CONNECTIONS),
            unanswered_limit=_count(option("kv_unanswered_limit"), DEFAULT_UNANSWERED_LIMIT),
            network=NetworkOptions.from_sources(
                ca_bundle=option("kv_ca_bundle"),
                insecure=bool(option("kv_insecure")),
                client_cert=option("kv_client_cert"),
                client_key=option("kv_client_key"),
                proxy=option("kv_proxy"),
                environ=environ,
            ),
        )
        settings.validate()
        network_options = ("kv_ca_bundle", "kv_insecure", "kv_client_cert", "kv_proxy")
        if settings.embedded and any(option(name) for name in network_options):
            raise ConfigError(
                "--kv-ca-bundle, --kv-insecure, --kv-client-cert and --kv-proxy apply to a "
                "server given by --target-url; the embedded server is reached directly"
            )
        return settings

    def validate(self) -> None:
        if self.profile not in PROFILES:
            raise ConfigError(
                f"unknown profile {self.profile!r}: use --profile core or --profile mattermost"
            )
        if self.target_url is not None:
            problem = base_url_problem(self.target_url, "--target-url")
            if problem is not None:  # (said without any credentials put in the URL)
                raise ConfigError(problem)
            try:
                self.network.check()
            except NetworkError as error:
                raise ConfigError(str(error)) from None
            if not self.tokens:
                raise ConfigError(
                    "give the tokens of two different users of your server: "
                    "--token TOKEN_A --token TOKEN_B (or KV_TOKENS=A,B)"
                )
            if self.reference_faults or self.reference_latency_ms:
                raise ConfigError(
                    "--kv-reference-fault and --kv-reference-latency apply to the embedded "
                    "server only; drop them or drop --target-url"
                )
        if self.reference_latency_ms < 0:
            raise ConfigError("--kv-reference-latency must be zero or more milliseconds")
        if len(set(self.tokens)) != len(self.tokens):
            raise ConfigError("the same token was given twice: give two different users' tokens")
        if self.timeout <= 0:
            raise ConfigError("--kv-timeout must be a positive number of seconds")
        if not 1 <= self.connections <= MAX_CONNECTIONS:
            raise ConfigError(
                f"--kv-connections must be between 1 and {MAX_CONNECTIONS}, not "
                f"{self.connections} (1 sends one request at a time)"
            )
        if self.unanswered_limit < 0:
            raise ConfigError("--kv-unanswered-limit must be 0 (no limit) or more")
        if self.max_duration is not None and self.max_duration < MIN_DURATION_SECONDS:
            raise ConfigError(f"--max-duration must be at least {MIN_DURATION_SECONDS:g} seconds")
        if self.hold_seconds < 0:
            raise ConfigError("--kv-hold must be zero or a positive number of seconds")
        if self.examples < 1:
            raise ConfigError("--kv-examples must be at least 1")
        try:
            Faults.from_names(self.reference_faults)
        except ValueError as error:
            raise ConfigError(f"{error}") from None
        if self.baseline is not None and self.baseline.profile != self.profile:
            raise ConfigError(
                f"the baseline {self.baseline.path} is of the {self.baseline.profile} profile: "
                f"run with --profile {self.baseline.profile}, or take a new baseline"
            )


def _given(value: Any, default: Any) -> Any:
    """An option's value, or the default when it was not given (0 is a value, to validate)."""
    return default if value is None else value


def _target_url(option: Callable[[str], Any], environ: Mapping[str, str]) -> str | None:
    """The target's URL; None (the embedded server) only when no URL was given at all."""
    given: str | None = option("target_url")
    source = "--target-url"
    if given is None and "KV_TARGET_URL" in environ:
        given, source = environ["KV_TARGET_URL"], "KV_TARGET_URL"
    if given is None:
        return None
    if not given.strip():
        raise ConfigError(
            f"{source} is empty: set it to the server's base URL (such as "
            "https://chat.example.com); to test the embedded reference server, leave it out"
        )
    return given.strip().rstrip("/")


def _kv_path(given: str) -> str:
    """The KV routes' path, "" for the root of the host; a path that cannot work is an error."""
    path = given.strip()
    bad = (
        not path.startswith("/")
        or "//" in path
        or any(c in path for c in "?# \t")
        or any(s in (".", "..") for s in path.split("/"))
    )
    if bad:
        raise ConfigError(
            f"--kv-path must be an absolute path such as {DEFAULT_KV_PATH}, or / for the KV "
            f"routes at the root of the host; not {given!r}"
        )
    return path.rstrip("/")


def _load_baseline(path: str | None) -> Baseline | None:
    if not path:
        return None
    try:
        return Baseline.load(path)
    except BaselineError as error:
        raise ConfigError(str(error)) from None


def _max_duration(value: float | None) -> float | None:
    """--max-duration: the default limit when not given; 0 for none."""
    if value is None:
        return DEFAULT_MAX_DURATION_SECONDS
    return None if value == 0 else float(value)


def _count(value: int | None, default: int) -> int:
    return default if value is None else int(value)

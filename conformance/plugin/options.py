"""The suite's command-line options: one group, one prefix where pytest's own could clash.

Defined once, as data: the plugin adds them to pytest's parser (``pytest --help`` lists them
in their group), and ``kv-conformance --help`` prints them from the same table
(``conformance/usage.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pytest

from conformance.engine.requirements import PROFILES

GROUP = "kv-conformance"
GROUP_TITLE = "KV API conformance (kv-conformance)"


@dataclass(frozen=True)
class Option:
    """One option, as argparse takes it."""

    name: str
    dest: str
    help: str
    metavar: str | None = None
    action: Literal["store", "store_true", "append"] = "store"
    type: type[int] | type[float] | None = None
    choices: Sequence[str] | None = None

    @property
    def takes_value(self) -> bool:
        return self.action != "store_true"

    @property
    def shown(self) -> str:
        """The option as pytest's help shows it: ``--seed=N``, ``--profile={core,mattermost}``."""
        if not self.takes_value:
            return self.name
        if self.choices is not None:
            return f"{self.name}={{{','.join(self.choices)}}}"
        return f"{self.name}={self.metavar or self.dest.upper()}"

    def arguments(self) -> dict[str, object]:
        """Keyword arguments for ``addoption``: only those given, as argparse expects."""
        given: dict[str, object] = {"dest": self.dest, "help": self.help, "action": self.action}
        if self.metavar is not None:
            given["metavar"] = self.metavar
        if self.type is not None:
            given["type"] = self.type
        if self.choices is not None:
            given["choices"] = self.choices
        return given


OPTIONS: tuple[Option, ...] = (
    Option(
        "--target-url",
        dest="target_url",
        metavar="URL",
        help="base URL of the server under test (its site URL; the KV routes are under "
        "--kv-path). Default: the embedded reference server. Env: KV_TARGET_URL",
    ),
    Option(
        "--token",
        dest="kv_tokens",
        action="append",
        metavar="TOKEN",
        help="a bearer token; give two, of two different users (identities A and B). "
        "Env: KV_TOKENS=A,B",
    ),
    Option(
        "--profile",
        dest="kv_profile",
        choices=PROFILES,
        help="core: the documented contract, accepting legitimate variations (default); "
        "mattermost: also byte-level parity with the upstream plugin. Env: KV_PROFILE",
    ),
    Option(
        "--kv-path",
        dest="kv_path",
        metavar="PATH",
        help="path of the KV routes under the base URL "
        "(default /plugins/com.mattermost.apps/api/v1/kv; / for routes at the root of the host)",
    ),
    Option(
        "--kv-ca-bundle",
        dest="kv_ca_bundle",
        metavar="PATH",
        help="PEM file of the CA(s) to trust for an https target, and no others. Without it: "
        "the system's trust store and each bundle REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or "
        "SSL_CERT_FILE names",
    ),
    Option(
        "--kv-insecure",
        dest="kv_insecure",
        action="store_true",
        help="do not verify the server's TLS certificate; every report then says so at the top",
    ),
    Option(
        "--kv-client-cert",
        dest="kv_client_cert",
        metavar="PATH",
        help="PEM client certificate for mutual TLS (the key in it, or in --kv-client-key)",
    ),
    Option(
        "--kv-client-key",
        dest="kv_client_key",
        metavar="PATH",
        help="PEM private key (unencrypted) of --kv-client-cert",
    ),
    Option(
        "--kv-proxy",
        dest="kv_proxy",
        metavar="URL",
        help="HTTP proxy for every request (http://[user:password@]host:port; https goes "
        "through it with CONNECT), or 'none' to connect directly. Default: HTTPS_PROXY, "
        "HTTP_PROXY, ALL_PROXY and NO_PROXY, as curl reads them",
    ),
    Option(
        "--kv-timeout",
        dest="kv_timeout",
        type=float,
        metavar="SECONDS",
        help="per-request timeout (default 10)",
    ),
    Option(
        "--kv-strict",
        dest="kv_strict",
        action="store_true",
        help="SHOULD requirements that are not met fail the run (pytest's own --strict is "
        "something else)",
    ),
    Option(
        "--seed",
        dest="kv_seed",
        type=int,
        metavar="N",
        help="seed for generated values and sequences; every run prints the seed it used, and "
        "--seed repeats that run exactly",
    ),
    Option(
        "--kv-examples",
        dest="kv_examples",
        type=int,
        metavar="N",
        help="examples per property-based check (default 40; 500 with --thorough)",
    ),
    Option(
        "--thorough",
        dest="kv_thorough",
        action="store_true",
        help="the nightly budget: 500 examples per check, sequences of 60 steps instead of 20, "
        "200 operations per concurrent client instead of 40, a 60 s hold (--kv-hold)",
    ),
    Option(
        "--kv-summary",
        dest="kv_summary",
        metavar="PATH",
        help="write the run's summary as JSON: verdict per requirement, configuration "
        "(tokens redacted), seed, timings",
    ),
    Option(
        "--kv-har",
        dest="kv_har",
        metavar="PATH",
        help="write every request and answer of the run as HAR 1.2 (tokens redacted), for "
        "browsers' developer tools; failures in the HTML report link to their exchanges",
    ),
    Option(
        "--kv-hold",
        dest="kv_hold",
        type=float,
        metavar="SECONDS",
        help="entries written at the start of the run must still read back this long after "
        "(DUR-01; default 5, 60 with --thorough)",
    ),
    Option(
        "--max-duration",
        dest="kv_max_duration",
        type=float,
        metavar="SECONDS",
        help="limit for the whole run: checks stop in time to leave a fifth of it (at most "
        "30 s) for cleanup; checks not run are reported not tested (default 900; 0: none)",
    ),
    Option(
        "--kv-connections",
        dest="kv_connections",
        type=int,
        metavar="N",
        help="requests in flight at once, each lane over its own keep-alive connection per "
        "identity; 1 sends one request at a time, with the same verdicts (default 32)",
    ),
    Option(
        "--kv-unanswered-limit",
        dest="kv_unanswered_limit",
        type=int,
        metavar="N",
        help="after N requests of the run got no answer, HTTP-01 fails with them as evidence "
        "and the checks not yet judged are not tested (default 3; 0: never stop)",
    ),
    Option(
        "--restart-cmd",
        dest="kv_restart_cmd",
        metavar="CMD",
        help="a shell command that restarts the server under test; with it, RST-01 checks "
        "that every acknowledged set survives the restart",
    ),
    Option(
        "--baseline",
        dest="kv_baseline",
        metavar="FILE",
        help="an earlier run's --kv-summary file: requirements that failed there are known "
        "failures (shown as xfail) and only regressions fail the run",
    ),
    Option(
        "--kv-reference-fault",
        dest="kv_reference_faults",
        action="append",
        metavar="NAME",
        help="switch on a named fault in the embedded reference server, to see what a "
        "failing run looks like (python -m conformance.reference --list-faults)",
    ),
    Option(
        "--kv-reference-latency",
        dest="kv_reference_latency",
        type=float,
        metavar="MS",
        help="the embedded reference server holds every answer MS milliseconds, to rehearse "
        "a server across a network (default 0)",
    ),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, GROUP_TITLE)
    for option in OPTIONS:
        group.addoption(option.name, **option.arguments())

"""The suite against a deployed server, with real intermediaries on 127.0.0.1: TLS with a
private CA (nginx terminating it), a forward proxy that is the only route (proxy.py, with
CONNECT for https), a site under a sub-path, and the KV routes at the root of the host.

nginx is Debian's nginx-light, installed by ``./dev`` where apt-get may be used; without it
those tests are skipped with that reason. The CA is made by trustme for each session.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from conformance.reference import ReferenceServer
from tests.support.intermediaries import INTERNAL_HOST, Tls, forward_proxy, free_port, nginx
from tests.support.suite_run import SuiteRun, run_pytest, run_suite

pytestmark = pytest.mark.slow

TOKENS = ["tok-a", "tok-b"]
SITE = "/chat"  # where nginx serves the site; the KV routes are under it
KV_PATH = "/plugins/com.mattermost.apps/api/v1/kv"
# Enough examples to exercise every check through the intermediary; detection is not the
# subject here (the fault matrix is).
QUICK = ("--kv-examples=10", "--kv-hold=0", "--seed=1")
PROXY_PASSWORD = "pr0xy-s3cret-w0rd"
# One check of each way the suite makes a connection: the run's clients, fuzzing, concurrent
# clients, and the capacity check's parallel cleanup. A full run is made where the subject is
# the whole verdict (TLS by option, the proxy as the only route, the root path).
EVERY_PART = (
    "-k",
    "values_round_trip or generated_requests or concurrent_sets or thousand_entries",
)


@dataclass(frozen=True)
class Pki:
    ca: Path  # the private CA's certificate, PEM
    server: Tls  # for localhost and the internal name (not 127.0.0.1)
    expired: Tls
    client_cert: Path  # certificate and key in one file
    client_key: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))

    def leaf(
        name: str,
        *identities: str,
        not_before: datetime.datetime | None = None,
        not_after: datetime.datetime | None = None,
    ) -> Tls:
        cert = authority.issue_cert(*identities, not_before=not_before, not_after=not_after)
        cert.cert_chain_pems[0].write_to_path(str(folder / f"{name}.pem"))
        cert.private_key_pem.write_to_path(str(folder / f"{name}.key"))
        return Tls(folder / f"{name}.pem", folder / f"{name}.key")

    now = datetime.datetime.now(datetime.UTC)
    client = leaf("client", "kv-conformance@example.com")
    return Pki(
        ca=folder / "ca.pem",
        server=leaf("server", "localhost", INTERNAL_HOST),
        expired=leaf(
            "expired",
            "localhost",
            not_before=now - datetime.timedelta(days=30),
            not_after=now - datetime.timedelta(days=1),
        ),
        client_cert=client.certificate,
        client_key=client.key,
    )


@pytest.fixture
def site() -> Iterator[ReferenceServer]:
    """The reference server as a site installed under /chat (nginx passes URIs unchanged)."""
    with ReferenceServer(TOKENS, kv_path=SITE + KV_PATH) as server:
        yield server


@pytest.fixture
def https_site(site: ReferenceServer, pki: Pki, tmp_path: Path) -> Iterator[int]:
    """nginx terminating TLS for the site; yields its port. (Per test: nginx keeps
    connections to the server open, whose threads each test must see end.)"""
    upstream = site.url.removeprefix("http://")
    with nginx(tmp_path / "nginx", upstream, tls=pki.server, location=SITE) as port:
        yield port


def tokens() -> list[str]:
    return [f"--token={token}" for token in TOKENS]


def conformant(run: SuiteRun) -> None:
    assert run.ret == 0, run.stdout[-3000:]
    assert run.verdicts, "no verdicts"
    assert not {r: v for r, v in run.verdicts.items() if v not in ("pass", "not tested")}


def one_sentence(result: pytest.RunResult, *fragments: str) -> str:
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 2, output[-3000:]
    assert "Traceback" not in output
    for fragment in fragments:
        assert fragment in output, output[-3000:]
    return output


# -- TLS ------------------------------------------------------------------------------------


def test_private_ca_by_option_under_a_sub_path(
    pytester: pytest.Pytester, https_site: int, pki: Pki
) -> None:
    url = f"https://localhost:{https_site}{SITE}"
    run = run_suite(
        pytester,
        "--target-url",
        url,
        *tokens(),
        f"--kv-ca-bundle={pki.ca}",
        "--profile=mattermost",  # byte-level parity survives nginx (keep-alive, gzip on)
        *QUICK,
        in_process=True,
    )
    conformant(run)
    assert run.verdicts["MM-01"] == "pass"
    # Every part went through nginx: fuzzing too (FUZZ-01 was in error over TLS once).
    assert run.verdicts["FUZZ-01"] == "pass"
    network = json.loads(_summaries(pytester)[-1])["configuration"]["network"]
    assert network["ca_bundle"] == str(pki.ca)
    assert network["ca_bundles_from_environment"] == {}  # the option's CAs only


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_private_ca_by_environment(
    pytester: pytest.Pytester,
    https_site: int,
    pki: Pki,
    variable: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(variable, str(pki.ca))
    url = f"https://localhost:{https_site}{SITE}"
    run = run_suite(pytester, "--target-url", url, *tokens(), *EVERY_PART, *QUICK, in_process=True)
    conformant(run)
    assert set(run.verdicts) == {"VAL-01", "FUZZ-01", "CON-02", "CAP-01"}


def test_untrusted_certificate_is_named_with_its_fix(
    pytester: pytest.Pytester, https_site: int
) -> None:
    url = f"https://localhost:{https_site}{SITE}"
    result = run_pytest(pytester, "--target-url", url, *tokens(), in_process=True)
    one_sentence(
        result,
        f"TLS with localhost:{https_site} failed: the server's certificate is not trusted",
        "--kv-ca-bundle PATH",
        "--kv-insecure",
    )


def test_name_mismatch_is_named(pytester: pytest.Pytester, https_site: int, pki: Pki) -> None:
    url = f"https://127.0.0.1:{https_site}{SITE}"  # the certificate names localhost only
    result = run_pytest(
        pytester, "--target-url", url, *tokens(), f"--kv-ca-bundle={pki.ca}", in_process=True
    )
    one_sentence(result, "the server's certificate is for another name", "host name")


def test_expired_certificate_is_named(
    pytester: pytest.Pytester, site: ReferenceServer, pki: Pki, tmp_path: Path
) -> None:
    upstream = site.url.removeprefix("http://")
    with nginx(tmp_path / "nginx", upstream, tls=pki.expired, location=SITE) as port:
        result = run_pytest(
            pytester,
            f"--target-url=https://localhost:{port}{SITE}",
            *tokens(),
            f"--kv-ca-bundle={pki.ca}",
            in_process=True,
        )
    one_sentence(result, "the server's certificate is out of date", "renew")


def test_https_url_at_a_plain_http_port(pytester: pytest.Pytester, site: ReferenceServer) -> None:
    url = site.url.replace("http://", "https://") + SITE
    result = run_pytest(pytester, "--target-url", url, *tokens(), in_process=True)
    one_sentence(result, "the server did not speak TLS", "use http:// in --target-url")


def test_http_url_at_a_tls_port(pytester: pytest.Pytester, https_site: int) -> None:
    url = f"http://localhost:{https_site}{SITE}"
    result = run_pytest(pytester, "--target-url", url, *tokens(), in_process=True)
    one_sentence(result, "speaks TLS on that port", "use https://")


def test_mutual_tls(
    pytester: pytest.Pytester, site: ReferenceServer, pki: Pki, tmp_path: Path
) -> None:
    upstream = site.url.removeprefix("http://")
    tls = Tls(pki.server.certificate, pki.server.key, client_ca=pki.ca)
    with nginx(tmp_path / "nginx", upstream, tls=tls, location=SITE) as port:
        url = f"https://localhost:{port}{SITE}"
        common = ("--target-url", url, *tokens(), f"--kv-ca-bundle={pki.ca}")
        without = run_pytest(pytester, *common, in_process=True)
        one_sentence(without, "--kv-client-cert PATH --kv-client-key PATH")
        run = run_suite(
            pytester,
            *common,
            f"--kv-client-cert={pki.client_cert}",
            f"--kv-client-key={pki.client_key}",
            "-k",
            "values_round_trip or generated_requests",
            *QUICK,
            in_process=True,
        )
    conformant(run)


def test_insecure_says_so_at_the_top_of_every_report(
    pytester: pytest.Pytester, https_site: int
) -> None:
    url = f"https://localhost:{https_site}{SITE}"
    html = Path(pytester.path) / "report.html"
    run = run_suite(
        pytester,
        "--target-url",
        url,
        *tokens(),
        "--kv-insecure",
        "-k",
        "round_trip",
        f"--html={html}",
        "--self-contained-html",
        *QUICK,
        in_process=True,
    )
    assert run.ret == 0, run.stdout[-3000:]
    warning = "TLS certificates were not verified (--kv-insecure)"
    assert "TLS certificates NOT verified" in run.stdout.splitlines()[2] + run.stdout[:2000]
    assert f"Warning: {warning}" in run.stdout
    summary = json.loads(sorted(Path(pytester.path).glob("summary-*.json"))[-1].read_text())
    assert list(summary)[:4] == ["suite", "suite_version", "verdict", "warnings"]
    assert warning in summary["warnings"][0]
    assert summary["configuration"]["network"]["tls_verification"] is False
    page = html.read_text()
    assert page.index(warning) < page.index('id="kv-verdict"')


def test_a_gateway_whose_server_is_down(pytester: pytest.Pytester, tmp_path: Path) -> None:
    with nginx(tmp_path / "nginx", f"127.0.0.1:{free_port()}", tls=None) as port:
        result = run_pytest(
            pytester, f"--target-url=http://127.0.0.1:{port}", *tokens(), in_process=True
        )
    one_sentence(result, "answered 502 to a set ('502 Bad Gateway')", "could not reach it")


# -- proxies --------------------------------------------------------------------------------


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    with forward_proxy(tmp_path / "proxy", basic_auth=f"kvc:{PROXY_PASSWORD}") as port:
        yield port, tmp_path / "proxy" / "proxy.log"


def proxied_requests(log: Path) -> int:
    return len(re.findall(rf"{re.escape(INTERNAL_HOST)}:\d+", log.read_text(errors="replace")))


def test_a_proxy_that_is_the_only_route(
    pytester: pytest.Pytester,
    site: ReferenceServer,
    proxy: tuple[int, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, log = proxy
    url = f"http://{INTERNAL_HOST}:{site.url.rsplit(':', 1)[1]}{SITE}"
    direct = run_pytest(pytester, "--target-url", url, *tokens(), in_process=True)
    one_sentence(direct, f"the host name {INTERNAL_HOST} is not found (DNS)", "HTTP_PROXY")
    monkeypatch.setenv("HTTP_PROXY", f"http://kvc:{PROXY_PASSWORD}@127.0.0.1:{port}")
    run = run_suite(pytester, "--target-url", url, *tokens(), *QUICK, in_process=True)
    conformant(run)
    assert proxied_requests(log) > 0  # the direct route failed above
    assert PROXY_PASSWORD not in run.stdout


def test_https_through_a_proxy_with_connect(
    pytester: pytest.Pytester,
    https_site: int,
    pki: Pki,
    proxy: tuple[int, Path],
) -> None:
    port, log = proxy
    run = run_suite(
        pytester,
        f"--target-url=https://{INTERNAL_HOST}:{https_site}{SITE}",
        *tokens(),
        f"--kv-ca-bundle={pki.ca}",
        f"--kv-proxy=http://kvc:{PROXY_PASSWORD}@127.0.0.1:{port}",
        *EVERY_PART,
        *QUICK,
        in_process=True,
    )
    conformant(run)
    assert "CONNECT" in log.read_text(errors="replace")
    assert "via proxy $KV_PROXY" in run.stdout  # the opening line, credentials hidden


def test_proxy_refusing_a_tunnel(
    pytester: pytest.Pytester, https_site: int, pki: Pki, proxy: tuple[int, Path]
) -> None:
    port, _ = proxy
    result = run_pytest(
        pytester,
        f"--target-url=https://{INTERNAL_HOST}:{https_site}{SITE}",
        *tokens(),
        f"--kv-ca-bundle={pki.ca}",
        f"--kv-proxy=http://kvc:wrong-password@127.0.0.1:{port}",
        in_process=True,
    )
    output = one_sentence(
        result, "did not open a tunnel", "407 Proxy Authentication Required", "USER:PASSWORD"
    )
    assert "wrong-password" not in output.replace("kvc:wrong-password@", "")


def test_proxy_credentials_are_redacted_in_reproductions(
    pytester: pytest.Pytester, proxy: tuple[int, Path], tmp_path: Path
) -> None:
    port, _ = proxy
    junit = tmp_path / "junit.xml"
    with ReferenceServer(TOKENS, faults=["changed-false"]) as faulty:
        url = f"http://{INTERNAL_HOST}:{faulty.url.rsplit(':', 1)[1]}"
        run = run_suite(
            pytester,
            f"--target-url={url}",
            *tokens(),
            f"--kv-proxy=http://kvc:{PROXY_PASSWORD}@127.0.0.1:{port}",
            f"--junitxml={junit}",
            "-k",
            "changed_is_true",
            *QUICK,
            in_process=True,
        )
    assert run.ret == 1, run.stdout[-3000:]
    assert 'curl -sS -i -x "$KV_PROXY"' in run.stdout
    assert "set $KV_PROXY and $KV_TOKEN first" in run.stdout
    for text in (run.stdout, junit.read_text(), *_summaries(pytester)):
        assert PROXY_PASSWORD not in text


def test_proxy_refusing_credentials(
    pytester: pytest.Pytester, site: ReferenceServer, proxy: tuple[int, Path]
) -> None:
    port, _ = proxy
    url = f"http://{INTERNAL_HOST}:{site.url.rsplit(':', 1)[1]}{SITE}"
    result = run_pytest(
        pytester,
        f"--target-url={url}",
        *tokens(),
        f"--kv-proxy=http://kvc:wrong@127.0.0.1:{port}",
        in_process=True,
    )
    output = one_sentence(result, "asks for credentials (407)")
    assert "wrong" not in output.replace("kvc:wrong", "")


def test_no_proxy_is_honoured(
    pytester: pytest.Pytester, site: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.0/8")
    run = run_suite(
        pytester,
        f"--target-url={site.url}{SITE}",
        *tokens(),
        "-k",
        "round_trip",
        *QUICK,
        in_process=True,
    )
    assert run.ret == 0, run.stdout[-3000:]


# -- paths ----------------------------------------------------------------------------------


def test_kv_routes_at_the_root_of_the_host(pytester: pytest.Pytester) -> None:
    with ReferenceServer(TOKENS, kv_path="/") as root:
        run = run_suite(
            pytester,
            f"--target-url={root.url}",
            *tokens(),
            "--kv-path=/",
            *QUICK,
            in_process=True,
        )
    conformant(run)


def _summaries(pytester: pytest.Pytester) -> list[str]:
    return [path.read_text() for path in Path(pytester.path).glob("summary-*.json")]

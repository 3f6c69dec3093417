"""Real intermediaries on 127.0.0.1 for the deployment tests: nginx and a forward proxy.

nginx (Debian's nginx-light, installed by ``./dev`` where that is allowed) terminates TLS and
serves the reference server under a sub-path; proxy.py (PyPI, in the test extra) is a forward
proxy with CONNECT. Both are started as separate processes, on ports they were given or chose,
and polled for readiness with a deadline. Where nginx cannot be had the caller skips, saying
why.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

READY_SECONDS = 15.0
BIND_ATTEMPTS = 5
# A name no DNS knows: only the proxy (told by its plugin, as a site's proxy knows its
# internal names) can reach it.
INTERNAL_HOST = "kv-target.internal"


def nginx_binary() -> str:
    """nginx's path, or skip: ./dev installs it where apt-get may be used (as root)."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if found is None:
        pytest.skip("nginx is not installed (./dev installs Debian's nginx-light as root)")
    return found


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited {process.returncode}: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)  # polling for readiness, under the deadline
    raise RuntimeError(f"not listening on {port} after {READY_SECONDS} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Tls:
    certificate: Path
    key: Path
    client_ca: Path | None = None  # with it, nginx asks for a client certificate


@contextmanager
def nginx(folder: Path, upstream: str, *, tls: Tls | None, location: str = "/") -> Iterator[int]:
    """nginx in front of ``upstream`` (host:port), URIs passed unchanged; yields its port.

    nginx cannot listen on port 0 and report it, so a free port is picked and the start is
    retried if another process took it first.
    """
    binary = nginx_binary()
    folder.mkdir(parents=True, exist_ok=True)
    for _ in range(BIND_ATTEMPTS):
        port = free_port()
        (folder / "nginx.conf").write_text(_nginx_conf(folder, port, upstream, tls, location))
        log = folder / "error.log"
        process = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, process, log)
        except RuntimeError as error:
            process.kill()
            process.wait()
            if "Address already in use" in str(error):
                continue
            raise
        try:
            yield port
        finally:
            process.terminate()
            process.wait(timeout=READY_SECONDS)
        return
    raise RuntimeError(f"nginx found no free port in {BIND_ATTEMPTS} attempts")


def _nginx_conf(folder: Path, port: int, upstream: str, tls: Tls | None, location: str) -> str:
    listen = f"127.0.0.1:{port}" + (" ssl" if tls else "")
    tls_lines = ""
    if tls is not None:
        tls_lines = f"ssl_certificate {tls.certificate}; ssl_certificate_key {tls.key};"
        if tls.client_ca is not None:
            tls_lines += f" ssl_client_certificate {tls.client_ca}; ssl_verify_client on;"
    temp = (
        " ".join(
            f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi")
        )
        + f" uwsgi_temp_path {folder / 'uwsgi'}; scgi_temp_path {folder / 'scgi'};"
    )
    return textwrap.dedent(
        f"""
        daemon off;
        worker_processes 1;
        pid {folder / "nginx.pid"};
        events {{ worker_connections 256; }}
        http {{
            access_log {folder / "access.log"};
            gzip on;
            gzip_types application/json text/plain;
            {temp}
            upstream kv {{ server {upstream}; keepalive 8; }}
            server {{
                listen {listen};
                {tls_lines}
                location {location} {{
                    proxy_pass http://kv;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host $host;
                }}
            }}
        }}
        """
    )


PROXY_PLUGIN = '''
"""Resolves the internal host name to 127.0.0.1, as a site's proxy knows its internal names."""
from proxy.http.proxy import HttpProxyBasePlugin


class InternalNames(HttpProxyBasePlugin):
    def resolve_dns(self, host, port):
        return ("127.0.0.1" if host == "{host}" else None), None

    def before_upstream_connection(self, request):
        return request

    def handle_client_request(self, request):
        return request

    def handle_upstream_chunk(self, chunk):
        return chunk

    def on_upstream_connection_close(self):
        pass
'''


@contextmanager
def forward_proxy(folder: Path, *, basic_auth: str | None = None) -> Iterator[int]:
    """proxy.py on 127.0.0.1 (port 0, read back from its port file); yields its port."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kvc_internal_names.py").write_text(PROXY_PLUGIN.replace("{host}", INTERNAL_HOST))
    port_file, log = folder / "port", folder / "proxy.log"
    command = [
        sys.executable,
        "-m",
        "proxy",
        "--hostname",
        "127.0.0.1",
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--num-workers",
        "1",
        "--num-acceptors",
        "1",
        "--threaded",
        "--plugins",
        "kvc_internal_names.InternalNames",
        "--log-file",
        str(log),
    ]
    if basic_auth:
        command += ["--basic-auth", basic_auth]
    process = subprocess.Popen(
        command,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"},
    )
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not (port_file.exists() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"proxy.py did not start: {_tail(log)}")
            time.sleep(0.05)  # polling for readiness, under the deadline
        port = int(port_file.read_text().split()[0])
        wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=READY_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"

"""One request and its answer as the suite shows them: redacted, and printable as curl.

An ``Exchange`` holds nothing secret: a ``Redactor`` replaces every token it knows by the
shell variable that stands for it (``$KV_TOKEN``, ``$KV_TOKEN_B``) before anything is stored,
in the URL, the credential headers and whatever the server echoes back.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

BODY_PREVIEW_BYTES: Final = 300
LONG_SECRET: Final = 16  # characters; shorter secrets are redacted only as whole words
_WORD: Final = "A-Za-z0-9_-"  # the characters of a word, for that rule
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})
_VARIABLE: Final = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
MIN_NEAR_MISS: Final = 8  # characters: shorter tokens get no near misses (see near_misses)


@dataclass(frozen=True)
class Exchange:
    """One request and what came back (``status`` None: no answer, see ``error``).

    Everything stored here is already redacted: each secret is replaced by ``$NAME``.
    """

    method: str
    redacted_url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: bytes | None
    status: int | None = None
    response_headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    response_body: bytes = b""
    error: str | None = None
    # Why no answer came, as a word the preflight explains (see wire.transport.NoAnswer).
    error_kind: str | None = None
    seconds: float = 0.0
    body_preview: str = ""  # the response body, trimmed and redacted, for messages
    # curl options that reach the server as the suite did: proxy, CA bundle, certificate.
    route: tuple[str, ...] = ()
    # The exchange before it on the same kept-alive connection (without its own previous),
    # and the start of what the server sent after this answer had ended, unasked (redacted):
    # the evidence when an answer belongs to another request (see conformance.wire.framing).
    previous: Exchange | None = None
    stray: str = ""
    # The answer first received for this request on a kept-alive connection, which the same
    # request sent again on a fresh connection showed to belong to another request.
    misread: Exchange | None = None
    # The run's number for this exchange (``_kvExchange`` in the HAR; 0: not counted), the
    # run's number of the connection it went over (0: none opened), and when it was sent
    # (seconds since the epoch).
    number: int = 0
    connection: int = 0
    started_at: float = 0.0

    @property
    def content_type(self) -> str | None:
        return self.response_headers.get("content-type")

    def summary(self) -> str:
        """Status, Content-Type and a preview of the body, on one line."""
        if self.status is None:
            return f"no answer ({self.error})"
        parts = [str(self.status)]
        if self.content_type:
            parts.append(self.content_type)
        parts.append(self.body_preview or preview(self.response_body))
        return " ".join(parts)

    def curl(self) -> str:
        """A shell command that sends the same request; secrets stay ``$VARIABLES``."""
        prefix, words = self._curl_words(piped=True)
        return prefix + " ".join(["curl", *words])

    def _curl_words(self, *, piped: bool) -> tuple[str, list[str]]:
        """curl's arguments for this request, and the shell pipeline before curl when a body
        that is not text comes from standard input (``piped``; else from a bash process
        substitution, as several requests of one command line need)."""
        words = ["-sS", "-i", *self.route, "-X", self.method]
        for name, value in self.request_headers:
            header = f"{name}: {value}"
            # Double quotes let the shell expand $KV_TOKEN; everything else is quoted safely.
            words.append("-H")
            words.append(
                '"' + header.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'
                if "$" in header
                else shlex.quote(header)
            )
        prefix = ""
        if self.request_body is not None:
            text = _shell_text(self.request_body)
            writer = f"python3 -c {shlex.quote(_python_writer(self.request_body))}"
            if text is not None:
                words += ["--data-binary", shlex.quote(text)]
            elif piped:
                prefix = f"{writer} | "
                words += ["--data-binary", "@-"]
            else:
                words += ["--data-binary", f"@<({writer})"]
        words.append(shlex.quote(self.redacted_url))
        return prefix, words

    def variables(self) -> list[str]:
        """The shell variables its curl line needs (``$KV_TOKEN``, ...); a derived token
        (``${KV_TOKEN%?}``) needs its variable."""
        values = [value for _, value in self.request_headers] + list(self.route)
        return [f"${name}" for value in values for name in _VARIABLE.findall(value)]


def curl_on_one_connection(exchanges: Sequence[Exchange]) -> str:
    """One curl command that sends ``exchanges`` in order over one kept-alive connection
    (``--next``), as the suite did: separate commands would each open their own and could
    not show an answer that belongs to another request. (A body that is not text comes from
    a bash process substitution.)"""
    return "curl " + " --next ".join(
        " ".join(exchange._curl_words(piped=False)[1]) for exchange in exchanges
    )


def near_misses(token: str) -> tuple[tuple[str, str], ...]:
    """Tokens a careless comparison takes for ``token`` (AUTH-02 sends them): its case
    changed, one character short, one character appended. Each comes with the bash expansion
    that derives it from a variable holding the token (``%s`` stands for the variable's
    name), so that reproductions show no part of the secret. A token of fewer than
    MIN_NEAR_MISS characters has none: its parts would be redacted as common words."""
    if len(token) < MIN_NEAR_MISS:
        return ()
    misses = [(token[:-1], "${%s%%?}"), (token + "x", "${%s}x")]
    if token.upper() != token:
        misses.insert(0, (token.upper(), "${%s^^}"))
    elif token.lower() != token:
        misses.insert(0, (token.lower(), "${%s,,}"))
    return tuple(misses)


class Redactor:
    """Replaces each secret by ``$VARIABLE``; builds the exchanges the suite keeps.

    A secret of LONG_SECRET characters or more is replaced wherever it appears. A shorter one
    (``--token A`` against a local server) is replaced only where it stands alone, not inside
    a longer word: otherwise ``B`` would turn ``Bearer`` into ``$KV_TOKEN_Bearer``, and ``a``
    ``charset`` into ``ch$KV_TOKENrset``. Where such a token is part of a longer word it is
    shown; a token that short protects nothing anyway. ``tokens`` are secrets whose near
    misses (see near_misses) the suite may send: each is shown as the expansion deriving it.
    """

    def __init__(self, secrets: Mapping[str, str], tokens: Mapping[str, str] | None = None) -> None:
        # Each secret (and each near miss of a token) -> how it is shown, and whether it is
        # long enough to be replaced wherever it appears (a near miss goes by its token).
        shown: dict[str, tuple[str, bool]] = {}
        for token, variable in (tokens or {}).items():
            for miss, expansion in near_misses(token):
                shown.setdefault(miss, (expansion % variable, len(token) >= LONG_SECRET))
        for secret, variable in {**secrets, **(tokens or {})}.items():
            shown[secret] = (f"${variable}", len(secret) >= LONG_SECRET)
        shown.pop("", None)
        self._shown = {text: how for text, (how, _) in shown.items()}
        # Longest first: a secret that contains another is replaced whole.
        ordered = sorted(shown, key=len, reverse=True)
        self._long = [(s, self._shown[s]) for s in ordered if shown[s][1]]
        short = "|".join(re.escape(s) for s in ordered if not shown[s][1])
        self._short = re.compile(rf"(?<![{_WORD}])(?:{short})(?![{_WORD}])") if short else None

    def redact(self, text: str) -> str:
        for secret, shown in self._long:
            text = text.replace(secret, shown)
        if self._short is not None:
            text = self._short.sub(lambda found: self._shown[found.group(0)], text)
        return text

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        route: tuple[str, ...] = (),
    ) -> Exchange:
        """A request as it may be shown: secrets in the URL and credentials redacted."""
        return Exchange(
            method=method,
            redacted_url=self.redact(url),
            # Only credentials carry tokens; other headers stay readable even for short tokens.
            request_headers=tuple(
                (name, self.redact(value) if name.lower() in _CREDENTIALS else value)
                for name, value in headers.items()
            ),
            request_body=body,
            route=route,
        )

    def answer(
        self,
        request: Exchange,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        seconds: float,
        *,
        stray: bytes = b"",
    ) -> Exchange:
        """The request with its answer; a server may echo a token in headers or body."""
        return replace(
            request,
            status=status,
            response_headers={name.lower(): self.redact(v) for name, v in headers.items()},
            response_body=body,
            seconds=seconds,
            body_preview=self.redact(preview(body)),
            stray=self.redact(preview(stray)) if stray else "",
        )


def preview(body: bytes) -> str:
    """The start of a body, for one line of a message (not redacted: see Redactor)."""
    if not body:
        return "(empty body)"
    shown = body[:BODY_PREVIEW_BYTES]
    text = shown.decode("utf-8", "backslashreplace")
    more = f"… ({len(body)} bytes)" if len(body) > BODY_PREVIEW_BYTES else ""
    return repr(text) + more


def _shell_text(body: bytes) -> str | None:
    """The body as shell-quotable text, or None when it needs a byte-exact writer."""
    if len(body) > BODY_PREVIEW_BYTES or b"\0" in body:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _python_writer(body: bytes) -> str:
    """A Python one-liner writing ``body`` exactly; runs of one byte are compressed."""
    pieces: list[str] = []
    literal = bytearray()
    start = 0
    while start < len(body):
        end = start
        while end < len(body) and body[end] == body[start]:
            end += 1
        if end - start >= 8:
            if literal:
                pieces.append(repr(bytes(literal)))
                literal.clear()
            pieces.append(f"{bytes([body[start]])!r}*{end - start}")
        else:
            literal += body[start:end]
        start = end
    if literal or not pieces:
        pieces.append(repr(bytes(literal)))
    return f"import sys; sys.stdout.buffer.write({' + '.join(pieces)})"

"""Probes of the upstream behaviour table, run against the reference server.

Each probe checks one row of the upstream behaviour (or one key-handling rule the suite relies
on) over real HTTP and raises ``AssertionError`` saying what differed. The same probes show
that the correct server behaves as upstream does (``test_upstream_table.py``) and that each
fault changes exactly the rows it names (``tests/meta/test_faults.py``).
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

from conformance.reference import KV_PATH, Identity
from tests.support.http import RawClient, Reply

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"

# alice has two tokens, bob one; alice also has a session in another app, and a login session.
TOKENS = {
    "tok-alice": Identity("alice"),
    "tok-alice-2": Identity("alice"),
    "tok-bob": Identity("bob"),
    "tok-alice-other-app": Identity("alice", app="com.example.other"),
    "tok-alice-login": Identity("alice", app_session=False),
}
ALICE = "tok-alice"


@dataclass
class Ctx:
    """What a probe works with: a client and fresh keys nobody else uses."""

    client: RawClient

    def key(self, label: str = "k") -> str:
        return f"{label}-{uuid.uuid4().hex[:12]}"

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        token: str | None = ALICE,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """``path`` is relative to the KV root and already percent-encoded."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if body is not None:
            sent.setdefault("Content-Type", JSON)
        return self.client.request(method, f"{KV_PATH}/{path}", body=body, headers=sent)

    def set(self, path: str, value: bytes, *, token: str = ALICE, method: str = "POST") -> None:
        reply = self.send(method, path, value, token=token)
        check(reply.status == 200, reply, "a valid set answers 200")

    def read(self, path: str, *, token: str = ALICE) -> bytes:
        reply = self.send("GET", path, token=token)
        check(reply.status == 200, reply, "a read answers 200")
        return reply.body

    def expect_absent(self, path: str, *, token: str = ALICE) -> None:
        """Absent in either representation; the representation itself is one probe's subject."""
        reply = self.send("GET", path, token=token)
        check(reply.status == 404 or (reply.status, reply.body) == (200, b"{}"), reply, "absent")


def check(condition: bool, reply: Reply, expectation: str) -> None:
    if not condition:
        raise AssertionError(f"expected {expectation}; got {reply}")


def expect_error(reply: Reply, status: int, message: str) -> None:
    """Upstream errors: the status, and Go's http.Error body: plain text plus a newline."""
    check(reply.status == status, reply, f"status {status}")
    check(reply.content_type == TEXT, reply, f"Content-Type {TEXT}")
    check(reply.body == message.encode() + b"\n", reply, f"body {message!r}")


PROBES: dict[str, Callable[[Ctx], None]] = {}


def probe(function: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
    PROBES[function.__name__.removeprefix("probe_").replace("_", "-")] = function
    return function


def enc(text: str) -> str:
    return quote(text, safe="")


# -- routes and methods ------------------------------------------------------------------


@probe
def probe_set_by_post_and_put(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b'"by post"', method="POST")
    assert ctx.read(key) == b'"by post"', "POST did not set"
    ctx.set(key, b'"by put"', method="PUT")
    assert ctx.read(key) == b'"by put"', "PUT did not set"


@probe
def probe_prefix_route(ctx: Ctx) -> None:
    key = ctx.key()
    for method in ("POST", "PUT"):
        ctx.set(f"p1/{key}", f'"{method}"'.encode(), method=method)
        assert ctx.read(f"p1/{key}") == f'"{method}"'.encode()
    reply = ctx.send("DELETE", f"p1/{key}")
    check((reply.status, reply.body) == (200, b""), reply, "200 with an empty body")
    ctx.expect_absent(f"p1/{key}")


@probe
def probe_unsupported_methods_405(ctx: Ctx) -> None:
    key = ctx.key()
    for path in (key, f"p1/{key}"):
        for method in ("HEAD", "PATCH", "OPTIONS"):
            reply = ctx.send(method, path)
            check((reply.status, reply.body) == (405, b""), reply, "405 with an empty body")


@probe
def probe_unrouted_paths_404(ctx: Ctx) -> None:
    for suffix in ("", "/", "/x/", "/a/b/c", "/p1//"):
        reply = ctx.client.request(
            "GET", KV_PATH + suffix, headers={"Authorization": "Bearer " + ALICE}
        )
        expect_error(reply, 404, "404 page not found")


@probe
def probe_encoded_slash_splits_the_path(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(f"p1%2F{key}", b"1")
    assert ctx.read(f"p1/{key}") == b"1", "kv/a%2Fb must be prefix a, key b"


@probe
def probe_encoded_characters_are_decoded(ctx: Ctx) -> None:
    key = ctx.key("a b")
    ctx.set(enc(key), b"2")
    assert ctx.read("".join(f"%{byte:02X}" for byte in key.encode())) == b"2"


# -- get and set -------------------------------------------------------------------------


@probe
def probe_missing_key_reads_empty_object(ctx: Ctx) -> None:
    reply = ctx.send("GET", ctx.key())
    check((reply.status, reply.body) == (200, b"{}"), reply, "200 {}")
    check(reply.content_type == JSON, reply, "Content-Type application/json")


@probe
def probe_value_served_as_json(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b"[1]")
    reply = ctx.send("GET", key)
    check(reply.content_type == JSON, reply, "Content-Type application/json")


@probe
def probe_values_stored_byte_exact(ctx: Ctx) -> None:
    key = ctx.key()
    value = b'{ "n" : 12345678901234567890123 ,\n\t"f": 1.50e0, "a":[ ], "s":"\\u0041" }  '
    ctx.set(key, value)
    assert ctx.read(key) == value, "the stored bytes must come back unchanged"


@probe
def probe_big_integers_exact(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b"[12345678901234567890123,-9007199254740993]")
    assert ctx.read(key) == b"[12345678901234567890123,-9007199254740993]"


@probe
def probe_numbers_beyond_a_double_exact(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b"[1E400,-1e400,1e-400]")
    assert ctx.read(key) == b"[1E400,-1e400,1e-400]"


@probe
def probe_unicode_values_exact(ctx: Ctx) -> None:
    key = ctx.key()
    value = json.dumps("h\u00e9llo \U0001f600 e\u0301 \u4e2d", ensure_ascii=False).encode()
    ctx.set(key, value)
    assert ctx.read(key) == value


@probe
def probe_set_answers_changed_true(ctx: Ctx) -> None:
    reply = ctx.send("POST", ctx.key(), b"1")
    check(reply.status == 200, reply, "200")
    check(reply.body == b'{"changed":true}\n', reply, '{"changed":true} and a newline')
    check(reply.content_type == JSON, reply, "Content-Type application/json")


@probe
def probe_changed_true_on_same_value(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b"7")
    reply = ctx.send("PUT", key, b"7")
    check(reply.body == b'{"changed":true}\n', reply, "changed true when storing the same value")


@probe
def probe_null_is_stored(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b"1")
    ctx.set(key, b"null")
    assert ctx.read(key) == b"null", "null is a value, not a deletion"


@probe
def probe_set_content_type_ignored(ctx: Ctx) -> None:
    key = ctx.key()
    for content_type in (
        "text/plain",
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded",
    ):
        reply = ctx.send("POST", key, b'"typed"', headers={"Content-Type": content_type})
        check(reply.status == 200, reply, f"200 whatever the Content-Type ({content_type})")
    reply = ctx.client.request(
        "POST", f"{KV_PATH}/{key}", body=b"1", headers={"Authorization": "Bearer " + ALICE}
    )
    check(reply.status == 200, reply, "200 without a Content-Type")


@probe
def probe_invalid_json_rejected(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b'"before"')
    for body in (b"", b"{", b"{} {}", b"not json", b"[1,]", b"'single'"):
        for method in ("POST", "PUT"):
            expect_error(
                ctx.send(method, key, body), 400, "payload is not valid json: invalid input"
            )
    assert ctx.read(key) == b'"before"', "a rejected set must not change the value"


@probe
def probe_non_finite_numbers_rejected(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b'"before"')
    for body in (b"NaN", b"Infinity", b"-Infinity", b"[NaN]"):
        expect_error(ctx.send("POST", key, body), 400, "payload is not valid json: invalid input")
    assert ctx.read(key) == b'"before"'


# -- size cap ----------------------------------------------------------------------------


def _string_of(size: int) -> bytes:
    return b'"' + b"x" * (size - 2) + b'"'


@probe
def probe_value_of_8192_bytes_accepted(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, _string_of(8192))
    assert ctx.read(key) == _string_of(8192)


@probe
def probe_value_over_8192_bytes_rejected(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b'"before"')
    for size in (8193, 10_000, 100_000):
        expect_error(ctx.send("POST", key, _string_of(size)), 500, "size limit of 8Kb exceeded")
    assert ctx.read(key) == b'"before"', "a rejected set must not change the value"


@probe
def probe_size_cap_checked_before_auth(ctx: Ctx) -> None:
    for token in (None, "tok-unknown"):
        reply = ctx.send("PUT", ctx.key(), _string_of(8193), token=token)
        expect_error(reply, 500, "size limit of 8Kb exceeded")


# -- prefixes ----------------------------------------------------------------------------


@probe
def probe_long_prefix_500(ctx: Ctx) -> None:
    key = ctx.key()
    for prefix in ("abc", "\u20ac"):  # three ASCII bytes; one 3-byte character
        message = f'prefix "{prefix}" is longer than the limit of 2 ASCII characters'
        for method, body in (("GET", None), ("POST", b"1"), ("DELETE", None)):
            expect_error(ctx.send(method, f"{enc(prefix)}/{key}", body), 500, message)


@probe
def probe_two_byte_prefixes_accepted(ctx: Ctx) -> None:
    key = ctx.key()
    for prefix in ("ab", "\u00e9"):
        ctx.set(f"{enc(prefix)}/{key}", b'"ok"')
        assert ctx.read(f"{enc(prefix)}/{key}") == b'"ok"'


@probe
def probe_prefix_space_padding(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b'"none"')
    assert ctx.read(f"%20/{key}") == b'"none"', 'prefix " " must be the unprefixed namespace'
    ctx.set(f"a/{key}", b'"a"')
    assert ctx.read(f"a%20/{key}") == b'"a"', 'prefix "a" must equal "a "'


# -- delete ------------------------------------------------------------------------------


@probe
def probe_delete_answers_200_empty(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b"1")
    reply = ctx.send("DELETE", key)
    check((reply.status, reply.body) == (200, b""), reply, "200 with an empty body")
    ctx.expect_absent(key)


@probe
def probe_set_after_delete_works(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b'"first"')
    ctx.send("DELETE", key)
    ctx.set(key, b'"second"')
    assert ctx.read(key) == b'"second"', "a key can be set again after its delete"


@probe
def probe_delete_absent_answers_200(ctx: Ctx) -> None:
    reply = ctx.send("DELETE", ctx.key())
    check((reply.status, reply.body) == (200, b""), reply, "200 with an empty body")


# -- authentication ----------------------------------------------------------------------


def _each_operation(key: str) -> Iterable[tuple[str, str, bytes | None]]:
    for path in (key, f"p1/{key}"):
        yield "GET", path, None
        yield "POST", path, b'"intruder"'
        yield "PUT", path, b'"intruder"'
        yield "DELETE", path, None


def _expect_rejected(
    ctx: Ctx, message: str, *, token: str | None, headers: dict[str, str] | None = None
) -> None:
    key = ctx.key()
    ctx.set(key, b'"kept"')
    ctx.set(f"p1/{key}", b'"kept"')
    for method, path, body in _each_operation(key):
        expect_error(ctx.send(method, path, body, token=token, headers=headers), 401, message)
    assert ctx.read(key) == b'"kept"', "a rejected request must have no effect"
    assert ctx.read(f"p1/{key}") == b'"kept"', "a rejected request must have no effect"


@probe
def probe_missing_token_401(ctx: Ctx) -> None:
    _expect_rejected(ctx, "user ID is required: unauthorized", token=None)


@probe
def probe_unknown_token_401(ctx: Ctx) -> None:
    _expect_rejected(ctx, "user ID is required: unauthorized", token="tok-unknown")


@probe
def probe_near_miss_tokens_401(ctx: Ctx) -> None:
    # tok-alice with its case changed, one character short, one appended.
    for token in ("TOK-ALICE", "tok-alic", "tok-alicex"):
        reply = ctx.send("GET", ctx.key(), token=token)
        check(reply.status == 401, reply, f"401 for the token {token!r}")


@probe
def probe_malformed_authorization_401(ctx: Ctx) -> None:
    for header in ("Basic tok-alice", "tok-alice", "Bearer ", "Bearer"):
        _expect_rejected(
            ctx, "user ID is required: unauthorized", token=None, headers={"Authorization": header}
        )


@probe
def probe_auth_scheme_variants_accepted(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b'"mine"')
    for header in ("bearer tok-alice", "BEARER tok-alice", "Token tok-alice"):
        reply = ctx.send("GET", key, token=None, headers={"Authorization": header})
        check(reply.body == b'"mine"', reply, f"{header.split()[0]} scheme accepted")
    reply = ctx.send("GET", f"{key}?access_token=tok-alice", token=None)
    check(reply.body == b'"mine"', reply, "access_token query parameter accepted")
    reply = ctx.send("GET", key, token=None, headers={"Cookie": "MMAUTHTOKEN=tok-alice"})
    check(reply.body == b'"mine"', reply, "session cookie accepted")


@probe
def probe_non_app_session_401(ctx: Ctx) -> None:
    _expect_rejected(ctx, "not an app session: unauthorized", token="tok-alice-login")


# -- connection framing ------------------------------------------------------------------


def _raw(method: str, path: str, body: bytes = b"", *, token: str | None, last: bool) -> bytes:
    head = [f"{method} {KV_PATH}/{path} HTTP/1.1", "Host: 127.0.0.1"]
    if token is not None:
        head.append(f"Authorization: Bearer {token}")
    if body or method in ("POST", "PUT"):
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    if last:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@probe
def probe_refused_body_read_before_next_request(ctx: Ctx) -> None:
    key, other = ctx.key(), ctx.key()
    ctx.set(key, b'"kept"')
    answers = ctx.client.pipelined(
        _raw("POST", other, b'"intruder"', token=None, last=False),
        _raw("GET", key, token=ALICE, last=True),
    )
    # Two answers, the second the read's own (the first is another probe's subject).
    assert len(answers) == 2, answers
    assert answers[1] == (200, b'"kept"'), answers


@probe
def probe_one_answer_per_request(ctx: Ctx) -> None:
    key, other = ctx.key(), ctx.key()
    ctx.set(key, b'"kept"')
    ctx.set(other, b'"to delete"')
    answers = ctx.client.pipelined(
        _raw("DELETE", other, token=ALICE, last=False),
        _raw("GET", key, token=ALICE, last=True),
    )
    assert len(answers) == 2, answers
    assert answers[1] == (200, b'"kept"'), answers


# -- isolation ---------------------------------------------------------------------------


@probe
def probe_isolation_between_users(ctx: Ctx) -> None:
    for path in (ctx.key(), f"p1/{ctx.key()}"):
        ctx.set(path, b'"alice"')
        ctx.expect_absent(path, token="tok-bob")
        ctx.set(path, b'"bob"', token="tok-bob")
        assert ctx.read(path) == b'"alice"', "bob's set changed alice's value"
        ctx.send("DELETE", path, token="tok-bob")
        ctx.send("DELETE", path, token="tok-bob")  # absent for bob now: whatever he is told
        assert ctx.read(path) == b'"alice"', "bob's delete removed alice's value"


@probe
def probe_isolation_between_prefixes(ctx: Ctx) -> None:
    key = ctx.key()
    paths = (key, f"p1/{key}", f"p2/{key}")
    for path in paths:
        ctx.set(path, json.dumps(path).encode())
    for path in paths:
        assert ctx.read(path) == json.dumps(path).encode(), f"{path} shares an entry"


@probe
def probe_isolation_between_apps(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b'"app"')
    ctx.expect_absent(key, token="tok-alice-other-app")
    ctx.set(key, b'"other"', token="tok-alice-other-app")
    assert ctx.read(key) == b'"app"'


@probe
def probe_tokens_of_one_user_share(ctx: Ctx) -> None:
    key = ctx.key()
    ctx.set(key, b'"shared"')
    assert ctx.read(key, token="tok-alice-2") == b'"shared"'


# -- keys --------------------------------------------------------------------------------


def _distinct(ctx: Ctx, *keys: str) -> None:
    for index, key in enumerate(keys):
        ctx.set(enc(key), str(index).encode())
    for index, key in enumerate(keys):
        assert ctx.read(enc(key)) == str(index).encode(), f"key {key!r} shares an entry"


@probe
def probe_keys_case_sensitive(ctx: Ctx) -> None:
    base = ctx.key()
    _distinct(ctx, base + "-key", base + "-Key", base + "-KEY")


@probe
def probe_keys_whitespace_significant(ctx: Ctx) -> None:
    base = ctx.key()
    _distinct(ctx, base, f" {base}", f"{base} ", f"{base}\t")


@probe
def probe_keys_normalisation_significant(ctx: Ctx) -> None:
    base = ctx.key() + "-caf\u00e9"
    _distinct(ctx, unicodedata.normalize("NFC", base), unicodedata.normalize("NFD", base))


@probe
def probe_keys_literal_percent(ctx: Ctx) -> None:
    base = ctx.key()
    _distinct(ctx, base + "%41", base + "A")


@probe
def probe_keys_long_shared_prefix(ctx: Ctx) -> None:
    base = ctx.key().ljust(250, "x")
    _distinct(ctx, base + "-1", base + "-2")


@probe
def probe_keys_written_as_is(ctx: Ctx) -> None:
    # + and ; unencoded (as Go's url.PathEscape leaves them) are the decoded key's characters.
    for suffix in ("a+b", "a;b"):
        key = ctx.key() + suffix
        ctx.set(quote(key, safe="+;"), b'"as is"')
        assert ctx.read(enc(key)) == b'"as is"', suffix


@probe
def probe_keys_with_reserved_characters(ctx: Ctx) -> None:
    key = ctx.key() + "?#[]@!$&'()*+,;=%"
    ctx.set(enc(key), b'"reserved"')
    assert ctx.read(enc(key)) == b'"reserved"'


@probe
def probe_keys_of_256_characters(ctx: Ctx) -> None:
    key = (ctx.key() + "\u00e9\U0001f511").ljust(256, "k")
    ctx.set(enc(key), b'"long"')
    assert ctx.read(enc(key)) == b'"long"'


# Probes that read an upstream error body, so a fault in error formatting breaks them all.
ERROR_PROBES = frozenset(
    {
        "unrouted-paths-404",
        "invalid-json-rejected",
        "non-finite-numbers-rejected",
        "value-over-8192-bytes-rejected",
        "size-cap-checked-before-auth",
        "long-prefix-500",
        "missing-token-401",
        "unknown-token-401",
        "malformed-authorization-401",
        "non-app-session-401",
    }
)


def run_probes(client: RawClient) -> dict[str, str]:
    """Run every probe; the failures, by probe name."""
    failures: dict[str, str] = {}
    for name, function in PROBES.items():
        try:
            function(Ctx(client))
        except AssertionError as error:
            failures[name] = str(error) or "assertion failed"
    return failures

"""What the reference server answers: the upstream KV semantics, independent of HTTP plumbing.

``KVService.handle`` maps one parsed request to one response. Every fault of the switchboard is
applied here, each by one ``if``, so a faulty server is the correct one plus named defects.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit

from conformance.reference.faults import Faults
from conformance.reference.identities import Identity
from conformance.reference.jsonsyntax import is_valid_json, nesting_depth
from conformance.reference.store import Namespace, Store

KV_PATH = "/plugins/com.mattermost.apps/api/v1/kv"
MAX_VALUE_BYTES = 8192
MAX_KEY_CHARS = 256
PREFIX_BYTES = 2
METHODS = ("GET", "POST", "PUT", "DELETE")
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_RESERVED = frozenset(b"?#[]@!$&'()*,;=")
_PATH_PARAMETER = re.compile(rb";[^/]*")  # a servlet path parameter: ';' to the segment's end
# How long the concurrency faults leave their race open: long enough for a suite's concurrent
# clients to fall into it, short enough that sequential use never does.
RACE_WINDOW = 0.002
DEEP_NESTING_LIMIT = 500  # levels: the deep-nesting-500 fault's recursion limit
STALE_FILL_WAIT = 1.0  # seconds a stale-read-cache read waits for the write it overlaps
TORN_OVER_BYTES = 1024
CAPACITY = 100
EXPIRY_SECONDS = 3.0


@dataclass(frozen=True)
class Request:
    method: str
    target: bytes  # the request-target as sent: path and query, still percent-encoded
    headers: Mapping[str, str]  # names in lower case
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


class KVService:
    """Upstream's KV endpoints: routing, authentication, validation and storage."""

    def __init__(
        self,
        tokens: Mapping[str, Identity],
        store: Store,
        faults: Faults | None = None,
        kv_path: str = KV_PATH,
    ) -> None:
        self._tokens = dict(tokens)
        # Upstream's path by default; "/" serves the routes at the root, as mock servers do.
        self._kv_root = kv_path.rstrip("/").encode() + b"/"
        self._store = store
        self._faults = faults or Faults()
        self._deleted: set[tuple[Namespace, bytes]] = set()  # for the set-after-delete-lost fault
        # Bookkeeping of the concurrency, capacity and expiry faults (unused otherwise).
        self._lock = threading.Lock()
        self._versions: dict[Namespace, int] = {}
        self._recent_sets: dict[Namespace, list[tuple[int, bytes, bytes | None]]] = {}
        self._cache: dict[tuple[Namespace, bytes], bytes | None] = {}
        # stale-read-cache: writes under way (how many, the value before the first of them)
        self._writing: dict[tuple[Namespace, bytes], tuple[int, bytes | None]] = {}
        self._write_landed = threading.Condition(self._lock)
        self._order: dict[Namespace, dict[bytes, None]] = {}
        self._set_at: dict[tuple[Namespace, bytes], float] = {}
        self._prefixes: dict[tuple[str, str], set[bytes]] = {}  # (app, user): prefixes set

    @property
    def faults(self) -> Faults:
        return self._faults

    def handle(self, request: Request) -> Response:
        f = self._faults
        route = self._route(request.target)
        if isinstance(route, Response):
            return route
        prefix, key = route
        if f.no_prefix_route and self._route_has_prefix(request.target):
            return self._error(404, "404 page not found")
        if f.options_allowed and request.method == "OPTIONS":
            return Response(204, headers=(("Allow", ", ".join(METHODS)),))
        if request.method not in METHODS or (f.put_unsupported and request.method == "PUT"):
            # Upstream (gorilla/mux) sends an empty 405; Allow is added because RFC 9110 wants it.
            return Response(405, headers=(("Allow", ", ".join(METHODS)),))
        setting = request.method in ("POST", "PUT")
        body = request.body
        if f.stateless_mock:
            if request.method == "DELETE":
                return Response(200)
            return Response(200, b'{"changed":true}' if setting else b'"example"', JSON)
        cap = 4096 if f.small_size_cap else MAX_VALUE_BYTES
        oversize = setting and len(body) > cap
        late_size_check = f.size_check_after_auth or f.oversize_clears_value or f.truncate_oversize
        # Upstream limits the body before it looks at the token.
        if oversize and not late_size_check:
            return self._size_error()

        identity = self._authenticate(request)
        if isinstance(identity, Response):
            return identity
        if len(prefix) > PREFIX_BYTES and not f.long_prefixes_accepted:
            return self._error(
                500, f"prefix {_go_quote(prefix)} is longer than the limit of 2 ASCII characters"
            )
        namespace = Namespace(
            app=identity.app,
            user="*" if f.shared_between_users else identity.user,
            prefix=self._namespace_prefix(prefix),
        )
        key = self._storage_key(key)
        if f.ascii_keys_only and not key.isascii():
            return self._error(400, "key must be ASCII")
        if f.reserved_key_characters_400 and any(c in _RESERVED for c in key):
            return self._error(400, "key has a reserved character")
        if f.key_limit_in_bytes and len(key) > MAX_KEY_CHARS:
            return self._error(400, "key is longer than 256 characters")

        if request.method == "GET":
            return self._get(namespace, key)
        if request.method == "DELETE":
            return self._delete(namespace, key, prefixed=bool(prefix))
        if oversize:
            if f.oversize_clears_value:
                self._store.delete(namespace, key)
            if not f.truncate_oversize:
                return self._size_error()
            body = body[:MAX_VALUE_BYTES]
        elif f.charset_content_type_500 and "charset" in request.headers.get("content-type", ""):
            return self._error(500, "unsupported charset")
        elif f.deep_nesting_500 and nesting_depth(body) > DEEP_NESTING_LIMIT:
            return self._error(500, "maximum recursion depth exceeded while decoding JSON")
        elif f.huge_numbers_rejected and _beyond_double(body):
            return self._error(400, "payload is not valid json: number out of range")
        elif not f.accept_invalid_json and not is_valid_json(
            body, allow_non_finite=f.accept_non_finite
        ):
            return self._error(400, "payload is not valid json: invalid input")
        return self._set(namespace, key, body)

    def refusal(self, request: Request) -> Response | None:
        """The answer to a request whose credentials are refused, judged on its head alone
        (for the HTTP layer's unread-body-on-401 fault); None when they are accepted."""
        identity = self._authenticate(request)
        return identity if isinstance(identity, Response) else None

    # -- routing and authentication ------------------------------------------------------

    def _route_has_prefix(self, target: bytes) -> bool:
        """True for the prefix route: two segments after the KV root, once decoded."""
        path = unquote_to_bytes(target.partition(b"?")[0])
        return path.startswith(self._kv_root) and b"/" in path[len(self._kv_root) :]

    def _route(self, target: bytes) -> tuple[bytes, bytes] | Response:
        """(prefix, key) of a KV URL, matched on the decoded path as upstream's router does."""
        if target.startswith((b"http://", b"https://")):  # absolute-form request-target
            target = urlsplit(target).path or b"/"
        path = target.partition(b"?")[0]
        if self._faults.plus_in_key_is_space:
            path = path.replace(b"+", b" ")
        if self._faults.semicolon_path_parameters:
            path = _PATH_PARAMETER.sub(b"", path)
        if _BAD_ESCAPE.search(path):
            return self._error(400, "400 Bad Request")
        decoded = unquote_to_bytes(path)
        if not decoded.startswith(self._kv_root):
            return self._error(404, "404 page not found")
        parts = decoded[len(self._kv_root) :].split(b"/")
        if len(parts) > 2 or not all(parts):
            return self._error(404, "404 page not found")
        prefix, key = (b"", parts[0]) if len(parts) == 1 else (parts[0], parts[1])
        if self._faults.double_decode_keys:
            key = unquote_to_bytes(key)
        return prefix, key

    def _authenticate(self, request: Request) -> Identity | Response:
        f = self._faults
        token = self._token(request)
        identity = self._tokens.get(token) if token is not None else None
        if identity is None and token and f.token_case_insensitive:
            identity = next(
                (i for t, i in self._tokens.items() if t.lower() == token.lower()), None
            )
        if identity is None and token and f.token_prefix_match:
            # Compared over the shorter length, as strncmp(sent, known, len(sent)) does.
            identity = next(
                (i for t, i in self._tokens.items() if t[: len(token)] == token[: len(t)]), None
            )
        if identity is None:
            configured = next(iter(self._tokens.values()), None)
            if f.accept_missing_token and "authorization" not in request.headers and configured:
                return configured
            if token and f.accept_unknown_token and configured:
                return configured
            if token is not None and f.forbidden_for_unknown_token:
                return self._error(403, "forbidden")
            return self._error(401, "user ID is required: unauthorized")
        if not identity.app_session:
            return self._error(401, "not an app session: unauthorized")
        return identity

    def _token(self, request: Request) -> str | None:
        """Where Mattermost finds a token: header (Bearer or Token), cookie, then query."""
        header = request.headers.get("authorization", "")
        if self._faults.ignore_auth_scheme and header.split():
            return header.split()[-1]
        # Mattermost compares the scheme case-insensitively and takes the rest after one
        # separator character.
        if len(header) > 6 and header[:6].lower() == "bearer":
            return header[7:]
        if len(header) > 5 and header[:5].lower() == "token":
            return header[6:]
        for cookie in request.headers.get("cookie", "").split(";"):
            name, _, value = cookie.strip().partition("=")
            if name == "MMAUTHTOKEN" and value:
                return value
        query = request.target.partition(b"?")[2].decode("latin-1")
        values = parse_qs(query).get("access_token")
        return values[0] if values else None

    def _namespace_prefix(self, prefix: bytes) -> bytes:
        if self._faults.ignore_prefix:
            return b"  "
        if self._faults.no_prefix_padding:
            return prefix
        return prefix.ljust(PREFIX_BYTES, b" ")

    def _storage_key(self, key: bytes) -> bytes:
        f = self._faults
        if f.case_insensitive_keys:
            key = _text(key).lower().encode("utf-8", "surrogateescape")
        if f.strip_key_whitespace:
            key = key.strip()
        if f.normalize_keys:
            key = unicodedata.normalize("NFC", _text(key)).encode("utf-8", "surrogateescape")
        if f.truncate_keys:
            key = key[:64]
        return key

    # -- operations ----------------------------------------------------------------------

    def _get(self, namespace: Namespace, key: bytes) -> Response:
        if self._faults.stale_read_cache:
            value = self._cached_read(namespace, key)
        else:
            value = self._store.get(namespace, key)
        if self._faults.expire_after_3s and value is not None:
            with self._lock:
                set_at = self._set_at.get((namespace, key), time.monotonic())
            if time.monotonic() - set_at > EXPIRY_SECONDS:
                value = None
        if value is None:
            if self._faults.missing_key_404:
                return self._error(404, "not found")
            if self._faults.missing_key_null:
                return Response(200, b"null", JSON)
            return Response(200, b"{}", JSON)
        if self._faults.garbage_json:
            return Response(200, b"<html><body>Saved!</body></html>", JSON)
        return Response(200, value, TEXT if self._faults.text_content_type else JSON)

    def _set(self, namespace: Namespace, key: bytes, value: bytes) -> Response:
        f = self._faults
        if f.lost_concurrent_updates:
            with self._lock:
                document_version = self._versions.get(namespace, 0)
            time.sleep(RACE_WINDOW)
        before = self._store.get(namespace, key)
        if f.stale_read_cache:
            self._write_begins(namespace, key, before)
            time.sleep(RACE_WINDOW)  # the backing store's write takes a moment
        if f.torn_writes and len(value) > TORN_OVER_BYTES:
            half = len(value) // 2
            self._store.set(namespace, key, value[:half] + (before or b"")[half:])
            time.sleep(RACE_WINDOW)
        if f.null_deletes and value.strip() == b"null":
            self._store.delete(namespace, key)
        elif f.store_nothing:
            pass
        elif not (f.ignore_overwrite and before is not None) and not (
            f.set_after_delete_lost and (namespace, key) in self._deleted
        ):
            self._store.set(namespace, key, self._stored_form(value))
        if f.lost_concurrent_updates:
            self._write_back_stale_document(namespace, key, before, document_version)
        if f.stale_read_cache:
            self._write_ends(namespace, key)
        if f.plain_delete_every_prefix:
            with self._lock:
                self._prefixes.setdefault(namespace[:2], set()).add(namespace.prefix)
        if f.evict_past_100:
            self._evict(namespace, key)
        if f.expire_after_3s:
            with self._lock:
                self._set_at[(namespace, key)] = time.monotonic()
        if f.changed_missing:
            return Response(200, b"{}\n", JSON)
        if f.set_answers_text:
            return Response(200, b'{"changed":true}\n', TEXT)
        # Upstream's upsert always reports a save, so changed is always true.
        changed = not f.changed_false and not (f.changed_tracks_value and before == value)
        if f.changed_loose_equality and before is not None:
            changed = _loose(before) != _loose(value)
        return Response(200, b'{"changed":true}\n' if changed else b'{"changed":false}\n', JSON)

    def _stored_form(self, value: bytes) -> bytes:
        f = self._faults
        if f.reserialize_values or f.float_numbers:
            try:
                parsed = json.loads(
                    value, parse_int=_as_double if f.float_numbers else int, parse_float=_finite
                )
            except (ValueError, RecursionError, OverflowError):
                # What the re-encoder cannot represent (too deep, 1E400) is kept as it came.
                return value
            value = json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode()
        if f.mojibake:
            value = value.decode("latin-1").encode("utf-8")
        return value

    def _delete(self, namespace: Namespace, key: bytes, *, prefixed: bool) -> Response:
        f = self._faults
        if f.stale_read_cache:
            self._write_begins(namespace, key, self._store.get(namespace, key))
        if f.delete_is_noop or (f.prefixed_delete_is_noop and prefixed):
            existed = self._store.get(namespace, key) is not None
        else:
            existed = self._store.delete(namespace, key)
        if f.plain_delete_every_prefix and not prefixed:
            with self._lock:
                prefixes = set(self._prefixes.get(namespace[:2], ()))
            for other in prefixes:
                self._store.delete(namespace._replace(prefix=other), key)
        if f.set_after_delete_lost:
            self._deleted.add((namespace, key))
        if f.stale_read_cache:
            self._write_ends(namespace, key)
        if f.evict_past_100:
            with self._lock:
                self._order.get(namespace, {}).pop(key, None)
        if not existed and f.delete_absent_fails:
            return self._error(500, "key not found")
        return Response(204 if f.delete_answers_204 else 202 if f.delete_answers_202 else 200)

    # -- the concurrency, capacity and expiry faults ---------------------------------------

    def _write_back_stale_document(
        self, namespace: Namespace, key: bytes, before: bytes | None, read_version: int
    ) -> None:
        """Lost updates: the user's document, read before the race window, is written back
        whole, undoing the sets of other keys that completed since."""
        with self._lock:
            recent = self._recent_sets.setdefault(namespace, [])
            for version, other, previous in reversed(recent):
                if version > read_version and other != key:
                    if previous is None:
                        self._store.delete(namespace, other)
                    else:
                        self._store.set(namespace, other, previous)
            version = self._versions[namespace] = self._versions.get(namespace, 0) + 1
            recent.append((version, key, before))
            del recent[:-64]

    def _cached_read(self, namespace: Namespace, key: bytes) -> bytes | None:
        """A read-through cache with the classic race: a read that overlaps a write fills
        the cache with the value from before it, after the write invalidated the entry, and
        that old value is served until the next write.

        The race is made certain rather than left to thread timing (which once let it pass
        unseen on a loaded machine): a read that finds a write of its key under way waits
        for the write to land, then caches what preceded the write."""
        entry = (namespace, key)
        with self._write_landed:
            if entry in self._writing:
                before = self._writing[entry][1]
                self._write_landed.wait_for(lambda: entry not in self._writing, STALE_FILL_WAIT)
                self._cache[entry] = before
                return before
            if entry in self._cache:
                return self._cache[entry]
        value = self._store.get(namespace, key)
        with self._lock:
            return self._cache.setdefault(entry, value)

    def _write_begins(self, namespace: Namespace, key: bytes, before: bytes | None) -> None:
        with self._lock:
            count, first_before = self._writing.get((namespace, key), (0, before))
            self._writing[(namespace, key)] = (count + 1, first_before)

    def _write_ends(self, namespace: Namespace, key: bytes) -> None:
        with self._write_landed:
            self._cache.pop((namespace, key), None)
            count, before = self._writing.pop((namespace, key), (1, None))
            if count > 1:
                self._writing[(namespace, key)] = (count - 1, before)
            self._write_landed.notify_all()

    def _evict(self, namespace: Namespace, key: bytes) -> None:
        with self._lock:
            order = self._order.setdefault(namespace, {})
            order.pop(key, None)
            order[key] = None
            while len(order) > CAPACITY:
                oldest = next(iter(order))
                del order[oldest]
                self._store.delete(namespace, oldest)

    # -- errors --------------------------------------------------------------------------

    def _size_error(self) -> Response:
        return self._error(413 if self._faults.oversize_413 else 500, "size limit of 8Kb exceeded")

    def _error(self, status: int, message: str) -> Response:
        """Upstream writes errors with Go's http.Error: plain text and a trailing newline."""
        if self._faults.json_error_bodies:
            return Response(status, json.dumps({"error": message}).encode(), JSON)
        if self._faults.reworded_errors and status in (400, 401):
            message = "invalid request" if status == 400 else "invalid or missing token"
        return Response(
            status,
            message.encode() + b"\n",
            TEXT,
            (("X-Content-Type-Options", "nosniff"),),
        )


def _loose(value: bytes) -> object:
    """A value as Python's json module reads it, where True == 1 and False == 0."""
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return value


def _beyond_double(body: bytes) -> bool:
    """Whether a JSON text has a number a double cannot hold (it would read as infinity)."""
    try:
        json.loads(body, parse_float=_finite)
    except OverflowError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


def _finite(literal: str) -> float:
    number = float(literal)
    if math.isinf(number):
        raise OverflowError(f"{literal} is beyond a double's range")
    return number


def _as_double(literal: str) -> float | int:
    """An integer as a JavaScript server would keep it: a double, printed without '.0'."""
    number = float(literal)
    return int(number) if number.is_integer() and abs(number) < 1e21 else number


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _go_quote(raw: bytes) -> str:
    """Roughly Go's %q, as upstream formats the rejected prefix."""
    return json.dumps(raw.decode("utf-8", "replace"), ensure_ascii=False)

"""The fault switchboard: named defects that turn the reference server into a faulty one.

Each fault is one boolean field; its ``metadata["breaks"]`` is the one-line description shown by
``--list-faults``. The service (``service.py``) consults the contract's flags, one ``if`` per
fault; the HTTP layer (``server.py``) consults the transport and connection-framing flags, and
nothing else does.
Names on the command line use dashes (``accept-missing-token``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


def _fault(breaks: str) -> Any:
    return field(default=False, metadata={"breaks": breaks})


def _transport_fault(breaks: str) -> Any:
    """A fault of the HTTP layer: it hits every Nth request, whatever the request is."""
    return field(default=False, metadata={"breaks": breaks, "transport": True})


@dataclass(frozen=True)
class Faults:
    """Which defects are switched on. All off is the correct reference server."""

    # Authentication
    accept_missing_token: bool = _fault(
        "a request without an Authorization header is served as the first configured identity"
    )
    accept_unknown_token: bool = _fault(
        "an unknown, non-empty token is served as the first configured identity"
    )
    ignore_auth_scheme: bool = _fault(
        "the token is the last word of the Authorization header, whatever the scheme"
    )
    forbidden_for_unknown_token: bool = _fault("an unknown token is answered 403 instead of 401")
    # Isolation
    shared_between_users: bool = _fault(
        "all users of an app share one namespace (isolation by user is lost)"
    )
    ignore_prefix: bool = _fault("the prefix route reads and writes the unprefixed namespace")
    # Value round trip
    float_numbers: bool = _fault(
        "values are re-encoded with every number as a 64-bit float (big integers lose digits)"
    )
    reserialize_values: bool = _fault(
        "values are re-encoded compactly instead of stored byte for byte"
    )
    mojibake: bool = _fault("non-ASCII text is stored double-encoded (UTF-8 read as Latin-1)")
    null_deletes: bool = _fault("setting the value null deletes the key")
    set_after_delete_lost: bool = _fault(
        "a set of a key deleted earlier answers 200 but the key stays absent"
    )
    ignore_overwrite: bool = _fault(
        "a set of a key that holds a value answers 200 but keeps the old value"
    )
    put_unsupported: bool = _fault("PUT is answered 405; only POST sets")
    # Keys
    case_insensitive_keys: bool = _fault("keys are folded to lower case")
    strip_key_whitespace: bool = _fault("surrounding whitespace is stripped from keys")
    truncate_keys: bool = _fault("keys are cut to their first 64 bytes")
    double_decode_keys: bool = _fault(
        "keys are percent-decoded twice, so a literal %41 addresses key A"
    )
    normalize_keys: bool = _fault("keys are put in Unicode normalisation form NFC")
    ascii_keys_only: bool = _fault("a key with a non-ASCII character is answered 400")
    reserved_key_characters_400: bool = _fault(
        "a key containing a URL-reserved character (?#[]@!$&'()*,;=) is answered 400"
    )
    # Delete
    delete_is_noop: bool = _fault("DELETE answers 200 but leaves the value in place")
    prefixed_delete_is_noop: bool = _fault(
        "DELETE on the prefix route answers 200 but leaves the value in place"
    )
    delete_absent_fails: bool = _fault("DELETE of an absent key answers 500")
    delete_answers_202: bool = _fault("DELETE answers 202 Accepted")
    delete_answers_204: bool = _fault("DELETE answers 204 instead of 200 (legitimate in core)")
    # Invalid JSON
    accept_invalid_json: bool = _fault("bodies that are not JSON are stored and answered 200")
    accept_non_finite: bool = _fault("NaN, Infinity and -Infinity are accepted as JSON")
    # Size cap
    truncate_oversize: bool = _fault(
        "values over 8192 bytes are cut to 8192 bytes and stored (as releases before v1.2.0 did)"
    )
    small_size_cap: bool = _fault("values over 4096 bytes are rejected")
    oversize_clears_value: bool = _fault(
        "rejecting an oversize value also deletes the value stored before"
    )
    size_check_after_auth: bool = _fault(
        "the size cap is checked after authentication instead of before"
    )
    oversize_413: bool = _fault(
        "an oversize value is answered 413 instead of 500 (legitimate in core)"
    )
    # Prefix route
    no_prefix_route: bool = _fault("the prefix route does not exist: every request to it is 404")
    long_prefixes_accepted: bool = _fault("prefixes of any length are accepted")
    no_prefix_padding: bool = _fault(
        "prefixes are not padded to 2 bytes, so ' ' is not the plain route (legitimate in core)"
    )
    # Response shapes
    missing_key_404: bool = _fault("reading an absent key answers 404 instead of 200 {}")
    missing_key_null: bool = _fault("reading an absent key answers 200 null")
    changed_missing: bool = _fault("a set answers {} without the changed field")
    set_answers_text: bool = _fault('a set answers {"changed":true} labelled text/plain')
    changed_false: bool = _fault("a set answers changed: false")
    changed_tracks_value: bool = _fault(
        "a set of the value already stored answers changed: false, as documented "
        "(legitimate in core)"
    )
    json_error_bodies: bool = _fault("error bodies are JSON objects instead of plain text")
    reworded_errors: bool = _fault(
        "401 and 400 errors are plain text worded differently from upstream (legitimate in core)"
    )
    text_content_type: bool = _fault("a stored value is served as text/plain")
    options_allowed: bool = _fault(
        "OPTIONS is answered 204 with an Allow header (legitimate in core)"
    )
    charset_content_type_500: bool = _fault(
        "a set whose Content-Type has a charset parameter is answered 500"
    )
    # Concurrency, durability and capacity (sequentially the server looks correct)
    lost_concurrent_updates: bool = _fault(
        "each set rewrites the user's whole document from a copy read 2 ms earlier, so sets "
        "of other keys that landed in between are lost"
    )
    torn_writes: bool = _fault(
        "a value over 1 KiB is stored in two steps; for 2 ms readers see its first half "
        "joined to the old value's rest"
    )
    stale_read_cache: bool = _fault(
        "reads go through a cache that a read racing a write can refill with the old value, "
        "which is then served until the next write"
    )
    evict_past_100: bool = _fault(
        "each namespace keeps its 100 most recently set keys; older ones are evicted"
    )
    expire_after_3s: bool = _fault("entries read absent 3 seconds after they were set")
    garbage_json: bool = _fault(
        "a stored value is served as an HTML page labelled application/json"
    )
    # Whole-server defects: a check that does not establish its preconditions passes them
    store_nothing: bool = _fault('every set is answered {"changed":true}, but nothing is stored')
    stateless_mock: bool = _fault(
        "a mock of the API: every request, with any token or none, is answered 200 (GET a "
        'fixed value, a set {"changed":true}, DELETE an empty body)'
    )
    # Edges of the contract and of common implementations
    plain_delete_every_prefix: bool = _fault(
        "DELETE on the plain route also deletes the key under every prefix"
    )
    changed_loose_equality: bool = _fault(
        "changed is false when the new value equals the old by Python's ==, so 1 after true "
        "or 0 after false is no change"
    )
    deep_nesting_500: bool = _fault(
        "a value nested more than 500 levels deep is answered 500 (a recursive parser's limit)"
    )
    token_case_insensitive: bool = _fault(
        "tokens are compared ignoring case, so a token with its case changed is accepted"
    )
    token_prefix_match: bool = _fault(
        "a non-empty token is accepted when it and a configured token agree over the shorter "
        "one's length, so the token cut short, or with characters appended, is accepted"
    )
    plus_in_key_is_space: bool = _fault(
        "a '+' written as is (not as %2B) in a key's path is read as a space, as a form "
        "decoder does"
    )
    semicolon_path_parameters: bool = _fault(
        "a ';' written as is (not as %3B) in a key's path starts a path parameter, which is "
        "dropped as servlet containers do: kv/a;b addresses the key a"
    )
    huge_numbers_rejected: bool = _fault(
        "a value with a number beyond a double's range (1E400) is answered 400, as a parser "
        "that reads numbers as doubles and refuses infinity does"
    )
    key_limit_in_bytes: bool = _fault(
        "a key of more than 256 bytes of UTF-8 is answered 400: the limit of 256 characters "
        "counted in bytes"
    )
    # Connection framing: applied by the HTTP layer (server.py), to every request of a kind
    unread_body_on_401: bool = _fault(
        "a request refused 401 whose body is within the size limit is answered before the "
        "body is read, and the connection is kept open: the body's bytes start the next "
        "request on it"
    )
    extra_answer_after_delete: bool = _fault(
        "every DELETE is answered twice on a kept-alive connection; the second answer waits "
        "there for the next request"
    )
    # Transport: applied by the HTTP layer (server.py), to every Nth request it serves
    hang_every_40th: bool = _transport_fault(
        "every 40th request gets no answer; the connection stays open"
    )
    unavailable_every_50th: bool = _transport_fault("every 50th request (2%) is answered 503")
    reset_every_40th: bool = _transport_fault(
        "every 40th request is answered by a connection reset"
    )
    truncated_every_40th: bool = _transport_fault(
        "every 40th answer declares 20 bytes more than it sends, then the connection closes"
    )
    long_content_length_every_40th: bool = _transport_fault(
        "every 40th answer declares 10 bytes more than it sends; the connection stays open"
    )
    endless_every_40th: bool = _transport_fault("every 40th answer has a body that never ends")
    drip_every_40th: bool = _transport_fault("every 40th answer is sent one byte every 0.3 s")
    redirect_every_40th: bool = _transport_fault(
        "every 40th request is answered 307 with a Location on another port"
    )

    @classmethod
    def catalogue(cls) -> Mapping[str, str]:
        """Every fault's command-line name and what it breaks, in declaration order."""
        return {_cli_name(f.name): f.metadata["breaks"] for f in dataclasses.fields(cls)}

    @classmethod
    def transport(cls) -> frozenset[str]:
        """The command-line names of the transport faults."""
        return frozenset(
            _cli_name(f.name) for f in dataclasses.fields(cls) if f.metadata.get("transport")
        )

    @classmethod
    def from_names(cls, names: Iterable[str]) -> Faults:
        """Switch on the named faults; dashes or underscores both work."""
        known = {f.name for f in dataclasses.fields(cls)}
        chosen = {name.strip().replace("-", "_") for name in names}
        unknown = sorted(chosen - known)
        if unknown:
            raise ValueError(
                f"unknown fault {', '.join(map(_cli_name, unknown))}; "
                f"known faults: {', '.join(cls.catalogue())}"
            )
        return cls(**dict.fromkeys(chosen, True))

    def enabled(self) -> tuple[str, ...]:
        """The command-line names of the faults switched on."""
        return tuple(_cli_name(f.name) for f in dataclasses.fields(self) if getattr(self, f.name))


def _cli_name(field_name: str) -> str:
    return field_name.replace("_", "-")

"""Each requirement's statement split into its rules, and what in its check covers each one.

A deterministic defect must be caught on every seed, so every rule of a statement is exercised
by something the check sends on every run: a fixed example or a fixed step, never only by
what Hypothesis happens to draw (Hypothesis explores beyond them). What covers a rule is named
by what it is in the check's own code, so ``tests/unit/test_rules.py`` can hold the table to
the code without a server:

- ``Member(NAME, value)``: ``value`` is one element of the constant ``NAME`` that the check
  refers to (its own, or imported: ``TRICKY_VALUES``, ``INVALID_BODIES``, ...);
- ``Sends(literal)``: a string or bytes literal written in the check (a method, a body, a
  header, a prefix);
- ``calls(function, *literals)``: a call of ``function`` (the check's own, or a method
  such as ``set``) whose arguments hold every one of ``literals``: ``calls("set", b"1",
  "PUT")`` is ``kv.a.set(key, b"1", method="PUT")``;
- ``Uses(name)``: a named step the check takes: a function, constant or variable of its
  own, or a harness method (``routes`` for "every supported route", ``stored`` for a value
  set and read back first).

"The check" is the test marked with the requirement and the functions of its module it calls.
None of them may be a Hypothesis strategy. The concurrency, durability and capacity checks
run a fixed workload whose interleaving the machine decides; FUZZ-01 sends one fixed case of
every operation before the generated ones, and applies the same checks to every case.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from conformance.engine.strategies import (
    KEY_SUFFIXES,
    MAX_KEY_CHARS,
    MAX_VALUE_BYTES,
    TRICKY_VALUES,
    deep_text,
    sized_array,
    sized_value,
)
from conformance.suite.test_isolation import Step


@dataclass(frozen=True)
class Member:
    name: str
    value: object


@dataclass(frozen=True)
class Sends:
    literal: str | bytes


@dataclass(frozen=True)
class Uses:
    name: str


@dataclass(frozen=True)
class Calls:
    function: str
    literals: tuple[str | bytes | int | None, ...]


def calls(function: str, *literals: str | bytes | int | None) -> Calls:
    return Calls(function, literals)


Cover = Member | Sends | Uses | Calls


@dataclass(frozen=True)
class Rule:
    text: str
    by: tuple[Cover, ...]


def rule(text: str, *by: Cover) -> Rule:
    return Rule(text, by)


EVERY_ROUTE = rule("on every supported route (the plain one, and the prefix route)", Uses("routes"))
# A rejected request "has no effect": the value stored before it, then read back after it.
NO_EFFECT = rule("has no effect: the value stored before reads back unchanged", Uses("_kept"))

RULES: dict[str, tuple[Rule, ...]] = {
    "AUTH-01": (
        rule("no Authorization header: 401", calls("_rejected_everywhere", None)),
        rule("on GET and DELETE", Sends("GET"), Sends("DELETE")),
        rule("on every method that sets (POST, and PUT where offered)", Uses("methods_that_set")),
        EVERY_ROUTE,
        NO_EFFECT,
    ),
    "AUTH-02": (
        rule("an unknown bearer token: 401", calls("_rejected_everywhere", "-not-a-token")),
        rule(
            "A's token with its case changed, one character short or one appended: 401",
            Uses("near_misses"),
        ),
        rule("on GET and DELETE", Sends("GET"), Sends("DELETE")),
        rule("on every method that sets (POST, and PUT where offered)", Uses("methods_that_set")),
        EVERY_ROUTE,
        NO_EFFECT,
    ),
    "AUTH-03": (
        rule("no scheme (the bare token): 401", Uses("token")),
        rule("an unknown scheme: 401", calls("_rejected_everywhere", "Basic ")),
        rule(
            "an empty token, with and without its space: 401",
            calls("_rejected_everywhere", "Bearer ", "Bearer"),
        ),
        rule("on every method and route", Uses("methods_that_set"), Uses("routes")),
        NO_EFFECT,
    ),
    "SET-01": (
        rule("a POST of a valid value: 200 or 201", Sends(b"1")),
        rule("a PUT of a valid value: 200 or 201", calls("set", b'"by put"', "PUT")),
        rule(
            "the answer is a JSON object with a boolean changed, for a new key and an overwrite",
            Uses("_changed"),
            Sends(b'{"a":[true,null]}'),
        ),
        rule("on every supported route", Uses("each_route")),
    ),
    "SET-02": (
        rule("changed is true for a key never set", Sends(b"true")),
        rule(
            "changed is true for a different value, even one Python's == calls equal",
            Member("TYPE_CHANGES", b"1"),
            Member("TYPE_CHANGES", b"0"),
            Member("TYPE_CHANGES", b'"0"'),
        ),
        rule("changed is true for a key deleted since", Uses("delete")),
        rule("on every supported route", Uses("each_route")),
    ),
    "SET-03": (
        rule("a PUT is answered 200 or 201, as a POST", calls("set", "PUT")),
        rule("a PUT's value reads back", Sends(b'{"by":"put"}')),
        rule("a PUT overwrites, as a POST does", Sends(b"[1,2]")),
        rule("on every supported route", Uses("each_route")),
    ),
    "VAL-01": (
        rule("an object", Member("TRICKY_VALUES", b'{"a":null,"b":[],"c":{},"":""}')),
        rule("an array", Member("TRICKY_VALUES", b"[]")),
        rule("a string", Member("TRICKY_VALUES", b'""')),
        rule("a number, with every digit", Member("TRICKY_VALUES", b"12345678901234567890123")),
        rule(
            "true, false and null",
            Member("TRICKY_VALUES", b"true"),
            Member("TRICKY_VALUES", b"false"),
            Member("TRICKY_VALUES", b"null"),
        ),
        rule(
            "whitespace where JSON allows it (every encoding of a value is that value)",
            Member("TRICKY_VALUES", b' {\n\t"pretty" : [ 1 ,\r\n 2 ] } \n'),
        ),
        rule("escapes in strings", Member("TRICKY_VALUES", TRICKY_VALUES[4])),
        rule(
            "up to 8192 bytes, however deeply nested",
            Member("TRICKY_VALUES", b"[" * 4096 + b"]" * 4096),
            Member("TRICKY_VALUES", deep_text(1637, "object")),
        ),
        rule(
            "numbers beyond a double's range, kept as written",
            Member("TRICKY_VALUES", b"[1E400,-1e400,1e-400]"),
        ),
        rule("read back JSON-equal by the identity that set it", Uses("_expect_value")),
    ),
    "VAL-02": (
        rule("read-your-writes: the first value reads back", Member("OVERWRITES", b'{"v":1}')),
        rule(
            "an overwrite, by PUT and by POST, reads back the new value",
            Member("OVERWRITES", b'{"v":2}'),
            Member("OVERWRITES", b'"three"'),
            Uses("methods"),
        ),
        rule("every later GET: each value is read twice", Uses("_expect_value")),
        rule("on every supported route", Uses("routes")),
    ),
    "VAL-03": (rule("a present key's GET is application/json", Uses("stored")),),
    "ABS-01": (
        rule("a key never set reads 404 or 200 {}", Uses("is_absent")),
        rule("on every supported route", Uses("routes")),
    ),
    "DEL-01": (
        rule("every GET after the delete (two) reads absent", Uses("delete"), Uses("is_absent")),
        rule("on every supported route", Uses("each_route")),
    ),
    "DEL-02": (
        rule("a present key: 200 or 204", Uses("present")),
        rule("a key just deleted: 200, 204 or 404", Uses("absent")),
        rule("a key never set: 200, 204 or 404", Uses("never_set")),
        rule("on every supported route", Uses("each_route")),
    ),
    "BODY-01": (
        rule("an empty body: 4xx", Member("INVALID_BODIES", b"")),
        rule(
            "a body that is not JSON: 4xx",
            Member("INVALID_BODIES", b"not json"),
            Member("INVALID_BODIES", b"{"),
        ),
        rule("two values: 4xx", Member("INVALID_BODIES", b"{} {}")),
        rule("NaN: 4xx", Member("INVALID_BODIES", b"NaN"), Member("INVALID_BODIES", b"[NaN]")),
        rule(
            "Infinity: 4xx",
            Member("INVALID_BODIES", b"Infinity"),
            Member("INVALID_BODIES", b"-Infinity"),
        ),
        rule("by every method that sets", Uses("methods_that_set")),
        rule("the stored value unchanged", Sends(b'"kept"')),
    ),
    "SIZE-01": (
        rule(
            "exactly 8192 bytes: accepted, read back whole", Member("AT_LIMIT", sized_value(8192))
        ),
        rule(
            "8192 bytes of multi-byte characters",
            Member("AT_LIMIT", sized_value(MAX_VALUE_BYTES, "\U0001f600")),
        ),
        rule("under the limit", Member("AT_LIMIT", sized_value(4096))),
    ),
    "SIZE-02": (
        rule(
            "one byte over: stored whole or rejected 4xx/5xx",
            Member("OVER_LIMIT", sized_value(MAX_VALUE_BYTES + 1)),
        ),
        rule("well over", Member("OVER_LIMIT", sized_value(MAX_VALUE_BYTES * 8))),
        rule("an array over", Member("OVER_LIMIT", sized_array(MAX_VALUE_BYTES + 2))),
        rule("never partially: read back after", Uses("never_partial")),
    ),
    "SIZE-03": (
        rule("an oversize value rejected", Uses("sized_value")),
        rule("the value stored before is unchanged", Sends(b'"before"')),
    ),
    "KEY-01": (
        rule("URL-reserved characters", Member("KEY_SUFFIXES", KEY_SUFFIXES[0])),
        rule("percent sequences, literally", Member("KEY_SUFFIXES", "%41%2F%25")),
        rule("surrounding whitespace", Member("KEY_SUFFIXES", " leading and trailing ")),
        rule("non-ASCII characters", Member("KEY_SUFFIXES", KEY_SUFFIXES[3])),
        rule("control characters", Member("KEY_SUFFIXES", "\t\n\r\u0001\u007f")),
        rule("dot segments", Member("KEY_SUFFIXES", "."), Member("KEY_SUFFIXES", "..")),
        rule("a key of exactly 256 characters", Uses("MAX_KEY_CHARS")),
        rule(
            "256 characters counted as characters, not bytes",
            Member("KEY_SUFFIXES", "\U0001f511" * (MAX_KEY_CHARS - 32)),
        ),
        rule(
            "+ and ; written as they are",
            Member("KEY_SUFFIXES_AS_IS", "a+b"),
            Member("KEY_SUFFIXES_AS_IS", "a;b"),
        ),
        rule("set, read and deleted", Uses("life_cycle")),
    ),
    "KEY-02": (
        rule("case", Sends("case")),
        rule("surrounding whitespace", Sends("surrounding whitespace")),
        rule("Unicode normalisation form", Sends("normalisation form")),
        rule("a literal %41 versus A", Sends("%41")),
        rule("only after a long shared start", Sends("long shared start")),
    ),
    "ISO-01": (
        rule("B does not read A's entry", Member("CANONICAL", Step(1, "get", 0))),
        rule("B's set does not change A's entry", Member("CANONICAL", Step(1, "set", 0))),
        rule("B's delete does not remove A's entry", Member("CANONICAL", Step(1, "delete", 0))),
        rule("on every supported route", Uses("routes")),
    ),
    "PFX-01": (rule("a set on a 1-byte prefix is not 404", Uses("require_prefix_route")),),
    "PFX-02": (
        rule("apart from the plain route", Sends("")),
        rule("apart from other prefixes, of 1 and 2 bytes", Sends("q"), Sends("pq")),
        rule("a delete under a prefix leaves the others", calls("delete", "q")),
        rule(
            "a delete on the plain route leaves the prefixes",
            calls("holds_its_own", ", after a delete of the same key on the plain route"),
        ),
    ),
    "PFX-03": (
        rule("3 ASCII bytes: refused", Sends("abc")),
        rule("one character of 3 bytes: refused", Sends("\u20ac")),
        rule("2 characters of 3 bytes: refused", Sends("p\u00e9")),
    ),
    "SEQ-01": (
        rule(
            "a set, an overwrite, a delete and a set after it, each then read back",
            Uses("fixed_program"),
        ),
        rule("the other identity's set and delete of the same key", Uses("fixed_program")),
        rule("every identity reads the key after each write", Uses("read")),
        rule("on every supported route", Uses("routes")),
    ),
    "HTTP-01": (
        rule("GET and DELETE of a present key on every route", Uses("fixed"), Uses("stored")),
        rule("every method that sets, on every route", Uses("methods_that_set")),
        rule(
            "a Content-Type with a charset parameter",
            Member("CONTENT_TYPES", "application/json; charset=utf-8"),
            Member("CONTENT_TYPES", "application/json;charset=UTF-8"),
        ),
        # Every request the suite sends: a missing or late answer fails HTTP-01.
        rule("answered within the timeout, the connection not dropped", Uses("fixed")),
    ),
    "HTTP-02": (
        rule("a body refused for a missing or unknown token", Sends(b'"intruder"')),
        rule("a body refused as invalid JSON", Sends(b'{"intruder":')),
        rule("no answer comes unasked (after a DELETE)", Uses("delete")),
        rule("the next request gets its own answer", Uses("misread")),
        rule("on every supported route", Uses("each_route")),
    ),
    "CON-01": (
        rule(
            "sets, gets and deletes of shared keys by several clients of each identity",
            Uses("RegisterWorkload"),
            Uses("CLIENTS_PER_IDENTITY"),
        ),
        rule("every history checked for linearizability", Uses("check")),
    ),
    "CON-02": (
        rule("concurrent sets of distinct keys by one identity", Uses("concurrently")),
        rule("every acknowledged one read back", Uses("read_back")),
    ),
    "CON-03": (
        rule("sets of values of about 6 KB while others read", Uses("LARGE_VALUE_PAD")),
        rule("no read returns a mix of two values", Uses("UNWRITTEN")),
    ),
    "DUR-01": (
        rule("entries written at the start read back unchanged", Uses("early")),
        rule("at least --kv-hold seconds later", Uses("hold_seconds")),
    ),
    "CAP-01": (rule("1,000 entries set by one identity, all read back", Uses("CAPACITY")),),
    "RST-01": (
        rule("acknowledged sets on every route and identity", Uses("RESTART_KEYS_PER_ROUTE")),
        rule("read back after the restart command", Uses("restart")),
    ),
    "MM-01": (
        rule(
            "exactly the bytes set: whitespace, big numbers, escapes kept",
            Sends(b'{ "n" : 12345678901234567890123 ,\n\t"f": 1.50e0, "a":[ ], "s":"\\u0041" }  '),
        ),
        rule("non-ASCII and combining characters kept", Sends('"h\u00e9llo \U0001f600 e\u0301"')),
        rule("with Content-Type application/json", Uses("JSON")),
    ),
    "MM-02": (rule("an absent key: 200 application/json {}", Uses("JSON")),),
    "MM-03": (
        rule('a POST of an absent key: 200 {"changed":true}', calls("says_changed", "POST", b"1")),
        rule(
            "the same value again, by PUT and by POST",
            calls("says_changed", "PUT", b"1", "the same value again"),
            calls("says_changed", "POST", b"1", "the same value again"),
        ),
        rule(
            "a different value",
            calls("says_changed", "PUT", b"true"),
            calls("says_changed", "POST", b"2"),
        ),
    ),
    "MM-04": (
        rule("a DELETE of a present key: 200, empty", Uses("stored"), Sends("present")),
        rule("a DELETE of an absent key: 200, empty", Sends("absent")),
    ),
    "MM-05": (
        rule(
            "a missing token: 401 'user ID is required: unauthorized'", calls("send", "GET", None)
        ),
        rule("an unknown token: the same", Sends("-not-a-token")),
        rule(
            "invalid JSON: 400 'payload is not valid json: invalid input'", calls("set", b"{} {}")
        ),
    ),
    "MM-06": (
        rule("over 8192 bytes without a token: 500", Sends("-not-a-token")),
        rule("and with a valid one", Uses("set")),
    ),
    "MM-07": (
        rule("the prefix route is supported", Uses("stored")),
        rule("prefix ' ' is the plain route", calls("get", " ")),
        rule("prefix 'a' equals 'a '", calls("stored", "a"), calls("get", "a ")),
        rule("a longer prefix is answered 500", Sends("abc"), Sends("\u20ac")),
    ),
    "MM-08": (
        rule("HEAD, PATCH, OPTIONS: 405, empty", Sends("HEAD"), Sends("PATCH"), Sends("OPTIONS")),
        rule("on both routes", Sends("p")),
        rule("/kv, /kv/, /kv/x/ and /kv/a/b/c: 404", Uses("kv_path"), Sends("/")),
    ),
    "FUZZ-01": (
        rule("every operation on every supported route, with fixed data", Uses("fixed_cases")),
        rule("no 5xx", Member("CONFORMING_CHECKS", not_a_server_error)),
        rule(
            "a documented status and Content-Type",
            Member("CONFORMING_CHECKS", status_code_conformance),
            Member("CONFORMING_CHECKS", content_type_conformance),
        ),
        rule(
            "a body of the documented shape",
            Member("CONFORMING_CHECKS", response_schema_conformance),
        ),
        rule("valid data not refused", Member("CONFORMING_CHECKS", positive_data_acceptance)),
    ),
}

"""Who a token stands for: the (app, user) pair that namespaces its data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_APP = "com.example.kv-conformance"


@dataclass(frozen=True)
class Identity:
    """The session behind a token. ``app_session`` False is an ordinary login session."""

    user: str
    app: str = DEFAULT_APP
    app_session: bool = True


def parse_token_specs(
    app_specs: Iterable[str], session_specs: Iterable[str] = ()
) -> Mapping[str, Identity]:
    """Build the token table from ``TOKEN[:USER[:APP]]`` specs.

    A bare ``TOKEN`` is a new user (``user-1``, ``user-2``, ...) of the default app, so
    ``--token A --token B`` gives two distinct users. ``:`` cannot occur in a bearer token
    (RFC 6750), which keeps the richer form unambiguous. ``session_specs`` (``TOKEN[:USER]``)
    are valid tokens that are not app sessions.
    """
    table: dict[str, Identity] = {}
    specs = [(spec, True) for spec in app_specs] + [(spec, False) for spec in session_specs]
    for number, (spec, app_session) in enumerate(specs, start=1):
        token, *rest = spec.split(":")
        if not token or len(rest) > (2 if app_session else 1) or any(not part for part in rest):
            form = "TOKEN[:USER[:APP]]" if app_session else "TOKEN[:USER]"
            raise ValueError(f"token spec {spec!r} is not of the form {form}")
        if token in table:
            # Which one, by its position: the token itself is a secret.
            raise ValueError(
                f"token number {number} ({_redact(token)}) repeats an earlier one: give every "
                "--token and --session-token a different token (two tokens of one user: "
                "--token TOKEN_A:USER --token TOKEN_B:USER)"
            )
        user = rest[0] if rest else f"user-{number}"
        app = rest[1] if len(rest) > 1 else DEFAULT_APP
        table[token] = Identity(user=user, app=app, app_session=app_session)
    return table


def _redact(token: str) -> str:
    return token[:2] + "…" if len(token) > 4 else "…"
